/* sql_parse_select.c - the clauses of a SELECT: the select list, FROM with
 * its alias and JOIN, the windows (TUMBLING/HOPPING/SESSION after FROM,
 * WINDOWED BY STAGGER, named sliding windows), WHERE, GROUP BY, HAVING,
 * ORDER BY, LIMIT and EMIT. Expressions are sql_parse.c's. */
#include "sql_parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A sliding window's spec, at its '(': ([PARTITION BY e, ...] RANGE INTERVAL
 * 'n' unit PRECEDING | ROWS n PRECEDING). */
struct wdef *sqp_wdef(struct parser *P, const char *name)
{
    struct wdef *w = sql_arena_alloc(P->a, sizeof *w);
    if (!w)
        return P->failed = 1, NULL;
    w->name = name;
    w->line = P->tok.line;
    w->col = P->tok.col;
    if (sqp_expect(P, T_LPAREN, "'(' and the window's PARTITION BY and RANGE or ROWS") < 0)
        return NULL;
    if (sqp_accept(P, "PARTITION")) {
        if (!sqp_accept(P, "BY"))
            return (void)sqp_fail(P, &P->tok, "expected %s after PARTITION", "BY"), NULL;
        if (sqp_expr_list(P, &w->part, &w->npart, NULL) < 0)
            return NULL;
    }
    struct token at = P->tok;
    if (sqp_accept(P, "ROWS")) {
        if (P->tok.type != T_INT)
            return (void)sqp_fail(P, &P->tok, "expected a row count after ROWS, found %s", NULL), NULL;
        w->rows = 1;
        w->size = strtoll(P->tok.start, NULL, 10);
        if (w->size < 0 || w->size > 100000)
            return (void)sqp_fail(P, &P->tok, "ROWS %s: at most 100000 rows", NULL), NULL;
        sqp_advance(P);
    } else if (sqp_accept(P, "RANGE")) {
        struct token it = P->tok;
        if (!sqp_accept(P, "INTERVAL"))
            return (void)sqp_fail(P, &it, "expected INTERVAL 'n' unit after RANGE, found %s", NULL), NULL;
        struct node *iv = sqp_interval(P, &it);
        if (!iv)
            return NULL;
        if (iv->value.u.i <= 0)
            return (void)sqp_fail(P, &it, "a RANGE must be longer than 0 at %s", NULL), NULL;
        w->size = iv->value.u.i;
    } else {
        return (void)sqp_fail(P, &at, "expected RANGE INTERVAL ... PRECEDING or ROWS n PRECEDING, found %s", NULL), NULL;
    }
    if (!sqp_accept(P, "PRECEDING"))
        return (void)sqp_fail(P, &P->tok, "expected PRECEDING (a window ends at the current row), found %s", NULL), NULL;
    if (sqp_expect(P, T_RPAREN, "')' to close the window") < 0)
        return NULL;
    return w;
}

/* ---- SELECT ---------------------------------------------------------------- */

static const char *trimmed(struct parser *P, const char *from, const char *to)
{
    while (to > from && (to[-1] == ' ' || to[-1] == '\t' || to[-1] == '\n' || to[-1] == '\r'))
        to--;
    return sql_arena_strndup(P->a, from, (size_t)(to - from));
}

/* A comma-separated list of expressions (GROUP BY, ORDER BY). */
int sqp_expr_list(struct parser *P, struct node ***out, int *n, struct order_item **order)
{
    struct node *items[256];
    int desc[256];
    int k = 0;
    do {
        if (k == 256) {
            sqp_fail(P, &P->tok, "list too long at %s", NULL);
            return -1;
        }
        items[k] = sqp_or(P);
        if (!items[k])
            return -1;
        desc[k] = 0;
        if (order) {
            if (sqp_accept(P, "DESC"))
                desc[k] = 1;
            else
                sqp_accept(P, "ASC");
        }
        k++;
    } while (P->tok.type == T_COMMA && (sqp_advance(P), 1));
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
        sqp_fail(P, &P->tok, "bad interval: expected a number for %s", what);
        return -1;
    }
    struct token num = P->tok;
    long long n = strtoll(P->tok.start, NULL, 10);
    sqp_advance(P);
    int64_t unit = sqp_unit_ms(&P->tok);
    if (!unit) {
        sqp_fail(P, &P->tok, "bad interval: expected a unit (SECOND, MINUTE, HOUR, DAY, MILLISECOND), found %s", NULL);
        return -1;
    }
    sqp_advance(P);
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
            sqp_fail(P, &P->tok, "too many windows at %s", NULL);
            return -1;
        }
        const char *name = P->tok.type == T_IDENT ? sql_arena_strndup(P->a, P->tok.start, P->tok.len)
                           : P->tok.type == T_QIDENT ? sql_arena_strndup(P->a, P->tok.start + 1, P->tok.len - 2)
                                                     : NULL;
        if (!name) {
            sqp_fail(P, &P->tok, "expected %s", "a window name");
            return -1;
        }
        sqp_advance(P);
        if (!sqp_accept(P, "AS")) {
            sqp_fail(P, &P->tok, "expected %s after the window's name", "AS");
            return -1;
        }
        if (!(defs[n++] = sqp_wdef(P, name)))
            return -1;
    } while (P->tok.type == T_COMMA && (sqp_advance(P), 1));
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
    if (sqp_accept(P, "TUMBLING"))
        s->window = WIN_TUMBLING;
    else if (sqp_accept(P, "HOPPING"))
        s->window = WIN_HOPPING;
    else if (sqp_accept(P, "SESSION"))
        s->window = WIN_SESSION;
    else {
        sqp_fail(P, &P->tok, "expected %s after WINDOW", "TUMBLING, HOPPING or SESSION");
        return -1;
    }
    if (sqp_expect(P, T_LPAREN, "'(' after the window type") < 0)
        return -1;
    if (s->window == WIN_SESSION) {
        if (window_duration(P, "the session gap", &s->win_size, 1) < 0)
            return -1;
    } else {
        if (!sqp_accept(P, "SIZE")) {
            sqp_fail(P, &P->tok, "expected %s", "SIZE");
            return -1;
        }
        if (window_duration(P, "SIZE", &s->win_size, 1) < 0)
            return -1;
        s->win_advance = s->win_size;
        if (s->window == WIN_HOPPING) {
            if (sqp_expect(P, T_COMMA, "',' then ADVANCE BY") < 0)
                return -1;
            if (!sqp_accept(P, "ADVANCE") || !sqp_accept(P, "BY")) {
                sqp_fail(P, &P->tok, "expected %s", "ADVANCE BY");
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
        sqp_advance(P);
        if (!sqp_accept(P, "GRACE")) {
            sqp_fail(P, &P->tok, "expected %s", "GRACE");
            return -1;
        }
        sqp_accept(P, "PERIOD");
        if (window_duration(P, "GRACE", &s->win_grace, 0) < 0)
            return -1;
    }
    return sqp_expect(P, T_RPAREN, "')' to close the window");
}

struct select_ast *sql_parse_select(struct sql_lexer *lx, struct sql_arena *a, int in_script, struct sql_error *err)
{
    struct parser P = {.lx = lx, .a = a, .err = err};
    sqp_advance(&P);
    if (P.failed)
        return NULL;
    if (!sqp_accept(&P, "SELECT")) {
        sqp_fail(&P, &P.tok, "expected %s", "SELECT");
        return NULL;
    }
    struct select_ast *s = sql_arena_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->limit = -1;
    if (sqp_is_kw(&P, "STREAM")) {
        /* SELECT STREAM ... (Kinesis Analytics): unless STREAM is a column */
        struct sql_lexer peek = *lx;
        struct sql_error perr;
        struct token after = sql_lex_next(&peek, &perr);
        if (after.type != T_COMMA && !(after.type == T_IDENT && sql_tok_is(&after, "FROM")) && after.type != T_EOF &&
            after.type != T_SEMI && !(after.type == T_IDENT && sql_tok_is(&after, "AS"))) {
            sqp_advance(&P);
            s->stream_kw = 1;
        }
    }
    s->distinct = sqp_accept(&P, "DISTINCT");
    struct select_item items[256];
    int n = 0;
    do {
        if (n == 256) {
            sqp_fail(&P, &P.tok, "too many columns at %s", NULL);
            return NULL;
        }
        memset(&items[n], 0, sizeof items[n]);
        const char *start = P.tok.start;
        if (P.tok.type == T_STAR) {
            sqp_advance(&P);
            items[n].text = "*";
        } else {
            items[n].expr = sqp_or(&P);
            if (!items[n].expr)
                return NULL;
            items[n].text = trimmed(&P, start, P.tok.start);
            if (sqp_accept(&P, "AS") || P.tok.type == T_QIDENT ||
                (P.tok.type == T_IDENT && !sqp_is_kw(&P, "FROM") && !sqp_is_kw(&P, "WHERE") && !sqp_is_kw(&P, "GROUP") &&
                 !sqp_is_kw(&P, "HAVING") && !sqp_is_kw(&P, "ORDER") && !sqp_is_kw(&P, "LIMIT") && !sqp_is_kw(&P, "EMIT") &&
                 !sqp_is_kw(&P, "WINDOW"))) {
                if (P.tok.type == T_IDENT)
                    items[n].alias = sql_arena_strndup(a, P.tok.start, P.tok.len);
                else if (P.tok.type == T_QIDENT)
                    items[n].alias = sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
                else {
                    sqp_fail(&P, &P.tok, "expected %s after AS", "a name");
                    return NULL;
                }
                sqp_advance(&P);
            }
        }
        n++;
    } while (P.tok.type == T_COMMA && (sqp_advance(&P), 1));
    s->items = sql_arena_alloc(a, sizeof *items * (size_t)n);
    if (!s->items)
        return NULL;
    memcpy(s->items, items, sizeof *items * (size_t)n);
    s->nitems = n;

    if (sqp_accept(&P, "FROM")) {
        if (P.tok.type != T_IDENT && P.tok.type != T_QIDENT && P.tok.type != T_STRING) {
            sqp_fail(&P, &P.tok, "expected %s after FROM", "a source name");
            return NULL;
        }
        s->from_line = P.tok.line;
        s->from_col = P.tok.col;
        s->from = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                        : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
        sqp_advance(&P);
        /* FROM source [AS] alias */
        int as = sqp_accept(&P, "AS");
        if (P.tok.type == T_QIDENT || (P.tok.type == T_IDENT && !sqp_is_kw(&P, "WINDOW") && !sqp_is_kw(&P, "WINDOWED") &&
                                       !sqp_is_kw(&P, "WHERE") && !sqp_is_kw(&P, "JOIN") && !sqp_is_kw(&P, "LEFT") &&
                                       !sqp_is_kw(&P, "INNER") &&
                                       !sqp_is_kw(&P, "GROUP") && !sqp_is_kw(&P, "HAVING") && !sqp_is_kw(&P, "ORDER") &&
                                       !sqp_is_kw(&P, "LIMIT") && !sqp_is_kw(&P, "EMIT"))) {
            s->from_alias = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                                  : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
            sqp_advance(&P);
        } else if (as) {
            sqp_fail(&P, &P.tok, "expected %s after AS", "an alias");
            return NULL;
        }
        /* [INNER | LEFT [OUTER]] JOIN reference [AS] alias ON condition */
        struct token jt = P.tok;
        int left = sqp_accept(&P, "LEFT");
        if (left)
            sqp_accept(&P, "OUTER");
        else
            sqp_accept(&P, "INNER");
        if (sqp_accept(&P, "JOIN")) {
            s->join_line = jt.line;
            s->join_col = jt.col;
            s->join_left = left;
            if (P.tok.type != T_IDENT && P.tok.type != T_QIDENT && P.tok.type != T_STRING) {
                sqp_fail(&P, &P.tok, "expected %s after JOIN", "a reference table's name");
                return NULL;
            }
            s->join = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                            : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
            sqp_advance(&P);
            sqp_accept(&P, "AS");
            if (P.tok.type == T_QIDENT || (P.tok.type == T_IDENT && !sqp_is_kw(&P, "ON"))) {
                s->join_alias = P.tok.type == T_IDENT ? sql_arena_strndup(a, P.tok.start, P.tok.len)
                                                      : sql_arena_strndup(a, P.tok.start + 1, P.tok.len - 2);
                sqp_advance(&P);
            }
            if (!sqp_accept(&P, "ON")) {
                sqp_fail(&P, &P.tok, "expected %s after the joined table", "ON");
                return NULL;
            }
            if (!(s->join_on = sqp_or(&P)))
                return NULL;
        } else if (left || jt.start != P.tok.start) {
            sqp_fail(&P, &P.tok, "expected %s", "JOIN");
            return NULL;
        }
    }
    if (sqp_accept(&P, "WINDOW") && parse_window(&P, s) < 0)
        return NULL;
    if (sqp_accept(&P, "WHERE") && !(s->where = sqp_or(&P)))
        return NULL;
    if (sqp_is_kw(&P, "WINDOWED")) {
        /* WINDOWED BY STAGGER (PARTITION BY e, ... RANGE INTERVAL 'n' unit): a
         * window per key, opened by its first row, closed n later */
        s->win_line = P.tok.line;
        s->win_col = P.tok.col;
        sqp_advance(&P);
        if (!sqp_accept(&P, "BY") || !sqp_accept(&P, "STAGGER")) {
            sqp_fail(&P, &P.tok, "expected %s after WINDOWED", "BY STAGGER");
            return NULL;
        }
        if (s->window) {
            sqp_fail(&P, &P.tok, "a second window at %s", NULL);
            return NULL;
        }
        if (sqp_expect(&P, T_LPAREN, "'(' and PARTITION BY") < 0)
            return NULL;
        if (!sqp_accept(&P, "PARTITION") || !sqp_accept(&P, "BY")) {
            sqp_fail(&P, &P.tok, "expected %s", "PARTITION BY");
            return NULL;
        }
        if (sqp_expr_list(&P, &s->group, &s->ngroup, NULL) < 0)
            return NULL;
        struct token it = P.tok;
        if (!sqp_accept(&P, "RANGE") || !sqp_is_kw(&P, "INTERVAL")) {
            sqp_fail(&P, &it, "expected %s", "RANGE INTERVAL 'n' unit");
            return NULL;
        }
        it = P.tok;
        sqp_advance(&P);
        struct node *iv = sqp_interval(&P, &it);
        if (!iv)
            return NULL;
        if (iv->value.u.i <= 0) {
            sqp_fail(&P, &it, "a stagger window must be longer than 0 at %s", NULL);
            return NULL;
        }
        if (sqp_expect(&P, T_RPAREN, "')' to close the window") < 0)
            return NULL;
        s->window = WIN_SESSION;
        s->stagger = 1;
        s->win_size = iv->value.u.i;
    }
    if (sqp_is_kw(&P, "GROUP")) {
        if (s->stagger) {
            sqp_fail(&P, &P.tok, "%s: WINDOWED BY STAGGER groups by its PARTITION BY already", "GROUP BY");
            return NULL;
        }
        sqp_advance(&P);
        if (!sqp_accept(&P, "BY")) {
            sqp_fail(&P, &P.tok, "expected %s after GROUP", "BY");
            return NULL;
        }
        if (sqp_expr_list(&P, &s->group, &s->ngroup, NULL) < 0)
            return NULL;
    }
    if (sqp_accept(&P, "HAVING") && !(s->having = sqp_or(&P)))
        return NULL;
    if (sqp_is_kw(&P, "WINDOW")) { /* SQL's place for named windows */
        sqp_advance(&P);
        if (!named_window_next(&P)) {
            sqp_fail(&P, &P.tok, "expected %s", "a window name AS (...) (TUMBLING, HOPPING and SESSION go after FROM)");
            return NULL;
        }
        if (s->nwdefs) {
            sqp_fail(&P, &P.tok, "a second WINDOW clause at %s", NULL);
            return NULL;
        }
        if (parse_wdefs(&P, s) < 0)
            return NULL;
    }
    if (sqp_is_kw(&P, "ORDER")) {
        sqp_advance(&P);
        if (!sqp_accept(&P, "BY")) {
            sqp_fail(&P, &P.tok, "expected %s after ORDER", "BY");
            return NULL;
        }
        if (sqp_expr_list(&P, NULL, &s->norder, &s->order) < 0)
            return NULL;
    }
    if (sqp_accept(&P, "LIMIT")) {
        if (P.tok.type != T_INT) {
            sqp_fail(&P, &P.tok, "expected %s after LIMIT", "a row count");
            return NULL;
        }
        s->limit = strtoll(P.tok.start, NULL, 10);
        s->limit_line = P.tok.line;
        s->limit_col = P.tok.col;
        sqp_advance(&P);
    }
    if (sqp_is_kw(&P, "EMIT")) {
        s->emit_line = P.tok.line;
        s->emit_col = P.tok.col;
        sqp_advance(&P);
        if (sqp_accept(&P, "FINAL"))
            s->emit = EMIT_FINAL;
        else if (sqp_accept(&P, "CHANGES"))
            s->emit = EMIT_CHANGES;
        else {
            sqp_fail(&P, &P.tok, "expected %s after EMIT", "FINAL or CHANGES");
            return NULL;
        }
    }
    if (P.failed)
        return NULL;
    if (in_script) { /* stop at the ';' (or the end): the script parser goes on from there */
        if (P.tok.type != T_SEMI && P.tok.type != T_EOF) {
            sqp_fail(&P, &P.tok,
                    "unexpected %s (expected WINDOW, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, EMIT or ';')", NULL);
            return NULL;
        }
        return s;
    }
    if (P.tok.type == T_SEMI)
        sqp_advance(&P);
    if (P.failed)
        return NULL;
    if (P.tok.type != T_EOF) {
        sqp_fail(&P, &P.tok, "unexpected %s (expected WINDOW, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, EMIT or the end)", NULL);
        return NULL;
    }
    return s;
}
