/* main.c - `sink`: Kafka to PostgreSQL, Redis and the archive (the Lambda +
 * DynamoDB and Firehose analogues). Options; the work is in sink.c. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"
#include "sink.h"

#define O(f) offsetof(struct sink_config, f)

static const struct rf_opt options[] = {
    RF_OPTS_KAFKA_CLIENT(struct sink_config),
    {"topic", 't', RF_OPT_STRING, "wildrydes-summary", O(topic), "TOPIC", "the topic to write out"},
    {"to", 0, RF_OPT_LIST, NULL, O(to), "URL",
     "a destination (repeatable): postgresql://USER@HOST:PORT/DB[?table=NAME&connections=N], redis://HOST:PORT, "
     "s3://BUCKET/PREFIX or file:///DIR (the archive)"},
    {"group", 'G', RF_OPT_STRING, NULL, O(group), "GROUP",
     "consumer group (commits offsets; default: rydeflow-sink-<topic>-<destination kinds>-<hash of the topic and "
     "every --to>, one per job)"},
    {"instance", 'i', RF_OPT_STRING, NULL, O(instance), "NAME",
     "this instance's name, unique in the group (default: the host name): a restarted instance takes its "
     "partitions back at once"},
    {"deadletter-topic", 0, RF_OPT_STRING, "wildrydes-deadletter", O(dead_topic), "TOPIC",
     "where records a destination cannot take go, with the reason"},
    {"endpoint", 0, RF_OPT_STRING, NULL, O(endpoint), "URL", "S3 endpoint (default: AWS_ENDPOINT_URL, else AWS)"},
    {"batch-bytes", 0, RF_OPT_INT, "67108864", O(batch_bytes), "N", "archive: write an object at this size", 1024, 5e9},
    {"batch-seconds", 0, RF_OPT_DURATION, "60s", O(batch_ms), "TIME", "archive: write an object this long after its first event"},
    {"max-future", 0, RF_OPT_DURATION, "1h", O(max_future_ms), "TIME",
     "archive: an event time further ahead of its record's Kafka timestamp is dead-lettered (0 = no bound)"},
    {"chunk-bytes", 0, RF_OPT_INT, "4194304", O(chunk_bytes), "N",
     "archive: compress an open object in chunks of this much NDJSON, each one gzip member", 65536, 1e9},
    {"part-bytes", 0, RF_OPT_INT, "8388608", O(part_bytes), "N", "archive on S3: multipart upload above this size, in parts of it",
     5242880, 5e9},
    {"max-records", 0, RF_OPT_INT, "5000", O(max_records), "N", "records per batch", 1, 1000000},
    {"linger", 0, RF_OPT_DURATION, "200ms", O(linger_ms), "TIME", "how long a batch waits to fill"},
    {"shutdown-timeout", 0, RF_OPT_DURATION, "10s", O(shutdown_ms), "TIME",
     "after SIGTERM, how long to keep retrying a store or Kafka that is away before exiting 1 without "
     "committing (the records are read again after a restart)"},
    {"status-interval", 0, RF_OPT_DURATION, "5s", O(status_ms), "TIME", "print a status line this often"},
    {"from", 0, RF_OPT_STRING, "beginning", O(from), "WHERE", "where to start without a committed offset", 0, 0,
     "beginning|end"},
    {"exit-at-end", 'e', RF_OPT_FLAG, NULL, O(exit_at_end), NULL,
     "exit once every partition is written to its end, flushed and committed"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "sink",
    .summary = "Write a Kafka topic to PostgreSQL, Redis and/or the archive (a directory or S3), exactly once.",
    .opts = options,
    .epilog = "Examples:\n"
              "  sink --to postgresql://postgres@127.0.0.1:5432/rydeflow --to redis://127.0.0.1:6379\n"
              "  sink -t wildrydes --to file:///data/archive                   # the raw events, Firehose-style\n"
              "  sink -t wildrydes --to s3://bucket/archive --endpoint http://127.0.0.1:9000\n"
              "PostgreSQL and Redis take the per-minute summaries (topic wildrydes-summary); the archive takes\n"
              "raw events. Key layout, table and failure behaviour: docs/operations.md. SIGTERM flushes,\n"
              "commits and exits 0. Exit status: 0 on success, 1 on failure, 2 for a bad command line.\n",
};

int main(int argc, char **argv)
{
    struct sink_config cfg = {0};
    int first;
    rf_log_init("sink");
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    char err[512];
    const char *bad = NULL;
    static char msg[600];
    if (cfg.to.n == 0)
        bad = "--to: at least one destination is required";
    else if (cfg.to.n > 16)
        bad = "--to: at most 16 destinations";
    for (int i = 0; !bad && i < cfg.to.n; i++)
        if (!backend_for(cfg.to.v[i])) {
            snprintf(msg, sizeof msg,
                     "--to %s: expected postgresql://..., redis://HOST:PORT, s3://BUCKET/PREFIX or file:///DIR",
                     cfg.to.v[i]);
            bad = msg;
        }
    for (int i = 0; !bad && i < cfg.to.n; i++) {
        const struct backend_ops *ops = backend_for(cfg.to.v[i]);
        if (ops->check && ops->check(cfg.to.v[i], msg, sizeof msg) < 0)
            bad = msg;
    }
    if (!bad && rf_kafka_validate_props(&cfg.props, err, sizeof err) < 0)
        bad = err;
    if (bad) {
        rf_opts_fail(&command, "%s", bad);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    char host[256] = "local";
    if (!cfg.instance) {
        gethostname(host, sizeof host - 1);
        cfg.instance = host;
    }
    char group[256];
    if (!cfg.group) {
        /* the job is the topic and its destinations: two sinks that differ
         * in either never share a group (nor, so, a static member) */
        char what[160], ident[8192];
        size_t w = (size_t)snprintf(what, sizeof what, "%s", cfg.topic);
        size_t n = (size_t)snprintf(ident, sizeof ident, "%s", cfg.topic);
        for (int i = 0; i < cfg.to.n; i++) {
            const char *kind = backend_for(cfg.to.v[i])->name;
            if (w < sizeof what && !strstr(what, kind))
                w += (size_t)snprintf(what + w, sizeof what - w, "%s%s", i ? "+" : "-", kind);
            if (n < sizeof ident)
                n += (size_t)snprintf(ident + n, sizeof ident - n, " %s", cfg.to.v[i]);
        }
        cfg.group = rf_kafka_job_group(group, sizeof group, "sink", what, ident);
    }
    if (rf_opts_check_only()) {
        char what[2048];
        size_t w = (size_t)snprintf(what, sizeof what, "%s to", cfg.topic);
        for (int i = 0; i < cfg.to.n && w < sizeof what; i++)
            w += (size_t)snprintf(what + w, sizeof what - w, " %s", backend_for(cfg.to.v[i])->name);
        if (w < sizeof what)
            snprintf(what + w, sizeof what - w, "; group %s, instance %s; Kafka at %s", cfg.group, cfg.instance,
                     cfg.brokers);
        int rc = rf_opts_checked(&command, what);
        rf_opts_free(&command, &cfg);
        return rc;
    }
    rf_signal_install();
    int rc = sink_run(&cfg);
    rf_opts_free(&command, &cfg);
    return rc;
}
