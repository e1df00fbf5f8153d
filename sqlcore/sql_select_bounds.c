/* sql_select_bounds.c - the bounds a query's WHERE puts on the source's
 * event time (sql_query_time_bounds in sql.h), for bin/sql to skip archive
 * partitions that cannot match. */
#include "sql_query_int.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- bounds on the event time, for partition pruning ---------------------- */

static int is_time_column(const struct sql_query *q, const struct node *n, const char *tcol)
{
    return n->kind == N_COLUMN && n->slot >= 0 && n->slot < q->cols.n && strcasecmp(q->cols.names[n->slot], tcol) == 0;
}

/* Narrow [*lo, *hi] by what a WHERE conjunct says about the time column.
 * Only conjunctions of comparisons with constants narrow; anything else
 * (OR, NOT, functions, other columns) leaves the bounds as they are, which
 * is always safe: a bound only ever excludes rows the WHERE rejects. */
static void narrow(const struct sql_query *q, const struct node *n, const char *tcol, int64_t *lo, int64_t *hi)
{
    if (n->kind == N_AND) {
        for (int i = 0; i < n->nargs; i++)
            narrow(q, n->args[i], tcol, lo, hi);
        return;
    }
    if (n->kind == N_BETWEEN && !n->negated && is_time_column(q, n->args[0], tcol) &&
        n->args[1]->kind == N_LITERAL && n->args[1]->value.type == SQL_TIMESTAMP && n->args[2]->kind == N_LITERAL &&
        n->args[2]->value.type == SQL_TIMESTAMP) {
        if (n->args[1]->value.u.ts > *lo)
            *lo = n->args[1]->value.u.ts;
        if (n->args[2]->value.u.ts < *hi)
            *hi = n->args[2]->value.u.ts;
        return;
    }
    if (n->kind != N_BINARY || n->nargs != 2)
        return;
    const struct node *a = n->args[0], *b = n->args[1];
    enum binop op = n->op;
    if (is_time_column(q, b, tcol) && a->kind == N_LITERAL) { /* '...' < StatusTime: flip */
        const struct node *t = a;
        a = b;
        b = t;
        op = op == OP_LT ? OP_GT : op == OP_LE ? OP_GE : op == OP_GT ? OP_LT : op == OP_GE ? OP_LE : op;
    }
    if (!is_time_column(q, a, tcol) || b->kind != N_LITERAL || b->value.type != SQL_TIMESTAMP)
        return;
    int64_t v = b->value.u.ts;
    switch (op) {
    case OP_EQ:
        *lo = v > *lo ? v : *lo;
        *hi = v < *hi ? v : *hi;
        break;
    case OP_GT:
        *lo = v + 1 > *lo ? v + 1 : *lo;
        break;
    case OP_GE:
        *lo = v > *lo ? v : *lo;
        break;
    case OP_LT:
        *hi = v - 1 < *hi ? v - 1 : *hi;
        break;
    case OP_LE:
        *hi = v < *hi ? v : *hi;
        break;
    default:
        break;
    }
}

int sql_query_time_bounds(const struct sql_query *q, int64_t *lo, int64_t *hi)
{
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    const char *tcol = q->schema->time_col;
    for (int c = 0; !tcol && c < q->schema->ncols; c++)
        if (q->schema->cols[c].type == SQL_TIMESTAMP)
            tcol = q->schema->cols[c].name;
    if (!tcol || !q->where)
        return 0;
    narrow(q, q->where, tcol, lo, hi);
    return *lo != INT64_MIN || *hi != INT64_MAX;
}
