/* outputs.c - where a partition's queries put what they produce (the
 * pstate_sink callbacks): results to their topics, late events and dead
 * letters to theirs, repartitioned events and watermark markers to the
 * internal topics, all in the open transaction (see processor_int.h). */
#include "processor_int.h"

#include "rf_deadletter.h"
#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proc_fail(struct proc *P, const char *msg)
{
    if (!P->failed) {
        snprintf(P->err, sizeof P->err, "%s", msg);
        P->failed = 1;
    }
    return -1;
}

static int on_dead(void *arg, int64_t offset, const char *key, size_t keylen, const char *payload, size_t len,
                   const char *stage, int stream, const char *reason);

static int on_result(void *arg, int stream, const char *key, size_t keylen, const char *json, size_t len,
                     int64_t ws, int64_t we)
{
    struct proc *P = arg;
    const struct sql_stream_def *d = sql_script_stream(P->cfg->script, stream);
    /* A window's results come together: its bounds are formatted once. */
    if (!P->win_text_set || ws != P->win_text_ws || we != P->win_text_we) {
        P->win_text[0][0] = P->win_text[1][0] = '\0';
        if (ws || we) {
            rf_time_format(ws, P->win_text[0]);
            rf_time_format(we, P->win_text[1]);
        }
        P->win_text_ws = ws;
        P->win_text_we = we;
        P->win_text_set = 1;
    }
    const char *names[] = {"rydeflow-stream", "window-start", "window-end", NULL};
    const char *values[] = {d->name, P->win_text[0], P->win_text[1], NULL};
    if (!ws && !we)
        names[1] = NULL;
    char err[512];
    if (len > P->max_value) {
        /* it can never be delivered: the record that made it is a dead
         * letter (with the row, cut), and the stream goes on */
        struct pstate_stats st;
        pstate_stats(P->cur->ps, &st);
        snprintf(err, sizeof err, "a result of %zu bytes is larger than Kafka takes (message.max.bytes)", len);
        return on_dead(P, st.next_offset - 1, key, keylen, json, len, "query", stream, err);
    }
    if (txn_produce(P->txn, d->topic, RD_KAFKA_PARTITION_UA, key, keylen, json, len, names, values, err, sizeof err) < 0)
        return proc_fail(P, err);
    P->results++;
    if (!P->first_result_ns) { /* one clock read per transaction, not per result */
        P->first_result_ns = rf_time_mono_ns();
        int64_t last;
        P->result_mark = pstate_high_mark(P->cur->ps, &last);
    }
    rf_metric_add(P->m_out[stream], 1);
    return 0;
}

/* Produce v (built for the purpose, NULL when building ran out of memory)
 * in the open transaction, and free it. 0, or -1 (P failed). */
static int produce_built(struct proc *P, const char *topic, const char *key, size_t keylen, char *v, size_t n,
                         const char *const *names, const char *const *values)
{
    if (!v)
        return proc_fail(P, "out of memory");
    char err[512];
    int rc = txn_produce(P->txn, topic, RD_KAFKA_PARTITION_UA, key, keylen, v, n, names, values, err, sizeof err);
    free(v);
    return rc < 0 ? proc_fail(P, err) : 0;
}

/* A JSON envelope around a record we pass on: {"<fields>...","payload":"..."} */
static char *envelope(const char *fields, const char *payload, size_t len, size_t *outlen)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    if (len > RF_DEADLETTER_MAX_PAYLOAD) { /* as dead letters are: it must fit where it goes */
        fprintf(f, "{%s,\"payload_bytes\":%zu,\"payload_truncated\":true,\"payload\":", fields, len);
        len = RF_DEADLETTER_MAX_PAYLOAD;
    } else {
        fprintf(f, "{%s,\"payload\":", fields);
    }
    rf_json_write_text(f, payload, len);
    fputc('}', f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *outlen = size;
    return buf;
}

static int on_late(void *arg, int stream, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t ws, int64_t we)
{
    struct proc *P = arg;
    const struct sql_stream_def *d = sql_script_stream(P->cfg->script, stream);
    char s[32], e[32], fields[1024];
    rf_time_format(ws, s);
    rf_time_format(we, e);
    snprintf(fields, sizeof fields,
             "\"stream\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\",\"topic\":\"%s\",\"partition\":%d,"
             "\"offset\":%" PRId64,
             d->name, s, e, P->cur->topic, (int)P->cur->partition, offset);
    size_t n = 0;
    char *v = envelope(fields, payload, len, &n);
    const char *names[] = {"rydeflow-stream", NULL}, *values[] = {d->name, NULL};
    if (produce_built(P, P->cfg->late_topic, key, keylen, v, n, names, values) < 0)
        return -1;
    P->late++;
    rf_metric_add(P->m_late[stream], 1);
    return 0;
}

static int on_dead(void *arg, int64_t offset, const char *key, size_t keylen, const char *payload, size_t len,
                   const char *stage, int stream, const char *reason)
{
    struct proc *P = arg;
    struct rf_deadletter d = {
        .program = "processor", .stage = stage,
        .name = stream >= 0 ? sql_script_stream(P->cfg->script, stream)->name : NULL,
        .error = reason, .topic = P->cur->topic, .partition = P->cur->partition, .offset = offset,
        .payload = payload, .len = len};
    size_t n = 0;
    char *v = rf_deadletter_encode(&d, &n);
    if (produce_built(P, P->cfg->dead_topic, key, keylen, v, n, NULL, NULL) < 0)
        return -1;
    P->dead++;
    rf_metric_add(P->m_dead, 1);
    return 0;
}


/* A record for partition of an internal topic: if this instance reads it,
 * it is not at its end once the transaction commits (--exit-at-end). */
static void feeding(struct proc *P, const char *topic, int32_t partition)
{
    struct part *pt = proc_find_part(P, topic, partition);
    if (pt)
        pt->fed = 1;
}

/* An event for a repartitioned stream: to its internal topic, in the
 * partition its key hashes to (one for all when there is no key). */
static int on_forward(void *arg, int stream, const char *key, size_t keylen, const char *payload, size_t len,
                      int64_t base)
{
    struct proc *P = arg;
    if (len + keylen > P->max_value) { /* the internal topic would refuse it for ever */
        struct pstate_stats st;
        pstate_stats(P->cur->ps, &st);
        return on_dead(P, st.next_offset - 1, NULL, 0, payload, len, "query", stream,
                       "an event larger than Kafka takes (message.max.bytes) cannot be repartitioned");
    }
    uint32_t h = 2166136261u; /* FNV-1a: stable across runs and hosts */
    for (size_t i = 0; i < keylen; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    int32_t partition = keylen ? (int32_t)(h % (uint32_t)P->rp_parts[stream]) : 0;
    char wm[PSTATE_ORIGIN_TEXT];
    struct pstate_origin o = {P->cur->partition, P->src_parts[stream], base, 0};
    pstate_origin_text(&o, wm);
    const char *names[] = {WM_HEADER, NULL}, *values[] = {wm, NULL};
    char err[512];
    if (txn_produce(P->txn, P->rp_topic[stream], partition, keylen ? key : NULL, keylen, payload, len, names, values,
                    err, sizeof err) < 0)
        return proc_fail(P, err);
    feeding(P, P->rp_topic[stream], partition);
    P->forwarded++;
    rf_metric_add(P->m_fwd[stream], 1);
    return 0;
}

/* Tell every partition of the internal topics a source partition feeds how
 * far its event time has got, when that changed: a merged partition the
 * source sends no events to must not wait for it. Empty records (markers). */
int proc_send_markers(struct proc *P, struct part *pt, int64_t now)
{
    int64_t base = 0;
    int adv = pstate_advertise(pt->ps, pt->at_end, now, &base);
    if (!adv || (adv == pt->adv && (adv == 2 || base <= pt->adv_base)))
        return 0;
    char wm[PSTATE_ORIGIN_TEXT], err[512];
    for (int s = 0; s < sql_script_nstreams(P->cfg->script); s++) {
        if (!P->rp_topic[s] || strcmp(sql_script_stream(P->cfg->script, s)->source_topic, pt->topic) != 0)
            continue;
        struct pstate_origin o = {pt->partition, P->src_parts[s], base, adv == 2};
        pstate_origin_text(&o, wm);
        const char *names[] = {WM_HEADER, NULL}, *values[] = {wm, NULL};
        for (int k = 0; k < P->rp_parts[s]; k++) {
            if (txn_produce(P->txn, P->rp_topic[s], k, NULL, 0, NULL, 0, names, values, err, sizeof err) < 0)
                return proc_fail(P, err);
            feeding(P, P->rp_topic[s], k);
        }
    }
    pt->adv = adv;
    pt->adv_base = base;
    return 0;
}

/* The origin a record of an internal topic carries; 0, or -1 if none. */
int proc_record_origin(const rd_kafka_message_t *m, struct pstate_origin *o)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t n;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, WM_HEADER, &v, &n) || !v)
        return -1;
    return pstate_origin_parse(v, n, o);
}

struct pstate_sink proc_outputs(struct proc *P)
{
    return (struct pstate_sink){P, on_result, on_late, on_dead, on_forward};
}
