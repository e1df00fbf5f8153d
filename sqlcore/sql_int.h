/* sql_int.h - internals of the SQL module shared by its files: the arena,
 * tokens, the expression tree. Not for use outside sql/. */
#ifndef SQL_INT_H
#define SQL_INT_H

#include "sql.h"

#include <stdarg.h>

/* ---- arena: every node of a statement lives here; one free releases all -- */
struct sql_arena {
    struct arena_block *head;
};
void *sql_arena_alloc(struct sql_arena *a, size_t n); /* zeroed; NULL if out of memory */
char *sql_arena_strndup(struct sql_arena *a, const char *s, size_t n);
void sql_arena_free(struct sql_arena *a);
void sql_arena_adopt(struct sql_arena *dst, struct sql_arena *src); /* move src's blocks into dst */

/* ---- tokens --------------------------------------------------------------- */
enum tok {
    T_EOF, T_ERROR, T_IDENT, T_QIDENT /* "quoted" */, T_INT, T_FLOAT, T_STRING,
    T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_SEMI, T_STAR, T_PLUS, T_MINUS, T_SLASH, T_PERCENT, T_CONCAT,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
};

struct token {
    enum tok type;
    const char *start; /* into the query text */
    size_t len;
    int line, col;
};

struct sql_lexer {
    const char *text, *p;
    int line;
    const char *line_start;
};

void sql_lex_init(struct sql_lexer *lx, const char *text);
/* Next token. A T_ERROR token's start/len point at the bad text; err says why. */
struct token sql_lex_next(struct sql_lexer *lx, struct sql_error *err);
/* Case-insensitive keyword test on an identifier token. */
int sql_tok_is(const struct token *t, const char *keyword);

void sql_error_set(struct sql_error *err, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct sql_scratch;
/* ---- declared column types (Kinesis Analytics streams, sql_convert.c) ------ */
/* The type of a column of an in-application stream, as CREATE STREAM declares
 * it: the engine's type, plus what a pump's INSERT must fit into. */
enum sql_decl {
    D_ANY, D_VARCHAR, D_CHAR, D_TINYINT, D_SMALLINT, D_INTEGER, D_BIGINT, D_REAL, D_DOUBLE, D_DECIMAL, D_BOOLEAN,
    D_TIMESTAMP,
};
struct sql_coltype {
    enum sql_decl decl;
    enum sql_type type; /* what values of the column are in the engine */
    int len;            /* VARCHAR(n), CHAR(n): characters; 0 = unbounded */
    int prec, scale;    /* DECIMAL(p, s) */
};
/* Parse a declared type at the lexer's token t (VARCHAR(16), DECIMAL(8,2),
 * DOUBLE PRECISION, ...): 0 and *ct, the lexer past it and *t the next
 * token; -1 with err. */
int sql_coltype_parse(struct sql_lexer *lx, struct token *t, struct sql_coltype *ct, struct sql_error *err);
/* "VARCHAR(16)", "DECIMAL(8,2)", ... into buf. */
const char *sql_coltype_name(const struct sql_coltype *ct, char *buf, size_t len);
/* Can a value of static type t be written into ct? 1 yes (maybe failing at
 * run time, e.g. an overflow), 0 never. */
int sql_coltype_accepts(const struct sql_coltype *ct, enum sql_type t);
/* Convert v into ct (rounding, truncation, range; see docs/kda.md): 0 and
 * *out (strings in scratch), or -1 with err at (line, col) when it does not
 * fit (an overflow, text that is not a number). */
int sql_coltype_convert(const struct sql_coltype *ct, const struct sql_value *v, struct sql_scratch *scratch,
                        struct sql_value *out, int line, int col, struct sql_error *err);

/* ---- expression tree ------------------------------------------------------ */
enum node_kind {
    N_LITERAL, N_COLUMN, N_UNARY, N_BINARY, N_AND, N_OR, N_NOT, N_IS_NULL, N_IN, N_BETWEEN, N_LIKE, N_CASE,
    N_CAST, N_CALL,
    N_REF, /* a value computed elsewhere (a group key, an aggregate): row[slot], already typed */
    N_CONVERT, /* args[0] converted to a declared column type (a KDA pump inserting into a stream) */
};

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_CONCAT, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct node {
    enum node_kind kind;
    int line, col;        /* where it starts, for errors */
    enum sql_type type;   /* static type after binding (SQL_NULL = unknown until run time) */
    int negated;          /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL */
    int icase;            /* N_LIKE: ILIKE (args: text, pattern[, escape]) */
    enum binop op;
    struct sql_value value; /* N_LITERAL */
    const char *name;     /* N_COLUMN (as written), N_CALL (upper-cased) */
    const char *qualifier; /* N_COLUMN: the stream in stream.column, or NULL */
    int quoted;           /* N_COLUMN: "quoted" names match exactly */
    int rowtime;          /* N_COLUMN named ROWTIME: 1 as written alone (the row being made), 2 qualified (the input's) */
    int refcol;           /* N_COLUMN of the JOINed reference table: its column index + 1 (type set at compile) */
    const struct sql_coltype *convert; /* N_CONVERT: the declared type of the column written */
    struct wdef *over;     /* N_CALL of an aggregate: OVER (spec) inline, or named (resolved at compile) */
    const char *over_name; /* N_CALL: OVER name, until resolved */
    int slot;             /* N_COLUMN: index into the row */
    int func;             /* N_CALL: index into the function table */
    int unit_ms;          /* FLOOR(ts TO unit): the unit in ms; CAST: target type in value.type */
    struct node **args;   /* operands / arguments / IN list / CASE when,then pairs [+ else] */
    int nargs;
    int has_else;         /* N_CASE */
    struct node *subject; /* N_CASE with an operand: CASE x WHEN ... */
    int height;           /* longest path to a leaf: bounds recursion in bind and eval */
};

/* Parse one expression from the lexer. NULL with err set on a syntax error. */
struct node *sql_parse_expr(struct sql_lexer *lx, struct sql_arena *a, struct sql_error *err);

/* A sliding window (Kinesis Analytics, SQL:2008 OVER): PARTITION BY part,
 * over the rows of the last size ms (RANGE INTERVAL ... PRECEDING) or the
 * last size rows before the current one (ROWS n PRECEDING). */
struct wdef {
    const char *name; /* WINDOW name AS (...), or NULL inline */
    struct node **part;
    int npart;
    int rows;     /* ROWS n PRECEDING (else RANGE) */
    int64_t size; /* ms, or rows */
    int line, col;
};

/* A parsed SELECT statement. */
struct select_item {
    struct node *expr; /* NULL for * */
    const char *alias; /* AS name, or NULL */
    const char *text;  /* the expression as written, for the result column's name */
};
struct order_item {
    struct node *expr;
    int desc;
};
struct select_ast {
    int distinct;
    struct select_item *items;
    int nitems;
    int stream_kw;    /* SELECT STREAM (Kinesis Analytics): accepted, means nothing more */
    const char *from; /* source name, or NULL */
    const char *from_alias; /* FROM source [AS] alias, or NULL */
    const char *join, *join_alias; /* [INNER | LEFT [OUTER]] JOIN table [AS] alias ON on */
    struct node *join_on;
    int join_left, join_line, join_col;
    int from_line, from_col;
    struct node *where, *having;
    struct node **group;
    int ngroup;
    struct order_item *order;
    int norder;
    long long limit; /* -1: none */
    int limit_line, limit_col;
    /* WINDOW TUMBLING (SIZE s) | HOPPING (SIZE s, ADVANCE BY a) | SESSION (gap), [GRACE g] */
    enum { WIN_NONE, WIN_TUMBLING, WIN_HOPPING, WIN_SESSION } window;
    int64_t win_size, win_advance, win_grace; /* ms; a session's gap is win_size */
    int stagger; /* WINDOWED BY STAGGER (Kinesis Analytics): a SESSION of fixed length win_size from its first row */
    int win_line, win_col;
    struct wdef **wdefs; /* WINDOW name AS (...), ... */
    int nwdefs;
    enum { EMIT_NONE, EMIT_FINAL, EMIT_CHANGES } emit;
    int emit_line, emit_col;
};
/* Parse "SELECT ... [FROM x] [WINDOW ...] [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ...] [LIMIT n]
 * [EMIT FINAL|CHANGES] [;]" up to the end of the text; in_script: up to the
 * ';' or the end, leaving the ';' as the lexer's last token. */
struct select_ast *sql_parse_select(struct sql_lexer *lx, struct sql_arena *a, int in_script, struct sql_error *err);

/* Resolve names and check types. Columns get slots in cols (names recorded in
 * the order of first use). Returns 0 or -1 with err. */
struct slots {
    const char **names;
    int n, cap;
};
int sql_bind(struct node *n, const struct sql_schema *schema, struct slots *cols, struct sql_arena *a,
             struct sql_error *err);

/* Scratch space for string results during one evaluation: blocks that never
 * move (earlier results stay valid), reset before each row. */
struct sql_scratch {
    struct scratch_block *head;
};
char *sql_scratch_alloc(struct sql_scratch *s, size_t n); /* NULL if out of memory */
void sql_scratch_reset(struct sql_scratch *s); /* keeps one block for the next row */
void sql_scratch_free(struct sql_scratch *s);
int sql_eval(const struct node *n, const struct sql_value *row, struct sql_scratch *scratch, struct sql_value *out,
             struct sql_error *err);

/* Text by characters (sql_text.c). A byte that is not UTF-8 is one
 * character (decoded as U+FFFD, kept as it is in results). */
/* Decode the character at s[i] (i < n) into *cp; returns the next index. */
size_t sql_utf8_next(const char *s, size_t n, size_t i, uint32_t *cp);
size_t sql_utf8_put(char *out, uint32_t cp); /* encode: 1-4 bytes written */
size_t sql_utf8_chars(const char *s, size_t n);
/* Unicode simple case mapping (the C.UTF-8 locale's; ASCII without it). */
uint32_t sql_case_map(uint32_t cp, int upper);
/* s upper- or lower-cased into out (room for 2 * n + 4 bytes); returns its length. */
size_t sql_text_case(const char *s, size_t n, int upper, char *out);
/* SQL LIKE: '%' any run, '_' one character; esc (0: none) makes the next
 * pattern character literal; icase: ILIKE. 1 if s matches p. */
int sql_like(const char *s, size_t sn, const char *p, size_t pn, uint32_t esc, int icase);
/* SUBSTR(s, start[, count]) by characters, with DuckDB's rules for a start
 * of 0 or below and a negative count: the bytes s[*from, *from + *len). */
void sql_substr(const char *s, size_t n, int64_t start, int64_t count, int has_count, size_t *from, size_t *len);

/* Scalar functions (sql_func.c): type-check a call, and evaluate one whose
 * arguments are already evaluated. */
int sql_bind_call(struct node *n, struct sql_error *err);
int sql_call_eval(const struct node *n, const struct sql_value *args, struct sql_scratch *scratch,
                  struct sql_value *out, struct sql_error *err);

/* A double as CAST(d AS VARCHAR) writes it, as DuckDB does: the fewest
 * digits that read back the same, "1000000.0", "0.0001", "1.5e-05",
 * "1e+16", "inf", "nan". buf: at least 40 bytes. Returns the length. */
size_t sql_double_text(double d, char *buf);

/* Timestamps by Java-style patterns (sql_datefmt.c): format ts into out
 * (cap bytes): the length, or (size_t)-1 for a pattern letter with no
 * meaning or no room. Parse s by the pattern: 0 and *ts, or -1. */
size_t sql_datefmt_format(const char *fmt, size_t n, int64_t ts, char *out, size_t cap);
int sql_datefmt_parse(const char *fmt, size_t n, const char *s, size_t sn, int64_t *ts);

/* Value helpers. */
int sql_value_truthy(const struct sql_value *v); /* 1 TRUE, 0 FALSE, -1 NULL */
/* Compare two non-NULL values of comparable types: <0, 0, >0; -2 if incomparable. */
int sql_value_compare(const struct sql_value *a, const struct sql_value *b);
int sql_is_numeric(enum sql_type t);
/* Case-insensitive identifier compare (ASCII). */
int sql_ident_eq(const char *a, size_t alen, const char *b);

#endif
