/* redeliver.h - what the producer sends again after its idempotent producer
 * hit a fatal error.
 *
 * librdkafka's idempotent producer stops for good on a fatal error (seen
 * here after a broker was killed: "out of order sequence number ...
 * rewound sequence number"), failing every message it still held. The
 * producer then starts a new producer (a new producer id) and sends those
 * messages again. Some of them may nevertheless be in the log (written by
 * the broker before the producer gave up on them), and sending them again
 * would duplicate them; so before resending, the tail of each partition
 * concerned is read back, from the first offset whose timestamp is at or
 * after the oldest failed message's create time, and the messages found
 * there (same key and value) are taken as delivered. A broker that cannot
 * look up offsets by time (the dev broker) has the partition read from the
 * first offset this run delivered there (redeliver_delivered), or whole.
 *
 * Ownership: the list copies each message's key and value when added and
 * frees them when taken or freed. Not thread-safe: used on the thread that
 * polls the producer (delivery reports run inside rd_kafka_poll/flush). */
#ifndef PRODUCER_REDELIVER_H
#define PRODUCER_REDELIVER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "rf_opts.h"

struct redeliver_msg {
    int topic;         /* index into the topics given to redeliver_prune */
    int32_t partition;
    int64_t timestamp; /* create time, ms */
    void *opaque;      /* the message's opaque (dead letters are marked by it) */
    char *key;         /* NULL when the message had none */
    size_t key_len;
    char *value;
    size_t value_len;
};

struct redeliver {
    struct redeliver_msg *msgs;
    size_t len, cap;
    int64_t *first;  /* per partition of the events' topic: the first offset this run delivered there, -1 none */
    int32_t nfirst;
};

/* Note a delivered event (topic number 0) at partition/offset: the first
 * one per partition is kept. On a broker that cannot look up offsets by
 * time (the dev broker) the read-back starts there, not at the
 * partition's start, so that an earlier run's identical records are not
 * taken for this run's. O(1); allocates only for a partition not seen
 * before. */
void redeliver_delivered(struct redeliver *l, int32_t partition, int64_t offset);

/* 1 if a delivery report with this error means "the producer gave up on it
 * because it is fatally broken" (so it should go to a new producer), 0 for an
 * error about the message itself. */
int redeliver_wants(rd_kafka_t *rk, rd_kafka_resp_err_t err);

/* Copy a failed message (from its delivery report) into the list, as topic
 * number `topic`. Returns 0, or -1 out of memory (the message is then lost;
 * the caller counts it as failed). */
int redeliver_add(struct redeliver *l, int topic, const rd_kafka_message_t *m);

/* Drop from the list every message already in its partition's log: reads
 * each partition concerned from the first offset at or after its oldest
 * failed message's timestamp to the high watermark, with a consumer of its
 * own (brokers, props as given to the producer; producer-only properties
 * are ignored by it). topics[i] names topic number i. Returns the number of
 * messages dropped, or -1 with a reason in err when the log could not be
 * read, e.g. a partition without a leader for now (the list is then
 * unchanged; the caller retries). */
long redeliver_prune(struct redeliver *l, const char *const *topics, int ntopics, const char *brokers,
                     const struct rf_strlist *props, int timeout_ms, char *err, size_t errlen);

/* Append m, taking ownership of its key and value. 0, or -1 out of memory
 * (m is then still the caller's). */
int redeliver_push(struct redeliver *l, struct redeliver_msg *m);

/* Move the list's messages out into *out (which the caller later frees with
 * redeliver_free); l is left without messages (what it noted of deliveries
 * stays) and may be
 * added to again. */
void redeliver_take(struct redeliver *l, struct redeliver *out);

void redeliver_free(struct redeliver *l);

#endif
