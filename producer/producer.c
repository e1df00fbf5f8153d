/* producer.c - the producer's run loop (see producer.h).
 *
 * The librdkafka producer sequence: delivery-report callback, producev with
 * RD_KAFKA_MSG_F_COPY, on a full queue poll and retry, flush with a timeout at
 * exit, and report what was left undelivered. */
#include "producer.h"
#include "redeliver.h"
#include "sim.h"
#include "rf_event.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_progress.h"
#include "rf_deadletter.h"
#include "rf_signal.h"
#include "rf_time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPORTED_ERRORS 10

struct run {
    const struct producer_config *cfg;
    rd_kafka_t *rk;
    FILE *out; /* --print */
    struct rf_metrics *metrics;
    struct rf_metric *m_sent, *m_delivered, *m_failed, *m_invalid, *m_renewals, *m_resent;
    uint64_t sent, delivered, failed, invalid, bytes;
    struct redeliver pending;     /* failed by a fatally broken producer: for the next one */
    struct rf_fence_budget renewals; /* new producers after fatal errors, limited */
    int broken;                   /* out of renewals: stop */
    uint64_t dead_failed; /* dead letters not delivered */
    size_t max_value;     /* the largest record Kafka takes */
    int delivery_errors_logged;
    struct rf_progress progress;
    double rate;
    int64_t t0_ns;
};

static char dead_mark; /* the opaque of dead letters: their deliveries are counted apart */

/* Topic numbers of struct redeliver_msg.topic. */
enum { TOPIC_EVENTS, TOPIC_DEAD };

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct run *r = opaque;
    /* Failed because the producer is fatally broken, not because of the
     * message: kept for the next producer (see recover()). */
    if (m->err && redeliver_wants(rk, m->err) &&
        redeliver_add(&r->pending, m->_private == &dead_mark ? TOPIC_DEAD : TOPIC_EVENTS, m) == 0)
        return;
    if (m->_private == &dead_mark) {
        if (m->err)
            r->dead_failed++;
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        redeliver_delivered(&r->pending, m->partition, m->offset);
        r->delivered++;
        rf_metric_add(r->m_delivered, 1);
        return;
    }
    r->failed++;
    rf_metric_add(r->m_failed, 1);
    if (r->delivery_errors_logged++ < MAX_REPORTED_ERRORS)
        rf_error("delivery to %s [%d] failed: %s", rd_kafka_topic_name(m->rkt), m->partition,
                 rd_kafka_err2str(m->err));
}

static void poll_for(struct run *r, int ms)
{
    if (r->rk) {
        rd_kafka_poll(r->rk, ms);
    } else if (ms > 0) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Hold back until the configured rate allows the next event. */
static void pace(struct run *r)
{
    if (r->rate <= 0)
        return;
    /* Evenly spread, or (--burst) each second's events at its start. */
    double at = r->cfg->burst ? floor((double)r->sent / r->rate) : (double)r->sent / r->rate;
    int64_t due = r->t0_ns + (int64_t)(at * 1e9);
    for (;;) {
        int64_t now = rf_time_mono_ns();
        if (now >= due || !rf_running())
            return;
        int64_t ms = (due - now) / 1000000;
        poll_for(r, ms > 100 ? 100 : (int)(ms > 0 ? ms : 0));
        if (ms == 0)
            return; /* less than a millisecond early: close enough */
        rf_progress_update(&r->progress, r->sent, r->bytes, NULL);
    }
}

static size_t count_topic(const struct redeliver *l, int topic)
{
    size_t n = 0;
    for (size_t i = 0; i < l->len; i++)
        n += l->msgs[i].topic == topic;
    return n;
}

/* Enqueue the kept messages on the (new) producer, in their order. Returns
 * 0, or -1 if the producer failed fatally again (the messages not enqueued
 * are kept for the next one). */
static int resend(struct run *r, struct redeliver *todo)
{
    const char *topics[2] = {r->cfg->topic, r->cfg->dead_topic};
    size_t i = 0;
    for (; i < todo->len; i++) {
        struct redeliver_msg *q = &todo->msgs[i];
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(r->rk, RD_KAFKA_V_TOPIC(topics[q->topic]), RD_KAFKA_V_PARTITION(q->partition),
                                      RD_KAFKA_V_KEY(q->key, q->key_len), RD_KAFKA_V_VALUE(q->value, q->value_len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(q->opaque),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
               rf_running()) /* asked to stop: the rest stay kept, and are counted as failed at the end */
            rd_kafka_poll(r->rk, 10);
        if (e)
            break;
        if (q->topic == TOPIC_EVENTS)
            rf_metric_add(r->m_resent, 1);
    }
    for (size_t k = 0; k < i; k++) {
        free(todo->msgs[k].key);
        free(todo->msgs[k].value);
    }
    /* what was not enqueued goes back to the list (ownership moves) */
    int rc = 0;
    for (; i < todo->len; i++, rc = -1) {
        if (redeliver_push(&r->pending, &todo->msgs[i]) == 0)
            continue;
        free(todo->msgs[i].key); /* cannot keep it: lost, and counted */
        free(todo->msgs[i].value);
        if (todo->msgs[i].topic == TOPIC_EVENTS)
            r->failed++;
        else
            r->dead_failed++;
    }
    free(todo->msgs);
    memset(todo, 0, sizeof *todo);
    return rc;
}

/* Count the kept messages as failed and drop them (no producer left). */
static void give_up_pending(struct run *r)
{
    size_t dead = count_topic(&r->pending, TOPIC_DEAD);
    r->failed += r->pending.len - dead;
    rf_metric_add(r->m_failed, r->pending.len - dead);
    r->dead_failed += dead;
    redeliver_free(&r->pending);
}

/* The idempotent producer failed fatally (librdkafka gives up on ordering
 * after, e.g., a broker lost track of its sequence numbers): let its last
 * requests answer, replace it by a new one, drop from the kept messages those
 * that reached the log anyway, and send the rest again. Up to RF_FENCE_MAX
 * times in RF_FENCE_WINDOW_MS; past that, or if no new producer can be made,
 * the run stops (exit 1, the failures counted). Returns 0 or -1. */
static int recover(struct run *r)
{
    const struct producer_config *c = r->cfg;
    char reason[512], err[512];
    while (!r->broken && rd_kafka_fatal_error(r->rk, reason, sizeof reason)) {
        if (!rf_fence_budget_take(&r->renewals, rf_time_now_ms())) {
            rf_error("the Kafka producer failed fatally %d times in %d s; stopping (last: %s)", RF_FENCE_MAX,
                     RF_FENCE_WINDOW_MS / 1000, reason);
            break;
        }
        rf_warn("the Kafka producer failed fatally (%s); starting a new one and sending again what it had not "
                "delivered", reason);
        rf_metric_add(r->m_renewals, 1);
        /* Let requests already sent be answered, so that nothing lands
         * after the read-back below; then drop the rest. */
        rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE);
        int64_t until = rf_time_mono_ns() / 1000000 + c->flush_timeout_ms;
        while (rd_kafka_outq_len(r->rk) > 0 && rf_time_mono_ns() / 1000000 < until)
            rd_kafka_poll(r->rk, 100);
        rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(r->rk, 0);
        rd_kafka_destroy(r->rk);
        r->rk = rf_kafka_producer_new(c->brokers, &c->props, on_delivery, r, err, sizeof err);
        if (!r->rk) {
            rf_error("%s", err);
            break;
        }
        const char *topics[2] = {c->topic, c->dead_topic};
        size_t events = count_topic(&r->pending, TOPIC_EVENTS), kept = r->pending.len;
        /* The partitions' ends may be unreadable for a while (a leader
         * being elected after the broker restart that caused all this):
         * retried with back-off as long as the program runs; only a stop
         * sends everything again unchecked. */
        long found;
        int64_t backoff = 100;
        for (int attempt = 0;; attempt++) {
            found = redeliver_prune(&r->pending, topics, 2, c->brokers, &c->props, (int)c->timeout_ms, err,
                                    sizeof err);
            if (found >= 0 || !rf_running())
                break;
            if (attempt % 10 == 0)
                rf_warn("cannot read back yet what the failed producer may have written (%s): retrying", err);
            struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000};
            nanosleep(&ts, NULL);
            if (backoff < 5000)
                backoff *= 2;
        }
        if (found < 0) {
            rf_warn("cannot read back what the failed producer may have written (%s) and asked to stop; sending "
                    "all %zu again: some may be duplicated", err, kept);
        } else {
            size_t landed = events - count_topic(&r->pending, TOPIC_EVENTS);
            r->delivered += landed;
            rf_metric_add(r->m_delivered, landed);
            rf_info("%zu of the %zu undelivered records were in the log after all; sending %zu again", (size_t)found,
                    kept, r->pending.len);
        }
        struct redeliver todo;
        redeliver_take(&r->pending, &todo);
        resend(r, &todo); /* a new fatal error: the loop goes round */
    }
    if (!r->rk || rd_kafka_fatal_error(r->rk, NULL, 0)) {
        r->broken = 1;
        give_up_pending(r);
        rf_signal_stop();
        return -1;
    }
    return 0;
}

/* Send one record. Returns 0, or -1 if it could not be enqueued (counted). */
static int emit(struct run *r, const char *key, size_t klen, const char *val, size_t vlen)
{
    pace(r);
    if (r->broken) { /* no producer left (see recover()) */
        r->failed++;
        rf_metric_add(r->m_failed, 1);
        return -1;
    }
    if (r->out) {
        if (fwrite(val, 1, vlen, r->out) != vlen || fputc('\n', r->out) == EOF) {
            r->failed++;
            return -1;
        }
    } else {
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                r->rk, RD_KAFKA_V_TOPIC(r->cfg->topic), RD_KAFKA_V_KEY(key, klen),
                RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (e == RD_KAFKA_RESP_ERR__FATAL && !r->broken && recover(r) == 0)
                continue;
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && rf_running()) {
                /* Back-pressure: let deliveries drain the queue, then retry
                 * (not once asked to stop: the record is then counted as
                 * not sent, and the exit status says so). */
                rd_kafka_poll(r->rk, 10);
                continue;
            }
            r->failed++;
            rf_metric_add(r->m_failed, 1);
            if (r->delivery_errors_logged++ < MAX_REPORTED_ERRORS)
                rf_error("cannot enqueue message: %s", rd_kafka_err2str(e));
            return -1;
        }
        if ((r->sent & 1023) == 0)
            rd_kafka_poll(r->rk, 0);
    }
    r->sent++;
    r->bytes += vlen;
    rf_metric_add(r->m_sent, 1);
    rf_progress_update(&r->progress, r->sent, r->bytes, NULL);
    return 0;
}

static int parse_bbox(const char *text, struct sim_config *fc)
{
    char extra;
    if (sscanf(text, "%lf,%lf,%lf,%lf%c", &fc->min_lat, &fc->min_lon, &fc->max_lat, &fc->max_lon, &extra) != 4)
        return -1;
    if (!(fc->min_lat < fc->max_lat && fc->min_lon < fc->max_lon && fc->min_lat >= -90 && fc->max_lat <= 90 &&
          fc->min_lon >= -180 && fc->max_lon <= 180))
        return -1;
    return 0;
}

static int simulate(struct run *r)
{
    const struct producer_config *c = r->cfg;
    struct sim_config fc = {
        .unicorns = (int)c->unicorns,
        .seed = (uint64_t)c->seed,
        .burst = c->burst,
        .disorder_ms = c->disorder_ms,
        .late_fraction = c->late_fraction,
        .late_ms = c->late_ms,
    };
    if (parse_bbox(c->bbox, &fc) < 0) {
        rf_error("--bbox '%s': expected MIN_LAT,MIN_LON,MAX_LAT,MAX_LON inside [-90,90] x [-180,180]", c->bbox);
        return -1;
    }
    if (c->start_time) {
        int64_t ms;
        if (rf_time_parse_flag(c->start_time, &ms) < 0) {
            rf_error("--start-time '%s': expected 'YYYY-MM-DD HH:MM:SS[.mmm]', YYYY-MM-DD or @EPOCH_MS",
                     c->start_time);
            return -1;
        }
        fc.start_ms = ms;
    } else {
        fc.start_ms = rf_time_now_ms() / 1000 * 1000;
    }
    struct sim *f = sim_new(&fc);
    if (!f) {
        rf_error("cannot create the fleet (out of memory?)");
        return -1;
    }
    uint64_t limit = (uint64_t)c->count;
    if (c->duration_ms > 0)
        limit = (uint64_t)((c->duration_ms + 999) / 1000) * (uint64_t)c->unicorns;

    int rc = 0;
    struct rf_event ev;
    char buf[RF_EVENT_ENCODE_MAX];
    while (rf_running() && (limit == 0 || sim_generated(f) < limit)) {
        if (sim_generate(f) < 0) {
            rf_error("out of memory holding events back for --disorder-ms/--late-fraction");
            rc = -1;
            break;
        }
        while (sim_pop(f, &ev, 0)) {
            size_t n = rf_event_encode(&ev, buf, sizeof buf);
            emit(r, ev.name, ev.name_len, buf, n);
        }
    }
    /* Events held back for disorder were generated: send them too. */
    while (sim_pop(f, &ev, 1)) {
        size_t n = rf_event_encode(&ev, buf, sizeof buf);
        emit(r, ev.name, ev.name_len, buf, n);
    }
    sim_free(f);
    return rc;
}

/* An input line that is not a workshop record: to the dead-letter topic
 * (rf_deadletter.h), said where it came from. */
static void dead_letter(struct run *r, const char *path, uint64_t lineno, const char *line, size_t len,
                        const char *reason)
{
    struct rf_deadletter d = {.program = "producer", .stage = "decode", .error = reason, .input = path,
                              .line = (int64_t)lineno, .payload = line, .len = len};
    size_t n;
    if (r->broken) {
        r->dead_failed++;
        return;
    }
    char *v = rf_deadletter_encode(&d, &n);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__FAIL;
    while (v && (e = rd_kafka_producev(r->rk, RD_KAFKA_V_TOPIC(r->cfg->dead_topic), RD_KAFKA_V_VALUE(v, n),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(&dead_mark),
                                       RD_KAFKA_V_END)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (e == RD_KAFKA_RESP_ERR__FATAL && !r->broken && recover(r) == 0)
            continue;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || !rf_running())
            break;
        rd_kafka_poll(r->rk, 10);
    }
    if (e) {
        free(v);
        r->dead_failed++;
        rf_error("cannot send a dead letter: %s", rd_kafka_err2str(e));
    }
}

static int forward(struct run *r)
{
    const char *path = r->cfg->input;
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        rf_error("cannot open --input %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    struct rf_event ev;
    char reason[256];
    while (rf_running() && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue; /* blank lines separate nothing in NDJSON; not records */
        if (rf_event_decode(line, (size_t)len, &ev, reason, sizeof reason) < 0) {
            r->invalid++;
            rf_metric_add(r->m_invalid, 1);
            if (r->invalid <= MAX_REPORTED_ERRORS)
                rf_warn("%s:%llu: invalid record, sent to %s: %s", strcmp(path, "-") == 0 ? "<stdin>" : path,
                        (unsigned long long)lineno, r->out ? "nowhere (--print)" : r->cfg->dead_topic, reason);
            else if (r->invalid == MAX_REPORTED_ERRORS + 1)
                rf_warn("more invalid records; counting them without reporting each");
            if (!r->out)
                dead_letter(r, path, lineno, line, (size_t)len, reason);
            continue;
        }
        if (r->rk && (size_t)len + ev.name_len > r->max_value) { /* Kafka would refuse it for ever */
            r->invalid++;
            rf_metric_add(r->m_invalid, 1);
            snprintf(reason, sizeof reason, "a record of %zd bytes is larger than Kafka takes (message.max.bytes)",
                     len);
            rf_warn("%s:%llu: %s; sent to %s", strcmp(path, "-") == 0 ? "<stdin>" : path, (unsigned long long)lineno,
                    reason, r->cfg->dead_topic);
            dead_letter(r, path, lineno, line, (size_t)len, reason);
            continue;
        }
        emit(r, ev.name, ev.name_len, line, (size_t)len);
    }
    int rc = 0;
    if (ferror(in)) {
        rf_error("reading %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    return rc;
}

static int setup_kafka(struct run *r, char *err, size_t errlen)
{
    const struct producer_config *c = r->cfg;
    r->rk = rf_kafka_producer_new(c->brokers, &c->props, on_delivery, r, err, errlen);
    if (!r->rk)
        return -1;
    r->max_value = rf_kafka_max_value(r->rk);
    if (rf_kafka_check_reachable(r->rk, c->brokers, (int)c->timeout_ms, err, errlen) < 0)
        return -1;
    if (c->partitions > 0 &&
        rf_kafka_ensure_topic(r->rk, c->topic, (int)c->partitions, -1, (int)c->timeout_ms, err, errlen) < 0)
        return -1;
    return 0;
}

static void setup_metrics(struct run *r)
{
    char labels[300];
    snprintf(labels, sizeof labels, "topic=\"%s\"", r->cfg->topic);
    r->metrics = rf_metrics_new();
    r->m_sent = rf_metrics_counter(r->metrics, "rydeflow_producer_sent_total", labels, "Records enqueued");
    r->m_delivered =
        rf_metrics_counter(r->metrics, "rydeflow_producer_delivered_total", labels, "Records acknowledged by Kafka");
    r->m_failed = rf_metrics_counter(r->metrics, "rydeflow_producer_failed_total", labels,
                                     "Records that could not be delivered");
    r->m_invalid = rf_metrics_counter(r->metrics, "rydeflow_producer_invalid_input_total", labels,
                                      "Input lines rejected by validation (--input)");
    r->m_renewals = rf_metrics_counter(r->metrics, "rydeflow_producer_renewals_total", labels,
                                       "New Kafka producers started after a fatal error");
    r->m_resent = rf_metrics_counter(r->metrics, "rydeflow_producer_resent_total", labels,
                                     "Records sent again by a new producer after a fatal error");
}

int producer_run(const struct producer_config *c)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.cfg = c;
    char err[512];
    int rc = 1;

    setup_metrics(&r);
    if (c->metrics) {
        int port;
        if (rf_metrics_serve(r.metrics, c->metrics, &port, err, sizeof err) < 0) {
            rf_error("%s", err);
            goto out;
        }
        rf_info("metrics on http://%s/metrics", c->metrics);
    }
    if (c->print) {
        r.out = stdout;
        static char obuf[1 << 20];
        setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    } else if (setup_kafka(&r, err, sizeof err) < 0) {
        rf_error("%s", err);
        goto out;
    }

    /* Live simulation defaults to the workshop's pace, one event per unicorn
     * per second; simulated time (--start-time) and --input go flat out. */
    r.rate = c->rate >= 0 ? c->rate : (!c->input && !c->start_time ? (double)c->unicorns : 0);
    rf_progress_init(&r.progress, "producer:", strcmp(c->progress, "auto") == 0 ? -1 : strcmp(c->progress, "on") == 0);
    r.t0_ns = rf_time_mono_ns();

    int body = c->input ? forward(&r) : simulate(&r);

    uint64_t undelivered = 0;
    if (r.out) {
        if (fflush(r.out) != 0)
            r.failed++;
        r.delivered = r.sent - r.failed;
    } else {
        rd_kafka_resp_err_t fe = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!r.broken)
            fe = rd_kafka_flush(r.rk, (int)c->flush_timeout_ms);
        /* a fatal error during the flush: a new producer sends the rest */
        while (!r.broken && rd_kafka_fatal_error(r.rk, NULL, 0) && recover(&r) == 0)
            fe = rd_kafka_flush(r.rk, (int)c->flush_timeout_ms);
        if (r.rk && !r.broken) {
            if (fe != RD_KAFKA_RESP_ERR_NO_ERROR && !r.broken)
                rf_error("flush: %s", rd_kafka_err2str(fe));
            undelivered = (uint64_t)rd_kafka_outq_len(r.rk);
            rd_kafka_poll(r.rk, 0);
        }
        give_up_pending(&r); /* kept by a last fatal error with no renewal left */
    }
    rf_progress_done(&r.progress);
    double secs = rf_progress_elapsed(&r.progress);
    fprintf(stderr,
            "producer: sent %llu events to %s in %.2f s (%.0f ev/s, %.1f MB/s); delivered %llu, failed %llu, "
            "undelivered %llu%s",
            (unsigned long long)r.sent, r.out ? "stdout" : c->topic, secs, secs > 0 ? (double)r.sent / secs : 0,
            secs > 0 ? (double)r.bytes / 1e6 / secs : 0, (unsigned long long)r.delivered,
            (unsigned long long)r.failed, (unsigned long long)undelivered, c->input ? "" : "\n");
    if (c->input)
        fprintf(stderr, ", invalid input lines %llu (dead letters not delivered: %llu)\n",
                (unsigned long long)r.invalid, (unsigned long long)r.dead_failed);
    rc = body == 0 && r.failed == 0 && undelivered == 0 && r.dead_failed == 0 ? 0 : 1;
out:
    if (r.rk)
        rd_kafka_destroy(r.rk);
    redeliver_free(&r.pending);
    rf_metrics_free(r.metrics);
    return rc;
}
