/* redeliver.c - the messages a fatally failed producer still held, and which
 * of them are already in the log (see redeliver.h). */
#include "redeliver.h"
#include "rf_hash.h"
#include "rf_kafka.h"
#include "rf_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int redeliver_wants(rd_kafka_t *rk, rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
        return 1;
    default:
        /* whatever the error, a message failed by a producer in its fatal
         * state was failed because of that state */
        return rd_kafka_fatal_error(rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
    }
}

/* Room for one more message. 0, or -1 out of memory. */
static int reserve(struct redeliver *l)
{
    if (l->len < l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : 1024;
    struct redeliver_msg *n = realloc(l->msgs, cap * sizeof *n);
    if (!n)
        return -1;
    l->msgs = n;
    l->cap = cap;
    return 0;
}

int redeliver_push(struct redeliver *l, struct redeliver_msg *m)
{
    if (reserve(l) < 0)
        return -1;
    l->msgs[l->len++] = *m;
    return 0;
}

int redeliver_add(struct redeliver *l, int topic, const rd_kafka_message_t *m)
{
    if (reserve(l) < 0)
        return -1;
    struct redeliver_msg *r = &l->msgs[l->len];
    memset(r, 0, sizeof *r);
    r->topic = topic;
    r->partition = m->partition;
    r->timestamp = rd_kafka_message_timestamp(m, NULL);
    r->opaque = m->_private;
    r->value = malloc(m->len ? m->len : 1);
    r->key = m->key ? malloc(m->key_len ? m->key_len : 1) : NULL;
    if (!r->value || (m->key && !r->key)) {
        free(r->value);
        free(r->key);
        return -1;
    }
    if (m->len)
        memcpy(r->value, m->payload, m->len);
    r->value_len = m->len;
    if (m->key && m->key_len)
        memcpy(r->key, m->key, m->key_len);
    r->key_len = m->key_len;
    l->len++;
    return 0;
}

void redeliver_take(struct redeliver *l, struct redeliver *out)
{
    memset(out, 0, sizeof *out);
    out->msgs = l->msgs;
    out->len = l->len;
    out->cap = l->cap;
    l->msgs = NULL;
    l->len = l->cap = 0;
}

void redeliver_free(struct redeliver *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->msgs[i].key);
        free(l->msgs[i].value);
    }
    free(l->msgs);
    free(l->first);
    memset(l, 0, sizeof *l);
}

void redeliver_delivered(struct redeliver *l, int32_t partition, int64_t offset)
{
    if (partition < 0)
        return;
    if (partition < l->nfirst) {
        if (l->first[partition] < 0)
            l->first[partition] = offset;
        return;
    }
    int32_t n = partition + 1;
    int64_t *f = realloc(l->first, (size_t)n * sizeof *f);
    if (!f)
        return; /* only narrows a read-back */
    for (int32_t k = l->nfirst; k < n; k++)
        f[k] = -1;
    f[partition] = offset;
    l->first = f;
    l->nfirst = n;
}

static int64_t floor_of(const struct redeliver *l, int topic, int32_t partition)
{
    return topic == 0 && partition >= 0 && partition < l->nfirst && l->first[partition] > 0 ? l->first[partition] : 0;
}

/* FNV-1a over topic, partition, key and value. */
static uint64_t msg_hash(int topic, int32_t partition, const void *key, size_t klen, const void *val, size_t vlen)
{
    uint64_t h = rf_hash_u64(RF_HASH_INIT, (uint64_t)(unsigned)topic);
    h = rf_hash_u64(h, (uint64_t)(uint32_t)partition);
    h = rf_hash_u64(h, (uint64_t)klen);
    if (key)
        h = rf_hash_bytes(h, key, klen);
    return rf_hash_bytes(h, val, vlen);
}

static int same(const struct redeliver_msg *r, int topic, int32_t partition, const void *key, size_t klen,
                const void *val, size_t vlen)
{
    return r->topic == topic && r->partition == partition && r->key_len == klen && r->value_len == vlen &&
           (!klen || (key && r->key && memcmp(r->key, key, klen) == 0)) && memcmp(r->value, val, vlen) == 0;
}

/* An open-addressing index of the failed messages; each slot holds index+1. */
struct index {
    size_t *slot;
    size_t mask;
};

static int index_build(struct index *ix, const struct redeliver *l)
{
    size_t n = 16;
    while (n < l->len * 2)
        n <<= 1;
    ix->slot = calloc(n, sizeof *ix->slot);
    if (!ix->slot)
        return -1;
    ix->mask = n - 1;
    for (size_t i = 0; i < l->len; i++) {
        const struct redeliver_msg *r = &l->msgs[i];
        size_t s = (size_t)msg_hash(r->topic, r->partition, r->key, r->key_len, r->value, r->value_len) & ix->mask;
        while (ix->slot[s])
            s = (s + 1) & ix->mask;
        ix->slot[s] = i + 1;
    }
    return 0;
}

/* The first failed message equal to this log record and not yet found, or -1. */
static long index_find(const struct index *ix, const struct redeliver *l, const unsigned char *found, int topic,
                       const rd_kafka_message_t *m)
{
    size_t s = (size_t)msg_hash(topic, m->partition, m->key, m->key_len, m->payload, m->len) & ix->mask;
    for (; ix->slot[s]; s = (s + 1) & ix->mask) {
        size_t i = ix->slot[s] - 1;
        if (!found[i] && same(&l->msgs[i], topic, m->partition, m->key, m->key_len, m->payload, m->len))
            return (long)i;
    }
    return -1;
}

/* The partitions concerned, each with its oldest failed timestamp in .offset
 * (the form rd_kafka_offsets_for_times takes). */
static rd_kafka_topic_partition_list_t *partitions_of(const struct redeliver *l, const char *const *topics)
{
    rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < l->len; i++) {
        const struct redeliver_msg *r = &l->msgs[i];
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(pl, topics[r->topic], r->partition);
        if (!p) {
            p = rd_kafka_topic_partition_list_add(pl, topics[r->topic], r->partition);
            p->offset = r->timestamp;
        } else if (r->timestamp < p->offset) {
            p->offset = r->timestamp;
        }
    }
    return pl;
}

/* Turn each partition's timestamp into the offset to read from and set
 * .opaque to its high watermark; partitions with nothing to read get offset
 * RD_KAFKA_OFFSET_END. Returns 0 or -1. */
static int topic_number(const char *name, const char *const *topics, int ntopics)
{
    for (int i = 0; i < ntopics; i++)
        if (strcmp(name, topics[i]) == 0)
            return i;
    return -1;
}

static int plan_reads(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *pl, const struct redeliver *l,
                      const char *const *topics, int ntopics, int timeout_ms, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *times = rd_kafka_topic_partition_list_copy(pl);
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, times, timeout_ms);
    /* A broker that cannot look up times (librdkafka's mock cluster, the
     * dev broker) answers "none" even for time 0; a real one answers the
     * first offset of a partition that holds anything. */
    rd_kafka_topic_partition_list_t *zero = rd_kafka_topic_partition_list_copy(pl);
    for (int i = 0; i < zero->cnt; i++)
        zero->elems[i].offset = 0;
    rd_kafka_resp_err_t ze = rd_kafka_offsets_for_times(rk, zero, timeout_ms);
    for (int i = 0; i < pl->cnt; i++) {
        rd_kafka_topic_partition_t *p = &pl->elems[i];
        int64_t lo, hi;
        rd_kafka_resp_err_t we = rd_kafka_query_watermark_offsets(rk, p->topic, p->partition, &lo, &hi, timeout_ms);
        if (we) {
            snprintf(err, errlen, "the end of %s [%d]: %s", p->topic, p->partition, rd_kafka_err2str(we));
            rd_kafka_topic_partition_list_destroy(times);
            rd_kafka_topic_partition_list_destroy(zero);
            return -1;
        }
        p->opaque = (void *)(intptr_t)hi;
        const rd_kafka_topic_partition_t *t = &times->elems[i];
        int lookups = !ze && !zero->elems[i].err && (zero->elems[i].offset >= 0 || hi <= lo);
        if (!lookups)
            p->offset = lo; /* read all it holds */
        else if (!e && !t->err && t->offset == RD_KAFKA_OFFSET_END)
            p->offset = RD_KAFKA_OFFSET_END; /* nothing at or after that time: none of them is there */
        else if (!e && !t->err && t->offset >= 0)
            p->offset = t->offset;
        else
            p->offset = lo; /* the lookup failed: read all it holds */
        int64_t floor = floor_of(l, topic_number(p->topic, topics, ntopics), p->partition);
        if (!lookups && p->offset < floor)
            p->offset = floor;
        if (p->offset >= hi)
            p->offset = RD_KAFKA_OFFSET_END;
    }
    rd_kafka_topic_partition_list_destroy(times);
    rd_kafka_topic_partition_list_destroy(zero);
    return 0;
}

/* Read each partition of pl from .offset to its high watermark (.opaque),
 * marking the failed messages found. */
static int read_tails(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *pl, const char *const *topics, int ntopics,
                      const struct redeliver *l, const struct index *ix, unsigned char *found, int timeout_ms,
                      char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *as = rd_kafka_topic_partition_list_new(pl->cnt);
    for (int i = 0; i < pl->cnt; i++)
        if (pl->elems[i].offset != RD_KAFKA_OFFSET_END)
            rd_kafka_topic_partition_list_add(as, pl->elems[i].topic, pl->elems[i].partition)->offset =
                pl->elems[i].offset;
    int left = as->cnt, rc = 0;
    if (left > 0) {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, as);
        if (e) {
            snprintf(err, errlen, "reading back: %s", rd_kafka_err2str(e));
            rc = -1;
            left = 0;
        }
    }
    int64_t deadline = rf_time_mono_ns() / 1000000 + timeout_ms;
    while (left > 0) {
        if (rf_time_mono_ns() / 1000000 > deadline) {
            snprintf(err, errlen, "reading back the partitions' ends took longer than %d ms", timeout_ms);
            rc = -1;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!rf_kafka_err_retriable(m->err) && m->err != RD_KAFKA_RESP_ERR__TRANSPORT) {
                snprintf(err, errlen, "reading back: %s", rd_kafka_message_errstr(m));
                rc = -1;
                left = 0;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        const char *tn = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(pl, tn, m->partition);
        int t = topic_number(tn, topics, ntopics);
        if (!m->err && t >= 0) {
            long i = index_find(ix, l, found, t, m);
            if (i >= 0)
                found[i] = 1;
        }
        int64_t next = m->err ? m->offset : m->offset + 1;
        if (p && p->offset != RD_KAFKA_OFFSET_END && next >= (int64_t)(intptr_t)p->opaque) {
            p->offset = RD_KAFKA_OFFSET_END; /* this one is read to its end */
            left--;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(as);
    return rc;
}

long redeliver_prune(struct redeliver *l, const char *const *topics, int ntopics, const char *brokers,
                     const struct rf_strlist *props, int timeout_ms, char *err, size_t errlen)
{
    if (l->len == 0)
        return 0;
    static const char *const defaults[] = {"enable.partition.eof=true", "isolation.level=read_uncommitted",
                                           "auto.offset.reset=earliest", NULL};
    rd_kafka_t *rk = rf_kafka_consumer_new(brokers, NULL, props, defaults, NULL, NULL, err, errlen);
    if (!rk)
        return -1;
    struct index ix = {0};
    unsigned char *found = calloc(l->len, 1);
    rd_kafka_topic_partition_list_t *pl = partitions_of(l, topics);
    long dropped = -1;
    if (!found || index_build(&ix, l) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (plan_reads(rk, pl, l, topics, ntopics, timeout_ms, err, errlen) < 0 ||
        read_tails(rk, pl, topics, ntopics, l, &ix, found, timeout_ms, err, errlen) < 0)
        goto out;
    /* keep the messages not found, in their order */
    size_t w = 0;
    for (size_t i = 0; i < l->len; i++) {
        if (found[i]) {
            free(l->msgs[i].key);
            free(l->msgs[i].value);
        } else {
            l->msgs[w++] = l->msgs[i];
        }
    }
    dropped = (long)(l->len - w);
    l->len = w;
out:
    rd_kafka_topic_partition_list_destroy(pl);
    free(ix.slot);
    free(found);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return dropped;
}
