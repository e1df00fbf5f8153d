/* rf_kafka.h - Kafka client setup shared by every rydeflow program.
 *
 * Builds librdkafka configurations from --brokers plus kcat-style
 * "-X key=value" pairs (applied last, so any default can be overridden),
 * routes librdkafka's logs through rf_log, and checks that the cluster is
 * reachable before a program starts real work, with a message that names the
 * brokers. Functions return NULL / -1 and fill err; they never exit. */
#ifndef RF_KAFKA_H
#define RF_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "rf_opts.h"

/* A new config: bootstrap.servers=brokers, the given defaults ("k=v" strings,
 * NULL-terminated, may be NULL), then each props entry "k=v". The caller owns
 * the result (rd_kafka_conf_destroy, or hand it to rd_kafka_new). */
rd_kafka_conf_t *rf_kafka_conf_new(const char *brokers, const char *const *defaults,
                                   const struct rf_strlist *props, char *err, size_t errlen);

/* Check each "-X key=value" against librdkafka without connecting anywhere.
 * Returns 0, or -1 with the offending pair and librdkafka's reason in err. */
int rf_kafka_validate_props(const struct rf_strlist *props, char *err, size_t errlen);

/* 1 if a request that failed with e may succeed when tried again: the
 * broker or coordinator is away, restarting or moving, or a transaction
 * still holds the offsets (UNSTABLE_OFFSET_COMMIT, CONCURRENT_TRANSACTIONS).
 * For calls that return a bare error code; rd_kafka_error_t carries its own
 * rd_kafka_error_is_retriable. */
int rf_kafka_err_retriable(rd_kafka_resp_err_t e);

/* A static member (group.instance.id) whose consumer is fenced
 * (FENCED_INSTANCE_ID, a fatal error) was usually fenced by itself: a join
 * it sent during a coordinator stall, processed after its retry, replaces
 * the member that retry made. A new consumer with the same id takes over
 * again. A real twin (two programs with one id) fences back, again and
 * again: the budget allows RF_FENCE_MAX renewals in RF_FENCE_WINDOW_MS,
 * then the program stops with a message. */
#define RF_FENCE_MAX 10
#define RF_FENCE_WINDOW_MS 300000
struct rf_fence_budget {
    int64_t at[RF_FENCE_MAX]; /* when the last renewals were, ring */
    int next;
};
/* 1 if rk's fatal error is a static member's fencing. */
int rf_kafka_instance_fenced(rd_kafka_t *rk);
/* Take one renewal at now_ms: 1 if within the budget (counted), 0 if not. */
int rf_fence_budget_take(struct rf_fence_budget *b, int64_t now_ms);

/* A producer with rydeflow's defaults: enable.idempotence=true, acks=all,
 * lz4 compression, murmur2_random partitioner (the Java client's, so keys land
 * on the same partitions as with any JVM producer), batching for throughput.
 * dr_cb (may be NULL) is the delivery-report callback; opaque is its context. */
rd_kafka_t *rf_kafka_producer_new(const char *brokers, const struct rf_strlist *props,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                                  void *opaque, char *err, size_t errlen);

/* A consumer. group may be NULL: then the caller assigns partitions itself
 * and nothing is committed (a private group.id is set only because
 * librdkafka's assign() requires one). rebalance_cb (may be NULL) gets opaque. Offsets are stored only when the caller says so
 * (enable.auto.offset.store=false) so a crash never skips a message. The main
 * queue is redirected to the consumer queue (rd_kafka_poll_set_consumer). */
typedef void (*rf_rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t *, void *);
rd_kafka_t *rf_kafka_consumer_new(const char *brokers, const char *group, const struct rf_strlist *props,
                                  const char *const *defaults, rf_rebalance_cb rebalance_cb, void *opaque,
                                  char *err, size_t errlen);

/* Wait up to timeout_ms for the cluster to answer a metadata request. Returns
 * 0, or -1 with "cannot reach Kafka at <brokers>: <reason>" in err. */
int rf_kafka_check_reachable(rd_kafka_t *rk, const char *brokers, int timeout_ms, char *err, size_t errlen);

/* The partition count of topic, 0 if the topic does not exist, -1 on error. */
int rf_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen);

/* Create topic with the given partition count (replication factor -1 = the
 * broker's default) unless it already exists. Returns 0 (created or already
 * there), or -1 with err filled. */
int rf_kafka_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions, int replication, int timeout_ms,
                          char *err, size_t errlen);
/* The default consumer group of a job: "rydeflow-<program>-<what>-<hash>",
 * where what names the job for people (a file's stem, a topic and its
 * destinations) and hash is 8 hex digits of FNV-1a over ident (the query
 * file's real path, the topic and every destination URL), so two jobs that
 * differ in anything never share a group, a static member or a
 * transactional id, while a restart of the same job finds its commits
 * again. Characters Kafka does not allow in a name become '_'. Writes
 * at most len bytes (NUL-terminated) into buf and returns buf. */
char *rf_kafka_job_group(char *buf, size_t len, const char *program, const char *what, const char *ident);

/* The largest value this client can produce: its message.max.bytes less a
 * margin for the key, headers and framing. A record larger than that can
 * never be delivered: the caller dead-letters it rather than fail for ever. */
size_t rf_kafka_max_value(rd_kafka_t *rk);

/* Partitions assigned to this member must be of the topics it subscribed
 * to (a member that took over another's static membership may be handed
 * the other's). 0, or -1 with the first stranger named in err. */
int rf_kafka_check_assignment(const rd_kafka_topic_partition_list_t *assigned, const char *const *topics, int ntopics,
                              char *err, size_t errlen);
#endif
