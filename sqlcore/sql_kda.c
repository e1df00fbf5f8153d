/* sql_kda.c - Kinesis Data Analytics SQL applications, as their users wrote
 * them: in-application streams (CREATE OR REPLACE STREAM "S" (col TYPE, ...))
 * and pumps (CREATE OR REPLACE PUMP "P" AS INSERT INTO "S" SELECT STREAM ...).
 *
 * Each pump becomes one of the script's continuous queries, named after the
 * pump: its SELECT is compiled by the same engine as rydeflow's dialect, its
 * result columns are the target stream's, each converted to its declared
 * type (sql_convert.c). An in-application stream is a Kafka topic (its own
 * name, or --map), so pumps chain through topics, exactly once like any
 * other results. The input SOURCE_SQL_STREAM_001 reads topic wildrydes.
 * Unquoted names are upper-cased, as in Kinesis Analytics. What the engine
 * does not run is refused here with line:column (docs/kda.md). */
#include "sql_script_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KDA_INPUT "SOURCE_SQL_STREAM_001"

int sql_kda_detect(const char *text)
{
    struct sql_lexer lx;
    struct sql_error err;
    sql_lex_init(&lx, text);
    struct token prev = {0};
    for (;;) {
        struct token t = sql_lex_next(&lx, &err);
        if (t.type == T_EOF || t.type == T_ERROR)
            return 0;
        if (sql_tok_is(&prev, "CREATE") && (sql_tok_is(&t, "OR") || sql_tok_is(&t, "PUMP")))
            return 1;
        prev = t;
    }
}

/* The topic of stream n: --map, else its own name. */
static const char *topic_of(const struct sql_script *s, const char *n)
{
    for (int i = 0; i < s->nmap; i++)
        if (strcasecmp(s->map_name[i], n) == 0)
            return s->map_topic[i];
    return n;
}

static int mapped(const struct sql_script *s, const char *n)
{
    return topic_of(s, n) != n;
}

static struct source *new_source(struct sql_script *s)
{
    return s->nsources < MAX_SOURCES ? &s->sources[s->nsources++] : NULL;
}

const struct source *sql_kda_input(struct sql_script *s, const char *n)
{
    if (!n || (strcasecmp(n, KDA_INPUT) != 0 && !mapped(s, n)))
        return NULL;
    const char *topic = strcasecmp(n, KDA_INPUT) == 0 && !mapped(s, n) ? "wildrydes" : topic_of(s, n);
    struct source *src = new_source(s);
    if (!src)
        return NULL;
    src->name = sql_arena_strndup(&s->arena, n, strlen(n));
    /* the application's input is the workshop's records wherever it is read
     * from (declare its columns to read others); another stream --map names
     * is as its topic says: the workshop's, or schema-less JSON */
    src->schema = strcasecmp(n, KDA_INPUT) == 0 ? sql_schema_wildrydes() : sql_schema_for_topic(topic);
    src->topic = topic;
    return src->name ? src : NULL;
}

/* What the engine does not run, refused before compiling a pump's SELECT
 * (with its position), so that the message says what is missing rather
 * than what token was unexpected. */
static const struct {
    const char *word;
    const char *why;
} refused[] = {
    {"RANDOM_CUT_FOREST", "RANDOM_CUT_FOREST is not supported"},
    {"RANDOM_CUT_FOREST_WITH_EXPLANATION", "RANDOM_CUT_FOREST_WITH_EXPLANATION is not supported"},
    {"HOTSPOTS", "HOTSPOTS is not supported"},
    {"UNION", "UNION ALL of streams is not supported (write each with its own pump)"},
};

static int refuse_unsupported(struct parse *P, struct sql_lexer lx)
{
    struct sql_error err;
    for (;;) {
        struct token t = sql_lex_next(&lx, &err);
        if (t.type == T_EOF || t.type == T_SEMI || t.type == T_ERROR)
            return 0;
        for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
            if (sql_tok_is(&t, refused[i].word)) {
                sql_error_set(P->err, t.line, t.col, "%s", refused[i].why);
                P->failed = 1;
                return -1;
            }
    }
}

/* CREATE OR REPLACE STREAM "S" (col TYPE, ...): an in-application stream. */
static int declare_stream(struct parse *P, const char *sname, struct token at)
{
    struct sql_script *s = P->s;
    if (sp_source_named(s, sname)) {
        sql_error_set(P->err, at.line, at.col, "stream \"%s\" is declared twice", sname);
        return P->failed = 1, -1;
    }
    if (sp_punct(P, T_LPAREN, "'(' and the stream's columns") < 0)
        return -1;
    const char *names[MAX_COLUMNS];
    struct sql_coltype types[MAX_COLUMNS];
    int n = 0;
    do {
        if (n == MAX_COLUMNS)
            return sp_fail(P, "at most 256 columns");
        struct token cat = P->tok;
        if (!(names[n] = sp_name(P, "a column name", 1)))
            return -1;
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], names[n]) == 0) {
                sql_error_set(P->err, cat.line, cat.col, "column \"%s\" is declared twice", names[n]);
                return P->failed = 1, -1;
            }
        if (P->failed || sql_coltype_parse(&P->lx, &P->tok, &types[n], P->err) < 0)
            return P->failed = 1, -1;
        if (types[n].decl == D_DECIMAL && types[n].scale == 0)
            types[n].type = SQL_INT; /* DECIMAL(p) holds whole numbers */
        n++;
    } while (P->tok.type == T_COMMA && (sp_next(P), 1));
    if (sp_punct(P, T_RPAREN, "')' after the columns") < 0)
        return -1;
    struct source *src = new_source(s);
    struct sql_column *cols = sql_arena_alloc(&s->arena, sizeof *cols * (size_t)n);
    const char **cnames = sql_arena_alloc(&s->arena, sizeof *cnames * (size_t)n);
    struct sql_coltype *ctypes = sql_arena_alloc(&s->arena, sizeof *ctypes * (size_t)n);
    if (!src || !cols || !cnames || !ctypes) {
        sql_error_set(P->err, at.line, at.col, src ? "out of memory" : "too many streams");
        return P->failed = 1, -1;
    }
    for (int i = 0; i < n; i++) {
        cols[i] = (struct sql_column){.name = names[i], .type = types[i].type};
        cnames[i] = names[i];
        ctypes[i] = types[i];
    }
    src->name = sname;
    src->own = (struct sql_schema){.name = sname, .cols = cols, .ncols = n};
    src->schema = &src->own;
    src->topic = topic_of(s, sname);
    if (strcasecmp(sname, KDA_INPUT) == 0 && !mapped(s, sname))
        src->topic = "wildrydes"; /* the input's columns, declared: the same default topic */
    /* the declared types, for pumps inserting into it: kept beside the schema */
    struct sql_target *t = sql_arena_alloc(&s->arena, sizeof *t);
    if (!t) {
        sql_error_set(P->err, at.line, at.col, "out of memory");
        return P->failed = 1, -1;
    }
    *t = (struct sql_target){.name = sname, .cols = cnames, .types = ctypes, .ncols = n};
    src->own.key_col = NULL;
    src->target = t;
    return 0;
}

/* INSERT INTO "S" [(col, ...)]: where the pump's SELECT goes. */
static const struct sql_target *insert_target(struct parse *P)
{
    struct sql_script *s = P->s;
    struct token at = P->tok;
    const char *tname = sp_name(P, "the stream to insert into", 1);
    if (!tname)
        return NULL;
    const struct source *src = sp_source_named(s, tname);
    if (!src || !src->target) {
        sql_error_set(P->err, at.line, at.col,
                      "\"%s\" is not an in-application stream: declare it first with CREATE OR REPLACE STREAM", tname);
        P->failed = 1;
        return NULL;
    }
    const struct sql_target *decl = src->target;
    struct sql_target *t = sql_arena_alloc(&s->arena, sizeof *t);
    int *from = sql_arena_alloc(&s->arena, sizeof *from * (size_t)decl->ncols);
    if (!t || !from) {
        sql_error_set(P->err, at.line, at.col, "out of memory");
        P->failed = 1;
        return NULL;
    }
    *t = *decl;
    t->from = from;
    t->grace_ms = s->grace_ms;
    t->line = at.line;
    t->col = at.col;
    if (P->tok.type != T_LPAREN) {
        for (int c = 0; c < decl->ncols; c++)
            from[c] = c;
        t->nvalues = decl->ncols;
        return t;
    }
    for (int c = 0; c < decl->ncols; c++)
        from[c] = -1;
    sp_next(P);
    do {
        struct token cat = P->tok;
        const char *cname = sp_name(P, "a column of the stream", 1);
        if (!cname)
            return NULL;
        int c = 0;
        while (c < decl->ncols && strcmp(decl->cols[c], cname) != 0)
            c++;
        if (c == decl->ncols || from[c] >= 0) {
            sql_error_set(P->err, cat.line, cat.col, c == decl->ncols ? "\"%s\" has no column \"%s\""
                                                                      : "\"%s\": column \"%s\" is named twice",
                          tname, cname);
            P->failed = 1;
            return NULL;
        }
        from[c] = t->nvalues++;
    } while (P->tok.type == T_COMMA && (sp_next(P), 1));
    if (sp_punct(P, T_RPAREN, "')' after the columns") < 0)
        return NULL;
    return t;
}

/* CREATE OR REPLACE PUMP "P" AS INSERT INTO "S" SELECT STREAM ... */
static int define_pump(struct parse *P, const char *pname, struct token at)
{
    sp_keyword(P, "STOPPED");
    if (!sp_keyword(P, "AS"))
        return sp_fail(P, "AS INSERT INTO after the pump's name");
    if (!sp_keyword(P, "INSERT"))
        return sp_fail(P, "INSERT INTO");
    if (!sp_keyword(P, "INTO"))
        return sp_fail(P, "INTO after INSERT");
    const struct sql_target *t = insert_target(P);
    if (!t)
        return -1;
    if (!(P->tok.type == T_IDENT && sql_tok_is(&P->tok, "SELECT")))
        return sp_fail(P, "SELECT STREAM ... after INSERT INTO");
    /* the query compiler starts at SELECT: put the lexer back before it */
    struct sql_lexer lx = {.text = P->lx.text, .p = P->tok.start, .line = P->tok.line,
                           .line_start = P->tok.start - (P->tok.col - 1)};
    P->lx = lx;
    if (refuse_unsupported(P, lx) < 0)
        return -1;
    return sp_define_stream(P, pname, at, topic_of(P->s, t->name), NULL, (struct token){0}, t);
}

static int statement(struct parse *P)
{
    if (!sp_keyword(P, "CREATE"))
        return sp_fail(P, "CREATE OR REPLACE STREAM or PUMP");
    if (sp_keyword(P, "OR") && !sp_keyword(P, "REPLACE"))
        return sp_fail(P, "REPLACE after CREATE OR");
    struct token what = P->tok;
    int stream = sp_keyword(P, "STREAM"), pump = !stream && sp_keyword(P, "PUMP");
    if (!stream && !pump) {
        if (what.type == T_IDENT && (sql_tok_is(&what, "VIEW") || sql_tok_is(&what, "TABLE") ||
                                     sql_tok_is(&what, "FUNCTION") || sql_tok_is(&what, "JAR"))) {
            sql_error_set(P->err, what.line, what.col, "CREATE %.*s is not supported (only STREAM and PUMP)",
                          (int)what.len, what.start);
            return P->failed = 1, -1;
        }
        return sp_fail(P, "STREAM or PUMP after CREATE OR REPLACE");
    }
    struct token at = P->tok;
    const char *n = sp_name(P, stream ? "a stream name" : "a pump name", 1);
    if (!n)
        return -1;
    if (pump)
        return define_pump(P, n, at);
    if (declare_stream(P, n, at) < 0)
        return -1;
    if (P->tok.type == T_SEMI)
        sp_next(P);
    else if (P->tok.type != T_EOF)
        return sp_fail(P, "';' after the stream's columns");
    return 0;
}

int sql_kda_parse(struct parse *P, const struct sql_script_opts *o)
{
    struct sql_script *s = P->s;
    s->grace_ms = o ? o->grace_ms : 0;
    for (int i = 0; o && i < o->nmap; i++) {
        const char *eq = strchr(o->map[i], '=');
        if (!eq || eq == o->map[i] || !eq[1] || s->nmap == MAX_SOURCES) {
            sql_error_set(P->err, 1, 1, "--map %s: expected NAME=TOPIC (at most %d)", o->map[i], MAX_SOURCES);
            return P->failed = 1, -1;
        }
        s->map_name[s->nmap] = sql_arena_strndup(&s->arena, o->map[i], (size_t)(eq - o->map[i]));
        s->map_topic[s->nmap] = sql_arena_strndup(&s->arena, eq + 1, strlen(eq + 1));
        if (!s->map_name[s->nmap] || !s->map_topic[s->nmap]) {
            sql_error_set(P->err, 1, 1, "out of memory");
            return P->failed = 1, -1;
        }
        s->nmap++;
    }
    while (!P->failed && P->tok.type != T_EOF)
        if (statement(P) < 0)
            return -1;
    /* a --map that names nothing is a typing mistake, not a no-op */
    for (int i = 0; i < s->nmap && !P->failed; i++) {
        int used = strcasecmp(s->map_name[i], KDA_INPUT) == 0;
        for (int k = 0; k < s->nsources && !used; k++)
            used = s->sources[k].name && strcasecmp(s->sources[k].name, s->map_name[i]) == 0;
        if (!used) {
            sql_error_set(P->err, 1, 1, "--map %s=%s: the application has no stream named \"%s\"", s->map_name[i],
                          s->map_topic[i], s->map_name[i]);
            return P->failed = 1, -1;
        }
    }
    return P->failed ? -1 : 0;
}
