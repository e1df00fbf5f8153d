/* pstate.c - one source partition's continuous queries, watermarks and
 * replay (see pstate.h for the design). */
#include "pstate_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *input_of(const struct pstate_conf *c, int stream)
{
    return c->inputs ? c->inputs[stream] : sql_script_stream(c->script, stream)->source_topic;
}

static int add_column(struct pstate *ps, const char *name)
{
    for (int i = 0; i < ps->ncols; i++)
        if (strcmp(ps->cols[i], name) == 0)
            return i;
    if (ps->ncols == MAX_COLS)
        return -1;
    ps->cols[ps->ncols] = name;
    return ps->ncols++;
}

static int emit_row(void *arg, const struct sql_value *v, int n);
static int group_failed(void *arg, const struct sql_value *keys, int nkeys, const struct sql_error *e);

struct pstate *pstate_new(const struct pstate_conf *conf, const struct pstate_sink *sink, int64_t committed,
                          const char *meta, const char **warning, char *err, size_t errlen)
{
    *warning = NULL;
    struct pstate *ps = calloc(1, sizeof *ps);
    if (!ps)
        goto oom;
    ps->conf = *conf;
    ps->sink = *sink;
    ps->max_ts = NONE;
    ps->next = committed;
    ps->replay_end = committed;
    ps->resume_off = committed;
    ps->resume_aux = NONE;
    int n = sql_script_nstreams(conf->script);
    for (int i = 0; i < n && !ps->schema; i++) {
        const struct sql_stream_def *d = sql_script_stream(conf->script, i);
        if (strcmp(input_of(conf, i), conf->topic) == 0 || strcmp(d->source_topic, conf->topic) == 0)
            ps->schema = sql_script_source_schema(conf->script, d->source_topic);
    }
    if (!ps->schema) {
        snprintf(err, errlen, "no stream reads topic '%s'", conf->topic);
        free(ps);
        return NULL;
    }
    ps->inst = calloc((size_t)n, sizeof *ps->inst);
    ps->fwd = calloc((size_t)n, sizeof *ps->fwd);
    if (!ps->inst || !ps->fwd)
        goto oom;
    for (int i = 0; i < n; i++) {
        const struct sql_stream_def *d = sql_script_stream(conf->script, i);
        if (strcmp(input_of(conf, i), d->source_topic) != 0 && strcmp(d->source_topic, conf->topic) == 0) {
            struct forwarder *f = &ps->fwd[ps->nfwd++];
            struct sql_error e;
            f->stream = i;
            if (!(f->q = sql_script_instance(conf->script, i, &e))) {
                snprintf(err, errlen, "%s", e.msg);
                goto fail;
            }
            f->ncols = sql_query_ncolumns(f->q);
            for (int k = 0; k < f->ncols; k++)
                if ((f->map[k] = add_column(ps, sql_query_columns(f->q)[k])) < 0) {
                    snprintf(err, errlen, "the queries on '%s' read more than %d columns", conf->topic, MAX_COLS);
                    goto fail;
                }
            continue;
        }
        if (strcmp(input_of(conf, i), conf->topic) != 0)
            continue;
        ps->internal |= strcmp(d->source_topic, conf->topic) != 0;
        ps->merged = ps->internal && !conf->processing_time;
        struct instance *in = &ps->inst[ps->ninst++];
        struct sql_error e;
        in->ps = ps;
        in->stream = i;
        in->restore = NONE;
        if (!(in->q = sql_script_instance(conf->script, i, &e))) {
            snprintf(err, errlen, "%s", e.msg);
            goto fail;
        }
        sql_query_set_output(in->q, emit_row, in);
        sql_query_set_group_error(in->q, group_failed, in);
        sql_query_set_group_limit(in->q, conf->max_groups);
        sql_query_window(in->q, NULL, NULL, &in->grace);
        in->ncols = sql_query_ncolumns(in->q);
        for (int k = 0; k < in->ncols; k++)
            if ((in->map[k] = add_column(ps, sql_query_columns(in->q)[k])) < 0) {
                snprintf(err, errlen, "the queries on '%s' read more than %d columns", conf->topic, MAX_COLS);
                goto fail;
            }
        const char *key = sql_script_stream(conf->script, i)->key;
        in->key = -1;
        for (int k = 0; key && k < sql_query_nresult(in->q); k++)
            if (strcmp(sql_query_result_name(in->q, k), key) == 0)
                in->key = k;
    }
    const char *tcol = ps->schema->time_col;
    for (int c = 0; !tcol && c < ps->schema->ncols; c++)
        if (ps->schema->cols[c].type == SQL_TIMESTAMP)
            tcol = ps->schema->cols[c].name;
    ps->time_col = tcol ? add_column(ps, tcol) : -1;
    if (ps->time_col < 0) {
        snprintf(err, errlen, "source '%s' has no event-time column", conf->topic);
        goto fail;
    }
    int64_t h = NONE, m = NONE;
    if (meta && *meta && committed >= 0 && pstate_parse_meta(ps, meta, &h, &m, warning) == 0 && h > committed) {
        /* Resume: replay [committed, h) to rebuild the open windows, seeing
         * the watermarks the first run saw. */
        ps->replay_end = h;
        ps->replaying = 1;
        ps->max_ts = m;
        ps->resume_aux = m;
        ps->restore_max = ps->has_restore_src ? ps->restore_max : NONE;
        for (int i = 0; i < ps->ninst; i++) {
            struct sql_error e;
            if (m != NONE && sql_query_advance(ps->inst[i].q, m - ps->inst[i].grace, 0, &e) < 0) {
                snprintf(err, errlen, "%s", e.msg);
                goto fail;
            }
        }
    } else if (meta && *meta && committed >= 0 && !*warning) {
        /* h == committed: nothing was open; only the watermarks carry over */
        ps->max_ts = m;
        ps->resume_aux = m;
        if (ps->has_restore_src) {
            if (psrc_copy(&ps->src, &ps->restore_src) < 0)
                goto oom;
            if (ps->restore_max != NONE && (ps->max_ts == NONE || ps->restore_max > ps->max_ts))
                ps->max_ts = ps->restore_max;
        }
        for (int i = 0; i < ps->ninst; i++) {
            struct sql_error e;
            int64_t wm = ps->inst[i].restore;
            if (wm != NONE && sql_query_advance(ps->inst[i].q, wm, 0, &e) < 0) {
                snprintf(err, errlen, "%s", e.msg);
                goto fail;
            }
        }
    }
    return ps;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    pstate_free(ps);
    return NULL;
}

void pstate_free(struct pstate *ps)
{
    if (!ps)
        return;
    for (int i = 0; i < ps->ninst; i++)
        sql_query_free(ps->inst[i].q);
    for (int i = 0; i < ps->nfwd; i++)
        sql_query_free(ps->fwd[i].q);
    free(ps->inst);
    free(ps->fwd);
    rf_buf_free(&ps->row);
    psrc_free(&ps->src);
    psrc_free(&ps->restore_src);
    free(ps);
}

/* The output callback of every query instance: a result row as JSON. */
static int emit_row(void *arg, const struct sql_value *v, int n)
{
    struct instance *in = arg;
    struct pstate *ps = in->ps;
    if (ps->replaying)
        return 0; /* its first run output it */
    const char *names[512];
    if (n > 512) {
        snprintf(ps->err, sizeof ps->err, "a result row of more than 512 columns");
        return -1;
    }
    for (int i = 0; i < n; i++)
        names[i] = sql_query_result_name(in->q, i);
    /* One buffer per partition, reused: no allocation per result once it
     * has grown to the largest row (a row has no size limit of its own). */
    rf_buf_reset(&ps->row);
    sql_row_json(&ps->row, names, v, n);
    if (ps->row.failed) {
        snprintf(ps->err, sizeof ps->err, "out of memory writing a result of stream '%s'",
                 sql_script_stream(ps->conf.script, in->stream)->name);
        return -1;
    }
    char kbuf[64];
    size_t klen = 0;
    const char *key = NULL;
    if (in->key >= 0 && v[in->key].type != SQL_NULL)
        key = sql_value_text(&v[in->key], kbuf, sizeof kbuf, &klen);
    int64_t ws, we;
    sql_query_current_window(in->q, &ws, &we);
    in->out++;
    int rc = ps->sink.result(ps->sink.arg, in->stream, key, klen, ps->row.p, ps->row.len, ws, we);
    if (rc < 0) {
        snprintf(ps->err, sizeof ps->err, "could not queue a result");
        return -1;
    }
    return 0;
}

static int failed(struct pstate *ps, const struct sql_error *e, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", ps->err[0] ? ps->err : e->msg);
    ps->err[0] = '\0';
    return -1;
}

/* The watermark of instance in: event-time high mark minus grace, pushed on
 * by the wall clock while the partition is idle. */
static int advance_all(struct pstate *ps, int64_t idle_extra, char *err, size_t errlen)
{
    if (ps->max_ts == NONE)
        return 0;
    for (int i = 0; i < ps->ninst; i++) {
        struct instance *in = &ps->inst[i];
        struct sql_error e = {0};
        if (sql_query_advance(in->q, ps->max_ts - in->grace + idle_extra, 1, &e) < 0)
            return failed(ps, &e, err, errlen);
    }
    return 0;
}

/* Replay reached h: the state is the first run's; apply the watermarks it
 * had at the commit (idle advances) and forget updates it already output. */
static int end_replay(struct pstate *ps, char *err, size_t errlen)
{
    if (ps->has_restore_src) { /* a merged partition: its sources as they were at h */
        if (psrc_copy(&ps->src, &ps->restore_src) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (ps->restore_max != NONE && (ps->max_ts == NONE || ps->restore_max > ps->max_ts))
            ps->max_ts = ps->restore_max;
    }
    for (int i = 0; i < ps->ninst; i++) {
        struct instance *in = &ps->inst[i];
        struct sql_error e = {0};
        if ((in->restore != NONE && sql_query_advance(in->q, in->restore, 1, &e) < 0) ||
            sql_query_flush_changes(in->q, 0, &e) < 0)
            return failed(ps, &e, err, errlen);
    }
    ps->replaying = 0;
    return 0;
}

/* A dead letter, once: replay meets the same record and the same error, and
 * the first run's letter was committed with it. */
static int dead_letter_at(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                          size_t len, const char *stage, int stream, const char *reason, char *err, size_t errlen)
{
    if (ps->replaying)
        return 0;
    ps->dead++;
    if (ps->sink.dead(ps->sink.arg, offset, key, keylen, payload, len, stage, stream, reason) < 0) {
        snprintf(err, errlen, "could not queue a dead letter");
        return -1;
    }
    return 0;
}

static int dead_letter(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                       size_t len, const char *reason, char *err, size_t errlen)
{
    return dead_letter_at(ps, offset, key, keylen, payload, len, "decode", -1, reason, err, errlen);
}

/* A query's run-time error on this record (a bad CAST, a key too long): the
 * query skips the record (sql_query_push changed nothing) and goes on. An
 * output that failed (ps->err) is not the record's fault: that stops. */
static int query_failed(struct pstate *ps, int stream, int64_t offset, const char *key, size_t keylen,
                        const char *payload, size_t len, const struct sql_error *e, char *err, size_t errlen)
{
    if (ps->err[0])
        return failed(ps, e, err, errlen);
    return dead_letter_at(ps, offset, key, keylen, payload, len, "query", stream, e->msg, err, errlen);
}

/* A group's result row failed to evaluate as its window closed: that row is
 * a dead letter ({"window_start","window_end","group":[key values]}) and the
 * window's other groups are emitted. */
static int group_failed(void *arg, const struct sql_value *keys, int nkeys, const struct sql_error *e)
{
    struct instance *in = arg;
    struct pstate *ps = in->ps;
    if (ps->err[0])
        return -1; /* the output failed: stop */
    if (ps->replaying)
        return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;
    int64_t ws, we;
    sql_query_current_window(in->q, &ws, &we);
    char s[32], t[32];
    rf_time_format(ws, s);
    rf_time_format(we, t);
    fprintf(f, "{\"window_start\":\"%s\",\"window_end\":\"%s\",\"group\":[", s, t);
    for (int i = 0; i < nkeys; i++) {
        char tmp[64];
        size_t n;
        const char *v = sql_value_text(&keys[i], tmp, sizeof tmp, &n);
        if (i)
            fputc(',', f);
        if (keys[i].type == SQL_NULL)
            fputs("null", f);
        else
            rf_json_write_text(f, v, n);
    }
    fputs("]}", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return -1;
    }
    char err[256];
    int rc = dead_letter_at(ps, ps->next - 1, NULL, 0, buf, len, "query", in->stream, e->msg, err, sizeof err);
    free(buf);
    if (rc < 0)
        snprintf(ps->err, sizeof ps->err, "%s", err);
    return rc;
}

/* Send the event on to the repartitioned streams that take it. */
static int forward(struct pstate *ps, const struct sql_value *row, const char *payload, size_t len, char *err,
                   size_t errlen)
{
    for (int i = 0; i < ps->nfwd; i++) {
        struct forwarder *f = &ps->fwd[i];
        struct sql_value qrow[MAX_COLS];
        for (int k = 0; k < f->ncols; k++)
            qrow[k] = row[f->map[k]];
        char key[1024];
        size_t kn = 0;
        struct sql_error e = {0};
        int rc = sql_query_partition_key(f->q, qrow, key, sizeof key, &kn, &e);
        if (rc < 0 && query_failed(ps, f->stream, ps->next - 1, NULL, 0, payload, len, &e, err, errlen) < 0)
            return -1;
        if (rc <= 0)
            continue;
        if (ps->sink.forward(ps->sink.arg, f->stream, key, kn, payload, len, ps->max_ts) < 0) {
            snprintf(err, errlen, "could not queue an event for stream '%s'",
                     sql_script_stream(ps->conf.script, f->stream)->name);
            return -1;
        }
    }
    return 0;
}

int pstate_message(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t record_ms, int64_t now_ms, char *err, size_t errlen)
{
    if (ps->replaying && offset >= ps->replay_end && end_replay(ps, err, errlen) < 0)
        return -1;
    ps->next = offset + 1;
    ps->last_event_wall = now_ms;
    struct sql_value row[MAX_COLS], qrow[MAX_COLS];
    struct sql_row_source src;
    char reason[256];
    if (sql_row_from_json(ps->cols, ps->ncols, ps->schema, payload, len, row, &src, reason, sizeof reason) < 0) {
        sql_row_release(&src);
        return dead_letter(ps, offset, key, keylen, payload, len, reason, err, errlen);
    }
    if (ps->conf.processing_time)
        row[ps->time_col] = (struct sql_value){.type = SQL_TIMESTAMP, .u.ts = now_ms};
    if (row[ps->time_col].type != SQL_TIMESTAMP) {
        sql_row_release(&src);
        snprintf(reason, sizeof reason, "missing or invalid event time '%s'", ps->cols[ps->time_col]);
        return dead_letter(ps, offset, key, keylen, payload, len, reason, err, errlen);
    }
    int64_t ts = row[ps->time_col].u.ts;
    /* A clock far ahead would move the watermark past every other event of
     * the partition (each would then be late); one before 1970 is no clock. */
    if (!ps->internal && !ps->conf.processing_time &&
        rf_time_check_event(ts, record_ms, ps->conf.max_future_ms, reason, sizeof reason) < 0) {
        sql_row_release(&src);
        return dead_letter(ps, offset, key, keylen, payload, len, reason, err, errlen);
    }
    if (!ps->replaying)
        ps->events++;
    int rc = 0;
    for (int i = 0; i < ps->ninst && rc == 0; i++) {
        struct instance *in = &ps->inst[i];
        for (int k = 0; k < in->ncols; k++)
            qrow[k] = row[in->map[k]];
        struct sql_push r;
        struct sql_error e = {0};
        if (sql_query_push(in->q, qrow, offset, ps->max_ts, &r, &e) < 0) {
            rc = query_failed(ps, in->stream, offset, key, keylen, payload, len, &e, err, errlen);
            continue;
        }
        if (ps->replaying)
            continue;
        in->in += r.accepted > 0;
        if (r.late) {
            in->late++;
            if (ps->sink.late(ps->sink.arg, in->stream, offset, key, keylen, payload, len, r.late_start,
                              r.late_end) < 0) {
                snprintf(err, errlen, "could not queue a late event");
                rc = -1;
            }
        }
        if (r.limited) {
            snprintf(reason, sizeof reason, "stream '%s': open-group limit (%lld) reached",
                     sql_script_stream(ps->conf.script, in->stream)->name, (long long)ps->conf.max_groups);
            rc = dead_letter(ps, offset, key, keylen, payload, len, reason, err, errlen);
        }
    }
    if (rc == 0 && !ps->merged && (ps->max_ts == NONE || ts > ps->max_ts))
        ps->max_ts = ts; /* a merged partition's comes from its sources */
    if (rc == 0 && !ps->replaying)
        rc = forward(ps, row, payload, len, err, errlen);
    sql_row_release(&src);
    if (rc < 0)
        return -1;
    return advance_all(ps, 0, err, errlen);
}

int pstate_merged_message(struct pstate *ps, int64_t offset, const struct pstate_origin *o, const char *key,
                          size_t keylen, const char *payload, size_t len, int64_t now_ms, char *err, size_t errlen)
{
    if (!ps->merged) { /* processing time: arrival is all that counts */
        if (len > 0)
            return pstate_message(ps, offset, key, keylen, payload, len, -1, now_ms, err, errlen);
        ps->next = offset + 1;
        return 0;
    }
    if (ps->replaying && offset >= ps->replay_end && end_replay(ps, err, errlen) < 0)
        return -1;
    if (!o) {
        ps->next = offset + 1;
        return dead_letter(ps, offset, key, keylen, payload, len,
                           "a record of an internal topic not written by a rydeflow processor (no rydeflow-wm header)",
                           err, errlen);
    }
    if (psrc_hear(&ps->src, o) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int64_t low = psrc_low(&ps->src);
    if (low != NONE && (ps->max_ts == NONE || low > ps->max_ts))
        ps->max_ts = low;
    if (len > 0)
        return pstate_message(ps, offset, key, keylen, payload, len, -1, now_ms, err, errlen);
    ps->next = offset + 1; /* a marker: only the watermark moves */
    ps->last_event_wall = now_ms;
    return advance_all(ps, 0, err, errlen);
}

int pstate_merged(const struct pstate *ps) { return ps->internal; }
int pstate_forwards(const struct pstate *ps) { return ps->nfwd > 0; }

int pstate_advertise(const struct pstate *ps, int at_end, int64_t now_ms, int64_t *base)
{
    if (ps->replaying)
        return 0;
    if (ps->max_ts == NONE)
        return at_end ? 2 : 0;
    *base = ps->max_ts;
    int64_t idle = now_ms - ps->last_event_wall - ps->conf.idle_ms;
    if (ps->conf.idle_ms > 0 && ps->last_event_wall && idle > 0)
        *base += idle; /* as the partition's own watermarks move (pstate_tick) */
    return 1;
}

int pstate_caught_up(struct pstate *ps, int64_t end, char *err, size_t errlen)
{
    if (ps->replaying && end >= ps->replay_end)
        return end_replay(ps, err, errlen);
    return 0;
}

int pstate_tick(struct pstate *ps, int64_t now_ms, char *err, size_t errlen)
{
    if (!ps->last_event_wall) /* resumed and silent since: idle from now on */
        ps->last_event_wall = now_ms;
    if (ps->replaying || ps->conf.idle_ms <= 0 || ps->max_ts == NONE || ps->last_event_wall == 0)
        return 0;
    int64_t idle = now_ms - ps->last_event_wall - ps->conf.idle_ms;
    return idle > 0 ? advance_all(ps, idle, err, errlen) : 0;
}

int pstate_flush_changes(struct pstate *ps, char *err, size_t errlen)
{
    if (ps->replaying)
        return 0;
    for (int i = 0; i < ps->ninst; i++) {
        struct sql_error e = {0};
        if (sql_query_flush_changes(ps->inst[i].q, 1, &e) < 0)
            return failed(ps, &e, err, errlen);
    }
    return 0;
}

void pstate_stats(const struct pstate *ps, struct pstate_stats *st)
{
    memset(st, 0, sizeof *st);
    st->events = ps->events;
    st->dead = ps->dead;
    st->replaying = ps->replaying;
    st->max_event_time = ps->max_ts;
    st->next_offset = ps->next;
    for (int i = 0; i < ps->ninst; i++) {
        st->open_windows += sql_query_open_windows(ps->inst[i].q);
        st->open_groups += sql_query_open_groups(ps->inst[i].q);
    }
}

int64_t pstate_high_mark(const struct pstate *ps, int64_t *last_ms)
{
    *last_ms = ps->last_event_wall;
    return ps->max_ts;
}

void pstate_stream_stats(const struct pstate *ps, int stream, int64_t *in, int64_t *out, int64_t *late,
                         int64_t *watermark)
{
    *in = *out = *late = 0;
    *watermark = NONE;
    for (int i = 0; i < ps->ninst; i++)
        if (ps->inst[i].stream == stream) {
            *in = ps->inst[i].in;
            *out = ps->inst[i].out;
            *late = ps->inst[i].late;
            *watermark = sql_query_closed(ps->inst[i].q);
        }
}

int32_t pstate_partition(const struct pstate *ps) { return ps->conf.partition; }
const char *pstate_topic(const struct pstate *ps) { return ps->conf.topic; }
