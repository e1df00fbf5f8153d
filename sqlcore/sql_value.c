/* sql_value.c - value comparison and truth, type names, schemas. */
#include "sql_int.h"

#include <string.h>
#include <strings.h>

const char *sql_type_name(enum sql_type t)
{
    static const char *const names[] = {"NULL", "BOOLEAN", "INT", "DOUBLE", "VARCHAR", "TIMESTAMP"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

int sql_is_numeric(enum sql_type t) { return t == SQL_INT || t == SQL_DOUBLE; }

int sql_value_truthy(const struct sql_value *v)
{
    if (v->type == SQL_BOOL)
        return v->u.b != 0;
    return -1; /* NULL, or a non-boolean (only reachable with open schemas) */
}

int sql_value_compare(const struct sql_value *a, const struct sql_value *b)
{
    if (sql_is_numeric(a->type) && sql_is_numeric(b->type)) {
        if (a->type == SQL_INT && b->type == SQL_INT)
            return (a->u.i > b->u.i) - (a->u.i < b->u.i);
        double x = a->type == SQL_INT ? (double)a->u.i : a->u.d;
        double y = b->type == SQL_INT ? (double)b->u.i : b->u.d;
        if (x != x || y != y) /* NaN: equal to itself, above every number (as in DuckDB): a total order */
            return (x != x) - (y != y);
        return (x > y) - (x < y);
    }
    if (a->type != b->type)
        return -2;
    switch (a->type) {
    case SQL_STRING: {
        size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
        int c = memcmp(a->u.str.s, b->u.str.s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return (a->u.str.len > b->u.str.len) - (a->u.str.len < b->u.str.len);
    }
    case SQL_BOOL:
        return (a->u.b > b->u.b) - (a->u.b < b->u.b);
    case SQL_TIMESTAMP:
        return (a->u.ts > b->u.ts) - (a->u.ts < b->u.ts);
    default:
        return -2;
    }
}

int sql_ident_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

static const struct sql_column wildrydes_cols[] = {
    {"Name", SQL_STRING},      {"StatusTime", SQL_TIMESTAMP}, {"Latitude", SQL_DOUBLE},    {"Longitude", SQL_DOUBLE},
    {"Distance", SQL_DOUBLE},  {"MagicPoints", SQL_INT},      {"HealthPoints", SQL_INT},
};
static const struct sql_column summary_cols[] = {
    {"Name", SQL_STRING},         {"StatusTime", SQL_TIMESTAMP},     {"Distance", SQL_DOUBLE},
    {"MinMagicPoints", SQL_INT},  {"MaxMagicPoints", SQL_INT},       {"MinHealthPoints", SQL_INT},
    {"MaxHealthPoints", SQL_INT},
};
static const struct sql_schema wildrydes = {"wildrydes", wildrydes_cols, 7, 0, "Name", "StatusTime"};
static const struct sql_schema summary = {"wildrydes-summary", summary_cols, 7, 0, "Name", "StatusTime"};
static const struct sql_schema open_schema = {"json", NULL, 0, 1, NULL, NULL};

const struct sql_schema *sql_schema_wildrydes(void) { return &wildrydes; }
const struct sql_schema *sql_schema_summary(void) { return &summary; }

const struct sql_schema *sql_schema_for_topic(const char *topic)
{
    if (strcmp(topic, "wildrydes") == 0)
        return &wildrydes;
    if (strcmp(topic, "wildrydes-summary") == 0)
        return &summary;
    return &open_schema;
}
