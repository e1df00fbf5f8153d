/* sql_sliding.c - sliding windows (Kinesis Analytics; SQL:2008 OVER): a
 * result row for every input row, its aggregates taken over the rows of the
 * same PARTITION BY values within RANGE INTERVAL ... PRECEDING of its own
 * time (or its ROWS n predecessors and itself).
 *
 * On event time the window is over the rows read so far: a row behind the
 * watermark is late (reported, not added, no output), as for the other
 * windows, so that every window a result sees is complete. Each partition
 * key keeps a ring of its recent rows (time, position, aggregate arguments);
 * the watermark ages RANGE rows out, ROWS keeps the last n. The earliest row
 * a ring holds is the replay point. Arguments are numbers, booleans or
 * timestamps, kept by value: nothing is allocated per row once the rings
 * have grown. */
#include "sql_query_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
    int64_t ts, off, aux;
};

/* One partition key's recent rows: a ring, oldest at head. */
struct ring {
    struct entry *e;
    struct sql_value *v; /* nargs values per entry */
    int head, n, cap;
};

struct win_state {
    const struct wdef *def;
    int *aggs, naggs; /* the aggregates over this window (q->aggs indexes) */
    struct vtab index;
    struct sql_value *keys; /* npart values per key */
    struct ring *rings;
    int nkeys, capkeys;
    struct sql_arena arena; /* key strings */
};

struct sliding {
    struct win_state *w;
    int nw;
    struct sql_value *vals; /* each aggregate's value for the current row */
    struct node **refs;     /* the N_REF placeholders (slot fixed once the input columns are known) */
    int nrefs, caprefs;
};

/* ---- compile ------------------------------------------------------------- */

static const struct wdef *resolve(const struct sql_query *q, struct node *call, struct sql_error *err)
{
    if (call->over)
        return call->over;
    for (int i = 0; i < q->ast->nwdefs; i++)
        if (strcasecmp(q->ast->wdefs[i]->name, call->over_name) == 0)
            return call->over = q->ast->wdefs[i];
    sql_error_set(err, call->line, call->col, "window '%s' is not defined (WINDOW %s AS (...))", call->over_name,
                  call->over_name);
    return NULL;
}

static int add_ref(struct sql_query *q, struct node *ref)
{
    struct sliding *sl = q->sliding;
    if (sl->nrefs == sl->caprefs) {
        int cap = sl->caprefs ? sl->caprefs * 2 : 16;
        struct node **nr = sql_arena_alloc(&q->arena, sizeof *nr * (size_t)cap);
        if (!nr)
            return -1;
        if (sl->nrefs)
            memcpy(nr, sl->refs, sizeof *nr * (size_t)sl->nrefs);
        sl->refs = nr;
        sl->caprefs = cap;
    }
    sl->refs[sl->nrefs++] = ref;
    return 0;
}

static int win_index(struct sql_query *q, const struct wdef *d)
{
    struct sliding *sl = q->sliding;
    for (int i = 0; i < sl->nw; i++)
        if (sl->w[i].def == d)
            return i;
    struct win_state *nw = realloc(sl->w, sizeof *nw * (size_t)(sl->nw + 1));
    if (!nw)
        return -1;
    sl->w = nw;
    memset(&nw[sl->nw], 0, sizeof *nw);
    nw[sl->nw].def = d;
    return sl->nw++;
}

/* Replace every aggregate OVER a window in n by a reference to its value
 * (a slot after the input columns), binding its argument on the input. */
static struct node *take_aggs(struct sql_query *q, struct node *n, struct sql_error *err)
{
    if (!n)
        return n;
    if (n->kind == N_CALL && (n->over || n->over_name)) {
        const struct wdef *d = resolve(q, n, err);
        if (!d)
            return NULL;
        enum agg_kind kind = A_PERCENTILE;
        for (int k = A_COUNT; k <= A_LAST; k++)
            if (strcmp(n->name, sql_agg_names[k]) == 0)
                kind = (enum agg_kind)(k == A_COUNT && n->nargs == 0 ? A_COUNT_STAR : k);
        if (kind == A_PERCENTILE || n->negated || (kind == A_COUNT_STAR ? n->nargs != 0 : n->nargs != 1)) {
            sql_error_set(err, n->line, n->col,
                          "OVER takes COUNT(*), COUNT(x), SUM, AVG, MIN, MAX, FIRST_VALUE or LAST_VALUE of one "
                          "argument, not %s()",
                          n->name);
            return NULL;
        }
        if (q->naggs == q->capaggs) {
            int cap = q->capaggs ? q->capaggs * 2 : 8;
            struct agg_def *na = sql_arena_alloc(&q->arena, sizeof *na * (size_t)cap);
            if (!na)
                goto oom;
            if (q->naggs)
                memcpy(na, q->aggs, sizeof *na * (size_t)q->naggs);
            q->aggs = na;
            q->capaggs = cap;
        }
        struct agg_def *a = &q->aggs[q->naggs];
        memset(a, 0, sizeof *a);
        a->kind = kind;
        a->call = n;
        if (kind != A_COUNT_STAR) {
            a->arg = n->args[0];
            if (sql_bind(a->arg, q->schema, &q->cols, &q->arena, err) < 0)
                return NULL;
            enum sql_type t = a->arg->type;
            if (t == SQL_STRING || ((kind == A_SUM || kind == A_AVG) && !sql_is_numeric(t) && t != SQL_NULL)) {
                sql_error_set(err, a->arg->line, a->arg->col, "%s() OVER a window needs a number%s, got %s",
                              n->name, kind == A_SUM || kind == A_AVG ? "" : ", boolean or timestamp",
                              sql_type_name(t));
                return NULL;
            }
        }
        int wi = win_index(q, d);
        struct node *ref = sql_arena_alloc(&q->arena, sizeof *ref);
        if (wi < 0 || !ref)
            goto oom;
        struct win_state *w = &q->sliding->w[wi];
        int *na = realloc(w->aggs, sizeof *na * (size_t)(w->naggs + 1));
        if (!na)
            goto oom;
        w->aggs = na;
        w->aggs[w->naggs++] = q->naggs;
        ref->kind = N_REF;
        ref->slot = q->naggs++; /* made absolute by sql_sliding_finish */
        ref->type = kind == A_COUNT || kind == A_COUNT_STAR ? SQL_INT
                    : kind == A_AVG                         ? SQL_DOUBLE
                    : kind == A_SUM && a->arg->type == SQL_INT ? SQL_NULL /* INT, or DOUBLE on overflow */
                                                             : a->arg->type;
        ref->line = n->line;
        ref->col = n->col;
        ref->height = 1;
        return add_ref(q, ref) < 0 ? NULL : ref;
    }
    if (n->subject && !(n->subject = take_aggs(q, n->subject, err)))
        return NULL;
    for (int i = 0; i < n->nargs; i++)
        if (!(n->args[i] = take_aggs(q, n->args[i], err)))
            return NULL;
    return n;
oom:
    sql_error_set(err, n->line, n->col, "out of memory");
    return NULL;
}

int sql_sliding_prepare(struct sql_query *q, struct sql_error *err)
{
    struct select_ast *s = q->ast;
    int line = s->items[0].expr ? s->items[0].expr->line : 1, col = s->items[0].expr ? s->items[0].expr->col : 1;
    if (s->ngroup || s->window || s->having || s->distinct || s->norder)
        return sql_error_set(err, line, col,
                             "a query with OVER (a sliding window) takes no GROUP BY, WINDOW TUMBLING/HOPPING/SESSION, "
                             "HAVING, DISTINCT or ORDER BY"),
               -1;
    if (!(q->sliding = calloc(1, sizeof *q->sliding)))
        return sql_error_set(err, line, col, "out of memory"), -1;
    s->win_grace = q->target ? q->target->grace_ms : 0; /* rows out of order by less are not late */
    for (int i = 0; i < s->nitems; i++)
        if (s->items[i].expr && !(s->items[i].expr = take_aggs(q, s->items[i].expr, err)))
            return -1;
    for (int i = 0; i < q->sliding->nw; i++) {
        const struct wdef *d = q->sliding->w[i].def;
        for (int k = 0; k < d->npart; k++)
            if (sql_bind(d->part[k], q->schema, &q->cols, &q->arena, err) < 0)
                return -1;
    }
    return 0;
}

int sql_sliding_finish(struct sql_query *q, struct sql_error *err)
{
    struct sliding *sl = q->sliding;
    for (int i = 0; i < sl->nrefs; i++)
        sl->refs[i]->slot += q->cols.n; /* after the input columns */
    if (!(sl->vals = calloc((size_t)(q->naggs ? q->naggs : 1), sizeof *sl->vals)))
        return sql_error_set(err, 1, 1, "out of memory"), -1;
    return 0;
}

void sql_sliding_free(struct sliding *sl)
{
    if (!sl)
        return;
    for (int i = 0; i < sl->nw; i++) {
        struct win_state *w = &sl->w[i];
        for (int k = 0; k < w->nkeys; k++) {
            free(w->rings[k].e);
            free(w->rings[k].v);
        }
        free(w->rings);
        free(w->keys);
        free(w->aggs);
        sql_vtab_free(&w->index);
        sql_arena_free(&w->arena);
    }
    free(sl->w);
    free(sl->vals);
    free(sl);
}

/* ---- run ----------------------------------------------------------------- */

static const struct sql_value *key_of(void *ctx, int32_t e)
{
    const struct win_state *w = ctx;
    return &w->keys[(size_t)e * (size_t)w->def->npart];
}

/* The ring of the row's partition key; NULL with *limited, or on error. */
static struct ring *ring_for(struct sql_query *q, struct win_state *w, const struct sql_value *row, int *limited,
                             struct sql_error *err)
{
    struct sql_value key[64];
    int np = w->def->npart;
    if (np > 64)
        return sql_error_set(err, w->def->line, w->def->col, "at most 64 PARTITION BY expressions"), NULL;
    for (int k = 0; k < np; k++)
        if (sql_eval(w->def->part[k], row, &q->scratch, &key[k], err) < 0)
            return NULL;
    uint64_t h = sql_hash_tuple(key, np);
    size_t slot;
    int32_t e = sql_vtab_find(&w->index, h, key, np, key_of, w, &slot);
    if (e >= 0)
        return &w->rings[e];
    if (e == -2)
        return sql_error_set(err, 1, 1, "out of memory"), NULL;
    int64_t open = 0;
    for (int i = 0; i < q->sliding->nw; i++)
        open += q->sliding->w[i].nkeys;
    if (q->max_groups > 0 && open >= q->max_groups) {
        *limited = 1;
        return NULL;
    }
    if (w->nkeys == w->capkeys) {
        int cap = w->capkeys ? w->capkeys * 2 : 64;
        struct sql_value *nk = realloc(w->keys, sizeof *nk * (size_t)cap * (size_t)(np ? np : 1));
        if (nk)
            w->keys = nk;
        struct ring *nr = nk ? realloc(w->rings, sizeof *nr * (size_t)cap) : NULL;
        if (!nr)
            return sql_error_set(err, 1, 1, "out of memory"), NULL;
        w->rings = nr;
        w->capkeys = cap;
    }
    for (int k = 0; k < np; k++)
        if (sql_keep(&w->arena, &w->keys[(size_t)w->nkeys * (size_t)np + (size_t)k], &key[k]) < 0)
            return sql_error_set(err, 1, 1, "out of memory"), NULL;
    memset(&w->rings[w->nkeys], 0, sizeof *w->rings);
    sql_vtab_insert(&w->index, slot, h, w->nkeys);
    q->open_groups++;
    return &w->rings[w->nkeys++];
}

static struct entry *at(const struct ring *r, int i) { return &r->e[(r->head + i) % r->cap]; }
static struct sql_value *vals_at(const struct ring *r, int i, int nargs)
{
    return &r->v[(size_t)((r->head + i) % r->cap) * (size_t)nargs];
}

static int push_entry(struct ring *r, int nargs, const struct entry *en, const struct sql_value *v)
{
    if (r->n == r->cap) { /* grow, unrolling the ring */
        int cap = r->cap ? r->cap * 2 : 8;
        struct entry *ne = malloc(sizeof *ne * (size_t)cap);
        struct sql_value *nv = malloc(sizeof *nv * (size_t)cap * (size_t)(nargs ? nargs : 1));
        if (!ne || !nv) {
            free(ne);
            free(nv);
            return -1;
        }
        for (int i = 0; i < r->n; i++) {
            ne[i] = *at(r, i);
            memcpy(&nv[(size_t)i * (size_t)nargs], vals_at(r, i, nargs), sizeof *nv * (size_t)nargs);
        }
        free(r->e);
        free(r->v);
        r->e = ne;
        r->v = nv;
        r->head = 0;
        r->cap = cap;
    }
    int i = (r->head + r->n) % r->cap;
    r->e[i] = *en;
    memcpy(&r->v[(size_t)i * (size_t)nargs], v, sizeof *v * (size_t)nargs);
    r->n++;
    return 0;
}

/* One aggregate over the ring's entries [from, n) within [lo, hi] ms. */
static void fold(const struct agg_def *a, const struct ring *r, int arg, int nargs, int64_t lo, int64_t hi,
                 struct sql_value *out)
{
    int64_t count = 0, isum = 0, mts = 0;
    double dsum = 0, comp = 0;
    int int_ok = 1;
    struct sql_value m = {.type = SQL_NULL};
    for (int i = 0; i < r->n; i++) {
        const struct entry *e = at(r, i);
        if (e->ts < lo || e->ts > hi)
            continue;
        if (a->kind == A_COUNT_STAR) {
            count++;
            continue;
        }
        const struct sql_value *v = &vals_at(r, i, nargs)[arg];
        if (v->type == SQL_NULL)
            continue;
        count++;
        switch (a->kind) {
        case A_SUM:
        case A_AVG: {
            double d = v->type == SQL_INT ? (double)v->u.i : v->u.d;
            if (v->type != SQL_INT || __builtin_add_overflow(isum, v->u.i, &isum))
                int_ok = 0;
            double t = dsum + d; /* Neumaier */
            comp += fabs(dsum) >= fabs(d) ? (dsum - t) + d : (d - t) + dsum;
            dsum = t;
            break;
        }
        case A_MIN:
        case A_MAX:
            if (m.type == SQL_NULL || (a->kind == A_MIN ? sql_value_compare(v, &m) < 0 : sql_value_compare(v, &m) > 0))
                m = *v;
            break;
        case A_FIRST:
            if (m.type == SQL_NULL || e->ts < mts)
                m = *v, mts = e->ts;
            break;
        case A_LAST:
            if (m.type == SQL_NULL || e->ts > mts)
                m = *v, mts = e->ts;
            break;
        default:
            break;
        }
    }
    out->type = SQL_NULL;
    switch (a->kind) {
    case A_COUNT:
    case A_COUNT_STAR:
        out->type = SQL_INT;
        out->u.i = count;
        break;
    case A_SUM:
        if (!count)
            break;
        if (int_ok && a->arg->type == SQL_INT) {
            out->type = SQL_INT;
            out->u.i = isum;
        } else {
            out->type = SQL_DOUBLE;
            out->u.d = dsum + comp;
        }
        break;
    case A_AVG:
        if (count) {
            out->type = SQL_DOUBLE;
            out->u.d = (dsum + comp) / (double)count;
        }
        break;
    default:
        *out = m;
    }
}

int sql_sliding_push(struct sql_query *q, const struct sql_value *row, struct sql_push *r, struct sql_error *err)
{
    struct sliding *sl = q->sliding;
    int64_t ts = 0;
    int ranged = 0;
    for (int i = 0; i < sl->nw; i++)
        ranged |= !sl->w[i].def->rows;
    const struct sql_value *t = q->time_slot >= 0 ? &row[q->time_slot] : NULL;
    if (t && t->type == SQL_TIMESTAMP)
        ts = t->u.ts;
    if (ranged && (!t || t->type != SQL_TIMESTAMP)) {
        r->no_time = 1;
        return 0;
    }
    if (ranged && ts < q->closed) { /* its window may have lost rows to the watermark */
        r->late = 1;
        r->late_start = ts;
        r->late_end = ts;
        return 0;
    }
    for (int i = 0; i < sl->nw; i++) {
        struct win_state *w = &sl->w[i];
        int limited = 0;
        struct ring *rg = ring_for(q, w, row, &limited, err);
        if (!rg) {
            if (limited)
                r->limited = 1;
            return limited ? 0 : -1;
        }
        struct sql_value args[64];
        if (w->naggs > 64)
            return sql_error_set(err, 1, 1, "at most 64 aggregates over one window"), -1;
        for (int k = 0; k < w->naggs; k++)
            args[k] = q->argv ? q->argv[w->aggs[k]] : (struct sql_value){0};
        struct entry en = {ts, q->cur_off, q->cur_aux};
        if (w->def->rows)
            while (rg->n > w->def->size) { /* this row and its n predecessors */
                rg->head = (rg->head + 1) % rg->cap;
                rg->n--;
            }
        if (push_entry(rg, w->naggs, &en, args) < 0)
            return sql_error_set(err, 1, 1, "out of memory"), -1;
        int64_t lo = w->def->rows ? INT64_MIN : ts - w->def->size, hi = w->def->rows ? INT64_MAX : ts;
        for (int k = 0; k < w->naggs; k++)
            fold(&q->aggs[w->aggs[k]], rg, k, w->naggs, lo, hi, &sl->vals[w->aggs[k]]);
    }
    /* the output row: the input's columns, then each aggregate's value */
    struct sql_value ctx[512 + 256];
    if (q->cols.n + q->naggs > (int)(sizeof ctx / sizeof *ctx))
        return sql_error_set(err, 1, 1, "too many columns"), -1;
    memcpy(ctx, row, sizeof *ctx * (size_t)q->cols.n);
    memcpy(ctx + q->cols.n, sl->vals, sizeof *ctx * (size_t)q->naggs);
    q->cur_start = q->cur_end = 0;
    if (sql_push_row(q, ctx, err) < 0)
        return -1;
    r->accepted = 1;
    return 0;
}

void sql_sliding_advance(struct sql_query *q, int64_t watermark)
{
    struct sliding *sl = q->sliding;
    if (watermark <= q->closed)
        return;
    q->closed = watermark;
    for (int i = 0; i < sl->nw; i++) {
        struct win_state *w = &sl->w[i];
        if (w->def->rows)
            continue;
        /* a row not late has a time >= watermark: it needs nothing older than this */
        int64_t keep = watermark - w->def->size;
        for (int k = 0; k < w->nkeys; k++) {
            struct ring *rg = &w->rings[k];
            while (rg->n && at(rg, 0)->ts < keep) {
                rg->head = (rg->head + 1) % rg->cap;
                rg->n--;
            }
        }
    }
}

int sql_sliding_replay_point(const struct sql_query *q, int64_t *offset, int64_t *aux)
{
    const struct sliding *sl = q->sliding;
    int found = 0;
    for (int i = 0; i < sl->nw; i++)
        for (int k = 0; k < sl->w[i].nkeys; k++) {
            const struct ring *rg = &sl->w[i].rings[k];
            for (int j = 0; j < rg->n; j++) /* not in offset order when rows came out of order */
                if (!found++ || at(rg, j)->off < *offset) {
                    *offset = at(rg, j)->off;
                    *aux = at(rg, j)->aux;
                }
        }
    return found > 0;
}
