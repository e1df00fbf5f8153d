/* sink.c - the sink's run loop (see sink.h).
 *
 * Batches of up to --max-records messages (or what arrives within --linger)
 * are written on a writer thread while the next batch is read from Kafka
 * (one batch in flight: reading and decoding overlap the stores' work; the
 * consumer's thread waits for it before its offsets are committed, before a
 * rebalance takes its partitions, and before any flush). A batch goes to
 * every destination at once (one thread each, the first on the
 * sink's own; each destination judges its own copy of the records, so its
 * verdicts never mix with another's); a destination that answers RETRY gets the
 * same batch again after a back-off (1/10 s doubling to 5 s) while nothing
 * more is consumed, so memory stays at one batch whatever the outage. Once
 * every destination holds the batch, records no destination could take go to
 * the dead-letter topic (delivery awaited), and then offsets are committed:
 * per partition the next offset, or less where a destination still holds
 * records back (the archive's open object). */
#include "sink.h"

#include "backend.h"
#include "rf_deadletter.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_signal.h"
#include "rf_time.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEST 16

struct dest {
    const struct backend_ops *ops;
    struct backend *b;
    const char *url;
    int64_t grace_ms; /* --shutdown-timeout */
    struct rf_metric *m_written, *m_bytes, *m_retries;
    int64_t last_written, last_bytes;
    /* a write on its own thread (write_dests): the batch it writes (for all
     * but the first destination, over its own copy of the records, recs),
     * and how it went */
    struct sink_record *recs;
    struct sink_batch batch;
    enum sink_rc rc;
    char err[1024];
};

struct run {
    const struct sink_config *cfg;
    struct sink_options opt;
    rd_kafka_t *c, *dlq;
    struct dest d[MAX_DEST];
    int nd;
    int64_t *next;   /* per partition: the next offset to read; -1 unknown */
    int *at_end;
    int nparts;
    /* two batches: one filling on the consumer's thread, one being written */
    struct slot {
        rd_kafka_message_t **msgs;
        struct sink_record *recs;
        int n;
    } slot[2];
    int cur; /* the slot that fills */
    struct {
        int active, threaded, slot, rc;
        pthread_t th;
        struct sink_batch batch;
        int64_t t0;
    } w;         /* the batch being written */
    char werr[1024]; /* the writer's error (r->err belongs to the consumer's thread) */
    int64_t records, dead, batches, dlq_failed;
    int failed;
    char err[1024];
    struct rf_fence_budget fences; /* consumers renewed after a static member's fencing */
    struct rf_metrics *metrics;
    struct rf_metric *m_records, *m_dead, *m_batch_ms, *m_lag;
    struct rf_histogram *h_batch;
};

static int grow_parts(struct run *r, int32_t p)
{
    if (p < r->nparts)
        return 0;
    int n = p + 1;
    int64_t *nx = realloc(r->next, sizeof *nx * (size_t)n);
    int *ae = realloc(r->at_end, sizeof *ae * (size_t)n);
    if (nx)
        r->next = nx;
    if (ae)
        r->at_end = ae;
    if (!nx || !ae)
        return -1;
    for (int i = r->nparts; i < n; i++) {
        r->next[i] = -1;
        r->at_end[i] = 0;
    }
    r->nparts = n;
    return 0;
}

static int open_dests(struct run *r)
{
    for (int i = 0; i < r->nd; i++) {
        char err[512];
        if (!(r->d[i].b = r->d[i].ops->open(r->d[i].url, &r->opt, err, sizeof err))) {
            snprintf(r->err, sizeof r->err, "%s", err);
            return -1;
        }
    }
    return 0;
}

static void close_dests(struct run *r)
{
    for (int i = 0; i < r->nd; i++) {
        if (r->d[i].b)
            r->d[i].ops->close(r->d[i].b);
        r->d[i].b = NULL;
        free(r->d[i].recs);
        r->d[i].recs = NULL;
    }
}

/* Sleep ms between two attempts, but no further than grace_ms into a
 * shutdown: a stop asked for during a long back-off is seen at once. */
static void backoff_sleep(int64_t ms, int64_t grace_ms)
{
    for (int64_t slept = 0; slept < ms && !rf_shutdown_overdue(grace_ms); slept += 50)
        usleep((useconds_t)(ms - slept < 50 ? ms - slept : 50) * 1000);
}

/* Write the batch to d (or, batch NULL, flush it) until the answer is not
 * RETRY: back off, say what is wrong, keep going while running (and for
 * --shutdown-timeout after a shutdown was asked for). SINK_ERROR with errout. Touches only d
 * and the batch: several run at once on their own threads. */
static enum sink_rc persist(struct dest *d, const char *what, struct sink_batch *batch, int64_t now, int force,
                            char *errout, size_t errlen)
{
    int64_t backoff = 100;
    for (int attempt = 0;; attempt++) {
        char err[1024] = "";
        for (int k = 0; batch && k < batch->n; k++)
            batch->r[k].dead = 0; /* this destination's verdicts only */
        enum sink_rc rc = batch ? d->ops->write(d->b, batch, err, sizeof err)
                                : d->ops->flush(d->b, now, force, err, sizeof err);
        if (rc == SINK_OK) {
            if (attempt > 0)
                rf_info("%s is back: %s resumed after %d attempts", d->ops->name, what, attempt + 1);
            return SINK_OK;
        }
        if (rc == SINK_ERROR) {
            snprintf(errout, errlen, "%s: %.900s", d->ops->name, err);
            return SINK_ERROR;
        }
        rf_metric_add(d->m_retries, 1);
        if (attempt == 0 || attempt % 10 == 0)
            rf_warn("%s unavailable: %s; retrying every %.1f s (consumption paused)", d->ops->name, err,
                    (double)backoff / 1000);
        if (rf_shutdown_overdue(d->grace_ms)) {
            snprintf(errout, errlen, "%s: still unavailable %.1f s after the shutdown began: %.900s", d->ops->name,
                     (double)d->grace_ms / 1000, err);
            return SINK_ERROR;
        }
        backoff_sleep(backoff, d->grace_ms);
        if (backoff < 5000)
            backoff *= 2;
    }
}

static void dlq_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    if (m->err) {
        struct run *r = opaque;
        r->dlq_failed++;
        /* failed by a fatally broken producer: the batch is written again
         * with a new one (write_batch), so not an error of its own */
        if (!rd_kafka_fatal_error(rk, NULL, 0))
            rf_error("a dead letter was not delivered: %s", rd_kafka_err2str(m->err));
    }
}

/* The dead-letter producer failed fatally (librdkafka's idempotent
 * producer gives up when a broker restart breaks its sequence numbers): a
 * new one. 0, or -1 with r->err. */
static int renew_dlq(struct run *r)
{
    char why[512], err[512];
    rd_kafka_fatal_error(r->dlq, why, sizeof why);
    rf_warn("the dead-letter producer failed fatally (%s): starting a new one and writing the batch again", why);
    rd_kafka_purge(r->dlq, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(r->dlq, 0);
    rd_kafka_destroy(r->dlq);
    if (!(r->dlq = rf_kafka_producer_new(r->cfg->brokers, &r->cfg->props, dlq_report, r, err, sizeof err))) {
        snprintf(r->werr, sizeof r->werr, "%s", err);
        return -1;
    }
    return 0;
}

/* A dead letter (rf_deadletter.h) for a record destination d could not
 * take; key = the record's. Delivery is awaited before the commit. */
static int send_dead(struct run *r, const char *topic, const struct dest *d, struct sink_record *rec)
{
    struct rf_deadletter dl = {
        .program = "sink", .stage = rec->dead == SINK_DEAD_STORE ? "destination" : "decode", .name = d->ops->name,
        .error = rec->why, .topic = topic, .partition = rec->partition, .offset = rec->offset,
        .payload = rec->value, .len = rec->len};
    size_t size;
    char *buf = rf_deadletter_encode(&dl, &size);
    if (!buf)
        return -1;
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(r->dlq, RD_KAFKA_V_TOPIC(r->cfg->dead_topic),
                                  RD_KAFKA_V_KEY(rec->key, rec->key ? rec->keylen : 0), RD_KAFKA_V_VALUE(buf, size),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (!rf_running()) /* Kafka is away and we are asked to stop: do not wait for ever */
            break;
        rd_kafka_poll(r->dlq, 100);
    }
    if (e) {
        free(buf);
        if (e != RD_KAFKA_RESP_ERR__FATAL) /* fatal: the caller renews the producer */
            rf_error("cannot send a dead letter: %s", rd_kafka_err2str(e));
        return -1;
    }
    r->dead++;
    rf_metric_add(r->m_dead, 1);
    return 0;
}

/* Commit, per partition seen, the offset every destination is past. Async
 * while running (a lost commit only means a harmless replay), sync at the end. */
static int commit_quiet(struct run *r, int sync, int quiet);
static int commit(struct run *r, int sync) { return commit_quiet(r, sync, 0); }

static int commit_quiet(struct run *r, int sync, int quiet)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(r->nparts ? r->nparts : 1);
    for (int32_t p = 0; p < r->nparts; p++) {
        if (r->next[p] < 0)
            continue;
        int64_t off = r->next[p];
        for (int i = 0; i < r->nd; i++)
            if (r->d[i].ops->pending_from) {
                int64_t pf = r->d[i].ops->pending_from(r->d[i].b, p);
                if (pf >= 0 && pf < off)
                    off = pf;
            }
        rd_kafka_topic_partition_list_add(list, r->cfg->topic, p)->offset = off;
    }
    rd_kafka_resp_err_t e = list->cnt ? rd_kafka_commit(r->c, list, !sync) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(list);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        if (!quiet)
            rf_warn("cannot commit offsets: %s (the records will be written again after a restart)",
                    rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Every destination gets the whole batch (its own rejections only: the
 * flags are cleared before each write); each rejection is a dead letter
 * naming the destination; deliveries are awaited. 0, or -1 with r->werr. */
static void *write_dest(void *arg)
{
    struct dest *d = arg;
    d->rc = persist(d, "writing", &d->batch, 0, 0, d->err, sizeof d->err);
    return NULL;
}

static int write_dests(struct run *r, struct sink_batch *batch)
{
    /* All at once: a batch costs the slowest destination's time, not the
     * sum. Each but the first writes its own copy of the records (the
     * verdicts are per destination); a thread that cannot start writes
     * here, after the others. */
    pthread_t th[MAX_DEST];
    int started[MAX_DEST] = {0};
    for (int i = 0; i < r->nd; i++) {
        struct dest *d = &r->d[i];
        d->batch = *batch;
        d->err[0] = '\0';
        if (i == 0)
            continue;
        if (!d->recs && !(d->recs = calloc((size_t)r->cfg->max_records, sizeof *d->recs))) {
            snprintf(r->werr, sizeof r->werr, "out of memory");
            return -1;
        }
        memcpy(d->recs, batch->r, sizeof *batch->r * (size_t)batch->n);
        d->batch.r = d->recs;
        started[i] = pthread_create(&th[i], NULL, write_dest, d) == 0;
    }
    write_dest(&r->d[0]);
    for (int i = 1; i < r->nd; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            write_dest(&r->d[i]);
    }
    for (int i = 0; i < r->nd; i++)
        if (r->d[i].rc != SINK_OK) {
            snprintf(r->werr, sizeof r->werr, "%s", r->d[i].err);
            return -1;
        }
    for (int i = 0; i < r->nd; i++) {
        struct sink_batch *mine = &r->d[i].batch;
        for (int k = 0; k < mine->n; k++)
            if (mine->r[k].dead && send_dead(r, mine->topic, &r->d[i], &mine->r[k]) < 0) {
                if (rd_kafka_fatal_error(r->dlq, NULL, 0))
                    return 0; /* the caller renews the producer and writes the batch again */
                snprintf(r->werr, sizeof r->werr, "cannot send dead letters");
                return -1;
            }
    }
    /* The commit waits for the dead letters: while Kafka is away (a broker
     * restarting, a leader moving) librdkafka retries their delivery, and
     * the sink waits with it for as long as it runs; once a shutdown is
     * asked for, --shutdown-timeout more (the batch is then written again after a
     * restart, its dead letters sent again: nothing is lost). */
    for (int waited = 0; rd_kafka_outq_len(r->dlq) > 0 && !rd_kafka_fatal_error(r->dlq, NULL, 0); waited++) {
        if (rd_kafka_flush(r->dlq, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (waited == 30)
            rf_warn("dead letters not delivered yet after 30 s: waiting for Kafka (consumption paused)");
        if (rf_shutdown_overdue(r->cfg->shutdown_ms)) {
            snprintf(r->werr, sizeof r->werr, "dead letters were not delivered within %.1f s of the shutdown",
                     (double)r->cfg->shutdown_ms / 1000);
            return -1;
        }
    }
    return 0;
}

/* The batch to every destination (write_dests), on the writer thread:
 * touches the destinations, the dead-letter producer and r->werr only.
 * 0, or -1 with r->werr. */
static int write_batch(struct run *r, struct sink_batch *batch)
{
    for (int attempt = 0;; attempt++) {
        if (write_dests(r, batch) < 0)
            return -1;
        /* a dead-letter producer broken for good: a new one, and the batch
         * again (idempotent; its dead letters may then be sent twice) */
        if (!rd_kafka_fatal_error(r->dlq, NULL, 0) || attempt == RF_FENCE_MAX)
            break;
        if (renew_dlq(r) < 0)
            return -1;
        r->dlq_failed = 0;
    }
    if (r->dlq_failed) {
        snprintf(r->werr, sizeof r->werr, "%" PRId64 " dead letters could not be delivered", r->dlq_failed);
        return -1;
    }
    return 0;
}

/* On the consumer's thread, once the batch is written: the offsets it
 * covers are marked for the commit. */
static void batch_written(struct run *r, const struct sink_batch *batch, int64_t t0)
{
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *rec = &batch->r[i];
        if (grow_parts(r, rec->partition) == 0 && rec->offset + 1 > r->next[rec->partition])
            r->next[rec->partition] = rec->offset + 1;
    }
    r->records += batch->n;
    r->batches++;
    rf_metric_add(r->m_records, batch->n);
    rf_metric_set(r->m_batch_ms, (rf_time_mono_ns() - t0) / 1000000);
    rf_histogram_observe_ms(r->h_batch, (double)(rf_time_mono_ns() - t0) / 1e6);
}

static void *writer_main(void *arg)
{
    struct run *r = arg;
    r->w.rc = write_batch(r, &r->w.batch);
    return NULL;
}

/* Start writing the n records of slot k on the writer thread (here, if no
 * thread can start). */
static void start_write(struct run *r, int k, int n)
{
    r->w.batch = (struct sink_batch){r->cfg->topic, r->slot[k].recs, n};
    r->w.slot = k;
    r->slot[k].n = n;
    r->w.t0 = rf_time_mono_ns();
    r->werr[0] = '\0';
    r->w.active = 1;
    r->w.threaded = pthread_create(&r->w.th, NULL, writer_main, r) == 0;
    if (!r->w.threaded)
        writer_main(r);
}

/* Wait for the batch being written (if any); then its offsets are marked,
 * its messages freed and the offsets committed (async). 0, or -1 with
 * r->err and r->failed set. */
static int finish_write(struct run *r)
{
    if (!r->w.active)
        return 0;
    if (r->w.threaded)
        pthread_join(r->w.th, NULL);
    r->w.active = 0;
    struct slot *sl = &r->slot[r->w.slot];
    if (r->w.rc == 0)
        batch_written(r, &r->w.batch, r->w.t0);
    else
        snprintf(r->err, sizeof r->err, "%s", r->werr);
    for (int i = 0; i < sl->n; i++)
        rd_kafka_message_destroy(sl->msgs[i]);
    sl->n = 0;
    if (r->w.rc != 0 || r->failed) {
        r->failed = 1;
        return -1;
    }
    commit(r, 0);
    return 0;
}

/* An object cut by age ends where the wall clock said, which a replay would
 * not repeat: the sink must not write past that cut (nor so name an object
 * after it) before the cut is committed, or a crash then a replay from an
 * older commit would file the same events in two objects. So after an age
 * cut the commit is synchronous and retried until it holds (consumption
 * paused); when a shutdown is asked for, until --shutdown-timeout into it, then the sink
 * stops with an error (a restart replays; its objects may then overlap). */
static int commit_cut(struct run *r)
{
    int64_t backoff = 100;
    for (int attempt = 0;; attempt++) {
        if (commit_quiet(r, 1, attempt % 10 != 0) == 0) {
            if (attempt > 0)
                rf_info("offsets committed after %d attempts: writing again", attempt + 1);
            return 0;
        }
        char fe[512];
        if (rd_kafka_fatal_error(r->c, fe, sizeof fe)) { /* fenced: no retry helps; renewed or stopped */
            snprintf(r->err, sizeof r->err, "Kafka: %s", fe);
            return -1;
        }
        if (attempt == 0)
            rf_warn("an archive object was cut by age and its offsets cannot be committed: retrying "
                    "(consumption paused until they are)");
        if (rf_shutdown_overdue(r->cfg->shutdown_ms)) {
            snprintf(r->err, sizeof r->err,
                     "offsets could not be committed after an archive object was cut by age (%.1f s into the "
                     "shutdown); a restart reads those records again",
                     (double)r->cfg->shutdown_ms / 1000);
            return -1;
        }
        backoff_sleep(backoff, r->cfg->shutdown_ms);
        if (backoff < 1000)
            backoff *= 2;
    }
}

/* Age-based writes (archive objects), then a commit: synchronous when an
 * object was written by age (commit_cut), asynchronous otherwise. */
static int flush_and_commit(struct run *r, int64_t now, int force)
{
    int64_t before = 0, after = 0;
    for (int i = 0; i < r->nd; i++) {
        int64_t w, b;
        r->d[i].ops->stats(r->d[i].b, &w, &b);
        before += r->d[i].ops->pending_from ? w : 0;
        if (persist(&r->d[i], "flushing", NULL, now, force, r->err, sizeof r->err) != SINK_OK)
            return -1;
        r->d[i].ops->stats(r->d[i].b, &w, &b);
        after += r->d[i].ops->pending_from ? w : 0;
    }
    if (after != before || force)
        return commit_cut(r);
    commit(r, 0);
    return 0;
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *list, void *opaque)
{
    struct run *r = opaque;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (rf_kafka_check_assignment(list, &r->cfg->topic, 1, r->err, sizeof r->err) < 0) {
            r->failed = 1;
            rd_kafka_assign(rk, NULL);
            return;
        }
        for (int i = 0; i < list->cnt; i++)
            if (strcmp(r->cfg->from, "end") == 0)
                list->elems[i].offset = RD_KAFKA_OFFSET_INVALID; /* committed, else auto.offset.reset */
        rd_kafka_assign(rk, list);
        return;
    }
    /* Revoked: the batch being written is finished, what is written is
     * committed; what a destination still holds (the archive's open objects)
     * is dropped, and the next owner reads it again from the committed
     * offset. */
    finish_write(r);
    if (!r->failed)
        commit(r, 1);
    close_dests(r);
    for (int32_t p = 0; p < r->nparts; p++) {
        r->next[p] = -1;
        r->at_end[p] = 0;
    }
    if (open_dests(r) < 0)
        r->failed = 1;
    rd_kafka_assign(rk, NULL);
}

static void status(struct run *r, int64_t *last_ms, int64_t *last_records, int final)
{
    int64_t now = rf_time_now_ms();
    if (!final && now - *last_ms < r->cfg->status_ms)
        return;
    int64_t lag = 0;
    for (int32_t p = 0; p < r->nparts; p++) {
        int64_t lo, hi;
        if (r->next[p] >= 0 && rd_kafka_get_watermark_offsets(r->c, r->cfg->topic, p, &lo, &hi) == 0 && hi > r->next[p])
            lag += hi - r->next[p];
    }
    rf_metric_set(r->m_lag, lag);
    char dests[512] = "";
    size_t n = 0;
    for (int i = 0; i < r->nd && n < sizeof dests; i++) {
        int64_t w, b;
        r->d[i].ops->stats(r->d[i].b, &w, &b);
        rf_metric_add(r->d[i].m_written, w - r->d[i].last_written);
        rf_metric_add(r->d[i].m_bytes, b - r->d[i].last_bytes);
        r->d[i].last_written = w;
        r->d[i].last_bytes = b;
        n += (size_t)snprintf(dests + n, sizeof dests - n, ", %s %" PRId64 " %s", r->d[i].ops->name, w,
                              r->d[i].ops->pending_from ? "objects" : "rows");
    }
    double secs = (double)(now - *last_ms) / 1000.0;
    fprintf(stderr, "sink: %s%" PRId64 " records (%.0f/s)%s, %" PRId64 " dead letters, lag %" PRId64 "\n",
            final ? "done: " : "", r->records, secs > 0 ? (double)(r->records - *last_records) / secs : 0.0, dests,
            r->dead, lag);
    *last_ms = now;
    *last_records = r->records;
}

static int setup_metrics(struct run *r)
{
    if (!r->cfg->metrics)
        return 0;
    if (!(r->metrics = rf_metrics_new()))
        return -1;
    r->m_records = rf_metrics_counter(r->metrics, "rydeflow_sink_records_total", NULL, "records consumed and written");
    r->m_dead = rf_metrics_counter(r->metrics, "rydeflow_sink_dead_letters_total", NULL, "records sent to the dead-letter topic");
    r->m_batch_ms = rf_metrics_gauge(r->metrics, "rydeflow_sink_batch_ms", NULL, "time to write the last batch everywhere");
    r->h_batch = rf_metrics_histogram(r->metrics, "rydeflow_sink_batch_seconds", NULL,
                                      "time to write a batch to every destination (dead letters delivered)");
    r->m_lag = rf_metrics_gauge(r->metrics, "rydeflow_sink_lag", NULL, "messages behind the end of the topic");
    for (int i = 0; i < r->nd; i++) {
        char labels[128];
        snprintf(labels, sizeof labels, "destination=\"%s\"", r->d[i].ops->name);
        r->d[i].m_written = rf_metrics_counter(r->metrics, "rydeflow_sink_written_total", labels,
                                               "rows (PostgreSQL, Redis) or objects (archive) written");
        r->d[i].m_bytes = rf_metrics_counter(r->metrics, "rydeflow_sink_bytes_total", labels, "record bytes written");
        r->d[i].m_retries = rf_metrics_counter(r->metrics, "rydeflow_sink_retries_total", labels,
                                               "writes retried because the destination was unavailable");
    }
    char err[512];
    if (rf_metrics_serve(r->metrics, r->cfg->metrics, NULL, err, sizeof err) < 0) {
        snprintf(r->err, sizeof r->err, "%s", err);
        return -1;
    }
    return 0;
}

/* The group member, static (group.instance.id): a restarted sink takes its
 * partitions back at once. NULL with err. */
static rd_kafka_t *new_consumer(struct run *r, char *err, size_t errlen)
{
    const struct sink_config *cfg = r->cfg;
    char member[512];
    snprintf(member, sizeof member, "group.instance.id=%s", cfg->instance);
    const char *defaults[] = {member, "enable.auto.commit=false", "enable.partition.eof=true",
                              strcmp(cfg->from, "end") == 0 ? "auto.offset.reset=latest" : "auto.offset.reset=earliest",
                              "max.poll.interval.ms=600000",
                              /* a million queued messages: no one-second fetch back-off stalls */
                              "queued.min.messages=1000000", NULL};
    return rf_kafka_consumer_new(cfg->brokers, cfg->group, &cfg->props, defaults, rebalance, r, err, errlen);
}

static int subscribe(struct run *r)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, r->cfg->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(r->c, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (se) {
        snprintf(r->err, sizeof r->err, "cannot subscribe to %s: %s", r->cfg->topic, rd_kafka_err2str(se));
        r->failed = 1;
        return -1;
    }
    return 0;
}

/* After a failure: if the consumer was fenced as a static member
 * (rf_kafka.h: usually by its own join replayed after a coordinator
 * stall), drop what the destinations hold uncommitted, and join again with
 * a new consumer: what was not committed is read and written again
 * (idempotently). Within rf_fence_budget; a real twin stops this one.
 * 0 if renewed. */
static int renew_consumer(struct run *r)
{
    if (!r->c || !rf_kafka_instance_fenced(r->c))
        return -1;
    if (!rf_fence_budget_take(&r->fences, rf_time_now_ms())) {
        rf_error("%s", r->err);
        snprintf(r->err, sizeof r->err, "fenced as a static member %d times in %d minutes: is another sink running "
                 "with --group %.200s --instance %.200s?", RF_FENCE_MAX + 1, RF_FENCE_WINDOW_MS / 60000,
                 r->cfg->group, r->cfg->instance);
        return -1;
    }
    rf_warn("%s: joining the group again with a new consumer; what was not committed is written again", r->err);
    rd_kafka_consumer_close(r->c); /* r is failed: a revocation commits nothing */
    rd_kafka_destroy(r->c);
    r->c = NULL;
    close_dests(r);
    for (int32_t p = 0; p < r->nparts; p++) {
        r->next[p] = -1;
        r->at_end[p] = 0;
    }
    char err[512];
    if (open_dests(r) < 0)
        return -1;
    if (!(r->c = new_consumer(r, err, sizeof err))) {
        snprintf(r->err, sizeof r->err, "%s", err);
        return -1;
    }
    r->failed = 0;
    r->err[0] = '\0';
    return subscribe(r);
}

int sink_run(const struct sink_config *cfg)
{
    struct run r = {.cfg = cfg};
    r.opt = (struct sink_options){cfg->endpoint, cfg->batch_bytes, cfg->batch_ms, cfg->chunk_bytes, cfg->part_bytes, cfg->max_future_ms};
    char err[512];
    int rc = 1;
    int64_t last_status = rf_time_now_ms(), last_records = 0, last_flush = rf_time_now_ms();
    for (int i = 0; i < cfg->to.n; i++) {
        r.d[r.nd].url = cfg->to.v[i];
        r.d[r.nd].grace_ms = cfg->shutdown_ms;
        r.d[r.nd++].ops = backend_for(cfg->to.v[i]);
    }
    for (int k = 0; k < 2; k++) {
        r.slot[k].msgs = calloc((size_t)cfg->max_records, sizeof *r.slot[k].msgs);
        r.slot[k].recs = calloc((size_t)cfg->max_records, sizeof *r.slot[k].recs);
        if (!r.slot[k].msgs || !r.slot[k].recs) {
            snprintf(r.err, sizeof r.err, "out of memory");
            goto out;
        }
    }
    if (open_dests(&r) < 0 || setup_metrics(&r) < 0)
        goto out;
    if (!(r.c = new_consumer(&r, err, sizeof err)) ||
        rf_kafka_check_reachable(r.c, cfg->brokers, (int)cfg->timeout_ms, err, sizeof err) < 0 ||
        !(r.dlq = rf_kafka_producer_new(cfg->brokers, &cfg->props, dlq_report, &r, err, sizeof err))) {
        snprintf(r.err, sizeof r.err, "%s", err);
        goto out;
    }
    if (rf_kafka_ensure_topic(r.c, cfg->dead_topic, 1, -1, (int)cfg->timeout_ms, err, sizeof err) < 0)
        rf_warn("%s", err);
    if (subscribe(&r) < 0)
        goto out;
    rf_info("writing %s to %d destination%s (group %s)", cfg->topic, r.nd, r.nd == 1 ? "" : "s", cfg->group);
    while (rf_running() && (!r.failed || renew_consumer(&r) == 0)) {
        /* Fill a batch: up to max_records, or what arrives within linger,
         * while the last one is written. */
        struct slot *sl = &r.slot[r.cur];
        int n = 0;
        int64_t deadline = rf_time_now_ms() + cfg->linger_ms;
        int64_t left = cfg->linger_ms;
        while (n < cfg->max_records && rf_running() && !r.failed) {
            if ((n & 63) == 0) /* the clock, not for every message (profiled: 8% of the archive sink) */
                left = deadline - rf_time_now_ms();
            rd_kafka_message_t *m = rd_kafka_consumer_poll(r.c, n == 0 ? 100 : (int)(left > 0 ? left : 0));
            if (!m) {
                if (n > 0 || left <= 0)
                    break;
                if (rf_time_now_ms() >= deadline)
                    break;
                continue;
            }
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    if (grow_parts(&r, m->partition) == 0)
                        r.at_end[m->partition] = 1;
                } else if (m->err == RD_KAFKA_RESP_ERR__FATAL) { /* fenced, say: nothing to retry */
                    char fe[512];
                    rd_kafka_fatal_error(r.c, fe, sizeof fe);
                    snprintf(r.err, sizeof r.err, "Kafka: %s", fe);
                    r.failed = 1;
                } else {
                    rf_warn("%s", rd_kafka_message_errstr(m));
                }
                rd_kafka_message_destroy(m);
                if (n > 0)
                    break;
                continue;
            }
            if (grow_parts(&r, m->partition) == 0)
                r.at_end[m->partition] = 0;
            sl->msgs[n] = m;
            rd_kafka_timestamp_type_t tt;
            struct sink_record *rec = &sl->recs[n++]; /* field by field: why[] is set only with dead */
            rec->partition = m->partition;
            rec->offset = m->offset;
            rec->timestamp_ms = rd_kafka_message_timestamp(m, &tt);
            rec->key = m->key;
            rec->keylen = m->key_len;
            rec->value = m->payload ? m->payload : "";
            rec->len = m->len;
            rec->dead = 0;
            rec->why[0] = '\0';
        }
        if (finish_write(&r) < 0 || r.failed) { /* renewed at the top of the loop, or stopped */
            for (int i = 0; i < n; i++)
                rd_kafka_message_destroy(sl->msgs[i]);
            r.failed = 1;
            continue;
        }
        int64_t now = rf_time_now_ms();
        if (now - last_flush >= 200) {
            if (flush_and_commit(&r, now, 0) < 0) {
                for (int i = 0; i < n; i++)
                    rd_kafka_message_destroy(sl->msgs[i]);
                r.failed = 1;
                continue;
            }
            last_flush = now;
        }
        status(&r, &last_status, &last_records, 0);
        if (cfg->exit_at_end && n == 0 && r.nparts > 0) {
            int all = 1;
            for (int32_t p = 0; p < r.nparts && all; p++)
                all = r.next[p] < 0 || r.at_end[p];
            int any = 0;
            for (int32_t p = 0; p < r.nparts; p++)
                any |= r.at_end[p];
            if (all && any) {
                rf_info("every partition is at its end: stopping (--exit-at-end)");
                break;
            }
        }
        if (n > 0) {
            start_write(&r, r.cur, n);
            r.cur ^= 1;
        }
    }
    if (finish_write(&r) < 0)
        r.failed = 1;
    if (!r.failed) {
        if (flush_and_commit(&r, rf_time_now_ms(), 1) < 0)
            r.failed = 1;
        else
            rc = 0;
    }
    last_records = 0;
    status(&r, &last_status, &last_records, 1);
out:
    if (r.c) {
        rd_kafka_consumer_close(r.c);
        rd_kafka_destroy(r.c);
    }
    if (r.dlq) {
        rd_kafka_flush(r.dlq, 10000);
        rd_kafka_destroy(r.dlq);
    }
    close_dests(&r);
    rf_metrics_free(r.metrics);
    for (int k = 0; k < 2; k++) {
        free(r.slot[k].msgs);
        free(r.slot[k].recs);
    }
    free(r.next);
    free(r.at_end);
    if (rc != 0)
        rf_error("%s", r.err[0] ? r.err : "failed");
    return rc;
}
