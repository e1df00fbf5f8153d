/* sql_stream.c - incremental evaluation of a continuous query (see sql.h,
 * "continuous queries"): rows are added as they come, windows close when
 * the caller's watermark passes them, and each closed window's groups are
 * emitted once and freed.
 *
 * One semantics with the batch engine: a window's result is computed by the
 * same aggregate states from the same rows; only the rows that arrive after
 * their window closed (late rows) are left out, and they are reported. For
 * SESSION windows a row is late when its event time is behind the
 * watermark: a session closes when the watermark passes its last event plus
 * the gap, so a row that is not late can never belong to a closed session,
 * and the sessions emitted are those batch evaluation finds over the rows
 * that were not late. */
#include "sql_query_int.h"

#include <stdlib.h>
#include <string.h>

int sql_query_window(const struct sql_query *q, int64_t *size, int64_t *advance, int64_t *grace)
{
    const struct select_ast *s = q->ast;
    if (size)
        *size = s->win_size;
    if (advance)
        *advance = s->win_advance;
    if (grace)
        *grace = s->win_grace;
    switch (s->window) {
    case WIN_TUMBLING:
        return SQL_WINDOW_TUMBLING;
    case WIN_HOPPING:
        return SQL_WINDOW_HOPPING;
    case WIN_SESSION:
        return SQL_WINDOW_SESSION;
    default:
        return SQL_WINDOW_NONE;
    }
}

int sql_query_emits_changes(const struct sql_query *q) { return q->emit_changes; }

void sql_query_set_group_error(struct sql_query *q, sql_group_error_fn fn, void *arg)
{
    q->on_group_error = fn;
    q->on_group_error_arg = arg;
}

/* Emit one group's row; a row that fails to evaluate goes to the caller's
 * handler, which may skip it (a poison group must not stop the query). */
static int emit_group(struct sql_query *q, const struct sql_value *keys, const struct agg_state *st,
                      struct sql_error *err)
{
    struct sql_error e = {0};
    if (sql_emit_group(q, keys, st, &e) == 0)
        return 0;
    if (q->on_group_error && q->on_group_error(q->on_group_error_arg, keys, q->nkeys, &e) == 0)
        return 0;
    *err = e;
    return -1;
}
void sql_query_set_group_limit(struct sql_query *q, int64_t max_groups) { q->max_groups = max_groups; }
int64_t sql_query_open_groups(const struct sql_query *q) { return q->open_groups; }
int64_t sql_query_closed(const struct sql_query *q) { return q->closed; }

void sql_query_current_window(const struct sql_query *q, int64_t *start, int64_t *end)
{
    *start = q->cur_start;
    *end = q->cur_end;
}

/* The open window starting at start, created (in start order) when missing. */
static struct gtable *window_at(struct sql_query *q, int64_t start)
{
    int lo = 0, hi = q->nwins;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (q->wins[mid]->start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < q->nwins && q->wins[lo]->start == start)
        return q->wins[lo];
    if (q->nwins == q->capwins) {
        int cap = q->capwins ? q->capwins * 2 : 8;
        struct gtable **nw = realloc(q->wins, sizeof *nw * (size_t)cap);
        if (!nw)
            return NULL;
        q->wins = nw;
        q->capwins = cap;
    }
    struct gtable *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->start = start;
    t->replay_off = q->cur_off;
    t->replay_aux = q->cur_aux;
    memmove(&q->wins[lo + 1], &q->wins[lo], sizeof *q->wins * (size_t)(q->nwins - lo));
    q->wins[lo] = t;
    q->nwins++;
    return t;
}

static void note_late(struct sql_push *r, int64_t start, int64_t end)
{
    if (r->late++ == 0) {
        r->late_start = start;
        r->late_end = end;
    }
}

int sql_query_push(struct sql_query *q, const struct sql_value *row, int64_t offset, int64_t aux, struct sql_push *r,
                   struct sql_error *err)
{
    memset(r, 0, sizeof *r);
    q->cur_off = offset;
    q->cur_aux = aux;
    struct sql_value key[SQL_MAX_GROUP + 1];
    int rc = sql_row_key(q, row, key, err);
    if (rc <= 0)
        return rc;
    if (q->sliding)
        return sql_sliding_push(q, row, r, err);
    if (!q->aggregated) { /* a filter/projection: every row is a result */
        q->cur_start = q->cur_end = 0;
        if (sql_push_row(q, row, err) < 0)
            return -1;
        r->accepted = 1;
        return 0;
    }
    const struct sql_value *t = &row[q->time_slot];
    if (t->type != SQL_TIMESTAMP) {
        r->no_time = 1;
        return 0;
    }
    int64_t ts = t->u.ts, size = q->ast->win_size;
    int n = q->ast->ngroup;
    if (q->ast->window == WIN_SESSION) {
        if (ts < q->closed) {
            note_late(r, ts, ts + size);
            return 0;
        }
        int skipped;
        q->t = &q->all;
        if (!sql_add_to_session(q, key, row, &skipped, err)) {
            if (skipped == 2)
                r->limited = 1;
            return skipped ? 0 : -1;
        }
        r->accepted = 1;
        return 0;
    }
    for (int64_t start = sql_window_last_start(q, ts); start > ts - size; start -= q->ast->win_advance) {
        if (start + size <= q->closed) {
            note_late(r, start, start + size);
            continue;
        }
        struct gtable *w = window_at(q, start);
        if (!w) {
            sql_error_set(err, 1, 1, "out of memory (%d open windows)", q->nwins);
            return -1;
        }
        q->t = w;
        q->agg_arena = &w->arena;
        key[n].type = SQL_TIMESTAMP;
        key[n].u.ts = start;
        int g = sql_find_group(q, key, n + 1, err);
        if (g == -2) {
            r->limited = 1;
            continue;
        }
        if (g < 0 || sql_update(q, w->groups[g].st, g, row, err) < 0)
            return -1;
        w->groups[g].dirty = 1;
        r->accepted++;
    }
    return 0;
}

/* Emit (when asked) and free the open window wins[0]. */
static int close_first_window(struct sql_query *q, int emit, struct sql_error *err)
{
    struct gtable *w = q->wins[0];
    q->t = w;
    q->cur_start = w->start;
    q->cur_end = w->start + q->ast->win_size;
    int rc = 0;
    for (int g = 0; g < w->ngroups && rc == 0; g++)
        if (emit && (!q->emit_changes || w->groups[g].dirty))
            rc = emit_group(q, w->groups[g].key, w->groups[g].st, err);
    q->open_groups -= w->ngroups;
    q->t = &q->all;
    sql_gtable_release(q, w);
    free(w);
    memmove(&q->wins[0], &q->wins[1], sizeof *q->wins * (size_t)(q->nwins - 1));
    q->nwins--;
    return rc;
}

/* Emit (when asked) and free the sessions of every key that closed: a
 * session closes when the watermark passes its last event plus the gap.
 * Returns how many closed, or -1. Each session of each key is looked at,
 * so the scan is skipped while the watermark is below q->sess_due (no
 * session can close yet): with events in time order the watermark moves
 * with nearly every event, and a session closes only after its gap. */
static int close_sessions(struct sql_query *q, int64_t watermark, int emit, struct sql_error *err)
{
    if (watermark <= q->sess_due)
        return 0;
    struct gtable *t = &q->all;
    int64_t gap = q->ast->stagger ? 0 : q->ast->win_size; /* a stagger window's end is its close */
    int64_t due = INT64_MAX;
    int ng = q->ast->ngroup, closed = 0;
    struct sql_value keys[SQL_MAX_GROUP + 2];
    q->t = t;
    for (int g = 0; g < t->ngroups; g++) {
        struct sessions *ss = &t->sess[g];
        int k = 0;
        for (; k < ss->n && ss->s[k].end + gap < watermark; k++) {
            struct session *se = &ss->s[k];
            if (emit) {
                memcpy(keys, t->groups[g].key, sizeof *keys * (size_t)ng);
                keys[ng] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->start};
                keys[ng + 1] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = se->end};
                q->cur_start = se->start;
                q->cur_end = se->end;
                if (emit_group(q, keys, se->st, err) < 0)
                    return -1;
            }
            sql_free_states(q, se->st);
            sql_arena_free(&se->arena);
            q->open_groups--;
        }
        if (k) {
            memmove(&ss->s[0], &ss->s[k], sizeof *ss->s * (size_t)(ss->n - k));
            ss->n -= k;
            closed += k;
        }
        for (int i = 0; i < ss->n; i++) /* sorted by start, not by end: every one */
            if (ss->s[i].end + gap < due)
                due = ss->s[i].end + gap;
    }
    q->sess_due = due;
    return closed;
}

/* Forget the keys whose sessions all closed: a stream of ever new keys
 * (a million unicorns over a year) must not grow the table, nor the scan
 * in close_sessions, without bound. Rebuilds the table with the keys that
 * still have a session once those are fewer than half (amortised O(1) per
 * key). The sessions move over as they are. */
static int compact_sessions(struct sql_query *q, struct sql_error *err)
{
    struct gtable *t = &q->all, nt = {0};
    int live = 0;
    for (int g = 0; g < t->ngroups; g++)
        live += t->sess[g].n > 0;
    if (t->ngroups < 1024 || live * 2 > t->ngroups)
        return 0;
    int ng = q->ast->ngroup, rc = 0;
    int64_t limit = q->max_groups;
    nt.capgroups = live > 32 ? live * 2 : 64;
    nt.groups = malloc(sizeof *nt.groups * (size_t)nt.capgroups);
    nt.sess = calloc((size_t)nt.capgroups, sizeof *nt.sess);
    int *from = malloc(sizeof *from * (size_t)(live ? live : 1)); /* new group -> old group */
    if (!nt.groups || !nt.sess || !from) {
        sql_error_set(err, 1, 1, "out of memory");
        rc = -1;
        goto out;
    }
    q->t = &nt;
    q->max_groups = 0; /* these keys are not new: no limit applies */
    for (int g = 0; g < t->ngroups && rc == 0; g++) {
        if (t->sess[g].n == 0)
            continue;
        int k = sql_find_group(q, t->groups[g].key, ng, err); /* the key copied into nt's arena */
        if (k < 0) {
            rc = -1;
            break;
        }
        from[k] = g;
        nt.sess[k] = t->sess[g];
        t->sess[g] = (struct sessions){0};
    }
    q->max_groups = limit;
    q->t = &q->all;
    if (rc < 0) { /* out of memory: the sessions go back where they were */
        for (int k = 0; k < nt.ngroups; k++) {
            t->sess[from[k]] = nt.sess[k];
            nt.sess[k] = (struct sessions){0};
        }
        goto out;
    }
    sql_gtable_release(q, t); /* the keys without sessions, and the old arena */
    *t = nt;
    nt = (struct gtable){0};
out:
    sql_gtable_release(q, &nt);
    free(from);
    return rc;
}

int sql_query_advance(struct sql_query *q, int64_t watermark, int emit, struct sql_error *err)
{
    if (q->sliding) {
        sql_sliding_advance(q, watermark);
        return 0;
    }
    if (!q->aggregated || watermark <= q->closed)
        return 0;
    q->closed = watermark;
    if (q->ast->window == WIN_SESSION) {
        int closed = close_sessions(q, watermark, emit, err);
        return closed < 0 ? -1 : closed > 0 ? compact_sessions(q, err) : 0;
    }
    while (q->nwins > 0 && q->wins[0]->start + q->ast->win_size <= watermark)
        if (close_first_window(q, emit, err) < 0)
            return -1;
    return 0;
}

int sql_query_flush_changes(struct sql_query *q, int emit, struct sql_error *err)
{
    if (!q->emit_changes)
        return 0;
    for (int i = 0; i < q->nwins; i++) {
        struct gtable *w = q->t = q->wins[i];
        q->cur_start = w->start;
        q->cur_end = w->start + q->ast->win_size;
        for (int g = 0; g < w->ngroups; g++) {
            if (!w->groups[g].dirty)
                continue;
            w->groups[g].dirty = 0;
            if (emit && emit_group(q, w->groups[g].key, w->groups[g].st, err) < 0)
                return -1;
        }
    }
    q->t = &q->all;
    return 0;
}

int sql_query_replay_point(const struct sql_query *q, int64_t *offset, int64_t *aux)
{
    if (q->sliding)
        return sql_sliding_replay_point(q, offset, aux);
    int found = 0;
    for (int i = 0; i < q->nwins; i++)
        if (!found++ || q->wins[i]->replay_off < *offset) {
            *offset = q->wins[i]->replay_off;
            *aux = q->wins[i]->replay_aux;
        }
    const struct gtable *t = &q->all;
    for (int g = 0; t->sess && g < t->ngroups; g++)
        for (int k = 0; k < t->sess[g].n; k++)
            if (!found++ || t->sess[g].s[k].replay_off < *offset) {
                *offset = t->sess[g].s[k].replay_off;
                *aux = t->sess[g].s[k].replay_aux;
            }
    return found > 0;
}

int sql_query_open_windows(const struct sql_query *q)
{
    if (q->ast->window != WIN_SESSION)
        return q->nwins;
    return (int)q->open_groups;
}
