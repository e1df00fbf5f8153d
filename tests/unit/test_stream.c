/* test_stream.c - continuous queries: the incremental engine against the
 * batch engine on the same events (one semantics), late events, the
 * open-group limit, EMIT CHANGES, scripts and their errors, and the
 * processor's partition state surviving crashes at random points with
 * exactly the outputs of an uninterrupted run. */
#include "pstate.h"
#include "rf_time.h"
#include "sql.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- seeded events ------------------------------------------------------------ */

#define MAXEV 6000
static char *events[MAXEV];
static int64_t times[MAXEV]; /* each event's StatusTime */
static int nevents;

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* n events of `unicorns` unicorns, one a second each, shuffled by up to
 * `disorder_ms`; every 97th event is not JSON (a dead letter). */
static void make_events(int n, int unicorns, int64_t disorder_ms)
{
    for (int i = 0; i < nevents; i++)
        free(events[i]);
    nevents = 0;
    int64_t t0 = 1795000000000LL; /* 2026-11-18 */
    for (int i = 0; i < n; i++) {
        char ts[32];
        int64_t t = t0 + (int64_t)(i / unicorns) * 1000 + (int64_t)(next_rand() % 1000);
        if (disorder_ms)
            t -= (int64_t)(next_rand() % (uint64_t)disorder_ms);
        rf_time_format(t, ts);
        times[nevents] = t;
        char buf[512];
        if (i % 97 == 96)
            snprintf(buf, sizeof buf, "not json %d", i);
        else
            snprintf(buf, sizeof buf,
                     "{\"Name\":\"u%d\",\"StatusTime\":\"%s\",\"Latitude\":40.7,\"Longitude\":-73.9,"
                     "\"Distance\":%.1f,\"MagicPoints\":%d,\"HealthPoints\":%d}",
                     i % unicorns, ts, 29.0 + (double)(next_rand() % 21) / 10, 100 + (int)(next_rand() % 60),
                     90 + (int)(next_rand() % 70));
        events[nevents++] = strdup(buf);
    }
}

/* ---- collecting outputs --------------------------------------------------------- */

struct outs {
    char **v;
    int n, cap;
    int late_offsets[MAXEV]; /* per event: 1 if late for stream 0 */
};

static void push(struct outs *o, const char *s)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->v = realloc(o->v, sizeof *o->v * (size_t)o->cap);
    }
    o->v[o->n++] = strdup(s);
}

static void truncate_outs(struct outs *o, int n)
{
    while (o->n > n)
        free(o->v[--o->n]);
}

static void free_outs(struct outs *o)
{
    truncate_outs(o, 0);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static int on_result(void *arg, int stream, const char *key, size_t keylen, const char *json, size_t len,
                     int64_t ws, int64_t we)
{
    char b[2048];
    snprintf(b, sizeof b, "R%d|%.*s|%lld|%lld|%.*s", stream, (int)keylen, key ? key : "", (long long)ws,
             (long long)we, (int)len, json);
    push(arg, b);
    return 0;
}

static int on_late(void *arg, int stream, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t ws, int64_t we)
{
    (void)key, (void)keylen, (void)payload, (void)len;
    char b[256];
    snprintf(b, sizeof b, "L%d|%lld|%lld|%lld", stream, (long long)offset, (long long)ws, (long long)we);
    push(arg, b);
    if (stream == 0 && offset < MAXEV)
        ((struct outs *)arg)->late_offsets[offset] = 1;
    return 0;
}

static int on_dead(void *arg, int64_t offset, const char *key, size_t keylen, const char *payload, size_t len,
                   const char *stage, int stream, const char *reason)
{
    (void)key, (void)keylen, (void)payload, (void)len;
    char b[512];
    snprintf(b, sizeof b, "D|%lld|%s|%d|%s", (long long)offset, stage, stream, reason);
    push(arg, b);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int same_outputs(struct outs *a, struct outs *b)
{
    if (a->n != b->n) {
        fprintf(stderr, "  %d outputs vs %d\n", a->n, b->n);
        return 0;
    }
    qsort(a->v, (size_t)a->n, sizeof *a->v, cmp_str);
    qsort(b->v, (size_t)b->n, sizeof *b->v, cmp_str);
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0) {
            fprintf(stderr, "  differ: %s\n     vs: %s\n", a->v[i], b->v[i]);
            return 0;
        }
    return 1;
}

/* Run every event through one partition state; then close everything (the
 * partition goes idle). */
static const char *const *merged_inputs; /* set: the state is a merged partition of topic "rp" */

static struct pstate *new_state(const struct sql_script *s, struct outs *o, int64_t committed, const char *meta,
                                int64_t max_groups)
{
    struct pstate_conf conf = {.script = s, .topic = merged_inputs ? "rp" : "wildrydes", .partition = 0,
                               .idle_ms = 1000, .max_groups = max_groups, .inputs = merged_inputs};
    struct pstate_sink sink = {o, on_result, on_late, on_dead};
    const char *warning;
    char err[256];
    struct pstate *ps = pstate_new(&conf, &sink, committed, meta, &warning, err, sizeof err);
    if (!ps)
        fprintf(stderr, "pstate_new: %s\n", err);
    return ps;
}

static void finish(struct pstate *ps)
{
    char err[256];
    CHECK(pstate_caught_up(ps, nevents, err, sizeof err) == 0);
    CHECK(pstate_tick(ps, (int64_t)1 << 50, err, sizeof err) == 0);
}

static int run_all(const struct sql_script *s, struct outs *o, int64_t max_groups)
{
    struct pstate *ps = new_state(s, o, -1, NULL, max_groups);
    if (!ps)
        return -1;
    char err[256];
    for (int i = 0; i < nevents; i++)
        if (pstate_message(ps, i, "k", 1, events[i], strlen(events[i]), -1, i, err, sizeof err) < 0) {
            fprintf(stderr, "pstate_message: %s\n", err);
            pstate_free(ps);
            return -1;
        }
    finish(ps);
    pstate_free(ps);
    return 0;
}

/* ---- batch evaluation of the same SELECT ---------------------------------------- */

static const struct sql_schema *lookup(const char *name)
{
    return !name || strcasecmp(name, "wildrydes") == 0 ? sql_schema_wildrydes() : NULL;
}

struct batch_out {
    struct outs *o;
    struct sql_query *q;
};

static int batch_row(void *arg, const struct sql_value *v, int n)
{
    struct batch_out *b = arg;
    char buf[2048];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    const char *names[64];
    for (int i = 0; i < n; i++)
        names[i] = sql_query_result_name(b->q, i);
    sql_row_write_json(f, names, v, n);
    fputc('\0', f);
    fclose(f);
    char line[2100];
    snprintf(line, sizeof line, "%s", buf);
    push(b->o, line);
    return 0;
}

/* The batch result of select over the events, leaving out those marked late. */
static int run_batch(const char *select, const int *late, struct outs *o)
{
    struct sql_error err;
    struct sql_query *q = sql_query_compile(select, lookup, &err);
    if (!q) {
        fprintf(stderr, "batch compile: %s\n", err.msg);
        return -1;
    }
    struct batch_out b = {o, q};
    sql_query_set_output(q, batch_row, &b);
    for (int i = 0; i < nevents; i++) {
        if (late && late[i])
            continue;
        struct sql_value row[64];
        struct sql_row_source src;
        char reason[256];
        if (sql_row_from_json(sql_query_columns(q), sql_query_ncolumns(q), sql_query_schema(q), events[i],
                              strlen(events[i]), row, &src, reason, sizeof reason) == 0)
            sql_query_add(q, row, &err);
        sql_row_release(&src);
    }
    int rc = sql_query_finish(q, &err);
    sql_query_free(q);
    return rc;
}

/* The JSON part of the stream's result strings, for comparing with batch. */
static void results_json(const struct outs *in, struct outs *out)
{
    for (int i = 0; i < in->n; i++)
        if (in->v[i][0] == 'R') {
            const char *p = in->v[i];
            for (int bars = 0; bars < 4; p++)
                bars += *p == '|';
            push(out, p);
        }
}

#define KDA_WORKSHOP                                                                                          \
    "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (\n  \"Name\" VARCHAR(16),\n  \"StatusTime\" TIMESTAMP,\n" \
    "  \"Distance\" SMALLINT,\n  \"MinMagicPoints\" SMALLINT,\n  \"MaxMagicPoints\" SMALLINT,\n"                   \
    "  \"MinHealthPoints\" SMALLINT,\n  \"MaxHealthPoints\" SMALLINT\n);\n"                                        \
    "CREATE OR REPLACE PUMP \"STREAM_PUMP\" AS\n  INSERT INTO \"DESTINATION_SQL_STREAM\"\n"                       \
    "    SELECT STREAM \"Name\", \"ROWTIME\", SUM(\"Distance\"), MIN(\"MagicPoints\"),\n"                          \
    "                  MAX(\"MagicPoints\"), MIN(\"HealthPoints\"), MAX(\"HealthPoints\")\n"                      \
    "    FROM \"SOURCE_SQL_STREAM_001\"\n"                                                                          \
    "    GROUP BY FLOOR(\"SOURCE_SQL_STREAM_001\".\"ROWTIME\" TO MINUTE), \"Name\";\n"

static const struct {
    const char *select; /* the query; the stream is CREATE STREAM s AS <select> */
    int64_t disorder_ms;
    int expect_late;
    const char *script; /* or this script, whose results must equal the batch <select>'s */
} equivalence[] = {
    /* The workshop's Kinesis Analytics application as AWS printed it: ROWTIME
     * is the window's end, SUM(Distance) rounded into a SMALLINT. */
    {"SELECT Name, WINDOW_END AS StatusTime, CAST(ROUND(SUM(Distance)) AS INT) AS Distance, MIN(MagicPoints) AS "
     "MinMagicPoints, MAX(MagicPoints) AS MaxMagicPoints, MIN(HealthPoints) AS MinHealthPoints, MAX(HealthPoints) "
     "AS MaxHealthPoints FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name",
     4000, 1, KDA_WORKSHOP},
    /* STEP, an INSERT column list (the rest NULL), WHERE, names folded to upper case */
    {"SELECT Name AS NAME, WINDOW_START AS W, NULL AS UNUSED, COUNT(*) AS N FROM wildrydes "
     "WINDOW TUMBLING (SIZE 20 SECONDS) WHERE HealthPoints > 100 GROUP BY Name",
     3000, 1,
     "CREATE OR REPLACE STREAM out_s (name VARCHAR(8), w TIMESTAMP, unused INTEGER, n BIGINT);\n"
     "CREATE OR REPLACE PUMP p AS INSERT INTO out_s (name, n, w) SELECT STREAM s.\"Name\", COUNT(*), "
     "STEP(s.ROWTIME BY INTERVAL '20' SECOND) FROM SOURCE_SQL_STREAM_001 AS s WHERE \"HealthPoints\" > 100 "
     "GROUP BY s.\"Name\", STEP(s.ROWTIME BY INTERVAL '20' SECOND);"},
    {"SELECT Name, WINDOW_START AS StatusTime, SUM(Distance) AS Distance, MIN(MagicPoints) AS MinMagicPoints, "
     "MAX(MagicPoints) AS MaxMagicPoints, MIN(HealthPoints) AS MinHealthPoints, MAX(HealthPoints) AS "
     "MaxHealthPoints FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name",
     4000, 1},
    {"SELECT Name, WINDOW_START, COUNT(*) AS n, AVG(HealthPoints) AS h FROM wildrydes "
     "WINDOW TUMBLING (SIZE 30 SECONDS, GRACE 5 SECONDS) GROUP BY Name",
     4000, 0},
    {"SELECT Name, WINDOW_START, WINDOW_END, COUNT(*) AS n, MIN(HealthPoints) AS low FROM wildrydes "
     "WINDOW HOPPING (SIZE 2 MINUTES, ADVANCE BY 30 SECONDS, GRACE 10 SECONDS) GROUP BY Name HAVING MIN(HealthPoints) < 100",
     3000, 0},
    {"SELECT Name, WINDOW_START, WINDOW_END, COUNT(*) AS n, SUM(Distance) AS d, FIRST(HealthPoints) AS f, "
     "LAST(HealthPoints) AS l FROM wildrydes WINDOW SESSION (2 SECONDS) WHERE HealthPoints > 120 GROUP BY Name",
     2500, 1},
    {"SELECT FLOOR(StatusTime TO MINUTE) AS StatusTime, Name, COUNT(*) AS n, MEDIAN(Distance) AS med FROM wildrydes "
     "GROUP BY FLOOR(StatusTime TO MINUTE), Name",
     0, 0},
};

/* 1. The incremental engine gives the batch engine's rows over the events that were not late. */
static void test_equivalence(void)
{
    for (size_t t = 0; t < sizeof equivalence / sizeof *equivalence; t++) {
        make_events(4000, 7, equivalence[t].disorder_ms);
        char script[2048];
        snprintf(script, sizeof script, "CREATE STREAM s AS %s;", equivalence[t].select);
        if (equivalence[t].script)
            snprintf(script, sizeof script, "%s", equivalence[t].script);
        struct sql_error err;
        struct sql_script *s = sql_script_parse(script, &err);
        if (!CHECK(s != NULL)) {
            fprintf(stderr, "case %zu: %d:%d %s\n", t, err.line, err.col, err.msg);
            continue;
        }
        struct outs o = {0}, stream = {0}, batch = {0};
        CHECK(run_all(s, &o, 0) == 0);
        int late = 0, dead = 0;
        for (int i = 0; i < o.n; i++) {
            late += o.v[i][0] == 'L';
            dead += o.v[i][0] == 'D';
        }
        CHECK_INT(dead, 4000 / 97);
        if (equivalence[t].expect_late)
            CHECK(late > 0);
        else
            CHECK_INT(late, 0);
        results_json(&o, &stream);
        CHECK(stream.n > 10);
        CHECK(run_batch(equivalence[t].select, o.late_offsets, &batch) == 0);
        if (!CHECK(same_outputs(&stream, &batch)))
            fprintf(stderr, "case %zu\n", t);
        free_outs(&o);
        free_outs(&stream);
        free_outs(&batch);
        sql_script_free(s);
    }
}

/* 2. Crash anywhere, resume from the last commit: the outputs (results,
 *    late events, dead letters) are exactly those of an uninterrupted run. */
static void test_replay(void)
{
    static const char *script =
        "CREATE STREAM summary WITH (topic='wildrydes-summary') AS SELECT Name, WINDOW_START AS StatusTime, "
        "SUM(Distance) AS Distance, MIN(HealthPoints) AS MinHealthPoints FROM wildrydes "
        "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name EMIT FINAL;\n"
        "CREATE STREAM low_health AS SELECT Name, WINDOW_START, MIN(HealthPoints) AS low FROM wildrydes "
        "WINDOW HOPPING (SIZE 5 MINUTES, ADVANCE BY 1 MINUTE, GRACE 2 SECONDS) GROUP BY Name HAVING MIN(HealthPoints) < 100;\n"
        "CREATE STREAM rides AS SELECT Name, WINDOW_START, WINDOW_END, COUNT(*) AS n FROM wildrydes "
        "WINDOW SESSION (1 SECOND) GROUP BY Name;\n"
        "CREATE STREAM live AS SELECT Name, WINDOW_START, COUNT(*) AS n FROM wildrydes "
        "WINDOW TUMBLING (SIZE 20 SECONDS) GROUP BY Name EMIT CHANGES;\n"
        "CREATE STREAM alerts AS SELECT Name, StatusTime, HealthPoints FROM wildrydes WHERE HealthPoints < 95;\n";
    struct sql_error serr;
    struct sql_script *s = sql_script_parse(script, &serr);
    if (!CHECK(s != NULL)) {
        fprintf(stderr, "%d:%d %s\n", serr.line, serr.col, serr.msg);
        return;
    }
    make_events(5000, 5, 3000);
    struct outs ref = {0};
    CHECK(run_all(s, &ref, 0) == 0);
    for (int trial = 0; trial < 20; trial++) {
        struct outs o = {0};
        int64_t off = -1;
        char meta[512] = "";
        int committed_outs = 0, crashes = 0;
        struct pstate *ps = new_state(s, &o, off, meta, 0);
        int64_t i = 0;
        char err[256];
        while (ps && i < nevents) {
            if (pstate_message(ps, i, "k", 1, events[i], strlen(events[i]), -1, i, err, sizeof err) < 0) {
                CHECK(!"pstate_message failed");
                break;
            }
            i++;
            if (next_rand() % 50 == 0) { /* commit: EMIT CHANGES rows, then the point */
                CHECK(pstate_flush_changes(ps, err, sizeof err) == 0);
                pstate_commit_point(ps, &off, meta, sizeof meta);
                committed_outs = o.n;
            }
            if (next_rand() % 400 == 0) { /* crash: uncommitted outputs are aborted */
                truncate_outs(&o, committed_outs);
                pstate_free(ps);
                ps = new_state(s, &o, off, meta, 0);
                i = off < 0 ? 0 : off;
                crashes++;
            }
        }
        if (ps) {
            CHECK(pstate_flush_changes(ps, err, sizeof err) == 0);
            finish(ps);
            pstate_free(ps);
        }
        CHECK(crashes > 0);
        /* EMIT CHANGES rows may repeat (an update output again after a
         * crash) but the latest per window is the same; compare the rest
         * exactly, and the changes by their last value. */
        struct outs a = {0}, b = {0};
        for (int k = 0; k < ref.n; k++)
            if (strncmp(ref.v[k], "R3|", 3) != 0)
                push(&a, ref.v[k]);
        for (int k = 0; k < o.n; k++)
            if (strncmp(o.v[k], "R3|", 3) != 0)
                push(&b, o.v[k]);
        if (!CHECK(same_outputs(&a, &b)))
            fprintf(stderr, "trial %d (%d crashes)\n", trial, crashes);
        free_outs(&a);
        free_outs(&b);
        free_outs(&o);
    }
    free_outs(&ref);
    sql_script_free(s);
}

/* 3. The open-group limit refuses new groups and dead-letters their events. */
static void test_group_limit(void)
{
    struct sql_error err;
    struct sql_script *s = sql_script_parse(
        "CREATE STREAM s AS SELECT Name, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;",
        &err);
    CHECK(s != NULL);
    make_events(1000, 10, 0);
    struct outs o = {0};
    CHECK(run_all(s, &o, 4) == 0);
    int limited = 0;
    for (int i = 0; i < o.n; i++)
        limited += strstr(o.v[i], "open-group limit (4) reached") != NULL;
    CHECK(limited > 0);
    /* never more than 4 unicorns in a window: count results per window start */
    int most = 0;
    for (int i = 0; i < o.n; i++) {
        if (o.v[i][0] != 'R')
            continue;
        const char *w = strchr(strchr(o.v[i], '|') + 1, '|');
        int same = 0;
        for (int k = 0; k < o.n; k++)
            same += o.v[k][0] == 'R' && strncmp(strchr(strchr(o.v[k], '|') + 1, '|'), w, 15) == 0;
        most = same > most ? same : most;
    }
    CHECK_INT(most, 4);
    free_outs(&o);
    sql_script_free(s);
}

/* 4. Script errors: line:column and message. */
static const struct {
    const char *script;
    int line, col;
    const char *msg;
} script_errors[] = {
    {"", 1, 1, "no CREATE STREAM ... AS SELECT statement in the script"},
    {"CREATE TABLE t AS SELECT 1;", 1, 8, "expected STREAM after CREATE, found 'TABLE'"},
    {"CREATE STREAM s AS SELECT Name, COUNT(*) FROM wildrydes GROUP BY Name;", 1, 66,
     "a continuous aggregate needs a WINDOW"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes ORDER BY Name;", 1, 56, "ORDER BY is not supported in a continuous query"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes LIMIT 3;", 1, 53, "LIMIT is not supported"},
    {"CREATE STREAM s AS SELECT COUNT(*) FROM wildrydes WINDOW SESSION (1 MINUTE);", 1, 58,
     "a SESSION window must GROUP BY the source's key column \"Name\": sessions are not computed over repartitioned"},
    {"CREATE STREAM s AS SELECT Name, COUNT(*) FROM wildrydes WINDOW SESSION (5 SECONDS) GROUP BY Name EMIT CHANGES;",
     1, 98, "EMIT CHANGES cannot be combined with SESSION windows"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes EMIT FINAL;", 1, 47, "EMIT FINAL needs a windowed aggregate"},
    {"CREATE STREAM s AS SELECT Name FROM nowhere;", 1, 37, "unknown source 'nowhere'"},
    {"CREATE STREAM s AS SELECT Nmae FROM wildrydes;", 1, 27, "unknown column 'Nmae'"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes;\nCREATE STREAM s AS SELECT Name FROM wildrydes;", 2, 15,
     "stream 's' is defined twice"},
    {"CREATE STREAM s WITH (topic='wildrydes') AS SELECT Name FROM wildrydes;", 1, 15,
     "would write to its own source topic"},
    {"CREATE STREAM s WITH (key='nope') AS SELECT Name FROM wildrydes;", 1, 27, "key 'nope' is not a column"},
    {"CREATE STREAM s WITH (colour='red') AS SELECT Name FROM wildrydes;", 1, 23, "unknown property 'colour'"},
    {"CREATE STREAM s WITH (topic='x', value_format='avro') AS SELECT Name FROM wildrydes;", 1, 47,
     "value_format 'avro' is not supported"},
    {"CREATE STREAM src (id STRING, t TIMESTAMP) WITH (key='idx');", 1, 54, "key column 'idx' is not among"},
    {"CREATE STREAM src (id STRING, t STRING) WITH (timestamp='t');", 1, 57, "timestamp column 't' must be"},
    {"CREATE STREAM src (id STRING, id INT);", 1, 31, "column 'id' is declared twice"},
    {"CREATE STREAM src (id BLOB);", 1, 23, "expected a column type"},
    {"CREATE STREAM src (id STRING, t TIMESTAMP) WITH (topic='in');\nCREATE STREAM s AS SELECT id, COUNT(*) FROM src "
     "WINDOW SESSION (1 MINUTE) GROUP BY id;",
     2, 84, "a SESSION window must GROUP BY the source's key column: sessions"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes\nWHERE HealthPoints < 'x';", 2, 7, "type mismatch"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes EMIT SOMETIMES;", 1, 52, "expected FINAL or CHANGES after EMIT"},
    {"CREATE STREAM s AS SELECT Name, PERCENTILE(Distance, 2) FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;",
     1, 54, "constant fraction between 0 and 1"},
};

static void test_script_errors(void)
{
    for (size_t i = 0; i < sizeof script_errors / sizeof *script_errors; i++) {
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse(script_errors[i].script, &err);
        CHECK(s == NULL);
        sql_script_free(s);
        if (!CHECK(err.line == script_errors[i].line && err.col == script_errors[i].col &&
                   strstr(err.msg, script_errors[i].msg) != NULL))
            fprintf(stderr, "  script %zu: got %d:%d %s\n", i, err.line, err.col, err.msg);
    }
}

/* 5. A script: sources, topics, keys, EMIT modes. */
static void test_script(void)
{
    struct sql_error err;
    struct sql_script *s = sql_script_parse(
        "-- sensors\nCREATE STREAM sensors (id STRING, at TIMESTAMP, temp DOUBLE) WITH (topic='raw-sensors', key='id', "
        "timestamp='at');\n"
        "CREATE STREAM hot WITH (topic='hot-sensors') AS SELECT id, WINDOW_START AS w, MAX(temp) AS t FROM sensors "
        "WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id EMIT CHANGES;\n"
        "CREATE STREAM summary AS SELECT Name, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name",
        &err);
    if (!CHECK(s != NULL)) {
        fprintf(stderr, "%d:%d %s\n", err.line, err.col, err.msg);
        return;
    }
    CHECK_INT(sql_script_nstreams(s), 2);
    const struct sql_stream_def *d = sql_script_stream(s, 0);
    CHECK_STR(d->name, "hot");
    CHECK_STR(d->topic, "hot-sensors");
    CHECK_STR(d->key, "id");
    CHECK_STR(d->source_topic, "raw-sensors");
    CHECK_INT(d->emit_final, 0);
    d = sql_script_stream(s, 1);
    CHECK_STR(d->topic, "summary");
    CHECK_STR(d->key, "Name");
    CHECK_STR(d->source_topic, "wildrydes");
    CHECK_INT(d->emit_final, 1);
    CHECK(sql_script_source_schema(s, "raw-sensors") != NULL);
    CHECK(sql_script_source_schema(s, "wildrydes") == sql_schema_wildrydes());
    sql_script_free(s);
}

/* 6. Repartitioning: which streams need it, and the key each event travels
 * under (the GROUP BY values other than the window; WHERE filters first). */
static const struct {
    const char *query; /* the stream's SELECT */
    int repartition;
    const char *event; /* HealthPoints and MagicPoints vary */
    int rc;
    const char *key;
} partition_keys[] = {
    {"SELECT WINDOW_START AS m, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE)", 1,
     "\"MagicPoints\":7,\"HealthPoints\":120", 1, ""},
    {"SELECT FLOOR(StatusTime TO MINUTE) AS m, SUM(Distance) AS d FROM wildrydes GROUP BY FLOOR(StatusTime TO MINUTE)", 1,
     "\"MagicPoints\":7,\"HealthPoints\":120", 1, ""},
    {"SELECT MagicPoints, COUNT(*) AS n FROM wildrydes WHERE HealthPoints > 100 GROUP BY FLOOR(StatusTime TO MINUTE), "
     "MagicPoints", 1, "\"MagicPoints\":7,\"HealthPoints\":120", 1, "7"},
    {"SELECT MagicPoints, COUNT(*) AS n FROM wildrydes WHERE HealthPoints > 100 GROUP BY FLOOR(StatusTime TO MINUTE), "
     "MagicPoints", 1, "\"MagicPoints\":7,\"HealthPoints\":90", 0, NULL},
    {"SELECT COUNT(*) AS n FROM wildrydes WINDOW HOPPING (SIZE 2 MINUTES, ADVANCE BY 1 MINUTE) "
     "GROUP BY MagicPoints, HealthPoints / 50", 1, "\"MagicPoints\":7,\"HealthPoints\":120", 1, "7\x1f" "2.4"},
    {"SELECT Name, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name", 0,
     "\"MagicPoints\":7,\"HealthPoints\":120", 1, "Unicorn-3"},
};

static void test_repartition(void)
{
    for (size_t i = 0; i < sizeof partition_keys / sizeof *partition_keys; i++) {
        char script[1024], json[512], key[64], reason[128];
        snprintf(script, sizeof script, "CREATE STREAM s AS %s;", partition_keys[i].query);
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse(script, &err);
        if (!CHECK(s != NULL)) {
            fprintf(stderr, "  case %zu: %d:%d %s\n", i, err.line, err.col, err.msg);
            continue;
        }
        struct sql_query *q = sql_script_instance(s, 0, &err);
        CHECK_INT(sql_script_stream(s, 0)->repartition, partition_keys[i].repartition);
        CHECK_INT(sql_query_repartitions(q), partition_keys[i].repartition);
        snprintf(json, sizeof json,
                 "{\"Name\":\"Unicorn-3\",\"StatusTime\":\"2026-11-22 07:00:01.000\",\"Latitude\":40.7,"
                 "\"Longitude\":-73.9,\"Distance\":3.5,%s}",
                 partition_keys[i].event);
        struct sql_value row[64];
        struct sql_row_source src;
        CHECK_INT(sql_row_from_json(sql_query_columns(q), sql_query_ncolumns(q), sql_schema_wildrydes(), json,
                                    strlen(json), row, &src, reason, sizeof reason),
                  0);
        size_t n = 0;
        int rc = sql_query_partition_key(q, row, key, sizeof key, &n, &err);
        sql_row_release(&src);
        if (!CHECK(rc == partition_keys[i].rc))
            fprintf(stderr, "  case %zu: %d, %s\n", i, rc, err.msg);
        if (rc == 1 && !CHECK(n == strlen(partition_keys[i].key) && memcmp(key, partition_keys[i].key, n) == 0))
            fprintf(stderr, "  case %zu: key '%.*s'\n", i, (int)n, key);
        sql_query_free(q);
        sql_script_free(s);
    }
}

/* 7. A merged partition (a repartitioned stream's internal topic): the
 * events of three source partitions that drift apart by up to a minute,
 * interleaved, each record carrying its source's high mark, with markers
 * between. Late is judged against the slowest source; crash anywhere and
 * resume from the last commit: exactly the outputs of an uninterrupted run. */
#define NMERGED (MAXEV + MAXEV / 4)
static struct merged_rec {
    int ev; /* index into events, or -1: a marker */
    struct pstate_origin o;
} merged[NMERGED];
static int nmerged;

static void make_merged(void)
{
    int next[3] = {0, 1, 2};
    int64_t high[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
    nmerged = 0;
    while (nmerged < NMERGED - 1) {
        /* source 0 runs ahead in bursts; the others catch up */
        int j = (int)(next_rand() % 8);
        j = j < 4 ? 0 : j < 6 ? 1 : 2;
        if (next[j] >= nevents)
            j = next[0] < nevents ? 0 : next[1] < nevents ? 1 : 2;
        if (next[j] >= nevents)
            break;
        int marker = next_rand() % 10 == 0 && high[j] != INT64_MIN;
        struct merged_rec *r = &merged[nmerged++];
        r->ev = marker ? -1 : next[j];
        if (!marker) {
            if (events[next[j]][0] == '{' && times[next[j]] > high[j])
                high[j] = times[next[j]];
            next[j] += 3;
        }
        r->o = (struct pstate_origin){.partition = j, .partitions = 3, .base = high[j], .idle = high[j] == INT64_MIN};
    }
}

static int feed_merged(struct pstate *ps, int i, char *err, size_t errlen)
{
    const struct merged_rec *r = &merged[i];
    const char *p = r->ev < 0 ? NULL : events[r->ev];
    return pstate_merged_message(ps, i, &r->o, NULL, 0, p, p ? strlen(p) : 0, i, err, errlen);
}

static const char *const merged_scripts[] = {
    /* alone, a tumbling window often holds few events at a commit: replay
     * is short and must start from the sources as they were */
    "CREATE STREAM fleet AS SELECT WINDOW_START AS m, COUNT(*) AS n, SUM(Distance) AS d FROM wildrydes "
    "WINDOW TUMBLING (SIZE 1 MINUTE);",
    "CREATE STREAM fleet AS SELECT WINDOW_START AS m, COUNT(*) AS n, SUM(Distance) AS d FROM wildrydes "
    "WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 2 SECONDS);\n"
    "CREATE STREAM bands AS SELECT WINDOW_START AS w, MIN(HealthPoints) AS low, COUNT(*) AS n FROM wildrydes "
    "WINDOW HOPPING (SIZE 2 MINUTES, ADVANCE BY 30 SECONDS) GROUP BY MagicPoints / 20;",
};

static void merged_replay(const char *script)
{
    static const char *const inputs[] = {"rp", "rp"};
    struct sql_error serr;
    struct sql_script *s = sql_script_parse(script, &serr);
    if (!CHECK(s != NULL)) {
        fprintf(stderr, "%d:%d %s\n", serr.line, serr.col, serr.msg);
        return;
    }
    make_events(5000, 5, 3000);
    make_merged();
    merged_inputs = inputs;
    char err[256];
    struct outs ref = {0};
    struct pstate *ps = new_state(s, &ref, -1, NULL, 0);
    CHECK(ps && pstate_merged(ps));
    for (int i = 0; ps && i < nmerged; i++)
        if (feed_merged(ps, i, err, sizeof err) < 0) {
            CHECK(!"pstate_merged_message failed");
            break;
        }
    if (ps) {
        finish(ps);
        pstate_free(ps);
    }
    int results = 0, late = 0, dead = 0;
    for (int k = 0; k < ref.n; k++) {
        results += ref.v[k][0] == 'R';
        late += ref.v[k][0] == 'L';
        dead += ref.v[k][0] == 'D';
    }
    CHECK(results > 15);
    CHECK(late > 0);
    CHECK_INT(dead, 5000 / 97);
    for (int trial = 0; trial < 10; trial++) {
        struct outs o = {0};
        int64_t off = -1;
        char meta[1024] = "";
        int committed_outs = 0, crashes = 0;
        ps = new_state(s, &o, off, meta, 0);
        int64_t i = 0;
        while (ps && i < nmerged) {
            if (feed_merged(ps, (int)i, err, sizeof err) < 0) {
                CHECK(!"pstate_merged_message failed");
                break;
            }
            i++;
            if (next_rand() % 50 == 0) {
                pstate_commit_point(ps, &off, meta, sizeof meta);
                committed_outs = o.n;
            }
            /* a crash now and then (a bounded number: while one source is far
             * ahead, windows stay open long and replay goes back far) */
            if (crashes < 6 && next_rand() % 300 == 0) {
                truncate_outs(&o, committed_outs);
                pstate_free(ps);
                ps = new_state(s, &o, off, meta, 0);
                i = off < 0 ? 0 : off;
                crashes++;
            }
        }
        if (ps) {
            finish(ps);
            pstate_free(ps);
        }
        CHECK(crashes > 0);
        if (!CHECK(same_outputs(&ref, &o)))
            fprintf(stderr, "merged trial %d (%d crashes), last meta %s\n", trial, crashes, meta);
        free_outs(&o);
    }
    merged_inputs = NULL;
    free_outs(&ref);
    sql_script_free(s);
}

/* A merged partition's log written out by hand: source B runs far ahead,
 * and a commit can fall where the replay range holds nothing from B. Resume
 * from a commit after every record in turn: the outputs must be the
 * uninterrupted run's (window [60 s, 120 s) closes at record 5, so the
 * event at 100 s is late, in both). */
static const struct {
    int src;      /* 0 = A, 1 = B */
    int64_t base; /* the source's high mark, seconds */
    int64_t t;    /* the event's time in seconds, or -1: a marker */
} hand_log[] = {
    {0, 0, 0}, {1, 0, 0}, {1, 200, -1}, {0, 61, 61}, {0, 62, 62}, {0, 121, 121}, {0, 121, 100}, {1, 300, -1},
    {0, 300, 300}, {1, 400, -1},
};
#define NHAND ((int)(sizeof hand_log / sizeof *hand_log))

static int feed_hand(struct pstate *ps, int i, char *err, size_t errlen)
{
    const int64_t t0 = 1795000020000LL; /* a minute boundary */
    char ev[512] = "", ts[32];
    if (hand_log[i].t >= 0) {
        rf_time_format(t0 + hand_log[i].t * 1000, ts);
        snprintf(ev, sizeof ev,
                 "{\"Name\":\"u%d\",\"StatusTime\":\"%s\",\"Latitude\":40.7,\"Longitude\":-73.9,\"Distance\":1,"
                 "\"MagicPoints\":1,\"HealthPoints\":1}",
                 i, ts);
    }
    struct pstate_origin o = {.partition = hand_log[i].src, .partitions = 2, .base = t0 + hand_log[i].base * 1000};
    return pstate_merged_message(ps, i, &o, NULL, 0, ev, strlen(ev), i, err, errlen);
}

static void test_merged_commit_anywhere(void)
{
    static const char *const inputs[] = {"rp"};
    struct sql_error serr;
    struct sql_script *s = sql_script_parse(
        "CREATE STREAM fleet AS SELECT WINDOW_START AS m, COUNT(*) AS n FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE);",
        &serr);
    if (!CHECK(s != NULL))
        return;
    merged_inputs = inputs;
    char err[256];
    struct outs ref = {0};
    struct pstate *ps = new_state(s, &ref, -1, NULL, 0);
    for (int i = 0; ps && i < NHAND; i++)
        CHECK(feed_hand(ps, i, err, sizeof err) == 0);
    pstate_free(ps);
    int late = 0;
    for (int k = 0; k < ref.n; k++)
        late += ref.v[k][0] == 'L';
    CHECK_INT(late, 1);
    for (int c = 1; c < NHAND; c++) {
        struct outs o = {0};
        int64_t off = -1;
        char meta[1024] = "";
        int committed = 0;
        ps = new_state(s, &o, -1, NULL, 0);
        for (int i = 0; ps && i < NHAND; i++) {
            CHECK(feed_hand(ps, i, err, sizeof err) == 0);
            if (i + 1 == c) {
                pstate_commit_point(ps, &off, meta, sizeof meta);
                committed = o.n;
            }
        }
        pstate_free(ps); /* crashed at the end: what came after the commit is aborted */
        truncate_outs(&o, committed);
        ps = new_state(s, &o, off, meta, 0); /* crashed after c: resume */
        for (int64_t i = off < 0 ? 0 : off; ps && i < NHAND; i++)
            CHECK(feed_hand(ps, (int)i, err, sizeof err) == 0);
        pstate_free(ps);
        if (!CHECK(same_outputs(&ref, &o)))
            fprintf(stderr, "  commit after record %d (meta %s)\n", c - 1, meta);
        free_outs(&o);
    }
    merged_inputs = NULL;
    free_outs(&ref);
    sql_script_free(s);
}

static void test_merged_replay(void)
{
    for (size_t i = 0; i < sizeof merged_scripts / sizeof *merged_scripts; i++)
        merged_replay(merged_scripts[i]);
}

/* The origin header of the internal topics' records: written and read
 * back exactly; anything not of that form refused. */
static void test_origin_text(void)
{
    static const struct pstate_origin good[] = {
        {0, 4, 1764547200000LL, 0}, {3, 4, 0, 1}, {7, 12, -5, 0}, {0, 1, INT64_MAX, 0}, {0, 1, INT64_MIN, 0},
        {INT32_MAX, INT32_MAX, 1, 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char text[PSTATE_ORIGIN_TEXT];
        struct pstate_origin o;
        pstate_origin_text(&good[i], text);
        CHECK(pstate_origin_parse(text, strlen(text), &o) == 0 && o.partition == good[i].partition &&
              o.partitions == good[i].partitions && o.idle == good[i].idle && (o.idle || o.base == good[i].base));
    }
    char text[PSTATE_ORIGIN_TEXT];
    pstate_origin_text(&good[0], text);
    CHECK_STR(text, "0 4 1764547200000");
    pstate_origin_text(&good[1], text);
    CHECK_STR(text, "3 4 idle");
    static const char *const bad[] = {
        "", "1", "1 2", "1 2 ", "1 2 x", "1 2 3 ", "1 2 3 4", "-1 2 3", "1 -2 3", "1 2 idle ", "1 2 idl", "a 2 3",
        "1  2 3", " 1 2 3", "1 2 +3", "1 2 99999999999999999999", "1 2 9223372036854775808", "2147483648 2 3",
        "1 2 3x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct pstate_origin o;
        if (!CHECK(pstate_origin_parse(bad[i], strlen(bad[i]), &o) < 0))
            fprintf(stderr, "  accepted: '%s'\n", bad[i]);
    }
}

TEST_MAIN("test_stream", test_origin_text, test_equivalence, test_replay, test_group_limit, test_script_errors, test_script,
          test_repartition, test_merged_replay, test_merged_commit_anywhere)
