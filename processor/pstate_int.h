/* pstate_int.h - the partition state's insides, shared by pstate.c (the
 * queries, watermarks and bad records) and pstate_meta.c (the commit point
 * and its metadata, the sources of a merged partition). Not an API: see
 * pstate.h. */
#ifndef PSTATE_INT_H
#define PSTATE_INT_H

#include "pstate.h"
#include "rf_buf.h"

#include <stdint.h>

#define MAX_COLS 256
#define NONE INT64_MIN

struct instance {
    struct pstate *ps;
    int stream;           /* index in the script */
    struct sql_query *q;
    int ncols;
    int map[MAX_COLS];    /* the query's input column k is the union row's map[k] */
    int key;              /* result column used as the message key, or -1 */
    int64_t grace;
    int64_t restore;      /* the watermark at the commit we resume from (NONE: none) */
    int64_t in, out, late;
};

/* A repartitioned stream this (source) partition forwards events to. */
struct forwarder {
    int stream;
    struct sql_query *q; /* for WHERE and the partition key only */
    int ncols;
    int map[MAX_COLS];
};

/* Merged partitions: each source partition's high mark, as last heard. */
enum { SRC_UNKNOWN, SRC_IDLE, SRC_KNOWN };
struct sources {
    int n;
    int64_t *base;
    unsigned char *state; /* SRC_*: unknown < idle < known */
};

struct pstate {
    struct pstate_conf conf;
    struct pstate_sink sink;
    const struct sql_schema *schema;
    struct instance *inst;
    int ninst;
    const char *cols[MAX_COLS]; /* the union of the instances' input columns */
    int ncols;
    int time_col;               /* index in cols of the event time */
    int64_t max_ts;             /* the largest event time seen, NONE before any */
    int64_t next;               /* the next offset to process (-1: none seen) */
    int64_t replay_end;         /* h: events before it only rebuild state */
    int replaying;
    int64_t resume_off, resume_aux; /* the commit point we resumed from */
    int64_t last_event_wall;
    int64_t events, dead;
    struct forwarder *fwd;
    int nfwd;
    int internal;               /* a repartitioned stream's internal topic */
    int merged;                 /* internal, on event time: the watermark base comes from src */
    struct sources src;
    int has_restore_src;        /* merged, resuming: src and max_ts at h */
    struct sources restore_src;
    int64_t restore_max;
    struct rf_buf row;          /* the result row being written (emit_row) */
    char err[256];
};

/* Merged partitions' sources (pstate_meta.c): free, room for n (new ones
 * unknown), copy, what a record says (high marks only grow), and the least
 * high mark of the sources that are not idle (NONE while one is unheard
 * of). grow, copy and hear return 0 or -1 (out of memory). */
void psrc_free(struct sources *v);
int psrc_grow(struct sources *v, int n);
int psrc_copy(struct sources *dst, const struct sources *from);
int psrc_hear(struct sources *v, const struct pstate_origin *o);
int64_t psrc_low(const struct sources *v);

/* FNV-1a of the query file's text: commit metadata names the file it
 * belongs to. */
uint32_t pstate_script_hash(const char *text);

/* Read commit metadata into ps (each instance's restore watermark, a
 * merged partition's sources at h) and *h, *m. 0, or -1 with *warning set
 * (another query file's, or unreadable: the caller starts afresh). */
int pstate_parse_meta(struct pstate *ps, const char *meta, int64_t *h, int64_t *m, const char **warning);

#endif
