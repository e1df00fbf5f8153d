/* sql_eval.c - evaluation of a bound expression tree over one row, with SQL's
 * three-valued logic: comparisons with NULL are NULL, NULL AND FALSE is FALSE,
 * NULL OR TRUE is TRUE, and WHERE keeps only TRUE. No allocation except
 * string results, which go to the caller's scratch blocks. */
#include "rf_time.h"
#include "sql_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct scratch_block {
    struct scratch_block *next;
    size_t used, cap;
    char data[];
};

char *sql_scratch_alloc(struct sql_scratch *s, size_t n)
{
    struct scratch_block *b = s->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = s->head;
        b->used = 0;
        b->cap = cap;
        s->head = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

void sql_scratch_reset(struct sql_scratch *s)
{
    /* Keep the newest block (the biggest so far, usually); free the rest. */
    if (!s->head)
        return;
    struct scratch_block *keep = s->head, *b = keep->next;
    keep->next = NULL;
    keep->used = 0;
    while (b) {
        struct scratch_block *n = b->next;
        free(b);
        b = n;
    }
}

void sql_scratch_free(struct sql_scratch *s)
{
    sql_scratch_reset(s);
    free(s->head);
    s->head = NULL;
}

static void set_bool(struct sql_value *v, int b)
{
    v->type = SQL_BOOL;
    v->u.b = b;
}

size_t sql_double_text(double d, char *buf)
{
    if (isnan(d)) /* with its sign, as DuckDB prints it (0.0 / 0 is -nan on x86) */
        return (size_t)sprintf(buf, signbit(d) ? "-nan" : "nan");
    if (isinf(d))
        return (size_t)sprintf(buf, d > 0 ? "inf" : "-inf");
    /* the fewest significant digits that read back the same */
    int prec = 1, exp = 0;
    char t[40];
    for (; prec < 17; prec++) {
        snprintf(t, sizeof t, "%.*e", prec - 1, d);
        if (strtod(t, NULL) == d)
            break;
    }
    snprintf(t, sizeof t, "%.*e", prec - 1, d);
    exp = atoi(strchr(t, 'e') + 1);
    if (exp < -4 || exp >= 16) /* 1e+16, 1.5e-05: the exponent form, as written above */
        return (size_t)sprintf(buf, "%s", t);
    int decimals = prec - 1 - exp;
    if (decimals <= 0) /* integral: 1000000.0 */
        return (size_t)sprintf(buf, "%.0f.0", d);
    return (size_t)sprintf(buf, "%.*f", decimals, d);
}

static int to_text(const struct sql_value *v, struct sql_scratch *scr, struct sql_value *out)
{
    char buf[64];
    int n;
    switch (v->type) {
    case SQL_STRING:
        *out = *v;
        return 0;
    case SQL_INT:
        n = snprintf(buf, sizeof buf, "%" PRId64, v->u.i);
        break;
    case SQL_DOUBLE:
        n = (int)sql_double_text(v->u.d, buf);
        break;
    case SQL_BOOL:
        n = snprintf(buf, sizeof buf, "%s", v->u.b ? "true" : "false");
        break;
    case SQL_TIMESTAMP:
        rf_time_format(v->u.ts, buf);
        n = RF_TIME_TEXT_LEN;
        break;
    default:
        out->type = SQL_NULL;
        return 0;
    }
    char *s = sql_scratch_alloc(scr, (size_t)n + 1);
    if (!s)
        return -1;
    memcpy(s, buf, (size_t)n + 1);
    out->type = SQL_STRING;
    out->u.str.s = s;
    out->u.str.len = (size_t)n;
    return 0;
}

static int cast(const struct node *n, const struct sql_value *v, struct sql_scratch *scr, struct sql_value *out,
                struct sql_error *err)
{
    enum sql_type to = n->value.type;
    out->type = SQL_NULL;
    if (v->type == SQL_NULL)
        return 0;
    if (to == SQL_STRING)
        return to_text(v, scr, out);
    if (v->type == SQL_STRING) {
        char buf[64];
        /* surrounding spaces do not count (as in DuckDB) */
        const char *s = v->u.str.s;
        size_t slen = v->u.str.len;
        while (slen > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
            s++, slen--;
        while (slen > 0 && (s[slen - 1] == ' ' || s[slen - 1] == '\t' || s[slen - 1] == '\n' || s[slen - 1] == '\r'))
            slen--;
        if (to == SQL_BOOL) /* DuckDB trims numbers, not booleans */
            s = v->u.str.s, slen = v->u.str.len;
        size_t len = slen < sizeof buf - 1 ? slen : sizeof buf - 1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        switch (to) {
        case SQL_INT:
            out->u.i = strtoll(buf, &end, 10);
            if (*end && (*end == 'x' || *end == 'X') && end - buf == 1 + (*buf == '-' || *buf == '+') &&
                end[-1] == '0')
                out->u.i = strtoll(buf, &end, 16); /* '0x10', as DuckDB reads it */
            else if (*end && !strpbrk(buf, "xXnN")) { /* '2.5', '.5', '1e3': rounded half away from zero (DuckDB) */
                double d = strtod(buf, &end);
                if (errno == ERANGE && fabs(d) < 1) /* '1e-400' is 0 */
                    errno = 0;
                if (end != buf && !*end && !(fabs(d) < 9.2e18))
                    errno = ERANGE;
                else if (end != buf && !*end)
                    out->u.i = (int64_t)llround(d);
            }
            break;
        case SQL_DOUBLE:
            /* decimal text, 'inf' and 'nan'; not C's hexadecimal floats */
            out->u.d = strtod(buf, &end);
            if (strpbrk(buf, "xX"))
                end = buf;
            if (errno == ERANGE) /* 1e400 is inf and 1e-400 is 0, as in DuckDB */
                errno = 0;
            break;
        case SQL_BOOL: {
            static const char *const yes[] = {"true", "t", "yes", "y", "1"}, *const no[] = {"false", "f", "no", "n", "0"};
            end = buf;
            for (size_t i = 0; i < 5; i++) {
                if (strcasecmp(buf, yes[i]) == 0)
                    out->u.b = 1, end = buf + len;
                if (strcasecmp(buf, no[i]) == 0)
                    out->u.b = 0, end = buf + len;
            }
            break;
        }
        case SQL_TIMESTAMP:
            end = rf_time_parse(buf, len, &out->u.ts) == 0 ? buf + len : buf;
            break;
        default:
            end = buf;
        }
        if (end == buf || *end || errno || slen >= sizeof buf) {
            sql_error_set(err, n->line, n->col, "cannot CAST '%.40s' to %s", buf, sql_type_name(to));
            return -1;
        }
        out->type = to;
        return 0;
    }
    switch (to) {
    case SQL_INT:
        if (v->type == SQL_DOUBLE) {
            if (!(fabs(v->u.d) < 9.2e18)) {
                sql_error_set(err, n->line, n->col, "cannot CAST %g to INT: out of range", v->u.d);
                return -1;
            }
            out->u.i = (int64_t)nearbyint(v->u.d); /* half to even, as DuckDB casts a DOUBLE */
        } else if (v->type == SQL_BOOL) {
            out->u.i = v->u.b;
        } else if (v->type == SQL_TIMESTAMP) {
            out->u.i = v->u.ts;
        } else {
            out->u.i = v->u.i;
        }
        break;
    case SQL_DOUBLE:
        out->u.d = v->type == SQL_INT ? (double)v->u.i : v->type == SQL_BOOL ? v->u.b : v->u.d;
        break;
    case SQL_BOOL:
        out->u.b = v->type == SQL_INT ? v->u.i != 0 : v->type == SQL_DOUBLE ? v->u.d != 0 : v->u.b;
        break;
    case SQL_TIMESTAMP:
        if (v->type != SQL_INT && v->type != SQL_TIMESTAMP)
            return 0;
        out->u.ts = v->u.i;
        break;
    default:
        return 0;
    }
    out->type = to;
    return 0;
}

static int arith(enum binop op, const struct sql_value *a, const struct sql_value *b, struct sql_value *out)
{
    out->type = SQL_NULL;
    if (a->type == SQL_TIMESTAMP || b->type == SQL_TIMESTAMP) {
        if (op == OP_SUB && a->type == SQL_TIMESTAMP && b->type == SQL_TIMESTAMP) {
            out->type = SQL_INT;
            out->u.i = a->u.ts - b->u.ts;
        } else if (a->type == SQL_TIMESTAMP && b->type == SQL_INT && (op == OP_ADD || op == OP_SUB)) {
            out->type = SQL_TIMESTAMP;
            out->u.ts = op == OP_ADD ? a->u.ts + b->u.i : a->u.ts - b->u.i;
        } else if (b->type == SQL_TIMESTAMP && a->type == SQL_INT && op == OP_ADD) {
            out->type = SQL_TIMESTAMP;
            out->u.ts = a->u.i + b->u.ts;
        }
        return 0;
    }
    if (!sql_is_numeric(a->type) || !sql_is_numeric(b->type))
        return 0; /* only with open schemas: wrong run-time type gives NULL */
    if (a->type == SQL_INT && b->type == SQL_INT && op != OP_DIV) {
        int64_t x = a->u.i, y = b->u.i, r;
        switch (op) {
        case OP_ADD:
            if (__builtin_add_overflow(x, y, &r))
                return 0;
            break;
        case OP_SUB:
            if (__builtin_sub_overflow(x, y, &r))
                return 0;
            break;
        case OP_MUL:
            if (__builtin_mul_overflow(x, y, &r))
                return 0;
            break;
        default: /* OP_MOD */
            if (y == 0 || (x == INT64_MIN && y == -1))
                return 0; /* x % 0 is NULL */
            r = x % y;
        }
        out->type = SQL_INT;
        out->u.i = r;
        return 0;
    }
    double x = a->type == SQL_INT ? (double)a->u.i : a->u.d, y = b->type == SQL_INT ? (double)b->u.i : b->u.d;
    out->type = SQL_DOUBLE;
    switch (op) {
    case OP_ADD: out->u.d = x + y; break;
    case OP_SUB: out->u.d = x - y; break;
    case OP_MUL: out->u.d = x * y; break;
    case OP_DIV: /* IEEE, as in DuckDB: x / 0 is inf, -inf or nan */
        out->u.d = x / y;
        break;
    default:
        if (y == 0)
            out->type = SQL_NULL;
        else
            out->u.d = fmod(x, y);
    }
    return 0;
}

static void compare(enum binop op, const struct sql_value *a, const struct sql_value *b, struct sql_value *out)
{
    if (a->type == SQL_NULL || b->type == SQL_NULL) {
        out->type = SQL_NULL;
        return;
    }
    int c = sql_value_compare(a, b);
    if (c == -2) { /* incomparable run-time types (open schema): unknown */
        out->type = SQL_NULL;
        return;
    }
    int r = 0;
    switch (op) {
    case OP_EQ: r = c == 0; break;
    case OP_NE: r = c != 0; break;
    case OP_LT: r = c < 0; break;
    case OP_LE: r = c <= 0; break;
    case OP_GT: r = c > 0; break;
    default: r = c >= 0; break;
    }
    set_bool(out, r);
}

#define EVAL(node, dst)                                                                                               \
    do {                                                                                                             \
        if (sql_eval((node), row, scr, (dst), err) < 0)                                                              \
            return -1;                                                                                               \
    } while (0)

int sql_eval(const struct node *n, const struct sql_value *row, struct sql_scratch *scr, struct sql_value *out,
             struct sql_error *err)
{
    struct sql_value a, b;
    switch (n->kind) {
    case N_LITERAL:
        *out = n->value;
        return 0;
    case N_COLUMN:
    case N_REF:
        *out = row[n->slot];
        return 0;
    case N_UNARY:
        EVAL(n->args[0], &a);
        if (a.type == SQL_INT && a.u.i != INT64_MIN) {
            out->type = SQL_INT;
            out->u.i = -a.u.i;
        } else if (a.type == SQL_DOUBLE) {
            out->type = SQL_DOUBLE;
            out->u.d = -a.u.d;
        } else {
            out->type = SQL_NULL;
        }
        return 0;
    case N_NOT:
        EVAL(n->args[0], &a);
        if (sql_value_truthy(&a) < 0)
            out->type = SQL_NULL;
        else
            set_bool(out, !a.u.b);
        return 0;
    case N_AND:
    case N_OR: {
        int want = n->kind == N_OR; /* the value that decides: TRUE for OR, FALSE for AND */
        EVAL(n->args[0], &a);
        int x = sql_value_truthy(&a);
        if (x == want) {
            set_bool(out, want);
            return 0;
        }
        EVAL(n->args[1], &b);
        int y = sql_value_truthy(&b);
        if (y == want)
            set_bool(out, want);
        else if (x < 0 || y < 0)
            out->type = SQL_NULL;
        else
            set_bool(out, !want);
        return 0;
    }
    case N_IS_NULL:
        EVAL(n->args[0], &a);
        set_bool(out, (a.type == SQL_NULL) != n->negated);
        return 0;
    case N_BINARY:
        EVAL(n->args[0], &a);
        EVAL(n->args[1], &b);
        if (n->op >= OP_EQ) {
            compare(n->op, &a, &b, out);
        } else if (n->op == OP_CONCAT) {
            struct sql_value ta, tb;
            if (a.type == SQL_NULL || b.type == SQL_NULL) {
                out->type = SQL_NULL;
                return 0;
            }
            if (to_text(&a, scr, &ta) < 0 || to_text(&b, scr, &tb) < 0)
                goto oom;
            char *s = sql_scratch_alloc(scr, ta.u.str.len + tb.u.str.len + 1);
            if (!s)
                goto oom;
            memcpy(s, ta.u.str.s, ta.u.str.len);
            memcpy(s + ta.u.str.len, tb.u.str.s, tb.u.str.len);
            out->type = SQL_STRING;
            out->u.str.s = s;
            out->u.str.len = ta.u.str.len + tb.u.str.len;
        } else if (a.type == SQL_NULL || b.type == SQL_NULL) {
            out->type = SQL_NULL;
        } else {
            arith(n->op, &a, &b, out);
        }
        return 0;
    case N_LIKE:
        EVAL(n->args[0], &a);
        EVAL(n->args[1], &b);
        if (a.type != SQL_STRING || b.type != SQL_STRING) {
            out->type = SQL_NULL;
            return 0;
        }
        uint32_t esc = 0;
        if (n->nargs == 3) {
            struct sql_value e;
            EVAL(n->args[2], &e);
            if (e.type != SQL_STRING) {
                out->type = SQL_NULL;
                return 0;
            }
            if (sql_utf8_chars(e.u.str.s, e.u.str.len) > 1) {
                sql_error_set(err, n->args[2]->line, n->args[2]->col, "ESCAPE must be one character (or empty)");
                return -1;
            }
            if (e.u.str.len)
                sql_utf8_next(e.u.str.s, e.u.str.len, 0, &esc);
        }
        set_bool(out, sql_like(a.u.str.s, a.u.str.len, b.u.str.s, b.u.str.len, esc, n->icase) != n->negated);
        return 0;
    case N_IN: {
        EVAL(n->args[0], &a);
        if (a.type == SQL_NULL) {
            out->type = SQL_NULL;
            return 0;
        }
        int saw_null = 0;
        for (int i = 1; i < n->nargs; i++) {
            EVAL(n->args[i], &b);
            struct sql_value r;
            compare(OP_EQ, &a, &b, &r);
            if (r.type == SQL_NULL)
                saw_null = 1;
            else if (r.u.b) {
                set_bool(out, !n->negated);
                return 0;
            }
        }
        if (saw_null)
            out->type = SQL_NULL; /* x IN (1, NULL) is NULL when x is not 1 */
        else
            set_bool(out, n->negated);
        return 0;
    }
    case N_BETWEEN: {
        struct sql_value lo, hi, r1, r2;
        EVAL(n->args[0], &a);
        EVAL(n->args[1], &lo);
        EVAL(n->args[2], &hi);
        compare(OP_GE, &a, &lo, &r1);
        compare(OP_LE, &a, &hi, &r2);
        int x = sql_value_truthy(&r1), y = sql_value_truthy(&r2);
        if (x == 0 || y == 0)
            set_bool(out, n->negated);
        else if (x < 0 || y < 0)
            out->type = SQL_NULL;
        else
            set_bool(out, !n->negated);
        return 0;
    }
    case N_CASE: {
        int pairs = (n->nargs - n->has_else) / 2;
        struct sql_value subject;
        if (n->subject)
            EVAL(n->subject, &subject);
        for (int i = 0; i < pairs; i++) {
            EVAL(n->args[2 * i], &a);
            int hit;
            if (n->subject) {
                struct sql_value r;
                compare(OP_EQ, &subject, &a, &r);
                hit = sql_value_truthy(&r) == 1;
            } else {
                hit = sql_value_truthy(&a) == 1;
            }
            if (hit) {
                EVAL(n->args[2 * i + 1], out);
                goto case_type;
            }
        }
        if (n->has_else)
            EVAL(n->args[n->nargs - 1], out);
        else
            out->type = SQL_NULL;
    case_type:
        if (n->type == SQL_DOUBLE && out->type == SQL_INT) {
            out->type = SQL_DOUBLE;
            out->u.d = (double)out->u.i;
        }
        return 0;
    }
    case N_CAST:
        EVAL(n->args[0], &a);
        return cast(n, &a, scr, out, err);
    case N_CONVERT:
        EVAL(n->args[0], &a);
        return sql_coltype_convert(n->convert, &a, scr, out, n->line, n->col, err);
    case N_CALL: {
        struct sql_value args[32];
        for (int i = 0; i < n->nargs; i++)
            EVAL(n->args[i], &args[i]);
        return sql_call_eval(n, args, scr, out, err);
    }
    }
    out->type = SQL_NULL;
    return 0;
oom:
    sql_error_set(err, n->line, n->col, "out of memory");
    return -1;
}
