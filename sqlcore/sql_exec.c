/* sql_exec.c - running a compiled query over a finite input: hash
 * aggregation into group tables, SESSION windows, the result rows, and
 * sorting, DISTINCT and LIMIT at the end (see sql.h). The incremental
 * evaluation in sql_stream.c reuses the steps declared in sql_query_int.h. */
#include "sql_query_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- group tables ------------------------------------------------------------ */

const char *const sql_agg_names[] = {"COUNT", "COUNT", "SUM", "AVG", "MIN", "MAX", "FIRST", "LAST", "PERCENTILE"};

/* Copy a value so it outlives the row it came from (strings into arena a). */
int sql_keep(struct sql_arena *a, struct sql_value *dst, const struct sql_value *src)
{
    *dst = *src;
    if (src->type == SQL_STRING) {
        char *s = sql_arena_strndup(a, src->u.str.s, src->u.str.len);
        if (!s)
            return -1;
        dst->u.str.s = s;
    }
    return 0;
}

struct agg_state *sql_new_states(const struct sql_query *q)
{
    struct agg_state *st = calloc((size_t)(q->naggs ? q->naggs : 1), sizeof *st);
    for (int i = 0; st && i < q->naggs; i++)
        st[i].int_sum_ok = 1;
    return st;
}

void sql_free_states(const struct sql_query *q, struct agg_state *st)
{
    for (int i = 0; st && i < q->naggs; i++)
        free(st[i].vals);
    free(st);
}

static void free_sessions(const struct sql_query *q, struct sessions *ss)
{
    for (int k = 0; k < ss->n; k++) {
        sql_free_states(q, ss->s[k].st);
        sql_arena_free(&ss->s[k].arena);
    }
    free(ss->s);
    memset(ss, 0, sizeof *ss);
}

void sql_gtable_release(const struct sql_query *q, struct gtable *t)
{
    sql_vtab_free(&t->gindex);
    sql_vtab_free(&t->dindex);
    for (int i = 0; i < t->ngroups; i++) {
        sql_free_states(q, t->groups[i].st);
        if (t->sess)
            free_sessions(q, &t->sess[i]);
    }
    free(t->sess);
    free(t->groups);
    free(t->dvals);
    sql_arena_free(&t->arena);
    memset(t, 0, sizeof *t);
}

void sql_query_free(struct sql_query *q)
{
    if (!q)
        return;
    sql_gtable_release(q, &q->all);
    for (int i = 0; i < q->nwins; i++) {
        sql_gtable_release(q, q->wins[i]);
        free(q->wins[i]);
    }
    free(q->wins);
    sql_sliding_free(q->sliding);
    free(q->rows);
    sql_scratch_free(&q->scratch);
    sql_arena_free(&q->arena);
    free(q);
}

/* ---- execution ------------------------------------------------------------- */

static const struct sql_value *group_key(void *ctx, int32_t e) { return ((struct sql_query *)ctx)->t->groups[e].key; }
static const struct sql_value *dval_key(void *ctx, int32_t e) { return &((struct sql_query *)ctx)->t->dvals[e * 3]; }

int sql_find_group(struct sql_query *q, const struct sql_value *key, int n, struct sql_error *err)
{
    struct gtable *t = q->t;
    uint64_t h = sql_hash_tuple(key, n);
    size_t slot;
    int32_t g = sql_vtab_find(&t->gindex, h, key, n, group_key, q, &slot);
    if (g >= 0)
        return g;
    if (g == -2)
        goto oom;
    if (q->max_groups > 0 && q->open_groups >= q->max_groups) {
        sql_error_set(err, 1, 1, "open-group limit reached (%lld groups)", (long long)q->open_groups);
        return -2;
    }
    if (t->ngroups == t->capgroups) {
        int cap = t->capgroups ? t->capgroups * 2 : 64;
        struct group *ng = realloc(t->groups, sizeof *ng * (size_t)cap);
        if (!ng)
            goto oom;
        t->groups = ng;
        if (q->ast->window == WIN_SESSION) {
            struct sessions *ns = realloc(t->sess, sizeof *ns * (size_t)cap);
            if (!ns)
                goto oom;
            memset(ns + t->capgroups, 0, sizeof *ns * (size_t)(cap - t->capgroups));
            t->sess = ns;
        }
        t->capgroups = cap;
    }
    struct group *gr = &t->groups[t->ngroups];
    memset(gr, 0, sizeof *gr);
    gr->key = sql_arena_alloc(&t->arena, sizeof *gr->key * (size_t)(n ? n : 1));
    gr->st = q->ast->window == WIN_SESSION ? NULL : sql_new_states(q);
    if (!gr->key || (!gr->st && q->ast->window != WIN_SESSION))
        goto oom;
    for (int i = 0; i < n; i++)
        if (sql_keep(&t->arena, &gr->key[i], &key[i]) < 0) {
            sql_free_states(q, gr->st);
            goto oom;
        }
    sql_vtab_insert(&t->gindex, slot, h, t->ngroups);
    if (q->ast->window != WIN_SESSION)
        q->open_groups++;
    return t->ngroups++;
oom:
    sql_error_set(err, 1, 1, "out of memory (%d groups)", t->ngroups);
    return -1;
}

/* COUNT(DISTINCT x): is (aggregate, group, x) new? 1 yes, 0 no, -1 error. */
static int first_sighting(struct sql_query *q, int agg, int group, const struct sql_value *v)
{
    struct gtable *t = q->t;
    struct sql_value key[3] = {{.type = SQL_INT, .u.i = agg}, {.type = SQL_INT, .u.i = group}, *v};
    uint64_t h = sql_hash_tuple(key, 3);
    size_t slot;
    int32_t e = sql_vtab_find(&t->dindex, h, key, 3, dval_key, q, &slot);
    if (e >= 0)
        return 0;
    if (e == -2)
        return -1;
    if (t->ndvals == t->capdvals) {
        int cap = t->capdvals ? t->capdvals * 2 : 256;
        struct sql_value *nd = realloc(t->dvals, sizeof *nd * 3 * (size_t)cap);
        if (!nd)
            return -1;
        t->dvals = nd;
        t->capdvals = cap;
    }
    struct sql_value *d = &t->dvals[t->ndvals * 3];
    d[0] = key[0];
    d[1] = key[1];
    if (sql_keep(&t->arena, &d[2], v) < 0)
        return -1;
    sql_vtab_insert(&t->dindex, slot, h, t->ndvals++);
    return 1;
}

static void add_double(struct agg_state *st, double x)
{
    double t = st->dsum + x;
    if (fabs(st->dsum) >= fabs(x))
        st->dcomp += (st->dsum - t) + x;
    else
        st->dcomp += (x - t) + st->dsum;
    st->dsum = t;
}

static int push_value(struct agg_state *st, double x)
{
    if (st->nvals == st->capvals) {
        int64_t cap = st->capvals ? st->capvals * 2 : 16;
        double *nv = realloc(st->vals, sizeof *nv * (size_t)cap);
        if (!nv)
            return -1;
        st->vals = nv;
        st->capvals = cap;
    }
    st->vals[st->nvals++] = x;
    return 0;
}

int sql_update(struct sql_query *q, struct agg_state *sts, int g, const struct sql_value *row, struct sql_error *err)
{
    for (int i = 0; i < q->naggs; i++) {
        struct agg_def *a = &q->aggs[i];
        struct agg_state *st = &sts[i];
        if (a->kind == A_COUNT_STAR) {
            st->count++;
            continue;
        }
        struct sql_value v = q->argv[i];
        if (v.type == SQL_NULL)
            continue;
        switch (a->kind) {
        case A_COUNT:
            if (a->distinct) {
                int first = first_sighting(q, i, g, &v);
                if (first < 0)
                    goto oom;
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
        case A_PERCENTILE:
            if (sql_is_numeric(v.type) && push_value(st, v.type == SQL_INT ? (double)v.u.i : v.u.d) < 0)
                goto oom;
            break;
        case A_FIRST:
        case A_LAST: {
            /* by event time; on equal times the first row seen wins */
            const struct sql_value *t = &row[q->time_slot];
            if (t->type != SQL_TIMESTAMP)
                break;
            if (st->m.type == SQL_NULL || (a->kind == A_FIRST ? t->u.ts < st->mts : t->u.ts > st->mts)) {
                if (sql_keep(q->agg_arena, &st->m, &v) < 0)
                    goto oom;
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
                if (sql_keep(q->agg_arena, &st->m, &v) < 0)
                    goto oom;
            break;
        }
        default:
            break;
        }
    }
    return 0;
oom:
    sql_error_set(err, 1, 1, "out of memory");
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (x != x || y != y) /* NaN last, as sql_value_compare orders it */
        return (x != x) - (y != y);
    return (x > y) - (x < y);
}

/* Exact continuous percentile (linear interpolation between the two nearest
 * ranks), as DuckDB's quantile_cont and PostgreSQL's percentile_cont. Sorts
 * the state's values in place: order does not matter to any other use. */
static double percentile(struct agg_state *st, double fraction)
{
    qsort(st->vals, (size_t)st->nvals, sizeof *st->vals, cmp_double);
    double pos = fraction * (double)(st->nvals - 1);
    int64_t lo = (int64_t)floor(pos), hi = (int64_t)ceil(pos);
    double x = st->vals[lo], y = st->vals[hi];
    return lo == hi ? x : x + (pos - (double)lo) * (y - x);
}

static void agg_result(const struct sql_query *q, int i, const struct agg_state *cst, struct sql_value *out)
{
    const struct agg_def *a = &q->aggs[i];
    struct agg_state *st = (struct agg_state *)cst; /* PERCENTILE sorts its values */
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
        if (a->arg->type == SQL_INT && st->int_sum_ok) {
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
    case A_PERCENTILE:
        if (st->nvals) {
            out->type = SQL_DOUBLE;
            out->u.d = percentile(st, a->fraction);
        }
        return;
    default:
        *out = st->m;
    }
}

int sql_push_row(struct sql_query *q, const struct sql_value *ctx, struct sql_error *err)
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
    if (q->streaming || q->incremental) {
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
        if (sql_keep(&q->arena, &r->v[i], &vals[i]) < 0)
            goto oom;
    r->seq = q->nrows++;
    return 0;
oom:
    sql_error_set(err, 1, 1, "out of memory (%lld result rows)", (long long)q->nrows);
    return -1;
}

int sql_emit_group(struct sql_query *q, const struct sql_value *keys, const struct agg_state *st,
                   struct sql_error *err)
{
    struct sql_value ctx[512];
    int ng = q->nkeys;
    if (ng + q->naggs > 512) {
        sql_error_set(err, 1, 1, "too many aggregates");
        return -1;
    }
    sql_scratch_reset(&q->scratch);
    for (int i = 0; i < ng; i++)
        ctx[i] = keys[i];
    for (int i = 0; i < q->naggs; i++)
        agg_result(q, i, &st[i], &ctx[ng + i]);
    if (q->having) {
        struct sql_value h;
        if (sql_eval(q->having, ctx, &q->scratch, &h, err) < 0)
            return -1;
        if (sql_value_truthy(&h) != 1)
            return 0;
    }
    return sql_push_row(q, ctx, err);
}

/* Fold b into a (sessions that an event joined); b's strings must outlive a
 * (the caller moves b's arena into a's). */
static int merge_states(const struct sql_query *q, struct agg_state *a, const struct agg_state *b)
{
    for (int i = 0; i < q->naggs; i++) {
        struct agg_state *x = &a[i];
        const struct agg_state *y = &b[i];
        x->count += y->count;
        add_double(x, y->dsum);
        x->dcomp += y->dcomp;
        if (!y->int_sum_ok || (x->int_sum_ok && __builtin_add_overflow(x->isum, y->isum, &x->isum)))
            x->int_sum_ok = 0;
        for (int64_t k = 0; k < y->nvals; k++)
            if (push_value(x, y->vals[k]) < 0)
                return -1;
        enum agg_kind kd = q->aggs[i].kind;
        if ((kd == A_FIRST || kd == A_LAST) && y->m.type != SQL_NULL) {
            if (x->m.type == SQL_NULL || (kd == A_FIRST ? y->mts < x->mts : y->mts > x->mts)) {
                x->m = y->m;
                x->mts = y->mts;
            }
        } else if (y->m.type != SQL_NULL) {
            int c = x->m.type == SQL_NULL ? 0 : sql_value_compare(&y->m, &x->m);
            if (x->m.type == SQL_NULL || (kd == A_MIN ? c < 0 : c > 0))
                x->m = y->m;
        }
    }
    return 0;
}

/* WINDOWED BY STAGGER: a row joins its key's window that opened at or
 * before it and has not run its length (start <= ts < end = start + size),
 * else opens one at its own time. Windows never merge. */
static struct session *stagger_window(struct sql_query *q, struct sessions *ss, int64_t ts, struct sql_error *err)
{
    int64_t size = q->ast->win_size;
    int insert = ss->n;
    for (int i = ss->n - 1; i >= 0; i--) {
        if (ss->s[i].start <= ts && ts < ss->s[i].end)
            return &ss->s[i];
        if (ss->s[i].start > ts)
            insert = i;
    }
    if (q->max_groups > 0 && q->open_groups >= q->max_groups)
        return NULL;
    if (ss->n == ss->cap) {
        int cap = ss->cap ? ss->cap * 2 : 4;
        struct session *ns = realloc(ss->s, sizeof *ns * (size_t)cap);
        if (!ns)
            goto oom;
        ss->s = ns;
        ss->cap = cap;
    }
    struct agg_state *st = sql_new_states(q);
    if (!st)
        goto oom;
    memmove(&ss->s[insert + 1], &ss->s[insert], sizeof *ss->s * (size_t)(ss->n - insert));
    ss->s[insert] = (struct session){.start = ts, .end = ts + size, .st = st, .replay_off = q->cur_off,
                                     .replay_aux = q->cur_aux};
    ss->n++;
    if (ts + size < q->sess_due) /* it closes when the watermark passes its end */
        q->sess_due = ts + size;
    q->open_groups++;
    return &ss->s[insert];
oom:
    sql_error_set(err, 1, 1, "out of memory");
    return NULL;
}

struct session *sql_add_to_session(struct sql_query *q, const struct sql_value *key, const struct sql_value *row,
                                   int *skipped, struct sql_error *err)
{
    const struct sql_value *t = &row[q->time_slot];
    *skipped = 0;
    if (t->type != SQL_TIMESTAMP) {
        *skipped = 1;
        return NULL;
    }
    int64_t ts = t->u.ts, gap = q->ast->win_size;
    int g = sql_find_group(q, key, q->ast->ngroup, err);
    if (g < 0) {
        *skipped = g == -2 ? 2 : 0;
        return NULL;
    }
    struct sessions *ss = &q->t->sess[g];
    if (q->ast->stagger) {
        struct session *w = stagger_window(q, ss, ts, err);
        if (!w) {
            *skipped = q->max_groups > 0 && q->open_groups >= q->max_groups ? 2 : 0;
            return NULL;
        }
        q->agg_arena = &w->arena;
        return sql_update(q, w->st, -1, row, err) < 0 ? NULL : w;
    }
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
        if (insert == 0)
            for (insert = 0; insert < ss->n && ss->s[insert].start < ts; insert++)
                ;
        if (q->max_groups > 0 && q->open_groups >= q->max_groups) {
            sql_error_set(err, 1, 1, "open-group limit reached (%lld sessions)", (long long)q->open_groups);
            *skipped = 2;
            return NULL;
        }
        if (ss->n == ss->cap) {
            int cap = ss->cap ? ss->cap * 2 : 4;
            struct session *ns = realloc(ss->s, sizeof *ns * (size_t)cap);
            if (!ns)
                goto oom;
            ss->s = ns;
            ss->cap = cap;
        }
        struct agg_state *st = sql_new_states(q);
        if (!st)
            goto oom;
        memmove(&ss->s[insert + 1], &ss->s[insert], sizeof *ss->s * (size_t)(ss->n - insert));
        ss->s[insert] = (struct session){.start = ts, .end = ts, .st = st,
                                         .replay_off = q->cur_off, .replay_aux = q->cur_aux};
        ss->n++;
        if (ts + gap < q->sess_due) /* it closes when the watermark passes its end + gap; a session's
                                     * end only grows (extended, merged), so the bound holds */
            q->sess_due = ts + gap;
        q->open_groups++;
        target = &ss->s[insert];
    } else {
        target = &ss->s[lo];
        for (int i = lo + 1; i <= hi; i++) { /* the event bridges sessions: one session now */
            struct session *o = &ss->s[i];
            if (merge_states(q, target->st, o->st) < 0)
                goto oom;
            if (o->end > target->end)
                target->end = o->end;
            if (o->replay_off < target->replay_off) {
                target->replay_off = o->replay_off;
                target->replay_aux = o->replay_aux;
            }
            sql_arena_adopt(&target->arena, &o->arena);
            sql_free_states(q, o->st);
            q->open_groups--;
        }
        memmove(&ss->s[lo + 1], &ss->s[hi + 1], sizeof *ss->s * (size_t)(ss->n - hi - 1));
        ss->n -= hi - lo;
        if (ts < target->start)
            target->start = ts;
        if (ts > target->end)
            target->end = ts;
    }
    q->agg_arena = &target->arena;
    if (sql_update(q, target->st, -1, row, err) < 0)
        return NULL;
    return target;
oom:
    sql_error_set(err, 1, 1, "out of memory");
    return NULL;
}

/* Evaluate WHERE and the group key of a row: 1 and key[0..ngroup) filled, 0
 * when WHERE rejects the row, -1 on error. */
int sql_row_key(struct sql_query *q, const struct sql_value *row, struct sql_value *key, struct sql_error *err)
{
    sql_scratch_reset(&q->scratch);
    if (q->ref) { /* the JOINed table's columns, into the caller's row (see sql.h) */
        int rc = sql_join_row(q, (struct sql_value *)row, err);
        if (rc <= 0)
            return rc;
    }
    if (q->where) {
        struct sql_value w;
        if (sql_eval(q->where, row, &q->scratch, &w, err) < 0)
            return -1;
        if (sql_value_truthy(&w) != 1)
            return 0;
    }
    for (int i = 0; q->aggregated && i < q->ast->ngroup; i++)
        if (sql_eval(q->ast->group[i], row, &q->scratch, &key[i], err) < 0)
            return -1;
    if (q->naggs && !q->argv && !(q->argv = sql_arena_alloc(&q->arena, sizeof *q->argv * (size_t)q->naggs))) {
        sql_error_set(err, 1, 1, "out of memory");
        return -1;
    }
    for (int i = 0; i < q->naggs; i++) {
        if (q->aggs[i].kind == A_COUNT_STAR)
            continue;
        if (sql_eval(q->aggs[i].arg, row, &q->scratch, &q->argv[i], err) < 0)
            return -1;
    }
    return 1;
}

int64_t sql_window_last_start(const struct sql_query *q, int64_t ts)
{
    int64_t adv = q->ast->win_advance;
    return ts / adv * adv - (ts % adv < 0 ? adv : 0);
}

int sql_query_add(struct sql_query *q, const struct sql_value *row, struct sql_error *err)
{
    if (q->streaming && q->ast->limit >= 0 && q->emitted >= q->ast->limit)
        return 0;
    struct sql_value key[SQL_MAX_GROUP + 1];
    int rc = sql_row_key(q, row, key, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    if (!q->aggregated) {
        if (sql_push_row(q, row, err) < 0)
            return -1;
        return q->streaming && q->ast->limit >= 0 && q->emitted >= q->ast->limit ? 0 : 1;
    }
    q->t = &q->all;
    q->agg_arena = &q->all.arena;
    int n = q->ast->ngroup;
    if (!q->ast->window) {
        int g = sql_find_group(q, key, n, err);
        if (g < 0)
            return -1;
        return sql_update(q, q->all.groups[g].st, g, row, err) < 0 ? -1 : 1;
    }
    if (q->ast->window == WIN_SESSION) {
        int skipped;
        return sql_add_to_session(q, key, row, &skipped, err) || skipped == 1 ? 1 : -1;
    }
    /* Every window that contains the event: one for TUMBLING, SIZE/ADVANCE for
     * HOPPING. Window starts are multiples of ADVANCE since the epoch. */
    const struct sql_value *t = &row[q->time_slot];
    if (t->type != SQL_TIMESTAMP)
        return 1; /* no event time, no window */
    int64_t size = q->ast->win_size, ts = t->u.ts;
    for (int64_t start = sql_window_last_start(q, ts); start > ts - size; start -= q->ast->win_advance) {
        key[n].type = SQL_TIMESTAMP;
        key[n].u.ts = start;
        int g = sql_find_group(q, key, n + 1, err);
        if (g < 0 || sql_update(q, q->all.groups[g].st, g, row, err) < 0)
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
    if (q->streaming || q->incremental)
        return 0;
    if (q->aggregated) {
        struct gtable *t = q->t = &q->all;
        if (q->nkeys == 0 && t->ngroups == 0 && sql_find_group(q, NULL, 0, err) < 0) /* a global aggregate always has one row */
            return -1;
        for (int g = 0; g < t->ngroups; g++) {
            if (q->ast->window != WIN_SESSION) {
                if (sql_emit_group(q, t->groups[g].key, t->groups[g].st, err) < 0)
                    return -1;
                continue;
            }
            struct sql_value keys[SQL_MAX_GROUP + 2];
            int ng = q->ast->ngroup;
            for (int i = 0; i < ng; i++)
                keys[i] = t->groups[g].key[i];
            for (int k = 0; k < t->sess[g].n; k++) {
                const struct session *se = &t->sess[g].s[k];
                keys[ng] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->start};
                keys[ng + 1] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->end};
                if (sql_emit_group(q, keys, se->st, err) < 0)
                    return -1;
            }
        }
    }
    if (q->norder && q->nrows > 1) /* no rows: q->rows may be NULL, which qsort_r must not get */
        qsort_r(q->rows, (size_t)q->nrows, sizeof *q->rows, row_cmp, q);
    struct vtab seen = {0};
    int rc = 0;
    for (int64_t i = 0; i < q->nrows; i++) {
        if (q->ast->limit >= 0 && q->emitted >= q->ast->limit)
            break;
        if (q->ast->distinct) {
            uint64_t h = sql_hash_tuple(q->rows[i].v, q->nout);
            size_t slot;
            int32_t e = sql_vtab_find(&seen, h, q->rows[i].v, q->nout, row_key, q, &slot);
            if (e == -2) {
                sql_error_set(err, 1, 1, "out of memory");
                rc = -1;
                break;
            }
            if (e >= 0)
                continue;
            sql_vtab_insert(&seen, slot, h, (int32_t)i);
        }
        q->emitted++;
        if (q->emit && q->emit(q->emit_arg, q->rows[i].v, q->nout) < 0) {
            rc = -1;
            break;
        }
    }
    sql_vtab_free(&seen);
    return rc;
}
