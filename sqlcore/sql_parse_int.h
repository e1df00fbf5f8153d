/* sql_parse_int.h - the recursive-descent parser's state and the helpers
 * that its two files share: expressions (sql_parse.c) and the clauses of a
 * SELECT (sql_parse_select.c). Not for use outside sqlcore/. */
#ifndef SQL_PARSE_INT_H
#define SQL_PARSE_INT_H

#include "sql_int.h"

struct parser {
    struct sql_lexer *lx;
    struct sql_arena *a;
    struct sql_error *err;
    struct token tok;
    int failed;
    int depth; /* nesting, bounded so that no input can exhaust the stack */
};

/* The next token into P->tok (P->failed on a lexer error). */
void sqp_advance(struct parser *P);
/* Fail at t: "fmt" with %s the token (or what), P->failed set; returns NULL. */
struct node *sqp_fail(struct parser *P, const struct token *t, const char *fmt, const char *what);
int sqp_is_kw(struct parser *P, const char *kw);
/* Consume keyword kw if it is next: 1, else 0. */
int sqp_accept(struct parser *P, const char *kw);
/* Consume a token of type, or fail with "expected what": 0 or -1. */
int sqp_expect(struct parser *P, enum tok type, const char *what);
/* An expression (OR is the loosest), or one without comparisons (||, + ...). */
struct node *sqp_or(struct parser *P);
struct node *sqp_concat(struct parser *P);
/* INTERVAL 'n' unit, the INTERVAL token start already read: an INT of ms. */
struct node *sqp_interval(struct parser *P, const struct token *start);
/* A time unit's length in ms (SECOND, MINUTES, ...), or 0. */
int64_t sqp_unit_ms(const struct token *t);
/* e, e, ...: into *list (n of them), or ORDER BY items into *order. */
int sqp_expr_list(struct parser *P, struct node ***list, int *n, struct order_item **order);
/* A sliding window's spec at its '(' (sql_parse_select.c). */
struct wdef *sqp_wdef(struct parser *P, const char *name);

#endif
