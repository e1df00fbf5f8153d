/* sql_reftable.c - reference data: a small table loaded from a CSV or JSON
 * object (Kinesis Analytics' in-application reference table), that queries
 * JOIN on a key. Column types are inferred from every value, as DuckDB's
 * read_csv_auto does: BOOLEAN, INT, DOUBLE, TIMESTAMP, else VARCHAR; an
 * empty CSV field or a JSON null is NULL. Lookups go through a hash index
 * per key column, built on first use. */
#include "rf_time.h"
#include "sql_query_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REF_COLS 256

struct sql_reftable {
    struct sql_schema schema;
    struct sql_column cols[MAX_REF_COLS];
    struct sql_value *v; /* nrows x ncols */
    int64_t nrows;
    struct sql_arena arena; /* names, strings */
    struct vtab index[MAX_REF_COLS]; /* by column, built on demand */
    unsigned char indexed[MAX_REF_COLS];
};

/* ---- reading: records of fields (text, or a JSON value) -------------------- */

struct field {
    const char *s; /* text (CSV, or a JSON string), or NULL */
    size_t len;
    json_t *j;     /* a JSON number or boolean, or NULL */
};

struct reader {
    struct sql_reftable *t;
    struct field *f; /* nrows x ncols */
    int64_t n, cap;
    int ncols;
};

static int add_row(struct reader *r, char *err, size_t errlen)
{
    if (r->n == r->cap) {
        int64_t cap = r->cap ? r->cap * 2 : 64;
        struct field *nf = realloc(r->f, sizeof *nf * (size_t)cap * (size_t)MAX_REF_COLS);
        if (!nf) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        r->f = nf;
        r->cap = cap;
    }
    memset(&r->f[r->n * MAX_REF_COLS], 0, sizeof *r->f * MAX_REF_COLS);
    r->n++;
    return 0;
}

static int column(struct reader *r, const char *name, size_t len, char *err, size_t errlen)
{
    for (int c = 0; c < r->ncols; c++)
        if (strlen(r->t->cols[c].name) == len && memcmp(r->t->cols[c].name, name, len) == 0)
            return c;
    if (r->ncols == MAX_REF_COLS) {
        snprintf(err, errlen, "more than %d columns", MAX_REF_COLS);
        return -1;
    }
    if (!(r->t->cols[r->ncols].name = sql_arena_strndup(&r->t->arena, name, len))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return r->ncols++;
}

/* RFC 4180: a header line, then records; "quoted" fields with "" inside. */
static int read_csv(struct reader *r, const char *p, size_t len, char *err, size_t errlen)
{
    const char *end = p + len;
    int header = 1, line = 1;
    /* every field's text and its NUL fit in twice the input */
    char *pool = sql_arena_alloc(&r->t->arena, 2 * len + 2);
    if (!pool) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while (p < end) {
        int c = 0;
        if (!header && add_row(r, err, errlen) < 0)
            return -1;
        for (;;) {
            char *buf = pool;
            size_t n = 0;
            int quoted = p < end && *p == '"';
            if (quoted) {
                for (p++;; p++) {
                    if (p >= end) {
                        snprintf(err, errlen, "line %d: a quoted field is not closed", line);
                        return -1;
                    }
                    if (*p == '"' && p + 1 < end && p[1] == '"')
                        buf[n++] = *p++;
                    else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        line += *p == '\n';
                        buf[n++] = *p;
                    }
                }
            } else {
                while (p < end && *p != ',' && *p != '\n' && *p != '\r')
                    buf[n++] = *p++;
            }
            buf[n] = '\0';
            pool += n + 1;
            if (header) { /* "Ticker, Company": names without the spaces around them */
                const char *nm = buf;
                while (n && (*nm == ' ' || *nm == '\t'))
                    nm++, n--;
                while (n && (nm[n - 1] == ' ' || nm[n - 1] == '\t'))
                    n--;
                if (column(r, nm, n, err, errlen) < 0)
                    return -1;
            } else if (c < r->ncols) {
                struct field *f = &r->f[(r->n - 1) * MAX_REF_COLS + c];
                f->s = n || quoted ? buf : NULL; /* an empty field is NULL, "" is '' */
                f->len = n;
            } else {
                snprintf(err, errlen, "line %d: more fields than the header's %d", line, r->ncols);
                return -1;
            }
            c++;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            break;
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        if (header && r->ncols == 0) {
            snprintf(err, errlen, "no header line");
            return -1;
        }
        header = 0;
        line++;
    }
    return 0;
}

static int json_object_row(struct reader *r, json_t *o, char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        snprintf(err, errlen, "record %lld is not a JSON object", (long long)r->n + 1);
        return -1;
    }
    if (add_row(r, err, errlen) < 0)
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int c = column(r, k, strlen(k), err, errlen);
        if (c < 0)
            return -1;
        struct field *f = &r->f[(r->n - 1) * MAX_REF_COLS + c];
        if (json_is_string(v)) {
            f->s = json_string_value(v);
            f->len = json_string_length(v);
        } else if (json_is_number(v) || json_is_boolean(v)) {
            f->j = v;
        } else if (!json_is_null(v)) {
            snprintf(err, errlen, "record %lld: \"%s\" is an object or array", (long long)r->n, k);
            return -1;
        }
    }
    return 0;
}

/* ---- types ----------------------------------------------------------------- */

static int text_int(const char *s, size_t n, int64_t *v)
{
    char buf[32], *e;
    if (n == 0 || n > 20)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    *v = strtoll(buf, &e, 10);
    return !*e && !errno;
}

static int text_double(const char *s, size_t n, double *v)
{
    char buf[64], *e;
    if (n == 0 || n > 63)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *v = strtod(buf, &e);
    return !*e;
}

static int text_bool(const char *s, size_t n, int *b)
{
    if (n == 4 && strncasecmp(s, "true", 4) == 0)
        return *b = 1, 1;
    if (n == 5 && strncasecmp(s, "false", 5) == 0)
        return *b = 0, 1;
    return 0;
}

/* Which types every value of column c fits: a bit per SQL type. */
static unsigned fits(const struct reader *r, int c)
{
    unsigned ok = 1u << SQL_BOOL | 1u << SQL_INT | 1u << SQL_DOUBLE | 1u << SQL_TIMESTAMP;
    for (int64_t i = 0; i < r->n; i++) {
        const struct field *f = &r->f[i * MAX_REF_COLS + c];
        int64_t iv;
        double dv;
        int b;
        if (f->j) {
            ok &= json_is_boolean(f->j) ? 1u << SQL_BOOL
                  : json_is_integer(f->j) ? (1u << SQL_INT | 1u << SQL_DOUBLE)
                                          : 1u << SQL_DOUBLE;
        } else if (f->s) {
            unsigned t = 0;
            if (text_bool(f->s, f->len, &b))
                t |= 1u << SQL_BOOL;
            if (text_int(f->s, f->len, &iv))
                t |= 1u << SQL_INT;
            if (text_double(f->s, f->len, &dv))
                t |= 1u << SQL_DOUBLE;
            if (rf_time_parse(f->s, f->len, &iv) == 0)
                t |= 1u << SQL_TIMESTAMP;
            ok &= t;
        }
    }
    return ok;
}

static void convert(const struct field *f, enum sql_type t, struct sql_value *v)
{
    v->type = SQL_NULL;
    if (!f->s && !f->j)
        return;
    v->type = t;
    if (t == SQL_STRING) {
        if (f->s) {
            v->u.str.s = f->s;
            v->u.str.len = f->len;
        } else {
            v->type = SQL_NULL; /* a number in a text column: set by the caller */
        }
    } else if (f->j) {
        if (t == SQL_BOOL)
            v->u.b = json_is_true(f->j);
        else if (t == SQL_INT)
            v->u.i = json_integer_value(f->j);
        else
            v->u.d = json_number_value(f->j);
    } else if (t == SQL_BOOL) {
        text_bool(f->s, f->len, &v->u.b);
    } else if (t == SQL_INT) {
        text_int(f->s, f->len, &v->u.i);
    } else if (t == SQL_DOUBLE) {
        text_double(f->s, f->len, &v->u.d);
    } else {
        rf_time_parse(f->s, f->len, &v->u.ts);
    }
}

struct sql_reftable *sql_reftable_load(const char *name, const char *data, size_t len, int csv, char *err,
                                       size_t errlen)
{
    struct sql_reftable *t = calloc(1, sizeof *t);
    struct reader r = {.t = t};
    json_t *doc = NULL;
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = 0;
    if (csv) {
        rc = read_csv(&r, data, len, err, errlen);
    } else {
        json_error_t je;
        /* an array of objects, or one object per line */
        doc = json_loadb(data, len, JSON_DECODE_ANY, &je);
        if (doc && json_is_array(doc)) {
            size_t i;
            json_t *o;
            json_array_foreach(doc, i, o) if (rc == 0) rc = json_object_row(&r, o, err, errlen);
        } else {
            json_decref(doc);
            doc = json_array();
            const char *p = data, *end = data + len;
            int line = 0;
            while (rc == 0 && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                line++;
                if (n && !(n == 1 && *p == '\r')) {
                    json_t *o = json_loadb(p, n, 0, &je);
                    if (!o) {
                        snprintf(err, errlen, "line %d: %s", line, je.text);
                        rc = -1;
                    } else {
                        json_array_append_new(doc, o);
                        rc = json_object_row(&r, o, err, errlen);
                    }
                }
                p += n + 1;
            }
        }
    }
    if (rc == 0 && r.ncols == 0) {
        snprintf(err, errlen, "no columns");
        rc = -1;
    }
    if (rc == 0 && !(t->v = calloc((size_t)(r.n ? r.n : 1) * (size_t)r.ncols, sizeof *t->v))) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (int c = 0; rc == 0 && c < r.ncols; c++) {
        unsigned ok = fits(&r, c);
        enum sql_type ty = ok & 1u << SQL_BOOL     ? SQL_BOOL
                           : ok & 1u << SQL_INT    ? SQL_INT
                           : ok & 1u << SQL_DOUBLE ? SQL_DOUBLE
                           : ok & 1u << SQL_TIMESTAMP ? SQL_TIMESTAMP
                                                      : SQL_STRING;
        if (ok == (1u << SQL_BOOL | 1u << SQL_INT | 1u << SQL_DOUBLE | 1u << SQL_TIMESTAMP))
            ty = SQL_STRING; /* only NULLs: nothing says what it is */
        t->cols[c].type = ty;
        for (int64_t i = 0; i < r.n; i++) {
            const struct field *f = &r.f[i * MAX_REF_COLS + c];
            struct sql_value *v = &t->v[i * r.ncols + c];
            convert(f, ty, v);
            if (ty == SQL_STRING && f->j) { /* a number or boolean among text: its JSON text */
                char *s = json_dumps(f->j, JSON_ENCODE_ANY);
                v->type = SQL_STRING;
                v->u.str.s = s ? sql_arena_strndup(&t->arena, s, strlen(s)) : "";
                v->u.str.len = strlen(v->u.str.s);
                free(s);
            } else if (ty == SQL_STRING && v->type == SQL_STRING && !csv) {
                v->u.str.s = sql_arena_strndup(&t->arena, v->u.str.s, v->u.str.len); /* outlives doc */
                if (!v->u.str.s)
                    rc = -1;
            }
        }
    }
    json_decref(doc);
    free(r.f);
    if (rc < 0) {
        sql_reftable_free(t);
        return NULL;
    }
    t->nrows = r.n;
    t->schema = (struct sql_schema){.name = sql_arena_strndup(&t->arena, name, strlen(name)), .cols = t->cols,
                                    .ncols = r.ncols};
    return t;
}

void sql_reftable_free(struct sql_reftable *t)
{
    if (!t)
        return;
    for (int c = 0; c < MAX_REF_COLS; c++)
        sql_vtab_free(&t->index[c]);
    free(t->v);
    sql_arena_free(&t->arena);
    free(t);
}

const struct sql_schema *sql_reftable_schema(const struct sql_reftable *t) { return &t->schema; }
int64_t sql_reftable_rows(const struct sql_reftable *t) { return t->nrows; }

struct index_ctx {
    const struct sql_reftable *t;
    int col;
};

static const struct sql_value *col_key(void *ctx, int32_t e)
{
    const struct index_ctx *x = ctx;
    return &x->t->v[(int64_t)e * x->t->schema.ncols + x->col];
}

const struct sql_value *sql_reftable_find(struct sql_reftable *t, int col, const struct sql_value *key)
{
    if (key->type == SQL_NULL || col < 0 || col >= t->schema.ncols)
        return NULL; /* NULL joins nothing */
    struct index_ctx x = {t, col};
    struct sql_value k = *key;
    /* a number compares with a number: INT 3 finds DOUBLE 3.0 */
    if (k.type == SQL_INT && t->cols[col].type == SQL_DOUBLE)
        k = (struct sql_value){.type = SQL_DOUBLE, .u.d = (double)key->u.i};
    else if (k.type == SQL_DOUBLE && t->cols[col].type == SQL_INT && k.u.d == (double)(int64_t)k.u.d)
        k = (struct sql_value){.type = SQL_INT, .u.i = (int64_t)key->u.d};
    if (!t->indexed[col]) { /* first lookup on this column: index it (the first row of a key wins) */
        for (int64_t i = 0; i < t->nrows && i < INT32_MAX; i++) {
            const struct sql_value *v = &t->v[i * t->schema.ncols + col];
            if (v->type == SQL_NULL)
                continue;
            size_t slot;
            uint64_t h = sql_hash_tuple(v, 1);
            int32_t e = sql_vtab_find(&t->index[col], h, v, 1, col_key, &x, &slot);
            if (e == -2)
                return NULL;
            if (e == -1)
                sql_vtab_insert(&t->index[col], slot, h, (int32_t)i);
        }
        t->indexed[col] = 1;
    }
    size_t slot;
    int32_t e = sql_vtab_find(&t->index[col], sql_hash_tuple(&k, 1), &k, 1, col_key, &x, &slot);
    return e >= 0 ? &t->v[(int64_t)e * t->schema.ncols] : NULL;
}
