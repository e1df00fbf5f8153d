/* sql_bind.c - the binder: resolves column names against the schema (with a
 * suggestion for a misspelt one), gives every node its static type, coerces
 * string literals compared with timestamps, and rejects what cannot run:
 * type mismatches, unknown functions, aggregates where none may be. */
#include "rf_time.h"
#include "sql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Edit distance, case-insensitive, for "did you mean". */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = lower(a[i - 1]) != lower(b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            d[i][j] = v;
        }
    return d[la][lb];
}

static int slot_for(struct slots *s, const char *name, struct sql_arena *a)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return i;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        const char **nn = sql_arena_alloc(a, sizeof *nn * (size_t)cap);
        if (!nn)
            return -1;
        if (s->n)
            memcpy(nn, s->names, sizeof *nn * (size_t)s->n);
        s->names = nn;
        s->cap = cap;
    }
    s->names[s->n] = name;
    return s->n++;
}

static int bind_column(struct node *n, const struct sql_schema *schema, struct slots *cols, struct sql_arena *a,
                       struct sql_error *err)
{
    if (n->refcol) { /* a JOINed reference table's column: typed already (sql_join.c) */
        n->slot = slot_for(cols, n->name, a);
        return n->slot < 0 ? -1 : 0;
    }
    const struct sql_column *found = NULL;
    for (int i = 0; i < schema->ncols && !found; i++) {
        const struct sql_column *c = &schema->cols[i];
        if (n->quoted ? strcmp(c->name, n->name) == 0 : strcasecmp(c->name, n->name) == 0)
            found = c;
    }
    if (!found && n->rowtime) {
        /* ROWTIME (Kinesis Analytics): the row's time, here the source's
         * event-time column (or the arrival time, with --time processing) */
        const char *t = schema->time_col;
        for (int i = 0; i < schema->ncols && !t; i++)
            if (schema->cols[i].type == SQL_TIMESTAMP)
                t = schema->cols[i].name;
        for (int i = 0; i < schema->ncols && t && !found; i++)
            if (strcmp(schema->cols[i].name, t) == 0)
                found = &schema->cols[i];
        if (!found) {
            sql_error_set(err, n->line, n->col,
                          "ROWTIME needs a source with an event-time column (a TIMESTAMP); %s has none",
                          schema->name ? schema->name : "the source");
            return -1;
        }
    }
    if (!found && !schema->open) {
        const char *best = NULL;
        int bestd = 99;
        for (int i = 0; i < schema->ncols; i++) {
            /* A misspelling, or an abbreviation ("Helth" for HealthPoints). */
            int d = distance(n->name, schema->cols[i].name);
            size_t nl = strlen(n->name);
            if (nl >= 3 && nl < strlen(schema->cols[i].name)) {
                char prefix[64];
                snprintf(prefix, sizeof prefix, "%.*s", (int)nl, schema->cols[i].name);
                int dp = distance(n->name, prefix) + 1;
                if (dp < d)
                    d = dp;
            }
            if (d < bestd)
                bestd = d, best = schema->cols[i].name;
        }
        if (best && bestd <= 3)
            sql_error_set(err, n->line, n->col, "unknown column '%s' (did you mean '%s'?)", n->name, best);
        else
            sql_error_set(err, n->line, n->col, "unknown column '%s' in %s", n->name, schema->name);
        return -1;
    }
    n->type = found ? found->type : SQL_NULL; /* open schema: known only at run time */
    n->slot = slot_for(cols, found ? found->name : n->name, a);
    return n->slot < 0 ? -1 : 0;
}

/* A string literal where a timestamp is expected becomes a timestamp literal. */
static int coerce_to_timestamp(struct node *lit, struct sql_error *err)
{
    if (lit->kind != N_LITERAL || lit->type != SQL_STRING)
        return 0;
    int64_t ms;
    if (rf_time_parse(lit->value.u.str.s, lit->value.u.str.len, &ms) < 0) {
        sql_error_set(err, lit->line, lit->col, "'%.40s' is not a timestamp (expected 'YYYY-MM-DD HH:MM:SS[.mmm]')",
                      lit->value.u.str.s);
        return -1;
    }
    lit->value.type = lit->type = SQL_TIMESTAMP;
    lit->value.u.ts = ms;
    return 0;
}

/* Can values of these static types be compared? SQL_NULL (unknown) always can. */
static int comparable(enum sql_type a, enum sql_type b)
{
    return a == SQL_NULL || b == SQL_NULL || a == b || (sql_is_numeric(a) && sql_is_numeric(b));
}

static int check_comparable(struct node *where, struct node *l, struct node *r, const char *what,
                            struct sql_error *err)
{
    if (l->type == SQL_TIMESTAMP && coerce_to_timestamp(r, err) < 0)
        return -1;
    if (r->type == SQL_TIMESTAMP && coerce_to_timestamp(l, err) < 0)
        return -1;
    if (!comparable(l->type, r->type)) {
        sql_error_set(err, where->line, where->col, "type mismatch: cannot %s %s with %s", what,
                      sql_type_name(l->type), sql_type_name(r->type));
        return -1;
    }
    return 0;
}

static int want_bool(struct node *op, struct node *arg, const char *what, struct sql_error *err)
{
    if (arg->type != SQL_BOOL && arg->type != SQL_NULL) {
        sql_error_set(err, arg->line, arg->col, "type mismatch: %s needs a BOOLEAN, got %s", what,
                      sql_type_name(arg->type));
        return -1;
    }
    (void)op;
    return 0;
}


static const char *binop_name(enum binop op)
{
    static const char *const names[] = {"+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">="};
    return names[op];
}

int sql_bind(struct node *n, const struct sql_schema *schema, struct slots *cols, struct sql_arena *a,
             struct sql_error *err)
{
    if (n->kind == N_REF)
        return 0; /* typed when it was made */
    if (n->subject && sql_bind(n->subject, schema, cols, a, err) < 0)
        return -1;
    if (n->kind == N_COLUMN)
        return bind_column(n, schema, cols, a, err);
    for (int i = 0; i < n->nargs; i++)
        if (sql_bind(n->args[i], schema, cols, a, err) < 0)
            return -1;
    struct node *l = n->nargs > 0 ? n->args[0] : NULL, *r = n->nargs > 1 ? n->args[1] : NULL;
    switch (n->kind) {
    case N_LITERAL:
    case N_COLUMN:
        return 0;
    case N_UNARY:
        if (!sql_is_numeric(l->type) && l->type != SQL_NULL) {
            sql_error_set(err, n->line, n->col, "type mismatch: cannot negate %s", sql_type_name(l->type));
            return -1;
        }
        n->type = l->type;
        return 0;
    case N_NOT:
        n->type = SQL_BOOL;
        return want_bool(n, l, "NOT", err);
    case N_AND:
    case N_OR:
        n->type = SQL_BOOL;
        return want_bool(n, l, n->kind == N_AND ? "AND" : "OR", err) < 0 ||
                       want_bool(n, r, n->kind == N_AND ? "AND" : "OR", err) < 0
                   ? -1
                   : 0;
    case N_IS_NULL:
        n->type = SQL_BOOL;
        return 0;
    case N_LIKE:
        n->type = SQL_BOOL;
        for (int i = 0; i < n->nargs; i++)
            if (n->args[i]->type != SQL_STRING && n->args[i]->type != SQL_NULL) {
                sql_error_set(err, n->args[i]->line, n->args[i]->col,
                              "type mismatch: %s needs VARCHAR operands%s, got %s", n->icase ? "ILIKE" : "LIKE",
                              i == 2 ? " (and a VARCHAR ESCAPE)" : "", sql_type_name(n->args[i]->type));
                return -1;
            }
        if (n->nargs == 3 && n->args[2]->kind == N_LITERAL && n->args[2]->value.type == SQL_STRING &&
            sql_utf8_chars(n->args[2]->value.u.str.s, n->args[2]->value.u.str.len) > 1) {
            sql_error_set(err, n->args[2]->line, n->args[2]->col, "ESCAPE must be one character (or empty)");
            return -1;
        }
        return 0;
    case N_IN:
        n->type = SQL_BOOL;
        for (int i = 1; i < n->nargs; i++)
            if (check_comparable(n->args[i], l, n->args[i], "compare", err) < 0)
                return -1;
        return 0;
    case N_BETWEEN:
        n->type = SQL_BOOL;
        return check_comparable(n, l, n->args[1], "compare", err) < 0 ||
                       check_comparable(n, l, n->args[2], "compare", err) < 0
                   ? -1
                   : 0;
    case N_BINARY:
        if (n->op >= OP_EQ) {
            n->type = SQL_BOOL;
            return check_comparable(n, l, r, "compare", err);
        }
        if (n->op == OP_CONCAT) {
            n->type = SQL_STRING;
            return 0; /* || turns anything into text, as in DuckDB */
        }
        if (l->type == SQL_TIMESTAMP || r->type == SQL_TIMESTAMP) {
            /* ts +/- interval(ms) = ts; ts - ts = ms */
            if (n->op == OP_SUB && l->type == SQL_TIMESTAMP && r->type == SQL_TIMESTAMP) {
                n->type = SQL_INT;
                return 0;
            }
            if ((n->op == OP_ADD || n->op == OP_SUB) && l->type == SQL_TIMESTAMP &&
                (r->type == SQL_INT || r->type == SQL_NULL)) {
                n->type = SQL_TIMESTAMP;
                return 0;
            }
            if (n->op == OP_ADD && r->type == SQL_TIMESTAMP && (l->type == SQL_INT || l->type == SQL_NULL)) {
                n->type = SQL_TIMESTAMP;
                return 0;
            }
        } else if ((sql_is_numeric(l->type) || l->type == SQL_NULL) && (sql_is_numeric(r->type) || r->type == SQL_NULL)) {
            if (n->op == OP_DIV)
                n->type = SQL_DOUBLE; /* '/' is true division, as in DuckDB */
            else if (l->type == SQL_INT && r->type == SQL_INT)
                n->type = SQL_INT;
            else if (l->type == SQL_NULL || r->type == SQL_NULL)
                n->type = SQL_NULL;
            else
                n->type = SQL_DOUBLE;
            return 0;
        }
        sql_error_set(err, n->line, n->col, "type mismatch: cannot apply '%s' to %s and %s", binop_name(n->op),
                      sql_type_name(l->type), sql_type_name(r->type));
        return -1;
    case N_CASE: {
        int pairs = (n->nargs - n->has_else) / 2;
        enum sql_type t = SQL_NULL;
        int first = 1;
        for (int i = 0; i < pairs; i++) {
            struct node *cond = n->args[2 * i];
            if (n->subject ? check_comparable(cond, n->subject, cond, "compare", err) < 0
                           : want_bool(n, cond, "WHEN", err) < 0)
                return -1;
        }
        for (int i = 0; i <= pairs; i++) {
            struct node *res = i < pairs ? n->args[2 * i + 1] : n->has_else ? n->args[n->nargs - 1] : NULL;
            if (!res || res->type == SQL_NULL)
                continue;
            if (first) {
                t = res->type;
                first = 0;
            } else if (t != res->type) {
                if (sql_is_numeric(t) && sql_is_numeric(res->type)) {
                    t = SQL_DOUBLE;
                } else {
                    sql_error_set(err, res->line, res->col,
                                  "type mismatch: CASE branches give %s and %s", sql_type_name(t),
                                  sql_type_name(res->type));
                    return -1;
                }
            }
        }
        n->type = t;
        return 0;
    }
    case N_CAST:
        n->type = n->value.type;
        if (l->type == SQL_TIMESTAMP && (n->type == SQL_BOOL || n->type == SQL_DOUBLE)) {
            sql_error_set(err, n->line, n->col, "cannot CAST TIMESTAMP to %s", sql_type_name(n->type));
            return -1;
        }
        return 0;
    case N_CALL:
        return sql_bind_call(n, err);
    case N_REF:
        return 0;
    case N_CONVERT: /* CAST to a declared type, typed when parsed */
        if (!sql_coltype_accepts(n->convert, l->type)) {
            char tn[40];
            sql_error_set(err, n->line, n->col, "cannot CAST %s to %s", sql_type_name(l->type),
                          sql_coltype_name(n->convert, tn, sizeof tn));
            return -1;
        }
        return 0;
    }
    return 0;
}
