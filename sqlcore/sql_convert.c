/* sql_convert.c - declared column types: what CREATE STREAM "S" (col TYPE)
 * says in a Kinesis Analytics application, and the conversion a pump's
 * INSERT INTO "S" applies to each value it writes (see sql_int.h and the
 * rules in docs/kda.md). Conversions never allocate: text goes to the
 * evaluation's scratch space. */
#include "sql_int.h"
#include "rf_time.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum sql_decl decl;
    enum sql_type type;
} decls[] = {
    {"VARCHAR", D_VARCHAR, SQL_STRING},    {"CHAR", D_CHAR, SQL_STRING},        {"CHARACTER", D_CHAR, SQL_STRING},
    {"STRING", D_VARCHAR, SQL_STRING},     {"TINYINT", D_TINYINT, SQL_INT},     {"SMALLINT", D_SMALLINT, SQL_INT},
    {"INTEGER", D_INTEGER, SQL_INT},       {"INT", D_INTEGER, SQL_INT},         {"BIGINT", D_BIGINT, SQL_INT},
    {"REAL", D_REAL, SQL_DOUBLE},          {"FLOAT", D_DOUBLE, SQL_DOUBLE},     {"DOUBLE", D_DOUBLE, SQL_DOUBLE},
    {"DECIMAL", D_DECIMAL, SQL_DOUBLE},    {"NUMERIC", D_DECIMAL, SQL_DOUBLE},  {"DEC", D_DECIMAL, SQL_DOUBLE},
    {"BOOLEAN", D_BOOLEAN, SQL_BOOL},      {"TIMESTAMP", D_TIMESTAMP, SQL_TIMESTAMP},
};

/* One number in parentheses' list: "(16)" or "(8, 2)". */
static int int_arg(struct sql_lexer *lx, struct token *t, int *v, const char *what, struct sql_error *err)
{
    if (t->type != T_INT) {
        sql_error_set(err, t->line, t->col, "expected %s, found '%.*s'", what, (int)(t->len > 20 ? 20 : t->len),
                      t->start);
        return -1;
    }
    long n = strtol(t->start, NULL, 10);
    if (n < 1 || n > 65535) {
        sql_error_set(err, t->line, t->col, "%s must be between 1 and 65535", what);
        return -1;
    }
    *v = (int)n;
    *t = sql_lex_next(lx, err);
    return t->type == T_ERROR ? -1 : 0;
}

static int expect(struct sql_lexer *lx, struct token *t, enum tok type, const char *what, struct sql_error *err)
{
    if (t->type != type) {
        sql_error_set(err, t->line, t->col, "expected %s, found '%.*s'", what, (int)(t->len > 20 ? 20 : t->len),
                      t->start);
        return -1;
    }
    *t = sql_lex_next(lx, err);
    return t->type == T_ERROR ? -1 : 0;
}

int sql_coltype_parse(struct sql_lexer *lx, struct token *t, struct sql_coltype *ct, struct sql_error *err)
{
    memset(ct, 0, sizeof *ct);
    size_t k = 0;
    while (k < sizeof decls / sizeof *decls && !(t->type == T_IDENT && sql_tok_is(t, decls[k].name)))
        k++;
    if (k == sizeof decls / sizeof *decls) {
        sql_error_set(err, t->line, t->col,
                      "unsupported column type '%.*s' (VARCHAR(n), CHAR(n), TINYINT, SMALLINT, INTEGER, BIGINT, REAL, "
                      "DOUBLE, DECIMAL(p,s), BOOLEAN or TIMESTAMP)",
                      (int)(t->len > 20 ? 20 : t->len), t->start);
        return -1;
    }
    ct->decl = decls[k].decl;
    ct->type = decls[k].type;
    struct token name = *t;
    *t = sql_lex_next(lx, err);
    if (t->type == T_ERROR)
        return -1;
    if (ct->decl == D_DOUBLE && sql_tok_is(&name, "DOUBLE") && t->type == T_IDENT && sql_tok_is(t, "PRECISION")) {
        *t = sql_lex_next(lx, err);
        return t->type == T_ERROR ? -1 : 0;
    }
    if ((ct->decl == D_VARCHAR || ct->decl == D_CHAR) && t->type == T_IDENT && sql_tok_is(t, "VARYING")) {
        ct->decl = D_VARCHAR; /* CHARACTER VARYING(n) */
        *t = sql_lex_next(lx, err);
        if (t->type == T_ERROR)
            return -1;
    }
    if (ct->decl == D_CHAR)
        ct->len = 1; /* CHAR is CHAR(1) */
    if (t->type != T_LPAREN)
        return 0;
    if (ct->decl != D_VARCHAR && ct->decl != D_CHAR && ct->decl != D_DECIMAL) {
        sql_error_set(err, t->line, t->col, "%s takes no length", decls[k].name);
        return -1;
    }
    *t = sql_lex_next(lx, err);
    if (ct->decl == D_DECIMAL) {
        if (int_arg(lx, t, &ct->prec, "a precision", err) < 0)
            return -1;
        if (ct->prec > 18) {
            sql_error_set(err, name.line, name.col, "DECIMAL precision is at most 18 here (a 64-bit value)");
            return -1;
        }
        if (t->type == T_COMMA) {
            *t = sql_lex_next(lx, err);
            if (t->type == T_INT && strtol(t->start, NULL, 10) == 0) {
                *t = sql_lex_next(lx, err); /* scale 0 */
            } else if (int_arg(lx, t, &ct->scale, "a scale", err) < 0) {
                return -1;
            }
            if (ct->scale > ct->prec) {
                sql_error_set(err, name.line, name.col, "DECIMAL scale %d is more than its precision %d", ct->scale,
                              ct->prec);
                return -1;
            }
        }
    } else if (int_arg(lx, t, &ct->len, "a length", err) < 0) {
        return -1;
    }
    return expect(lx, t, T_RPAREN, "')' after the type's size", err);
}

const char *sql_coltype_name(const struct sql_coltype *ct, char *buf, size_t len)
{
    static const char *const names[] = {
        [D_ANY] = "ANY",         [D_VARCHAR] = "VARCHAR", [D_CHAR] = "CHAR",       [D_TINYINT] = "TINYINT",
        [D_SMALLINT] = "SMALLINT", [D_INTEGER] = "INTEGER", [D_BIGINT] = "BIGINT", [D_REAL] = "REAL",
        [D_DOUBLE] = "DOUBLE",   [D_DECIMAL] = "DECIMAL", [D_BOOLEAN] = "BOOLEAN", [D_TIMESTAMP] = "TIMESTAMP",
    };
    if (ct->decl == D_DECIMAL && ct->prec)
        snprintf(buf, len, "DECIMAL(%d,%d)", ct->prec, ct->scale);
    else if ((ct->decl == D_VARCHAR || ct->decl == D_CHAR) && ct->len)
        snprintf(buf, len, "%s(%d)", names[ct->decl], ct->len);
    else
        snprintf(buf, len, "%s", names[ct->decl]);
    return buf;
}

int sql_coltype_accepts(const struct sql_coltype *ct, enum sql_type t)
{
    if (t == SQL_NULL || ct->decl == D_ANY)
        return 1; /* known at run time */
    switch (ct->type) {
    case SQL_STRING:
        return 1; /* every value has a text form */
    case SQL_INT:
    case SQL_DOUBLE:
        return sql_is_numeric(t);
    default:
        return t == ct->type;
    }
}

static int fail(int line, int col, struct sql_error *err, const struct sql_coltype *ct, const char *why)
{
    char name[40];
    sql_error_set(err, line, col, "value does not fit %s: %s", sql_coltype_name(ct, name, sizeof name), why);
    return -1;
}

/* A number from a value whose type is known only at run time (text). */
static int as_number(const struct sql_value *v, struct sql_value *num)
{
    if (v->type == SQL_INT || v->type == SQL_DOUBLE) {
        *num = *v;
        return 0;
    }
    if (v->type != SQL_STRING || v->u.str.len == 0 || v->u.str.len > 63)
        return -1;
    char buf[64], *end;
    memcpy(buf, v->u.str.s, v->u.str.len);
    buf[v->u.str.len] = '\0';
    errno = 0;
    long long i = strtoll(buf, &end, 10);
    if (!*end && !errno) {
        num->type = SQL_INT;
        num->u.i = i;
        return 0;
    }
    double d = strtod(buf, &end);
    if (*end || end == buf)
        return -1;
    num->type = SQL_DOUBLE;
    num->u.d = d;
    return 0;
}

static int to_integer(const struct sql_coltype *ct, const struct sql_value *num, struct sql_value *out, int line,
                      int col, struct sql_error *err)
{
    static const int64_t lim[][2] = {
        [D_TINYINT] = {-128, 127},
        [D_SMALLINT] = {-32768, 32767},
        [D_INTEGER] = {INT32_MIN, INT32_MAX},
        [D_BIGINT] = {INT64_MIN, INT64_MAX},
    };
    int64_t i;
    if (num->type == SQL_DOUBLE) {
        double r = round(num->u.d); /* half away from zero */
        if (!isfinite(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0)
            return fail(line, col, err, ct, "out of range");
        i = (int64_t)r;
    } else {
        i = num->u.i;
    }
    if (i < lim[ct->decl][0] || i > lim[ct->decl][1])
        return fail(line, col, err, ct, "out of range");
    out->type = SQL_INT;
    out->u.i = i;
    return 0;
}

static int to_decimal(const struct sql_coltype *ct, const struct sql_value *num, struct sql_value *out, int line,
                      int col, struct sql_error *err)
{
    double d = num->type == SQL_INT ? (double)num->u.i : num->u.d;
    if (!isfinite(d))
        return fail(line, col, err, ct, "not a finite number");
    double scale = pow(10, ct->scale), r = round(d * scale) / scale;
    if (ct->prec && fabs(r) >= pow(10, ct->prec - ct->scale))
        return fail(line, col, err, ct, "more digits before the point than the precision allows");
    if (ct->scale == 0 && fabs(r) < 9.2e18) {
        out->type = SQL_INT;
        out->u.i = (int64_t)r;
    } else {
        out->type = SQL_DOUBLE;
        out->u.d = r;
    }
    return 0;
}

/* The value's text, cut to len characters, CHAR padded with spaces. */
static int to_text(const struct sql_coltype *ct, const struct sql_value *v, struct sql_scratch *scratch,
                   struct sql_value *out, int line, int col, struct sql_error *err)
{
    char buf[64];
    size_t n;
    const char *s = sql_value_text(v, buf, sizeof buf, &n);
    size_t keep = n;
    if (ct->len) { /* by characters, not bytes */
        size_t i = 0, chars = 0;
        uint32_t cp;
        while (i < n && chars < (size_t)ct->len) {
            i = sql_utf8_next(s, n, i, &cp);
            chars++;
        }
        keep = i;
        size_t pad = ct->decl == D_CHAR && chars < (size_t)ct->len ? (size_t)ct->len - chars : 0;
        if (pad || s == buf) {
            char *o = sql_scratch_alloc(scratch, keep + pad + 1);
            if (!o) {
                sql_error_set(err, line, col, "out of memory");
                return -1;
            }
            memcpy(o, s, keep);
            memset(o + keep, ' ', pad);
            o[keep + pad] = '\0';
            s = o;
            keep += pad;
        }
    } else if (s == buf) {
        char *o = sql_scratch_alloc(scratch, n + 1);
        if (!o) {
            sql_error_set(err, line, col, "out of memory");
            return -1;
        }
        memcpy(o, buf, n + 1);
        s = o;
    }
    out->type = SQL_STRING;
    out->u.str.s = s;
    out->u.str.len = keep;
    return 0;
}

int sql_coltype_convert(const struct sql_coltype *ct, const struct sql_value *v, struct sql_scratch *scratch,
                        struct sql_value *out, int line, int col, struct sql_error *err)
{
    if (v->type == SQL_NULL || ct->decl == D_ANY) {
        *out = *v;
        return 0;
    }
    struct sql_value num;
    switch (ct->decl) {
    case D_VARCHAR:
    case D_CHAR:
        return to_text(ct, v, scratch, out, line, col, err);
    case D_TINYINT:
    case D_SMALLINT:
    case D_INTEGER:
    case D_BIGINT:
        if (as_number(v, &num) < 0)
            return fail(line, col, err, ct, "not a number");
        return to_integer(ct, &num, out, line, col, err);
    case D_REAL:
    case D_DOUBLE:
        if (as_number(v, &num) < 0)
            return fail(line, col, err, ct, "not a number");
        out->type = SQL_DOUBLE;
        out->u.d = num.type == SQL_INT ? (double)num.u.i : num.u.d;
        if (ct->decl == D_REAL) {
            if (isfinite(out->u.d) && fabs(out->u.d) > FLT_MAX)
                return fail(line, col, err, ct, "out of range");
            out->u.d = (double)(float)out->u.d; /* a REAL keeps a float's precision */
        }
        return 0;
    case D_DECIMAL:
        if (as_number(v, &num) < 0)
            return fail(line, col, err, ct, "not a number");
        return to_decimal(ct, &num, out, line, col, err);
    case D_BOOLEAN:
        if (v->type == SQL_BOOL) {
            *out = *v;
            return 0;
        }
        if (v->type == SQL_STRING && (sql_ident_eq(v->u.str.s, v->u.str.len, "true") ||
                                      sql_ident_eq(v->u.str.s, v->u.str.len, "false"))) {
            out->type = SQL_BOOL;
            out->u.b = sql_ident_eq(v->u.str.s, v->u.str.len, "true");
            return 0;
        }
        return fail(line, col, err, ct, "not a boolean");
    case D_TIMESTAMP:
        if (v->type == SQL_TIMESTAMP) {
            *out = *v;
            return 0;
        }
        if (v->type == SQL_STRING && rf_time_parse(v->u.str.s, v->u.str.len, &out->u.ts) == 0) {
            out->type = SQL_TIMESTAMP;
            return 0;
        }
        return fail(line, col, err, ct, "not a timestamp");
    case D_ANY:
        break;
    }
    *out = *v;
    return 0;
}
