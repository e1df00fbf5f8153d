/* processor.h - `processor`: runs the continuous queries of a SQL file on
 * Kafka and produces their results, exactly once.
 *
 * The run loop (processor.c) consumes the source topics in a consumer group,
 * keeps one pstate per assigned partition, and writes results, late events
 * and dead letters through a transactional producer (txn.c); each
 * transaction also commits, per partition, the pstate's commit point with
 * its metadata, so that outputs and the point to resume from become durable
 * together (see pstate.h and docs/architecture.md). */
#ifndef PROCESSOR_H
#define PROCESSOR_H

#include "rf_opts.h"
#include "sql.h"

struct refdata;

struct processor_config {
    const char *brokers;
    long long timeout_ms;
    const char *metrics;
    const char *progress;
    struct rf_strlist props;
    const char *file;        /* the query file */
    const char *group;       /* consumer group */
    const char *instance;    /* this instance's name: part of its transactional.id */
    const char *late_topic;
    const char *dead_topic;
    long long commit_ms;     /* commit (and make results visible) at least this often */
    long long emit_ms;       /* EMIT CHANGES: at most this often */
    long long idle_ms;       /* idle partitions: watermark follows the wall clock after this */
    long long status_ms;     /* the status line on stderr */
    long long max_groups;    /* per query and partition; 0: no limit */
    long long max_future_ms; /* event-time guard (pstate_conf); 0: none */
    long long metadata_max;  /* commit metadata per partition at most this many bytes (the brokers' limit) */
    long long partitions;    /* partitions of created output topics; 0: as the source */
    const char *time;        /* event|processing */
    const char *rowtime;     /* Kinesis Analytics applications: ROWTIME is event|arrival (= --time processing) */
    struct rf_strlist map;   /* --map NAME=TOPIC: an application's streams' topics */
    long long kda_grace_ms;  /* an application's windows wait this long for out-of-order events */
    struct rf_strlist references; /* --reference NAME=URL: tables queries JOIN */
    long long reference_ms;  /* read them again this often */
    const char *endpoint;    /* S3 endpoint for s3:// references */
    struct refdata *refdata; /* set by main(): the loaded references */
    const char *from;        /* beginning|end, for partitions without a committed offset */
    int exit_at_end;         /* stop once every partition is read to its end and committed */
    /* Set by main(): */
    struct sql_script *script;
};

/* Run until SIGINT/SIGTERM or a fatal error. Returns the exit code: 0 after
 * a clean shutdown (last transaction committed), 1 on failure. */
int processor_run(const struct processor_config *cfg);

#endif
