/* sql_func.c - scalar functions: their argument rules and implementations.
 *
 *   LOWER(s) UPPER(s) LENGTH(s) SUBSTR(s, start[, len])   (1-based, in characters)
 *   ABS(x) ROUND(x[, digits]) FLOOR(x) CEIL(x)             FLOOR(ts TO unit)
 *   COALESCE(a, b, ...)  NOW()  DATE_TRUNC('unit', ts)
 *   PARSE_TIMESTAMP(s)  FORMAT_TIMESTAMP(ts)             ('YYYY-MM-DD HH:MM:SS.mmm')
 *   GEO_DISTANCE(lat1, lon1, lat2, lon2)                 great-circle metres
 *   STEP(i BY n)  (integer: the largest multiple of n <= i; STEP(ts BY INTERVAL) is FLOOR)
 * and those of Kinesis Analytics applications:
 *   INITCAP(s) POSITION(x IN s) TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) NULLIF(a, b)
 *   MOD(a, b) POWER(a, b) EXP(x) LN(x) LOG10(x)
 *   CHAR_TO_TIMESTAMP(pattern, s) TIMESTAMP_TO_CHAR(pattern, ts) UNIX_TIMESTAMP(ts) TO_TIMESTAMP(ms) TSDIFF(a, b)
 * (CHAR_LENGTH, SUBSTRING(s FROM i FOR n), CEILING and CURRENT_ROW_TIMESTAMP are
 * other names of LENGTH, SUBSTR, CEIL and NOW, given by the parser.)
 * Aggregates (COUNT, SUM, AVG, MIN, MAX, ...) are recognised here so that
 * using one where it cannot run is a clear error. */
#include "rf_time.h"
#include "sql_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum fn {
    F_LOWER, F_UPPER, F_LENGTH, F_SUBSTR, F_ABS, F_ROUND, F_FLOOR, F_CEIL, F_COALESCE, F_NOW, F_DATE_TRUNC,
    F_PARSE_TIMESTAMP, F_FORMAT_TIMESTAMP, F_GEO_DISTANCE, F_STEP, F_INITCAP, F_POSITION, F_TRIM, F_NULLIF, F_MOD,
    F_POWER, F_EXP, F_LN, F_LOG10, F_CHAR_TO_TIMESTAMP, F_TIMESTAMP_TO_CHAR, F_UNIX_TIMESTAMP, F_TO_TIMESTAMP, F_TSDIFF
};

static const struct {
    const char *name;
    int min, max;
} fns[] = {
    [F_LOWER] = {"LOWER", 1, 1},       [F_UPPER] = {"UPPER", 1, 1},
    [F_LENGTH] = {"LENGTH", 1, 1},     [F_SUBSTR] = {"SUBSTR", 2, 3},
    [F_ABS] = {"ABS", 1, 1},           [F_ROUND] = {"ROUND", 1, 2},
    [F_FLOOR] = {"FLOOR", 1, 1},       [F_CEIL] = {"CEIL", 1, 1},
    [F_COALESCE] = {"COALESCE", 1, 32}, [F_NOW] = {"NOW", 0, 0},
    [F_DATE_TRUNC] = {"DATE_TRUNC", 2, 2}, [F_PARSE_TIMESTAMP] = {"PARSE_TIMESTAMP", 1, 1},
    [F_FORMAT_TIMESTAMP] = {"FORMAT_TIMESTAMP", 1, 1}, [F_GEO_DISTANCE] = {"GEO_DISTANCE", 4, 4},
    [F_STEP] = {"STEP", 2, 2},
    [F_INITCAP] = {"INITCAP", 1, 1},   [F_POSITION] = {"POSITION", 2, 2},
    [F_TRIM] = {"TRIM", 3, 3},         [F_NULLIF] = {"NULLIF", 2, 2},
    [F_MOD] = {"MOD", 2, 2},           [F_POWER] = {"POWER", 2, 2},
    [F_EXP] = {"EXP", 1, 1},           [F_LN] = {"LN", 1, 1},
    [F_LOG10] = {"LOG10", 1, 1},       [F_CHAR_TO_TIMESTAMP] = {"CHAR_TO_TIMESTAMP", 2, 2},
    [F_TIMESTAMP_TO_CHAR] = {"TIMESTAMP_TO_CHAR", 2, 2}, [F_UNIX_TIMESTAMP] = {"UNIX_TIMESTAMP", 1, 1},
    [F_TO_TIMESTAMP] = {"TO_TIMESTAMP", 1, 1}, [F_TSDIFF] = {"TSDIFF", 2, 2},
};

static const char *const aggregates[] = {"COUNT", "SUM", "AVG", "MIN", "MAX", "FIRST", "LAST", "PERCENTILE", NULL};

static int64_t trunc_unit(const char *s, size_t len)
{
    static const struct {
        const char *name;
        int64_t ms;
    } u[] = {{"millisecond", 1}, {"second", 1000}, {"minute", 60000}, {"hour", 3600000}, {"day", 86400000}};
    for (size_t i = 0; i < sizeof u / sizeof *u; i++)
        if (strlen(u[i].name) == len && strncasecmp(u[i].name, s, len) == 0)
            return u[i].ms;
    return 0;
}

static int arg_type(struct node *n, int i, int ok_mask, const char *what, struct sql_error *err)
{
    enum sql_type t = n->args[i]->type;
    if (t == SQL_NULL || (ok_mask & (1 << t)))
        return 0;
    sql_error_set(err, n->args[i]->line, n->args[i]->col, "type mismatch: %s(): argument %d must be %s, got %s",
                  n->name, i + 1, what, sql_type_name(t));
    return -1;
}

#define NUM ((1 << SQL_INT) | (1 << SQL_DOUBLE))
#define STR (1 << SQL_STRING)
#define TS (1 << SQL_TIMESTAMP)

int sql_bind_call(struct node *n, struct sql_error *err)
{
    int f = -1;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (fns[i].name && strcmp(fns[i].name, n->name) == 0)
            f = (int)i;
    if (f < 0) {
        for (int i = 0; aggregates[i]; i++)
            if (strcmp(aggregates[i], n->name) == 0) {
                sql_error_set(err, n->line, n->col, "aggregate function %s() is not allowed here (only in a "
                              "SELECT list or HAVING of a grouped query)", n->name);
                return -1;
            }
        sql_error_set(err, n->line, n->col, "unknown function %s()", n->name);
        return -1;
    }
    n->func = f;
    if (n->nargs < fns[f].min || n->nargs > fns[f].max) {
        if (fns[f].min == fns[f].max)
            sql_error_set(err, n->line, n->col, "%s() takes %d argument%s, got %d", n->name, fns[f].min,
                          fns[f].min == 1 ? "" : "s", n->nargs);
        else
            sql_error_set(err, n->line, n->col, "%s() takes %d to %d arguments, got %d", n->name, fns[f].min,
                          fns[f].max, n->nargs);
        return -1;
    }
    if (n->unit_ms && f != F_FLOOR) {
        sql_error_set(err, n->line, n->col, "TO <unit> is only for FLOOR(timestamp TO unit)");
        return -1;
    }
    switch (f) {
    case F_LOWER:
    case F_UPPER:
        n->type = SQL_STRING;
        return arg_type(n, 0, STR, "VARCHAR", err);
    case F_LENGTH:
        n->type = SQL_INT;
        return arg_type(n, 0, STR, "VARCHAR", err);
    case F_SUBSTR:
        n->type = SQL_STRING;
        return arg_type(n, 0, STR, "VARCHAR", err) || arg_type(n, 1, 1 << SQL_INT, "INT", err) ||
                       (n->nargs > 2 && arg_type(n, 2, 1 << SQL_INT, "INT", err))
                   ? -1
                   : 0;
    case F_ABS:
        n->type = n->args[0]->type;
        return arg_type(n, 0, NUM, "a number", err);
    case F_INITCAP:
        n->type = SQL_STRING;
        return arg_type(n, 0, STR, "VARCHAR", err);
    case F_POSITION:
        n->type = SQL_INT;
        return arg_type(n, 0, STR, "VARCHAR", err) || arg_type(n, 1, STR, "VARCHAR", err) ? -1 : 0;
    case F_TRIM:
        n->type = SQL_STRING;
        return arg_type(n, 0, STR, "VARCHAR", err) || arg_type(n, 1, STR, "VARCHAR (the characters to trim)", err)
                   ? -1
                   : 0;
    case F_NULLIF:
        n->type = n->args[0]->type;
        if (n->args[0]->type != SQL_NULL && n->args[1]->type != SQL_NULL && n->args[0]->type != n->args[1]->type &&
            !(sql_is_numeric(n->args[0]->type) && sql_is_numeric(n->args[1]->type))) {
            sql_error_set(err, n->line, n->col, "type mismatch: NULLIF() compares %s with %s",
                          sql_type_name(n->args[0]->type), sql_type_name(n->args[1]->type));
            return -1;
        }
        return 0;
    case F_MOD:
        n->type = n->args[0]->type == SQL_INT && n->args[1]->type == SQL_INT ? SQL_INT : SQL_DOUBLE;
        return arg_type(n, 0, NUM, "a number", err) || arg_type(n, 1, NUM, "a number", err) ? -1 : 0;
    case F_POWER:
        n->type = SQL_DOUBLE;
        return arg_type(n, 0, NUM, "a number", err) || arg_type(n, 1, NUM, "a number", err) ? -1 : 0;
    case F_EXP:
    case F_LN:
    case F_LOG10:
        n->type = SQL_DOUBLE;
        return arg_type(n, 0, NUM, "a number", err);
    case F_CHAR_TO_TIMESTAMP:
        n->type = SQL_TIMESTAMP;
        return arg_type(n, 0, STR, "a VARCHAR pattern ('yyyy-MM-dd HH:mm:ss')", err) ||
                       arg_type(n, 1, STR, "VARCHAR", err)
                   ? -1
                   : 0;
    case F_TIMESTAMP_TO_CHAR:
        n->type = SQL_STRING;
        return arg_type(n, 0, STR, "a VARCHAR pattern ('yyyy-MM-dd HH:mm:ss')", err) ||
                       arg_type(n, 1, TS, "TIMESTAMP", err)
                   ? -1
                   : 0;
    case F_UNIX_TIMESTAMP:
        n->type = SQL_INT;
        return arg_type(n, 0, TS, "TIMESTAMP", err);
    case F_TO_TIMESTAMP:
        n->type = SQL_TIMESTAMP;
        return arg_type(n, 0, 1 << SQL_INT, "BIGINT (milliseconds since 1970)", err);
    case F_TSDIFF:
        n->type = SQL_INT;
        return arg_type(n, 0, TS, "TIMESTAMP", err) || arg_type(n, 1, TS, "TIMESTAMP", err) ? -1 : 0;
    case F_STEP:
        n->type = SQL_INT;
        return arg_type(n, 0, 1 << SQL_INT, "an integer (or STEP(timestamp BY INTERVAL ...))", err);
    case F_ROUND:
        n->type = n->args[0]->type == SQL_INT && n->nargs == 1 ? SQL_INT : SQL_DOUBLE;
        return arg_type(n, 0, NUM, "a number", err) || (n->nargs > 1 && arg_type(n, 1, 1 << SQL_INT, "INT", err))
                   ? -1
                   : 0;
    case F_FLOOR:
    case F_CEIL:
        if (n->unit_ms) {
            n->type = SQL_TIMESTAMP;
            return arg_type(n, 0, TS, "TIMESTAMP", err);
        }
        n->type = n->args[0]->type == SQL_INT ? SQL_INT : SQL_DOUBLE;
        return arg_type(n, 0, NUM, "a number (or FLOOR(timestamp TO unit))", err);
    case F_COALESCE:
        n->type = SQL_NULL;
        for (int i = 0; i < n->nargs; i++) {
            enum sql_type t = n->args[i]->type;
            if (t == SQL_NULL)
                continue;
            if (n->type == SQL_NULL)
                n->type = t;
            else if (n->type != t && !(sql_is_numeric(t) && sql_is_numeric(n->type))) {
                sql_error_set(err, n->args[i]->line, n->args[i]->col,
                              "type mismatch: COALESCE() mixes %s and %s", sql_type_name(n->type), sql_type_name(t));
                return -1;
            } else if (n->type != t)
                n->type = SQL_DOUBLE;
        }
        return 0;
    case F_NOW:
        n->type = SQL_TIMESTAMP;
        return 0;
    case F_DATE_TRUNC: {
        struct node *u = n->args[0];
        if (u->kind != N_LITERAL || u->type != SQL_STRING || !(n->unit_ms = (int)trunc_unit(u->value.u.str.s, u->value.u.str.len))) {
            sql_error_set(err, u->line, u->col,
                          "DATE_TRUNC(): the unit must be 'second', 'minute', 'hour', 'day' or 'millisecond'");
            return -1;
        }
        n->type = SQL_TIMESTAMP;
        return arg_type(n, 1, TS, "TIMESTAMP", err);
    }
    case F_PARSE_TIMESTAMP:
        n->type = SQL_TIMESTAMP;
        return arg_type(n, 0, STR, "VARCHAR", err);
    case F_FORMAT_TIMESTAMP:
        n->type = SQL_STRING;
        return arg_type(n, 0, TS, "TIMESTAMP", err);
    case F_GEO_DISTANCE:
        n->type = SQL_DOUBLE;
        for (int i = 0; i < 4; i++)
            if (arg_type(n, i, NUM, "a number (degrees)", err) < 0)
                return -1;
        return 0;
    }
    return 0;
}

static double num(const struct sql_value *v) { return v->type == SQL_INT ? (double)v->u.i : v->u.d; }

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b) != 0 && ((a < 0) != (b < 0))); }

static void set_str(struct sql_value *out, const char *s, size_t len)
{
    out->type = SQL_STRING;
    out->u.str.s = s;
    out->u.str.len = len;
}

/* Does s[i..] start with one of the characters of set? */
static int in_set(const char *s, size_t n, size_t i, const struct sql_value *set, size_t *next)
{
    uint32_t c, k;
    *next = sql_utf8_next(s, n, i, &c);
    for (size_t j = 0; j < set->u.str.len;) {
        j = sql_utf8_next(set->u.str.s, set->u.str.len, j, &k);
        if (k == c)
            return 1;
    }
    return 0;
}

/* The functions of Kinesis Analytics applications (none takes NULL). */
static int kda_eval(const struct node *n, const struct sql_value *a, struct sql_scratch *scratch,
                    struct sql_value *out, struct sql_error *err)
{
    switch (n->func) {
    case F_INITCAP: { /* the first letter of each space-delimited word upper, the rest lower */
        if (a[0].type != SQL_STRING)
            return 0;
        /* lower case takes at most 2n + 4 bytes; upper-casing a character
         * of it at most triples it (a 1-byte one into 3) */
        char *lo = sql_scratch_alloc(scratch, 8 * a[0].u.str.len + 16);
        if (!lo)
            goto oom;
        size_t ln = sql_text_case(a[0].u.str.s, a[0].u.str.len, 0, lo), o = 0;
        char *res = lo + 2 * a[0].u.str.len + 4;
        int start = 1;
        for (size_t i = 0; i < ln;) {
            uint32_t c;
            size_t nx = sql_utf8_next(lo, ln, i, &c);
            o += start ? sql_utf8_put(res + o, sql_case_map(c, 1)) : (memcpy(res + o, lo + i, nx - i), nx - i);
            start = c == ' ';
            i = nx;
        }
        set_str(out, res, o);
        return 0;
    }
    case F_POSITION: { /* 1-based, in characters; 0 when absent; 1 for '' */
        if (a[0].type != SQL_STRING || a[1].type != SQL_STRING)
            return 0;
        const char *h = a[1].u.str.s, *x = a[0].u.str.s;
        size_t hn = a[1].u.str.len, xn = a[0].u.str.len;
        out->type = SQL_INT;
        out->u.i = 0;
        for (size_t i = 0; i + xn <= hn; i++)
            if (memcmp(h + i, x, xn) == 0) {
                out->u.i = (int64_t)sql_utf8_chars(h, i) + 1;
                break;
            }
        return 0;
    }
    case F_TRIM: {
        if (a[0].type != SQL_STRING || a[1].type != SQL_STRING)
            return 0;
        const char *s = a[0].u.str.s;
        size_t from = 0, to = a[0].u.str.len, nx;
        int side = (int)a[2].u.i;
        while (side != 2 && from < to && in_set(s, to, from, &a[1], &nx))
            from = nx;
        while (side != 1 && to > from) { /* the last character's start */
            size_t last = to - 1;
            while (last > from && ((unsigned char)s[last] & 0xC0) == 0x80)
                last--;
            if (!in_set(s, to, last, &a[1], &nx))
                break;
            to = last;
        }
        set_str(out, s + from, to - from);
        return 0;
    }
    case F_MOD:
        if (!sql_is_numeric(a[0].type) || !sql_is_numeric(a[1].type))
            return 0;
        if (a[0].type == SQL_INT && a[1].type == SQL_INT) {
            if (a[1].u.i == 0)
                return 0; /* NULL, as division by zero is */
            out->type = SQL_INT;
            out->u.i = a[1].u.i == -1 ? 0 : a[0].u.i % a[1].u.i;
        } else {
            out->type = SQL_DOUBLE;
            out->u.d = fmod(num(&a[0]), num(&a[1]));
        }
        return 0;
    case F_POWER:
    case F_EXP:
    case F_LN:
    case F_LOG10: {
        if (!sql_is_numeric(a[0].type) || (n->func == F_POWER && !sql_is_numeric(a[1].type)))
            return 0;
        double x = num(&a[0]);
        if ((n->func == F_LN || n->func == F_LOG10) && x <= 0)
            return 0; /* NULL: no logarithm */
        out->type = SQL_DOUBLE;
        out->u.d = n->func == F_POWER ? pow(x, num(&a[1])) : n->func == F_EXP ? exp(x) : n->func == F_LN ? log(x) : log10(x);
        return 0;
    }
    case F_CHAR_TO_TIMESTAMP:
        if (a[0].type != SQL_STRING || a[1].type != SQL_STRING)
            return 0;
        if (sql_datefmt_parse(a[0].u.str.s, a[0].u.str.len, a[1].u.str.s, a[1].u.str.len, &out->u.ts) < 0) {
            sql_error_set(err, n->line, n->col, "CHAR_TO_TIMESTAMP(): '%.*s' does not match the pattern '%.*s'",
                          (int)(a[1].u.str.len > 40 ? 40 : a[1].u.str.len), a[1].u.str.s,
                          (int)(a[0].u.str.len > 40 ? 40 : a[0].u.str.len), a[0].u.str.s);
            return -1;
        }
        out->type = SQL_TIMESTAMP;
        return 0;
    case F_TIMESTAMP_TO_CHAR: {
        if (a[0].type != SQL_STRING || a[1].type != SQL_TIMESTAMP)
            return 0;
        size_t cap = 4 * a[0].u.str.len + 16;
        char *s = sql_scratch_alloc(scratch, cap);
        if (!s)
            goto oom;
        size_t len = sql_datefmt_format(a[0].u.str.s, a[0].u.str.len, a[1].u.ts, s, cap);
        if (len == (size_t)-1) {
            sql_error_set(err, n->line, n->col, "TIMESTAMP_TO_CHAR(): pattern '%.*s' has a letter with no meaning "
                          "(y M d H h a m s S; quote text with '...')",
                          (int)(a[0].u.str.len > 40 ? 40 : a[0].u.str.len), a[0].u.str.s);
            return -1;
        }
        set_str(out, s, len);
        return 0;
    }
    case F_UNIX_TIMESTAMP:
        if (a[0].type != SQL_TIMESTAMP)
            return 0;
        out->type = SQL_INT;
        out->u.i = a[0].u.ts;
        return 0;
    case F_TO_TIMESTAMP:
        if (a[0].type != SQL_INT)
            return 0;
        out->type = SQL_TIMESTAMP;
        out->u.ts = a[0].u.i;
        return 0;
    case F_TSDIFF:
        if (a[0].type != SQL_TIMESTAMP || a[1].type != SQL_TIMESTAMP)
            return 0;
        if (__builtin_sub_overflow(a[0].u.ts, a[1].u.ts, &out->u.i))
            return 0; /* NULL: no such interval */
        out->type = SQL_INT;
        return 0;
    }
    return 0;
oom:
    sql_error_set(err, n->line, n->col, "out of memory");
    return -1;
}

int sql_call_eval(const struct node *n, const struct sql_value *a, struct sql_scratch *scratch,
                  struct sql_value *out, struct sql_error *err)
{
    out->type = SQL_NULL;
    if (n->func == F_COALESCE) {
        for (int i = 0; i < n->nargs; i++)
            if (a[i].type != SQL_NULL) {
                *out = a[i];
                if (n->type == SQL_DOUBLE && out->type == SQL_INT) {
                    out->type = SQL_DOUBLE;
                    out->u.d = (double)a[i].u.i;
                }
                return 0;
            }
        return 0;
    }
    if (n->func == F_NOW) {
        out->type = SQL_TIMESTAMP;
        out->u.ts = rf_time_now_ms();
        return 0;
    }
    if (n->func == F_NULLIF) {
        *out = a[0];
        if (a[0].type != SQL_NULL && a[1].type != SQL_NULL && sql_value_compare(&a[0], &a[1]) == 0)
            out->type = SQL_NULL;
        return 0;
    }
    for (int i = 0; i < n->nargs; i++)
        if (a[i].type == SQL_NULL)
            return 0; /* every other function is NULL on a NULL argument */
    if (n->func >= F_INITCAP)
        return kda_eval(n, a, scratch, out, err);
    /* Open schemas only know types at run time: a wrong one gives NULL. */
    switch (n->func) {
    case F_LOWER:
    case F_UPPER: {
        if (a[0].type != SQL_STRING)
            return 0;
        /* a character's other case may take more bytes than it does */
        char *s = sql_scratch_alloc(scratch, 2 * a[0].u.str.len + 4);
        if (!s)
            goto oom;
        set_str(out, s, sql_text_case(a[0].u.str.s, a[0].u.str.len, n->func == F_UPPER, s));
        return 0;
    }
    case F_LENGTH: {
        if (a[0].type != SQL_STRING)
            return 0;
        out->type = SQL_INT;
        out->u.i = (int64_t)sql_utf8_chars(a[0].u.str.s, a[0].u.str.len); /* characters, not bytes */
        return 0;
    }
    case F_SUBSTR: {
        if (a[0].type != SQL_STRING || a[1].type != SQL_INT || (n->nargs > 2 && a[2].type != SQL_INT))
            return 0;
        size_t from, len;
        sql_substr(a[0].u.str.s, a[0].u.str.len, a[1].u.i, n->nargs > 2 ? a[2].u.i : 0, n->nargs > 2, &from, &len);
        set_str(out, a[0].u.str.s + from, len);
        return 0;
    }
    case F_ABS:
        if (a[0].type == SQL_INT) {
            out->type = SQL_INT;
            out->u.i = a[0].u.i < 0 ? -a[0].u.i : a[0].u.i;
        } else if (a[0].type == SQL_DOUBLE) {
            out->type = SQL_DOUBLE;
            out->u.d = fabs(a[0].u.d);
        }
        return 0;
    case F_ROUND:
        if (!sql_is_numeric(a[0].type))
            return 0;
        if (n->type == SQL_INT) {
            *out = a[0];
            return 0;
        }
        {
            double p = n->nargs > 1 && a[1].type == SQL_INT ? pow(10.0, (double)a[1].u.i) : 1.0;
            out->type = SQL_DOUBLE;
            out->u.d = round(num(&a[0]) * p) / p; /* half away from zero, like DuckDB */
        }
        return 0;
    case F_FLOOR:
    case F_CEIL:
        if (n->unit_ms) {
            if (a[0].type != SQL_TIMESTAMP)
                return 0;
            out->type = SQL_TIMESTAMP;
            out->u.ts = floor_div(a[0].u.ts, n->unit_ms) * n->unit_ms;
            return 0;
        }
        if (a[0].type == SQL_INT) {
            *out = a[0];
        } else if (a[0].type == SQL_DOUBLE) {
            out->type = SQL_DOUBLE;
            out->u.d = n->func == F_FLOOR ? floor(a[0].u.d) : ceil(a[0].u.d);
        }
        return 0;
    case F_STEP:
        if (a[0].type != SQL_INT || a[1].type != SQL_INT)
            return 0;
        if (__builtin_mul_overflow(floor_div(a[0].u.i, a[1].u.i), a[1].u.i, &out->u.i)) {
            sql_error_set(err, n->line, n->col, "STEP(): integer out of range");
            return -1;
        }
        out->type = SQL_INT;
        return 0;
    case F_DATE_TRUNC:
        if (a[1].type != SQL_TIMESTAMP)
            return 0;
        out->type = SQL_TIMESTAMP;
        out->u.ts = floor_div(a[1].u.ts, n->unit_ms) * n->unit_ms;
        return 0;
    case F_PARSE_TIMESTAMP:
        if (a[0].type != SQL_STRING)
            return 0;
        if (rf_time_parse(a[0].u.str.s, a[0].u.str.len, &out->u.ts) < 0) {
            sql_error_set(err, n->line, n->col, "PARSE_TIMESTAMP(): '%.*s' is not a timestamp",
                          (int)(a[0].u.str.len > 40 ? 40 : a[0].u.str.len), a[0].u.str.s);
            return -1;
        }
        out->type = SQL_TIMESTAMP;
        return 0;
    case F_FORMAT_TIMESTAMP: {
        if (a[0].type != SQL_TIMESTAMP)
            return 0;
        char *s = sql_scratch_alloc(scratch, RF_TIME_TEXT_LEN + 1);
        if (!s)
            goto oom;
        rf_time_format(a[0].u.ts, s);
        set_str(out, s, RF_TIME_TEXT_LEN);
        return 0;
    }
    case F_GEO_DISTANCE: {
        for (int i = 0; i < 4; i++)
            if (!sql_is_numeric(a[i].type))
                return 0;
        /* Haversine on a sphere of the mean Earth radius (IUGG, 6371008.8 m). */
        const double r = 6371008.8, rad = M_PI / 180.0;
        double la1 = num(&a[0]) * rad, lo1 = num(&a[1]) * rad, la2 = num(&a[2]) * rad, lo2 = num(&a[3]) * rad;
        double h = pow(sin((la2 - la1) / 2), 2) + cos(la1) * cos(la2) * pow(sin((lo2 - lo1) / 2), 2);
        out->type = SQL_DOUBLE;
        out->u.d = 2 * r * asin(sqrt(h < 1 ? h : 1));
        return 0;
    }
    }
    return 0;
oom:
    sql_error_set(err, n->line, n->col, "out of memory");
    return -1;
}
