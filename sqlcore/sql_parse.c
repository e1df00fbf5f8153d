/* sql_parse.c - recursive-descent parser for SQL expressions. Grammar actions
 * only build nodes in the statement's arena; names and types are checked
 * later by the binder (sql_bind.c).
 *
 * Precedence, loosest first: OR, AND, NOT, comparison (= <> < <= > >= IS IN
 * BETWEEN LIKE), ||, + -, * / %, unary -, primary. */
#include "rf_time.h"
#include "sql_parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 200

void sqp_advance(struct parser *P)
{
    if (P->failed)
        return;
    P->tok = sql_lex_next(P->lx, P->err);
    if (P->tok.type == T_ERROR)
        P->failed = 1;
}

struct node *sqp_fail(struct parser *P, const struct token *t, const char *fmt, const char *what)
{
    if (!P->failed) {
        char shown[64];
        if (t->type == T_EOF)
            snprintf(shown, sizeof shown, "end of input");
        else if (t->type == T_STRING) /* already quoted */
            snprintf(shown, sizeof shown, "%.*s", (int)(t->len > 40 ? 40 : t->len), t->start);
        else
            snprintf(shown, sizeof shown, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->start);
        char msg[200];
        snprintf(msg, sizeof msg, fmt, what ? what : shown);
        sql_error_set(P->err, t->line, t->col, "%s", msg);
        if (what)
            snprintf(P->err->msg + strlen(P->err->msg), sizeof P->err->msg - strlen(P->err->msg), ", found %s",
                     shown);
        P->failed = 1;
    }
    return NULL;
}

static struct node *mk(struct parser *P, enum node_kind kind, const struct token *at)
{
    struct node *n = sql_arena_alloc(P->a, sizeof *n);
    if (!n) {
        sql_error_set(P->err, at->line, at->col, "out of memory");
        P->failed = 1;
        return NULL;
    }
    n->kind = kind;
    n->line = at->line;
    n->col = at->col;
    return n;
}

#define MAX_HEIGHT 1000

static int set_args(struct parser *P, struct node *n, struct node **args, int nargs)
{
    /* Long operator chains are parsed by loops, not recursion, but the tree
     * they build is walked recursively: bound its height. */
    int h = n->subject ? n->subject->height : 0;
    for (int i = 0; i < nargs; i++)
        if (args[i] && args[i]->height > h)
            h = args[i]->height;
    n->height = h + 1;
    if (n->height > MAX_HEIGHT) {
        if (!P->failed)
            sql_error_set(P->err, n->line, n->col, "expression too complex (nested more than %d levels)", MAX_HEIGHT);
        P->failed = 1;
        return -1;
    }
    n->args = sql_arena_alloc(P->a, sizeof *args * (size_t)(nargs ? nargs : 1));
    if (!n->args) {
        P->failed = 1;
        return -1;
    }
    memcpy(n->args, args, sizeof *args * (size_t)nargs);
    n->nargs = nargs;
    return 0;
}

int sqp_is_kw(struct parser *P, const char *kw) { return sql_tok_is(&P->tok, kw); }

int sqp_accept(struct parser *P, const char *kw)
{
    if (!sqp_is_kw(P, kw))
        return 0;
    sqp_advance(P);
    return 1;
}

int sqp_expect(struct parser *P, enum tok type, const char *what)
{
    if (P->tok.type == type) {
        sqp_advance(P);
        return 0;
    }
    sqp_fail(P, &P->tok, "expected %s", what);
    return -1;
}

static struct node *parse_unary(struct parser *P);

/* Units for FLOOR(ts TO unit) and INTERVAL; returns ms, or 0 if not a unit. */
int64_t sqp_unit_ms(const struct token *t)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {{"MILLISECOND", 1}, {"MILLISECONDS", 1}, {"SECOND", 1000},      {"SECONDS", 1000},
                 {"MINUTE", 60000},  {"MINUTES", 60000},  {"HOUR", 3600000},     {"HOURS", 3600000},
                 {"DAY", 86400000},  {"DAYS", 86400000}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (sql_tok_is(t, units[i].name))
            return units[i].ms;
    return 0;
}

/* The text of a 'string' token with '' collapsed, in the arena. */
static char *string_text(struct parser *P, const struct token *t, size_t *len)
{
    char *s = sql_arena_alloc(P->a, t->len);
    if (!s) {
        P->failed = 1;
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 1; i + 1 < t->len; i++) {
        s[n++] = t->start[i];
        if (t->start[i] == t->start[0])
            i++; /* doubled quote */
    }
    s[n] = '\0';
    *len = n;
    return s;
}

static struct node *literal(struct parser *P, const struct token *at, enum sql_type type)
{
    struct node *n = mk(P, N_LITERAL, at);
    if (n)
        n->value.type = n->type = type;
    return n;
}

struct node *sqp_interval(struct parser *P, const struct token *start)
{
    /* INTERVAL '5' MINUTE | INTERVAL 5 MINUTES: an INT of milliseconds. */
    struct token num = P->tok;
    int64_t amount;
    if (num.type == T_INT) {
        amount = strtoll(num.start, NULL, 10);
    } else if (num.type == T_STRING) {
        size_t len;
        char *s = string_text(P, &num, &len);
        char *end;
        if (!s)
            return NULL;
        errno = 0;
        amount = strtoll(s, &end, 10);
        if (end == s || *end || errno)
            return sqp_fail(P, &num, "bad interval %s: expected a whole number, e.g. INTERVAL '5' MINUTE", NULL);
    } else {
        return sqp_fail(P, &num, "bad interval: expected a number after INTERVAL, found %s", NULL);
    }
    sqp_advance(P);
    int64_t ms = sqp_unit_ms(&P->tok);
    if (!ms)
        return sqp_fail(P, &P->tok, "bad interval: expected a unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND), found %s",
                       NULL);
    int64_t total;
    if (__builtin_mul_overflow(amount, ms, &total))
        return sqp_fail(P, &num, "bad interval %s: too large", NULL);
    sqp_advance(P);
    struct node *n = literal(P, start, SQL_INT);
    if (n)
        n->value.u.i = total;
    return n;
}

static struct node *parse_case(struct parser *P, const struct token *start)
{
    struct node *n = mk(P, N_CASE, start);
    if (!n)
        return NULL;
    if (!sqp_is_kw(P, "WHEN"))
        n->subject = sqp_or(P);
    struct node *args[128];
    int nargs = 0;
    while (sqp_accept(P, "WHEN")) {
        if (nargs + 3 > 128)
            return sqp_fail(P, &P->tok, "CASE has too many branches %s", NULL);
        args[nargs++] = sqp_or(P);
        if (!sqp_accept(P, "THEN"))
            return sqp_fail(P, &P->tok, "expected %s", "THEN");
        args[nargs++] = sqp_or(P);
    }
    if (nargs == 0)
        return sqp_fail(P, &P->tok, "expected %s", "WHEN");
    if (sqp_accept(P, "ELSE")) {
        args[nargs++] = sqp_or(P);
        n->has_else = 1;
    }
    if (!sqp_accept(P, "END"))
        return sqp_fail(P, &P->tok, "expected %s to close CASE", "END");
    return set_args(P, n, args, nargs) < 0 || P->failed ? NULL : n;
}

static int parse_type_name(struct parser *P, enum sql_type *type)
{
    static const struct {
        const char *name;
        enum sql_type type;
    } names[] = {{"INT", SQL_INT},       {"INTEGER", SQL_INT},     {"BIGINT", SQL_INT},
                 {"DOUBLE", SQL_DOUBLE}, {"FLOAT", SQL_DOUBLE},    {"REAL", SQL_DOUBLE},
                 {"VARCHAR", SQL_STRING}, {"STRING", SQL_STRING},  {"TEXT", SQL_STRING},
                 {"BOOLEAN", SQL_BOOL},  {"BOOL", SQL_BOOL},       {"TIMESTAMP", SQL_TIMESTAMP}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (sqp_is_kw(P, names[i].name)) {
            *type = names[i].type;
            sqp_advance(P);
            if (sqp_is_kw(P, "PRECISION") && names[i].type == SQL_DOUBLE)
                sqp_advance(P); /* DOUBLE PRECISION */
            return 0;
        }
    sqp_fail(P, &P->tok, "unknown type %s in CAST (try INT, DOUBLE, VARCHAR, BOOLEAN, TIMESTAMP)", NULL);
    return -1;
}

/* After CAST(x AS: a type with a size, or one only a declared column has
 * (SMALLINT, DECIMAL, CHAR, ...), rather than the engine's own. */
static int declared_type(struct parser *P)
{
    static const char *const sized[] = {"SMALLINT", "TINYINT", "DECIMAL", "NUMERIC", "DEC", "CHAR", "CHARACTER"};
    for (size_t i = 0; i < sizeof sized / sizeof *sized; i++)
        if (sqp_is_kw(P, sized[i]))
            return 1;
    if (!sqp_is_kw(P, "VARCHAR"))
        return 0;
    struct sql_lexer peek = *P->lx;
    struct sql_error e;
    return sql_lex_next(&peek, &e).type == T_LPAREN; /* VARCHAR(n) */
}

static struct node *parse_call(struct parser *P, const struct token *name)
{
    struct node *n = mk(P, N_CALL, name);
    if (!n)
        return NULL;
    char upper[64];
    size_t len = name->len < sizeof upper - 1 ? name->len : sizeof upper - 1;
    for (size_t i = 0; i < len; i++)
        upper[i] = (char)(name->start[i] >= 'a' && name->start[i] <= 'z' ? name->start[i] - 32 : name->start[i]);
    upper[len] = '\0';
    /* the same function under the names Kinesis Analytics (SQL:2008) uses */
    static const char *const alias[][2] = {
        {"CHAR_LENGTH", "LENGTH"}, {"CHARACTER_LENGTH", "LENGTH"}, {"CEILING", "CEIL"},   {"SUBSTRING", "SUBSTR"},
        {"FIRST_VALUE", "FIRST"},  {"LAST_VALUE", "LAST"},         {"POW", "POWER"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (strcmp(upper, alias[i][0]) == 0) {
            len = strlen(alias[i][1]);
            memcpy(upper, alias[i][1], len + 1);
        }
    n->name = sql_arena_strndup(P->a, upper, len);
    sqp_advance(P); /* ( */
    struct node *args[32];
    int nargs = 0;
    if (strcmp(upper, "POSITION") == 0) {
        /* POSITION(needle IN haystack): IN is not a list here */
        if (!(args[nargs++] = sqp_concat(P)))
            return NULL;
        if (!sqp_accept(P, "IN"))
            return sqp_fail(P, &P->tok, "expected %s in POSITION(x IN y)", "IN");
        if (!(args[nargs++] = sqp_concat(P)))
            return NULL;
    } else if (strcmp(upper, "TRIM") == 0) {
        /* TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) | TRIM(s): args s, chars, side (0 both, 1 leading, 2 trailing) */
        int side = sqp_accept(P, "LEADING") ? 1 : sqp_accept(P, "TRAILING") ? 2 : (sqp_accept(P, "BOTH"), 0);
        struct node *chars = NULL, *str = NULL;
        if (!sqp_accept(P, "FROM")) {
            if (!(chars = sqp_or(P)))
                return NULL;
            if (sqp_accept(P, "FROM")) {
                if (!(str = sqp_or(P)))
                    return NULL;
            } else {
                str = chars, chars = NULL;
            }
        } else if (!(str = sqp_or(P))) {
            return NULL;
        }
        struct token at = P->tok;
        struct node *sd = literal(P, &at, SQL_INT), *sp = chars ? chars : literal(P, &at, SQL_STRING);
        if (!sd || !sp)
            return NULL;
        sd->value.u.i = side;
        if (!chars) {
            sp->value.u.str.s = " ";
            sp->value.u.str.len = 1;
        }
        args[nargs++] = str;
        args[nargs++] = sp;
        args[nargs++] = sd;
    } else if (strcmp(upper, "CAST") == 0) {
        n->kind = N_CAST;
        args[nargs++] = sqp_or(P);
        if (!sqp_accept(P, "AS"))
            return sqp_fail(P, &P->tok, "expected %s in CAST(x AS type)", "AS");
        if (declared_type(P)) {
            /* CAST(x AS SMALLINT | VARCHAR(16) | DECIMAL(8,2) | ...): the
             * conversion a pump applies to a declared column (sql_convert.c) */
            struct sql_coltype *ct = sql_arena_alloc(P->a, sizeof *ct);
            if (!ct)
                return P->failed = 1, NULL;
            if (sql_coltype_parse(P->lx, &P->tok, ct, P->err) < 0)
                return P->failed = 1, NULL;
            if (ct->decl == D_DECIMAL && ct->scale == 0)
                ct->type = SQL_INT;
            n->kind = N_CONVERT;
            n->convert = ct;
            n->type = ct->type;
        } else if (parse_type_name(P, &n->value.type) < 0) {
            return NULL;
        }
    } else if (P->tok.type == T_STAR && strcmp(upper, "COUNT") == 0) {
        sqp_advance(P); /* COUNT(*) has no arguments */
    } else if (P->tok.type != T_RPAREN) {
        if (sqp_accept(P, "DISTINCT"))
            n->negated = 1; /* COUNT(DISTINCT x): reuse the flag */
        for (;;) {
            if (nargs == 32)
                return sqp_fail(P, &P->tok, "too many arguments %s", NULL);
            args[nargs++] = sqp_or(P);
            if (P->failed)
                return NULL;
            if (strcmp(upper, "SUBSTR") == 0 && nargs == 1 && sqp_is_kw(P, "FROM")) {
                /* SUBSTRING(s FROM start [FOR count]) */
                sqp_advance(P);
                if (!(args[nargs++] = sqp_or(P)))
                    return NULL;
                if (sqp_accept(P, "FOR") && !(args[nargs++] = sqp_or(P)))
                    return NULL;
                break;
            }
            if (sqp_is_kw(P, "BY") && strcmp(upper, "STEP") == 0 && nargs == 1) {
                /* STEP(ts BY INTERVAL 'n' unit) is FLOOR to n units (Kinesis
                 * Analytics); STEP(i BY n) rounds an integer down to a multiple */
                sqp_advance(P);
                struct token by = P->tok;
                struct node *w = parse_unary(P);
                if (!w)
                    return NULL;
                if (w->kind != N_LITERAL || w->value.type != SQL_INT || w->value.u.i <= 0)
                    return sqp_fail(P, &by, "expected a positive INTERVAL or integer after BY, found %s", NULL);
                if (sql_tok_is(&by, "INTERVAL")) {
                    if (w->value.u.i > INT32_MAX)
                        return sqp_fail(P, &by, "STEP interval %s is too long (at most 24 days)", NULL);
                    n->name = "FLOOR";
                    n->unit_ms = (int)w->value.u.i;
                } else {
                    args[nargs++] = w;
                }
                break;
            }
            if (sqp_is_kw(P, "TO") && strcmp(upper, "FLOOR") == 0 && nargs == 1) {
                sqp_advance(P);
                n->unit_ms = (int)sqp_unit_ms(&P->tok);
                if (!n->unit_ms)
                    return sqp_fail(P, &P->tok, "expected a time unit after TO (SECOND, MINUTE, HOUR, DAY), found %s",
                                   NULL);
                sqp_advance(P);
                break;
            }
            if (P->tok.type != T_COMMA)
                break;
            sqp_advance(P);
        }
    }
    if (sqp_expect(P, T_RPAREN, "')' to close the argument list") < 0)
        return NULL;
    if (sqp_accept(P, "OVER")) { /* a sliding window: OVER name | OVER (spec) */
        if (P->tok.type == T_IDENT || P->tok.type == T_QIDENT) {
            n->over_name = P->tok.type == T_IDENT ? sql_arena_strndup(P->a, P->tok.start, P->tok.len)
                                                  : sql_arena_strndup(P->a, P->tok.start + 1, P->tok.len - 2);
            sqp_advance(P);
        } else if (!(n->over = sqp_wdef(P, NULL))) {
            return NULL;
        }
    }
    return set_args(P, n, args, nargs) < 0 || P->failed ? NULL : n;
}

/* stream.column ("SOURCE_SQL_STREAM_001"."ROWTIME"): the qualifier names the
 * FROM source (checked when the query is compiled). A column named ROWTIME is
 * the row's time (sql_bind). */
static struct node *qualified(struct parser *P, struct node *n)
{
    if (!n || P->failed)
        return NULL;
    if (P->tok.type == T_DOT) {
        sqp_advance(P);
        struct token c = P->tok;
        if (c.type != T_IDENT && c.type != T_QIDENT)
            return sqp_fail(P, &c, "expected a column name after '.', found %s", NULL);
        sqp_advance(P);
        n->qualifier = n->name;
        if (c.type == T_QIDENT) {
            size_t len;
            n->name = string_text(P, &c, &len);
        } else {
            n->name = sql_arena_strndup(P->a, c.start, c.len);
        }
        n->quoted = c.type == T_QIDENT;
        if (!n->name)
            return NULL;
    }
    if (n->quoted ? strcmp(n->name, "ROWTIME") == 0 : strcasecmp(n->name, "ROWTIME") == 0)
        n->rowtime = n->qualifier ? 2 : 1;
    return n;
}

static struct node *parse_primary(struct parser *P)
{
    struct token t = P->tok;
    struct node *n;
    switch (t.type) {
    case T_INT: {
        errno = 0;
        long long v = strtoll(t.start, NULL, 10);
        if (errno)
            return sqp_fail(P, &t, "integer %s is too large", NULL);
        sqp_advance(P);
        if ((n = literal(P, &t, SQL_INT)))
            n->value.u.i = v;
        return n;
    }
    case T_FLOAT:
        sqp_advance(P);
        if ((n = literal(P, &t, SQL_DOUBLE)))
            n->value.u.d = strtod(t.start, NULL);
        return n;
    case T_STRING: {
        size_t len;
        char *s = string_text(P, &t, &len);
        sqp_advance(P);
        if (s && (n = literal(P, &t, SQL_STRING))) {
            n->value.u.str.s = s;
            n->value.u.str.len = len;
        }
        return s ? n : NULL;
    }
    case T_LPAREN:
        sqp_advance(P);
        n = sqp_or(P);
        if (sqp_expect(P, T_RPAREN, "')'") < 0)
            return NULL;
        return n;
    case T_QIDENT:
        sqp_advance(P);
        if ((n = mk(P, N_COLUMN, &t))) {
            size_t len;
            n->name = string_text(P, &t, &len);
            n->quoted = 1;
        }
        return qualified(P, n);
    case T_IDENT:
        break;
    default:
        return sqp_fail(P, &t, "expected an expression, found %s", NULL);
    }
    sqp_advance(P);
    if (sql_tok_is(&t, "NULL"))
        return literal(P, &t, SQL_NULL);
    if (sql_tok_is(&t, "TRUE") || sql_tok_is(&t, "FALSE")) {
        if ((n = literal(P, &t, SQL_BOOL)))
            n->value.u.b = sql_tok_is(&t, "TRUE");
        return n;
    }
    if (sql_tok_is(&t, "CASE"))
        return parse_case(P, &t);
    if (sql_tok_is(&t, "INTERVAL"))
        return sqp_interval(P, &t);
    if (sql_tok_is(&t, "TIMESTAMP") && P->tok.type == T_STRING) {
        struct token s = P->tok;
        size_t len;
        char *text = string_text(P, &s, &len);
        sqp_advance(P);
        int64_t ms;
        if (!text || rf_time_parse(text, len, &ms) < 0)
            return sqp_fail(P, &s, "bad timestamp %s: expected 'YYYY-MM-DD HH:MM:SS[.mmm]'", NULL);
        if ((n = literal(P, &t, SQL_TIMESTAMP)))
            n->value.u.ts = ms;
        return n;
    }
    static const char *const reserved[] = {"AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "WHEN", "THEN",
                                           "ELSE", "END", "AS", "FROM", "WHERE", "GROUP", "ORDER", "SELECT"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (sql_tok_is(&t, reserved[i]))
            return sqp_fail(P, &t, "expected an expression, found keyword %s", NULL);
    if (P->tok.type == T_LPAREN) {
        /* parse_call expects to be on the '(' with the name already read */
        return parse_call(P, &t);
    }
    if (sql_tok_is(&t, "CURRENT_ROW_TIMESTAMP") || sql_tok_is(&t, "CURRENT_TIMESTAMP") ||
        sql_tok_is(&t, "LOCALTIMESTAMP")) {
        /* the wall clock as the row is processed (Kinesis Analytics): NOW() */
        if ((n = mk(P, N_CALL, &t)))
            n->name = "NOW";
        return n;
    }
    if ((n = mk(P, N_COLUMN, &t)))
        n->name = sql_arena_strndup(P->a, t.start, t.len);
    return qualified(P, n);
}

static struct node *nested_too_deep(struct parser *P)
{
    return sqp_fail(P, &P->tok, "expression nested too deeply (more than 200 levels) at %s", NULL);
}

static struct node *parse_unary(struct parser *P)
{
    if (P->tok.type == T_MINUS || P->tok.type == T_PLUS) {
        if (++P->depth > MAX_DEPTH)
            return nested_too_deep(P);
        struct token t = P->tok;
        sqp_advance(P);
        struct node *operand = parse_unary(P);
        P->depth--;
        if (!operand || t.type == T_PLUS)
            return operand;
        if (operand->kind == N_LITERAL && operand->value.type == SQL_INT) {
            operand->value.u.i = -operand->value.u.i;
            return operand;
        }
        if (operand->kind == N_LITERAL && operand->value.type == SQL_DOUBLE) {
            operand->value.u.d = -operand->value.u.d;
            return operand;
        }
        struct node *n = mk(P, N_UNARY, &t);
        if (!n || set_args(P, n, &operand, 1) < 0)
            return NULL;
        return n;
    }
    return parse_primary(P);
}

static struct node *binary(struct parser *P, enum node_kind kind, enum binop op, const struct token *at,
                           struct node *l, struct node *r)
{
    if (!l || !r)
        return NULL;
    struct node *n = mk(P, kind, at);
    struct node *args[2] = {l, r};
    if (!n || set_args(P, n, args, 2) < 0)
        return NULL;
    n->op = op;
    n->line = l->line; /* an operation is reported where its left side starts */
    n->col = l->col;
    return n;
}

static struct node *parse_mul(struct parser *P)
{
    struct node *l = parse_unary(P);
    while (l && (P->tok.type == T_STAR || P->tok.type == T_SLASH || P->tok.type == T_PERCENT)) {
        struct token t = P->tok;
        sqp_advance(P);
        l = binary(P, N_BINARY, t.type == T_STAR ? OP_MUL : t.type == T_SLASH ? OP_DIV : OP_MOD, &t, l,
                   parse_unary(P));
    }
    return l;
}

static struct node *parse_add(struct parser *P)
{
    struct node *l = parse_mul(P);
    while (l && (P->tok.type == T_PLUS || P->tok.type == T_MINUS)) {
        struct token t = P->tok;
        sqp_advance(P);
        l = binary(P, N_BINARY, t.type == T_PLUS ? OP_ADD : OP_SUB, &t, l, parse_mul(P));
    }
    return l;
}

struct node *sqp_concat(struct parser *P)
{
    struct node *l = parse_add(P);
    while (l && P->tok.type == T_CONCAT) {
        struct token t = P->tok;
        sqp_advance(P);
        l = binary(P, N_BINARY, OP_CONCAT, &t, l, parse_add(P));
    }
    return l;
}

static struct node *parse_cmp(struct parser *P)
{
    struct node *l = sqp_concat(P);
    if (!l)
        return NULL;
    struct token t = P->tok;
    static const struct {
        enum tok tok;
        enum binop op;
    } cmps[] = {{T_EQ, OP_EQ}, {T_NE, OP_NE}, {T_LT, OP_LT}, {T_LE, OP_LE}, {T_GT, OP_GT}, {T_GE, OP_GE}};
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++)
        if (t.type == cmps[i].tok) {
            sqp_advance(P);
            return binary(P, N_BINARY, cmps[i].op, &t, l, sqp_concat(P));
        }
    if (sqp_accept(P, "IS")) {
        struct node *n = mk(P, N_IS_NULL, &t);
        if (!n)
            return NULL;
        n->negated = sqp_accept(P, "NOT");
        if (!sqp_accept(P, "NULL"))
            return sqp_fail(P, &P->tok, "expected %s after IS", "NULL");
        set_args(P, n, &l, 1);
        n->line = l->line, n->col = l->col;
        return n;
    }
    int negated = 0;
    if (sqp_is_kw(P, "NOT")) {
        /* NOT IN / NOT BETWEEN / NOT LIKE */
        sqp_advance(P);
        negated = 1;
        if (!sqp_is_kw(P, "IN") && !sqp_is_kw(P, "BETWEEN") && !sqp_is_kw(P, "LIKE") && !sqp_is_kw(P, "ILIKE"))
            return sqp_fail(P, &P->tok, "expected %s after NOT", "IN, BETWEEN, LIKE or ILIKE");
    }
    if (sqp_accept(P, "IN")) {
        struct node *n = mk(P, N_IN, &t);
        struct node *args[256];
        int nargs = 0;
        args[nargs++] = l;
        if (!n || sqp_expect(P, T_LPAREN, "'(' after IN") < 0)
            return NULL;
        do {
            if (nargs == 256)
                return sqp_fail(P, &P->tok, "IN list too long %s", NULL);
            args[nargs++] = sqp_or(P);
            if (P->failed)
                return NULL;
        } while (P->tok.type == T_COMMA && (sqp_advance(P), 1));
        if (sqp_expect(P, T_RPAREN, "')' to close the IN list") < 0)
            return NULL;
        n->negated = negated;
        n->line = l->line, n->col = l->col;
        return set_args(P, n, args, nargs) < 0 ? NULL : n;
    }
    if (sqp_accept(P, "BETWEEN")) {
        struct node *lo = sqp_concat(P);
        if (!sqp_accept(P, "AND"))
            return sqp_fail(P, &P->tok, "expected %s in BETWEEN x AND y", "AND");
        struct node *hi = sqp_concat(P);
        struct node *n = mk(P, N_BETWEEN, &t);
        struct node *args[3] = {l, lo, hi};
        if (!n || !lo || !hi || set_args(P, n, args, 3) < 0)
            return NULL;
        n->negated = negated;
        n->line = l->line, n->col = l->col;
        return n;
    }
    int icase = sqp_is_kw(P, "ILIKE");
    if (sqp_accept(P, "LIKE") || sqp_accept(P, "ILIKE")) {
        struct node *n = binary(P, N_LIKE, OP_EQ, &t, l, sqp_concat(P));
        if (n && sqp_accept(P, "ESCAPE")) {
            struct node *args[3] = {n->args[0], n->args[1], sqp_concat(P)};
            if (!args[2] || set_args(P, n, args, 3) < 0)
                return NULL;
        }
        if (n) {
            n->negated = negated;
            n->icase = icase;
        }
        return n;
    }
    return l;
}

static struct node *parse_not(struct parser *P)
{
    if (sqp_is_kw(P, "NOT")) {
        struct token t = P->tok;
        if (++P->depth > MAX_DEPTH)
            return nested_too_deep(P);
        sqp_advance(P);
        struct node *operand = parse_not(P);
        P->depth--;
        struct node *n = mk(P, N_NOT, &t);
        if (!operand || !n || set_args(P, n, &operand, 1) < 0)
            return NULL;
        return n;
    }
    return parse_cmp(P);
}

static struct node *parse_and(struct parser *P)
{
    struct node *l = parse_not(P);
    while (l && sqp_is_kw(P, "AND")) {
        struct token t = P->tok;
        sqp_advance(P);
        l = binary(P, N_AND, OP_EQ, &t, l, parse_not(P));
    }
    return l;
}

struct node *sqp_or(struct parser *P)
{
    /* Every parenthesis, argument list and CASE comes through here. */
    if (++P->depth > MAX_DEPTH)
        return nested_too_deep(P);
    struct node *l = parse_and(P);
    while (l && sqp_is_kw(P, "OR")) {
        struct token t = P->tok;
        sqp_advance(P);
        l = binary(P, N_OR, OP_EQ, &t, l, parse_and(P));
    }
    P->depth--;
    return P->failed ? NULL : l;
}

struct node *sql_parse_expr(struct sql_lexer *lx, struct sql_arena *a, struct sql_error *err)
{
    struct parser P = {.lx = lx, .a = a, .err = err};
    sqp_advance(&P);
    if (P.failed)
        return NULL;
    if (P.tok.type == T_EOF) {
        sqp_fail(&P, &P.tok, "empty expression %s", NULL);
        return NULL;
    }
    struct node *n = sqp_or(&P);
    if (!n || P.failed)
        return NULL;
    if (P.tok.type == T_SEMI)
        sqp_advance(&P);
    if (P.tok.type != T_EOF) {
        sqp_fail(&P, &P.tok, "unexpected %s after the end of the expression", NULL);
        return NULL;
    }
    return n;
}

