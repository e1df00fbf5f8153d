/* processor.c - the processor's run loop (see processor.h).
 *
 * One thread: poll, hand each message to its partition's pstate, tick the
 * partitions (watermarks, idle partitions, markers), commit (commit.c) at
 * once when results are waiting and the consumer has nothing more at hand,
 * else every --commit-interval. Partitions and membership are parts.c's. */
#include "processor_int.h"
#include "refdata.h"

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

/* With at least this many messages fetched and waiting to be processed,
 * the processor is working off a backlog rather than keeping up with live
 * input: about five seconds of the workshop's heaviest load (10,000
 * reports a second). */
#define BACKLOG_MESSAGES 50000

/* Whether the consumer's local queue holds a backlog (asked at most once a
 * millisecond: the answer takes a lock). */
static int backlogged(struct proc *P, int64_t now)
{
    if (now != P->backlog_at_ms) {
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(P->c);
        P->backlog = q && rd_kafka_queue_length(q) >= BACKLOG_MESSAGES;
        if (q)
            rd_kafka_queue_destroy(q);
        P->backlog_at_ms = now;
    }
    return P->backlog;
}

/* Whether a partition that is receiving events has not yet reached the
 * event time at which the open transaction's first result came (so the
 * window that closed there is about to close in it too). */
static int others_behind(struct proc *P, int64_t now)
{
    for (int i = 0; i < P->nparts; i++) {
        int64_t last, mark = pstate_high_mark(P->parts[i].ps, &last);
        if (mark != INT64_MIN && mark < P->result_mark && last && now - last < 1000)
            return 1;
    }
    return 0;
}

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
    P->h_result_delay = rf_metrics_histogram(m, "rydeflow_processor_result_delay_seconds", NULL,
                                             "from a transaction's first result (a window closing) to its commit "
                                             "(the results readable, read_committed)");
    P->h_commit = rf_metrics_histogram(m, "rydeflow_processor_commit_seconds", NULL,
                                       "time to commit a transaction (offsets and outputs)");
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

/* A stream that reads another's results (a Kinesis Analytics application's
 * pumps chained through an in-application stream) does not wait for a
 * producer: the topic is created like any output, as many partitions as
 * its writer's source. */
static int chained_input(struct proc *P, rd_kafka_t *admin, int i, int sources)
{
    const struct processor_config *cfg = P->cfg;
    const char *src = sql_script_stream(cfg->script, i)->source_topic;
    for (int j = 0; j < sql_script_nstreams(cfg->script); j++) {
        if (strcmp(sql_script_stream(cfg->script, j)->topic, src) != 0)
            continue;
        int parts = cfg->partitions > 0 ? (int)cfg->partitions : j < i && P->src_parts[j] ? P->src_parts[j]
                                                               : sources ? sources : 1;
        char err[512];
        if (rf_kafka_ensure_topic(admin, src, parts, -1, (int)cfg->timeout_ms, err, sizeof err) < 0) {
            snprintf(P->err, sizeof P->err, "%s", err);
            return -1;
        }
        return 0;
    }
    return 0;
}

static int setup_topics(struct proc *P, rd_kafka_t *admin)
{
    const struct processor_config *cfg = P->cfg;
    char err[512];
    int sources = 0;
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++) {
        const char *src = sql_script_stream(cfg->script, i)->source_topic;
        if (chained_input(P, admin, i, sources) < 0)
            return -1;
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

int processor_run(const struct processor_config *cfg)
{
    struct proc P = {.cfg = cfg};
    char err[512];
    for (int i = 0; i < sql_script_nstreams(cfg->script); i++)
        P.any_changes |= !sql_script_stream(cfg->script, i)->emit_final;
    if (setup_metrics(&P) < 0)
        goto out;
    if (!(P.c = proc_new_consumer(&P, err, sizeof err))) {
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
    if (proc_subscribe(&P) < 0) {
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
    int holding = 0;
    while (rf_running() && (!P.failed || proc_renew(&P) == 0)) {
        /* with results waiting, take only what is at hand, then commit
         * (holding, wait a little for what the other partitions bring) */
        int waiting = txn_open(P.txn) && txn_records(P.txn) > 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(P.c, waiting ? holding : 100);
        /* the clock, not for every message: with results waiting it times
         * their 20 ms hold, but working off a backlog they wait for the
         * commit interval, and a read per message was 2% of the work */
        if (!m || (waiting && !P.backlog) || ++polls % 64 == 0)
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
            refdata_refresh(cfg->refdata, now, cfg->reference_ms); /* between records: queries see one table */
            proc_count_stream_events(&P);
            status(&P, now, 0);
        }
        if (P.failed)
            continue; /* renewed at the top of the loop, or stopped */
        /* Results wait for their commit: commit once the consumer has
         * nothing more at hand, or 20 ms after the first result, so that a
         * steady stream of input never holds them back for long. A window
         * closes in each partition as its events pass the window's end, a
         * few milliseconds apart: while a partition that receives events
         * has not got as far as the first result's, its results are about
         * to come, and committing before them would cost a second commit
         * for them (a round trip, on the only thread). Within the 20 ms,
         * the commit waits for them. Working
         * off a backlog, though, results are late already and every commit
         * stops the only thread for a round trip to the coordinator: they
         * wait for the commit interval (profiled on 1M events: 31 commits
         * in two seconds of work). */
        if (!waiting)
            results_since = 0;
        else if (!results_since)
            results_since = now = rf_time_now_ms();
        int64_t hold = 20;
        if (waiting && m && now - results_since >= hold && backlogged(&P, now))
            hold = commit_every;
        holding = 0;
        if (waiting && !m && now - results_since < hold && others_behind(&P, now))
            holding = 1; /* poll for up to 1 ms, not spin */
        if (txn_open(P.txn) && ((waiting && ((!m && !holding) || now - results_since >= hold)) ||
                                now - txn_open_since_ms(P.txn) >= commit_every))
            proc_commit(&P);
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
        proc_renew(&P);
    if (!P.failed) {
        proc_commit(&P);
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
    proc_drop_parts(&P);
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
