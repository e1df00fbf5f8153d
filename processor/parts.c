/* parts.c - the processor's partitions and its group membership (see
 * processor_int.h). The consumer group assigns partitions eagerly (all
 * revoked, then a new set assigned); on assignment each partition's pstate
 * is built from its committed offset and metadata and the partition is read
 * from there (replaying up to where the last run got); on revocation the
 * open transaction is committed first. */
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
#include <time.h>

/* Per-stream events in: the partitions' counters, added up as they grow
 * (each tick, not each event). */
void proc_count_stream_events(struct proc *P)
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

void proc_drop_parts(struct proc *P)
{
    proc_count_stream_events(P); /* what the partitions counted since the last tick */
    P->first_result_ns = 0;  /* uncommitted results go with their partitions */
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
    proc_drop_parts(P);
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
        /* a plain wait: rd_kafka_poll() on a consumer whose queue holds
         * fetched messages aborts the process (librdkafka's assert
         * "res != RD_KAFKA_OP_RES_PASS", seen in the 30-minute chaos run) */
        int ms = attempt < 5 ? 100 * (1 << attempt) : 2000;
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
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

/* Rebuild every assigned partition from the last commit (after the open
 * transaction was aborted: its outputs are gone, so its work is redone). */
int proc_rewind_parts(struct proc *P)
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
        proc_commit(P);
    else {
        char err[512];
        txn_abort(P->txn, err, sizeof err);
    }
    proc_drop_parts(P);
    rd_kafka_assign(rk, NULL);
}

/* The group member: static membership (group.instance.id), so an instance
 * restarted after a crash takes its partitions back at once instead of
 * waiting out the dead member's session. Eager assignment: all revoked,
 * then assigned. NULL with err. */
rd_kafka_t *proc_new_consumer(struct proc *P, char *err, size_t errlen)
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

int proc_subscribe(struct proc *P)
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
