/* txn.h - the processor's output: a transactional Kafka producer.
 *
 * Every record (result, late event, dead letter) is produced inside the
 * current transaction, begun on demand; txn_commit adds the consumer
 * offsets (with metadata) to the transaction and commits it, so outputs and
 * offsets become visible together, or (after a crash or an abort) not at
 * all. Producing blocks, polling, while the local queue is full: a broker
 * that is down stops the processor from consuming instead of letting the
 * queue grow (the queue is bounded by queue.buffering.max.kbytes). */
#ifndef TXN_H
#define TXN_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "rf_opts.h"

struct txn;

/* A transactional producer with id txn_id; init_transactions is done here
 * (fencing any earlier instance with the same id and aborting what it left
 * open). NULL with err. */
struct txn *txn_new(const char *brokers, const struct rf_strlist *props, const char *txn_id, int timeout_ms,
                    char *err, size_t errlen);
void txn_free(struct txn *t);
rd_kafka_t *txn_handle(struct txn *t);

/* Produce one record in the current transaction (begun if none), to
 * partition (RD_KAFKA_PARTITION_UA: the partitioner's choice by key). hdr_*:
 * up to three header name/value pairs (names NULL-terminated list). Returns
 * 0, or -1 with err (fatal, or the transaction must be aborted). */
int txn_produce(struct txn *t, const char *topic, int32_t partition, const char *key, size_t keylen, const char *val,
                size_t len,
                const char *const *hdr_names, const char *const *hdr_values, char *err, size_t errlen);
/* Begin a transaction if none is open (to commit consumed offsets even
 * without outputs). 0 or -1. */
int txn_begin(struct txn *t, char *err, size_t errlen);
int txn_open(const struct txn *t);
int64_t txn_open_since_ms(const struct txn *t);
int64_t txn_records(const struct txn *t); /* produced in the open transaction */

enum txn_result { TXN_OK = 0, TXN_ABORTED = 1, TXN_FATAL = -1 };
/* Commit the open transaction with these consumer offsets. Retries what
 * librdkafka says is retriable (while the broker is away) until running()
 * turns false and give_up_ms has passed. TXN_ABORTED: the transaction was
 * aborted (the caller rewinds to the last committed offsets); TXN_FATAL:
 * err says why (e.g. fenced by another instance). */
enum txn_result txn_commit(struct txn *t, rd_kafka_topic_partition_list_t *offsets,
                           rd_kafka_consumer_group_metadata_t *cgmd, int (*running)(void), int give_up_ms,
                           char *err, size_t errlen);
/* 1 if the producer's fatal error is one a new producer (txn_new, which
 * aborts the open transaction) gets past: a fencing (a newer producer with
 * the same transactional.id, or, the usual case, the coordinator's own
 * abort of a transaction that outlived transaction.timeout.ms while Kafka
 * was away, seen as a fencing or as INVALID_TXN_STATE when the producer's
 * own end of the transaction came after the coordinator's), or a broken
 * sequence (librdkafka's "sequence desynchronization" after a broker
 * restart: OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID). A real twin
 * is told apart by the caller, by its consumer's membership. */
int txn_renewable(struct txn *t);
/* Abort the open transaction (if any). TXN_OK or TXN_FATAL. */
enum txn_result txn_abort(struct txn *t, char *err, size_t errlen);

#endif
