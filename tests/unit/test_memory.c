/* test_memory.c - state stays bounded when keys come and go: a SESSION
 * query fed a million distinct keys over time keeps only the keys with an
 * open session (the table is compacted as sessions close), and its results
 * are the same as without compaction (every session emitted once). */
#include "sql.h"
#include "sql_query_int.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int64_t emitted;
static int count_row(void *arg, const struct sql_value *v, int n)
{
    (void)arg, (void)v, (void)n;
    emitted++;
    return 0;
}

static void test_session_keys(void)
{
    struct sql_error e;
    struct sql_script *s = sql_script_parse(
        "CREATE STREAM src (k STRING, t TIMESTAMP) WITH (topic='src', key='k', timestamp='t');\n"
        "CREATE STREAM rides AS SELECT k, COUNT(*) AS n FROM src WINDOW SESSION (10 SECONDS) GROUP BY k;",
        &e);
    if (!CHECK(s != NULL))
        return;
    struct sql_query *q = sql_script_instance(s, 0, &e);
    sql_query_set_output(q, count_row, NULL);
    enum { KEYS = 1000000, LIVE = 500 };
    int64_t t0 = 1795000000000LL;
    int max_table = 0;
    char name[32];
    for (int i = 0; i < KEYS; i++) {
        /* key i rides twice, a second apart; LIVE keys ride at any moment */
        for (int r = 0; r < 2; r++) {
            int64_t t = t0 + (int64_t)i * 20 + r * 1000;
            snprintf(name, sizeof name, "unicorn-%d", i);
            struct sql_value row[2] = {{.type = SQL_STRING, .u.str = {name, strlen(name)}},
                                       {.type = SQL_TIMESTAMP, .u.ts = t}};
            struct sql_value in[2];
            const char *const *cols = sql_query_columns(q);
            for (int c = 0; c < sql_query_ncolumns(q); c++)
                in[c] = strcmp(cols[c], "k") == 0 ? row[0] : row[1];
            struct sql_push p;
            if (sql_query_push(q, in, i, 0, &p, &e) != 0) {
                CHECK(!"sql_query_push failed");
                return;
            }
        }
        if (i % 1000 == 999) {
            if (sql_query_advance(q, t0 + (int64_t)i * 20 - 20000, 1, &e) != 0)
                CHECK(!"sql_query_advance failed");
            if (q->all.ngroups > max_table)
                max_table = q->all.ngroups;
        }
    }
    CHECK(sql_query_advance(q, INT64_MAX / 2, 1, &e) == 0);
    CHECK_INT(emitted, KEYS); /* one session per key, each emitted once */
    CHECK_INT(sql_query_open_groups(q), 0);
    if (!CHECK(max_table < 8192))
        fprintf(stderr, "  the key table grew to %d entries\n", max_table);
    sql_query_free(q);
    sql_script_free(s);
}

TEST_MAIN("test_memory", test_session_keys)
