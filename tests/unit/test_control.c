/* test_control.c - the dev broker's command language, on a real mock cluster. */
#include "control.h"
#include "test.h"

static const struct {
    const char *line;
    int rc;
    const char *reply_prefix;
} cases[] = {
    {"", 0, "ok"},
    {"# a comment", 0, "ok"},
    {"help", 0, "ok commands"},
    {"down 2", 0, "ok"},
    {"up 2", 0, "ok"},
    {"down 4", -1, "error: down: broker must be 1..3"},
    {"down", -1, "error: unknown command"},
    {"rtt 1 250", 0, "ok"},
    {"rtt 1 soon", -1, "error: rtt"},
    {"error Produce NOT_LEADER_FOR_PARTITION 3", 0, "ok"},
    {"error 0 6", 0, "ok"},
    {"error Nope NOT_LEADER_FOR_PARTITION", -1, "error: unknown API 'Nope'"},
    {"error Produce NO_SUCH_ERROR", -1, "error: unknown error"},
    {"clear-errors", 0, "ok"},
    {"topic orders 6", 0, "ok"},
    {"topic orders x", -1, "error: topic"},
    {"leader orders 0 3", 0, "ok"},
    {"leader orders zero 3", -1, "error: leader"},
    {"frobnicate", -1, "error: unknown command"},
};

static void test_commands(void)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 3);
    CHECK(mc != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char reply[512];
        int rc = control_execute(mc, 3, cases[i].line, reply, sizeof reply);
        if (!CHECK(rc == cases[i].rc && strncmp(reply, cases[i].reply_prefix, strlen(cases[i].reply_prefix)) == 0))
            fprintf(stderr, "  '%s' -> %d '%s'\n", cases[i].line, rc, reply);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
}

static void test_topic_spec(void)
{
    char name[64];
    int p;
    CHECK(control_parse_topic_spec("wildrydes:4", name, sizeof name, &p) == 0 && p == 4 &&
          strcmp(name, "wildrydes") == 0);
    CHECK(control_parse_topic_spec("wildrydes", name, sizeof name, &p) == -1);
    CHECK(control_parse_topic_spec(":4", name, sizeof name, &p) == -1);
    CHECK(control_parse_topic_spec("t:0", name, sizeof name, &p) == -1);
}

TEST_MAIN("test_control", test_commands, test_topic_spec)
