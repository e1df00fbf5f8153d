/* test_reftable.c - reference data: tables from CSV and JSON (types
 * inferred, NULLs, malformed objects refused), and streams JOINed with them
 * (inner and left, keys of either numeric type, a reload between rows, and
 * the errors with line:column). */
#include "sql.h"
#include "test.h"

#include <stdlib.h>

/* 1. Loading. */
static const struct {
    const char *data;
    int csv;
    const char *want; /* columns as NAME:TYPE, then rows; NULL: an error containing err */
    const char *err;
} loads[] = {
    {"Name,Owner,Since,Score,Active\nShadowfax,Gandalf,2026-01-01 00:00:00,4.5,true\n"
     "Rocinante,\"Quixote, Don\",,3,false\n",
     1, "Name:VARCHAR Owner:VARCHAR Since:TIMESTAMP Score:DOUBLE Active:BOOLEAN | Shadowfax Gandalf 2026-01-01 00:00:00.000 "
        "4.5 true | Rocinante Quixote, Don NULL 3 false",
     NULL},
    {"id,label\r\n1,\"say \"\"hi\"\"\"\r\n2,\"\"\r\n", 1, "id:INT label:VARCHAR | 1 say \"hi\" | 2 ", NULL},
    {"[{\"Name\":\"Shadowfax\",\"Base\":\"Rivendell\",\"Age\":7},{\"Name\":\"Bucephalus\",\"Age\":null,\"X\":1.5}]", 0,
     "Name:VARCHAR Base:VARCHAR Age:INT X:DOUBLE | Shadowfax Rivendell 7 NULL | Bucephalus NULL NULL 1.5", NULL},
    {"{\"k\":1,\"v\":\"a\"}\n{\"k\":2,\"v\":3}\n", 0, "k:INT v:VARCHAR | 1 a | 2 3", NULL},
    {"a,b\n1,2,3\n", 1, NULL, "line 2: more fields than the header's 2"},
    {"a\n\"open\n", 1, NULL, "a quoted field is not closed"},
    {"[1, 2]", 0, NULL, "record 1 is not a JSON object"},
    {"{\"a\":1}\n{nope\n", 0, NULL, "line 2:"},
    {"", 1, NULL, "no columns"},
};

static void test_load(void)
{
    for (size_t i = 0; i < sizeof loads / sizeof *loads; i++) {
        char err[256] = "";
        struct sql_reftable *t = sql_reftable_load("t", loads[i].data, strlen(loads[i].data), loads[i].csv, err, sizeof err);
        if (!loads[i].want) {
            if (!CHECK(t == NULL && strstr(err, loads[i].err) != NULL))
                fprintf(stderr, "  load %zu: got '%s'\n", i, err);
            sql_reftable_free(t);
            continue;
        }
        if (!CHECK(t != NULL)) {
            fprintf(stderr, "  load %zu: %s\n", i, err);
            continue;
        }
        /* columns, then each row found by its first column's value */
        const struct sql_schema *s = sql_reftable_schema(t);
        char got[1024];
        size_t o = 0;
        for (int c = 0; c < s->ncols; c++)
            o += (size_t)snprintf(got + o, sizeof got - o, "%s%s:%s", c ? " " : "", s->cols[c].name,
                                  sql_type_name(s->cols[c].type));
        const char *w = strchr(loads[i].want, '|');
        for (const char *p = w; p; p = strchr(p + 1, '|')) {
            /* the first column's value of this expected row */
            char first[64];
            sscanf(p + 2, "%63s", first);
            struct sql_value key = {.type = s->cols[0].type};
            if (key.type == SQL_INT)
                key.u.i = strtoll(first, NULL, 10);
            else
                key.u.str.s = first, key.u.str.len = strlen(first);
            const struct sql_value *row = sql_reftable_find(t, 0, &key);
            o += (size_t)snprintf(got + o, sizeof got - o, " |");
            for (int c = 0; row && c < s->ncols; c++) {
                char buf[64];
                size_t n;
                const char *text = sql_value_text(&row[c], buf, sizeof buf, &n);
                o += (size_t)snprintf(got + o, sizeof got - o, " %.*s", (int)n, text);
            }
        }
        CHECK_STR(got, loads[i].want);
        CHECK_INT(sql_reftable_rows(t), 2);
        sql_reftable_free(t);
    }
}

/* 2. Streams joined with a table, through the processor's script API. */
static const char *const owners_csv = "Name,Owner,Base,Stable\nShadowfax,Gandalf,Rivendell,1\nRocinante,Quixote,La Mancha,2\n";

struct out {
    char rows[8][256];
    int n;
    struct sql_query *q;
};

static int keep(void *arg, const struct sql_value *v, int n)
{
    struct out *o = arg;
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

static const char *const events[] = {
    "{\"Name\":\"Shadowfax\",\"StatusTime\":\"2026-11-22 07:00:01.000\",\"Latitude\":1,\"Longitude\":2,\"Distance\":10,"
    "\"MagicPoints\":150,\"HealthPoints\":140}",
    "{\"Name\":\"Bucephalus\",\"StatusTime\":\"2026-11-22 07:00:02.000\",\"Latitude\":1,\"Longitude\":2,\"Distance\":20,"
    "\"MagicPoints\":150,\"HealthPoints\":90}",
    "{\"Name\":\"Rocinante\",\"StatusTime\":\"2026-11-22 07:00:03.000\",\"Latitude\":1,\"Longitude\":2,\"Distance\":30,"
    "\"MagicPoints\":150,\"HealthPoints\":120}",
};

static const struct {
    const char *script;
    const char *want[4];
} joins[] = {
    {"CREATE STREAM s AS SELECT w.Name, r.Owner, Base FROM wildrydes AS w JOIN owners AS r ON r.Name = w.Name;",
     {"{\"Name\":\"Shadowfax\",\"Owner\":\"Gandalf\",\"Base\":\"Rivendell\"}",
      "{\"Name\":\"Rocinante\",\"Owner\":\"Quixote\",\"Base\":\"La Mancha\"}"}},
    {"CREATE STREAM s AS SELECT Name, Owner, HealthPoints FROM wildrydes LEFT OUTER JOIN owners ON owners.Name = "
     "wildrydes.Name WHERE Owner IS NULL OR HealthPoints > 100;",
     {"{\"Name\":\"Shadowfax\",\"Owner\":\"Gandalf\",\"HealthPoints\":140}",
      "{\"Name\":\"Bucephalus\",\"Owner\":null,\"HealthPoints\":90}",
      "{\"Name\":\"Rocinante\",\"Owner\":\"Quixote\",\"HealthPoints\":120}"}},
    /* a numeric key of the other numeric type; an expression on the stream's side */
    {"CREATE STREAM s AS SELECT Name, r.Owner FROM wildrydes JOIN owners r ON CAST(HealthPoints / 70 AS INT) = r.Stable;",
     {"{\"Name\":\"Shadowfax\",\"Owner\":\"Quixote\"}", "{\"Name\":\"Bucephalus\",\"Owner\":\"Gandalf\"}",
      "{\"Name\":\"Rocinante\",\"Owner\":\"Quixote\"}"}},
    /* in a window: the table's columns group like any other */
    {"CREATE STREAM s AS SELECT Base, COUNT(*) AS n, SUM(Distance) AS d FROM wildrydes LEFT JOIN owners o ON o.Name = "
     "Name WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Base, Name;",
     {"{\"Base\":\"Rivendell\",\"n\":1,\"d\":10}", "{\"Base\":null,\"n\":1,\"d\":20}",
      "{\"Base\":\"La Mancha\",\"n\":1,\"d\":30}"}},
};

static int run(const char *script, struct sql_reference *ref, struct out *o, struct sql_error *err)
{
    struct sql_reference *refs[] = {ref};
    struct sql_script_opts opts = {.refs = refs, .nrefs = 1};
    struct sql_script *s = sql_script_parse_opts(script, &opts, err);
    if (!s)
        return -1;
    struct sql_query *q = sql_script_instance(s, 0, err);
    o->q = q;
    sql_query_set_output(q, keep, o);
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        struct sql_value row[32];
        struct sql_row_source src;
        char reason[128];
        struct sql_push r;
        if (sql_row_from_json(sql_query_columns(q), sql_query_ncolumns(q), sql_query_schema(q), events[i],
                              strlen(events[i]), row, &src, reason, sizeof reason) == 0)
            sql_query_push(q, row, (int64_t)i, 0, &r, err);
        sql_row_release(&src);
        if (i == 0 && ref->table && strstr(script, "reload")) {
            /* a reload between rows: the next rows see the new table */
            char e[128];
            struct sql_reftable *old = ref->table;
            ref->table = sql_reftable_load("owners", "Name,Owner\nRocinante,Sancho\n", 29, 1, e, sizeof e);
            sql_reftable_free(old);
        }
    }
    sql_query_advance(q, INT64_MAX / 2, 1, err);
    sql_query_free(q);
    sql_script_free(s);
    return 0;
}

static void test_join(void)
{
    for (size_t i = 0; i < sizeof joins / sizeof *joins; i++) {
        char e[128];
        struct sql_reference ref = {"owners", sql_reftable_load("owners", owners_csv, strlen(owners_csv), 1, e, sizeof e)};
        struct out o = {0};
        struct sql_error err = {0};
        if (!CHECK(run(joins[i].script, &ref, &o, &err) == 0))
            fprintf(stderr, "  join %zu: %d:%d %s\n", i, err.line, err.col, err.msg);
        int want = 0;
        while (want < 4 && joins[i].want[want])
            want++;
        CHECK_INT(o.n, want);
        for (int k = 0; k < want && k < o.n; k++)
            CHECK_STR(o.rows[k], joins[i].want[k]);
        sql_reftable_free(ref.table);
    }
    /* a reload: the rows after it see the new table */
    char e[128];
    struct sql_reference ref = {"owners", sql_reftable_load("owners", owners_csv, strlen(owners_csv), 1, e, sizeof e)};
    struct out o = {0};
    struct sql_error err = {0};
    CHECK(run("CREATE STREAM s AS SELECT Name, Owner FROM wildrydes LEFT JOIN owners ON owners.Name = Name -- reload\n;",
              &ref, &o, &err) == 0);
    CHECK_INT(o.n, 3);
    CHECK_STR(o.rows[0], "{\"Name\":\"Shadowfax\",\"Owner\":\"Gandalf\"}");
    CHECK_STR(o.rows[2], "{\"Name\":\"Rocinante\",\"Owner\":\"Sancho\"}");
    sql_reftable_free(ref.table);
}

/* 3. AWS's reference data example (developer guide, "Example: Adding
 * Reference Data"): its CSV as printed, its application code as printed. */
static void test_aws_example(void)
{
    static const char csv[] = "Ticker, Company\nAMZN,Amazon\nASD, SomeCompanyA\nMMB, SomeCompanyB\nWAS,  SomeCompanyC\n";
    static const char app[] =
        "CREATE OR REPLACE STREAM \"SOURCE_SQL_STREAM_001\" (TICKER_SYMBOL VARCHAR(4), SECTOR VARCHAR(16), CHANGE REAL, "
        "PRICE REAL);\n"
        "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (ticker_symbol VARCHAR(4), \"Company\" varchar(20), sector "
        "VARCHAR(12), change DOUBLE, price DOUBLE);\n\n"
        "CREATE OR REPLACE PUMP \"STREAM_PUMP\" AS INSERT INTO \"DESTINATION_SQL_STREAM\"\n"
        "   SELECT STREAM ticker_symbol, \"c\".\"Company\", sector, change, price\n"
        "   FROM \"SOURCE_SQL_STREAM_001\" LEFT JOIN \"CompanyName\" as \"c\"\n"
        "   ON \"SOURCE_SQL_STREAM_001\".ticker_symbol = \"c\".\"Ticker\";\n";
    static const char *const in[] = {
        "{\"TICKER_SYMBOL\":\"AMZN\",\"SECTOR\":\"TECHNOLOGY\",\"CHANGE\":-0.5,\"PRICE\":100.25}",
        "{\"TICKER_SYMBOL\":\"QXZ\",\"SECTOR\":\"RETAIL\",\"CHANGE\":1,\"PRICE\":20}",
        "{\"TICKER_SYMBOL\":\"ASD\",\"SECTOR\":\"FINANCIAL\",\"CHANGE\":0.25,\"PRICE\":9.5}",
    };
    static const char *const want[] = {
        "{\"TICKER_SYMBOL\":\"AMZN\",\"Company\":\"Amazon\",\"SECTOR\":\"TECHNOLOGY\",\"CHANGE\":-0.5,\"PRICE\":100.25}",
        "{\"TICKER_SYMBOL\":\"QXZ\",\"Company\":null,\"SECTOR\":\"RETAIL\",\"CHANGE\":1,\"PRICE\":20}",
        "{\"TICKER_SYMBOL\":\"ASD\",\"Company\":\" SomeCompanyA\",\"SECTOR\":\"FINANCIAL\",\"CHANGE\":0.25,\"PRICE\":9.5}",
    };
    char e[128];
    struct sql_reference ref = {"CompanyName", sql_reftable_load("CompanyName", csv, strlen(csv), 1, e, sizeof e)};
    struct sql_reference *refs[] = {&ref};
    struct sql_script_opts opts = {.refs = refs, .nrefs = 1};
    struct sql_error err = {0};
    struct sql_script *s = sql_script_parse_opts(app, &opts, &err);
    if (!CHECK(s != NULL)) {
        fprintf(stderr, "  %d:%d %s\n", err.line, err.col, err.msg);
        sql_reftable_free(ref.table);
        return;
    }
    struct sql_query *q = sql_script_instance(s, 0, &err);
    struct out o = {.q = q};
    sql_query_set_output(q, keep, &o);
    for (int i = 0; i < 3; i++) {
        struct sql_value row[32];
        struct sql_row_source src;
        char reason[128];
        struct sql_push r;
        CHECK(sql_row_from_json(sql_query_columns(q), sql_query_ncolumns(q), sql_query_schema(q), in[i], strlen(in[i]),
                                row, &src, reason, sizeof reason) == 0);
        CHECK(sql_query_push(q, row, i, 0, &r, &err) == 0);
        sql_row_release(&src);
    }
    CHECK_INT(o.n, 3);
    for (int i = 0; i < 3 && i < o.n; i++)
        CHECK_STR(o.rows[i], want[i]);
    sql_query_free(q);
    sql_script_free(s);
    sql_reftable_free(ref.table);
}

/* 4. Errors. */
static const struct sql_schema *wildrydes(const char *name)
{
    (void)name;
    return sql_schema_wildrydes();
}

static const struct {
    const char *script;
    int line, col;
    const char *msg;
} errors[] = {
    {"CREATE STREAM s AS SELECT Name FROM wildrydes JOIN nowhere ON nowhere.x = Name;", 1, 47,
     "unknown reference table 'nowhere'"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes JOIN owners o ON o.Colour = Name;", 1, 64,
     "reference table 'owners' has no column 'Colour'"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes JOIN owners o ON o.Name < Name;", 1, 64,
     "ON must be <a column of owners> = <an expression of the stream>"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes JOIN owners o ON Name = Name;", 1, 64, "ON must be"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes JOIN owners o Name = Name;", 1, 61, "expected ON after the joined"},
    {"CREATE STREAM s AS SELECT Name FROM wildrydes LEFT owners;", 1, 52, "expected JOIN"},
};

static void test_errors(void)
{
    char e[128];
    struct sql_reference ref = {"owners", sql_reftable_load("owners", owners_csv, strlen(owners_csv), 1, e, sizeof e)};
    struct sql_reference *refs[] = {&ref};
    struct sql_script_opts opts = {.refs = refs, .nrefs = 1};
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++) {
        struct sql_error err = {0};
        struct sql_script *s = sql_script_parse_opts(errors[i].script, &opts, &err);
        CHECK(s == NULL);
        sql_script_free(s);
        if (!CHECK(err.line == errors[i].line && err.col == errors[i].col && strstr(err.msg, errors[i].msg)))
            fprintf(stderr, "  error %zu: got %d:%d %s\n", i, err.line, err.col, err.msg);
    }
    /* bin/sql has no reference tables */
    struct sql_error err;
    CHECK(sql_query_compile("SELECT Name FROM wildrydes JOIN owners ON owners.Name = Name", wildrydes, &err) == NULL);
    CHECK(strstr(err.msg, "unknown reference table 'owners'") != NULL);
    sql_reftable_free(ref.table);
}

TEST_MAIN("test_reftable", test_load, test_join, test_aws_example, test_errors)
