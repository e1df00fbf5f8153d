/* test_redeliver.c - after a fatal producer error, what is sent again: the
 * failed messages not already in the log, on a real mock cluster. */
#include "redeliver.h"
#include "rf_log.h"
#include "test.h"

#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

static struct redeliver list;
static int adds; /* each delivery report is added this many times (a value sent twice) */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    for (int i = 0; i < adds; i++)
        CHECK(redeliver_add(&list, 0, m) == 0);
}

static void send_one(rd_kafka_t *rk, int32_t partition, const char *key, const char *value)
{
    CHECK(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("t"), RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == 0);
    rd_kafka_flush(rk, 10000);
}

static void test_prune(void)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, 3);
    CHECK(rd_kafka_mock_topic_create(mc, "t", 2, 1) == 0);
    const char *brokers = rd_kafka_mock_cluster_bootstraps(mc);

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err);
    rd_kafka_conf_set(conf, "retries", "0", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);

    /* 1-5: in the log although reported failed (as a fatally failed
     * producer may report them); the same key with other values too */
    adds = 1;
    send_one(rk, 0, "k", "p1");
    send_one(rk, 0, "k", "p2");
    send_one(rk, 1, "k", "q1");
    send_one(rk, 1, "j", "q2");
    send_one(rk, 1, "k", "q3");
    /* 6: refused by the broker: not in the log */
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1, RD_KAFKA_RESP_ERR_INVALID_RECORD);
    send_one(rk, 0, "k", "n1");
    /* 7-8: in the log once, failed twice: one of them goes again */
    adds = 2;
    send_one(rk, 1, "k", "d");
    /* in the log, never failed: changes nothing */
    adds = 0;
    send_one(rk, 0, "k", "other");
    CHECK_INT(list.len, 8);

    const char *topics[] = {"t"};
    long found = redeliver_prune(&list, topics, 1, brokers, NULL, 10000, err, sizeof err);
    if (!CHECK(found == 6))
        fprintf(stderr, "  found %ld: %s\n", found, found < 0 ? err : "");
    CHECK_INT(list.len, 2);
    if (list.len == 2) {
        CHECK(list.msgs[0].value_len == 2 && memcmp(list.msgs[0].value, "n1", 2) == 0);
        CHECK(list.msgs[0].partition == 0 && list.msgs[0].key_len == 1 && list.msgs[0].key[0] == 'k');
        CHECK(list.msgs[1].value_len == 1 && memcmp(list.msgs[1].value, "d", 1) == 0);
        CHECK(list.msgs[1].partition == 1);
    }

    /* A key differs: not the same message. */
    struct redeliver taken;
    redeliver_take(&list, &taken);
    CHECK_INT(list.len, 0);
    redeliver_free(&taken);
    adds = 1;
    send_one(rk, 0, "other-key", "p1");
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1, RD_KAFKA_RESP_ERR_INVALID_RECORD);
    send_one(rk, 0, "k", "never");
    CHECK_INT(list.len, 2);
    found = redeliver_prune(&list, topics, 1, brokers, NULL, 10000, err, sizeof err);
    CHECK_INT(found, 1);
    CHECK(list.len == 1 && list.msgs[0].value_len == 5 && memcmp(list.msgs[0].value, "never", 5) == 0);

    /* An empty list reads nothing. */
    redeliver_free(&list);
    CHECK_INT(redeliver_prune(&list, topics, 1, brokers, NULL, 10000, err, sizeof err), 0);

    rd_kafka_destroy(rk);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
}

static void test_wants(void)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(redeliver_wants(rk, RD_KAFKA_RESP_ERR__PURGE_QUEUE));
    CHECK(redeliver_wants(rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    CHECK(!redeliver_wants(rk, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
    CHECK(!redeliver_wants(rk, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT));
    rd_kafka_test_fatal_error(rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "test");
    CHECK(redeliver_wants(rk, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)); /* failed by a broken producer */
    rd_kafka_destroy(rk);
}

TEST_MAIN("test_redeliver", test_prune, test_wants)
