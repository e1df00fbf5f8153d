/* fuzz_sql.c - libFuzzer target: any text given to the SQL module compiles
 * or fails with a positioned error, and a compiled expression evaluates,
 * without crashing, hanging or leaking. The input's first byte picks the
 * schema (bit 0), a processor script or Kinesis Analytics application
 * (bit 1), or a reference table (bit 2: CSV with bit 3, else JSON); the rest
 * is the text. */
#include "sql.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    const struct sql_schema *schema = data[0] & 1 ? sql_schema_wildrydes() : sql_schema_for_topic("json");
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct sql_error err;
    if (data[0] & 4) { /* reference data: a table, then a lookup of its first row's key */
        char why[256];
        struct sql_reftable *t = sql_reftable_load("t", text, size - 1, (data[0] & 8) != 0, why, sizeof why);
        if (!t && !why[0])
            abort(); /* every failure says why */
        if (t && sql_reftable_rows(t) > 0) {
            struct sql_value k = {.type = SQL_STRING, .u.str = {"x", 1}};
            for (int c = 0; c < sql_reftable_schema(t)->ncols; c++)
                sql_reftable_find(t, c, &k);
        }
        sql_reftable_free(t);
        free(text);
        return 0;
    }
    if (data[0] & 2) { /* a processor script: CREATE STREAM ... */
        struct sql_script *s = sql_script_parse(text, &err);
        if (!s && (err.line < 1 || err.col < 1 || !err.msg[0]))
            abort();
        for (int i = 0; s && i < sql_script_nstreams(s); i++)
            sql_query_free(sql_script_instance(s, i, &err));
        sql_script_free(s);
        free(text);
        return 0;
    }
    struct sql_expr *e = sql_expr_compile(text, schema, NULL, &err);
    if (!e) {
        char buf[1024];
        if (err.line < 1 || err.col < 1 || !err.msg[0])
            abort(); /* every error has a position and a message */
        sql_error_format(text, &err, buf, sizeof buf);
    } else {
        static const char *record =
            "{\"Name\":\"Shadowfax\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Latitude\":40.749167,"
            "\"Longitude\":-73.985184,\"Distance\":29.7,\"MagicPoints\":150,\"HealthPoints\":null,\"x\":\"y\"}";
        struct sql_value row[64], out;
        struct sql_row_source src;
        char reason[256];
        if (sql_expr_ncolumns(e) <= 64 &&
            sql_row_from_json(sql_expr_columns(e), sql_expr_ncolumns(e), schema, record, strlen(record), row, &src, reason, sizeof reason) == 0)
            sql_expr_eval(e, row, &out, &err);
        sql_row_release(&src);
        sql_expr_free(e);
    }
    free(text);
    return 0;
}
