/* sql_select.c - SELECT queries: binding (group keys, aggregates, ORDER BY
 * by alias or position), then execution in one pass over the input with hash
 * aggregation, and sorting, DISTINCT and LIMIT at the end (see sql.h). */
#include "sql_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a hash index of value tuples ------------------------------------------- */

struct vtab {
    int32_t *slots; /* -1 empty, else an entry number */
    uint64_t *hashes;
    size_t cap, n;
};

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static uint64_t hash_value(const struct sql_value *v)
{
    switch (v->type) {
    case SQL_NULL:
        return 0x1234;
    case SQL_BOOL:
        return (uint64_t)v->u.b + 7;
    case SQL_INT:
        return mix(1, (uint64_t)v->u.i);
    case SQL_DOUBLE: {
        /* 2.0 groups with 2: hash integral doubles as integers */
        if (v->u.d == floor(v->u.d) && fabs(v->u.d) < 9e18)
            return mix(1, (uint64_t)(int64_t)v->u.d);
        uint64_t bits;
        double d = v->u.d == 0 ? 0 : v->u.d;
        memcpy(&bits, &d, sizeof bits);
        return mix(2, bits);
    }
    case SQL_TIMESTAMP:
        return mix(3, (uint64_t)v->u.ts);
    case SQL_STRING: {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (size_t i = 0; i < v->u.str.len; i++)
            h = (h ^ (unsigned char)v->u.str.s[i]) * 1099511628211ULL;
        return mix(4, h);
    }
    }
    return 0;
}

static uint64_t hash_tuple(const struct sql_value *v, int n)
{
    uint64_t h = 42;
    for (int i = 0; i < n; i++)
        h = mix(h, hash_value(&v[i]));
    return h | 1; /* never 0 */
}

/* GROUP BY and DISTINCT equality: NULLs are equal to each other. */
static int same(const struct sql_value *a, const struct sql_value *b)
{
    if (a->type == SQL_NULL || b->type == SQL_NULL)
        return a->type == b->type;
    return sql_value_compare(a, b) == 0;
}

static int tuple_same(const struct sql_value *a, const struct sql_value *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!same(&a[i], &b[i]))
            return 0;
    return 1;
}

/* Find the entry whose tuple (got through key_of) equals key; or -1 and, in
 * *slot, where to insert. */
typedef const struct sql_value *(*key_of_fn)(void *ctx, int32_t entry);

static int vtab_grow(struct vtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    int32_t *slots = malloc(cap * sizeof *slots);
    uint64_t *hashes = malloc(cap * sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    memset(slots, 0xff, cap * sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i] < 0)
            continue;
        size_t j = t->hashes[i] & (cap - 1);
        while (slots[j] >= 0)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
        hashes[j] = t->hashes[i];
    }
    free(t->slots);
    free(t->hashes);
    t->slots = slots;
    t->hashes = hashes;
    t->cap = cap;
    return 0;
}

static int32_t vtab_find(struct vtab *t, uint64_t h, const struct sql_value *key, int n, key_of_fn key_of, void *ctx,
                         size_t *slot)
{
    if (t->cap == 0 || (t->n + 1) * 4 > t->cap * 3) {
        if (vtab_grow(t) < 0)
            return -2;
    }
    size_t j = h & (t->cap - 1);
    while (t->slots[j] >= 0) {
        if (t->hashes[j] == h && tuple_same(key_of(ctx, t->slots[j]), key, n))
            return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    *slot = j;
    return -1;
}

static void vtab_insert(struct vtab *t, size_t slot, uint64_t h, int32_t entry)
{
    t->slots[slot] = entry;
    t->hashes[slot] = h;
    t->n++;
}

static void vtab_free(struct vtab *t)
{
    free(t->slots);
    free(t->hashes);
    memset(t, 0, sizeof *t);
}

/* ---- the query ------------------------------------------------------------- */

enum agg_kind { A_COUNT_STAR, A_COUNT, A_SUM, A_AVG, A_MIN, A_MAX, A_FIRST, A_LAST };

struct agg_def {
    enum agg_kind kind;
    int distinct;
    struct node *arg; /* bound in the input context; NULL for COUNT(*) */
    struct node *call; /* the call as written (for matching repeats) */
};

struct agg_state {
    int64_t count, isum;
    double dsum, dcomp; /* Neumaier-compensated sum: less dependent on input order */
    int int_sum_ok; /* all summed values were INT and did not overflow */
    struct sql_value m; /* MIN/MAX so far; FIRST/LAST: the value at mts */
    int64_t mts;        /* FIRST/LAST: the event time of m */
};

struct group {
    struct sql_value *key;
    struct agg_state *st;
};

/* SESSION windows: per group, its sessions, sorted by start and apart by more
 * than the gap (an event that bridges two sessions merges them). */
struct session {
    int64_t start, end; /* first and last event time */
    struct agg_state *st;
};
struct sessions {
    struct session *s;
    int n, cap;
};

struct result_row {
    struct sql_value *v; /* nout values, then norder sort keys */
    int64_t seq;
};

struct sql_query {
    struct sql_arena arena;
    struct select_ast *ast;
    const struct sql_schema *schema;
    struct slots cols;
    int nout;
    struct node **out;
    const char **out_names;
    struct node *where, *having;
    struct node **order;
    int *desc;
    int norder;
    int aggregated;
    int nkeys;     /* group keys in the output row: GROUP BY expressions, then the window start */
    int time_slot; /* windowed: the input slot of the event-time column */
    struct agg_def *aggs;
    int naggs, capaggs;
    struct group *groups;
    int ngroups, capgroups;
    struct sessions *sess; /* SESSION windows: one per group, capgroups long */
    struct vtab gindex, dindex;
    /* COUNT(DISTINCT): tuples (agg number, group number, value) */
    struct sql_value *dvals;
    int ndvals, capdvals;
    struct result_row *rows;
    int64_t nrows, caprows;
    struct sql_scratch scratch;
    sql_emit_fn emit;
    void *emit_arg;
    int64_t emitted;
    int streaming;
};

static const char *const agg_names[] = {"COUNT", "COUNT", "SUM", "AVG", "MIN", "MAX", "FIRST", "LAST"};

/* Copy a value so it outlives the row it came from (strings into the arena). */
static int keep(struct sql_query *q, struct sql_value *dst, const struct sql_value *src)
{
    *dst = *src;
    if (src->type == SQL_STRING) {
        char *s = sql_arena_strndup(&q->arena, src->u.str.s, src->u.str.len);
        if (!s)
            return -1;
        dst->u.str.s = s;
    }
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
        return same(&a->value, &b->value) && a->value.type == b->value.type;
    case N_BINARY:
    case N_LIKE:
        if (a->op != b->op)
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
    for (int k = A_COUNT; k <= A_LAST; k++)
        if (strcmp(n->name, agg_names[k]) == 0) {
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
        if ((kind == A_COUNT_STAR && n->nargs != 0) || (kind != A_COUNT_STAR && n->nargs != 1)) {
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
        if (kind != A_COUNT_STAR) {
            a->arg = n->args[0];
            /* The argument is read from input rows; an aggregate inside it is an error there. */
            if (sql_bind(a->arg, q->schema, &q->cols, &q->arena, err) < 0)
                return NULL;
            if ((kind == A_SUM || kind == A_AVG) && !sql_is_numeric(a->arg->type) && a->arg->type != SQL_NULL) {
                sql_error_set(err, a->arg->line, a->arg->col, "type mismatch: %s() needs a number, got %s", n->name,
                              sql_type_name(a->arg->type));
                return NULL;
            }
        }
        q->naggs++;
        return make_ref(q, n, q->nkeys + q->naggs - 1, agg_type(a));
    }
    if (n->kind == N_COLUMN && q->ast->window && !n->quoted &&
        (strcasecmp(n->name, "WINDOW_START") == 0 || strcasecmp(n->name, "WINDOW_END") == 0)) {
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
                      "column '%s' must appear in GROUP BY or be used in an aggregate function", n->name);
        return NULL;
    }
    if (n->subject && !(n->subject = rewrite(q, n->subject, err)))
        return NULL;
    for (int i = 0; i < n->nargs; i++)
        if (!(n->args[i] = rewrite(q, n->args[i], err)))
            return NULL;
    return n;
}

static int has_aggregate(const struct node *n)
{
    enum agg_kind k;
    if (!n)
        return 0;
    if (agg_kind_of(n, &k))
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
    const char *tcol = NULL;
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

struct sql_query *sql_query_compile(const char *text, const struct sql_schema *(*lookup)(const char *name),
                                    struct sql_error *err)
{
    struct sql_query *q = calloc(1, sizeof *q);
    if (!q) {
        sql_error_set(err, 1, 1, "out of memory");
        return NULL;
    }
    q->time_slot = -1;
    struct sql_lexer lx;
    sql_lex_init(&lx, text);
    struct select_ast *s = q->ast = sql_parse_select(&lx, &q->arena, err);
    if (!s)
        goto fail;
    q->schema = lookup(s->from);
    if (!q->schema) {
        sql_error_set(err, s->from_line, s->from_col, "unknown source '%s'", s->from ? s->from : "");
        goto fail;
    }
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
        if (has_aggregate(s->group[i])) {
            sql_error_set(err, s->group[i]->line, s->group[i]->col, "aggregate functions are not allowed in GROUP BY");
            goto fail;
        }
        if (sql_bind(s->group[i], q->schema, &q->cols, &q->arena, err) < 0)
            goto fail;
    }
    q->aggregated = s->ngroup > 0 || (s->having != NULL);
    for (int i = 0; i < s->nitems; i++)
        q->aggregated |= has_aggregate(s->items[i].expr);
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
        q->out_names[q->nout++] = name;
    }
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
    q->streaming = !q->aggregated && !s->distinct && s->norder == 0;
    return q;
oom:
    sql_error_set(err, 1, 1, "out of memory");
fail:
    sql_query_free(q);
    return NULL;
}

void sql_query_free(struct sql_query *q)
{
    if (!q)
        return;
    vtab_free(&q->gindex);
    vtab_free(&q->dindex);
    for (int i = 0; i < q->ngroups; i++) {
        free(q->groups[i].st);
        if (q->sess) {
            for (int k = 0; k < q->sess[i].n; k++)
                free(q->sess[i].s[k].st);
            free(q->sess[i].s);
        }
    }
    free(q->sess);
    free(q->groups);
    free(q->dvals);
    free(q->rows);
    sql_scratch_free(&q->scratch);
    sql_arena_free(&q->arena);
    free(q);
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

/* ---- execution ------------------------------------------------------------- */

static const struct sql_value *group_key(void *ctx, int32_t e) { return ((struct sql_query *)ctx)->groups[e].key; }
static const struct sql_value *dval_key(void *ctx, int32_t e) { return &((struct sql_query *)ctx)->dvals[e * 3]; }

static int find_group_n(struct sql_query *q, const struct sql_value *key, int n, struct sql_error *err)
{
    uint64_t h = hash_tuple(key, n);
    size_t slot;
    int32_t g = vtab_find(&q->gindex, h, key, n, group_key, q, &slot);
    if (g >= 0)
        return g;
    if (g == -2)
        goto oom;
    if (q->ngroups == q->capgroups) {
        int cap = q->capgroups ? q->capgroups * 2 : 64;
        struct group *ng = realloc(q->groups, sizeof *ng * (size_t)cap);
        if (!ng)
            goto oom;
        q->groups = ng;
        if (q->ast->window == WIN_SESSION) {
            struct sessions *ns = realloc(q->sess, sizeof *ns * (size_t)cap);
            if (!ns)
                goto oom;
            memset(ns + q->capgroups, 0, sizeof *ns * (size_t)(cap - q->capgroups));
            q->sess = ns;
        }
        q->capgroups = cap;
    }
    struct group *gr = &q->groups[q->ngroups];
    gr->key = sql_arena_alloc(&q->arena, sizeof *gr->key * (size_t)(n ? n : 1));
    gr->st = calloc((size_t)(q->naggs ? q->naggs : 1), sizeof *gr->st);
    if (!gr->key || !gr->st) {
        free(gr->st);
        goto oom;
    }
    for (int i = 0; i < n; i++)
        if (keep(q, &gr->key[i], &key[i]) < 0)
            goto oom;
    for (int i = 0; i < q->naggs; i++)
        gr->st[i].int_sum_ok = 1;
    vtab_insert(&q->gindex, slot, h, q->ngroups);
    return q->ngroups++;
oom:
    sql_error_set(err, 1, 1, "out of memory (%d groups)", q->ngroups);
    return -1;
}

static int find_group(struct sql_query *q, const struct sql_value *key, struct sql_error *err)
{
    return find_group_n(q, key, q->nkeys, err);
}

/* COUNT(DISTINCT x): is (aggregate, group, x) new? 1 yes, 0 no, -1 error. */
static int first_sighting(struct sql_query *q, int agg, int group, const struct sql_value *v)
{
    struct sql_value key[3] = {{.type = SQL_INT, .u.i = agg}, {.type = SQL_INT, .u.i = group}, *v};
    uint64_t h = hash_tuple(key, 3);
    size_t slot;
    int32_t e = vtab_find(&q->dindex, h, key, 3, dval_key, q, &slot);
    if (e >= 0)
        return 0;
    if (e == -2)
        return -1;
    if (q->ndvals == q->capdvals) {
        int cap = q->capdvals ? q->capdvals * 2 : 256;
        struct sql_value *nd = realloc(q->dvals, sizeof *nd * 3 * (size_t)cap);
        if (!nd)
            return -1;
        q->dvals = nd;
        q->capdvals = cap;
    }
    struct sql_value *d = &q->dvals[q->ndvals * 3];
    d[0] = key[0];
    d[1] = key[1];
    if (keep(q, &d[2], v) < 0)
        return -1;
    vtab_insert(&q->dindex, slot, h, q->ndvals++);
    return 1;
}

/* Add one row to the aggregate states sts (group g's, or a session's; g is
 * only used by COUNT(DISTINCT), which sessions refuse). */
static void add_double(struct agg_state *st, double x)
{
    double t = st->dsum + x;
    if (fabs(st->dsum) >= fabs(x))
        st->dcomp += (st->dsum - t) + x;
    else
        st->dcomp += (x - t) + st->dsum;
    st->dsum = t;
}

static int update(struct sql_query *q, struct agg_state *sts, int g, const struct sql_value *row,
                  struct sql_error *err)
{
    for (int i = 0; i < q->naggs; i++) {
        struct agg_def *a = &q->aggs[i];
        struct agg_state *st = &sts[i];
        if (a->kind == A_COUNT_STAR) {
            st->count++;
            continue;
        }
        struct sql_value v;
        if (sql_eval(a->arg, row, &q->scratch, &v, err) < 0)
            return -1;
        if (v.type == SQL_NULL)
            continue;
        switch (a->kind) {
        case A_COUNT:
            if (a->distinct) {
                int first = first_sighting(q, i, g, &v);
                if (first < 0) {
                    sql_error_set(err, 1, 1, "out of memory");
                    return -1;
                }
                st->count += first;
            } else {
                st->count++;
            }
            break;
        case A_SUM:
        case A_AVG:
            if (!sql_is_numeric(v.type))
                break; /* open schema: a non-number does not count */
            st->count++;
            if (v.type == SQL_INT) {
                add_double(st, (double)v.u.i);
                if (st->int_sum_ok && __builtin_add_overflow(st->isum, v.u.i, &st->isum))
                    st->int_sum_ok = 0;
            } else {
                add_double(st, v.u.d);
                st->int_sum_ok = 0;
            }
            break;
        case A_FIRST:
        case A_LAST: {
            /* by event time; on equal times the first row seen wins */
            const struct sql_value *t = &row[q->time_slot];
            if (t->type != SQL_TIMESTAMP)
                break;
            if (st->m.type == SQL_NULL || (a->kind == A_FIRST ? t->u.ts < st->mts : t->u.ts > st->mts)) {
                if (keep(q, &st->m, &v) < 0) {
                    sql_error_set(err, 1, 1, "out of memory");
                    return -1;
                }
                st->mts = t->u.ts;
            }
            break;
        }
        case A_MIN:
        case A_MAX: {
            int c = st->m.type == SQL_NULL ? 0 : sql_value_compare(&v, &st->m);
            if (c == -2)
                break;
            if (st->m.type == SQL_NULL || (a->kind == A_MIN ? c < 0 : c > 0))
                if (keep(q, &st->m, &v) < 0) {
                    sql_error_set(err, 1, 1, "out of memory");
                    return -1;
                }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

static void agg_result(const struct sql_query *q, int i, const struct agg_state *st, struct sql_value *out)
{
    const struct agg_def *a = &q->aggs[i];
    out->type = SQL_NULL;
    switch (a->kind) {
    case A_COUNT_STAR:
    case A_COUNT:
        out->type = SQL_INT;
        out->u.i = st->count;
        return;
    case A_SUM:
        if (st->count == 0)
            return;
        if (agg_type(a) == SQL_INT && st->int_sum_ok) {
            out->type = SQL_INT;
            out->u.i = st->isum;
        } else {
            out->type = SQL_DOUBLE;
            out->u.d = st->dsum + st->dcomp;
        }
        return;
    case A_AVG:
        if (st->count) {
            out->type = SQL_DOUBLE;
            out->u.d = (st->dsum + st->dcomp) / (double)st->count;
        }
        return;
    default:
        *out = st->m;
    }
}

static int push_row(struct sql_query *q, const struct sql_value *ctx, struct sql_error *err)
{
    int n = q->nout + q->norder;
    struct sql_value vals[512 + 256];
    if (n > (int)(sizeof vals / sizeof *vals)) {
        sql_error_set(err, 1, 1, "too many result columns");
        return -1;
    }
    for (int i = 0; i < q->nout; i++)
        if (sql_eval(q->out[i], ctx, &q->scratch, &vals[i], err) < 0)
            return -1;
    if (q->streaming) {
        if (q->ast->limit >= 0 && q->emitted >= q->ast->limit)
            return 0;
        q->emitted++;
        return q->emit && q->emit(q->emit_arg, vals, q->nout) < 0 ? -1 : 0;
    }
    for (int i = 0; i < q->norder; i++)
        if (sql_eval(q->order[i], ctx, &q->scratch, &vals[q->nout + i], err) < 0)
            return -1;
    if (q->nrows == q->caprows) {
        int64_t cap = q->caprows ? q->caprows * 2 : 256;
        struct result_row *nr = realloc(q->rows, sizeof *nr * (size_t)cap);
        if (!nr)
            goto oom;
        q->rows = nr;
        q->caprows = cap;
    }
    struct result_row *r = &q->rows[q->nrows];
    r->v = sql_arena_alloc(&q->arena, sizeof *r->v * (size_t)(n ? n : 1));
    if (!r->v)
        goto oom;
    for (int i = 0; i < n; i++)
        if (keep(q, &r->v[i], &vals[i]) < 0)
            goto oom;
    r->seq = q->nrows++;
    return 0;
oom:
    sql_error_set(err, 1, 1, "out of memory (%lld result rows)", (long long)q->nrows);
    return -1;
}

static struct agg_state *new_states(const struct sql_query *q)
{
    struct agg_state *st = calloc((size_t)(q->naggs ? q->naggs : 1), sizeof *st);
    for (int i = 0; st && i < q->naggs; i++)
        st[i].int_sum_ok = 1;
    return st;
}

/* Fold b into a (sessions that an event joined). */
static void merge_states(const struct sql_query *q, struct agg_state *a, const struct agg_state *b)
{
    for (int i = 0; i < q->naggs; i++) {
        struct agg_state *x = &a[i];
        const struct agg_state *y = &b[i];
        x->count += y->count;
        add_double(x, y->dsum);
        x->dcomp += y->dcomp;
        if (!y->int_sum_ok || (x->int_sum_ok && __builtin_add_overflow(x->isum, y->isum, &x->isum)))
            x->int_sum_ok = 0;
        enum agg_kind k = q->aggs[i].kind;
        if ((k == A_FIRST || k == A_LAST) && y->m.type != SQL_NULL) {
            if (x->m.type == SQL_NULL || (k == A_FIRST ? y->mts < x->mts : y->mts > x->mts)) {
                x->m = y->m;
                x->mts = y->mts;
            }
        } else if (y->m.type != SQL_NULL) {
            int c = x->m.type == SQL_NULL ? 0 : sql_value_compare(&y->m, &x->m);
            if (x->m.type == SQL_NULL || (q->aggs[i].kind == A_MIN ? c < 0 : c > 0))
                x->m = y->m; /* strings already live in the query's arena */
        }
    }
}

/* SESSION windows: put the row's event into its group's sessions, opening,
 * extending or merging sessions; then add it to that session's aggregates. */
static int add_to_session(struct sql_query *q, const struct sql_value *key, const struct sql_value *row,
                          struct sql_error *err)
{
    const struct sql_value *t = &row[q->time_slot];
    if (t->type != SQL_TIMESTAMP)
        return 1;
    int64_t ts = t->u.ts, gap = q->ast->win_size;
    int g = find_group_n(q, key, q->ast->ngroup, err);
    if (g < 0)
        return -1;
    struct sessions *ss = &q->sess[g];
    /* Sessions are sorted and disjoint: scan back from the newest, which is
     * where an event in time order lands at once. */
    int lo = -1, hi = -1, insert = 0;
    for (int i = ss->n - 1; i >= 0; i--) {
        if (ss->s[i].end + gap < ts) {
            insert = i + 1;
            break;
        }
        if (ts >= ss->s[i].start - gap) {
            if (hi < 0)
                hi = i;
            lo = i;
        }
    }
    struct session *target;
    if (lo < 0) {
        if (lo < 0 && hi < 0 && insert == 0)
            for (insert = 0; insert < ss->n && ss->s[insert].start < ts; insert++)
                ;
        if (ss->n == ss->cap) {
            int cap = ss->cap ? ss->cap * 2 : 4;
            struct session *ns = realloc(ss->s, sizeof *ns * (size_t)cap);
            if (!ns)
                goto oom;
            ss->s = ns;
            ss->cap = cap;
        }
        struct agg_state *st = new_states(q);
        if (!st)
            goto oom;
        memmove(&ss->s[insert + 1], &ss->s[insert], sizeof *ss->s * (size_t)(ss->n - insert));
        ss->s[insert] = (struct session){ts, ts, st};
        ss->n++;
        target = &ss->s[insert];
    } else {
        target = &ss->s[lo];
        for (int i = lo + 1; i <= hi; i++) { /* the event bridges sessions: one session now */
            merge_states(q, target->st, ss->s[i].st);
            if (ss->s[i].end > target->end)
                target->end = ss->s[i].end;
            free(ss->s[i].st);
        }
        memmove(&ss->s[lo + 1], &ss->s[hi + 1], sizeof *ss->s * (size_t)(ss->n - hi - 1));
        ss->n -= hi - lo;
        if (ts < target->start)
            target->start = ts;
        if (ts > target->end)
            target->end = ts;
    }
    return update(q, target->st, -1, row, err) < 0 ? -1 : 1;
oom:
    sql_error_set(err, 1, 1, "out of memory");
    return -1;
}

int sql_query_add(struct sql_query *q, const struct sql_value *row, struct sql_error *err)
{
    sql_scratch_reset(&q->scratch);
    if (q->streaming && q->ast->limit >= 0 && q->emitted >= q->ast->limit)
        return 0;
    if (q->where) {
        struct sql_value w;
        if (sql_eval(q->where, row, &q->scratch, &w, err) < 0)
            return -1;
        if (sql_value_truthy(&w) != 1)
            return 1;
    }
    if (!q->aggregated) {
        if (push_row(q, row, err) < 0)
            return -1;
        return q->streaming && q->ast->limit >= 0 && q->emitted >= q->ast->limit ? 0 : 1;
    }
    struct sql_value key[257];
    int n = q->ast->ngroup;
    if (n > 256) {
        sql_error_set(err, 1, 1, "too many GROUP BY expressions");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (sql_eval(q->ast->group[i], row, &q->scratch, &key[i], err) < 0)
            return -1;
    if (!q->ast->window) {
        int g = find_group(q, key, err);
        if (g < 0)
            return -1;
        return update(q, q->groups[g].st, g, row, err) < 0 ? -1 : 1;
    }
    if (q->ast->window == WIN_SESSION)
        return add_to_session(q, key, row, err);
    /* Every window that contains the event: one for TUMBLING, SIZE/ADVANCE for
     * HOPPING. Window starts are multiples of ADVANCE since the epoch. */
    const struct sql_value *t = &row[q->time_slot];
    if (t->type != SQL_TIMESTAMP)
        return 1; /* no event time, no window */
    int64_t size = q->ast->win_size, adv = q->ast->win_advance, ts = t->u.ts;
    int64_t last = ts / adv * adv - (ts % adv < 0 ? adv : 0);
    for (int64_t start = last; start > ts - size; start -= adv) {
        key[n].type = SQL_TIMESTAMP;
        key[n].u.ts = start;
        int g = find_group(q, key, err);
        if (g < 0 || update(q, q->groups[g].st, g, row, err) < 0)
            return -1;
    }
    return 1;
}

/* ORDER BY: NULLs last in either direction (DuckDB's default); ties keep input order. */
static int row_cmp(const void *pa, const void *pb, void *ctx)
{
    const struct sql_query *sort_q = ctx;
    const struct result_row *a = pa, *b = pb;
    for (int i = 0; i < sort_q->norder; i++) {
        const struct sql_value *x = &a->v[sort_q->nout + i], *y = &b->v[sort_q->nout + i];
        int c;
        if (x->type == SQL_NULL || y->type == SQL_NULL)
            c = (x->type == SQL_NULL) - (y->type == SQL_NULL); /* NULL after everything */
        else {
            c = sql_value_compare(x, y);
            if (c == -2)
                c = (int)x->type - (int)y->type;
            if (sort_q->desc[i])
                c = -c;
        }
        if (c)
            return c;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static const struct sql_value *row_key(void *ctx, int32_t e) { return ((struct sql_query *)ctx)->rows[e].v; }

int sql_query_finish(struct sql_query *q, struct sql_error *err)
{
    if (q->streaming)
        return 0;
    if (q->aggregated) {
        int ng = q->nkeys;
        if (ng == 0 && q->ngroups == 0 && find_group(q, NULL, err) < 0) /* a global aggregate always has one row */
            return -1;
        struct sql_value ctx[512];
        if (ng + q->naggs > 512) {
            sql_error_set(err, 1, 1, "too many aggregates");
            return -1;
        }
        for (int g = 0, k = 0; g < q->ngroups; g++, k = 0) {
        next_session:
            sql_scratch_reset(&q->scratch);
            const struct agg_state *st = q->groups[g].st;
            if (q->ast->window == WIN_SESSION) {
                if (k >= q->sess[g].n)
                    continue;
                const struct session *se = &q->sess[g].s[k++];
                for (int i = 0; i < q->ast->ngroup; i++)
                    ctx[i] = q->groups[g].key[i];
                ctx[ng - 2] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->start};
                ctx[ng - 1] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->end};
                st = se->st;
            } else {
                for (int i = 0; i < ng; i++)
                    ctx[i] = q->groups[g].key[i];
            }
            for (int i = 0; i < q->naggs; i++)
                agg_result(q, i, &st[i], &ctx[ng + i]);
            int keep_row = 1;
            if (q->having) {
                struct sql_value h;
                if (sql_eval(q->having, ctx, &q->scratch, &h, err) < 0)
                    return -1;
                keep_row = sql_value_truthy(&h) == 1;
            }
            if (keep_row && push_row(q, ctx, err) < 0)
                return -1;
            if (q->ast->window == WIN_SESSION)
                goto next_session;
        }
    }
    if (q->norder) {
        qsort_r(q->rows, (size_t)q->nrows, sizeof *q->rows, row_cmp, q);
    }
    struct vtab seen = {0};
    int rc = 0;
    for (int64_t i = 0; i < q->nrows; i++) {
        if (q->ast->limit >= 0 && q->emitted >= q->ast->limit)
            break;
        if (q->ast->distinct) {
            uint64_t h = hash_tuple(q->rows[i].v, q->nout);
            size_t slot;
            int32_t e = vtab_find(&seen, h, q->rows[i].v, q->nout, row_key, q, &slot);
            if (e == -2) {
                sql_error_set(err, 1, 1, "out of memory");
                rc = -1;
                break;
            }
            if (e >= 0)
                continue;
            vtab_insert(&seen, slot, h, (int32_t)i);
        }
        q->emitted++;
        if (q->emit && q->emit(q->emit_arg, q->rows[i].v, q->nout) < 0) {
            rc = -1;
            break;
        }
    }
    vtab_free(&seen);
    return rc;
}
