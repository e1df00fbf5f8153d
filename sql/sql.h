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

/* ---- rows from JSON records (sql_json.c) ---------------------------------- */

/* Holds what row values borrow from (a parsed document, a decoded event)
 * between sql_row_from_json and sql_row_release. */
struct sql_row_source {
    void *doc;          /* jansson document, or NULL */
    _Alignas(max_align_t) char event[1024]; /* a decoded wildrydes event (struct rf_event) */
};

/* Fill row[i] with the value of column cols[i] (i < ncols) from one JSON
 * object (use sql_expr_column / sql_query_column for the names). Types follow the schema (a timestamp column parses the workshop's
 * time text; a missing field or a value of the wrong type is NULL); with an
 * open schema they follow the JSON (string, integer, real, boolean; objects
 * and arrays are NULL). Returns 0, or -1 if the record is not a JSON object
 * (or, for the wildrydes schema, not a valid workshop record), with the
 * reason in reason. Always call sql_row_release afterwards. */
int sql_row_from_json(const char *const *cols, int ncols, const struct sql_schema *schema, const char *json,
                      size_t len, struct sql_value *row, struct sql_row_source *src, char *reason, size_t reasonlen);
/* The column names of an expression, as an array for sql_row_from_json. */
const char *const *sql_expr_columns(const struct sql_expr *e);
void sql_row_release(struct sql_row_source *src);

#endif
