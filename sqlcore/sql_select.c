/* sql_select.c - compiling a SELECT: binding names and types, rewriting
 * the output of an aggregated query into references to group keys and
 * aggregate results, ORDER BY by alias or position, and the checks a
 * continuous (incremental) query needs on top (see sql.h). Execution is in
 * sql_exec.c and sql_stream.c. */
#include "rf_time.h"
#include "sql_query_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether the source has a column of that name (an open schema: any). */
static int schema_has(const struct sql_schema *schema, const struct node *n)
{
    if (schema->open)
        return 0; /* unknown: an alias of that name wins */
    for (int i = 0; i < schema->ncols; i++)
        if (n->quoted ? strcmp(schema->cols[i].name, n->name) == 0 : strcasecmp(schema->cols[i].name, n->name) == 0)
            return 1;
    return 0;
}

static int node_equal(const struct node *a, const struct node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->nargs != b->nargs || a->negated != b->negated)
        return 0;
    switch (a->kind) {
    case N_COLUMN:
        return a->quoted || b->quoted ? strcmp(a->name, b->name) == 0 : strcasecmp(a->name, b->name) == 0;
    case N_LITERAL:
        if (a->value.type != b->value.type) {
            /* binding turns text compared with a time into a TIMESTAMP:
             * '2026-11-22 07:03:00' bound in GROUP BY equals its unbound twin */
            const struct node *s = a->value.type == SQL_STRING ? a : b, *t = s == a ? b : a;
            int64_t ts;
            return s->value.type == SQL_STRING && t->value.type == SQL_TIMESTAMP &&
                   rf_time_parse(s->value.u.str.s, s->value.u.str.len, &ts) == 0 && ts == t->value.u.ts;
        }
        return sql_value_same(&a->value, &b->value);
    case N_BINARY:
    case N_LIKE:
        if (a->op != b->op || a->icase != b->icase)
            return 0;
        break;
    case N_CALL:
        if (strcmp(a->name, b->name) != 0 || a->unit_ms != b->unit_ms)
            return 0;
        break;
    case N_CAST:
        if (a->value.type != b->value.type)
            return 0;
        break;
    case N_CONVERT:
        if (a->convert->decl != b->convert->decl || a->convert->len != b->convert->len ||
            a->convert->prec != b->convert->prec || a->convert->scale != b->convert->scale)
            return 0;
        break;
    case N_CASE:
        if (a->has_else != b->has_else || !node_equal(a->subject, b->subject))
            return 0;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->nargs; i++)
        if (!node_equal(a->args[i], b->args[i]))
            return 0;
    return 1;
}

static int agg_kind_of(const struct node *n, enum agg_kind *kind)
{
    if (n->kind != N_CALL)
        return 0;
    if (strcmp(n->name, "MEDIAN") == 0) {
        *kind = A_PERCENTILE;
        return 1;
    }
    for (int k = A_COUNT; k <= A_PERCENTILE; k++)
        if (strcmp(n->name, sql_agg_names[k]) == 0) {
            *kind = (enum agg_kind)(k == A_COUNT && n->nargs == 0 ? A_COUNT_STAR : k);
            return 1;
        }
    return 0;
}

static struct node *make_ref(struct sql_query *q, const struct node *at, int slot, enum sql_type type)
{
    struct node *r = sql_arena_alloc(&q->arena, sizeof *r);
    if (r) {
        r->kind = N_REF;
        r->line = at->line;
        r->col = at->col;
        r->slot = slot;
        r->type = type;
        r->height = 1;
    }
    return r;
}

static enum sql_type agg_type(const struct agg_def *a)
{
    switch (a->kind) {
    case A_COUNT_STAR:
    case A_COUNT:
        return SQL_INT;
    case A_SUM:
        return a->arg->type == SQL_INT ? SQL_INT : SQL_DOUBLE;
    case A_AVG:
    case A_PERCENTILE:
        return SQL_DOUBLE;
    default:
        return a->arg->type;
    }
}

/* Rewrite an output-context expression of an aggregated query: group
 * expressions and aggregates become references into the output row
 * [group keys..., aggregate results...]. */
static struct node *rewrite(struct sql_query *q, struct node *n, struct sql_error *err)
{
    for (int i = 0; i < q->ast->ngroup; i++)
        if (node_equal(n, q->ast->group[i]))
            return make_ref(q, n, i, q->ast->group[i]->type);
    enum agg_kind kind;
    if (agg_kind_of(n, &kind)) {
        for (int i = 0; i < q->naggs; i++)
            if (node_equal(q->aggs[i].call, n))
                return make_ref(q, n, q->nkeys + i, agg_type(&q->aggs[i]));
        int median = kind == A_PERCENTILE && strcmp(n->name, "MEDIAN") == 0;
        if (kind == A_PERCENTILE && !median) {
            const struct node *f = n->nargs == 2 ? n->args[1] : NULL;
            double x = !f || f->kind != N_LITERAL ? -1
                       : f->value.type == SQL_INT  ? (double)f->value.u.i
                       : f->value.type == SQL_DOUBLE ? f->value.u.d : -1;
            if (!(x >= 0 && x <= 1)) {
                sql_error_set(err, f ? f->line : n->line, f ? f->col : n->col,
                              "PERCENTILE(x, fraction) takes a constant fraction between 0 and 1");
                return NULL;
            }
        } else if ((kind == A_COUNT_STAR && n->nargs != 0) || (kind != A_COUNT_STAR && n->nargs != 1)) {
            sql_error_set(err, n->line, n->col, "%s() takes %s", n->name, kind == A_COUNT ? "one argument or *" : "one argument");
            return NULL;
        }
        if (n->negated && kind != A_COUNT) {
            sql_error_set(err, n->line, n->col, "DISTINCT is only supported in COUNT(DISTINCT x)");
            return NULL;
        }
        if (q->naggs == q->capaggs) {
            int cap = q->capaggs ? q->capaggs * 2 : 8;
            struct agg_def *na = sql_arena_alloc(&q->arena, sizeof *na * (size_t)cap);
            if (!na)
                return NULL;
            if (q->naggs)
                memcpy(na, q->aggs, sizeof *na * (size_t)q->naggs);
            q->aggs = na;
            q->capaggs = cap;
        }
        struct agg_def *a = &q->aggs[q->naggs];
        memset(a, 0, sizeof *a);
        a->kind = kind;
        a->distinct = n->negated;
        a->call = n;
        if (kind == A_PERCENTILE) {
            const struct node *f = median ? NULL : n->args[1];
            a->fraction = !f ? 0.5 : f->value.type == SQL_INT ? (double)f->value.u.i : f->value.u.d;
        }
        if (kind != A_COUNT_STAR) {
            a->arg = n->args[0];
            /* The argument is read from input rows; an aggregate inside it is an error there. */
            if (sql_bind(a->arg, q->schema, &q->cols, &q->arena, err) < 0)
                return NULL;
            if ((kind == A_SUM || kind == A_AVG || kind == A_PERCENTILE) && !sql_is_numeric(a->arg->type) && a->arg->type != SQL_NULL) {
                sql_error_set(err, a->arg->line, a->arg->col, "type mismatch: %s() needs a number, got %s", n->name,
                              sql_type_name(a->arg->type));
                return NULL;
            }
        }
        q->naggs++;
        return make_ref(q, n, q->nkeys + q->naggs - 1, agg_type(a));
    }
    /* ROWTIME alone in a windowed aggregate is the time of the row being
     * made: the window's end, when its row is emitted (Kinesis Analytics) */
    if (n->kind == N_COLUMN && q->ast->window &&
        ((!n->quoted && (strcasecmp(n->name, "WINDOW_START") == 0 || strcasecmp(n->name, "WINDOW_END") == 0)) ||
         n->rowtime == 1)) {
        struct node *start = make_ref(q, n, q->ast->ngroup, SQL_TIMESTAMP);
        if (!start || toupper((unsigned char)n->name[7]) == 'S')
            return start;
        if (q->ast->window == WIN_SESSION) /* a session ends at its last event */
            return make_ref(q, n, q->ast->ngroup + 1, SQL_TIMESTAMP);
        /* WINDOW_END = WINDOW_START + size (a session's end is its last event + gap, not known here) */
        struct node *size = sql_arena_alloc(&q->arena, sizeof *size), *sum = sql_arena_alloc(&q->arena, sizeof *sum);
        struct node **args = sql_arena_alloc(&q->arena, sizeof *args * 2);
        if (!size || !sum || !args)
            return NULL;
        size->kind = N_LITERAL;
        size->type = size->value.type = SQL_INT;
        size->value.u.i = q->ast->win_size;
        size->height = 1;
        args[0] = start;
        args[1] = size;
        sum->kind = N_BINARY;
        sum->op = OP_ADD;
        sum->args = args;
        sum->nargs = 2;
        sum->line = n->line;
        sum->col = n->col;
        sum->height = 2;
        return sum;
    }
    if (n->kind == N_COLUMN) {
        sql_error_set(err, n->line, n->col,
                      "column '%s' must appear in GROUP BY or be used in an aggregate function",
                      n->name + (n->name[0] == '\x01')); /* a JOINed table's, by its own name */
        return NULL;
    }
    if (n->subject && !(n->subject = rewrite(q, n->subject, err)))
        return NULL;
    for (int i = 0; i < n->nargs; i++)
        if (!(n->args[i] = rewrite(q, n->args[i], err)))
            return NULL;
    return n;
}

static int has_over(const struct node *n)
{
    if (!n)
        return 0;
    if (n->kind == N_CALL && (n->over || n->over_name))
        return 1;
    if (has_over(n->subject))
        return 1;
    for (int i = 0; i < n->nargs; i++)
        if (has_over(n->args[i]))
            return 1;
    return 0;
}

/* An aggregate function (not one OVER a sliding window: that is per row). */
static int has_aggregate(const struct node *n)
{
    enum agg_kind k;
    if (!n)
        return 0;
    if (agg_kind_of(n, &k) && !n->over && !n->over_name)
        return 1;
    if (has_aggregate(n->subject))
        return 1;
    for (int i = 0; i < n->nargs; i++)
        if (has_aggregate(n->args[i]))
            return 1;
    return 0;
}

/* Bind an output expression in whichever context the query has. */
static struct node *bind_output(struct sql_query *q, struct node *n, struct sql_error *err)
{
    if (q->aggregated) {
        n = rewrite(q, n, err);
        if (!n)
            return NULL;
        struct slots none = {0};
        if (sql_bind(n, q->schema, &none, &q->arena, err) < 0)
            return NULL;
        return n;
    }
    return sql_bind(n, q->schema, &q->cols, &q->arena, err) < 0 ? NULL : n;
}

static int expand_star(struct sql_query *q, const struct select_item *it, struct node ***out, const char ***names,
                       int *n, struct sql_error *err)
{
    (void)it;
    if (q->schema->open || q->schema->ncols == 0) {
        sql_error_set(err, q->ast->from_line ? q->ast->from_line : 1, q->ast->from_col ? q->ast->from_col : 1,
                      "SELECT * needs a source with known columns");
        return -1;
    }
    if (q->aggregated) {
        sql_error_set(err, 1, 1, "SELECT * cannot be combined with GROUP BY or aggregates");
        return -1;
    }
    for (int c = 0; c < q->schema->ncols; c++) {
        struct node *col = sql_arena_alloc(&q->arena, sizeof *col);
        if (!col)
            return -1;
        col->kind = N_COLUMN;
        col->line = col->col = 1;
        col->name = q->schema->cols[c].name;
        col->quoted = 1;
        col->height = 1;
        if (sql_bind(col, q->schema, &q->cols, &q->arena, err) < 0)
            return -1;
        (*out)[*n] = col;
        (*names)[*n] = q->schema->cols[c].name;
        (*n)++;
    }
    return 0;
}

/* Windows and FIRST/LAST are on event time: the source's timestamp column
 * (StatusTime). Make it an input column and remember its slot. */
static int bind_time(struct sql_query *q, int line, int col, const char *what, struct sql_error *err)
{
    if (q->time_slot >= 0)
        return 0;
    const char *tcol = q->schema->time_col;
    for (int c = 0; c < q->schema->ncols && !tcol; c++)
        if (q->schema->cols[c].type == SQL_TIMESTAMP)
            tcol = q->schema->cols[c].name;
    if (!tcol) {
        sql_error_set(err, line, col, "%s needs a source with a timestamp column", what);
        return -1;
    }
    struct node *t = sql_arena_alloc(&q->arena, sizeof *t);
    if (!t) {
        sql_error_set(err, line, col, "out of memory");
        return -1;
    }
    t->kind = N_COLUMN;
    t->name = tcol;
    t->quoted = 1;
    t->line = line;
    t->col = col;
    if (sql_bind(t, q->schema, &q->cols, &q->arena, err) < 0)
        return -1;
    q->time_slot = t->slot;
    return 0;
}

/* GROUP BY FLOOR(<timestamp column> TO <unit>), the workshop's Kinesis
 * Analytics style, is a TUMBLING window of that unit: say so, so that the
 * incremental engine can close it. The FLOOR value equals the window start. */
static void floor_as_window(struct sql_query *q)
{
    struct select_ast *s = q->ast;
    /* FLOOR/STEP of ROWTIME first: GROUP BY FLOOR(EVENT_TIME TO MINUTE),
     * STEP(ROWTIME BY ...) is windowed by ROWTIME, EVENT_TIME a key */
    for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < s->ngroup && !s->window; i++) {
        const struct node *g = s->group[i];
        if (g->kind == N_CALL && strcmp(g->name, "FLOOR") == 0 && g->unit_ms > 0 && g->nargs == 1 &&
            g->args[0]->kind == N_COLUMN && g->args[0]->type == SQL_TIMESTAMP && (pass || g->args[0]->rowtime)) {
            s->window = WIN_TUMBLING;
            s->win_size = s->win_advance = g->unit_ms;
            s->win_grace = q->target ? q->target->grace_ms : 0; /* no GRACE clause to say it */
            s->win_line = g->line;
            s->win_col = g->col;
            q->time_slot = g->args[0]->slot;
            q->win_group = i;
        }
    }
}

/* What a continuous query must be: the engine keeps state only for open
 * windows, and each partition's groups must be its own. */
static int check_streamable(struct sql_query *q, struct sql_error *err)
{
    struct select_ast *s = q->ast;
    int line = s->items[0].expr ? s->items[0].expr->line : 1, col = s->items[0].expr ? s->items[0].expr->col : 1;
    if (s->distinct)
        return sql_error_set(err, line, col, "SELECT DISTINCT is not supported in a continuous query"), -1;
    if (s->norder)
        return sql_error_set(err, s->order[0].expr->line, s->order[0].expr->col,
                             "ORDER BY is not supported in a continuous query (results come as windows close)"),
               -1;
    if (s->limit >= 0)
        return sql_error_set(err, s->limit_line, s->limit_col, "LIMIT is not supported in a continuous query"), -1;
    if (!q->aggregated) {
        if (s->emit == EMIT_FINAL)
            return sql_error_set(err, s->emit_line, s->emit_col,
                                 "EMIT FINAL needs a windowed aggregate (a filter emits every row as it comes)"),
                   -1;
        return 0;
    }
    floor_as_window(q);
    if (!s->window) {
        const struct node *at = s->ngroup ? s->group[0] : NULL;
        return sql_error_set(err, at ? at->line : line, at ? at->col : col,
                             "a continuous aggregate needs a WINDOW (TUMBLING, HOPPING or SESSION) or GROUP BY "
                             "FLOOR(<time> TO <unit>): rydeflow keeps state only for open windows"),
               -1;
    }
    if (s->window == WIN_SESSION && s->emit == EMIT_CHANGES)
        return sql_error_set(err, s->emit_line, s->emit_col,
                             "EMIT CHANGES cannot be combined with SESSION windows (sessions merge; use EMIT FINAL)"),
               -1;
    const char *key = q->schema->key_col;
    for (int i = 0; key && i < s->ngroup; i++)
        if (s->group[i]->kind == N_COLUMN && strcasecmp(q->cols.names[s->group[i]->slot], key) == 0)
            return 0;
    /* The groups span partitions: the processor repartitions the events by
     * the GROUP BY values through an internal topic. Its watermark there is
     * the least of the sources' (see docs/architecture.md); a SESSION would
     * need the exact watermark each event saw to replay, which a merged
     * stream does not give after a restart. */
    if (s->window == WIN_SESSION) {
        int gl = s->ngroup ? s->group[0]->line : s->win_line, gc = s->ngroup ? s->group[0]->col : s->win_col;
        return sql_error_set(err, gl, gc,
                             s->stagger ? "a STAGGER window must PARTITION BY the source's key column%s%s%s: stagger "
                                          "windows are not computed over repartitioned events"
                                        : "a SESSION window must GROUP BY the source's key column%s%s%s: sessions are "
                                          "not computed over repartitioned events",
                             key ? " \"" : "", key ? key : "", key ? "\"" : ""),
               -1;
    }
    q->repartition = 1;
    return 0;
}

int sql_query_repartitions(const struct sql_query *q) { return q->repartition; }

int sql_query_partition_key(struct sql_query *q, const struct sql_value *row, char *buf, size_t len, size_t *outlen,
                            struct sql_error *err)
{
    struct sql_value key[SQL_MAX_GROUP + 1];
    int rc = sql_row_key(q, row, key, err);
    if (rc <= 0)
        return rc;
    size_t n = 0;
    for (int i = 0; i < q->ast->ngroup; i++) {
        if (i == q->win_group)
            continue; /* the window: its groups live wherever their key does */
        char tmp[64];
        size_t tn;
        const char *t = key[i].type == SQL_NULL ? "" : sql_value_text(&key[i], tmp, sizeof tmp, &tn);
        if (key[i].type == SQL_NULL)
            tn = 0;
        if (n + tn + 1 > len) {
            sql_error_set(err, q->ast->group[i]->line, q->ast->group[i]->col,
                          "a GROUP BY key longer than %zu bytes", len);
            return -1;
        }
        if (n)
            buf[n++] = '\x1f'; /* unit separator: keys of several columns stay distinct */
        memcpy(buf + n, t, tn);
        n += tn;
    }
    *outlen = n;
    return 1;
}

struct lookup_fn {
    const struct sql_schema *(*fn)(const char *name);
};
static const struct sql_schema *call_lookup(void *ctx, const char *name)
{
    return ((const struct lookup_fn *)ctx)->fn(name);
}

struct sql_query *sql_query_compile(const char *text, const struct sql_schema *(*lookup)(const char *name),
                                    struct sql_error *err)
{
    struct sql_lexer lx;
    sql_lex_init(&lx, text);
    struct lookup_fn f = {lookup};
    return sql_query_compile_lx(&lx, call_lookup, &f, 0, err);
}

/* stream.column names the FROM source, by its name or alias. */
static int check_qualifiers(const struct node *n, const struct select_ast *s, struct sql_error *err)
{
    if (!n)
        return 0;
    if (n->kind == N_COLUMN && n->qualifier) {
        int ok = (s->from && strcasecmp(n->qualifier, s->from) == 0) ||
                 (s->from_alias && strcasecmp(n->qualifier, s->from_alias) == 0) ||
                 (s->join && strcasecmp(n->qualifier, s->join) == 0) ||
                 (s->join_alias && strcasecmp(n->qualifier, s->join_alias) == 0);
        if (!ok) {
            sql_error_set(err, n->line, n->col, "unknown stream '%s' in %s.%s (the query reads %s)", n->qualifier,
                          n->qualifier, n->name, s->from ? s->from : "no source");
            return -1;
        }
    }
    if (check_qualifiers(n->subject, s, err) < 0)
        return -1;
    for (int i = 0; i < n->nargs; i++)
        if (check_qualifiers(n->args[i], s, err) < 0)
            return -1;
    return 0;
}

static int check_all_qualifiers(const struct select_ast *s, struct sql_error *err)
{
    for (int i = 0; i < s->nitems; i++)
        if (check_qualifiers(s->items[i].expr, s, err) < 0)
            return -1;
    for (int i = 0; i < s->ngroup; i++)
        if (check_qualifiers(s->group[i], s, err) < 0)
            return -1;
    for (int i = 0; i < s->norder; i++)
        if (check_qualifiers(s->order[i].expr, s, err) < 0)
            return -1;
    return check_qualifiers(s->where, s, err) < 0 || check_qualifiers(s->having, s, err) < 0 ||
                   check_qualifiers(s->join_on, s, err) < 0
               ? -1
               : 0;
}

/* INSERT INTO a declared stream: the result's columns become the stream's,
 * each value converted to its declared type. */
static int insert_into(struct sql_query *q, const struct sql_target *t, struct sql_error *err)
{
    if (q->nout != t->nvalues) {
        sql_error_set(err, t->line, t->col, "the SELECT gives %d column%s, the INSERT INTO \"%s\" takes %d", q->nout,
                      q->nout == 1 ? "" : "s", t->name, t->nvalues);
        return -1;
    }
    struct node **out = sql_arena_alloc(&q->arena, sizeof *out * (size_t)t->ncols);
    const char **names = sql_arena_alloc(&q->arena, sizeof *names * (size_t)t->ncols);
    if (!out || !names)
        return sql_error_set(err, t->line, t->col, "out of memory"), -1;
    for (int c = 0; c < t->ncols; c++) {
        struct node *n = sql_arena_alloc(&q->arena, sizeof *n);
        if (!n)
            return sql_error_set(err, t->line, t->col, "out of memory"), -1;
        const struct sql_coltype *ct = &t->types[c];
        int from = t->from[c];
        if (from < 0) { /* a column the INSERT does not name: NULL */
            n->kind = N_LITERAL;
            n->height = 1;
        } else {
            struct node *v = q->out[from];
            const struct node *at = q->ast->items[from < q->ast->nitems ? from : 0].expr;
            if (!sql_coltype_accepts(ct, v->type)) {
                char tn[40];
                sql_error_set(err, at ? at->line : t->line, at ? at->col : t->col,
                              "type mismatch: column %d of the SELECT is %s, \"%s\".\"%s\" is %s", from + 1,
                              sql_type_name(v->type), t->name, t->cols[c], sql_coltype_name(ct, tn, sizeof tn));
                return -1;
            }
            struct node **args = sql_arena_alloc(&q->arena, sizeof *args);
            if (!args)
                return sql_error_set(err, t->line, t->col, "out of memory"), -1;
            args[0] = v;
            n->kind = N_CONVERT;
            n->convert = ct;
            n->type = ct->type;
            n->args = args;
            n->nargs = 1;
            n->line = at ? at->line : t->line;
            n->col = at ? at->col : t->col;
            n->height = v->height + 1;
        }
        out[c] = n;
        names[c] = t->cols[c];
    }
    q->out = out;
    q->out_names = names;
    q->nout = t->ncols;
    return 0;
}

struct sql_query *sql_query_compile_lx(struct sql_lexer *lx, sql_lookup_fn lookup, void *ctx, int stream,
                                       struct sql_error *err)
{
    return sql_query_compile_into(lx, lookup, NULL, ctx, stream, NULL, err);
}

struct sql_query *sql_query_compile_into(struct sql_lexer *lx, sql_lookup_fn lookup, sql_ref_fn refs, void *ctx,
                                         int stream, const struct sql_target *target, struct sql_error *err)
{
    struct sql_query *q = calloc(1, sizeof *q);
    if (!q) {
        sql_error_set(err, 1, 1, "out of memory");
        return NULL;
    }
    q->time_slot = -1;
    q->target = target;
    q->closed = INT64_MIN;
    q->win_group = -1;
    struct select_ast *s = q->ast = sql_parse_select(lx, &q->arena, stream, err);
    if (!s)
        goto fail;
    if (check_all_qualifiers(s, err) < 0)
        goto fail;
    if (s->stagger && !stream) {
        sql_error_set(err, s->win_line, s->win_col, "WINDOWED BY STAGGER runs in continuous queries (the processor)");
        goto fail;
    }
    if (s->ngroup > SQL_MAX_GROUP) {
        sql_error_set(err, s->group[SQL_MAX_GROUP]->line, s->group[SQL_MAX_GROUP]->col,
                      "too many GROUP BY expressions (at most %d)", SQL_MAX_GROUP);
        goto fail;
    }
    q->schema = lookup(ctx, s->from);
    if (!q->schema) {
        if (s->from)
            sql_error_set(err, s->from_line, s->from_col, "unknown source '%s'", s->from);
        else
            sql_error_set(err, s->items[0].expr ? s->items[0].expr->line : 1, s->items[0].expr ? s->items[0].expr->col : 1,
                          "the query needs FROM <source>");
        goto fail;
    }
    if (sql_join_prepare(q, refs, ctx, err) < 0)
        goto fail;
    if (s->where && (has_aggregate(s->where) ? (sql_error_set(err, s->where->line, s->where->col,
                                                              "aggregate functions are not allowed in WHERE (use HAVING)"),
                                                1)
                                             : 0))
        goto fail;
    if (s->where) {
        if (sql_bind(s->where, q->schema, &q->cols, &q->arena, err) < 0)
            goto fail;
        if (s->where->type != SQL_BOOL && s->where->type != SQL_NULL) {
            sql_error_set(err, s->where->line, s->where->col,
                          "type mismatch: a WHERE condition must be BOOLEAN, not %s", sql_type_name(s->where->type));
            goto fail;
        }
        q->where = s->where;
    }
    for (int i = 0; i < s->ngroup; i++) {
        /* GROUP BY 2 and GROUP BY alias name select-list items (as in
         * DuckDB); a name that is a column of the source stays the column. */
        struct node *g = s->group[i];
        if (g->kind == N_LITERAL && g->value.type == SQL_INT) {
            if (g->value.u.i < 1 || g->value.u.i > s->nitems || !s->items[g->value.u.i - 1].expr) {
                sql_error_set(err, g->line, g->col, "GROUP BY position %lld is not in the select list (1..%d)",
                              (long long)g->value.u.i, s->nitems);
                goto fail;
            }
            struct node *item = s->items[g->value.u.i - 1].expr;
            /* WINDOW_START/END: the window is the group already */
            if (!(s->window && item->kind == N_COLUMN &&
                  (strcasecmp(item->name, "WINDOW_START") == 0 || strcasecmp(item->name, "WINDOW_END") == 0)))
                s->group[i] = item;
        } else if (g->kind == N_COLUMN && !schema_has(q->schema, g)) {
            for (int k = 0; k < s->nitems; k++)
                if (s->items[k].alias && s->items[k].expr &&
                    (g->quoted ? strcmp(s->items[k].alias, g->name) == 0 : strcasecmp(s->items[k].alias, g->name) == 0)) {
                    s->group[i] = s->items[k].expr;
                    break;
                }
        }
        if (has_aggregate(s->group[i])) {
            sql_error_set(err, s->group[i]->line, s->group[i]->col, "aggregate functions are not allowed in GROUP BY");
            goto fail;
        }
        if (sql_bind(s->group[i], q->schema, &q->cols, &q->arena, err) < 0)
            goto fail;
    }
    q->aggregated = s->ngroup > 0 || (s->having != NULL);
    int over = 0;
    for (int i = 0; i < s->nitems; i++) {
        q->aggregated |= has_aggregate(s->items[i].expr);
        over |= has_over(s->items[i].expr);
    }
    if (over) {
        const struct node *at = s->items[0].expr;
        if (q->aggregated && !s->ngroup && !s->having) {
            sql_error_set(err, at ? at->line : 1, at ? at->col : 1,
                          "aggregates OVER a sliding window cannot be mixed with GROUP BY aggregates");
            goto fail;
        }
        if (!stream) {
            sql_error_set(err, at ? at->line : 1, at ? at->col : 1,
                          "OVER (a sliding window) runs in continuous queries (the processor), not here");
            goto fail;
        }
        if (sql_sliding_prepare(q, err) < 0)
            goto fail;
        int ranged = 0;
        for (int i = 0; i < s->nwdefs; i++)
            ranged |= !s->wdefs[i]->rows;
        for (int i = 0; i < q->naggs; i++)
            ranged |= q->aggs[i].call->over && !q->aggs[i].call->over->rows;
        if (ranged && bind_time(q, at ? at->line : 1, at ? at->col : 1, "a RANGE window", err) < 0)
            goto fail;
    }
    if (stream && check_streamable(q, err) < 0)
        goto fail;
    q->nkeys = s->ngroup + (s->window == WIN_SESSION ? 2 : s->window ? 1 : 0);
    if (s->window) {
        if (!q->aggregated) {
            sql_error_set(err, s->win_line, s->win_col, "a windowed query needs GROUP BY or an aggregate function");
            goto fail;
        }
        if (bind_time(q, s->win_line, s->win_col, "a window", err) < 0)
            goto fail;
    }

    int cap = s->nitems + (q->schema ? q->schema->ncols : 0);
    q->out = sql_arena_alloc(&q->arena, sizeof *q->out * (size_t)cap);
    q->out_names = sql_arena_alloc(&q->arena, sizeof *q->out_names * (size_t)cap);
    if (!q->out || !q->out_names)
        goto oom;
    for (int i = 0; i < s->nitems; i++) {
        struct select_item *it = &s->items[i];
        if (!it->expr) {
            if (expand_star(q, it, &q->out, &q->out_names, &q->nout, err) < 0)
                goto fail;
            continue;
        }
        const char *name = it->alias ? it->alias : it->expr->kind == N_COLUMN ? it->expr->name : it->text;
        int window_col = it->expr->kind == N_COLUMN && s->window &&
                         (strcasecmp(it->expr->name, "WINDOW_START") == 0 || strcasecmp(it->expr->name, "WINDOW_END") == 0);
        if (!(q->out[q->nout] = bind_output(q, it->expr, err)))
            goto fail;
        if (window_col && !it->alias) {
            name = toupper((unsigned char)it->expr->name[7]) == 'S' ? "WINDOW_START" : "WINDOW_END";
        } else if (it->expr->kind == N_COLUMN && !it->alias && q->out[q->nout]->kind != N_REF) {
            /* report the column by its schema name ("name" -> "Name") */
            name = q->cols.names[q->out[q->nout]->slot];
        } else if (it->expr->kind == N_COLUMN && !it->alias) {
            for (int c = 0; c < q->schema->ncols; c++)
                if (strcasecmp(q->schema->cols[c].name, name) == 0)
                    name = q->schema->cols[c].name;
        }
        if (name[0] == '\x01')
            name++; /* a JOINed table's column, by its own name */
        q->out_names[q->nout++] = name;
    }
    if (q->sliding && sql_sliding_finish(q, err) < 0)
        goto fail;
    if (target && insert_into(q, target, err) < 0)
        goto fail;
    if (s->having) {
        if (!(q->having = bind_output(q, s->having, err)))
            goto fail;
        if (q->having->type != SQL_BOOL && q->having->type != SQL_NULL) {
            sql_error_set(err, s->having->line, s->having->col,
                          "type mismatch: a HAVING condition must be BOOLEAN, not %s", sql_type_name(q->having->type));
            goto fail;
        }
    }
    q->norder = s->norder;
    q->order = sql_arena_alloc(&q->arena, sizeof *q->order * (size_t)(s->norder + 1));
    q->desc = sql_arena_alloc(&q->arena, sizeof *q->desc * (size_t)(s->norder + 1));
    if (!q->order || !q->desc)
        goto oom;
    for (int i = 0; i < s->norder; i++) {
        struct node *e = s->order[i].expr;
        q->desc[i] = s->order[i].desc;
        if (e->kind == N_LITERAL && e->value.type == SQL_INT) { /* ORDER BY 2 */
            if (e->value.u.i < 1 || e->value.u.i > q->nout) {
                sql_error_set(err, e->line, e->col, "ORDER BY position %lld is not in the select list (1..%d)",
                              (long long)e->value.u.i, q->nout);
                goto fail;
            }
            q->order[i] = q->out[e->value.u.i - 1];
            continue;
        }
        q->order[i] = NULL;
        if (e->kind == N_COLUMN)
            for (int k = 0; k < s->nitems && !q->order[i]; k++)
                if (s->items[k].alias && (e->quoted ? strcmp(s->items[k].alias, e->name) == 0
                                                    : strcasecmp(s->items[k].alias, e->name) == 0))
                    q->order[i] = q->out[k];
        if (!q->order[i] && !(q->order[i] = bind_output(q, e, err)))
            goto fail;
    }
    for (int i = 0; i < q->naggs; i++)
        if ((q->aggs[i].kind == A_FIRST || q->aggs[i].kind == A_LAST) &&
            bind_time(q, q->aggs[i].call->line, q->aggs[i].call->col, "FIRST/LAST", err) < 0)
            goto fail;
    for (int i = 0; i < q->naggs && s->window == WIN_SESSION; i++)
        if (q->aggs[i].distinct) {
            sql_error_set(err, q->aggs[i].call->line, q->aggs[i].call->col,
                          "COUNT(DISTINCT ...) cannot be combined with SESSION windows (sessions merge)");
            goto fail;
        }
    if (sql_join_finish(q, err) < 0)
        goto fail;
    q->streaming = !q->aggregated && !s->distinct && s->norder == 0;
    q->incremental = stream;
    q->emit_changes = s->emit == EMIT_CHANGES;
    q->t = &q->all;
    q->agg_arena = &q->all.arena;
    return q;
oom:
    sql_error_set(err, 1, 1, "out of memory");
fail:
    sql_query_free(q);
    return NULL;
}

const char *sql_query_source(const struct sql_query *q) { return q->ast->from; }
const struct sql_schema *sql_query_schema(const struct sql_query *q) { return q->schema; }
int sql_query_ncolumns(const struct sql_query *q) { return q->cols.n; }
const char *const *sql_query_columns(const struct sql_query *q) { return q->cols.names; }
int sql_query_nresult(const struct sql_query *q) { return q->nout; }
const char *sql_query_result_name(const struct sql_query *q, int i) { return q->out_names[i]; }

void sql_query_set_output(struct sql_query *q, sql_emit_fn emit, void *arg)
{
    q->emit = emit;
    q->emit_arg = arg;
}

