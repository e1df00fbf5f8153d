/* txn.c - the transactional producer (see txn.h). */
#include "txn.h"

#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_signal.h"
#include "rf_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct txn {
    rd_kafka_t *rk;
    int open;
    int64_t since_ms;
    int64_t records;
};

struct txn *txn_new(const char *brokers, const struct rf_strlist *props, const char *txn_id, int timeout_ms,
                    char *err, size_t errlen)
{
    char id[512];
    snprintf(id, sizeof id, "transactional.id=%s", txn_id);
    /* Results should be visible soon after a window closes: short linger.
     * A bounded queue: when Kafka is away, producing blocks (back-pressure). */
    /* A dead instance's open transaction is aborted by Kafka after
     * transaction.timeout.ms; until then read_committed readers wait at it. */
    const char *ours[] = {id, "linger.ms=5", "queue.buffering.max.kbytes=65536", "transaction.timeout.ms=10000"};
    int n = (int)(sizeof ours / sizeof *ours);
    const char **all = calloc((size_t)(n + props->n), sizeof *all);
    struct txn *t = calloc(1, sizeof *t);
    if (!all || !t) {
        free(all);
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(all, ours, sizeof ours);
    for (int i = 0; i < props->n; i++)
        all[n + i] = props->v[i];
    struct rf_strlist list = {all, n + props->n};
    t->rk = rf_kafka_producer_new(brokers, &list, NULL, NULL, err, errlen);
    free(all);
    if (!t->rk) {
        free(t);
        return NULL;
    }
    /* A killed predecessor's transaction may still be being aborted by the
     * coordinator (CONCURRENT_TRANSACTIONS), or the coordinator may be
     * moving: retriable, so retried until it works or we are told to stop.
     * Only a fatal error (fenced) or a stop ends the attempt. */
    int64_t backoff = 200;
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(t->rk, timeout_ms);
        if (!e)
            return t;
        rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        int retriable = !rd_kafka_error_is_fatal(e) && (rd_kafka_error_is_retriable(e) || rf_kafka_err_retriable(code));
        if (!retriable || !rf_running()) {
            snprintf(err, errlen, "cannot start transactions (transactional.id %s): %s%s", txn_id,
                     rd_kafka_error_string(e), retriable ? " (stopped while retrying)" : "");
            rd_kafka_error_destroy(e);
            rd_kafka_destroy(t->rk);
            free(t);
            return NULL;
        }
        if (attempt == 0 || attempt % 10 == 0)
            rf_warn("cannot start transactions yet (transactional.id %s): %s: retrying", txn_id,
                    rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        for (int64_t waited = 0; waited < backoff && rf_running(); waited += 100)
            rd_kafka_poll(t->rk, 100);
        if (backoff < 2000)
            backoff *= 2;
    }
}

void txn_free(struct txn *t)
{
    if (!t)
        return;
    if (t->open) /* an abort that did not get through: nothing of it may linger */
        rd_kafka_purge(t->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(t->rk, 5000);
    rd_kafka_destroy(t->rk);
    free(t);
}

rd_kafka_t *txn_handle(struct txn *t) { return t->rk; }

int txn_renewable(struct txn *t)
{
    rd_kafka_resp_err_t e = rd_kafka_fatal_error(t->rk, NULL, 0);
    /* INVALID_TXN_STATE: the coordinator had already ended the transaction
     * (its own timeout abort) when this producer's abort or commit came, in
     * a broker restart or pause; a new producer's init settles it too. The
     * sequence errors: the open transaction is aborted by the new producer's
     * init, and the work since the last commit is redone. */
    return e == RD_KAFKA_RESP_ERR__FENCED || e == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           e == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH || e == RD_KAFKA_RESP_ERR_INVALID_TXN_STATE ||
           e == RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER || e == RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID;
}
int txn_open(const struct txn *t) { return t->open; }
int64_t txn_open_since_ms(const struct txn *t) { return t->since_ms; }
int64_t txn_records(const struct txn *t) { return t->records; }

static int error_out(rd_kafka_error_t *e, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

int txn_begin(struct txn *t, char *err, size_t errlen)
{
    if (t->open)
        return 0;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(t->rk);
    if (e)
        return error_out(e, "cannot begin a transaction", err, errlen);
    t->open = 1;
    t->since_ms = rf_time_now_ms();
    t->records = 0;
    return 0;
}

int txn_produce(struct txn *t, const char *topic, int32_t partition, const char *key, size_t keylen, const char *val,
                size_t len,
                const char *const *hdr_names, const char *const *hdr_values, char *err, size_t errlen)
{
    if (txn_begin(t, err, errlen) < 0)
        return -1;
    for (int waited = 0;; waited++) {
        rd_kafka_headers_t *h = NULL;
        if (hdr_names && hdr_names[0]) {
            h = rd_kafka_headers_new(4);
            for (int i = 0; hdr_names[i]; i++)
                rd_kafka_header_add(h, hdr_names[i], -1, hdr_values[i], -1);
        }
        rd_kafka_resp_err_t e =
            rd_kafka_producev(t->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_KEY(key, key ? keylen : 0),
                              RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (!e) {
            t->records++;
            return 0;
        }
        if (h)
            rd_kafka_headers_destroy(h);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, errlen, "cannot produce to %s: %s", topic, rd_kafka_err2str(e));
            return -1;
        }
        /* The queue is full: Kafka is slow or away. Wait here (and so stop
         * consuming) until it drains; once a shutdown is asked for, at most
         * 10 s more (the transaction is then aborted, nothing is lost). */
        if (waited == 20)
            rf_warn("output queue full: waiting for Kafka (consumption paused)");
        if (rf_shutdown_overdue(10000)) {
            snprintf(err, errlen, "cannot produce to %s: the output queue stayed full for 10 s after the "
                                  "shutdown began (Kafka unreachable?)", topic);
            return -1;
        }
        rd_kafka_poll(t->rk, 100);
    }
}

/* Run one transactional step with librdkafka's error classes. */
static enum txn_result step(struct txn *t, const char *what, rd_kafka_error_t *(*fn)(struct txn *, void *),
                            void *arg, int (*running)(void), int give_up_ms, char *err, size_t errlen)
{
    int64_t stop_at = 0;
    for (int attempt = 0;; attempt++) {
        rd_kafka_error_t *e = fn(t, arg);
        if (!e)
            return TXN_OK;
        if (rd_kafka_error_is_fatal(e)) {
            error_out(e, what, err, errlen);
            return TXN_FATAL;
        }
        if (rd_kafka_error_txn_requires_abort(e)) {
            rf_warn("%s: %s: aborting the transaction and redoing its work", what, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return txn_abort(t, err, errlen) == TXN_OK ? TXN_ABORTED : TXN_FATAL;
        }
        if (!rd_kafka_error_is_retriable(e)) {
            error_out(e, what, err, errlen);
            return TXN_FATAL;
        }
        if (attempt == 0 || attempt % 10 == 0)
            rf_warn("%s: %s: retrying (consumption paused)", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (!running()) {
            if (!stop_at)
                stop_at = rf_time_now_ms() + give_up_ms;
            else if (rf_time_now_ms() > stop_at) {
                snprintf(err, errlen, "%s: Kafka did not answer within %d ms of the shutdown", what, give_up_ms);
                return TXN_FATAL;
            }
        }
        rd_kafka_poll(t->rk, 200);
    }
}

struct offsets_arg {
    rd_kafka_topic_partition_list_t *offsets;
    rd_kafka_consumer_group_metadata_t *cgmd;
};

static rd_kafka_error_t *send_offsets(struct txn *t, void *arg)
{
    struct offsets_arg *a = arg;
    return rd_kafka_send_offsets_to_transaction(t->rk, a->offsets, a->cgmd, 10000);
}

static rd_kafka_error_t *commit_it(struct txn *t, void *arg)
{
    (void)arg;
    return rd_kafka_commit_transaction(t->rk, 10000);
}

enum txn_result txn_commit(struct txn *t, rd_kafka_topic_partition_list_t *offsets,
                           rd_kafka_consumer_group_metadata_t *cgmd, int (*running)(void), int give_up_ms,
                           char *err, size_t errlen)
{
    if (!t->open)
        return TXN_OK;
    struct offsets_arg a = {offsets, cgmd};
    enum txn_result r = TXN_OK;
    if (offsets && offsets->cnt > 0)
        r = step(t, "cannot commit offsets", send_offsets, &a, running, give_up_ms, err, errlen);
    if (r == TXN_OK)
        r = step(t, "cannot commit the transaction", commit_it, NULL, running, give_up_ms, err, errlen);
    if (r == TXN_OK)
        t->open = 0;
    return r;
}

enum txn_result txn_abort(struct txn *t, char *err, size_t errlen)
{
    if (!t->open)
        return TXN_OK;
    /* Kafka away or the coordinator moving (retriable): keep trying while
     * running; once a shutdown is asked for, until 12 s into it (the
     * coordinator aborts the transaction itself after
     * transaction.timeout.ms, so nothing is lost by giving up then). */
    for (int attempt = 0; !rf_shutdown_overdue(12000); attempt++) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(t->rk, rf_running() ? 10000 : 2000);
        if (!e) {
            t->open = 0;
            return TXN_OK;
        }
        if (rd_kafka_error_is_fatal(e) || !rd_kafka_error_is_retriable(e)) {
            error_out(e, "cannot abort the transaction", err, errlen);
            return TXN_FATAL;
        }
        if (attempt == 0 || attempt % 10 == 0)
            rf_warn("cannot abort the transaction yet: %s: retrying", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rd_kafka_poll(t->rk, 200);
    }
    snprintf(err, errlen, "cannot abort the transaction: Kafka did not answer within 12 s of the shutdown");
    return TXN_FATAL;
}
