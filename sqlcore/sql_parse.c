/* sql_parse.c - recursive-descent parser for SQL expressions. Grammar actions
 * only build nodes in the statement's arena; names and types are checked
 * later by the binder (sql_bind.c).
 *
 * Precedence, loosest first: OR, AND, NOT, comparison (= <> < <= > >= IS IN
 * BETWEEN LIKE), ||, + -, * / %, unary -, primary. */
#include "rf_time.h"
#include "sql_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parser {
    struct sql_lexer *lx;
    struct sql_arena *a;
    struct sql_error *err;
    struct token tok;
    int failed;
    int depth; /* nesting, bounded so that no input can exhaust the stack */
};

#define MAX_DEPTH 200

static void advance(struct parser *P)
{
    if (P->failed)
        return;
    P->tok = sql_lex_next(P->lx, P->err);
    if (P->tok.type == T_ERROR)
        P->failed = 1;
}

static struct node *fail_at(struct parser *P, const struct token *t, const char *fmt, const char *what)
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

static int is_kw(struct parser *P, const char *kw) { return sql_tok_is(&P->tok, kw); }

static int accept_kw(struct parser *P, const char *kw)
{
    if (!is_kw(P, kw))
        return 0;
    advance(P);
    return 1;
}

static int expect(struct parser *P, enum tok type, const char *what)
{
    if (P->tok.type == type) {
        advance(P);
        return 0;
    }
    fail_at(P, &P->tok, "expected %s", what);
    return -1;
}

static struct node *parse_or(struct parser *P);
static struct node *parse_unary(struct parser *P);
static struct node *parse_concat(struct parser *P);

/* Units for FLOOR(ts TO unit) and INTERVAL; returns ms, or 0 if not a unit. */
static int64_t unit_ms(const struct token *t)
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

static struct node *parse_interval(struct parser *P, const struct token *start)
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
            return fail_at(P, &num, "bad interval %s: expected a whole number, e.g. INTERVAL '5' MINUTE", NULL);
    } else {
        return fail_at(P, &num, "bad interval: expected a number after INTERVAL, found %s", NULL);
    }
    advance(P);
    int64_t ms = unit_ms(&P->tok);
    if (!ms)
        return fail_at(P, &P->tok, "bad interval: expected a unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND), found %s",
                       NULL);
    int64_t total;
    if (__builtin_mul_overflow(amount, ms, &total))
        return fail_at(P, &num, "bad interval %s: too large", NULL);
    advance(P);
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
    if (!is_kw(P, "WHEN"))
        n->subject = parse_or(P);
    struct node *args[128];
    int nargs = 0;
    while (accept_kw(P, "WHEN")) {
        if (nargs + 3 > 128)
            return fail_at(P, &P->tok, "CASE has too many branches %s", NULL);
        args[nargs++] = parse_or(P);
        if (!accept_kw(P, "THEN"))
            return fail_at(P, &P->tok, "expected %s", "THEN");
        args[nargs++] = parse_or(P);
    }
    if (nargs == 0)
        return fail_at(P, &P->tok, "expected %s", "WHEN");
    if (accept_kw(P, "ELSE")) {
        args[nargs++] = parse_or(P);
        n->has_else = 1;
    }
    if (!accept_kw(P, "END"))
        return fail_at(P, &P->tok, "expected %s to close CASE", "END");
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
        if (is_kw(P, names[i].name)) {
            *type = names[i].type;
            advance(P);
            if (is_kw(P, "PRECISION") && names[i].type == SQL_DOUBLE)
                advance(P); /* DOUBLE PRECISION */
            return 0;
        }
    fail_at(P, &P->tok, "unknown type %s in CAST (try INT, DOUBLE, VARCHAR, BOOLEAN, TIMESTAMP)", NULL);
    return -1;
}

static int expr_list(struct parser *P, struct node ***list, int *n, struct order_item **order);

/* A sliding window's spec, at its '(': ([PARTITION BY e, ...] RANGE INTERVAL
 * 'n' unit PRECEDING | ROWS n PRECEDING). */
static struct wdef *parse_wdef(struct parser *P, const char *name)
{
    struct wdef *w = sql_arena_alloc(P->a, sizeof *w);
    if (!w)
        return P->failed = 1, NULL;
    w->name = name;
    w->line = P->tok.line;
    w->col = P->tok.col;
    if (expect(P, T_LPAREN, "'(' and the window's PARTITION BY and RANGE or ROWS") < 0)
        return NULL;
    if (accept_kw(P, "PARTITION")) {
        if (!accept_kw(P, "BY"))
            return (void)fail_at(P, &P->tok, "expected %s after PARTITION", "BY"), NULL;
        if (expr_list(P, &w->part, &w->npart, NULL) < 0)
            return NULL;
    }
    struct token at = P->tok;
    if (accept_kw(P, "ROWS")) {
        if (P->tok.type != T_INT)
            return (void)fail_at(P, &P->tok, "expected a row count after ROWS, found %s", NULL), NULL;
        w->rows = 1;
        w->size = strtoll(P->tok.start, NULL, 10);
        if (w->size < 0 || w->size > 100000)
            return (void)fail_at(P, &P->tok, "ROWS %s: at most 100000 rows", NULL), NULL;
        advance(P);
    } else if (accept_kw(P, "RANGE")) {
        struct token it = P->tok;
        if (!accept_kw(P, "INTERVAL"))
            return (void)fail_at(P, &it, "expected INTERVAL 'n' unit after RANGE, found %s", NULL), NULL;
        struct node *iv = parse_interval(P, &it);
        if (!iv)
            return NULL;
        if (iv->value.u.i <= 0)
            return (void)fail_at(P, &it, "a RANGE must be longer than 0 at %s", NULL), NULL;
        w->size = iv->value.u.i;
    } else {
        return (void)fail_at(P, &at, "expected RANGE INTERVAL ... PRECEDING or ROWS n PRECEDING, found %s", NULL), NULL;
    }
    if (!accept_kw(P, "PRECEDING"))
        return (void)fail_at(P, &P->tok, "expected PRECEDING (a window ends at the current row), found %s", NULL), NULL;
    if (expect(P, T_RPAREN, "')' to close the window") < 0)
        return NULL;
    return w;
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
    advance(P); /* ( */
    struct node *args[32];
    int nargs = 0;
    if (strcmp(upper, "POSITION") == 0) {
        /* POSITION(needle IN haystack): IN is not a list here */
        if (!(args[nargs++] = parse_concat(P)))
            return NULL;
        if (!accept_kw(P, "IN"))
            return fail_at(P, &P->tok, "expected %s in POSITION(x IN y)", "IN");
        if (!(args[nargs++] = parse_concat(P)))
            return NULL;
    } else if (strcmp(upper, "TRIM") == 0) {
        /* TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) | TRIM(s): args s, chars, side (0 both, 1 leading, 2 trailing) */
        int side = accept_kw(P, "LEADING") ? 1 : accept_kw(P, "TRAILING") ? 2 : (accept_kw(P, "BOTH"), 0);
        struct node *chars = NULL, *str = NULL;
        if (!accept_kw(P, "FROM")) {
            if (!(chars = parse_or(P)))
                return NULL;
            if (accept_kw(P, "FROM")) {
                if (!(str = parse_or(P)))
                    return NULL;
            } else {
                str = chars, chars = NULL;
            }
        } else if (!(str = parse_or(P))) {
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
        args[nargs++] = parse_or(P);
        if (!accept_kw(P, "AS"))
            return fail_at(P, &P->tok, "expected %s in CAST(x AS type)", "AS");
        if (parse_type_name(P, &n->value.type) < 0)
            return NULL;
    } else if (P->tok.type == T_STAR && strcmp(upper, "COUNT") == 0) {
        advance(P); /* COUNT(*) has no arguments */
    } else if (P->tok.type != T_RPAREN) {
        if (accept_kw(P, "DISTINCT"))
            n->negated = 1; /* COUNT(DISTINCT x): reuse the flag */
        for (;;) {
            if (nargs == 32)
                return fail_at(P, &P->tok, "too many arguments %s", NULL);
            args[nargs++] = parse_or(P);
            if (P->failed)
                return NULL;
            if (strcmp(upper, "SUBSTR") == 0 && nargs == 1 && is_kw(P, "FROM")) {
                /* SUBSTRING(s FROM start [FOR count]) */
                advance(P);
                if (!(args[nargs++] = parse_or(P)))
                    return NULL;
                if (accept_kw(P, "FOR") && !(args[nargs++] = parse_or(P)))
                    return NULL;
                break;
            }
            if (is_kw(P, "BY") && strcmp(upper, "STEP") == 0 && nargs == 1) {
                /* STEP(ts BY INTERVAL 'n' unit) is FLOOR to n units (Kinesis
                 * Analytics); STEP(i BY n) rounds an integer down to a multiple */
                advance(P);
                struct token by = P->tok;
                struct node *w = parse_unary(P);
                if (!w)
                    return NULL;
                if (w->kind != N_LITERAL || w->value.type != SQL_INT || w->value.u.i <= 0)
                    return fail_at(P, &by, "expected a positive INTERVAL or integer after BY, found %s", NULL);
                if (sql_tok_is(&by, "INTERVAL")) {
                    if (w->value.u.i > INT32_MAX)
                        return fail_at(P, &by, "STEP interval %s is too long (at most 24 days)", NULL);
                    n->name = "FLOOR";
                    n->unit_ms = (int)w->value.u.i;
                } else {
                    args[nargs++] = w;
                }
                break;
            }
            if (is_kw(P, "TO") && strcmp(upper, "FLOOR") == 0 && nargs == 1) {
                advance(P);
                n->unit_ms = (int)unit_ms(&P->tok);
                if (!n->unit_ms)
                    return fail_at(P, &P->tok, "expected a time unit after TO (SECOND, MINUTE, HOUR, DAY), found %s",
                                   NULL);
                advance(P);
                break;
            }
            if (P->tok.type != T_COMMA)
                break;
            advance(P);
        }
    }
    if (expect(P, T_RPAREN, "')' to close the argument list") < 0)
        return NULL;
    if (accept_kw(P, "OVER")) { /* a sliding window: OVER name | OVER (spec) */
        if (P->tok.type == T_IDENT || P->tok.type == T_QIDENT) {
            n->over_name = P->tok.type == T_IDENT ? sql_arena_strndup(P->a, P->tok.start, P->tok.len)
                                                  : sql_arena_strndup(P->a, P->tok.start + 1, P->tok.len - 2);
            advance(P);
        } else if (!(n->over = parse_wdef(P, NULL))) {
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
        advance(P);
        struct token c = P->tok;
        if (c.type != T_IDENT && c.type != T_QIDENT)
            return fail_at(P, &c, "expected a column name after '.', found %s", NULL);
        advance(P);
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
            return fail_at(P, &t, "integer %s is too large", NULL);
        advance(P);
        if ((n = literal(P, &t, SQL_INT)))
            n->value.u.i = v;
        return n;
    }
    case T_FLOAT:
        advance(P);
        if ((n = literal(P, &t, SQL_DOUBLE)))
            n->value.u.d = strtod(t.start, NULL);
        return n;
    case T_STRING: {
        size_t len;
        char *s = string_text(P, &t, &len);
        advance(P);
        if (s && (n = literal(P, &t, SQL_STRING))) {
            n->value.u.str.s = s;
            n->value.u.str.len = len;
        }
        return s ? n : NULL;
    }
    case T_LPAREN:
        advance(P);
        n = parse_or(P);
        if (expect(P, T_RPAREN, "')'") < 0)
            return NULL;
        return n;
    case T_QIDENT:
        advance(P);
        if ((n = mk(P, N_COLUMN, &t))) {
            size_t len;
            n->name = string_text(P, &t, &len);
            n->quoted = 1;
        }
        return qualified(P, n);
    case T_IDENT:
        break;
    default:
        return fail_at(P, &t, "expected an expression, found %s", NULL);
    }
    advance(P);
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
        return parse_interval(P, &t);
    if (sql_tok_is(&t, "TIMESTAMP") && P->tok.type == T_STRING) {
        struct token s = P->tok;
        size_t len;
        char *text = string_text(P, &s, &len);
        advance(P);
        int64_t ms;
        if (!text || rf_time_parse(text, len, &ms) < 0)
            return fail_at(P, &s, "bad timestamp %s: expected 'YYYY-MM-DD HH:MM:SS[.mmm]'", NULL);
        if ((n = literal(P, &t, SQL_TIMESTAMP)))
            n->value.u.ts = ms;
        return n;
    }
    static const char *const reserved[] = {"AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "WHEN", "THEN",
                                           "ELSE", "END", "AS", "FROM", "WHERE", "GROUP", "ORDER", "SELECT"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (sql_tok_is(&t, reserved[i]))
            return fail_at(P, &t, "expected an expression, found keyword %s", NULL);
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
    return fail_at(P, &P->tok, "expression nested too deeply (more than 200 levels) at %s", NULL);
}

static struct node *parse_unary(struct parser *P)
{
    if (P->tok.type == T_MINUS || P->tok.type == T_PLUS) {
        if (++P->depth > MAX_DEPTH)
            return nested_too_deep(P);
        struct token t = P->tok;
        advance(P);
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
        advance(P);
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
        advance(P);
        l = binary(P, N_BINARY, t.type == T_PLUS ? OP_ADD : OP_SUB, &t, l, parse_mul(P));
    }
    return l;
}

static struct node *parse_concat(struct parser *P)
{
    struct node *l = parse_add(P);
    while (l && P->tok.type == T_CONCAT) {
        struct token t = P->tok;
        advance(P);
        l = binary(P, N_BINARY, OP_CONCAT, &t, l, parse_add(P));
    }
    return l;
}

static struct node *parse_cmp(struct parser *P)
{
    struct node *l = parse_concat(P);
    if (!l)
        return NULL;
    struct token t = P->tok;
    static const struct {
        enum tok tok;
        enum binop op;
    } cmps[] = {{T_EQ, OP_EQ}, {T_NE, OP_NE}, {T_LT, OP_LT}, {T_LE, OP_LE}, {T_GT, OP_GT}, {T_GE, OP_GE}};
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++)
        if (t.type == cmps[i].tok) {
            advance(P);
            return binary(P, N_BINARY, cmps[i].op, &t, l, parse_concat(P));
        }
    if (accept_kw(P, "IS")) {
        struct node *n = mk(P, N_IS_NULL, &t);
        if (!n)
            return NULL;
        n->negated = accept_kw(P, "NOT");
        if (!accept_kw(P, "NULL"))
            return fail_at(P, &P->tok, "expected %s after IS", "NULL");
        set_args(P, n, &l, 1);
        n->line = l->line, n->col = l->col;
        return n;
    }
    int negated = 0;
    if (is_kw(P, "NOT")) {
        /* NOT IN / NOT BETWEEN / NOT LIKE */
        advance(P);
        negated = 1;
        if (!is_kw(P, "IN") && !is_kw(P, "BETWEEN") && !is_kw(P, "LIKE") && !is_kw(P, "ILIKE"))
            return fail_at(P, &P->tok, "expected %s after NOT", "IN, BETWEEN, LIKE or ILIKE");
    }
    if (accept_kw(P, "IN")) {
        struct node *n = mk(P, N_IN, &t);
        struct node *args[256];
        int nargs = 0;
        args[nargs++] = l;
        if (!n || expect(P, T_LPAREN, "'(' after IN") < 0)
            return NULL;
        do {
            if (nargs == 256)
                return fail_at(P, &P->tok, "IN list too long %s", NULL);
            args[nargs++] = parse_or(P);
            if (P->failed)
                return NULL;
        } while (P->tok.type == T_COMMA && (advance(P), 1));
        if (expect(P, T_RPAREN, "')' to close the IN list") < 0)
            return NULL;
        n->negated = negated;
        n->line = l->line, n->col = l->col;
        return set_args(P, n, args, nargs) < 0 ? NULL : n;
    }
    if (accept_kw(P, "BETWEEN")) {
        struct node *lo = parse_concat(P);
        if (!accept_kw(P, "AND"))
            return fail_at(P, &P->tok, "expected %s in BETWEEN x AND y", "AND");
        struct node *hi = parse_concat(P);
        struct node *n = mk(P, N_BETWEEN, &t);
        struct node *args[3] = {l, lo, hi};
        if (!n || !lo || !hi || set_args(P, n, args, 3) < 0)
            return NULL;
        n->negated = negated;
        n->line = l->line, n->col = l->col;
        return n;
    }
    int icase = is_kw(P, "ILIKE");
    if (accept_kw(P, "LIKE") || accept_kw(P, "ILIKE")) {
        struct node *n = binary(P, N_LIKE, OP_EQ, &t, l, parse_concat(P));
        if (n && accept_kw(P, "ESCAPE")) {
            struct node *args[3] = {n->args[0], n->args[1], parse_concat(P)};
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
    if (is_kw(P, "NOT")) {
        struct token t = P->tok;
        if (++P->depth > MAX_DEPTH)
            return nested_too_deep(P);
        advance(P);
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
    while (l && is_kw(P, "AND")) {
        struct token t = P->tok;
        advance(P);
        l = binary(P, N_AND, OP_EQ, &t, l, parse_not(P));
    }
    return l;
}

static struct node *parse_or(struct parser *P)
{
    /* Every parenthesis, argument list and CASE comes through here. */
    if (++P->depth > MAX_DEPTH)
        return nested_too_deep(P);
    struct node *l = parse_and(P);
    while (l && is_kw(P, "OR")) {
        struct token t = P->tok;
        advance(P);
        l = binary(P, N_OR, OP_EQ, &t, l, parse_and(P));
    }
    P->depth--;
    return P->failed ? NULL : l;
}

struct node *sql_parse_expr(struct sql_lexer *lx, struct sql_arena *a, struct sql_error *err)
{
    struct parser P = {.lx = lx, .a = a, .err = err};
    advance(&P);
    if (P.failed)
        return NULL;
    if (P.tok.type == T_EOF) {
        fail_at(&P, &P.tok, "empty expression %s", NULL);
        return NULL;
    }
    struct node *n = parse_or(&P);
    if (!n || P.failed)
        return NULL;
    if (P.tok.type == T_SEMI)
        advance(&P);
    if (P.tok.type != T_EOF) {
        fail_at(&P, &P.tok, "unexpected %s after the end of the expression", NULL);
        return NULL;
    }
    return n;
}

/* ---- SELECT ---------------------------------------------------------------- */

static const char *trimmed(struct parser *P, const char *from, const char *to)
{
    while (to > from && (to[-1] == ' ' || to[-1] == '\t' || to[-1] == '\n' || to[-1] == '\r'))
        to--;
    return sql_arena_strndup(P->a, from, (size_t)(to - from));
}

/* A comma-separated list of expressions (GROUP BY, ORDER BY). */
static int expr_list(struct parser *P, struct node ***out, int *n, struct order_item **order)
{
    struct node *items[256];
    int desc[256];
    int k = 0;
    do {
        if (k == 256) {
            fail_at(P, &P->tok, "list too long at %s", NULL);
            return -1;
        }
        items[k] = parse_or(P);
        if (!items[k])
            return -1;
        desc[k] = 0;
        if (order) {
            if (accept_kw(P, "DESC"))
                desc[k] = 1;
            else
                accept_kw(P, "ASC");
        }
        k++;
    } while (P->tok.type == T_COMMA && (advance(P), 1));
    if (order) {
        *order = sql_arena_alloc(P->a, sizeof **order * (size_t)k);
        if (!*order)
            return -1;
        for (int i = 0; i < k; i++) {
            (*order)[i].expr = items[i];
            (*order)[i].desc = desc[i];
        }
    } else {
        *out = sql_arena_alloc(P->a, sizeof **out * (size_t)k);
        if (!*out)
            return -1;
        memcpy(*out, items, sizeof *items * (size_t)k);
    }
    *n = k;
    return 0;
}

/* "<n> <unit>" inside a WINDOW clause (ksqlDB style: SIZE 1 MINUTE), in ms. */
/* A window's SIZE, ADVANCE BY, GAP or GRACE: n units, n >= min_n (GRACE
 * may be 0: results as soon as the high mark passes the window's end). */
static int window_duration(struct parser *P, const char *what, int64_t *ms, long long min_n)
{
    if (P->tok.type != T_INT) {
        fail_at(P, &P->tok, "bad interval: expected a number for %s", what);
        return -1;
    }
    struct token num = P->tok;
    long long n = strtoll(P->tok.start, NULL, 10);
    advance(P);
    int64_t unit = unit_ms(&P->tok);
    if (!unit) {
        fail_at(P, &P->tok, "bad interval: expected a unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND), found %s", NULL);
        return -1;
    }
    advance(P);
    if (n < min_n || n > 100000000) {
        sql_error_set(P->err, num.line, num.col, "bad interval: %s must be between %lld and 100000000 units", what,
                      min_n);
        P->failed = 1;
        return -1;
    }
    *ms = n * unit;
    return 0;
}

/* WINDOW name AS (spec) [, name AS (spec)]: sliding windows for OVER name. */
static int parse_wdefs(struct parser *P, struct select_ast *s)
{
    struct wdef *defs[64];
    int n = 0;
    do {
        if (n == 64) {
            fail_at(P, &P->tok, "too many windows at %s", NULL);
            return -1;
        }
        const char *name = P->tok.type == T_IDENT ? sql_arena_strndup(P->a, P->tok.start, P->tok.len)
                           : P->tok.type == T_QIDENT ? sql_arena_strndup(P->a, P->tok.start + 1, P->tok.len - 2)
                                                     : NULL;
        if (!name) {
            fail_at(P, &P->tok, "expected %s", "a window name");
            return -1;
        }
        advance(P);
        if (!accept_kw(P, "AS")) {
            fail_at(P, &P->tok, "expected %s after the window's name", "AS");
            return -1;
        }
        if (!(defs[n++] = parse_wdef(P, name)))
            return -1;
    } while (P->tok.type == T_COMMA && (advance(P), 1));
    s->wdefs = sql_arena_alloc(P->a, sizeof *defs * (size_t)(s->nwdefs + n));
    if (!s->wdefs)
        return P->failed = 1, -1;
    memcpy(s->wdefs, defs, sizeof *defs * (size_t)n);
    s->nwdefs = n;
    return 0;
}

/* After WINDOW: a named window (name AS ...), or TUMBLING/HOPPING/SESSION. */
static int named_window_next(struct parser *P)
{
    if (P->tok.type != T_IDENT && P->tok.type != T_QIDENT)
        return 0;
    struct sql_lexer peek = *P->lx;
    struct sql_error e;
    struct token t = sql_lex_next(&peek, &e);
    return sql_tok_is(&t, "AS");
}

static int parse_window(struct parser *P, struct select_ast *s)
{
    if (named_window_next(P))
        return parse_wdefs(P, s);
    s->win_line = P->tok.line;
    s->win_col = P->tok.col;
    if (accept_kw(P, "TUMBLING"))
        s->window = WIN_TUMBLING;
    else if (accept_kw(P, "HOPPING"))
        s->window = WIN_HOPPING;
    else if (accept_kw(P, "SESSION"))
        s->window = WIN_SESSION;
    else {
        fail_at(P, &P->tok, "expected %s after WINDOW", "TUMBLING, HOPPING or SESSION");
        return -1;
    }
    if (expect(P, T_LPAREN, "'(' after the window type") < 0)
        return -1;
    if (s->window == WIN_SESSION) {
        if (window_duration(P, "the session gap", &s->win_size, 1) < 0)
            return -1;
    } else {
        if (!accept_kw(P, "SIZE")) {
            fail_at(P, &P->tok, "expected %s", "SIZE");
            return -1;
        }
        if (window_duration(P, "SIZE", &s->win_size, 1) < 0)
            return -1;
        s->win_advance = s->win_size;
        if (s->window == WIN_HOPPING) {
            if (expect(P, T_COMMA, "',' then ADVANCE BY") < 0)
                return -1;
            if (!accept_kw(P, "ADVANCE") || !accept_kw(P, "BY")) {
                fail_at(P, &P->tok, "expected %s", "ADVANCE BY");
                return -1;
            }
            struct token at = P->tok;
            if (window_duration(P, "ADVANCE BY", &s->win_advance, 1) < 0)
                return -1;
            if (s->win_advance > s->win_size) {
                sql_error_set(P->err, at.line, at.col, "ADVANCE BY must not be longer than SIZE");
                P->failed = 1;
                return -1;
            }
        }
    }
    if (P->tok.type == T_COMMA) {
        advance(P);
        if (!accept_kw(P, "GRACE")) {
            fail_at(P, &P->tok, "expected %s", "GRACE");
            return -1;
        }
        accept_kw(P, "PERIOD");
        if (window_duration(P, "GRACE", &s->win_grace, 0) < 0)
            return -1;
    }
    return expect(P, T_RPAREN, "')' to close the window");
}

struct select_ast *sql_parse_select(struct sql_lexer *lx, struct sql_arena *a, int in_script, struct sql_error *err)
{
    struct parser P = {.lx = lx, .a = a, .err = err};
    advance(&P);
    if (P.failed)
        return NULL;
    if (!accept_kw(&P, "SELECT")) {
        fail_at(&P, &P.tok, "expected %s", "SELECT");
        return NULL;
    }
    struct select_ast *s = sql_arena_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->limit = -1;
    if (is_kw(&P, "STREAM")) {
        /* SELECT STREAM ... (Kinesis Analytics): unless STREAM is a column */
        struct sql_lexer peek = *lx;
        struct sql_error perr;
        struct token after = sql_lex_next(&peek, &perr);
        if (after.type != T_COMMA && !(after.type == T_IDENT && sql_tok_is(&after, "FROM")) && after.type != T_EOF &&
            after.type != T_SEMI && !(after.type == T_IDENT && sql_tok_is(&after, "AS"))) {
            advance(&P);
            s->stream_kw = 1;
        }
    }
    s->distinct = accept_kw(&P, "DISTINCT");
    struct select_item items[256];
    int n = 0;
    do {
        if (n == 256) {
            fail_at(&P, &P.tok, "too many columns at %s", NULL);
            return NULL;
        }
        memset(&items[n], 0, sizeof items[n]);
        const char *start = P.tok.start;
        if (P.tok.type == T_STAR) {
            advance(&P);
            items[n].text = "*";
        } else {
            items[n].expr = parse_or(&P);
            if (!items[n].expr)
                return NULL;
            items[n].text = trimmed(&P, start, P.tok.start);
            if (accept_kw(&P, "AS") || P.tok.type == T_QIDENT ||
                (P.tok.type == T_IDENT && !is_kw(&P, "FROM") && !is_kw(&P, "WHERE") && !is_kw(&P, "GROUP") &&
                 !is_kw(&P, "HAVING") && !is_kw(&P, "ORDER") && !is_kw(&P, "LIMIT") && !is_kw(&P, "EMIT") &&
                 !is_kw(&P, "WINDOW"))) {
                if (P.tok.type == T_IDENT)
                    items[n].alias = sql_arena_strndup(a, P.tok.start, P.tok.len);
                else if (P.tok.type == T_QIDENT)
                    items[n].alias = sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
                else {
                    fail_at(&P, &P.tok, "expected %s after AS", "a name");
                    return NULL;
                }
                advance(&P);
            }
        }
        n++;
    } while (P.tok.type == T_COMMA && (advance(&P), 1));
    s->items = sql_arena_alloc(a, sizeof *items * (size_t)n);
    if (!s->items)
        return NULL;
    memcpy(s->items, items, sizeof *items * (size_t)n);
    s->nitems = n;

    if (accept_kw(&P, "FROM")) {
        if (P.tok.type != T_IDENT && P.tok.type != T_QIDENT && P.tok.type != T_STRING) {
            fail_at(&P, &P.tok, "expected %s after FROM", "a source name");
            return NULL;
        }
        s->from_line = P.tok.line;
        s->from_col = P.tok.col;
        s->from = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                        : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
        advance(&P);
        /* FROM source [AS] alias */
        int as = accept_kw(&P, "AS");
        if (P.tok.type == T_QIDENT || (P.tok.type == T_IDENT && !is_kw(&P, "WINDOW") && !is_kw(&P, "WINDOWED") &&
                                       !is_kw(&P, "WHERE") && !is_kw(&P, "JOIN") && !is_kw(&P, "LEFT") &&
                                       !is_kw(&P, "INNER") &&
                                       !is_kw(&P, "GROUP") && !is_kw(&P, "HAVING") && !is_kw(&P, "ORDER") &&
                                       !is_kw(&P, "LIMIT") && !is_kw(&P, "EMIT"))) {
            s->from_alias = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                                  : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
            advance(&P);
        } else if (as) {
            fail_at(&P, &P.tok, "expected %s after AS", "an alias");
            return NULL;
        }
        /* [INNER | LEFT [OUTER]] JOIN reference [AS] alias ON condition */
        struct token jt = P.tok;
        int left = accept_kw(&P, "LEFT");
        if (left)
            accept_kw(&P, "OUTER");
        else
            accept_kw(&P, "INNER");
        if (accept_kw(&P, "JOIN")) {
            s->join_line = jt.line;
            s->join_col = jt.col;
            s->join_left = left;
            if (P.tok.type != T_IDENT && P.tok.type != T_QIDENT && P.tok.type != T_STRING) {
                fail_at(&P, &P.tok, "expected %s after JOIN", "a reference table's name");
                return NULL;
            }
            s->join = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                            : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
            advance(&P);
            accept_kw(&P, "AS");
            if (P.tok.type == T_QIDENT || (P.tok.type == T_IDENT && !is_kw(&P, "ON"))) {
                s->join_alias = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                                      : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
                advance(&P);
            }
            if (!accept_kw(&P, "ON")) {
                fail_at(&P, &P.tok, "expected %s after the joined table", "ON");
                return NULL;
            }
            if (!(s->join_on = parse_or(&P)))
                return NULL;
        } else if (left || jt.start != P.tok.start) {
            fail_at(&P, &P.tok, "expected %s", "JOIN");
            return NULL;
        }
    }
    if (accept_kw(&P, "WINDOW") && parse_window(&P, s) < 0)
        return NULL;
    if (accept_kw(&P, "WHERE") && !(s->where = parse_or(&P)))
        return NULL;
    if (is_kw(&P, "WINDOWED")) {
        /* WINDOWED BY STAGGER (PARTITION BY e, ... RANGE INTERVAL 'n' unit): a
         * window per key, opened by its first row, closed n later */
        s->win_line = P.tok.line;
        s->win_col = P.tok.col;
        advance(&P);
        if (!accept_kw(&P, "BY") || !accept_kw(&P, "STAGGER")) {
            fail_at(&P, &P.tok, "expected %s after WINDOWED", "BY STAGGER");
            return NULL;
        }
        if (s->window) {
            fail_at(&P, &P.tok, "a second window at %s", NULL);
            return NULL;
        }
        if (expect(&P, T_LPAREN, "'(' and PARTITION BY") < 0)
            return NULL;
        if (!accept_kw(&P, "PARTITION") || !accept_kw(&P, "BY")) {
            fail_at(&P, &P.tok, "expected %s", "PARTITION BY");
            return NULL;
        }
        if (expr_list(&P, &s->group, &s->ngroup, NULL) < 0)
            return NULL;
        struct token it = P.tok;
        if (!accept_kw(&P, "RANGE") || !is_kw(&P, "INTERVAL")) {
            fail_at(&P, &it, "expected %s", "RANGE INTERVAL 'n' unit");
            return NULL;
        }
        it = P.tok;
        advance(&P);
        struct node *iv = parse_interval(&P, &it);
        if (!iv)
            return NULL;
        if (iv->value.u.i <= 0) {
            fail_at(&P, &it, "a stagger window must be longer than 0 at %s", NULL);
            return NULL;
        }
        if (expect(&P, T_RPAREN, "')' to close the window") < 0)
            return NULL;
        s->window = WIN_SESSION;
        s->stagger = 1;
        s->win_size = iv->value.u.i;
    }
    if (is_kw(&P, "GROUP")) {
        if (s->stagger) {
            fail_at(&P, &P.tok, "%s: WINDOWED BY STAGGER groups by its PARTITION BY already", "GROUP BY");
            return NULL;
        }
        advance(&P);
        if (!accept_kw(&P, "BY")) {
            fail_at(&P, &P.tok, "expected %s after GROUP", "BY");
            return NULL;
        }
        if (expr_list(&P, &s->group, &s->ngroup, NULL) < 0)
            return NULL;
    }
    if (accept_kw(&P, "HAVING") && !(s->having = parse_or(&P)))
        return NULL;
    if (is_kw(&P, "WINDOW")) { /* SQL's place for named windows */
        advance(&P);
        if (!named_window_next(&P)) {
            fail_at(&P, &P.tok, "expected %s", "a window name AS (...) (TUMBLING, HOPPING and SESSION go after FROM)");
            return NULL;
        }
        if (s->nwdefs) {
            fail_at(&P, &P.tok, "a second WINDOW clause at %s", NULL);
            return NULL;
        }
        if (parse_wdefs(&P, s) < 0)
            return NULL;
    }
    if (is_kw(&P, "ORDER")) {
        advance(&P);
        if (!accept_kw(&P, "BY")) {
            fail_at(&P, &P.tok, "expected %s after ORDER", "BY");
            return NULL;
        }
        if (expr_list(&P, NULL, &s->norder, &s->order) < 0)
            return NULL;
    }
    if (accept_kw(&P, "LIMIT")) {
        if (P.tok.type != T_INT) {
            fail_at(&P, &P.tok, "expected %s after LIMIT", "a row count");
            return NULL;
        }
        s->limit = strtoll(P.tok.start, NULL, 10);
        s->limit_line = P.tok.line;
        s->limit_col = P.tok.col;
        advance(&P);
    }
    if (is_kw(&P, "EMIT")) {
        s->emit_line = P.tok.line;
        s->emit_col = P.tok.col;
        advance(&P);
        if (accept_kw(&P, "FINAL"))
            s->emit = EMIT_FINAL;
        else if (accept_kw(&P, "CHANGES"))
            s->emit = EMIT_CHANGES;
        else {
            fail_at(&P, &P.tok, "expected %s after EMIT", "FINAL or CHANGES");
            return NULL;
        }
    }
    if (P.failed)
        return NULL;
    if (in_script) { /* stop at the ';' (or the end): the script parser goes on from there */
        if (P.tok.type != T_SEMI && P.tok.type != T_EOF) {
            fail_at(&P, &P.tok,
                    "unexpected %s (expected WINDOW, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, EMIT or ';')", NULL);
            return NULL;
        }
        return s;
    }
    if (P.tok.type == T_SEMI)
        advance(&P);
    if (P.failed)
        return NULL;
    if (P.tok.type != T_EOF) {
        fail_at(&P, &P.tok, "unexpected %s (expected WINDOW, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, EMIT or the end)", NULL);
        return NULL;
    }
    return s;
}
