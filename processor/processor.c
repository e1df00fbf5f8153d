/* processor.c - the processor's run loop (see processor.h).
 *
 * One thread. The consumer group assigns partitions eagerly (all revoked,
 * then a new set assigned); on assignment each partition's pstate is built
 * from its committed offset and metadata and the partition is read from
 * there (replaying up to where the last run got); on revocation the open
 * transaction is committed first. Results become visible when their
 * transaction commits: at once when results are waiting and the consumer
 * has nothing more at hand, else every --commit-interval. */
#include "processor_int.h"

#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_signal.h"
#include "rf_time.h"
#include "txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- partitions ---------------------------------------------------------------- */

/* Per-stream events in: the partitions' counters, added up as they grow
 * (each tick, not each event). */
static void count_stream_events(struct proc *P)
{
    for (int i = 0; P->metrics && i < P->nparts; i++) {
        struct part *pt = &P->parts[i];
        for (int s = 0; s < sql_script_nstreams(P->cfg->script) && s < MAX_STREAMS; s++) {
            int64_t in, out, late, wm;
            pstate_stream_stats(pt->ps, s, &in, &out, &late, &wm);
            rf_metric_add(P->m_in[s], in - pt->last_in[s]);
            pt->last_in[s] = in;
        }
    }
}

static void drop_parts(struct proc *P)
{
    count_stream_events(P); /* what the partitions counted since the last tick */
    for (int i = 0; i < P->nparts; i++) {
        pstate_free(P->parts[i].ps);
        free(P->parts[i].topic);
    }
    free(P->parts);
    P->parts = NULL;
    P->nparts = 0;
    P->cur = NULL;
}

struct part *proc_find_part(struct proc *P, const char *topic, int32_t partition)
{
    for (int i = 0; i < P->nparts; i++)
        if (P->parts[i].partition == partition && strcmp(P->parts[i].topic, topic) == 0)
            return &P->parts[i];
    return NULL;
}

static struct rf_metric *part_gauge(struct proc *P, const char *name, const char *help, const char *topic,
                                    int32_t partition)
{
    /* registered once per partition ever assigned: the registry has no removal */
    char labels[256];
    snprintf(labels, sizeof labels, "topic=\"%s\",partition=\"%d\"", topic, (int)partition);
    static struct {
        char key[300];
        struct rf_metric *m;
    } seen[1024];
    static int nseen;
    char key[300];
    snprintf(key, sizeof key, "%s{%s}", name, labels);
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i].key, key) == 0)
            return seen[i].m;
    struct rf_metric *m = P->metrics ? rf_metrics_gauge(P->metrics, name, labels, help) : NULL;
    if (nseen < 1024) {
        snprintf(seen[nseen].key, sizeof seen[nseen].key, "%s", key);
        seen[nseen++].m = m;
    }
    return m;
}

/* Build the state of each partition in list from its committed offset and
 * metadata, set where to read from, and assign. */
static int load_parts(struct proc *P, rd_kafka_topic_partition_list_t *list)
{
    drop_parts(P);
    /* The group coordinator may be restarting or moving, or a transaction
     * of a killed predecessor may still hold the offsets until Kafka
     * aborts it (UNSTABLE_OFFSET_COMMIT): retriable, so retried for as long
     * as the processor runs. */
    rd_kafka_resp_err_t e;
    for (int attempt = 0;; attempt++) {
        e = rd_kafka_committed(P->c, list, (int)P->cfg->timeout_ms);
        if (!e || !rf_kafka_err_retriable(e) || !rf_running())
            break;
        if (attempt == 0 || attempt % 10 == 0)
            rf_warn("cannot read committed offsets yet: %s: retrying", rd_kafka_err2str(e));
        rd_kafka_poll(P->c, attempt < 5 ? 100 * (1 << attempt) : 2000);
    }
    if (e) {
        snprintf(P->err, sizeof P->err, "cannot read committed offsets: %s", rd_kafka_err2str(e));
        return -1;
    }
    P->parts = calloc((size_t)(list->cnt ? list->cnt : 1), sizeof *P->parts);
    if (!P->parts)
        return proc_fail(P, "out of memory");
    struct pstate_sink sink = proc_outputs(P);
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        int64_t committed = tp->offset >= 0 ? tp->offset : -1;
        static char meta[65536];
        meta[0] = '\0';
        if (tp->metadata && tp->metadata_size > 0 && tp->metadata_size < sizeof meta) {
            memcpy(meta, tp->metadata, tp->metadata_size);
            meta[tp->metadata_size] = '\0';
        }
        struct pstate_conf conf = {
            .script = P->cfg->script,
            .topic = tp->topic,
            .partition = tp->partition,
            .max_groups = P->cfg->max_groups,
            .idle_ms = P->cfg->idle_ms,
            .processing_time = strcmp(P->cfg->time, "processing") == 0,
            .max_future_ms = P->cfg->max_future_ms,
            .inputs = P->inputs,
        };
        const char *warning;
        char err[256] = "out of memory";
        struct part *pt = &P->parts[P->nparts];
        if (!(pt->topic = strdup(tp->topic)) ||
            !(pt->ps = pstate_new(&conf, &sink, committed, meta, &warning, err, sizeof err))) {
            free(pt->topic);
            pt->topic = NULL;
            snprintf(P->err, sizeof P->err, "partition %s [%d]: %s", tp->topic, (int)tp->partition, err);
            return -1;
        }
        if (warning)
            rf_warn("partition %s [%d]: %s", tp->topic, (int)tp->partition, warning);
        pt->partition = tp->partition;
        pt->eof_at = pt->stale_eof = -1;
        pt->merged = pstate_merged(pt->ps);
        pt->m_lag = part_gauge(P, "rydeflow_processor_lag", "messages behind the end of the partition", tp->topic,
                               tp->partition);
        pt->m_watermark = part_gauge(P, "rydeflow_processor_max_event_time_ms",
                                     "the largest event time seen on the partition (ms since the epoch)", tp->topic,
                                     tp->partition);
        P->nparts++;
        rf_info("partition %s [%d]: %s", tp->topic, (int)tp->partition,
                committed >= 0 ? (meta[0] ? "resuming from its commit (replaying open windows)"
                                          : "resuming from its committed offset")
                               : "starting afresh");
        tp->offset = committed >= 0 ? committed
                     : strcmp(P->cfg->from, "end") == 0 ? RD_KAFKA_OFFSET_END
                                                         : RD_KAFKA_OFFSET_BEGINNING;
    }
    e = rd_kafka_assign(P->c, list);
    if (e) {
        snprintf(P->err, sizeof P->err, "cannot assign partitions: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* ---- committing ---------------------------------------------------------------- */

/* Rebuild every assigned partition from the last commit (after the open
 * transaction was aborted: its outputs are gone, so its work is redone). */
static int rewind_parts(struct proc *P)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    if (rd_kafka_assignment(P->c, &list) || load_parts(P, list) < 0) {
        if (list)
            rd_kafka_topic_partition_list_destroy(list);
        return proc_fail(P, P->err[0] ? P->err : "cannot rewind after an aborted transaction");
    }
    rd_kafka_topic_partition_list_destroy(list);
    return 0;
}

/* After a fatal error: if it is the producer's fencing while this member
 * still holds its partitions, start a new producer and redo the work since
 * the last commit (as Kafka Streams does). The usual cause is Kafka away
 * for longer than transaction.timeout.ms: the coordinator aborts the open
 * transaction and bumps the epoch. A real twin (the same group.instance.id
 * twice) is fenced out of the group too and stops; three renewals without
 * a commit between them stop as well, so two twins cannot take turns for
 * ever. 0 if renewed (P no longer failed), -1 if P stays failed. */
static int renew_fenced(struct proc *P)
{
    if (!P->txn || !txn_fenced(P->txn) || rd_kafka_fatal_error(P->c, NULL, 0) || P->renewals >= 3)
        return -1;
    rf_warn("%s: the transaction was fenced (Kafka away for longer than transaction.timeout.ms?): starting a new "
            "producer and redoing the work since the last commit", P->err);
    char err[512];
    txn_free(P->txn);
    if (!(P->txn = txn_new(P->cfg->brokers, &P->cfg->props, P->txn_id, (int)P->cfg->timeout_ms, err, sizeof err))) {
        snprintf(P->err, sizeof P->err, "%s", err);
        return -1;
    }
    P->renewals++;
    P->failed = 0;
    P->err[0] = '\0';
    P->aborts++;
    rf_metric_add(P->m_aborts, 1);
    return rewind_parts(P);
}

/* Make everything so far durable: EMIT CHANGES rows, then the outputs and
 * every partition's commit point in one transaction. After an abort, every
 * partition is rebuilt from the last commit. 0, or -1 (fatal). */
static int commit(struct proc *P)
{
    if (!txn_open(P->txn))
        return 0;
    char err[512];
    for (int i = 0; i < P->nparts; i++) {
        P->cur = &P->parts[i];
        if (pstate_flush_changes(P->parts[i].ps, err, sizeof err) < 0)
            return proc_fail(P, err);
    }
    if (P->failed)
        return -1;
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(P->nparts ? P->nparts : 1);
    static char meta[65536];
    for (int i = 0; i < P->nparts; i++) {
        int64_t off;
        if (pstate_commit_point(P->parts[i].ps, &off, meta, sizeof meta) < 0 ||
            strlen(meta) > (size_t)P->cfg->metadata_max) {
            /* a cut metadata would resume wrongly: stop and say so */
            snprintf(err, sizeof err,
                     "partition %s [%d]: its commit metadata takes %zu bytes, more than --metadata-max-bytes (%lld, "
                     "the brokers' offset.metadata.max.bytes): raise both", P->parts[i].topic,
                     (int)P->parts[i].partition, strlen(meta), P->cfg->metadata_max);
            rd_kafka_topic_partition_list_destroy(offsets);
            return proc_fail(P, err);
        }
        if (off < 0)
            continue;
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(offsets, P->parts[i].topic, P->parts[i].partition);
        tp->offset = off;
        tp->metadata = strdup(meta);
        tp->metadata_size = strlen(meta);
    }
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(P->c);
    int64_t t0 = rf_time_mono_ns();
    enum txn_result r = txn_commit(P->txn, offsets, cgmd, rf_running, 30000, err, sizeof err);
    rf_debug("commit: %d partitions, %.1f ms", offsets->cnt, (double)(rf_time_mono_ns() - t0) / 1e6);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(offsets);
    if (r == TXN_FATAL)
        return proc_fail(P, err);
    if (r == TXN_ABORTED) {
        P->aborts++;
        rf_metric_add(P->m_aborts, 1);
        return rewind_parts(P);
    }
    P->commits++;
    P->renewals = 0;
    rf_metric_add(P->m_commits, 1);
    for (int i = 0; i < P->nparts; i++)
        if (P->parts[i].fed) { /* what it was fed is there to read now */
            P->parts[i].at_end = P->parts[i].fed = 0;
            /* An end-of-partition event fetched before this commit became
             * visible (read_committed) may still be on its way: it says
             * nothing of what was just written after it. */
            P->parts[i].stale_eof = P->parts[i].eof_at;
        }
    return 0;
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *list, void *opaque)
{
    struct proc *P = opaque;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        const char *mine[2 * MAX_STREAMS];
        int n = 0;
        for (int i = 0; i < sql_script_nstreams(P->cfg->script) && i < MAX_STREAMS; i++) {
            mine[n++] = P->inputs[i];
            mine[n++] = sql_script_stream(P->cfg->script, i)->source_topic;
        }
        char err[512];
        if (rf_kafka_check_assignment(list, mine, n, err, sizeof err) < 0) {
            proc_fail(P, err);
            return;
        }
        if (load_parts(P, list) < 0)
            P->failed = 1;
        return;
    }
    /* revoked (or lost): finish what was done with these partitions */
    if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !P->failed)
        commit(P);
    else {
        char err[512];
        txn_abort(P->txn, err, sizeof err);
    }
    drop_parts(P);
    rd_kafka_assign(rk, NULL);
}

/* ---- status and metrics ----------------------------------------------------------- */

static void status(struct proc *P, int64_t now, int final)
{
    int64_t open_windows = 0, open_groups = 0, lag = 0, replaying = 0, max_ts = INT64_MIN;
    for (int i = 0; i < P->nparts; i++) {
        struct pstate_stats st;
        pstate_stats(P->parts[i].ps, &st);
        open_windows += st.open_windows;
        open_groups += st.open_groups;
        replaying += st.replaying;
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(P->c, P->parts[i].topic, P->parts[i].partition, &lo, &hi) == 0 &&
            st.next_offset >= 0 && hi >= st.next_offset) {
            lag += hi - st.next_offset;
            rf_metric_set(P->parts[i].m_lag, hi - st.next_offset);
        }
        rf_metric_set(P->parts[i].m_watermark, st.max_event_time == INT64_MIN ? 0 : st.max_event_time);
        if (st.max_event_time > max_ts)
            max_ts = st.max_event_time;
    }
    rf_metric_set(P->m_open_windows, open_windows);
    rf_metric_set(P->m_open_groups, open_groups);
    if (!P->last_status_ms)
        P->last_status_ms = now;
    double secs = (double)(now - P->last_status_ms) / 1000.0;
    if (!final && (secs * 1000 < (double)P->cfg->status_ms))
        return;
    char t[32] = "-";
    if (max_ts != INT64_MIN)
        rf_time_format(max_ts, t);
    fprintf(stderr,
            "processor: %s%" PRId64 " events (%.0f/s), %" PRId64 " results, %" PRId64 " late, %" PRId64
            " dead letters, %d partitions%s, lag %" PRId64 ", %" PRId64 " open windows, event time %s, %" PRId64
            " commits\n",
            final ? "done: " : "", P->events, secs > 0 ? (double)(P->events - P->last_events) / secs : 0.0,
            P->results, P->late, P->dead, P->nparts, replaying ? " (replaying)" : "", lag, open_windows, t,
            P->commits);
    P->last_status_ms = now;
    P->last_events = P->events;
}

static double rss_bytes(void *arg)
{
    (void)arg;
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static int setup_metrics(struct proc *P)
{
    if (!P->cfg->metrics)
        return 0;
    if (!(P->metrics = rf_metrics_new()))
        return proc_fail(P, "out of memory");
    struct rf_metrics *m = P->metrics;
    P->m_events = rf_metrics_counter(m, "rydeflow_processor_events_total", NULL, "events read from the sources");
    P->m_dead = rf_metrics_counter(m, "rydeflow_processor_dead_letters_total", NULL, "events sent to the dead-letter topic");
    P->m_commits = rf_metrics_counter(m, "rydeflow_processor_commits_total", NULL, "transactions committed");
    P->m_aborts = rf_metrics_counter(m, "rydeflow_processor_aborts_total", NULL, "transactions aborted and redone");
    P->m_open_windows = rf_metrics_gauge(m, "rydeflow_processor_open_windows", NULL, "windows (or sessions) open");
    P->m_open_groups = rf_metrics_gauge(m, "rydeflow_processor_open_groups", NULL, "groups held in open windows");
    rf_metrics_gauge_fn(m, "rydeflow_processor_resident_bytes", NULL, "resident memory", rss_bytes, NULL);
    for (int i = 0; i < sql_script_nstreams(P->cfg->script) && i < MAX_STREAMS; i++) {
        char labels[256];
        snprintf(labels, sizeof labels, "stream=\"%s\"", sql_script_stream(P->cfg->script, i)->name);
        P->m_in[i] = rf_metrics_counter(m, "rydeflow_processor_stream_events_total", labels, "events a stream took in");
        P->m_out[i] = rf_metrics_counter(m, "rydeflow_processor_stream_results_total", labels, "results a stream produced");
        P->m_late[i] = rf_metrics_counter(m, "rydeflow_processor_stream_late_total", labels,
                                          "events that arrived after their window closed");
        if (sql_script_stream(P->cfg->script, i)->repartition)
            P->m_fwd[i] = rf_metrics_counter(m, "rydeflow_processor_stream_repartitioned_total", labels,
                                             "events forwarded to the stream's internal topic");
    }
    char err[512];
    int port;
    if (rf_metrics_serve(m, P->cfg->metrics, &port, err, sizeof err) < 0)
        return proc_fail(P, err);
    rf_info("metrics on http://%s/metrics", P->cfg->metrics);
    return 0;
}

/* ---- the loop ------------------------------------------------------------------------ */

/* The partition count of topic, waiting up to --timeout for it to appear
 * (a source about to be created, or a topic just created, which takes a
 * moment to show in the metadata). 0 if it did not; -1 with P->err. */
static int wait_for_topic(struct proc *P, rd_kafka_t *admin, const char *topic)
{
    char err[512];
    int n;
    int64_t deadline = rf_time_now_ms() + P->cfg->timeout_ms;
    while ((n = rf_kafka_partition_count(admin, topic, (int)P->cfg->timeout_ms, err, sizeof err)) == 0 &&
           rf_time_now_ms() < deadline && rf_running())
        usleep(100000);
    if (n < 0)
        snprintf(P->err, sizeof P->err, "%s", err);
    return n;
}

static int setup_topics(struct proc *P, rd_kafka_t *admin)
{
    const struct processor_config *cfg = P->cfg;
    char err[512];
    int sources = 0;
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++) {
        const char *src = sql_script_stream(cfg->script, i)->source_topic;
        int n = wait_for_topic(P, admin, src); /* the producer may be starting alongside */
        if (n < 0)
            return -1;
        if (n == 0) {
            snprintf(P->err, sizeof P->err,
                     "source topic '%s' does not exist (waited %lld ms; start the producer first, or create it)", src,
                     cfg->timeout_ms);
            return -1;
        }
        if (!sources)
            sources = n;
        P->src_parts[i] = n;
    }
    /* Repartitioned streams: an internal topic each, as many partitions as
     * the source (the work spreads as the source's does). */
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++) {
        const struct sql_stream_def *d = sql_script_stream(cfg->script, i);
        P->inputs[i] = d->source_topic;
        if (!d->repartition)
            continue;
        size_t len = strlen(cfg->group) + strlen(d->name) + 16;
        if (!(P->rp_topic[i] = malloc(len)))
            return proc_fail(P, "out of memory");
        snprintf(P->rp_topic[i], len, "%s-%s-repartition", cfg->group, d->name);
        P->inputs[i] = P->rp_topic[i];
        if (rf_kafka_ensure_topic(admin, P->rp_topic[i], P->src_parts[i], -1, (int)cfg->timeout_ms, err, sizeof err) < 0) {
            snprintf(P->err, sizeof P->err, "%s", err);
            return -1;
        }
        int n = wait_for_topic(P, admin, P->rp_topic[i]);
        if (n < 0)
            return -1;
        if (n == 0) {
            snprintf(P->err, sizeof P->err, "internal topic '%s' did not appear", P->rp_topic[i]);
            return -1;
        }
        P->rp_parts[i] = n;
        rf_info("stream %s groups across partitions: repartitioned through topic %s (%d partitions)", d->name,
                P->rp_topic[i], n);
    }
    int parts = cfg->partitions > 0 ? (int)cfg->partitions : sources;
    const char *outs[MAX_STREAMS + 2];
    int nouts = 0;
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++)
        outs[nouts++] = sql_script_stream(cfg->script, i)->topic;
    outs[nouts++] = cfg->late_topic;
    outs[nouts++] = cfg->dead_topic;
    for (int i = 0; i < nouts; i++)
        if (rf_kafka_ensure_topic(admin, outs[i], parts, -1, (int)cfg->timeout_ms, err, sizeof err) < 0) {
            snprintf(P->err, sizeof P->err, "%s", err);
            return -1;
        }
    return 0;
}

static int subscribe(struct proc *P)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < sql_script_nstreams(P->cfg->script); i++) {
        const char *src[] = {P->inputs[i], sql_script_stream(P->cfg->script, i)->source_topic};
        for (int k = 0; k < 2; k++)
            if (!rd_kafka_topic_partition_list_find(topics, src[k], RD_KAFKA_PARTITION_UA))
                rd_kafka_topic_partition_list_add(topics, src[k], RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t e = rd_kafka_subscribe(P->c, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        snprintf(P->err, sizeof P->err, "cannot subscribe: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static void handle(struct proc *P, rd_kafka_message_t *m, int64_t now)
{
    /* A consumer-wide error (all brokers down, say) has no topic. */
    struct part *pt = m->rkt ? proc_find_part(P, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
    char err[512];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        P->cur = pt;
        if (pt && m->offset > pt->stale_eof) {
            pt->at_end = 1;
            pt->eof_at = m->offset;
        }
        if (pt && pstate_caught_up(pt->ps, m->offset, err, sizeof err) < 0)
            proc_fail(P, err);
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) { /* fenced by another member, say: nothing to retry */
        rd_kafka_fatal_error(P->c, err, sizeof err);
        proc_fail(P, err);
        return;
    }
    if (m->err) {
        rf_warn("%s", rd_kafka_message_errstr(m));
        return;
    }
    if (!pt)
        return; /* a message from a partition just revoked */
    pt->at_end = 0;
    if (txn_begin(P->txn, err, sizeof err) < 0) {
        proc_fail(P, err);
        return;
    }
    P->cur = pt;
    struct pstate_origin o;
    int rc = pt->merged ? pstate_merged_message(pt->ps, m->offset, proc_record_origin(m, &o) == 0 ? &o : NULL, m->key,
                                                m->key_len, m->payload, m->len, now, err, sizeof err)
                        : pstate_message(pt->ps, m->offset, m->key, m->key_len, m->payload, m->len,
                                         rd_kafka_message_timestamp(m, NULL), now, err, sizeof err);
    if (rc < 0) {
        proc_fail(P, P->failed ? P->err : err);
        return;
    }
    if (pt->merged)
        return; /* counted when read from the source */
    if (!P->events++)
        P->first_ns = rf_time_mono_ns();
    if ((P->events & 1023) == 0) {
        P->last_ns = rf_time_mono_ns();
        P->last_ns_events = P->events;
    }
    rf_metric_add(P->m_events, 1);
}


/* The group member: static membership (group.instance.id), so an instance
 * restarted after a crash takes its partitions back at once instead of
 * waiting out the dead member's session. Eager assignment: all revoked,
 * then assigned. NULL with err. */
static rd_kafka_t *new_consumer(struct proc *P, char *err, size_t errlen)
{
    char member[512];
    snprintf(member, sizeof member, "group.instance.id=%s", P->cfg->instance);
    const char *const consumer_defaults[] = {
        "enable.auto.commit=false", "isolation.level=read_committed", "enable.partition.eof=true",
        "auto.offset.reset=earliest", "partition.assignment.strategy=range,roundrobin", member,
        /* keep up to a million messages queued: with the default (100,000) a
         * consumer that works on each message hits the threshold and the
         * fetcher backs off for a second (fetch.queue.backoff.ms) */
        "queued.min.messages=1000000", NULL};
    return rf_kafka_consumer_new(P->cfg->brokers, P->cfg->group, &P->cfg->props, consumer_defaults, rebalance, P,
                                 err, errlen);
}

/* After a fatal error: if the consumer was fenced as a static member
 * (rf_kafka.h: usually by its own join replayed after a coordinator
 * stall), leave with what is not committed aborted and join again with a
 * new consumer (and, if it was fenced too, a new producer); the work since
 * the last commit is redone. Within rf_fence_budget; a real twin stops
 * this one. Otherwise the producer's fencing (renew_fenced). 0 if renewed. */
static int renew(struct proc *P)
{
    if (!P->c)
        return -1;
    if (!rf_kafka_instance_fenced(P->c))
        return renew_fenced(P);
    if (!rf_fence_budget_take(&P->fences, rf_time_now_ms())) {
        rf_error("%s", P->err);
        snprintf(P->err, sizeof P->err, "fenced as a static member %d times in %d minutes: is another processor "
                 "running with --group %.200s --instance %.200s?", RF_FENCE_MAX + 1, RF_FENCE_WINDOW_MS / 60000,
                 P->cfg->group, P->cfg->instance);
        return -1;
    }
    rf_warn("%s: joining the group again with a new consumer and redoing the work since the last commit", P->err);
    char err[512];
    rd_kafka_consumer_close(P->c); /* revokes: the open transaction is aborted (P is failed) */
    rd_kafka_destroy(P->c);
    drop_parts(P);
    if (txn_open(P->txn) && txn_abort(P->txn, err, sizeof err) != TXN_OK) {
        txn_free(P->txn); /* fenced too: a new producer takes the transactional.id over */
        if (!(P->txn = txn_new(P->cfg->brokers, &P->cfg->props, P->txn_id, (int)P->cfg->timeout_ms, err, sizeof err))) {
            P->c = NULL;
            snprintf(P->err, sizeof P->err, "%s", err);
            return -1;
        }
    }
    P->failed = 0;
    P->err[0] = '\0';
    P->aborts++;
    rf_metric_add(P->m_aborts, 1);
    if (!(P->c = new_consumer(P, err, sizeof err)))
        return proc_fail(P, err);
    if (subscribe(P) < 0) {
        P->failed = 1;
        return -1;
    }
    return 0;
}

int processor_run(const struct processor_config *cfg)
{
    struct proc P = {.cfg = cfg};
    char err[512];
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++)
        P.any_changes |= !sql_script_stream(cfg->script, i)->emit_final;
    if (setup_metrics(&P) < 0)
        goto out;
    if (!(P.c = new_consumer(&P, err, sizeof err))) {
        proc_fail(&P, err);
        goto out;
    }
    if (rf_kafka_check_reachable(P.c, cfg->brokers, (int)cfg->timeout_ms, err, sizeof err) < 0) {
        proc_fail(&P, err);
        goto out;
    }
    if (setup_topics(&P, P.c) < 0) {
        P.failed = 1;
        goto out;
    }
    snprintf(P.txn_id, sizeof P.txn_id, "rydeflow-%s-%s", cfg->group, cfg->instance);
    if (!(P.txn = txn_new(cfg->brokers, &cfg->props, P.txn_id, (int)cfg->timeout_ms, err, sizeof err))) {
        proc_fail(&P, err);
        goto out;
    }
    P.max_value = rf_kafka_max_value(txn_handle(P.txn));
    if (subscribe(&P) < 0) {
        P.failed = 1;
        goto out;
    }
    rf_info("running %d stream%s from %s (group %s, transactional.id %s)", sql_script_nstreams(cfg->script),
            sql_script_nstreams(cfg->script) == 1 ? "" : "s", cfg->file, cfg->group, P.txn_id);
    int64_t commit_every = cfg->commit_ms;
    if (P.any_changes && cfg->emit_ms < commit_every)
        commit_every = cfg->emit_ms;
    int64_t now = rf_time_now_ms(), results_since = 0;
    unsigned polls = 0;
    while (rf_running() && (!P.failed || renew(&P) == 0)) {
        /* with results waiting, take only what is at hand, then commit */
        int waiting = txn_open(P.txn) && txn_records(P.txn) > 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(P.c, waiting ? 0 : 100);
        if (!m || waiting || ++polls % 64 == 0) /* the clock, not for every message */
            now = rf_time_now_ms();
        if (m) {
            handle(&P, m, now);
            rd_kafka_message_destroy(m);
        }
        if (now - P.last_tick_ms >= 100) {
            for (int i = 0; i < P.nparts && !P.failed; i++) {
                P.cur = &P.parts[i];
                if (pstate_tick(P.parts[i].ps, now, err, sizeof err) < 0)
                    proc_fail(&P, err);
                else if (pstate_forwards(P.parts[i].ps))
                    proc_send_markers(&P, &P.parts[i], now);
            }
            P.last_tick_ms = now;
            count_stream_events(&P);
            status(&P, now, 0);
        }
        if (P.failed)
            continue; /* renewed at the top of the loop, or stopped */
        /* Results wait for their commit: commit once the consumer has
         * nothing more at hand, or 20 ms after the first result, so that a
         * steady stream of input never holds them back for long. */
        if (!waiting)
            results_since = 0;
        else if (!results_since)
            results_since = now = rf_time_now_ms();
        if (txn_open(P.txn) && ((waiting && (!m || now - results_since >= 20)) ||
                                now - txn_open_since_ms(P.txn) >= commit_every))
            commit(&P);
        if (cfg->exit_at_end && P.nparts > 0 && !m) {
            int all = 1;
            for (int i = 0; i < P.nparts && all; i++)
                all = P.parts[i].at_end;
            /* Not before the merged partitions were told how far every
             * source got (markers are otherwise sent at the next tick):
             * windows the input closes must close in this run. Markers
             * sent now open a transaction, which the loop commits, and the
             * partitions they feed are then read to their end again. The
             * clock 0 leaves out an idle partition's growing allowance, so
             * only event time not yet told is sent and the exit comes. */
            for (int i = 0; all && i < P.nparts && !P.failed; i++)
                if (pstate_forwards(P.parts[i].ps))
                    proc_send_markers(&P, &P.parts[i], 0);
            if (all && !txn_open(P.txn) && !P.failed) {
                rf_info("every partition is at its end: stopping (--exit-at-end)");
                break;
            }
        }
    }
    if (P.failed) /* fenced as the stop came: renewed, the next run redoes what is not committed */
        renew(&P);
    if (!P.failed) {
        commit(&P);
        rf_info("stopping: committed; leaving the group");
    }
out:
    if (P.c) {
        rd_kafka_consumer_close(P.c);
        rd_kafka_destroy(P.c);
    }
    if (P.failed && P.txn)
        txn_abort(P.txn, err, sizeof err);
    txn_free(P.txn);
    drop_parts(&P);
    if (P.last_ns > P.first_ns) /* the rate of the work itself, without start-up, joining and leaving */
        rf_info("processed %" PRId64 " events; from the first: %.0f events/s", P.events,
                (double)(P.last_ns_events - 1) / ((double)(P.last_ns - P.first_ns) / 1e9));
    if (P.txn || P.events) /* the last line: the summary */
        status(&P, rf_time_now_ms(), 1);
    rf_metrics_free(P.metrics);
    for (int i = 0; i < MAX_STREAMS; i++)
        free(P.rp_topic[i]);
    if (P.failed) {
        rf_error("%s", P.err);
        return 1;
    }
    return 0;
}
