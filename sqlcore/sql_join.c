/* sql_join.c - a stream JOINed with a reference table (Kinesis Analytics'
 * reference data; ksqlDB's stream-table join):
 *
 *   SELECT s.Name, r.Owner FROM wildrydes AS s LEFT JOIN owners AS r ON r.Name = s.Name
 *
 * The reference table's columns become input columns of their own (named
 * "\x01<column>", which no JSON field is), filled for each row from the
 * table's row whose key column equals the ON expression of the source's
 * row: NULL when there is none (LEFT JOIN), or the row is left out (JOIN).
 * Everything downstream (WHERE, GROUP BY, windows, aggregates) sees them as
 * ordinary columns. A lookup is one hash probe; nothing is allocated. */
#include "sql_query_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int names_table(const struct select_ast *s, const char *q)
{
    return q && ((s->join_alias && strcasecmp(q, s->join_alias) == 0) || strcasecmp(q, s->join) == 0);
}

static int in_schema(const struct sql_schema *sc, const struct node *n)
{
    for (int i = 0; i < sc->ncols; i++)
        if (n->quoted ? strcmp(sc->cols[i].name, n->name) == 0 : strcasecmp(sc->cols[i].name, n->name) == 0)
            return i;
    return -1;
}

/* A column of the reference table: by its qualifier, or unqualified when
 * the source has no column of that name. */
static int mark(struct sql_query *q, struct node *n, const struct sql_schema *rs, struct sql_error *err)
{
    if (!n)
        return 0;
    if (n->kind == N_COLUMN && !n->refcol) {
        const struct select_ast *s = q->ast;
        int c = -1;
        if (names_table(s, n->qualifier)) {
            if ((c = in_schema(rs, n)) < 0) {
                sql_error_set(err, n->line, n->col, "reference table '%s' has no column '%s'", s->join, n->name);
                return -1;
            }
        } else if (!n->qualifier && !n->rowtime && in_schema(q->schema, n) < 0 && !q->schema->open) {
            c = in_schema(rs, n);
        }
        if (c >= 0) {
            size_t len = strlen(rs->cols[c].name);
            char *name = sql_arena_alloc(&q->arena, len + 2);
            if (!name)
                return sql_error_set(err, n->line, n->col, "out of memory"), -1;
            name[0] = '\x01';
            memcpy(name + 1, rs->cols[c].name, len + 1);
            n->name = name;
            n->quoted = 1;
            n->refcol = c + 1;
            n->type = rs->cols[c].type;
        }
        return 0;
    }
    if (mark(q, n->subject, rs, err) < 0)
        return -1;
    for (int i = 0; i < n->nargs; i++)
        if (mark(q, n->args[i], rs, err) < 0)
            return -1;
    return 0;
}

static int has_refcol(const struct node *n)
{
    if (!n)
        return 0;
    if (n->kind == N_COLUMN)
        return n->refcol != 0;
    if (has_refcol(n->subject))
        return 1;
    for (int i = 0; i < n->nargs; i++)
        if (has_refcol(n->args[i]))
            return 1;
    return 0;
}

int sql_join_prepare(struct sql_query *q, sql_ref_fn refs, void *ctx, struct sql_error *err)
{
    struct select_ast *s = q->ast;
    if (!s->join)
        return 0;
    q->ref = refs ? refs(ctx, s->join) : NULL;
    if (!q->ref || !q->ref->table)
        return sql_error_set(err, s->join_line, s->join_col,
                             "unknown reference table '%s' (load it: processor --reference %s=file:///path.csv)",
                             s->join, s->join),
               -1;
    const struct sql_schema *rs = sql_reftable_schema(q->ref->table);
    for (int i = 0; i < s->nitems; i++)
        if (mark(q, s->items[i].expr, rs, err) < 0)
            return -1;
    for (int i = 0; i < s->ngroup; i++)
        if (mark(q, s->group[i], rs, err) < 0)
            return -1;
    for (int i = 0; i < s->norder; i++)
        if (mark(q, s->order[i].expr, rs, err) < 0)
            return -1;
    if (mark(q, s->where, rs, err) < 0 || mark(q, s->having, rs, err) < 0 || mark(q, s->join_on, rs, err) < 0)
        return -1;
    /* ON: one column of the table = an expression of the source */
    struct node *on = s->join_on;
    struct node *l = on->kind == N_BINARY && on->op == OP_EQ ? on->args[0] : NULL;
    struct node *r = l ? on->args[1] : NULL;
    if (l && r && r->kind == N_COLUMN && r->refcol && !has_refcol(l)) {
        struct node *t = l;
        l = r;
        r = t;
    }
    if (!l || !r || l->kind != N_COLUMN || !l->refcol || has_refcol(r))
        return sql_error_set(err, on->line, on->col,
                             "ON must be <a column of %s> = <an expression of the stream>: a lookup by key", s->join),
               -1;
    if (sql_bind(r, q->schema, &q->cols, &q->arena, err) < 0)
        return -1;
    q->ref_col = l->refcol - 1;
    q->ref_key = r;
    return 0;
}

int sql_join_finish(struct sql_query *q, struct sql_error *err)
{
    if (!q->ref)
        return 0;
    int n = 0;
    for (int i = 0; i < q->cols.n; i++)
        n += q->cols.names[i][0] == '\x01';
    q->ref_slot = sql_arena_alloc(&q->arena, sizeof *q->ref_slot * (size_t)(n + 1));
    q->ref_colidx = sql_arena_alloc(&q->arena, sizeof *q->ref_colidx * (size_t)(n + 1));
    if (!q->ref_slot || !q->ref_colidx)
        return sql_error_set(err, 1, 1, "out of memory"), -1;
    const struct sql_schema *rs = sql_reftable_schema(q->ref->table);
    for (int i = 0; i < q->cols.n; i++) {
        if (q->cols.names[i][0] != '\x01')
            continue;
        for (int c = 0; c < rs->ncols; c++)
            if (strcmp(rs->cols[c].name, q->cols.names[i] + 1) == 0) {
                q->ref_slot[q->nref] = i;
                q->ref_colidx[q->nref++] = c;
            }
    }
    return 0;
}

int sql_join_row(struct sql_query *q, struct sql_value *row, struct sql_error *err)
{
    struct sql_value key;
    if (sql_eval(q->ref_key, row, &q->scratch, &key, err) < 0)
        return -1;
    const struct sql_value *t = sql_reftable_find(q->ref->table, q->ref_col, &key);
    if (!t && !q->ast->join_left)
        return 0;
    for (int i = 0; i < q->nref; i++)
        row[q->ref_slot[i]] = t ? t[q->ref_colidx[i]] : (struct sql_value){.type = SQL_NULL};
    return 1;
}
