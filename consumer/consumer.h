/* consumer.h - the consumer's run loop: tail a topic and print its records. */
#ifndef CONSUMER_H
#define CONSUMER_H

#include "rf_opts.h"
#include "sql.h"

struct consumer_config {
    const char *brokers;
    const char *topic;
    const char *group;     /* NULL = no group: every partition assigned */
    const char *from;      /* beginning|end|OFFSET|-N|TIME */
    long long count;       /* stop after N records; 0 = no limit */
    int follow;            /* keep waiting at the end of the partitions */
    const char *format;    /* json|table|csv */
    const char *show;      /* comma list of key,partition,offset,timestamp,topic|all */
    long long timeout_ms;  /* how long to wait for the cluster at start-up */
    const char *metrics;
    const char *progress;
    struct rf_strlist props;
    const char *where;     /* --where EXPR: print only records for which it is TRUE */
#define CONSUMER_WHERE_MAX_COLUMNS 64 /* columns one --where may name (main() refuses more) */
    /* Compiled by main() from where (NULL when there is none): */
    struct sql_expr *filter;
    const struct sql_schema *schema;
};

/* Run until the end of the partitions (unless follow), count, or a signal.
 * Returns the exit code: 0, or 1 on failure (unreachable broker, missing
 * topic, write error). */
int consumer_run(const struct consumer_config *cfg);

/* Parse --from: "beginning", "end", an offset (>= 0), "-N" (N before the end
 * of each partition), or a time (see rf_time_parse_flag). Sets exactly one of
 * *offset (a librdkafka logical or absolute offset) or *time_ms (>= 0 when a
 * time was given, else -1). Returns 0 or -1. */
int consumer_parse_from(const char *from, long long *offset, long long *time_ms);

#endif
