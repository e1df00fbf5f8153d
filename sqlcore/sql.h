/* sql.h - rydeflow's SQL module: the one dialect shared by `consumer --where`,
 * the processor and `bin/sql`.
 *
 * This first part is the expression language: literals, column references,
 * arithmetic, comparison, AND/OR/NOT, IN, BETWEEN, LIKE, IS [NOT] NULL, CASE,
 * CAST and scalar functions, with SQL's three-valued NULL logic. An expression
 * is compiled once against a schema (names and types checked, errors with
 * line:column) and evaluated per row without allocating.
 *
 * Ownership: a compiled expression owns its whole tree (one arena, freed by
 * sql_expr_free). Values passed in a row are borrowed for the call; string
 * results point into the expression's scratch space and stay valid until the
 * next evaluation of the same expression. Not thread-safe per expression. */
#ifndef SQL_H
#define SQL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sql_type {
    SQL_NULL = 0, /* the type of the NULL literal; as a column type: "any" */
    SQL_BOOL,
    SQL_INT,
    SQL_DOUBLE,
    SQL_STRING,
    SQL_TIMESTAMP, /* ms since the epoch, UTC */
};

struct sql_value {
    enum sql_type type;
    union {
        int b;
        int64_t i;
        double d;
        int64_t ts;
        struct {
            const char *s;
            size_t len;
        } str;
    } u;
};

/* An error in a query: position (1-based line and column) and message. */
struct sql_error {
    int line, col;
    char msg[256];
};

/* "error at line L, column C: MSG", the query line, and a caret under the
 * column, in buf (always NUL-terminated). */
void sql_error_format(const char *query, const struct sql_error *err, char *buf, size_t len);

/* The columns a query may name. With open = 1 any name is accepted as a
 * column of unknown type (schema-less JSON); otherwise an unknown name is an
 * error with a suggestion. Names match case-insensitively unless quoted. */
struct sql_column {
    const char *name;
    enum sql_type type;
};
struct sql_schema {
    const char *name;
    const struct sql_column *cols;
    int ncols;
    int open;
    const char *key_col;  /* the message key's column (continuous aggregates group by it), or NULL */
    const char *time_col; /* the event time; NULL: the first TIMESTAMP column */
};

/* The workshop's records: topic wildrydes, and the per-minute summary. */
const struct sql_schema *sql_schema_wildrydes(void);
const struct sql_schema *sql_schema_summary(void);
/* A schema for a topic name: the two above by name, else an open schema. */
const struct sql_schema *sql_schema_for_topic(const char *topic);

struct sql_expr;

/* Compile a boolean expression (a WHERE clause) against schema. Returns the
 * expression, or NULL with err filled (position and message). */
struct sql_expr *sql_where_compile(const char *text, const struct sql_schema *schema, struct sql_error *err);

/* Compile any scalar expression; *type receives its static type (SQL_NULL if
 * only known at run time). */
struct sql_expr *sql_expr_compile(const char *text, const struct sql_schema *schema, enum sql_type *type,
                                  struct sql_error *err);
void sql_expr_free(struct sql_expr *e);

/* The columns the expression reads, in slot order: the caller fills row[i]
 * with the value of column sql_expr_column(e, i) (a NULL value if missing). */
int sql_expr_ncolumns(const struct sql_expr *e);
const char *sql_expr_column(const struct sql_expr *e, int i);

/* Evaluate over row. Returns 0 and sets *out, or -1 with a run-time error in
 * err (e.g. division by zero is NULL, not an error; a bad CAST is an error). */
int sql_expr_eval(struct sql_expr *e, const struct sql_value *row, struct sql_value *out, struct sql_error *err);

/* WHERE semantics: 1 if the expression is TRUE, 0 if FALSE or NULL (or on a
 * run-time error, which is reported in err when err is not NULL). */
int sql_where_match(struct sql_expr *e, const struct sql_value *row, struct sql_error *err);

/* The text of a value as it is printed: doubles in their shortest exact
 * form, timestamps as 'YYYY-MM-DD HH:MM:SS.mmm', NULL as "NULL", strings
 * unquoted. Writes at most len (>= 40) bytes into buf and returns buf, or
 * the string itself, with *n set to the length (sql_format.c). */
const char *sql_value_text(const struct sql_value *v, char *buf, size_t len, size_t *n);
/* One row as a JSON object {"name":value,...} (no newline); NULL and
 * non-finite doubles as null. Errors surface through ferror(out). */
void sql_row_write_json(FILE *out, const char *const *names, const struct sql_value *v, int n);
/* The same into b (rf_buf.h): no FILE and, once b has grown, no allocation
 * per row. A failed allocation shows in b->failed. */
struct rf_buf;
void sql_row_json(struct rf_buf *b, const char *const *names, const struct sql_value *v, int n);

/* Name of a type ("INT", "DOUBLE", ...). */
const char *sql_type_name(enum sql_type t);


/* ---- queries (sql_select.c) ------------------------------------------------ */

/* SELECT [DISTINCT] items [FROM source] [WHERE ...] [GROUP BY ...] [HAVING ...]
 * [ORDER BY ... [ASC|DESC]] [LIMIT n], with the aggregates COUNT(*),
 * COUNT([DISTINCT] x), SUM, AVG, MIN, MAX. A query is compiled once, then fed
 * the source's rows one by one (sql_query_add) and finished
 * (sql_query_finish), which hands each result row to a callback. Memory:
 * one entry per group (and per distinct value), no allocation per row for
 * ungrouped, unordered queries. */
struct sql_query;

/* lookup maps a FROM name to its schema (NULL: unknown source). A query with
 * no FROM uses lookup(NULL). Returns NULL with err on any error. */
struct sql_query *sql_query_compile(const char *text, const struct sql_schema *(*lookup)(const char *name),
                                    struct sql_error *err);
void sql_query_free(struct sql_query *q);
const char *sql_query_source(const struct sql_query *q); /* the FROM name, or NULL */
const struct sql_schema *sql_query_schema(const struct sql_query *q);

/* The input columns the query reads (fill a row with these, in this order). */
int sql_query_ncolumns(const struct sql_query *q);
const char *const *sql_query_columns(const struct sql_query *q);

/* The result's columns: names (alias, column name, or the expression's text). */
int sql_query_nresult(const struct sql_query *q);
const char *sql_query_result_name(const struct sql_query *q, int i);

/* Feed one input row. Returns 1 while more rows are useful, 0 when the query
 * needs no more (LIMIT reached on a streaming query), -1 on error (err). */
int sql_query_add(struct sql_query *q, const struct sql_value *row, struct sql_error *err);

/* Produce the result rows in order: emit(arg, values, n) for each; emit
 * returns 0 to go on or -1 to stop. Returns 0, or -1 (err, or emit stopped).
 * For streaming queries (no aggregate, DISTINCT or ORDER BY), rows are
 * emitted from sql_query_add already, through the same callback: set it with
 * sql_query_set_output before adding rows. */
typedef int (*sql_emit_fn)(void *arg, const struct sql_value *values, int n);
void sql_query_set_output(struct sql_query *q, sql_emit_fn emit, void *arg);
int sql_query_finish(struct sql_query *q, struct sql_error *err);

/* Bounds implied by the WHERE clause on the source's event-time column: a
 * row whose event time is outside [*lo, *hi] (inclusive, ms) cannot match.
 * Returns 1 when the WHERE bounds it, else 0 (bounds INT64_MIN..INT64_MAX).
 * Only ANDed comparisons and BETWEENs with constants count; OR, NOT and
 * everything else bound nothing, so the bounds are always safe to prune with. */
int sql_query_time_bounds(const struct sql_query *q, int64_t *lo, int64_t *hi);

/* ---- continuous queries (sql_stream.c, sql_script.c) --------------------------
 *
 * The processor's engine. A continuous query is compiled from a script (see
 * below) and fed rows incrementally: sql_query_push adds a row to the open
 * windows it belongs to, sql_query_advance closes every window the
 * watermark has passed (emitting each group's result row once through the
 * sql_query_set_output callback) and frees its state. Window semantics are
 * the batch engine's: the same rows give the same result rows.
 *
 * A TUMBLING/HOPPING window [start, start + size) closes when the watermark
 * reaches its end; a SESSION closes when the watermark passes its last
 * event plus the gap. A row whose window already closed is late (for a
 * SESSION: a row behind the watermark) and is reported, not added.
 *
 * Replay support: each row is pushed with its source position (offset) and
 * an opaque aux value; sql_query_replay_point gives the position of the
 * earliest row still held by an open window, so the caller can rebuild the
 * exact state by replaying from there. */
enum { SQL_WINDOW_NONE, SQL_WINDOW_TUMBLING, SQL_WINDOW_HOPPING, SQL_WINDOW_SESSION };

struct sql_push {
    int accepted; /* windows the row was added to (1 for a filter query that emitted it) */
    int late;     /* windows the row missed because they had closed */
    int64_t late_start, late_end; /* the first window missed */
    int limited;  /* a window refused the row: the open-group limit */
    int no_time;  /* the row has no event time */
};

/* Add one row. Returns 0 (see r), or -1 with err. A run-time error in the
 * row's evaluation (WHERE, GROUP BY, an aggregate's argument, a filter
 * query's projection) changes no state: the caller may skip the row and go on. */
int sql_query_push(struct sql_query *q, const struct sql_value *row, int64_t offset, int64_t aux, struct sql_push *r,
                   struct sql_error *err);
/* Close the windows the watermark has passed; emit their rows when emit is
 * set (replay rebuilds state without emitting). Returns 0 or -1 (err, or the
 * output callback failed). */
int sql_query_advance(struct sql_query *q, int64_t watermark, int emit, struct sql_error *err);
/* A group's result row failed to evaluate (a CAST in the SELECT list or
 * HAVING, say) while a window closed or changes were flushed: fn gets the
 * group's key values (the GROUP BY values, then the window) and the error;
 * it returns 0 to skip that row and go on, -1 to stop (the call returns -1
 * with err). Without a handler every such error stops the call. */
typedef int (*sql_group_error_fn)(void *arg, const struct sql_value *keys, int nkeys, const struct sql_error *err);
void sql_query_set_group_error(struct sql_query *q, sql_group_error_fn fn, void *arg);
/* EMIT CHANGES: emit the current row of every group updated since the last
 * call (or only forget that they were, with emit = 0). */
int sql_query_flush_changes(struct sql_query *q, int emit, struct sql_error *err);
/* The position of the earliest row an open window holds: 1 and *offset,
 * *aux; 0 when no window is open. */
int sql_query_replay_point(const struct sql_query *q, int64_t *offset, int64_t *aux);
/* The window kind (SQL_WINDOW_*), and its size, advance (hopping) and grace in ms. */
int sql_query_window(const struct sql_query *q, int64_t *size, int64_t *advance, int64_t *grace);
int sql_query_emits_changes(const struct sql_query *q);
/* At most max_groups open groups (sessions, for SESSION windows); a row that
 * would open one more is refused (r->limited). 0: no limit. */
void sql_query_set_group_limit(struct sql_query *q, int64_t max_groups);
int64_t sql_query_open_groups(const struct sql_query *q);
int sql_query_open_windows(const struct sql_query *q);
int64_t sql_query_closed(const struct sql_query *q); /* the last watermark advanced to */
/* During the output callback: the window of the row being emitted. */
void sql_query_current_window(const struct sql_query *q, int64_t *start, int64_t *end);
/* Repartitioning. A continuous aggregate whose GROUP BY lacks the source's
 * key (e.g. fleet-wide totals per minute) has groups that span partitions:
 * sql_query_repartitions says so, and the processor routes each event by
 * sql_query_partition_key to one partition of an internal topic, where the
 * query runs. The key is the text of the GROUP BY values other than the
 * window, separated by 0x1f ("" when there are none); 0 when WHERE rejects
 * the row (it need not travel), 1 with the key, -1 with err. */
int sql_query_repartitions(const struct sql_query *q);
int sql_query_partition_key(struct sql_query *q, const struct sql_value *row, char *buf, size_t len, size_t *outlen,
                            struct sql_error *err);

/* A script: the processor's query file. Statements, each ending with ';':
 *   CREATE STREAM name (col TYPE, ...) WITH (topic='t', key='col', timestamp='col');
 *       declares a source topic, its columns and its key and event time;
 *   CREATE STREAM name [WITH (topic='t', key='col')] AS SELECT ... [EMIT FINAL|CHANGES];
 *       a continuous query whose results go to topic t (default: name).
 * The sources wildrydes and wildrydes_summary (topics wildrydes and
 * wildrydes-summary) are built in. Comments (-- ...) are allowed. */
struct sql_script;
struct sql_stream_def {
    const char *name;   /* as declared */
    const char *topic;  /* results topic */
    const char *key;    /* result column used as the message key, or NULL */
    const char *source; /* FROM */
    const char *source_topic;
    int emit_final;     /* EMIT FINAL (the default for windowed aggregates) */
    int repartition;    /* groups span partitions: run on a repartitioned copy of the source */
};
/* A Kinesis Data Analytics SQL application is accepted too, detected by its
 * statements (CREATE OR REPLACE STREAM/PUMP; see docs/kda.md): each pump is
 * a continuous query named after the pump, writing to its target stream's
 * topic. The input SOURCE_SQL_STREAM_001 reads topic wildrydes; an
 * in-application stream goes to the topic of its own name; map re-points
 * either ("NAME=TOPIC"; only for applications). */
struct sql_script_opts {
    struct sql_reference *const *refs; /* the tables queries may JOIN (borrowed) */
    int nrefs;
    const char *const *map;
    int nmap;
    int64_t grace_ms; /* an application's windows (GROUP BY FLOOR/STEP) wait this long for late rows */
};
struct sql_script *sql_script_parse_opts(const char *text, const struct sql_script_opts *o, struct sql_error *err);
int sql_script_is_kda(const struct sql_script *s);
/* Parse and check every statement (each query is compiled once). NULL with
 * err (line:column in the whole text) on the first error. The script keeps a
 * copy of text. */
struct sql_script *sql_script_parse(const char *text, struct sql_error *err);
void sql_script_free(struct sql_script *s);
const char *sql_script_text(const struct sql_script *s);
int sql_script_nstreams(const struct sql_script *s);
const struct sql_stream_def *sql_script_stream(const struct sql_script *s, int i);
/* A fresh instance of stream i's query (its own state; e.g. one per
 * partition). NULL with err only when out of memory. */
struct sql_query *sql_script_instance(const struct sql_script *s, int i, struct sql_error *err);
/* The schema of source topic (declared or built in), or NULL. */
const struct sql_schema *sql_script_source_schema(const struct sql_script *s, const char *topic);

/* ---- reference data (sql_reftable.c) ----------------------------------------
 * A table loaded from a CSV object (a header line, then records) or JSON (an
 * array of objects, or one object per line), for queries to JOIN on a key
 * (Kinesis Analytics' reference data; ksqlDB's stream-table join). Types are
 * inferred from every value (BOOLEAN, INT, DOUBLE, TIMESTAMP, else VARCHAR).
 * The table owns its data; NULL with err on a malformed object. */
struct sql_reftable;
struct sql_reftable *sql_reftable_load(const char *name, const char *data, size_t len, int csv, char *err,
                                       size_t errlen);
void sql_reftable_free(struct sql_reftable *t);
const struct sql_schema *sql_reftable_schema(const struct sql_reftable *t);
int64_t sql_reftable_rows(const struct sql_reftable *t);
/* The first row whose column col equals key (its ncols values), or NULL. */
const struct sql_value *sql_reftable_find(struct sql_reftable *t, int col, const struct sql_value *key);
/* A reference table as queries see it: SELECT ... FROM s [INNER | LEFT] JOIN
 * name [AS] r ON r.col = <expression of s>. The caller owns it and the table,
 * and may swap table for one with the same columns and types between rows
 * (a reload). A query fills its reference columns' slots of the rows it is
 * given (the caller fills the source's; the others read as NULL). */
struct sql_reference {
    const char *name;
    struct sql_reftable *table;
};

/* ---- rows from JSON records (sql_json.c) ---------------------------------- */

/* Holds what row values borrow from (a parsed document, a decoded event)
 * between sql_row_from_json and sql_row_release. */
struct sql_row_source {
    void *doc;          /* jansson document, or NULL */
    _Alignas(max_align_t) char event[1024]; /* a decoded wildrydes event (struct rf_event) */
    char text[1024];    /* numbers read into VARCHAR columns, as text */
    size_t text_used;
    int mismatches;     /* values present but not of their column's type: read as NULL */
};

/* Fill row[i] with the value of column cols[i] (i < ncols) from one JSON
 * object (use sql_expr_column / sql_query_column for the names). Types follow the schema (a timestamp column parses the workshop's
 * time text; a VARCHAR column takes a number or boolean as its JSON text; a
 * missing field is NULL, and so is a value that does not fit its column's
 * type, counted in src->mismatches so that callers can warn); with an
 * open schema they follow the JSON (string, integer, real, boolean; objects
 * and arrays are NULL). Returns 0, or -1 if the record is not a JSON object
 * (or, for the wildrydes schema, not a valid workshop record), with the
 * reason in reason. Always call sql_row_release afterwards. */
int sql_row_from_json(const char *const *cols, int ncols, const struct sql_schema *schema, const char *json,
                      size_t len, struct sql_value *row, struct sql_row_source *src, char *reason, size_t reasonlen);
/* ---- schemas that are not built in (sql_schema.c) ---------------------------
 * An archive describes itself with a schema file (JSON):
 *   {"format": "...", "time_column": "StatusTime",
 *    "columns": [{"name": "Name", "type": "VARCHAR"}, ...]}
 * (types: BOOLEAN, INT, DOUBLE, VARCHAR, TIMESTAMP). One without it gets a
 * schema inferred from sample records, as DuckDB's read_json_auto does.
 * Such schemas are closed (a name not in them is an error) and owned by the
 * caller: free with sql_schema_free. */
#define SQL_SCHEMA_FILE "_rydeflow_schema.json"
/* Write s as a schema file into buf: its length, or -1 if it does not fit. */
int sql_schema_to_json(const struct sql_schema *s, const char *format, char *buf, size_t len);
/* Read a schema file: the schema (named name), or NULL with err. */
struct sql_schema *sql_schema_from_json(const char *name, const char *text, size_t len, char *err, size_t errlen);
void sql_schema_free(struct sql_schema *s);
/* Inference: feed sample records, then take the schema. Per field, the
 * narrowest type all its non-null values fit: BOOLEAN, INT, DOUBLE (ints and
 * reals), TIMESTAMP (every string a timestamp), else VARCHAR. At most 256
 * fields (the first seen). sql_infer_line returns -1 for a line that is not
 * a JSON object (it is skipped). */
struct sql_infer;
struct sql_infer *sql_infer_new(void);
int sql_infer_line(struct sql_infer *in, const char *json, size_t len);
long long sql_infer_records(const struct sql_infer *in);
struct sql_schema *sql_infer_schema(const struct sql_infer *in, const char *name);
void sql_infer_free(struct sql_infer *in);

/* The column names of an expression, as an array for sql_row_from_json. */
const char *const *sql_expr_columns(const struct sql_expr *e);
void sql_row_release(struct sql_row_source *src);

#endif
