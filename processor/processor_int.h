/* processor_int.h - the processor's run state, shared by processor.c (the
 * loop: partitions, commits, status) and outputs.c (what the partitions'
 * queries emit: results, late records, dead letters, repartitioned events
 * and watermark markers). Not an API: see processor.h. */
#ifndef PROCESSOR_INT_H
#define PROCESSOR_INT_H

#include "processor.h"
#include "pstate.h"
#include "rf_kafka.h"
#include "rf_metrics.h"
#include "txn.h"

#include <stdint.h>

#define MAX_STREAMS 64

struct part {
    char *topic;
    int32_t partition;
    struct pstate *ps;
    struct rf_metric *m_lag, *m_watermark;
    int64_t last_in[MAX_STREAMS]; /* per stream: events taken in, as last counted */
    int at_end;                   /* no message since the end of the partition was reached */
    int merged;                   /* an internal topic's partition: records carry their origin */
    int fed;                      /* merged: the open transaction writes to it (not at its end once committed) */
    int64_t eof_at;               /* the offset of the last end-of-partition event, -1 none */
    int64_t stale_eof;            /* an end-of-partition event at or before this offset is stale: the
                                   * partition was fed after it (-1 none) */
    int adv;                      /* what was last told the merged partitions (pstate_advertise) */
    int64_t adv_base;
};

struct proc {
    const struct processor_config *cfg;
    rd_kafka_t *c;
    struct txn *txn;
    struct part *parts;
    int nparts;
    struct part *cur; /* the partition whose message is being processed */
    int any_changes;  /* some stream emits changes */
    int failed;
    int64_t last_status_ms, last_tick_ms;
    int64_t backlog_at_ms; /* when backlog was last asked (backlogged()) */
    int backlog;
    int64_t events, results, late, dead, commits, aborts;
    int64_t last_events;
    int64_t first_ns, last_ns, last_ns_events; /* the first source event and a recent one (every 1024th) */
    struct rf_metrics *metrics;
    struct rf_metric *m_events, *m_dead, *m_commits, *m_aborts, *m_open_windows, *m_open_groups;
    struct rf_metric *m_in[MAX_STREAMS], *m_out[MAX_STREAMS], *m_late[MAX_STREAMS], *m_fwd[MAX_STREAMS];
    /* Per stream: the topic its query reads, and for a repartitioned one
     * its internal topic (<group>-<stream>-repartition), that topic's
     * partitions and its source's. */
    const char *inputs[MAX_STREAMS];
    char *rp_topic[MAX_STREAMS];
    int rp_parts[MAX_STREAMS], src_parts[MAX_STREAMS];
    int64_t forwarded;
    size_t max_value; /* the largest record Kafka takes (rf_kafka_max_value) */
    char txn_id[512];
    int renewals; /* producers renewed after a fencing since the last commit */
    struct rf_fence_budget fences; /* consumers renewed after a static member's fencing */
    int64_t first_result_ns;       /* when the open transaction's first result was produced, or 0 */
    int64_t result_mark;           /* the event-time high mark of that result's partition then */
    struct rf_histogram *h_result_delay, *h_commit;
    int win_text_set;               /* win_text holds the bounds win_text_ws, win_text_we as text */
    int64_t win_text_ws, win_text_we;
    char win_text[2][32];
    char err[512];
};

#define WM_HEADER "rydeflow-wm" /* on internal topics: "<source partition> <partitions> <high mark|idle>" */

/* Stop with msg (the first failure wins). Returns -1. */
int proc_fail(struct proc *P, const char *msg);
/* The pstate_sink whose callbacks write P's outputs (outputs.c). */
struct pstate_sink proc_outputs(struct proc *P);
/* Tell the merged partitions pt feeds how far its event time got, when
 * that changed (empty marker records). 0, or -1 (P failed). */
int proc_send_markers(struct proc *P, struct part *pt, int64_t now);
/* The origin a record of an internal topic carries: 0, or -1 if none. */
int proc_record_origin(const rd_kafka_message_t *m, struct pstate_origin *o);
/* The partition state of (topic, partition), or NULL (parts.c). */
struct part *proc_find_part(struct proc *P, const char *topic, int32_t partition);

/* parts.c: partitions and membership. */
/* The group member (static membership, eager assignment, read_committed),
 * with rebalance callbacks that build partitions on assignment and commit
 * on revocation. NULL with err. */
rd_kafka_t *proc_new_consumer(struct proc *P, char *err, size_t errlen);
/* Subscribe P->c to every stream's source and internal topics. 0, or -1
 * with P->err. */
int proc_subscribe(struct proc *P);
/* Add the partitions' per-stream event counts to the metrics (each tick). */
void proc_count_stream_events(struct proc *P);
/* Free every partition's state (uncommitted work goes with it). */
void proc_drop_parts(struct proc *P);
/* Rebuild every assigned partition from the last commit. 0, or -1 (P failed). */
int proc_rewind_parts(struct proc *P);

/* commit.c: durability and recovery. */
/* Commit the open transaction with every partition's commit point; after
 * an abort, rewind. 0, or -1 (P failed). */
int proc_commit(struct proc *P);
/* After a failure, renew what Kafka fenced (the consumer as a static
 * member, or the producer), within bounds. 0 if renewed (P no longer
 * failed), -1 if P stays failed. */
int proc_renew(struct proc *P);

#endif
