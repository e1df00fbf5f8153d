/* sql_schema.c - schemas that are not built in (see sql.h): the one an
 * archive carries beside its objects, and one inferred from sample records
 * when an archive carries none. */
#include "rf_time.h"
#include "sql.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS 256 /* fields an inferred schema keeps (the first seen) */

/* A schema this file built owns its columns and their names. */
struct owned_schema {
    struct sql_schema s; /* first: a struct sql_schema * is an owned_schema * */
    struct sql_column *cols;
    char *name, *time_col;
};

static struct sql_schema *schema_new(const char *name, int ncols)
{
    struct owned_schema *o = calloc(1, sizeof *o);
    if (!o || !(o->cols = calloc((size_t)(ncols ? ncols : 1), sizeof *o->cols)) || !(o->name = strdup(name))) {
        if (o)
            free(o->cols);
        free(o);
        return NULL;
    }
    o->s.name = o->name;
    o->s.cols = o->cols;
    return &o->s;
}

void sql_schema_free(struct sql_schema *s)
{
    if (!s)
        return;
    struct owned_schema *o = (struct owned_schema *)s;
    for (int i = 0; i < s->ncols; i++)
        free((char *)o->cols[i].name);
    free(o->cols);
    free(o->name);
    free(o->time_col);
    free(o);
}

/* ---- the schema file ---------------------------------------------------- */

int sql_schema_to_json(const struct sql_schema *s, const char *format, char *buf, size_t len)
{
    json_t *cols = json_array(), *doc = json_object();
    for (int i = 0; i < s->ncols; i++)
        json_array_append_new(cols, json_pack("{s:s, s:s}", "name", s->cols[i].name, "type",
                                              sql_type_name(s->cols[i].type)));
    json_object_set_new(doc, "format", json_string(format));
    const char *tc = s->time_col;
    for (int i = 0; !tc && i < s->ncols; i++)
        if (s->cols[i].type == SQL_TIMESTAMP)
            tc = s->cols[i].name;
    json_object_set_new(doc, "time_column", tc ? json_string(tc) : json_null());
    json_object_set_new(doc, "columns", cols);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return -1;
    size_t n = strlen(text);
    int ok = n + 2 <= len;
    if (ok)
        snprintf(buf, len, "%s\n", text);
    free(text);
    return ok ? (int)n + 1 : -1;
}

static int type_named(const char *t, enum sql_type *out)
{
    static const struct {
        const char *name;
        enum sql_type type;
    } names[] = {{"BOOLEAN", SQL_BOOL}, {"INT", SQL_INT},          {"BIGINT", SQL_INT},
                 {"DOUBLE", SQL_DOUBLE}, {"VARCHAR", SQL_STRING}, {"TIMESTAMP", SQL_TIMESTAMP}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp(t, names[i].name) == 0) {
            *out = names[i].type;
            return 0;
        }
    return -1;
}

struct sql_schema *sql_schema_from_json(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr), *cols = json_object_get(doc, "columns");
    if (!doc || !json_is_array(cols) || json_array_size(cols) == 0 || json_array_size(cols) > MAX_FIELDS) {
        snprintf(err, errlen, "not a schema: %s", doc ? "expected \"columns\": [{\"name\":..., \"type\":...}, ...]"
                                                       : jerr.text);
        json_decref(doc);
        return NULL;
    }
    struct sql_schema *s = schema_new(name, (int)json_array_size(cols));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        json_decref(doc);
        return NULL;
    }
    struct owned_schema *o = (struct owned_schema *)s;
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *cn = json_string_value(json_object_get(c, "name"));
        const char *ct = json_string_value(json_object_get(c, "type"));
        enum sql_type t;
        if (!cn || !*cn || !ct || type_named(ct, &t) < 0) {
            snprintf(err, errlen, "column %zu: expected a \"name\" and a \"type\" (BOOLEAN, INT, DOUBLE, VARCHAR, "
                                  "TIMESTAMP)", i + 1);
            sql_schema_free(s);
            json_decref(doc);
            return NULL;
        }
        if (!(o->cols[s->ncols].name = strdup(cn))) {
            snprintf(err, errlen, "out of memory");
            sql_schema_free(s);
            json_decref(doc);
            return NULL;
        }
        o->cols[s->ncols++].type = t;
    }
    const char *tc = json_string_value(json_object_get(doc, "time_column"));
    if (tc && (o->time_col = strdup(tc)))
        s->time_col = o->time_col;
    json_decref(doc);
    return s;
}

/* ---- inference ---------------------------------------------------------- */

/* What one field held across the sample: a lattice joined value by value. */
enum seen { SEEN_BOOL = 1, SEEN_INT = 2, SEEN_REAL = 4, SEEN_TS = 8, SEEN_TEXT = 16, SEEN_OTHER = 32 };

struct sql_infer {
    char *names[MAX_FIELDS];
    unsigned seen[MAX_FIELDS];
    int n;
    long long records;
};

struct sql_infer *sql_infer_new(void) { return calloc(1, sizeof(struct sql_infer)); }

void sql_infer_free(struct sql_infer *in)
{
    if (!in)
        return;
    for (int i = 0; i < in->n; i++)
        free(in->names[i]);
    free(in);
}

static unsigned seen_of(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return SEEN_BOOL;
    case JSON_INTEGER:
        return SEEN_INT;
    case JSON_REAL:
        return SEEN_REAL;
    case JSON_STRING: {
        int64_t ts;
        return rf_time_parse(json_string_value(v), json_string_length(v), &ts) == 0 ? SEEN_TS : SEEN_TEXT;
    }
    case JSON_NULL:
        return 0;
    default:
        return SEEN_OTHER;
    }
}

int sql_infer_line(struct sql_infer *in, const char *json, size_t len)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v)
    {
        int i = 0;
        while (i < in->n && strcmp(in->names[i], k) != 0)
            i++;
        if (i == in->n) {
            if (in->n == MAX_FIELDS || !(in->names[i] = strdup(k)))
                continue;
            in->n++;
        }
        in->seen[i] |= seen_of(v);
    }
    json_decref(doc);
    in->records++;
    return 0;
}

long long sql_infer_records(const struct sql_infer *in) { return in->records; }

struct sql_schema *sql_infer_schema(const struct sql_infer *in, const char *name)
{
    struct sql_schema *s = schema_new(name, in->n);
    if (!s)
        return NULL;
    struct owned_schema *o = (struct owned_schema *)s;
    for (int i = 0; i < in->n; i++) {
        unsigned m = in->seen[i];
        /* the narrowest type every value fits: ints in DOUBLE, anything in VARCHAR */
        enum sql_type t = m == SEEN_BOOL                             ? SQL_BOOL
                          : m == SEEN_INT                            ? SQL_INT
                          : m && (m & ~(unsigned)(SEEN_INT | SEEN_REAL)) == 0 ? SQL_DOUBLE
                          : m == SEEN_TS                             ? SQL_TIMESTAMP
                                                                     : SQL_STRING;
        if (!(o->cols[i].name = strdup(in->names[i]))) {
            sql_schema_free(s);
            return NULL;
        }
        o->cols[i].type = t;
        s->ncols++;
    }
    return s;
}
