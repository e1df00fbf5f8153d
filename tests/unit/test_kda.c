/* test_kda.c - Kinesis Data Analytics SQL applications: what an application
 * becomes (pumps, topics, keys, --map), the errors it gets (line:column and
 * a reason, unsupported features refused by name), and the conversion a pump
 * applies when it inserts into a typed column. The rows themselves are
 * checked against the batch engine in test_stream.c. */
#include "sql.h"
#include "sql_query_int.h"
#include "rf_time.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define WORKSHOP                                                                                                   \
    "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (\"Name\" VARCHAR(16), \"StatusTime\" TIMESTAMP,\n"        \
    "  \"Distance\" SMALLINT, \"MinMagicPoints\" SMALLINT, \"MaxMagicPoints\" SMALLINT,\n"                          \
    "  \"MinHealthPoints\" SMALLINT, \"MaxHealthPoints\" SMALLINT);\n"                                              \
    "CREATE OR REPLACE PUMP \"STREAM_PUMP\" AS INSERT INTO \"DESTINATION_SQL_STREAM\"\n"                            \
    "  SELECT STREAM \"Name\", \"ROWTIME\", SUM(\"Distance\"), MIN(\"MagicPoints\"), MAX(\"MagicPoints\"),\n"       \
    "    MIN(\"HealthPoints\"), MAX(\"HealthPoints\") FROM \"SOURCE_SQL_STREAM_001\"\n"                             \
    "  GROUP BY FLOOR(\"SOURCE_SQL_STREAM_001\".\"ROWTIME\" TO MINUTE), \"Name\";\n"

/* 1. What an application becomes: one continuous query per pump. */
static const struct {
    const char *app;
    const char *map[2];
    int npumps;
    int pump; /* the pump checked */
    const char *name, *topic, *source_topic, *key;
    int emit_final, repartition;
} apps[] = {
    {WORKSHOP, {NULL}, 1, 0, "STREAM_PUMP", "DESTINATION_SQL_STREAM", "wildrydes", "Name", 1, 0},
    {WORKSHOP, {"DESTINATION_SQL_STREAM=wildrydes-summary"}, 1, 0, "STREAM_PUMP", "wildrydes-summary", "wildrydes",
     "Name", 1, 0},
    /* the input's own columns, declared, on a topic of its own: no key, so grouped results repartition */
    {"CREATE OR REPLACE STREAM \"SOURCE_SQL_STREAM_001\" (\"Name\" VARCHAR(16), \"StatusTime\" TIMESTAMP,\n"
     "  \"Distance\" DOUBLE, \"MagicPoints\" INTEGER, \"HealthPoints\" INTEGER);\n" WORKSHOP,
     {"SOURCE_SQL_STREAM_001=fleet-raw", "DESTINATION_SQL_STREAM=out"}, 1, 0, "STREAM_PUMP", "out", "fleet-raw", NULL,
     1, 1},
    /* unquoted names fold to upper case; a filter pump; a chained stream */
    {"create or replace stream low (name varchar(16), hp integer, t timestamp);\n"
     "create or replace pump p1 as insert into low select stream \"Name\", \"HealthPoints\", ROWTIME\n"
     "  from source_sql_stream_001 where \"HealthPoints\" < 100;\n"
     "create or replace stream per_minute (name varchar(16), n bigint);\n"
     "create or replace pump p2 as insert into per_minute\n"
     "  select stream name, count(*) from low group by name, step(low.rowtime by interval '1' minute);",
     {NULL}, 2, 1, "P2", "PER_MINUTE", "LOW", NULL, 1, 1},
    {"CREATE OR REPLACE STREAM \"S\" (\"Name\" VARCHAR(16));\n"
     "CREATE OR REPLACE PUMP \"P\" STOPPED AS INSERT INTO \"S\" SELECT STREAM \"Name\" FROM \"SOURCE_SQL_STREAM_001\";",
     {NULL}, 1, 0, "P", "S", "wildrydes", "Name", 0, 0},
};

static void test_apps(void)
{
    for (size_t i = 0; i < sizeof apps / sizeof *apps; i++) {
        struct sql_script_opts o = {.map = apps[i].map, .nmap = apps[i].map[1] ? 2 : apps[i].map[0] ? 1 : 0};
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse_opts(apps[i].app, &o, &err);
        if (!CHECK(s != NULL)) {
            fprintf(stderr, "  app %zu: %d:%d %s\n", i, err.line, err.col, err.msg);
            continue;
        }
        CHECK(sql_script_is_kda(s));
        CHECK_INT(sql_script_nstreams(s), apps[i].npumps);
        const struct sql_stream_def *d = sql_script_stream(s, apps[i].pump);
        CHECK_STR(d->name, apps[i].name);
        CHECK_STR(d->topic, apps[i].topic);
        CHECK_STR(d->source_topic, apps[i].source_topic);
        if (apps[i].key)
            CHECK_STR(d->key, apps[i].key);
        else
            CHECK(d->key == NULL);
        CHECK_INT(d->emit_final, apps[i].emit_final);
        CHECK_INT(d->repartition, apps[i].repartition);
        /* every instance compiles the same query again */
        struct sql_query *q = sql_script_instance(s, apps[i].pump, &err);
        CHECK(q != NULL);
        sql_query_free(q);
        sql_script_free(s);
    }
}

/* 2. Errors: where, and why. */
static const struct {
    const char *app;
    const char *map;
    int line, col;
    const char *msg;
} errors[] = {
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);", NULL, 1, 42, "no CREATE OR REPLACE PUMP statement"},
    {"CREATE OR REPLACE VIEW v AS SELECT 1;", NULL, 1, 19, "CREATE VIEW is not supported"},
    {"CREATE OR REPLACE STREAM \"S\" (a BLOB);", NULL, 1, 33, "unsupported column type 'BLOB'"},
    {"CREATE OR REPLACE STREAM \"S\" (a VARCHAR(0));", NULL, 1, 41, "a length must be between 1 and 65535"},
    {"CREATE OR REPLACE STREAM \"S\" (a DECIMAL(20,2));", NULL, 1, 33, "DECIMAL precision is at most 18"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER, a BIGINT);", NULL, 1, 42, "column \"A\" is declared twice"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE STREAM s (b INTEGER);", NULL, 2, 26,
     "stream \"S\" is declared twice"},
    {"CREATE OR REPLACE PUMP p AS INSERT INTO nowhere SELECT STREAM 1 FROM SOURCE_SQL_STREAM_001;", NULL, 1, 41,
     "\"NOWHERE\" is not an in-application stream"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\" (b) SELECT STREAM 1 "
     "FROM SOURCE_SQL_STREAM_001;",
     NULL, 2, 46, "\"S\" has no column \"B\""},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER, b INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM \"HealthPoints\" FROM SOURCE_SQL_STREAM_001;",
     NULL, 2, 41, "the SELECT gives 1 column, the INSERT INTO \"S\" takes 2"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM \"StatusTime\" FROM SOURCE_SQL_STREAM_001;",
     NULL, 3, 15, "type mismatch: column 1 of the SELECT is TIMESTAMP, \"S\".\"A\" is INTEGER"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM \"HealthPoints\" FROM SOURCE_SQL_STREAM_002;",
     NULL, 3, 35, "unknown source 'SOURCE_SQL_STREAM_002'"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM other.\"HealthPoints\" FROM SOURCE_SQL_STREAM_001;",
     NULL, 3, 15, "unknown stream 'other'"},
    {"CREATE OR REPLACE STREAM \"S\" (a DOUBLE);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM AVG(\"HealthPoints\") OVER w2 FROM SOURCE_SQL_STREAM_001\n"
     "WINDOW w AS (PARTITION BY \"Name\" RANGE INTERVAL '1' MINUTE PRECEDING);",
     NULL, 3, 15, "window 'w2' is not defined"},
    {"CREATE OR REPLACE STREAM \"S\" (a DOUBLE);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM AVG(\"HealthPoints\") OVER (PARTITION BY \"Name\" RANGE INTERVAL '1' MINUTE FOLLOWING)\n"
     "FROM SOURCE_SQL_STREAM_001;",
     NULL, 3, 87, "expected PRECEDING"},
    {"CREATE OR REPLACE STREAM \"S\" (a VARCHAR(9));\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM MAX(\"Name\") OVER (ROWS 2 PRECEDING) FROM SOURCE_SQL_STREAM_001;",
     NULL, 3, 19, "MAX() OVER a window needs a number, boolean or timestamp, got VARCHAR"},
    {"CREATE OR REPLACE STREAM \"S\" (a DOUBLE);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM AVG(\"HealthPoints\") OVER (ROWS 2 PRECEDING) FROM SOURCE_SQL_STREAM_001 GROUP BY \"Name\";",
     NULL, 3, 15, "a query with OVER (a sliding window) takes no GROUP BY"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM COUNT(*) FROM SOURCE_SQL_STREAM_001\nWINDOWED BY STAGGER (PARTITION BY \"HealthPoints\" RANGE "
     "INTERVAL '1' MINUTE);",
     NULL, 4, 35, "a STAGGER window must PARTITION BY the source's key column \"Name\""},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM COUNT(*) FROM SOURCE_SQL_STREAM_001\nWINDOWED BY STAGGER (PARTITION BY \"Name\" RANGE INTERVAL '1' "
     "MINUTE) GROUP BY \"Name\";",
     NULL, 4, 69, "GROUP BY: WINDOWED BY STAGGER groups by its PARTITION BY already"},
    {"CREATE OR REPLACE STREAM \"S\" (a DOUBLE);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM SOURCE_SQL_STREAM_001)));",
     NULL, 3, 40, "RANDOM_CUT_FOREST is not supported"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM COUNT(*) FROM SOURCE_SQL_STREAM_001 GROUP BY \"Name\";",
     NULL, 3, 60, "a continuous aggregate needs a WINDOW"},
    {"CREATE OR REPLACE STREAM \"S\" (a INTEGER);\nCREATE OR REPLACE PUMP p AS INSERT INTO \"S\"\n"
     "SELECT STREAM 1 FROM SOURCE_SQL_STREAM_001;",
     "S=wildrydes", 2, 24, "pump 'P' would write to its own source topic 'wildrydes'"},
    {WORKSHOP, "DESTINATION=out", 1, 1, "--map DESTINATION=out: the application has no stream named \"DESTINATION\""},
    {WORKSHOP, "nothing", 1, 1, "--map nothing: expected NAME=TOPIC"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes;", "S=x", 1, 1, "--map is for Kinesis Analytics applications"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++) {
        const char *map[1] = {errors[i].map};
        struct sql_script_opts o = {.map = map, .nmap = errors[i].map ? 1 : 0};
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse_opts(errors[i].app, &o, &err);
        CHECK(s == NULL);
        sql_script_free(s);
        if (!CHECK(err.line == errors[i].line && err.col == errors[i].col && strstr(err.msg, errors[i].msg) != NULL))
            fprintf(stderr, "  error %zu: got %d:%d %s\n", i, err.line, err.col, err.msg);
    }
}

/* 3. INSERT INTO a typed column: rounding, truncation, range. */
static const struct {
    const char *type;
    enum sql_type in;
    const char *value; /* as a literal of type in */
    const char *want;  /* the converted value's text, or NULL: an error */
} conversions[] = {
    {"SMALLINT", SQL_DOUBLE, "1799.5", "1800"},       {"SMALLINT", SQL_DOUBLE, "-2.5", "-3"},
    {"SMALLINT", SQL_DOUBLE, "1799.49", "1799"},      {"SMALLINT", SQL_INT, "32767", "32767"},
    {"SMALLINT", SQL_INT, "32768", NULL},             {"SMALLINT", SQL_DOUBLE, "-32768.4", "-32768"},
    {"TINYINT", SQL_INT, "-129", NULL},               {"INTEGER", SQL_INT, "2147483648", NULL},
    {"BIGINT", SQL_DOUBLE, "1e19", NULL},             {"INTEGER", SQL_STRING, "42", "42"},
    {"INTEGER", SQL_STRING, "4.6", "5"},              {"INTEGER", SQL_STRING, "four", NULL},
    {"REAL", SQL_DOUBLE, "0.1", "0.10000000149011612"}, {"REAL", SQL_DOUBLE, "1e39", NULL},
    {"DOUBLE", SQL_INT, "7", "7"},                  {"DECIMAL(5,2)", SQL_DOUBLE, "123.455", "123.46"},
    {"DECIMAL(5,2)", SQL_DOUBLE, "1000", NULL},       {"DECIMAL(4)", SQL_DOUBLE, "12.5", "13"},
    {"VARCHAR(4)", SQL_STRING, "Shadowfax", "Shad"},  {"VARCHAR(3)", SQL_STRING, "Ünïcorn", "Ünï"},
    {"VARCHAR(8)", SQL_INT, "123", "123"},            {"VARCHAR(8)", SQL_DOUBLE, "2.5", "2.5"},
    {"CHAR(5)", SQL_STRING, "ab", "ab   "},           {"CHAR", SQL_STRING, "xyz", "x"},
    {"VARCHAR(30)", SQL_TIMESTAMP, "2026-11-18 10:00:00", "2026-11-18 10:00:00.000"},
    {"TIMESTAMP", SQL_STRING, "2026-11-18 10:00:00", "2026-11-18 10:00:00.000"},
    {"TIMESTAMP", SQL_STRING, "yesterday", NULL},     {"BOOLEAN", SQL_STRING, "TRUE", "true"},
    {"BOOLEAN", SQL_INT, "1", NULL},                  {"DOUBLE PRECISION", SQL_INT, "3", "3"},
};

static void test_conversions(void)
{
    for (size_t i = 0; i < sizeof conversions / sizeof *conversions; i++) {
        struct sql_lexer lx;
        struct sql_error err = {0};
        sql_lex_init(&lx, conversions[i].type);
        struct token t = sql_lex_next(&lx, &err);
        struct sql_coltype ct;
        if (!CHECK(sql_coltype_parse(&lx, &t, &ct, &err) == 0 && t.type == T_EOF)) {
            fprintf(stderr, "  type %s: %s\n", conversions[i].type, err.msg);
            continue;
        }
        if (ct.decl == D_DECIMAL && ct.scale == 0)
            ct.type = SQL_INT;
        struct sql_value in = {.type = conversions[i].in}, out;
        const char *v = conversions[i].value;
        if (in.type == SQL_INT)
            in.u.i = strtoll(v, NULL, 10);
        else if (in.type == SQL_DOUBLE)
            in.u.d = strtod(v, NULL);
        else if (in.type == SQL_TIMESTAMP)
            CHECK(rf_time_parse(v, strlen(v), &in.u.ts) == 0);
        else
            in.u.str.s = v, in.u.str.len = strlen(v);
        struct sql_scratch scratch = {0};
        int rc = sql_coltype_convert(&ct, &in, &scratch, &out, 1, 1, &err);
        if (!conversions[i].want) {
            if (!CHECK(rc < 0 && strstr(err.msg, "does not fit") != NULL))
                fprintf(stderr, "  conversion %zu (%s from %s) should fail\n", i, conversions[i].type, v);
        } else if (CHECK(rc == 0)) {
            char buf[64];
            size_t n;
            const char *text = sql_value_text(&out, buf, sizeof buf, &n);
            char got[64];
            snprintf(got, sizeof got, "%.*s", (int)n, text);
            if (strcmp(got, conversions[i].want) != 0)
                fprintf(stderr, "  conversion %zu (%s from %s)\n", i, conversions[i].type, v);
            CHECK_STR(got, conversions[i].want);
        } else {
            fprintf(stderr, "  conversion %zu: %s\n", i, err.msg);
        }
        sql_scratch_free(&scratch);
    }
}

/* 4. The functions applications use, under their Kinesis Analytics names. */
static const struct {
    const char *expr;
    const char *want; /* the value's text; NULL: an evaluation error */
} functions[] = {
    {"CHAR_LENGTH('Einhörn')", "7"},
    {"CHARACTER_LENGTH('')", "0"},
    {"SUBSTRING('Shadowfax' FROM 2 FOR 3)", "had"},
    {"SUBSTRING('Shadowfax' FROM 7)", "fax"},
    {"SUBSTRING('Shadowfax', 1, 6)", "Shadow"},
    {"POSITION('fax' IN 'Shadowfax')", "7"},
    {"POSITION('ö' IN 'Einhörn')", "5"},
    {"POSITION('x' IN 'abc')", "0"},
    {"INITCAP('each FIRST lEtTeR is cAPITALIZED')", "Each First Letter Is Capitalized"},
    {"TRIM('  pad  ')", "pad"},
    {"TRIM(LEADING 'x' FROM 'xxhixx')", "hixx"},
    {"TRIM(TRAILING 'x' FROM 'xxhixx')", "xxhi"},
    {"TRIM(BOTH 'xy' FROM 'xyhiyx')", "hi"},
    {"TRIM(FROM '  both ')", "both"},
    {"NULLIF(5, 5)", "NULL"},
    {"NULLIF(5, 6)", "5"},
    {"MOD(17, 5)", "2"},
    {"MOD(-17, 5)", "-2"},
    {"MOD(17, 0)", "NULL"},
    {"POWER(2, 10)", "1024"},
    {"EXP(0)", "1"},
    {"LN(1)", "0"},
    {"LOG10(1000)", "3"},
    {"LN(0)", "NULL"},
    {"CEILING(1.2)", "2"},
    {"STEP(23 BY 5)", "20"},
    {"STEP(30 BY 10)", "30"},
    {"STEP(-1 BY 5)", "-5"},
    {"STEP(TIMESTAMP '2004-09-30 13:48:23' BY INTERVAL '10' SECOND)", "2004-09-30 13:48:20.000"},
    {"STEP(TIMESTAMP '2004-09-30 13:48:23' BY INTERVAL '2' HOUR)", "2004-09-30 12:00:00.000"},
    {"CHAR_TO_TIMESTAMP('yyyy-MM-dd HH:mm:ss', '2026-11-22 07:21:29')", "2026-11-22 07:21:29.000"},
    {"CHAR_TO_TIMESTAMP('dd/MMM/yyyy:HH:mm:ss', '22/Nov/2026:07:21:29')", "2026-11-22 07:21:29.000"},
    {"CHAR_TO_TIMESTAMP('yyyyMMddHHmmssSSS', '20261122072129123')", "2026-11-22 07:21:29.123"},
    {"CHAR_TO_TIMESTAMP('MM/dd/yyyy hh:mm a', '11/22/2026 07:21 PM')", "2026-11-22 19:21:00.000"},
    {"CHAR_TO_TIMESTAMP('yyyy-MM-dd', '2026-02-30')", NULL},
    {"CHAR_TO_TIMESTAMP('yyyy-MM-dd', 'yesterday')", NULL},
    {"TIMESTAMP_TO_CHAR('yyyy-MM-dd''T''HH:mm:ss.SSS', TIMESTAMP '2026-11-22 07:21:29.123')", "2026-11-22T07:21:29.123"},
    {"TIMESTAMP_TO_CHAR('dd MMM yy, h a', TIMESTAMP '2026-11-22 19:21:29')", "22 Nov 26, 7 PM"},
    {"TIMESTAMP_TO_CHAR('yyyy-QQ', TIMESTAMP '2026-11-22 19:21:29')", NULL},
    {"UNIX_TIMESTAMP(TIMESTAMP '1970-01-01 00:00:01.500')", "1500"},
    {"TO_TIMESTAMP(1795000000000)", "2026-11-18 11:06:40.000"},
    {"TSDIFF(TIMESTAMP '2026-11-22 07:01:00', TIMESTAMP '2026-11-22 07:00:00')", "60000"},
    {"CURRENT_ROW_TIMESTAMP > TIMESTAMP '2026-01-01 00:00:00'", "true"},
    {"CAST('Shadowfax' AS VARCHAR(6))", "Shadow"},
    {"CAST(1799.5 AS SMALLINT)", "1800"},
    {"CAST(2.5 AS INT)", "2"}, /* the engine's CAST: half to even, as DuckDB */
    {"CAST(123.456 AS DECIMAL(5,2))", "123.46"},
    {"CAST(40000 AS SMALLINT)", NULL},
    {"CAST('ab' AS CHAR(4)) || '|'", "ab  |"},
};

static void test_functions(void)
{
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++) {
        struct sql_error err = {0};
        struct sql_expr *e = sql_expr_compile(functions[i].expr, sql_schema_wildrydes(), NULL, &err);
        if (!CHECK(e != NULL)) {
            fprintf(stderr, "  %s: %d:%d %s\n", functions[i].expr, err.line, err.col, err.msg);
            continue;
        }
        struct sql_value out;
        int rc = sql_expr_eval(e, NULL, &out, &err);
        if (!functions[i].want) {
            if (!CHECK(rc < 0))
                fprintf(stderr, "  %s: should fail\n", functions[i].expr);
        } else if (CHECK(rc == 0)) {
            char buf[64], got[128];
            size_t n;
            const char *t = sql_value_text(&out, buf, sizeof buf, &n);
            snprintf(got, sizeof got, "%.*s", (int)n, t);
            if (strcmp(got, functions[i].want) != 0)
                fprintf(stderr, "  expression: %s\n", functions[i].expr);
            CHECK_STR(got, functions[i].want);
        } else {
            fprintf(stderr, "  %s: %s\n", functions[i].expr, err.msg);
        }
        sql_expr_free(e);
    }
}

/* 5. Sliding windows against a brute-force model: seeded events, out of
 * order, each result row's aggregates over exactly the rows the model says
 * (RANGE: same Name, time within 10 s before; ROWS: the last three), late
 * rows left out, and the replay point the earliest row still needed. */
#define SLIDE_APP                                                                                                  \
    "CREATE OR REPLACE STREAM \"OUT\" (\"Name\" VARCHAR(16), \"T\" TIMESTAMP, \"HP\" INTEGER, \"AvgHP\" DOUBLE,\n"  \
    "  \"MinHP\" INTEGER, \"N\" BIGINT, \"Last3\" DOUBLE, \"Dist\" DOUBLE, \"FirstHP\" INTEGER);\n"                \
    "CREATE OR REPLACE PUMP \"P\" AS INSERT INTO \"OUT\"\n"                                                        \
    "SELECT STREAM \"Name\", ROWTIME, \"HealthPoints\", AVG(\"HealthPoints\") OVER w, MIN(\"HealthPoints\") OVER w,\n" \
    "  COUNT(*) OVER w, AVG(\"HealthPoints\") OVER last3, SUM(\"Distance\") OVER w, FIRST_VALUE(\"HealthPoints\") OVER w\n" \
    "FROM \"SOURCE_SQL_STREAM_001\"\n"                                                                              \
    "WINDOW w AS (PARTITION BY \"Name\" RANGE INTERVAL '10' SECOND PRECEDING),\n"                                    \
    "       last3 AS (PARTITION BY \"Name\" ROWS 2 PRECEDING);"

#define NSLIDE 3000
static struct slide_ev {
    int name, hp;
    int64_t ts;
    double dist;
    int late;
} sev[NSLIDE];
static struct sql_value got[NSLIDE][9];
static int ngot;

static int collect(void *arg, const struct sql_value *v, int n)
{
    (void)arg;
    if (ngot < NSLIDE && n == 9)
        memcpy(got[ngot++], v, sizeof *v * 9); /* numbers only are compared: no string outlives the call */
    return 0;
}

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1); }

static void test_sliding(void)
{
    uint64_t r = 42;
    int64_t t0 = 1795000000000LL;
    for (int i = 0; i < NSLIDE; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        sev[i] = (struct slide_ev){.name = (int)(r >> 33) % 5, .hp = 100 + (int)((r >> 40) % 60),
                                   .ts = t0 + (int64_t)i * 250 - (int64_t)((r >> 20) % 3000),
                                   .dist = (double)((r >> 50) % 100) / 7};
    }
    struct sql_error err;
    struct sql_script *s = sql_script_parse(SLIDE_APP, &err);
    if (!CHECK(s != NULL)) {
        fprintf(stderr, "  %d:%d %s\n", err.line, err.col, err.msg);
        return;
    }
    struct sql_query *q = sql_script_instance(s, 0, &err);
    CHECK(q != NULL);
    sql_query_set_output(q, collect, NULL);
    ngot = 0;
    const int64_t grace = 2000;
    int64_t max_ts = INT64_MIN, closed = INT64_MIN;
    int nlate = 0, rc = 0;
    for (int i = 0; i < NSLIDE && q && rc == 0; i++) {
        char json[256], ts[32];
        rf_time_format(sev[i].ts, ts);
        snprintf(json, sizeof json,
                 "{\"Name\":\"u%d\",\"StatusTime\":\"%s\",\"Latitude\":1,\"Longitude\":2,\"Distance\":%.17g,"
                 "\"MagicPoints\":1,\"HealthPoints\":%d}",
                 sev[i].name, ts, sev[i].dist, sev[i].hp);
        struct sql_value row[32];
        struct sql_row_source src;
        char reason[128];
        rc = sql_row_from_json(sql_query_columns(q), sql_query_ncolumns(q), sql_query_schema(q), json, strlen(json), row,
                               &src, reason, sizeof reason);
        struct sql_push pr;
        if (rc == 0)
            rc = sql_query_push(q, row, i, 0, &pr, &err);
        sql_row_release(&src);
        sev[i].late = sev[i].ts < closed;
        nlate += sev[i].late;
        CHECK_INT(pr.late, sev[i].late);
        max_ts = sev[i].ts > max_ts ? sev[i].ts : max_ts;
        closed = max_ts - grace > closed ? max_ts - grace : closed;
        if (rc == 0)
            rc = sql_query_advance(q, closed, 1, &err);
    }
    CHECK_INT(rc, 0);
    CHECK(nlate > 10);
    CHECK_INT(ngot, NSLIDE - nlate);
    int k = 0, bad = 0;
    for (int i = 0; i < NSLIDE && k < ngot; i++) {
        if (sev[i].late)
            continue;
        const struct slide_ev *e = &sev[i];
        long double sum = 0, dist = 0, l3 = 0;
        int n = 0, mn = 1 << 30, n3 = 0, first = 0;
        int64_t first_ts = INT64_MAX;
        for (int j = i; j >= 0; j--) {
            const struct slide_ev *o = &sev[j];
            if (o->late || o->name != e->name)
                continue;
            if (n3 < 3)
                l3 += o->hp, n3++;
            if (o->ts < e->ts - 10000 || o->ts > e->ts)
                continue;
            sum += o->hp, dist += o->dist, n++;
            mn = o->hp < mn ? o->hp : mn;
            if (o->ts <= first_ts) /* the earliest time; on a tie the row read first */
                first_ts = o->ts, first = o->hp;
        }
        const struct sql_value *g = got[k++];
        int ok = g[2].u.i == e->hp && near(g[3].u.d, (double)(sum / n)) && g[4].u.i == mn && g[5].u.i == n &&
                 near(g[6].u.d, (double)(l3 / n3)) && near(g[7].u.d, (double)dist) && g[8].u.i == first &&
                 g[1].u.ts == e->ts;
        if (!ok && bad++ < 3)
            fprintf(stderr, "  row %d: avg %g/%g min %lld/%d n %lld/%d last3 %g/%g first %lld/%d\n", i, g[3].u.d,
                    (double)(sum / n), (long long)g[4].u.i, mn, (long long)g[5].u.i, n, g[6].u.d, (double)(l3 / n3),
                    (long long)g[8].u.i, first);
    }
    CHECK_INT(bad, 0);
    /* the replay point: the earliest row a window still holds */
    int64_t want = INT64_MAX, off = -1, aux;
    for (int nm = 0; nm < 5; nm++) {
        int kept = 0;
        for (int j = NSLIDE - 1; j >= 0; j--) {
            if (sev[j].late || sev[j].name != nm)
                continue;
            if ((kept++ < 3 || sev[j].ts >= closed - 10000) && j < want)
                want = j;
        }
    }
    CHECK(q && sql_query_replay_point(q, &off, &aux) == 1);
    CHECK_INT(off, want);
    sql_query_free(q);
    sql_script_free(s);
}

/* 6. The worked examples of AWS's developer guide: their input, their
 * documented output. The demo stream's columns, with RT as ROWTIME (the
 * guide's arrival times) and TICKER_SYMBOL as the Kafka key. */
static const struct sql_column tick_cols[] = {
    {"RT", SQL_TIMESTAMP}, {"EVENT_TIME", SQL_TIMESTAMP}, {"TICKER_SYMBOL", SQL_STRING}, {"PRICE", SQL_DOUBLE}};
static const struct sql_schema tick = {.name = "SOURCE_SQL_STREAM_001", .cols = tick_cols, .ncols = 4,
                                       .key_col = "TICKER_SYMBOL", .time_col = "RT"};
static const struct sql_schema *tick_lookup(void *ctx, const char *name)
{
    (void)ctx;
    return name && strcmp(name, "SOURCE_SQL_STREAM_001") == 0 ? &tick : NULL;
}

static const char *const stagger_input[] = {
    "2018-01-01 11:00:20|2018-01-01 11:00:10|AMZN|1", "2018-01-01 11:00:30|2018-01-01 11:00:20|AMZN|2",
    "2018-01-01 11:01:05|2018-01-01 11:00:55|AMZN|3", "2018-01-01 11:01:15|2018-01-01 11:01:05|AMZN|4", NULL};
static const char *const sliding_input[] = {
    "2018-01-01 11:00:00|2018-01-01 11:00:00|AMZN|10", "2018-01-01 11:00:20|2018-01-01 11:00:20|TWTR|50",
    "2018-01-01 11:00:30|2018-01-01 11:00:30|AMZN|20", "2018-01-01 11:00:59|2018-01-01 11:00:59|AMZN|30",
    "2018-01-01 11:01:01|2018-01-01 11:01:01|AMZN|40", NULL};

static const struct {
    const char *what;
    const char *columns; /* the destination's, as CREATE OR REPLACE STREAM declares them */
    const char *select;
    const char *const *input;
    const char *want[8];
} aws[] = {
    {"tumbling windows: GROUP BY STEP(ROWTIME), FLOOR(EVENT_TIME) (stagger-window-concepts, first table)",
     "rt TIMESTAMP, TICKER_SYMBOL VARCHAR(4), EVENT_TIME TIMESTAMP, TICKER_COUNT DOUBLE",
     "SELECT STREAM ROWTIME, TICKER_SYMBOL, FLOOR(EVENT_TIME TO MINUTE), COUNT(TICKER_SYMBOL) AS TICKER_COUNT\n"
     "FROM \"SOURCE_SQL_STREAM_001\"\n"
     "GROUP BY ticker_symbol, FLOOR(EVENT_TIME TO MINUTE), STEP(\"SOURCE_SQL_STREAM_001\".ROWTIME BY INTERVAL '1' MINUTE);",
     stagger_input,
     {"{\"RT\":\"2018-01-01 11:01:00.000\",\"TICKER_SYMBOL\":\"AMZN\",\"EVENT_TIME\":\"2018-01-01 11:00:00.000\",\"TICKER_COUNT\":2}",
      "{\"RT\":\"2018-01-01 11:02:00.000\",\"TICKER_SYMBOL\":\"AMZN\",\"EVENT_TIME\":\"2018-01-01 11:00:00.000\",\"TICKER_COUNT\":1}",
      "{\"RT\":\"2018-01-01 11:02:00.000\",\"TICKER_SYMBOL\":\"AMZN\",\"EVENT_TIME\":\"2018-01-01 11:01:00.000\",\"TICKER_COUNT\":1}"}},
    {"stagger windows (stagger-window-concepts, second table)",
     "rt TIMESTAMP, ticker_symbol VARCHAR(4), event_time TIMESTAMP, ticker_count DOUBLE",
     "SELECT STREAM ROWTIME, TICKER_SYMBOL, FLOOR(EVENT_TIME TO MINUTE), COUNT(TICKER_SYMBOL) AS ticker_count\n"
     "FROM \"SOURCE_SQL_STREAM_001\"\n"
     "WINDOWED BY STAGGER (PARTITION BY FLOOR(EVENT_TIME TO MINUTE), TICKER_SYMBOL RANGE INTERVAL '1' MINUTE);",
     stagger_input,
     {"{\"RT\":\"2018-01-01 11:01:20.000\",\"TICKER_SYMBOL\":\"AMZN\",\"EVENT_TIME\":\"2018-01-01 11:00:00.000\",\"TICKER_COUNT\":3}",
      "{\"RT\":\"2018-01-01 11:02:15.000\",\"TICKER_SYMBOL\":\"AMZN\",\"EVENT_TIME\":\"2018-01-01 11:01:00.000\",\"TICKER_COUNT\":1}"}},
    {"sliding window, 1 minute (sliding-window-concepts, example 1)",
     "ticker_symbol VARCHAR(10), Min_Price double, Max_Price double, Avg_Price double",
     "SELECT STREAM ticker_symbol, MIN(Price) OVER W1 AS Min_Price, MAX(Price) OVER W1 AS Max_Price,\n"
     "  AVG(Price) OVER W1 AS Avg_Price\nFROM \"SOURCE_SQL_STREAM_001\"\n"
     "WINDOW W1 AS (PARTITION BY ticker_symbol RANGE INTERVAL '1' MINUTE PRECEDING);",
     sliding_input,
     {"{\"TICKER_SYMBOL\":\"AMZN\",\"MIN_PRICE\":10,\"MAX_PRICE\":10,\"AVG_PRICE\":10}",
      "{\"TICKER_SYMBOL\":\"TWTR\",\"MIN_PRICE\":50,\"MAX_PRICE\":50,\"AVG_PRICE\":50}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"MIN_PRICE\":10,\"MAX_PRICE\":20,\"AVG_PRICE\":15}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"MIN_PRICE\":10,\"MAX_PRICE\":30,\"AVG_PRICE\":20}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"MIN_PRICE\":20,\"MAX_PRICE\":40,\"AVG_PRICE\":30}"}},
    {"sliding windows of rows (sliding-window-concepts, example 3)",
     "ticker_symbol VARCHAR(12), price double, average_last2rows double, average_last10rows double",
     "SELECT STREAM ticker_symbol, price, avg(price) over last2rows, avg(price) over last10rows\n"
     "FROM SOURCE_SQL_STREAM_001\nWINDOW\n"
     "    last2rows AS (PARTITION BY ticker_symbol ROWS 2 PRECEDING),\n"
     "    last10rows AS (PARTITION BY ticker_symbol ROWS 10 PRECEDING);",
     sliding_input,
     {"{\"TICKER_SYMBOL\":\"AMZN\",\"PRICE\":10,\"AVERAGE_LAST2ROWS\":10,\"AVERAGE_LAST10ROWS\":10}",
      "{\"TICKER_SYMBOL\":\"TWTR\",\"PRICE\":50,\"AVERAGE_LAST2ROWS\":50,\"AVERAGE_LAST10ROWS\":50}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"PRICE\":20,\"AVERAGE_LAST2ROWS\":15,\"AVERAGE_LAST10ROWS\":15}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"PRICE\":30,\"AVERAGE_LAST2ROWS\":20,\"AVERAGE_LAST10ROWS\":20}",
      "{\"TICKER_SYMBOL\":\"AMZN\",\"PRICE\":40,\"AVERAGE_LAST2ROWS\":30,\"AVERAGE_LAST10ROWS\":25}"}},
};

struct rows_out {
    struct sql_query *q;
    char rows[8][512];
    int n;
};

static int keep_json(void *arg, const struct sql_value *v, int n)
{
    struct rows_out *o = arg;
    const char *names[16];
    for (int i = 0; i < n && i < 16; i++)
        names[i] = sql_query_result_name(o->q, i);
    if (o->n < 8) {
        FILE *f = fmemopen(o->rows[o->n++], sizeof o->rows[0], "w");
        sql_row_write_json(f, names, v, n);
        fclose(f);
    }
    return 0;
}

static void test_aws_examples(void)
{
    for (size_t c = 0; c < sizeof aws / sizeof *aws; c++) {
        /* the destination stream, as an application declares it */
        char app[1024], nulls[128] = "NULL";
        for (const char *p = aws[c].columns; (p = strchr(p, ',')); p++)
            strcat(nulls, ", NULL"); /* a placeholder pump, one value per column */
        snprintf(app, sizeof app, "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (%s);\n"
                                  "CREATE OR REPLACE PUMP \"P\" AS INSERT INTO \"DESTINATION_SQL_STREAM\" SELECT STREAM %s "
                                  "FROM \"SOURCE_SQL_STREAM_001\";", aws[c].columns, nulls);
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse(app, &err);
        if (!CHECK(s != NULL)) {
            fprintf(stderr, "  %s: %s\n", aws[c].what, err.msg);
            continue;
        }
        /* its columns and types, from the parsed declaration, for the example's SELECT */
        struct sql_query *probe = sql_script_instance(s, 0, &err);
        const struct sql_target *decl = probe ? probe->target : NULL;
        struct sql_target t = decl ? *decl : (struct sql_target){0};
        int from[16];
        for (int i = 0; i < t.ncols && i < 16; i++)
            from[i] = i;
        t.from = from;
        t.nvalues = t.ncols;
        struct sql_lexer lx;
        sql_lex_init(&lx, aws[c].select);
        struct sql_query *q = decl ? sql_query_compile_into(&lx, tick_lookup, NULL, NULL, 1, &t, &err) : NULL;
        if (!CHECK(q != NULL)) {
            fprintf(stderr, "  %s: %d:%d %s\n", aws[c].what, err.line, err.col, err.msg);
            sql_query_free(probe);
            sql_script_free(s);
            continue;
        }
        struct rows_out o = {.q = q};
        sql_query_set_output(q, keep_json, &o);
        int64_t wm = INT64_MIN;
        for (int i = 0; aws[c].input[i]; i++) {
            char f[4][64];
            CHECK(sscanf(aws[c].input[i], "%63[^|]|%63[^|]|%63[^|]|%63s", f[0], f[1], f[2], f[3]) == 4);
            struct sql_value row[8];
            for (int k = 0; k < sql_query_ncolumns(q); k++) {
                const char *col = sql_query_columns(q)[k];
                int ci = !strcmp(col, "RT") ? 0 : !strcmp(col, "EVENT_TIME") ? 1 : !strcmp(col, "TICKER_SYMBOL") ? 2 : 3;
                row[k].type = tick_cols[ci].type;
                if (ci < 2)
                    rf_time_parse(f[ci], strlen(f[ci]), &row[k].u.ts);
                else if (ci == 2)
                    row[k].u.str.s = f[2], row[k].u.str.len = strlen(f[2]);
                else
                    row[k].u.d = strtod(f[3], NULL);
            }
            struct sql_push r;
            CHECK(sql_query_push(q, row, i, 0, &r, &err) == 0);
            int64_t rt;
            rf_time_parse(f[0], strlen(f[0]), &rt);
            wm = rt > wm ? rt : wm; /* ROWTIME never goes back: no grace */
            CHECK(sql_query_advance(q, wm, 1, &err) == 0);
        }
        CHECK(sql_query_advance(q, INT64_MAX / 2, 1, &err) == 0);
        int want = 0;
        while (want < 8 && aws[c].want[want])
            want++;
        if (o.n != want)
            fprintf(stderr, "  %s: %d rows, expected %d\n", aws[c].what, o.n, want);
        CHECK_INT(o.n, want);
        for (int i = 0; i < want && i < o.n; i++)
            CHECK_STR(o.rows[i], aws[c].want[i]);
        sql_query_free(q);
        sql_query_free(probe);
        sql_script_free(s);
    }
}

/* 7. Detection: rydeflow's dialect stays itself. */
static void test_detect(void)
{
    struct sql_error err;
    struct sql_script *s = sql_script_parse("-- CREATE OR REPLACE in a comment\nCREATE STREAM s AS SELECT Name FROM wildrydes;",
                                            &err);
    CHECK(s && !sql_script_is_kda(s));
    sql_script_free(s);
    s = sql_script_parse("CREATE PUMP \"P\" AS INSERT INTO \"S\" SELECT STREAM 1 FROM SOURCE_SQL_STREAM_001;", &err);
    CHECK(s == NULL && strstr(err.msg, "not an in-application stream") != NULL); /* read as an application */
    sql_script_free(s);
}

TEST_MAIN("test_kda", test_apps, test_errors, test_conversions, test_functions, test_sliding, test_aws_examples, test_detect)
