/* rf_kafka.c - librdkafka configuration and client creation (see rf_kafka.h). */
#include "rf_kafka.h"
#include "rf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* librdkafka is chatty about transient connection errors that it retries
     * itself; keep them at debug and let the program report what matters. */
    rf_log(level <= 2 ? RF_LOG_WARN : RF_LOG_DEBUG, "kafka %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) /* the program says what it does about it (stop, or renew) */
        rf_warn("kafka fatal error: %s", reason);
    else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        rf_warn("kafka: all brokers are down (%s); retrying", reason);
    else
        rf_debug("kafka: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int set_pair(rd_kafka_conf_t *conf, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "-X %s: expected key=value", kv);
        return -1;
    }
    char key[256];
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof key) {
        snprintf(err, errlen, "-X %s: key too long", kv);
        return -1;
    }
    memcpy(key, kv, klen);
    key[klen] = '\0';
    char rerr[256];
    if (rd_kafka_conf_set(conf, key, eq + 1, rerr, sizeof rerr) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "-X %s: %s", kv, rerr);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *rf_kafka_conf_new(const char *brokers, const char *const *defaults,
                                   const struct rf_strlist *props, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char rerr[256];
    if (brokers && rd_kafka_conf_set(conf, "bootstrap.servers", brokers, rerr, sizeof rerr) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "--brokers %s: %s", brokers, rerr);
        goto fail;
    }
    for (const char *const *d = defaults; d && *d; d++)
        if (set_pair(conf, *d, err, errlen) < 0)
            goto fail;
    for (int i = 0; props && i < props->n; i++)
        if (set_pair(conf, props->v[i], err, errlen) < 0)
            goto fail;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int rf_kafka_validate_props(const struct rf_strlist *props, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rf_kafka_conf_new(NULL, NULL, props, err, errlen);
    if (!conf)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}

rd_kafka_t *rf_kafka_producer_new(const char *brokers, const struct rf_strlist *props,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                                  void *opaque, char *err, size_t errlen)
{
    static const char *const defaults[] = {
        "enable.idempotence=true", "acks=all", "compression.type=lz4", "partitioner=murmur2_random",
        "linger.ms=20", "batch.size=1000000", "batch.num.messages=100000",
        "queue.buffering.max.messages=1000000", "queue.buffering.max.kbytes=1048576", NULL};
    rd_kafka_conf_t *conf = rf_kafka_conf_new(brokers, defaults, props, err, errlen);
    if (!conf)
        return NULL;
    if (dr_cb)
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    char rerr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rerr, sizeof rerr);
    if (!rk) {
        snprintf(err, errlen, "cannot create Kafka producer: %s", rerr);
        return NULL; /* rd_kafka_new destroys conf only on success */
    }
    return rk;
}

rd_kafka_t *rf_kafka_consumer_new(const char *brokers, const char *group, const struct rf_strlist *props,
                                  const char *const *defaults, rf_rebalance_cb rebalance_cb, void *opaque,
                                  char *err, size_t errlen)
{
    char g[512];
    if (group)
        snprintf(g, sizeof g, "group.id=%s", group);
    else /* librdkafka's assign() needs a group.id even when no group is joined; never committed to */
        snprintf(g, sizeof g, "group.id=rydeflow-nogroup-%ld", (long)getpid());
    /* rydeflow's consumer settings, then the caller's, then -X (in rf_kafka_conf_new).
     * A subscribed topic that does not exist yet, or was created a moment
     * ago and is not yet in the broker's metadata, is looked up again only at
     * the next metadata refresh: librdkafka's default of 5 minutes left a sink
     * started beside its topic's creation reading nothing. 5 s costs one small
     * Metadata request per 5 s. */
    const char *all[32] = {"enable.auto.offset.store=false", "fetch.wait.max.ms=100",
                           "queued.max.messages.kbytes=262144", "topic.metadata.refresh.interval.ms=5000", g,
                           group ? "enable.auto.commit=true" : "enable.auto.commit=false"};
    int n = 6;
    for (const char *const *d = defaults; d && *d && n < 31; d++)
        all[n++] = *d;
    all[n] = NULL;
    rd_kafka_conf_t *conf = rf_kafka_conf_new(brokers, all, props, err, errlen);
    if (!conf)
        return NULL;
    if (rebalance_cb)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, opaque);

    char rerr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, rerr, sizeof rerr);
    if (!rk) {
        snprintf(err, errlen, "cannot create Kafka consumer: %s", rerr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

int rf_kafka_check_reachable(rd_kafka_t *rk, const char *brokers, int timeout_ms, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "cannot reach Kafka at %s within %d ms: %s", brokers, timeout_ms,
                 e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT
                     ? "no broker answered (is it running, and is the address right?)"
                     : rd_kafka_err2str(e));
        return -1;
    }
    int n = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    if (n == 0) {
        snprintf(err, errlen, "cannot reach Kafka at %s: the cluster reported no brokers", brokers);
        return -1;
    }
    return 0;
}

int rf_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "metadata for topic %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    int n = 0;
    if (md->topic_cnt == 1) {
        rd_kafka_resp_err_t te = md->topics[0].err;
        if (te == RD_KAFKA_RESP_ERR_NO_ERROR)
            n = md->topics[0].partition_cnt;
        else if (te != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            snprintf(err, errlen, "topic %s: %s", topic, rd_kafka_err2str(te));
            n = -1;
        }
    }
    rd_kafka_metadata_destroy(md);
    return n;
}

int rf_kafka_ensure_topic(rd_kafka_t *rk, const char *topic, int partitions, int replication, int timeout_ms,
                          char *err, size_t errlen)
{
    /* A consumer's metadata request never creates a topic (its
     * allow.auto.create.topics is false), so a consumer looks first: a topic
     * that exists needs no CreateTopics (which librdkafka's mock cluster, the
     * dev broker, does not answer). A producer asks to create it straight
     * away: its lookup would make a broker with auto.create.topics.enable
     * create it with the broker's default partition count. */
    char rerr[256];
    int rc = -1;
    if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER &&
        rf_kafka_partition_count(rk, topic, timeout_ms, rerr, sizeof rerr) > 0)
        return 0;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, replication, rerr, sizeof rerr);
    if (!nt) {
        snprintf(err, errlen, "topic %s: %s", topic, rerr);
        return -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, rerr, sizeof rerr);
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 2000);
    if (!ev) {
        snprintf(err, errlen, "creating topic %s: timed out", topic);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "creating topic %s: %s", topic, rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
        rd_kafka_resp_err_t te = n ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (te == RD_KAFKA_RESP_ERR_NO_ERROR || te == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            rc = 0;
        else
            snprintf(err, errlen, "creating topic %s: %s", topic, rd_kafka_topic_result_error_string(tr[0]));
    }
    rd_kafka_event_destroy(ev);
out:
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

char *rf_kafka_job_group(char *buf, size_t len, const char *program, const char *what, const char *ident)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)ident; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(buf, len, "rydeflow-%s-%.120s-%08x", program, what, (unsigned)h);
    for (char *p = buf; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            *p = '_';
    return buf;
}

int rf_kafka_check_assignment(const rd_kafka_topic_partition_list_t *assigned, const char *const *topics, int ntopics,
                              char *err, size_t errlen)
{
    for (int i = 0; i < assigned->cnt; i++) {
        int ok = 0;
        for (int k = 0; k < ntopics && !ok; k++)
            ok = strcmp(assigned->elems[i].topic, topics[k]) == 0;
        if (!ok) {
            snprintf(err, errlen,
                     "the group handed this member partition %s [%d], of a topic it did not subscribe to: another "
                     "program shares this consumer group (and instance name); give each job its own --group",
                     assigned->elems[i].topic, (int)assigned->elems[i].partition);
            return -1;
        }
    }
    return 0;
}

size_t rf_kafka_max_value(rd_kafka_t *rk)
{
    char buf[32];
    size_t n = sizeof buf;
    long v = 1000000; /* librdkafka's default */
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "message.max.bytes", buf, &n) == RD_KAFKA_CONF_OK)
        v = strtol(buf, NULL, 10);
    return v > 8192 ? (size_t)v - 4096 : (size_t)v / 2;
}

int rf_kafka_err_retriable(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
        return 1;
    default:
        return 0;
    }
}

int rf_kafka_instance_fenced(rd_kafka_t *rk)
{
    return rd_kafka_fatal_error(rk, NULL, 0) == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

int rf_fence_budget_take(struct rf_fence_budget *b, int64_t now_ms)
{
    /* the oldest of the last RF_FENCE_MAX renewals (0: a slot never used) */
    int64_t oldest = b->at[b->next];
    if (oldest && now_ms - oldest < RF_FENCE_WINDOW_MS)
        return 0;
    b->at[b->next] = now_ms ? now_ms : 1;
    b->next = (b->next + 1) % RF_FENCE_MAX;
    return 1;
}
