/* pstate.h - the processor's state for one source partition: an instance of
 * every continuous query that reads the partition's topic, the partition's
 * event-time high mark and watermarks, and replay after a restart.
 *
 * Knows nothing of Kafka: the caller feeds messages in offset order and
 * gets results, late rows and dead letters through a pstate_sink; it asks
 * for the commit point (an offset plus metadata) after the outputs so far
 * are durable, and gives that back to pstate_new after a restart.
 *
 * Exactly once, by deterministic replay. Per partition:
 *   - the watermark of a query is (the largest event time seen) - its GRACE,
 *     advanced further by the wall clock when the partition is idle;
 *   - the commit point is the offset of the earliest event any open window
 *     still holds (so replaying from there rebuilds every open window
 *     exactly), and the metadata holds: h, the next offset at the commit
 *     (everything before it has had its effects); m, the largest event time
 *     seen before the commit point (so replay recomputes each event's
 *     watermark exactly as the first run did); and c, each query's watermark
 *     at the commit (idle advances included);
 *   - on restart, events before h only rebuild state: nothing they cause is
 *     output again (results, late rows and dead letters were committed
 *     with them), and once replay reaches h each query's watermark is set
 *     to c. The first run and the replay then hold the same state.
 * Outputs and the commit point must be made durable together (the processor
 * uses a Kafka transaction), or a crash in between duplicates outputs. */
/*
 * Repartitioned streams (sql_query_repartitions: GROUP BY without the
 * source's key) run in two steps. On a source partition, each event such a
 * stream takes is forwarded (sink->forward) under its partition key, with
 * the partition's event-time high mark; no state is kept for it. On a
 * partition of the stream's internal topic (a "merged" partition, fed by
 * every source partition), the query runs; its watermark base is the least
 * of the sources' high marks (each record carries its source's, and
 * markers carry them when a source has nothing to forward there: see
 * pstate_advertise), so events are judged late against the whole source,
 * not against whichever source partition the consumer happened to read
 * first. Sources that never had an event and are read to their end count
 * as idle and do not hold the watermark back.
 * Replay of a merged partition is exact at h: the commit metadata also
 * carries the base and every source's high mark at the commit (v=), which
 * are restored there, as c is; before h the replayed watermark can only be
 * lower, which changes nothing that is output again (see
 * docs/architecture.md). SESSION windows are not repartitioned (sql.h).
 */
#ifndef PSTATE_H
#define PSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "sql.h"

struct pstate_sink {
    void *arg;
    /* A result row of stream `stream`: json (a JSON object), the key column's
     * text (NULL if none) and the window (0, 0 for a filter stream). */
    int (*result)(void *arg, int stream, const char *key, size_t keylen, const char *json, size_t len,
                  int64_t wstart, int64_t wend);
    /* An event that arrived after window [wstart, wend) of stream closed. */
    int (*late)(void *arg, int stream, int64_t offset, const char *key, size_t keylen, const char *payload,
                size_t len, int64_t wstart, int64_t wend);
    /* A record that could not be processed, and why: stage "decode" (it is
     * not an event of the source: stream -1) or "query" (stream's query
     * failed on it, or on the group in payload when a result row failed to
     * evaluate). The partition goes on either way. */
    int (*dead)(void *arg, int64_t offset, const char *key, size_t keylen, const char *payload, size_t len,
                const char *stage, int stream, const char *reason);
    /* An event for repartitioned stream `stream`: forward it under key (the
     * GROUP BY values; keylen 0: none) with base, the source partition's
     * event-time high mark including it. */
    int (*forward)(void *arg, int stream, const char *key, size_t keylen, const char *payload, size_t len,
                   int64_t base);
};

struct pstate_conf {
    const struct sql_script *script;
    const char *topic;       /* the source topic */
    int32_t partition;
    int64_t max_groups;      /* per query instance; 0: no limit */
    int64_t idle_ms;         /* advance watermarks by the wall clock after this long without events; 0: never */
    int processing_time;     /* windows on arrival (wall-clock) time instead of event time */
    int64_t max_future_ms;   /* an event time further ahead of its record's timestamp is a dead letter; 0: no bound */
    /* The topic each stream's query reads (indexed like the script's
     * streams): its source, or for a repartitioned stream its internal
     * topic. NULL: every stream reads its source (nothing repartitioned). */
    const char *const *inputs;
};

/* Where a record of a merged partition comes from: the source partition,
 * how many the source has, and that partition's event-time high mark
 * (idle: it has had no event and was read to its end). */
struct pstate_origin {
    int32_t partition, partitions;
    int64_t base;
    int idle;
};

/* An origin as the internal topics' records carry it (a header's text):
 * "<partition> <partitions> <base>", or "<partition> <partitions> idle".
 * Written and read per repartitioned event, so by hand (snprintf and
 * sscanf were a tenth of a repartitioned stream's time). text gets at most
 * PSTATE_ORIGIN_TEXT bytes with its NUL. parse: 0, or -1 (not that form). */
#define PSTATE_ORIGIN_TEXT 64
void pstate_origin_text(const struct pstate_origin *o, char *text);
int pstate_origin_parse(const char *text, size_t n, struct pstate_origin *o);

struct pstate;

/* A partition's state, resuming from a commit: committed is the committed
 * offset (-1: none) and meta its metadata (NULL or "": start afresh). A
 * metadata string from another query file is ignored with a warning in
 * *warning (which is set to NULL otherwise). NULL with err on error. */
struct pstate *pstate_new(const struct pstate_conf *conf, const struct pstate_sink *sink, int64_t committed,
                          const char *meta, const char **warning, char *err, size_t errlen);
void pstate_free(struct pstate *ps);

/* Process the message at offset (offsets increase); record_ms is its Kafka
 * timestamp (-1: unknown), the reference of the event-time guard. Records
 * that do not decode, fail the guard, or make a query fail are dead letters.
 * Returns 0, or -1 only when a sink callback failed or memory ran out (err). */
int pstate_message(struct pstate *ps, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t record_ms, int64_t now_ms, char *err, size_t errlen);
/* A record of a merged partition (pstate_merged): an event (payload), or a
 * marker (len 0) that only carries its source's high mark. o NULL: the
 * record was not written by a processor (dead-lettered). 0 or -1 as above. */
int pstate_merged_message(struct pstate *ps, int64_t offset, const struct pstate_origin *o, const char *key,
                          size_t keylen, const char *payload, size_t len, int64_t now_ms, char *err, size_t errlen);
int pstate_merged(const struct pstate *ps);  /* reads an internal topic (runs repartitioned streams) */
int pstate_forwards(const struct pstate *ps); /* forwards to repartitioned streams */
/* What a forwarding partition tells the merged partitions it feeds: 1 and
 * *base (its high mark, moved on by the wall clock once idle as its
 * watermarks are), 2 (idle: no event ever and at_end), or 0 (nothing yet,
 * or replaying). */
int pstate_advertise(const struct pstate *ps, int at_end, int64_t now_ms, int64_t *base);

/* The consumer reached the end of the partition at offset end: replay is
 * over if end has reached h. */
int pstate_caught_up(struct pstate *ps, int64_t end, char *err, size_t errlen);
/* Advance idle watermarks by the wall clock. */
int pstate_tick(struct pstate *ps, int64_t now_ms, char *err, size_t errlen);
/* EMIT CHANGES: output every updated group now (before a commit). */
int pstate_flush_changes(struct pstate *ps, char *err, size_t errlen);

/* Where to resume after the outputs so far: *offset (-1: nothing processed
 * and nothing committed) and meta (NUL-terminated). Returns 0, or -1 when
 * the metadata needs metalen bytes or more (never cut silently: a cut
 * metadata would resume wrongly). */
int pstate_commit_point(const struct pstate *ps, int64_t *offset, char *meta, size_t metalen);

/* Observability. */
struct pstate_stats {
    int64_t events, dead, replaying;
    int64_t max_event_time; /* INT64_MIN when none */
    int64_t next_offset;    /* -1 when none */
    int64_t open_windows, open_groups;
};
void pstate_stats(const struct pstate *ps, struct pstate_stats *st);
/* The largest event time seen (INT64_MIN before any), and in *last_ms the
 * wall clock (now_ms) of the last event (0: none since start). Cheap. */
int64_t pstate_high_mark(const struct pstate *ps, int64_t *last_ms);
/* Per stream (index into the script): events in (accepted), results out, late, and its watermark. */
void pstate_stream_stats(const struct pstate *ps, int stream, int64_t *in, int64_t *out, int64_t *late,
                         int64_t *watermark);
int32_t pstate_partition(const struct pstate *ps);
const char *pstate_topic(const struct pstate *ps);

#endif
