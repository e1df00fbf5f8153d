/* producer.h - the producer's run loop: simulate the fleet or forward NDJSON
 * into Kafka (or to standard output with --print). */
#ifndef PRODUCER_H
#define PRODUCER_H

#include <stdint.h>

#include "rf_opts.h"

struct producer_config {
    const char *brokers;
    const char *topic;
    long long unicorns;
    double rate;              /* events/s in total; 0 = as fast as possible; <0 = default */
    long long count;          /* stop after this many events; 0 = no limit */
    long long duration_ms;    /* stop after this much event time; 0 = no limit */
    long long seed;
    const char *start_time;   /* NULL = now (live) */
    long long disorder_ms;
    int burst;                /* a tick's reports share one event time and are sent together */
    double late_fraction;
    long long late_ms;
    const char *bbox;
    const char *input;        /* NULL = simulate; "-" = stdin */
    const char *dead_topic;   /* invalid --input lines go here */
    int print;                /* write NDJSON to stdout instead of Kafka */
    long long partitions;     /* create the topic with this many partitions if missing; 0 = leave it */
    long long timeout_ms;     /* how long to wait for the cluster at start-up */
    long long flush_timeout_ms;
    const char *metrics;      /* HOST:PORT or NULL */
    const char *progress;     /* auto|on|off */
    struct rf_strlist props;  /* -X key=value */
};

/* Run until done (count, duration, end of input) or SIGINT/SIGTERM. Prints a
 * one-line summary on stderr. Returns the process exit code: 0 when every
 * event was delivered, 1 on any failure (setup, undelivered events). */
int producer_run(const struct producer_config *cfg);

#endif
