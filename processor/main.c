/* main.c - `processor`: continuous SQL over Kafka (the Kinesis Data
 * Analytics analogue). Options and the query file; the work is in
 * processor.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "processor.h"
#include "refdata.h"
#include "rf_file.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"

#define O(f) offsetof(struct processor_config, f)

static const struct rf_opt options[] = {
    RF_OPTS_KAFKA_CLIENT(struct processor_config),
    {"file", 'f', RF_OPT_STRING, NULL, O(file), "FILE", "the query file (CREATE STREAM ... AS SELECT ...; see docs/sql.md)"},
    {"group", 'G', RF_OPT_STRING, NULL, O(group), "GROUP",
     "consumer group: processors in one group share the partitions (default: rydeflow-processor-<file stem>-<hash "
     "of the file's path>, one per query file)"},
    {"instance", 'i', RF_OPT_STRING, NULL, O(instance), "NAME",
     "this instance's name, unique in the group (default: the host name); part of its transactional.id"},
    {"metadata-max-bytes", 0, RF_OPT_INT, "4096", O(metadata_max), "N",
     "the brokers' offset.metadata.max.bytes: a partition whose commit metadata would not fit stops the processor "
     "with a clear error (raise both)", 256, 1048576},
    {"max-future", 0, RF_OPT_DURATION, "1h", O(max_future_ms), "TIME",
     "an event time further ahead of its record's Kafka timestamp is dead-lettered, not allowed to move the "
     "watermark (0 = no bound)"},
    {"late-topic", 0, RF_OPT_STRING, "wildrydes-late", O(late_topic), "TOPIC", "where late events go"},
    {"deadletter-topic", 0, RF_OPT_STRING, "wildrydes-deadletter", O(dead_topic), "TOPIC",
     "where malformed events go, with the reason"},
    {"commit-interval", 0, RF_OPT_DURATION, "1s", O(commit_ms), "TIME",
     "commit at least this often (results waiting are committed at once)"},
    {"emit-interval", 0, RF_OPT_DURATION, "1s", O(emit_ms), "TIME", "EMIT CHANGES: emit updated groups at most this often"},
    {"idle-timeout", 0, RF_OPT_DURATION, "30s", O(idle_ms), "TIME",
     "a partition without events this long has its watermark advanced by the wall clock (0 = never)"},
    {"status-interval", 0, RF_OPT_DURATION, "5s", O(status_ms), "TIME", "print a status line this often"},
    {"max-groups", 0, RF_OPT_INT, "1000000", O(max_groups), "N",
     "open groups per query and partition; events that would open more are dead-lettered (0 = no limit)", 0, 1e12},
    {"partitions", 0, RF_OPT_INT, "0", O(partitions), "N",
     "partitions of output topics that do not exist yet (0 = as many as the source)", 0, 100000},
    {"time", 0, RF_OPT_STRING, "event", O(time), "KIND",
     "window on event time (the source's timestamp column) or processing time (arrival; no exactly-once)", 0, 0,
     "event|processing"},
    {"map", 'm', RF_OPT_LIST, NULL, O(map), "NAME=TOPIC",
     "Kinesis Analytics application: read or write stream NAME as TOPIC (default: SOURCE_SQL_STREAM_001 reads "
     "wildrydes, an in-application stream is the topic of its name)"},
    {"rowtime", 0, RF_OPT_STRING, NULL, O(rowtime), "KIND",
     "Kinesis Analytics application: ROWTIME is the source's event time (default; replayable, exactly once) or "
     "the record's arrival, as in Kinesis Analytics (= --time processing)", 0, 0, "event|arrival"},
    {"grace", 0, RF_OPT_DURATION, "5s", O(kda_grace_ms), "TIME",
     "Kinesis Analytics application: how long its windows (GROUP BY FLOOR/STEP(ROWTIME ...)) wait for events out "
     "of order on event time (its SQL has no GRACE clause)"},
    {"reference", 'r', RF_OPT_LIST, NULL, O(references), "NAME=URL",
     "a table for queries to JOIN (... JOIN NAME ON NAME.col = ...): a CSV (.csv) or JSON object at file:///path or "
     "s3://bucket/key, read again every --reference-interval"},
    {"reference-interval", 0, RF_OPT_DURATION, "30s", O(reference_ms), "TIME",
     "read the --reference objects again this often; a changed one replaces its table (0 = never)"},
    {"endpoint", 0, RF_OPT_STRING, NULL, O(endpoint), "URL",
     "S3 endpoint for s3:// references (default: AWS_ENDPOINT_URL, else AWS)"},
    {"from", 0, RF_OPT_STRING, "beginning", O(from), "WHERE", "where partitions with no committed offset start", 0, 0,
     "beginning|end"},
    {"exit-at-end", 'e', RF_OPT_FLAG, NULL, O(exit_at_end), NULL,
     "exit once every partition is read to its end and committed (like kcat -e); open windows stay open"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "processor",
    .summary = "Run the continuous queries of a SQL file on Kafka; results are produced exactly once.",
    .opts = options,
    .epilog = "Examples:\n"
              "  processor -f processor/wildrydes.sql                 # the workshop's per-minute summary and more\n"
              "  processor -f q.sql --group fleet --instance a       # several instances share the partitions\n"
              "  processor -f app.sql --map DESTINATION_SQL_STREAM=wildrydes-summary   # a Kinesis Analytics app\n"
              "Every CREATE STREAM ... AS SELECT in FILE runs; results go to its topic as JSON keyed by its key\n"
              "column. Late events go to --late-topic, malformed ones to --deadletter-topic. SIGTERM commits\n"
              "and exits 0. Exit status: 0 on success, 1 on failure, 2 for a bad command line or query.\n",
};

int main(int argc, char **argv)
{
    struct processor_config cfg = {0};
    int first;
    rf_log_init("processor");
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    char err[512];
    char host[256] = "local";
    if (!cfg.file) {
        rf_opts_fail(&command, "%s", "--file: the query file is required");
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (rf_kafka_validate_props(&cfg.props, err, sizeof err) < 0) {
        rf_opts_fail(&command, "%s", err);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (!cfg.instance) {
        gethostname(host, sizeof host - 1);
        cfg.instance = host;
    }
    char group[256], path[4096], stem[128];
    if (!cfg.group) {
        /* one group per query file: two processors of different files never
         * share partitions or a transactional id */
        if (!realpath(cfg.file, path))
            snprintf(path, sizeof path, "%s", cfg.file);
        const char *base = strrchr(cfg.file, '/') ? strrchr(cfg.file, '/') + 1 : cfg.file;
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
        cfg.group = rf_kafka_job_group(group, sizeof group, "processor", stem, path);
    }
    char *text = rf_read_file(cfg.file, err, sizeof err);
    if (!text) {
        fprintf(stderr, "processor: %s\n", err);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (!(cfg.refdata = refdata_load(&cfg.references, cfg.endpoint, err, sizeof err))) {
        fprintf(stderr, "processor: %s\n", err);
        free(text);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    struct sql_error serr;
    struct sql_script_opts sopts = {.refs = refdata_refs(cfg.refdata), .nrefs = refdata_count(cfg.refdata),
                                    .map = cfg.map.v, .nmap = cfg.map.n, .grace_ms = cfg.kda_grace_ms};
    cfg.script = sql_script_parse_opts(text, &sopts, &serr);
    if (!cfg.script) {
        char msg[2048];
        sql_error_format(text, &serr, msg, sizeof msg);
        fprintf(stderr, "processor: %s: %s\n", cfg.file, msg);
        free(text);
        refdata_free(cfg.refdata);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    free(text);
    if (cfg.rowtime && !sql_script_is_kda(cfg.script)) {
        rf_opts_fail(&command, "%s", "--rowtime is for Kinesis Analytics applications; this file's windows use --time");
        sql_script_free(cfg.script);
        refdata_free(cfg.refdata);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (cfg.rowtime && strcmp(cfg.rowtime, "arrival") == 0)
        cfg.time = "processing";
    if (rf_opts_check_only()) {
        char what[4096];
        int n = snprintf(what, sizeof what, "%d %s from %s (", sql_script_nstreams(cfg.script),
                         sql_script_is_kda(cfg.script) ? "pump(s)" : "stream(s)", cfg.file);
        for (int i = 0; i < sql_script_nstreams(cfg.script) && n < (int)sizeof what; i++) {
            const struct sql_stream_def *d = sql_script_stream(cfg.script, i);
            n += snprintf(what + n, sizeof what - (size_t)n, "%s%s: %s -> %s", i ? ", " : "", d->name, d->source_topic,
                          d->topic);
        }
        if (n < (int)sizeof what)
            snprintf(what + n, sizeof what - (size_t)n, "); group %s, instance %s; Kafka at %s", cfg.group,
                     cfg.instance, cfg.brokers);
        int rc = rf_opts_checked(&command, what);
        sql_script_free(cfg.script);
        refdata_free(cfg.refdata);
        rf_opts_free(&command, &cfg);
        return rc;
    }
    rf_signal_install();
    int rc = processor_run(&cfg);
    sql_script_free(cfg.script);
    refdata_free(cfg.refdata);
    rf_opts_free(&command, &cfg);
    return rc;
}
