/* test_query.c - SELECT over a small table: projections, WHERE, GROUP BY
 * with every aggregate, HAVING, ORDER BY (alias, position, expression),
 * DISTINCT, LIMIT, and the errors a query can get. */
#include "rf_event.h"
#include "rf_time.h"
#include "sql.h"
#include "test.h"

#include <stdlib.h>

/* Name, StatusTime, Distance, HealthPoints (0 = NULL) */
static const struct {
    const char *name, *time;
    double distance;
    int health;
} data[] = {
    {"Shadowfax", "2026-11-22 07:00:01.000", 30.0, 150}, {"Rocinante", "2026-11-22 07:00:02.000", 29.5, 90},
    {"Shadowfax", "2026-11-22 07:00:59.000", 31.0, 149}, {"Shadowfax", "2026-11-22 07:01:03.000", 29.0, 0},
    {"Rocinante", "2026-11-22 07:01:30.000", 30.5, 95},  {"Pegasus", "2026-11-22 07:02:00.000", 30.0, 120},
};
#define NDATA ((int)(sizeof data / sizeof *data))

static const struct sql_schema *lookup(const char *name)
{
    return !name || strcmp(name, "wildrydes") == 0 ? sql_schema_wildrydes() : NULL;
}

static int collect(void *arg, const struct sql_value *v, int n)
{
    char *out = arg;
    size_t len = strlen(out);
    for (int i = 0; i < n; i++) {
        char b[64];
        switch (v[i].type) {
        case SQL_NULL: strcpy(b, "NULL"); break;
        case SQL_BOOL: strcpy(b, v[i].u.b ? "true" : "false"); break;
        case SQL_INT: snprintf(b, sizeof b, "%lld", (long long)v[i].u.i); break;
        case SQL_DOUBLE: snprintf(b, sizeof b, "%.10g", v[i].u.d); break;
        case SQL_STRING: snprintf(b, sizeof b, "%.*s", (int)v[i].u.str.len, v[i].u.str.s); break;
        case SQL_TIMESTAMP: rf_time_format(v[i].u.ts, b); break;
        }
        len += (size_t)snprintf(out + len, 4096 - len, "%s%s", i ? "|" : "", b);
    }
    snprintf(out + len, 4096 - len, ";");
    return 0;
}

static int run(const char *text, char *out, struct sql_error *err)
{
    out[0] = '\0';
    struct sql_query *q = sql_query_compile(text, lookup, err);
    if (!q)
        return -1;
    sql_query_set_output(q, collect, out);
    const char *const *cols = sql_query_columns(q);
    for (int r = 0; r < NDATA; r++) {
        struct sql_value row[16];
        for (int c = 0; c < sql_query_ncolumns(q); c++) {
            row[c].type = SQL_NULL;
            if (strcmp(cols[c], "Name") == 0) {
                row[c].type = SQL_STRING;
                row[c].u.str.s = data[r].name;
                row[c].u.str.len = strlen(data[r].name);
            } else if (strcmp(cols[c], "StatusTime") == 0) {
                row[c].type = SQL_TIMESTAMP;
                rf_time_parse(data[r].time, 23, &row[c].u.ts);
            } else if (strcmp(cols[c], "Distance") == 0) {
                row[c].type = SQL_DOUBLE;
                row[c].u.d = data[r].distance;
            } else if (strcmp(cols[c], "HealthPoints") == 0 && data[r].health) {
                row[c].type = SQL_INT;
                row[c].u.i = data[r].health;
            }
        }
        int rc = sql_query_add(q, row, err);
        if (rc < 0) {
            sql_query_free(q);
            return -1;
        }
        if (rc == 0)
            break;
    }
    int rc = sql_query_finish(q, err);
    sql_query_free(q);
    return rc;
}

static const struct {
    const char *q, *want;
} good[] = {
    {"SELECT Name FROM wildrydes LIMIT 2", "Shadowfax;Rocinante;"},
    {"SELECT COUNT(*) FROM wildrydes", "6;"},
    {"SELECT COUNT(*) FROM wildrydes WHERE Name = 'Nobody'", "0;"},
    {"SELECT SUM(Distance), MIN(HealthPoints), MAX(HealthPoints), COUNT(HealthPoints) FROM wildrydes", "180|90|150|5;"},
    {"SELECT Name, SUM(Distance) AS d FROM wildrydes GROUP BY Name ORDER BY d DESC, Name",
     "Shadowfax|90;Rocinante|60;Pegasus|30;"},
    {"SELECT Name, COUNT(*) FROM wildrydes GROUP BY Name HAVING COUNT(*) > 1 ORDER BY 1", "Rocinante|2;Shadowfax|3;"},
    {"SELECT FLOOR(StatusTime TO MINUTE) AS m, COUNT(*) FROM wildrydes GROUP BY FLOOR(StatusTime TO MINUTE) ORDER BY m",
     "2026-11-22 07:00:00.000|3;2026-11-22 07:01:00.000|2;2026-11-22 07:02:00.000|1;"},
    {"SELECT \"Name\", FLOOR(\"StatusTime\" TO MINUTE), SUM(\"Distance\") FROM wildrydes "
     "GROUP BY FLOOR(\"StatusTime\" TO MINUTE), \"Name\" ORDER BY 2, 1",
     "Rocinante|2026-11-22 07:00:00.000|29.5;Shadowfax|2026-11-22 07:00:00.000|61;"
     "Rocinante|2026-11-22 07:01:00.000|30.5;Shadowfax|2026-11-22 07:01:00.000|29;"
     "Pegasus|2026-11-22 07:02:00.000|30;"},
    {"SELECT AVG(HealthPoints) FROM wildrydes WHERE Name = 'Rocinante'", "92.5;"},
    {"SELECT COUNT(DISTINCT Name), COUNT(Name) FROM wildrydes", "3|6;"},
    {"SELECT Name, FIRST(HealthPoints), LAST(HealthPoints), FIRST(Distance), LAST(StatusTime) FROM wildrydes "
     "GROUP BY Name ORDER BY Name",
     "Pegasus|120|120|30|2026-11-22 07:02:00.000;Rocinante|90|95|29.5|2026-11-22 07:01:30.000;"
     "Shadowfax|150|149|30|2026-11-22 07:01:03.000;"},
    {"SELECT DISTINCT Name FROM wildrydes ORDER BY Name", "Pegasus;Rocinante;Shadowfax;"},
    {"SELECT Name, HealthPoints FROM wildrydes WHERE HealthPoints < 100 ORDER BY HealthPoints",
     "Rocinante|90;Rocinante|95;"},
    {"SELECT Name, HealthPoints FROM wildrydes ORDER BY HealthPoints DESC LIMIT 3",
     "Shadowfax|150;Shadowfax|149;Pegasus|120;"},
    {"SELECT HealthPoints FROM wildrydes ORDER BY HealthPoints LIMIT 6", "90;95;120;149;150;NULL;"},
    {"SELECT Name, StatusTime FROM wildrydes WHERE Name = 'Shadowfax' ORDER BY StatusTime DESC LIMIT 1",
     "Shadowfax|2026-11-22 07:01:03.000;"},
    {"SELECT * FROM wildrydes LIMIT 1", "Shadowfax|2026-11-22 07:00:01.000|NULL|NULL|30|NULL|150;"},
    {"SELECT UPPER(Name) || '!' AS shout FROM wildrydes WHERE Distance > 30.6", "SHADOWFAX!;"},
    {"SELECT Name, MAX(Distance) - MIN(Distance) AS spread FROM wildrydes GROUP BY Name ORDER BY spread DESC LIMIT 1",
     "Shadowfax|2;"},
    {"SELECT COUNT(*) AS n FROM wildrydes WHERE StatusTime >= '2026-11-22 07:01:00'", "3;"},
    {"SELECT SUM(HealthPoints) FROM wildrydes WHERE Name = 'Pegasus'", "120;"},
    {"SELECT SUM(HealthPoints) FROM wildrydes WHERE Name = 'Nobody'", "NULL;"},
    {"SELECT Name FROM wildrydes GROUP BY Name ORDER BY COUNT(*) DESC, Name LIMIT 1", "Shadowfax;"},
    {"select name, count(*) from wildrydes group by name order by name;", "Pegasus|1;Rocinante|2;Shadowfax|3;"},
    {"SELECT WINDOW_START, WINDOW_END, COUNT(*) FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY 1 ORDER BY 1",
     "2026-11-22 07:00:00.000|2026-11-22 07:01:00.000|3;2026-11-22 07:01:00.000|2026-11-22 07:02:00.000|2;"
     "2026-11-22 07:02:00.000|2026-11-22 07:03:00.000|1;"},
    {"SELECT Name, WINDOW_START, SUM(Distance) FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 10 SECONDS) "
     "WHERE Name = 'Shadowfax' GROUP BY Name ORDER BY WINDOW_START",
     "Shadowfax|2026-11-22 07:00:00.000|61;Shadowfax|2026-11-22 07:01:00.000|29;"},
    {"SELECT WINDOW_START AS ws, COUNT(*) AS n, MIN(HealthPoints) FROM wildrydes "
     "WINDOW HOPPING (SIZE 2 MINUTES, ADVANCE BY 1 MINUTE) ORDER BY ws",
     "2026-11-22 06:59:00.000|3|90;2026-11-22 07:00:00.000|5|90;2026-11-22 07:01:00.000|3|95;"
     "2026-11-22 07:02:00.000|1|120;"},
    {"SELECT Name, COUNT(*) FROM wildrydes WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY Name HAVING COUNT(*) > 1 ORDER BY Name",
     "Rocinante|2;Shadowfax|3;"},
    {"SELECT Name, WINDOW_START, WINDOW_END, COUNT(*) FROM wildrydes WINDOW SESSION (30 SECONDS) GROUP BY Name "
     "ORDER BY Name, WINDOW_START",
     "Pegasus|2026-11-22 07:02:00.000|2026-11-22 07:02:00.000|1;"
     "Rocinante|2026-11-22 07:00:02.000|2026-11-22 07:00:02.000|1;Rocinante|2026-11-22 07:01:30.000|2026-11-22 07:01:30.000|1;"
     "Shadowfax|2026-11-22 07:00:01.000|2026-11-22 07:00:01.000|1;Shadowfax|2026-11-22 07:00:59.000|2026-11-22 07:01:03.000|2;"},
    {"SELECT Name, WINDOW_END, SUM(Distance), MAX(HealthPoints) FROM wildrydes WINDOW SESSION (60 SECONDS) "
     "WHERE Name = 'Shadowfax' GROUP BY Name",
     "Shadowfax|2026-11-22 07:01:03.000|90|150;"},
};

static void test_queries(void)
{
    char out[4096];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct sql_error err = {0};
        if (!CHECK(run(good[i].q, out, &err) == 0)) {
            fprintf(stderr, "  %s\n    error %d:%d %s\n", good[i].q, err.line, err.col, err.msg);
            continue;
        }
        if (strcmp(out, good[i].want) != 0) {
            CHECK_STR(out, good[i].want);
            fprintf(stderr, "  query: %s\n", good[i].q);
        }
    }
}

static void test_result_names(void)
{
    struct sql_error err;
    struct sql_query *q = sql_query_compile(
        "SELECT name, COUNT(*), SUM(Distance) AS total, FLOOR(StatusTime TO MINUTE) FROM wildrydes GROUP BY name, "
        "FLOOR(StatusTime TO MINUTE)", lookup, &err);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK_INT(sql_query_nresult(q), 4);
    CHECK_STR(sql_query_result_name(q, 0), "Name");
    CHECK_STR(sql_query_result_name(q, 1), "COUNT(*)");
    CHECK_STR(sql_query_result_name(q, 2), "total");
    CHECK_STR(sql_query_result_name(q, 3), "FLOOR(StatusTime TO MINUTE)");
    sql_query_free(q);
}

static const struct {
    const char *q;
    int line, col;
    const char *msg;
} bad[] = {
    {"SELECT Name, COUNT(*) FROM wildrydes", 1, 8, "column 'Name' must appear in GROUP BY or be used in an aggregate"},
    {"SELECT Name FROM wildrydes GROUP BY FLOOR(StatusTime TO MINUTE)", 1, 8, "column 'Name' must appear in GROUP BY"},
    {"SELECT Name FROM wildrydes WHERE COUNT(*) > 1", 1, 34, "aggregate functions are not allowed in WHERE"},
    {"SELECT Name FROM wildrydes GROUP BY COUNT(*)", 1, 37, "aggregate functions are not allowed in GROUP BY"},
    {"SELECT SUM(COUNT(*)) FROM wildrydes", 1, 12, "aggregate function COUNT() is not allowed here"},
    {"SELECT SUM(Name) FROM wildrydes", 1, 12, "type mismatch: SUM() needs a number, got VARCHAR"},
    {"SELECT Name FROM nowhere", 1, 18, "unknown source 'nowhere'"},
    {"SELECT Nmae FROM wildrydes", 1, 8, "unknown column 'Nmae' (did you mean 'Name'?)"},
    {"SELECT Name FROM wildrydes ORDER BY 3", 1, 37, "ORDER BY position 3 is not in the select list (1..1)"},
    {"SELECT Name FROM wildrydes LIMIT many", 1, 34, "expected a row count after LIMIT"},
    {"SELECT Name FROM wildrydes GROUP Name", 1, 34, "expected BY after GROUP"},
    {"SELECT Name FROM wildrydes WHERE Distance", 1, 34, "type mismatch: a WHERE condition must be BOOLEAN, not DOUBLE"},
    {"SELECT Name, COUNT(*) FROM wildrydes GROUP BY Name HAVING SUM(Distance)", 1, 59,
     "type mismatch: a HAVING condition must be BOOLEAN, not DOUBLE"},
    {"SELECT FROM wildrydes", 1, 8, "expected an expression, found keyword 'FROM'"},
    {"SELECT Name FROM wildrydes WHERE", 1, 33, "expected an expression, found end of input"},
    {"SELECT Name wildrydes x", 1, 23, "unexpected 'x'"}, /* "wildrydes" is an alias */
    {"Name FROM wildrydes", 1, 1, "expected SELECT, found 'Name'"},
    {"SELECT Name FROM wildrydes LIMIT 1 extra", 1, 36, "unexpected 'extra'"},
    {"SELECT COUNT(Name, Distance) FROM wildrydes", 1, 8, "COUNT() takes one argument or *"},
    {"SELECT SUM(DISTINCT Distance) FROM wildrydes", 1, 8, "DISTINCT is only supported in COUNT(DISTINCT x)"},
    {"SELECT Name FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE)", 1, 35, "a windowed query needs GROUP BY or an aggregate"},
    {"SELECT COUNT(*) FROM wildrydes WINDOW SLIDING (SIZE 1 MINUTE)", 1, 39, "expected TUMBLING, HOPPING or SESSION after WINDOW"},
    {"SELECT COUNT(*) FROM wildrydes WINDOW TUMBLING (SIZE 1 FORTNIGHT)", 1, 56, "bad interval: expected a unit"},
    {"SELECT COUNT(*) FROM wildrydes WINDOW TUMBLING (SIZE 0 MINUTES)", 1, 54, "bad interval: SIZE must be between 1"},
    {"SELECT COUNT(*) FROM wildrydes WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 2 MINUTES)", 1, 74,
     "ADVANCE BY must not be longer than SIZE"},
    {"SELECT COUNT(*) FROM wildrydes WINDOW HOPPING (SIZE 5 MINUTES)", 1, 62, "expected ',' then ADVANCE BY"},
    {"SELECT Name, COUNT(DISTINCT HealthPoints) FROM wildrydes WINDOW SESSION (30 SECONDS) GROUP BY Name", 1, 14,
     "COUNT(DISTINCT ...) cannot be combined with SESSION windows"},
    {"SELECT WINDOW_START, COUNT(*) FROM wildrydes", 1, 8, "column 'WINDOW_START' must appear in GROUP BY"},
};

static void test_errors(void)
{
    char out[4096];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct sql_error err = {0};
        int rc = run(bad[i].q, out, &err);
        if (!CHECK(rc == -1 && err.line == bad[i].line && err.col == bad[i].col &&
                   strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) == 0))
            fprintf(stderr, "  %s\n    got      %d %d:%d %s\n    expected %d:%d %s\n", bad[i].q, rc, err.line,
                    err.col, err.msg, bad[i].line, bad[i].col, bad[i].msg);
    }
}

/* An event that arrives late and bridges two sessions merges them. */
static void test_session_merge(void)
{
    struct sql_error err;
    char out[4096] = "";
    struct sql_query *q = sql_query_compile("SELECT Name, WINDOW_START, WINDOW_END, COUNT(*), SUM(Distance), "
                                            "MIN(Distance), FIRST(Distance), LAST(Distance) FROM wildrydes WINDOW SESSION (60 SECONDS) GROUP BY Name "
                                            "ORDER BY WINDOW_START", lookup, &err);
    CHECK(q != NULL);
    if (!q)
        return;
    sql_query_set_output(q, collect, out);
    /* 0, 100 and 300 open three sessions; 50 bridges the first two; 250 joins the third. */
    const int secs[] = {0, 100, 300, 50, 250};
    const double dist[] = {1, 2, 3, 4, 5};
    const char *const *cols = sql_query_columns(q);
    for (int e = 0; e < 5; e++) {
        struct sql_value row[8];
        for (int c = 0; c < sql_query_ncolumns(q); c++) {
            if (strcmp(cols[c], "Name") == 0)
                row[c] = (struct sql_value){.type = SQL_STRING, .u.str = {"A", 1}};
            else if (strcmp(cols[c], "StatusTime") == 0)
                row[c] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = 1795330800000LL + secs[e] * 1000LL};
            else
                row[c] = (struct sql_value){.type = SQL_DOUBLE, .u.d = dist[e]};
        }
        CHECK_INT(sql_query_add(q, row, &err), 1);
    }
    CHECK_INT(sql_query_finish(q, &err), 0);
    CHECK_STR(out, "A|2026-11-22 07:00:00.000|2026-11-22 07:01:40.000|3|7|1|1|2;"
                   "A|2026-11-22 07:04:10.000|2026-11-22 07:05:00.000|2|8|3|5|3;");
    sql_query_free(q);
}

/* Bounds on the event time from WHERE, for partition pruning: only what
 * every matching row must satisfy; OR, NOT and functions bound nothing. */
static const struct {
    const char *where;
    const char *lo, *hi; /* NULL: unbounded */
} bounds[] = {
    {"StatusTime >= '2026-11-22 07:00:00' AND StatusTime < '2026-11-22 08:00:00'", "2026-11-22 07:00:00.000",
     "2026-11-22 07:59:59.999"},
    {"StatusTime > '2026-11-22 07:00:00'", "2026-11-22 07:00:00.001", NULL},
    {"'2026-11-22 07:00:00' > StatusTime", NULL, "2026-11-22 06:59:59.999"},
    {"StatusTime BETWEEN '2026-11-22 07:00:00' AND '2026-11-22 07:30:00' AND Name = 'x'", "2026-11-22 07:00:00.000",
     "2026-11-22 07:30:00.000"},
    {"StatusTime = '2026-11-22 07:00:00.250'", "2026-11-22 07:00:00.250", "2026-11-22 07:00:00.250"},
    {"HealthPoints < 100 AND (StatusTime <= '2026-11-22 09:00:00' AND StatusTime > '2026-11-22 06:00:00')",
     "2026-11-22 06:00:00.001", "2026-11-22 09:00:00.000"},
    {"StatusTime > '2026-11-22 07:00:00' OR Name = 'x'", NULL, NULL},
    {"NOT (StatusTime < '2026-11-22 07:00:00')", NULL, NULL},
    {"StatusTime NOT BETWEEN '2026-11-22 07:00:00' AND '2026-11-22 08:00:00'", NULL, NULL},
    {"FLOOR(StatusTime TO HOUR) = '2026-11-22 07:00:00'", NULL, NULL},
    {"HealthPoints < 100", NULL, NULL},
};

static void test_time_bounds(void)
{
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        char text[512];
        snprintf(text, sizeof text, "SELECT COUNT(*) FROM wildrydes WHERE %s", bounds[i].where);
        struct sql_error err;
        struct sql_query *q = sql_query_compile(text, lookup, &err);
        if (!CHECK(q != NULL)) {
            fprintf(stderr, "  %s: %s\n", text, err.msg);
            continue;
        }
        int64_t lo, hi, want_lo = INT64_MIN, want_hi = INT64_MAX;
        int bounded = sql_query_time_bounds(q, &lo, &hi);
        if (bounds[i].lo)
            rf_time_parse(bounds[i].lo, strlen(bounds[i].lo), &want_lo);
        if (bounds[i].hi)
            rf_time_parse(bounds[i].hi, strlen(bounds[i].hi), &want_hi);
        CHECK_INT(bounded, bounds[i].lo || bounds[i].hi);
        if (!CHECK(lo == want_lo && hi == want_hi))
            fprintf(stderr, "  bounds %zu: %s\n", i, bounds[i].where);
        sql_query_free(q);
    }
}

TEST_MAIN("test_query", test_queries, test_result_names, test_errors, test_session_merge, test_time_bounds)
