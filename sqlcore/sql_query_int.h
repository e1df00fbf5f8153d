/* sql_query_int.h - the state of a compiled query, shared by the files that
 * compile it (sql_select.c), run it over a finite input (sql_exec.c) and run
 * it incrementally over an unbounded one (sql_stream.c). Not for use outside
 * sql/.
 *
 * Groups live in group tables (struct gtable). A batch query has one table
 * for everything. A windowed query running incrementally has one table per
 * open TUMBLING/HOPPING window, so that closing a window frees exactly its
 * groups, keys and strings; SESSION windows keep one table of keys whose
 * sessions each own their strings. */
#ifndef SQL_QUERY_INT_H
#define SQL_QUERY_INT_H

#include "sql_int.h"

/* ---- a hash index of value tuples (sql_exec.c) ----------------------------- */
struct vtab {
    int32_t *slots; /* -1 empty, else an entry number */
    uint64_t *hashes;
    size_t cap, n;
};
typedef const struct sql_value *(*key_of_fn)(void *ctx, int32_t entry);
uint64_t sql_hash_tuple(const struct sql_value *v, int n);
/* GROUP BY and DISTINCT equality: NULLs are equal to each other. */
int sql_value_same(const struct sql_value *a, const struct sql_value *b);
/* The entry whose tuple equals key (>= 0); -1 and the insertion slot in
 * *slot; -2 when out of memory. */
int32_t sql_vtab_find(struct vtab *t, uint64_t h, const struct sql_value *key, int n, key_of_fn key_of, void *ctx,
                      size_t *slot);
void sql_vtab_insert(struct vtab *t, size_t slot, uint64_t h, int32_t entry);
void sql_vtab_free(struct vtab *t);

/* ---- aggregates ------------------------------------------------------------ */
enum agg_kind { A_COUNT_STAR, A_COUNT, A_SUM, A_AVG, A_MIN, A_MAX, A_FIRST, A_LAST, A_PERCENTILE };

struct agg_def {
    enum agg_kind kind;
    int distinct;
    struct node *arg;  /* bound in the input context; NULL for COUNT(*) */
    struct node *call; /* the call as written (for matching repeats) */
    double fraction;   /* PERCENTILE: 0..1 */
};

struct agg_state {
    int64_t count, isum;
    double dsum, dcomp; /* Neumaier-compensated sum: less dependent on input order */
    int int_sum_ok;     /* all summed values were INT and did not overflow */
    struct sql_value m; /* MIN/MAX so far; FIRST/LAST: the value at mts */
    int64_t mts;        /* FIRST/LAST: the event time of m */
    double *vals;       /* PERCENTILE: every non-NULL value (malloc'd) */
    int64_t nvals, capvals;
};

struct group {
    struct sql_value *key;
    struct agg_state *st;
    int dirty; /* incremental EMIT CHANGES: updated since last emitted */
};

/* SESSION windows: per group, its sessions, sorted by start and apart by more
 * than the gap (an event that bridges two sessions merges them). */
struct session {
    int64_t start, end; /* first and last event time */
    struct agg_state *st;
    struct sql_arena arena;    /* strings of this session's aggregates */
    int64_t replay_off, replay_aux; /* the earliest event's position (incremental) */
};
struct sessions {
    struct session *s;
    int n, cap;
};

/* One table of groups. */
struct gtable {
    struct sql_arena arena; /* keys, distinct values, string aggregates */
    struct group *groups;
    int ngroups, capgroups;
    struct sessions *sess; /* SESSION windows: one per group, capgroups long */
    struct vtab gindex, dindex;
    struct sql_value *dvals; /* COUNT(DISTINCT): tuples (agg number, group number, value) */
    int ndvals, capdvals;
    int64_t start;                  /* incremental TUMBLING/HOPPING: the window's start */
    int64_t replay_off, replay_aux; /* incremental: the first event's position */
};

/* Free everything a table owns (not the table itself). */
void sql_gtable_release(const struct sql_query *q, struct gtable *t);

struct result_row {
    struct sql_value *v; /* nout values, then norder sort keys */
    int64_t seq;
};

struct sql_query {
    struct sql_arena arena;
    struct select_ast *ast;
    const struct sql_schema *schema;
    struct slots cols;
    int nout;
    struct node **out;
    const char **out_names;
    struct node *where, *having;
    struct node **order;
    int *desc;
    int norder;
    int aggregated;
    int nkeys;     /* group keys in the output row: GROUP BY expressions, then the window start */
    int time_slot; /* windowed: the input slot of the event-time column */
    struct agg_def *aggs;
    int naggs, capaggs;
    struct gtable all;            /* batch, and incremental SESSION windows */
    struct gtable *t;             /* the table being updated */
    struct sql_arena *agg_arena;  /* where the states being updated keep strings */
    struct result_row *rows;
    int64_t nrows, caprows;
    struct sql_scratch scratch;
    sql_emit_fn emit;
    void *emit_arg;
    int64_t emitted;
    int streaming; /* rows are emitted as they come (no aggregate, DISTINCT or ORDER BY) */
    int repartition; /* a continuous aggregate whose groups are not within the source's key */
    const struct sql_target *target; /* a pump's INSERT INTO (borrowed), or NULL */
    struct sliding *sliding;         /* aggregates OVER sliding windows (sql_sliding.c), or NULL */
    /* JOIN a reference table: the row of ref->table whose column ref_col equals
     * ref_key (an expression of the source) fills slots ref_slot[i] with its
     * column ref_colidx[i] */
    struct sql_reference *ref;
    struct node *ref_key;
    int ref_col, nref, *ref_slot, *ref_colidx;
    int win_group;   /* the GROUP BY term that is the window (FLOOR(... TO unit)), or -1 */

    /* incremental evaluation (sql_stream.c) */
    int incremental;
    int emit_changes;
    struct gtable **wins; /* open TUMBLING/HOPPING windows, by start */
    int nwins, capwins;
    int64_t closed;       /* the watermark windows have been closed up to */
    int64_t sess_due;     /* SESSION/STAGGER: no open session closes before this watermark (a lower
                           * bound of their end + gap; 0 at first: unknown) */
    int64_t open_groups, max_groups;
    int64_t cur_start, cur_end; /* the window of the row being emitted */
    int64_t cur_off, cur_aux;   /* the position of the row being added */
    struct sql_value *argv;     /* each aggregate's argument for the row being added (sql_row_key) */
    sql_group_error_fn on_group_error; /* a result row failed to evaluate (sql_query_set_group_error) */
    void *on_group_error_arg;
};

#define SQL_MAX_GROUP 256 /* GROUP BY expressions */

/* Compile the SELECT at the lexer's position. stream: a continuous query
 * (stops at ';', checks what incremental evaluation needs, and evaluates
 * incrementally). */
typedef const struct sql_schema *(*sql_lookup_fn)(void *ctx, const char *name);
struct sql_query *sql_query_compile_lx(struct sql_lexer *lx, sql_lookup_fn lookup, void *ctx, int stream,
                                       struct sql_error *err);
/* A pump's INSERT INTO a declared stream (Kinesis Analytics): the result has
 * the stream's columns; column c takes the SELECT's item from[c] (-1: NULL)
 * converted to types[c]. The SELECT must give exactly nvalues columns. The
 * target is borrowed (it outlives the query). */
struct sql_target {
    const char *name;
    const char *const *cols;
    const struct sql_coltype *types;
    const int *from;
    int ncols, nvalues;
    int line, col;    /* the INSERT, for errors */
    int64_t grace_ms; /* GROUP BY FLOOR/STEP(ROWTIME ...) windows wait this long for out-of-order rows */
};
typedef struct sql_reference *(*sql_ref_fn)(void *ctx, const char *name);
struct sql_query *sql_query_compile_into(struct sql_lexer *lx, sql_lookup_fn lookup, sql_ref_fn refs, void *ctx,
                                         int stream, const struct sql_target *target, struct sql_error *err);
/* JOIN (sql_join.c): mark the reference table's columns in every expression
 * (before binding), then check ON and note the slots (after). 0 or -1. */
int sql_join_prepare(struct sql_query *q, sql_ref_fn refs, void *ctx, struct sql_error *err);
int sql_join_finish(struct sql_query *q, struct sql_error *err);
/* Fill row's reference columns from the table: 1, or 0 when an inner join
 * finds no row (the row is left out), -1 with err. */
int sql_join_row(struct sql_query *q, struct sql_value *row, struct sql_error *err);

/* Sliding windows (sql_sliding.c). prepare: before the outputs are bound,
 * replace each aggregate OVER a window by a reference to its value; finish:
 * once they are, place those values after the input columns. push: one row
 * (its arguments in q->argv from sql_row_key), emitting its result row;
 * advance: age rows out behind the watermark. */
int sql_sliding_prepare(struct sql_query *q, struct sql_error *err);
int sql_sliding_finish(struct sql_query *q, struct sql_error *err);
int sql_sliding_push(struct sql_query *q, const struct sql_value *row, struct sql_push *r, struct sql_error *err);
void sql_sliding_advance(struct sql_query *q, int64_t watermark);
int sql_sliding_replay_point(const struct sql_query *q, int64_t *offset, int64_t *aux);
void sql_sliding_free(struct sliding *sl);

/* Shared execution steps (sql_exec.c). */
/* WHERE, the group key and every aggregate's argument of a row: 1
 * (key[0..ngroup) and q->argv set), 0 filtered out, -1 error. Nothing is
 * changed before all of them evaluated, so an error leaves the state as it was. */
int sql_row_key(struct sql_query *q, const struct sql_value *row, struct sql_value *key, struct sql_error *err);
/* The start of the latest TUMBLING/HOPPING window containing ts. */
int64_t sql_window_last_start(const struct sql_query *q, int64_t ts);
extern const char *const sql_agg_names[];
int sql_keep(struct sql_arena *a, struct sql_value *dst, const struct sql_value *src);
/* The group with this key in q->t (created when new); -1 with err. */
int sql_find_group(struct sql_query *q, const struct sql_value *key, int n, struct sql_error *err);
struct agg_state *sql_new_states(const struct sql_query *q);
void sql_free_states(const struct sql_query *q, struct agg_state *st);
/* Add a row to the states sts (group g of q->t, or a session's: g = -1). */
/* Fold the row (its arguments from sql_row_key, in q->argv) into the states
 * of group g. -1 only when out of memory. */
int sql_update(struct sql_query *q, struct agg_state *sts, int g, const struct sql_value *row, struct sql_error *err);
/* Put the row's event into its group's sessions in q->t; returns the
 * session it joined, or NULL with *skipped = 1 (no event time), 2 (the
 * open-group limit) or 0 (an error, in err). */
struct session *sql_add_to_session(struct sql_query *q, const struct sql_value *key, const struct sql_value *row,
                                   int *skipped, struct sql_error *err);
/* Evaluate the output expressions over ctx (an input row, or a group's
 * keys and aggregates) and emit the row (streaming, incremental) or keep it
 * for sorting. */
int sql_push_row(struct sql_query *q, const struct sql_value *ctx, struct sql_error *err);
/* Evaluate the output of one group (keys, then aggregate states) and keep or
 * emit it (HAVING applies). */
int sql_emit_group(struct sql_query *q, const struct sql_value *keys, const struct agg_state *st,
                   struct sql_error *err);

#endif
