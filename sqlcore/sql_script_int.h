/* sql_script_int.h - a script's state and the statement parser's helpers,
 * shared by the rydeflow dialect (sql_script.c) and Kinesis Analytics
 * applications (sql_kda.c). Not for use outside sqlcore/. */
#ifndef SQL_SCRIPT_INT_H
#define SQL_SCRIPT_INT_H

#include "sql_query_int.h"

#define MAX_SOURCES 64
#define MAX_STREAMS 64
#define MAX_COLUMNS 256

struct source {
    const char *name;                /* the name queries read it by; NULL: the schema's */
    const struct sql_schema *schema; /* own, or a built-in one */
    struct sql_schema own;
    const char *topic;
    const struct sql_target *target; /* an in-application stream: its declared columns and types */
};

struct stream {
    struct sql_stream_def def;
    struct sql_lexer at;              /* the lexer just before SELECT */
    const struct sql_target *target;  /* a pump's INSERT INTO, or NULL */
};

struct sql_script {
    struct sql_arena arena;
    char *text;
    struct source sources[MAX_SOURCES];
    int nsources;
    struct stream streams[MAX_STREAMS];
    int nstreams;
    int kda; /* a Kinesis Analytics application */
    /* --map NAME=TOPIC (Kinesis Analytics): a stream's topic */
    const char *map_name[MAX_SOURCES], *map_topic[MAX_SOURCES];
    int nmap;
    int64_t grace_ms; /* sql_script_opts */
    struct sql_reference **refs; /* the tables queries may JOIN (the pointers are the caller's) */
    int nrefs;
};

/* The statement parser: one token of lookahead in tok. After an error,
 * failed is set and err says where and why; every helper then does nothing. */
struct parse {
    struct sql_script *s;
    struct sql_lexer lx;
    struct token tok;
    struct sql_error *err;
    int failed;
};
void sp_next(struct parse *P);
/* "expected <what>, found ..." at the current token; returns -1. */
int sp_fail(struct parse *P, const char *expected);
/* Consume keyword kw if it is next: 1, else 0. */
int sp_keyword(struct parse *P, const char *kw);
/* Consume token t, or fail with what: 0 or -1. */
int sp_punct(struct parse *P, enum tok t, const char *what);
/* A name: identifier, "quoted" or 'string', copied into the script's arena;
 * fold: an unquoted identifier is upper-cased (Kinesis Analytics, as SQL
 * says). NULL after failing with what. */
const char *sp_name(struct parse *P, const char *what, int fold);
/* The source queries read by name n (declared, then built in), or NULL. */
const struct source *sp_source_named(const struct sql_script *s, const char *n);
/* Compile the continuous query at P's position (just before SELECT) as
 * stream sname (results to topic, keyed by key or the source's key), into
 * target when it is a pump's INSERT; go on after its ';'. 0 or -1. */
int sp_define_stream(struct parse *P, const char *sname, struct token at, const char *topic, const char *key,
                     struct token key_at, const struct sql_target *target);

/* Kinesis Analytics applications (sql_kda.c). */
/* Does text hold one (a CREATE OR REPLACE ..., or a CREATE PUMP)? */
int sql_kda_detect(const char *text);
/* Parse every statement of the application into s. 0 or -1 with P->err. */
int sql_kda_parse(struct parse *P, const struct sql_script_opts *o);
/* The application's input stream n (SOURCE_SQL_STREAM_001, or one --map
 * names) as a source, added on first use; NULL if n is neither. */
const struct source *sql_kda_input(struct sql_script *s, const char *n);

#endif
