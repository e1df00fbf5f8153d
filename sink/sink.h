/* sink.h - `sink`: consume a topic and write it to one or more destinations
 * (sink/backend.h), committing offsets only once every destination holds
 * what they cover. */
#ifndef SINK_H
#define SINK_H

#include "rf_opts.h"

struct sink_config {
    const char *brokers;
    long long timeout_ms;
    const char *metrics;
    const char *progress;
    struct rf_strlist props;
    const char *topic;
    struct rf_strlist to;   /* destination URLs */
    const char *group;
    const char *instance;   /* group.instance.id (static membership) */
    const char *dead_topic;
    const char *endpoint;   /* S3 endpoint */
    long long batch_bytes;  /* archive object size */
    long long batch_ms;     /* archive object age */
    long long chunk_bytes;  /* archive: NDJSON per gzip member */
    long long part_bytes;   /* S3 multipart threshold and part size */
    long long max_future_ms; /* archive: the event-time guard */
    long long max_records;  /* records per write */
    long long linger_ms;    /* how long a batch waits to fill */
    long long status_ms;
    long long shutdown_ms;  /* how long a shutdown waits for an absent store or Kafka */
    int exit_at_end;
    const char *from;       /* beginning|end, without a committed offset */
};

/* Run until SIGINT/SIGTERM (or the end, with exit_at_end). Returns the exit
 * code: 0 after a clean shutdown (everything flushed and committed), 1 on
 * failure. */
int sink_run(const struct sink_config *cfg);

#endif
