/* control.c - fault-injection commands for the dev broker (see control.h). */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int16_t key;
} api_names[] = {
    {"Produce", 0},         {"Fetch", 1},          {"ListOffsets", 2},   {"Metadata", 3},
    {"OffsetCommit", 8},    {"OffsetFetch", 9},    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},      {"LeaveGroup", 13},    {"SyncGroup", 14},    {"ApiVersions", 18},
    {"CreateTopics", 19},   {"InitProducerId", 22}, {"AddPartitionsToTxn", 24}, {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},         {"TxnOffsetCommit", 28},
};
#define NAPI ((int)(sizeof api_names / sizeof api_names[0]))

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s)
        return -1;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_api(const char *s, int16_t *key)
{
    long v;
    if (parse_int(s, 0, 100, &v) == 0) {
        *key = (int16_t)v;
        return 0;
    }
    for (int i = 0; i < NAPI; i++)
        if (strcasecmp(s, api_names[i].name) == 0) {
            *key = api_names[i].key;
            return 0;
        }
    return -1;
}

static int parse_err(const char *s, rd_kafka_resp_err_t *err)
{
    long v;
    if (parse_int(s, -200, 200, &v) == 0) {
        *err = (rd_kafka_resp_err_t)v;
        return 0;
    }
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++)
        if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
            *err = descs[i].code;
            return 0;
        }
    return -1;
}

int control_parse_topic_spec(const char *spec, char *name, size_t namelen, int *partitions)
{
    const char *colon = strrchr(spec, ':');
    long p;
    if (!colon || colon == spec || (size_t)(colon - spec) >= namelen || parse_int(colon + 1, 1, 10000, &p) < 0)
        return -1;
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    *partitions = (int)p;
    return 0;
}

#define MAXARGS 6

int control_execute(rd_kafka_mock_cluster_t *mc, int nbrokers, const char *line, char *reply, size_t rlen)
{
    char buf[512];
    char *argv[MAXARGS];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *save = NULL, *tok = strtok_r(buf, " \t\r\n", &save); tok && argc < MAXARGS;
         tok = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = tok;
    if (argc == 0 || argv[0][0] == '#') {
        snprintf(reply, rlen, "ok");
        return 0;
    }
    const char *cmd = argv[0];
    long broker = 0, v = 0;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (strcmp(cmd, "help") == 0) {
        snprintf(reply, rlen,
                 "ok commands: down B | up B | rtt B MS | error API ERR [COUNT] | clear-errors | "
                 "leader TOPIC PARTITION B | topic NAME PARTITIONS [REPLICAS]");
        return 0;
    }
    if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) && argc == 2) {
        if (parse_int(argv[1], 1, nbrokers, &broker) < 0)
            goto bad_broker;
        e = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)broker)
                          : rd_kafka_mock_broker_set_up(mc, (int32_t)broker);
    } else if (strcmp(cmd, "rtt") == 0 && argc == 3) {
        if (parse_int(argv[1], 1, nbrokers, &broker) < 0)
            goto bad_broker;
        if (parse_int(argv[2], 0, 600000, &v) < 0) {
            snprintf(reply, rlen, "error: rtt: '%s' is not a delay in ms (0..600000)", argv[2]);
            return -1;
        }
        e = rd_kafka_mock_broker_set_rtt(mc, (int32_t)broker, (int)v);
    } else if (strcmp(cmd, "error") == 0 && (argc == 3 || argc == 4)) {
        int16_t api;
        rd_kafka_resp_err_t err;
        long count = 1;
        if (parse_api(argv[1], &api) < 0) {
            snprintf(reply, rlen, "error: unknown API '%s' (e.g. Produce, Fetch, Metadata, or a number)", argv[1]);
            return -1;
        }
        if (parse_err(argv[2], &err) < 0) {
            snprintf(reply, rlen, "error: unknown error '%s' (e.g. NOT_LEADER_FOR_PARTITION, or a number)", argv[2]);
            return -1;
        }
        if (argc == 4 && parse_int(argv[3], 1, 100000, &count) < 0) {
            snprintf(reply, rlen, "error: count '%s' must be 1..100000", argv[3]);
            return -1;
        }
        rd_kafka_resp_err_t *errs = malloc(sizeof *errs * (size_t)count);
        if (!errs) {
            snprintf(reply, rlen, "error: out of memory");
            return -1;
        }
        for (long i = 0; i < count; i++)
            errs[i] = err;
        rd_kafka_mock_push_request_errors_array(mc, api, (size_t)count, errs);
        free(errs);
    } else if (strcmp(cmd, "clear-errors") == 0 && argc == 1) {
        for (int i = 0; i < NAPI; i++)
            rd_kafka_mock_clear_request_errors(mc, api_names[i].key);
    } else if (strcmp(cmd, "leader") == 0 && argc == 4) {
        long part;
        if (parse_int(argv[2], 0, 100000, &part) < 0) {
            snprintf(reply, rlen, "error: leader: '%s' is not a partition number", argv[2]);
            return -1;
        }
        if (parse_int(argv[3], 1, nbrokers, &broker) < 0)
            goto bad_broker;
        e = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)part, (int32_t)broker);
    } else if (strcmp(cmd, "topic") == 0 && (argc == 3 || argc == 4)) {
        long parts, rf = nbrokers < 3 ? nbrokers : 3;
        if (parse_int(argv[2], 1, 10000, &parts) < 0 || (argc == 4 && parse_int(argv[3], 1, nbrokers, &rf) < 0)) {
            snprintf(reply, rlen, "error: topic: expected NAME PARTITIONS [REPLICAS<=%d]", nbrokers);
            return -1;
        }
        e = rd_kafka_mock_topic_create(mc, argv[1], (int)parts, (int)rf);
    } else {
        snprintf(reply, rlen, "error: unknown command or wrong arguments: '%s' (try: help)", cmd);
        return -1;
    }
    if (e) {
        snprintf(reply, rlen, "error: %s: %s", cmd, rd_kafka_err2str(e));
        return -1;
    }
    snprintf(reply, rlen, "ok");
    return 0;
bad_broker:
    snprintf(reply, rlen, "error: %s: broker must be 1..%d", cmd, nbrokers);
    return -1;
}
