/* backend.h - a destination of the sink: PostgreSQL, Redis, or the archive
 * (a directory or S3). A new destination is one file implementing these
 * operations and one line in backend.c's table.
 *
 * The sink hands each backend the same batches of records in offset order
 * per partition. Writes must be idempotent (a batch may be written again
 * after a crash or a retry). A backend that holds records back (the archive
 * buffers objects) says from which offset a partition would have to be read
 * again (pending_from), and the sink commits no further. */
#ifndef BACKEND_H
#define BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct sink_record {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the Kafka message timestamp */
    const char *key;
    size_t keylen;
    const char *value;
    size_t len;
    /* Set by a backend: this record cannot be written there (why says why):
     * SINK_DEAD_DECODE, it is not a record of the kind the destination
     * takes, or SINK_DEAD_STORE, the store rejected its data. The sink
     * clears it before each destination's write: one destination's
     * rejection never hides a record from another. */
    int dead;
    char why[256];
};

struct sink_batch {
    const char *topic;
    struct sink_record *r;
    int n;
};

enum { SINK_DEAD_DECODE = 1, SINK_DEAD_STORE = 2 };

enum sink_rc {
    SINK_OK = 0,
    SINK_RETRY = 1, /* an outage (connection lost, server starting or overloaded): the same batch is
                       written again after a back-off, consumption paused */
    SINK_ERROR = 2, /* permanent and not about one record (permission denied, a missing table): the sink
                       stops with err and a non-zero exit */
};

struct sink_options {
    const char *endpoint;    /* S3 endpoint (--endpoint) */
    int64_t batch_bytes;     /* archive: rotate objects at this size */
    int64_t batch_ms;        /* archive: rotate objects this long after their first record */
    int64_t chunk_bytes;     /* archive: NDJSON compressed as one gzip member while the object fills */
    int64_t part_bytes;      /* archive on S3: multipart above this */
    int64_t max_future_ms;   /* archive: event-time guard (rf_time_check_event); 0: no upper bound */
};

struct backend;
struct backend_ops {
    const char *name; /* for logs and metrics: "postgresql", "redis", "archive" */
    int (*matches)(const char *url);
    /* Check the URL as open would, connecting to nothing (--check-config and
     * start-up): 0, or -1 with err. NULL: matches is the whole check. */
    int (*check)(const char *url, char *err, size_t errlen);
    struct backend *(*open)(const char *url, const struct sink_options *opt, char *err, size_t errlen);
    /* Write a batch. Records a backend cannot take are marked dead (and left
     * out); that never fails the batch. */
    enum sink_rc (*write)(struct backend *b, struct sink_batch *batch, char *err, size_t errlen);
    /* Write what is due by age (force: everything, at shutdown). */
    enum sink_rc (*flush)(struct backend *b, int64_t now_ms, int force, char *err, size_t errlen);
    /* The first offset of partition p not yet durable here, or -1 when all
     * that was written is durable. NULL: writes are durable when write returns. */
    int64_t (*pending_from)(struct backend *b, int32_t partition);
    void (*close)(struct backend *b);
    /* Counters for metrics: rows or objects written, bytes. */
    void (*stats)(struct backend *b, int64_t *written, int64_t *bytes);
};

/* The backend for a --to URL, or NULL. */
const struct backend_ops *backend_for(const char *url);

extern const struct backend_ops backend_postgresql, backend_redis, backend_archive;

/* The workshop's summary record (sink/summary.c), decoded from JSON. */
struct summary {
    char name[256];
    char status_time[32]; /* "YYYY-MM-DD HH:MM:SS.mmm" (UTC) */
    int64_t status_ms;
    double distance;
    long long min_magic, max_magic, min_health, max_health;
};
/* 0, or -1 with why ("missing Name", "not JSON", ...). Integers outside
 * PostgreSQL's integer are kept: the database decides. */
int summary_decode(const char *json, size_t len, struct summary *s, char *why, size_t whylen);
/* The same through jansson alone: what summary_decode must always equal
 * (it takes rf_jflat's fast path for the common shape). */
int summary_decode_reference(const char *json, size_t len, struct summary *s, char *why, size_t whylen);

#endif
