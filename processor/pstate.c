/* pstate.c - one source partition's continuous queries, watermarks and
 * replay (see pstate.h for the design). */
#include "pstate.h"

#include "rf_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 256
#define NONE INT64_MIN

struct instance {
    struct pstate *ps;
    int stream;           /* index in the script */
    struct sql_query *q;
    int ncols;
    int map[MAX_COLS];    /* the query's input column k is the union row's map[k] */
    int key;              /* result column used as the message key, or -1 */
    int64_t grace;
    int64_t restore;      /* the watermark at the commit we resume from (NONE: none) */
    int64_t in, out, late;
};

struct pstate {
    struct pstate_conf conf;
    struct pstate_sink sink;
    const struct sql_schema *schema;
    struct instance *inst;
    int ninst;
    const char *cols[MAX_COLS]; /* the union of the instances' input columns */
    int ncols;
    int time_col;               /* index in cols of the event time */
    int64_t max_ts;             /* the largest event time seen, NONE before any */
    int64_t next;               /* the next offset to process (-1: none seen) */
    int64_t replay_end;         /* h: events before it only rebuild state */
    int replaying;
    int64_t resume_off, resume_aux; /* the commit point we resumed from */
    int64_t last_event_wall;
    int64_t events, dead;
    char err[256];
};

static uint32_t script_hash(const char *text)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
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

/* Parse "rf1 h=H m=M c=C0,C1,... s=HASH"; M and Ci may be "-" (none). */
static int parse_meta(struct pstate *ps, const char *meta, int64_t *h, int64_t *m, const char **warning)
{
    const char *p = meta;
    char *end;
    if (strncmp(p, "rf1 h=", 6) != 0)
        goto bad;
    *h = strtoll(p + 6, &end, 10);
    if (strncmp(end, " m=", 3) != 0)
        goto bad;
    p = end + 3;
    if (*p == '-' && p[1] == ' ') {
        *m = NONE;
        end = (char *)p + 1;
    } else {
        *m = strtoll(p, &end, 10);
    }
    if (strncmp(end, " c=", 3) != 0)
        goto bad;
    p = end + 3;
    int64_t c[64];
    int nc = 0;
    for (;;) {
        if (nc == 64)
            goto bad;
        if (*p == '-') {
            c[nc++] = NONE;
            end = (char *)p + 1;
        } else {
            c[nc++] = strtoll(p, &end, 10);
        }
        if (*end != ',')
            break;
        p = end + 1;
    }
    unsigned long hash;
    if (sscanf(end, " s=%lx", &hash) != 1)
        goto bad;
    if ((uint32_t)hash != script_hash(sql_script_text(ps->conf.script)) || nc != ps->ninst) {
        *warning = "the committed state was written by a different query file: starting this partition's "
                   "queries afresh from the committed offset";
        return -1;
    }
    for (int i = 0; i < ps->ninst; i++)
        ps->inst[i].restore = c[i];
    return 0;
bad:
    *warning = "unreadable commit metadata: starting this partition's queries afresh from the committed offset";
    return -1;
}

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
    ps->schema = sql_script_source_schema(conf->script, conf->topic);
    if (!ps->schema) {
        snprintf(err, errlen, "no stream reads topic '%s'", conf->topic);
        free(ps);
        return NULL;
    }
    int n = sql_script_nstreams(conf->script);
    ps->inst = calloc((size_t)n, sizeof *ps->inst);
    if (!ps->inst)
        goto oom;
    for (int i = 0; i < n; i++) {
        if (strcmp(sql_script_stream(conf->script, i)->source_topic, conf->topic) != 0)
            continue;
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
    if (meta && *meta && committed >= 0 && parse_meta(ps, meta, &h, &m, warning) == 0 && h > committed) {
        /* Resume: replay [committed, h) to rebuild the open windows, seeing
         * the watermarks the first run saw. */
        ps->replay_end = h;
        ps->replaying = 1;
        ps->max_ts = m;
        ps->resume_aux = m;
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
    free(ps->inst);
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
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len); /* a result row has no size limit of its own */
    if (!f) {
        snprintf(ps->err, sizeof ps->err, "out of memory");
        return -1;
    }
    sql_row_write_json(f, names, v, n);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
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
    int rc = ps->sink.result(ps->sink.arg, in->stream, key, klen, buf, len, ws, we);
    free(buf);
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

static int dead_letter(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                       size_t len, const char *reason, char *err, size_t errlen)
{
    if (ps->replaying)
        return 0;
    ps->dead++;
    if (ps->sink.dead(ps->sink.arg, offset, key, keylen, payload, len, reason) < 0) {
        snprintf(err, errlen, "could not queue a dead letter");
        return -1;
    }
    return 0;
}

int pstate_message(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t now_ms, char *err, size_t errlen)
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
            rc = failed(ps, &e, err, errlen);
            break;
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
    sql_row_release(&src);
    if (rc < 0)
        return -1;
    if (ps->max_ts == NONE || ts > ps->max_ts)
        ps->max_ts = ts;
    return advance_all(ps, 0, err, errlen);
}

int pstate_caught_up(struct pstate *ps, int64_t end, char *err, size_t errlen)
{
    if (ps->replaying && end >= ps->replay_end)
        return end_replay(ps, err, errlen);
    return 0;
}

int pstate_tick(struct pstate *ps, int64_t now_ms, char *err, size_t errlen)
{
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

static void put_ts(char *buf, size_t len, int64_t v)
{
    if (v == NONE)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%" PRId64, v);
}

void pstate_commit_point(const struct pstate *ps, int64_t *offset, char *meta, size_t metalen)
{
    int64_t off = ps->next, aux = ps->max_ts, h = ps->next;
    if (ps->replaying) { /* not rebuilt yet: the point we resumed from still holds */
        off = ps->resume_off;
        aux = ps->resume_aux;
        h = ps->replay_end;
    } else {
        for (int i = 0; i < ps->ninst; i++) {
            int64_t o, a;
            if (sql_query_replay_point(ps->inst[i].q, &o, &a) && o < off) {
                off = o;
                aux = a;
            }
        }
    }
    *offset = off;
    if (off < 0) {
        meta[0] = '\0';
        return;
    }
    char m[32];
    put_ts(m, sizeof m, aux);
    size_t n = (size_t)snprintf(meta, metalen, "rf1 h=%" PRId64 " m=%s c=", h, m);
    for (int i = 0; i < ps->ninst && n < metalen; i++) {
        char c[32];
        int64_t wm = ps->replaying ? ps->inst[i].restore : sql_query_closed(ps->inst[i].q);
        put_ts(c, sizeof c, wm);
        n += (size_t)snprintf(meta + n, metalen - n, "%s%s", i ? "," : "", c);
    }
    if (ps->ninst == 0 && n < metalen)
        n += (size_t)snprintf(meta + n, metalen - n, "-");
    if (n < metalen)
        snprintf(meta + n, metalen - n, " s=%08x", script_hash(sql_script_text(ps->conf.script)));
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
