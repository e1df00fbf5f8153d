/* commit.c - making the processor's work durable, and recovering when
 * Kafka fences it (see processor_int.h). Results become visible when their
 * transaction commits; an aborted transaction's work is redone from the
 * last commit; a fenced producer or consumer is renewed (as Kafka Streams
 * does) within bounds a real twin exhausts. */
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

/* After a fatal error: if it is the producer's fencing or broken sequence
 * (txn_renewable) while this member still holds its partitions, start a new
 * producer and redo the work since the last commit (as Kafka Streams does).
 * The usual causes: Kafka away for longer than transaction.timeout.ms (the
 * coordinator aborts the open transaction and bumps the epoch), a broker
 * restart that librdkafka's sequence numbers do not survive. A real twin (the same group.instance.id
 * twice) is fenced out of the group too and stops; three renewals without
 * a commit between them stop as well, so two twins cannot take turns for
 * ever. 0 if renewed (P no longer failed), -1 if P stays failed. */
static int renew_producer(struct proc *P)
{
    if (!P->txn || !txn_renewable(P->txn) || rd_kafka_fatal_error(P->c, NULL, 0) || P->renewals >= 3)
        return -1;
    rf_warn("%s: the transactional producer failed fatally (fenced, or its sequence numbers broken by a broker "
            "restart): starting a new producer and redoing the work since the last commit", P->err);
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
    return proc_rewind_parts(P);
}

/* Make everything so far durable: EMIT CHANGES rows, then the outputs and
 * every partition's commit point in one transaction. After an abort, every
 * partition is rebuilt from the last commit. 0, or -1 (fatal). */
int proc_commit(struct proc *P)
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
    int64_t t1 = rf_time_mono_ns();
    if (P->first_result_ns)
        rf_debug("commit: %d partitions, %" PRId64 " records, %.1f ms, %.1f ms after the first result", offsets->cnt,
                 txn_records(P->txn), (double)(t1 - t0) / 1e6, (double)(t1 - P->first_result_ns) / 1e6);
    else
        rf_debug("commit: %d partitions, %.1f ms", offsets->cnt, (double)(t1 - t0) / 1e6);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(offsets);
    if (r == TXN_FATAL)
        return proc_fail(P, err);
    if (r == TXN_ABORTED) {
        P->first_result_ns = 0; /* its results are redone */
        P->aborts++;
        rf_metric_add(P->m_aborts, 1);
        return proc_rewind_parts(P);
    }
    P->commits++;
    P->renewals = 0;
    rf_histogram_observe_ms(P->h_commit, (double)(t1 - t0) / 1e6);
    if (P->first_result_ns)
        rf_histogram_observe_ms(P->h_result_delay, (double)(t1 - P->first_result_ns) / 1e6);
    P->first_result_ns = 0;
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

/* After a fatal error: if the consumer was fenced as a static member
 * (rf_kafka.h: usually by its own join replayed after a coordinator
 * stall), leave with what is not committed aborted and join again with a
 * new consumer (and, if it was fenced too, a new producer); the work since
 * the last commit is redone. Within rf_fence_budget; a real twin stops
 * this one. Otherwise the producer (renew_producer). 0 if renewed. */
int proc_renew(struct proc *P)
{
    if (!P->c)
        return -1;
    if (!rf_kafka_instance_fenced(P->c))
        return renew_producer(P);
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
    proc_drop_parts(P);
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
    if (!(P->c = proc_new_consumer(P, err, sizeof err)))
        return proc_fail(P, err);
    if (proc_subscribe(P) < 0) {
        P->failed = 1;
        return -1;
    }
    return 0;
}
