/* main.c - `devbroker`: librdkafka's mock cluster as a standalone broker.
 *
 * Speaks the Kafka protocol, starts in milliseconds and needs no JVM, so it
 * suits quick runs and tests that inject broker faults precisely. It keeps
 * data in memory only and retains a few MB per partition. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"

struct devbroker_config {
    long long brokers;
    struct rf_strlist topics;
};

#define O(f) offsetof(struct devbroker_config, f)
static const struct rf_opt options[] = {
    {"brokers", 'n', RF_OPT_INT, "1", O(brokers), "N", "number of brokers in the cluster", 1, 9},
    {"topic", 't', RF_OPT_LIST, NULL, O(topics), "NAME:PARTITIONS",
     "create a topic at start (others are auto-created with 4 partitions)"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "devbroker",
    .summary = "A Kafka-protocol broker in one process (librdkafka's mock cluster) for development and fault "
               "injection.",
    .opts = options,
    .epilog = "Prints the bootstrap list (127.0.0.1:PORT,...) as the first line of standard output, then\n"
              "reads fault-injection commands from standard input, one per line, answering 'ok' or 'error: ...':\n"
              "  down B | up B | rtt B MS | error API ERR [COUNT] | clear-errors |\n"
              "  leader TOPIC PARTITION B | topic NAME PARTITIONS [REPLICAS] | help\n"
              "Limits: data lives in memory only and each partition retains only a few MB.\n"
              "Stops cleanly on SIGINT/SIGTERM.\n",
};

int main(int argc, char **argv)
{
    struct devbroker_config cfg;
    int first;
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    for (int i = 0; i < cfg.topics.n; i++) {
        char name[256];
        int parts;
        if (control_parse_topic_spec(cfg.topics.v[i], name, sizeof name, &parts) < 0) {
            rf_opts_fail(&command, "--topic '%s': expected NAME:PARTITIONS", cfg.topics.v[i]);
            rf_opts_free(&command, &cfg);
            return 2;
        }
    }
    rf_signal_install();

    int rc = 1;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    rd_kafka_mock_cluster_t *mc = NULL;
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        rf_error("cannot create the client that hosts the mock cluster: %s", err);
        goto out;
    }
    mc = rd_kafka_mock_cluster_new(rk, (int)cfg.brokers);
    if (!mc) {
        rf_error("cannot start the mock cluster");
        goto out;
    }
    for (int i = 0; i < cfg.topics.n; i++) {
        char name[256];
        int parts;
        control_parse_topic_spec(cfg.topics.v[i], name, sizeof name, &parts);
        int rf = cfg.brokers < 3 ? (int)cfg.brokers : 3;
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, parts, rf);
        if (e) {
            rf_error("creating topic %s: %s", name, rd_kafka_err2str(e));
            goto out;
        }
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    rf_info("%lld broker(s) at %s; commands on stdin (try: help)", cfg.brokers, rd_kafka_mock_cluster_bootstraps(mc));

    char line[1024];
    size_t len = 0;
    int stdin_open = 1;
    while (rf_running()) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = stdin_open ? poll(&pfd, 1, 200) : (usleep(200000), 0);
        if (n <= 0)
            continue;
        ssize_t got = read(STDIN_FILENO, line + len, sizeof line - 1 - len);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            stdin_open = 0; /* EOF: keep serving until a signal */
            continue;
        }
        len += (size_t)got;
        line[len] = '\0';
        char *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            char reply[512];
            control_execute(mc, (int)cfg.brokers, line, reply, sizeof reply);
            printf("%s\n", reply);
            fflush(stdout);
            size_t rest = len - (size_t)(nl + 1 - line);
            memmove(line, nl + 1, rest + 1);
            len = rest;
        }
        if (len == sizeof line - 1) {
            printf("error: command line too long\n");
            fflush(stdout);
            len = 0;
        }
    }
    rf_info("stopping");
    rc = 0;
out:
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    rf_opts_free(&command, &cfg);
    return rc;
}
