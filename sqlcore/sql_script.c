/* sql_script.c - the processor's query file: CREATE STREAM statements that
 * declare sources and continuous queries (see sql.h). Each query is
 * compiled once here to check it (errors carry line:column in the whole
 * file); sql_script_instance compiles it again from the saved position for
 * every partition that runs it, so instances share nothing. */
#include "sql_script_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sp_next(struct parse *P)
{
    if (!P->failed) {
        P->tok = sql_lex_next(&P->lx, P->err);
        P->failed = P->tok.type == T_ERROR;
    }
}

int sp_fail(struct parse *P, const char *expected)
{
    if (!P->failed) {
        const struct token *t = &P->tok;
        if (t->type == T_EOF)
            sql_error_set(P->err, t->line, t->col, "expected %s, found the end of input", expected);
        else
            sql_error_set(P->err, t->line, t->col, "expected %s, found '%.*s'", expected,
                          (int)(t->len > 40 ? 40 : t->len), t->start);
        P->failed = 1;
    }
    return -1;
}

int sp_keyword(struct parse *P, const char *kw)
{
    if (P->tok.type == T_IDENT && sql_tok_is(&P->tok, kw)) {
        sp_next(P);
        return 1;
    }
    return 0;
}

int sp_punct(struct parse *P, enum tok t, const char *what)
{
    if (P->tok.type != t)
        return sp_fail(P, what);
    sp_next(P);
    return 0;
}

const char *sp_name(struct parse *P, const char *what, int fold)
{
    const struct token *t = &P->tok;
    char *v = NULL;
    if (t->type == T_IDENT) {
        v = sql_arena_strndup(&P->s->arena, t->start, t->len);
        for (char *c = v; fold && c && *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 32);
    } else if (t->type == T_QIDENT || t->type == T_STRING) {
        v = sql_arena_strndup(&P->s->arena, t->start + 1, t->len - 2);
    }
    if (!v) {
        sp_fail(P, what);
        return NULL;
    }
    sp_next(P);
    return v;
}

static const struct {
    const char *name;
    enum sql_type type;
} type_names[] = {
    {"STRING", SQL_STRING}, {"VARCHAR", SQL_STRING}, {"TEXT", SQL_STRING},     {"INT", SQL_INT},
    {"INTEGER", SQL_INT},   {"BIGINT", SQL_INT},     {"DOUBLE", SQL_DOUBLE},   {"FLOAT", SQL_DOUBLE},
    {"REAL", SQL_DOUBLE},   {"BOOLEAN", SQL_BOOL},   {"BOOL", SQL_BOOL},       {"TIMESTAMP", SQL_TIMESTAMP},
};

static int column_defs(struct parse *P, struct sql_schema *schema)
{
    struct sql_column cols[MAX_COLUMNS];
    int n = 0;
    do {
        if (n == MAX_COLUMNS)
            return sp_fail(P, "at most 256 columns");
        struct token at = P->tok;
        if (!(cols[n].name = sp_name(P, "a column name", 0)))
            return -1;
        for (int i = 0; i < n; i++)
            if (strcasecmp(cols[i].name, cols[n].name) == 0) {
                sql_error_set(P->err, at.line, at.col, "column '%s' is declared twice", cols[n].name);
                return P->failed = 1, -1;
            }
        size_t k = 0;
        while (k < sizeof type_names / sizeof *type_names &&
               !(P->tok.type == T_IDENT && sql_tok_is(&P->tok, type_names[k].name)))
            k++;
        if (k == sizeof type_names / sizeof *type_names)
            return sp_fail(P, "a column type (STRING, INT, DOUBLE, BOOLEAN or TIMESTAMP)");
        cols[n++].type = type_names[k].type;
        sp_next(P);
    } while (P->tok.type == T_COMMA && (sp_next(P), 1));
    struct sql_column *c = sql_arena_alloc(&P->s->arena, sizeof *c * (size_t)n);
    if (!c)
        return sp_fail(P, "memory");
    memcpy(c, cols, sizeof *c * (size_t)n);
    schema->cols = c;
    schema->ncols = n;
    return sp_punct(P, T_RPAREN, "')' after the columns");
}

struct props {
    const char *topic, *key, *timestamp;
    struct token key_at, timestamp_at;
};

static int with_props(struct parse *P, struct props *p)
{
    if (sp_punct(P, T_LPAREN, "'(' after WITH") < 0)
        return -1;
    do {
        struct token at = P->tok;
        const char *k = sp_name(P, "a property (topic, key, timestamp, value_format)", 0);
        if (!k || sp_punct(P, T_EQ, "'=' after the property name") < 0)
            return -1;
        struct token vat = P->tok;
        const char *v = sp_name(P, "a value in quotes", 0);
        if (!v)
            return -1;
        if (strcasecmp(k, "topic") == 0 || strcasecmp(k, "kafka_topic") == 0)
            p->topic = v;
        else if (strcasecmp(k, "key") == 0) {
            p->key = v;
            p->key_at = vat;
        } else if (strcasecmp(k, "timestamp") == 0) {
            p->timestamp = v;
            p->timestamp_at = vat;
        } else if (strcasecmp(k, "value_format") == 0 || strcasecmp(k, "format") == 0) {
            if (strcasecmp(v, "json") != 0) {
                sql_error_set(P->err, vat.line, vat.col, "value_format '%s' is not supported (only JSON)", v);
                return P->failed = 1, -1;
            }
        } else {
            sql_error_set(P->err, at.line, at.col,
                          "unknown property '%s' (expected topic, key, timestamp or value_format)", k);
            return P->failed = 1, -1;
        }
    } while (P->tok.type == T_COMMA && (sp_next(P), 1));
    return sp_punct(P, T_RPAREN, "')' after the properties");
}

static const struct sql_column *find_column(const struct sql_schema *s, const char *col)
{
    for (int i = 0; i < s->ncols; i++)
        if (strcasecmp(s->cols[i].name, col) == 0)
            return &s->cols[i];
    return NULL;
}

static int declare_source(struct parse *P, const char *sname, struct token at, struct sql_schema *schema,
                          const struct props *p)
{
    struct sql_script *s = P->s;
    if (s->nsources == MAX_SOURCES) {
        sql_error_set(P->err, at.line, at.col, "too many sources (at most %d)", MAX_SOURCES);
        return P->failed = 1, -1;
    }
    schema->name = sname;
    if (p->key) {
        const struct sql_column *c = find_column(schema, p->key);
        if (!c) {
            sql_error_set(P->err, p->key_at.line, p->key_at.col, "key column '%s' is not among the columns", p->key);
            return P->failed = 1, -1;
        }
        schema->key_col = c->name;
    }
    if (p->timestamp) {
        const struct sql_column *c = find_column(schema, p->timestamp);
        if (!c || c->type != SQL_TIMESTAMP) {
            sql_error_set(P->err, p->timestamp_at.line, p->timestamp_at.col,
                          "timestamp column '%s' must be one of the columns, of type TIMESTAMP", p->timestamp);
            return P->failed = 1, -1;
        }
        schema->time_col = c->name;
    }
    struct source *src = &s->sources[s->nsources++];
    src->own = *schema;
    src->schema = &src->own;
    src->topic = p->topic ? p->topic : sname;
    return 0;
}

/* Sources by name: declared ones, then the built-in wildrydes and
 * wildrydes_summary (also by their topic names). */
const struct source *sp_source_named(const struct sql_script *s, const char *n)
{
    static _Thread_local struct source builtin[2];
    builtin[0] = (struct source){.schema = sql_schema_wildrydes(), .topic = "wildrydes"};
    builtin[1] = (struct source){.schema = sql_schema_summary(), .topic = "wildrydes-summary"};
    if (!n)
        return NULL;
    for (int i = s->nsources - 1; i >= 0; i--) { /* the latest declaration wins */
        const struct source *src = &s->sources[i];
        if (strcasecmp(src->name ? src->name : src->schema->name, n) == 0 ||
            (!src->name && src->schema == sql_schema_summary() && strcasecmp(n, "wildrydes_summary") == 0))
            return src;
    }
    if (strcasecmp(n, "wildrydes") == 0)
        return &builtin[0];
    if (strcasecmp(n, "wildrydes_summary") == 0 || strcasecmp(n, "wildrydes-summary") == 0)
        return &builtin[1];
    return NULL;
}

static struct sql_reference *ref_lookup(void *ctx, const char *n)
{
    const struct sql_script *s = ctx;
    for (int i = 0; i < s->nrefs; i++)
        if (strcasecmp(s->refs[i]->name, n) == 0)
            return s->refs[i];
    return NULL;
}

static const struct sql_schema *lookup(void *ctx, const char *n)
{
    struct sql_script *s = ctx;
    const struct source *src = sp_source_named(s, n);
    if (!src && s->kda)
        src = sql_kda_input(s, n); /* the application's input, mapped to a topic */
    return src ? src->schema : NULL;
}

int sp_define_stream(struct parse *P, const char *sname, struct token at, const char *topic, const char *key,
                     struct token key_at, const struct sql_target *target)
{
    struct sql_script *s = P->s;
    if (s->nstreams == MAX_STREAMS) {
        sql_error_set(P->err, at.line, at.col, "too many streams (at most %d)", MAX_STREAMS);
        return P->failed = 1, -1;
    }
    for (int i = 0; i < s->nstreams; i++)
        if (strcasecmp(s->streams[i].def.name, sname) == 0) {
            sql_error_set(P->err, at.line, at.col, "%s '%s' is defined twice", s->kda ? "pump" : "stream", sname);
            return P->failed = 1, -1;
        }
    struct stream *st = &s->streams[s->nstreams];
    st->at = P->lx;
    st->target = target;
    struct sql_lexer lx = P->lx;
    struct sql_query *q = sql_query_compile_into(&lx, lookup, ref_lookup, s, 1, target, P->err);
    if (!q)
        return P->failed = 1, -1;
    const struct source *src = sp_source_named(s, q->ast->from);
    struct sql_stream_def *d = &st->def;
    d->name = sname;
    d->topic = topic ? topic : sname;
    d->source = src->name ? src->name : src->schema->name;
    d->source_topic = src->topic;
    d->emit_final = q->aggregated && q->ast->emit != EMIT_CHANGES;
    d->repartition = q->repartition;
    int rc = 0;
    const char *want = key ? key : src->schema->key_col;
    for (int i = 0; want && i < q->nout && !d->key; i++)
        if (strcasecmp(q->out_names[i], want) == 0)
            d->key = sql_arena_strndup(&s->arena, q->out_names[i], strlen(q->out_names[i]));
    if (key && !d->key) {
        sql_error_set(P->err, key_at.line, key_at.col, "key '%s' is not a column of the stream's result", key);
        rc = -1;
    } else if (strcmp(d->topic, d->source_topic) == 0) {
        sql_error_set(P->err, at.line, at.col, "%s '%s' would write to its own source topic '%s'",
                      s->kda ? "pump" : "stream", sname, d->topic);
        rc = -1;
    }
    sql_query_free(q);
    if (rc < 0)
        return P->failed = 1, -1;
    s->nstreams++;
    /* go on after the statement: the query's parser stopped at its ';' */
    P->lx = lx;
    sp_next(P);
    return 0;
}

static int statement(struct parse *P)
{
    if (!sp_keyword(P, "CREATE"))
        return sp_fail(P, "CREATE STREAM");
    if (!sp_keyword(P, "STREAM"))
        return sp_fail(P, "STREAM after CREATE");
    struct token at = P->tok;
    const char *sname = sp_name(P, "a stream name", 0);
    if (!sname)
        return -1;
    struct sql_schema schema = {0};
    struct props p = {0};
    int has_cols = 0;
    if (P->tok.type == T_LPAREN) {
        sp_next(P);
        if (column_defs(P, &schema) < 0)
            return -1;
        has_cols = 1;
    }
    if (sp_keyword(P, "WITH") && with_props(P, &p) < 0)
        return -1;
    if (has_cols) {
        if (declare_source(P, sname, at, &schema, &p) < 0)
            return -1;
        if (P->tok.type == T_SEMI)
            sp_next(P);
        else if (P->tok.type != T_EOF)
            return sp_fail(P, "';' after the source declaration");
        return 0;
    }
    if (P->tok.type == T_SEMI || P->tok.type == T_EOF) { /* CREATE STREAM wildrydes WITH (topic='t'); */
        const struct source *builtin = sp_source_named(P->s, sname);
        if (!builtin || (builtin->schema != sql_schema_wildrydes() && builtin->schema != sql_schema_summary())) {
            sql_error_set(P->err, at.line, at.col,
                          "'%s' is not a built-in source: declare its columns, or add AS SELECT ...", sname);
            return P->failed = 1, -1;
        }
        if (P->s->nsources == MAX_SOURCES) {
            sql_error_set(P->err, at.line, at.col, "too many sources (at most %d)", MAX_SOURCES);
            return P->failed = 1, -1;
        }
        struct source *src = &P->s->sources[P->s->nsources++];
        src->schema = builtin->schema;
        src->topic = p.topic ? p.topic : builtin->topic;
        sp_next(P);
        return 0;
    }
    if (P->tok.type != T_IDENT || !sql_tok_is(&P->tok, "AS"))
        return sp_fail(P, "AS SELECT ... (or a column list to declare a source)");
    /* don't read past AS: the query compiler starts at SELECT */
    return sp_define_stream(P, sname, at, p.topic, p.key, p.key_at, NULL);
}

struct sql_script *sql_script_parse(const char *text, struct sql_error *err)
{
    return sql_script_parse_opts(text, NULL, err);
}

struct sql_script *sql_script_parse_opts(const char *text, const struct sql_script_opts *o, struct sql_error *err)
{
    struct sql_script *s = calloc(1, sizeof *s);
    if (s)
        s->text = strdup(text);
    if (!s || !s->text) {
        free(s);
        sql_error_set(err, 1, 1, "out of memory");
        return NULL;
    }
    struct parse P = {.s = s, .err = err};
    if (o && o->nrefs) {
        if (!(s->refs = calloc((size_t)o->nrefs, sizeof *s->refs))) {
            sql_script_free(s);
            sql_error_set(err, 1, 1, "out of memory");
            return NULL;
        }
        memcpy(s->refs, o->refs, sizeof *s->refs * (size_t)o->nrefs);
        s->nrefs = o->nrefs;
    }
    sql_lex_init(&P.lx, s->text);
    sp_next(&P);
    s->kda = sql_kda_detect(s->text);
    if (s->kda) {
        sql_kda_parse(&P, o);
    } else {
        if (o && o->nmap) {
            sql_error_set(err, 1, 1, "--map is for Kinesis Analytics applications (CREATE OR REPLACE STREAM/PUMP); "
                                     "this file is in rydeflow's dialect: name topics WITH (topic='...')");
            P.failed = 1;
        }
        while (!P.failed && P.tok.type != T_EOF)
            if (statement(&P) < 0)
                break;
    }
    if (!P.failed && s->nstreams == 0) {
        sql_error_set(err, P.tok.line, P.tok.col, s->kda ? "no CREATE OR REPLACE PUMP statement in the application"
                                                         : "no CREATE STREAM ... AS SELECT statement in the script");
        P.failed = 1;
    }
    if (P.failed) {
        sql_script_free(s);
        return NULL;
    }
    return s;
}

int sql_script_is_kda(const struct sql_script *s) { return s->kda; }

void sql_script_free(struct sql_script *s)
{
    if (!s)
        return;
    sql_arena_free(&s->arena);
    free(s->refs);
    free(s->text);
    free(s);
}

const char *sql_script_text(const struct sql_script *s) { return s->text; }
int sql_script_nstreams(const struct sql_script *s) { return s->nstreams; }
const struct sql_stream_def *sql_script_stream(const struct sql_script *s, int i) { return &s->streams[i].def; }

struct sql_query *sql_script_instance(const struct sql_script *s, int i, struct sql_error *err)
{
    struct sql_lexer lx = s->streams[i].at;
    return sql_query_compile_into(&lx, lookup, ref_lookup, (void *)s, 1, s->streams[i].target, err);
}

const struct sql_schema *sql_script_source_schema(const struct sql_script *s, const char *topic)
{
    for (int i = 0; i < s->nsources; i++)
        if (strcmp(s->sources[i].topic, topic) == 0)
            return s->sources[i].schema;
    const struct source *b = sp_source_named(s, topic);
    return b ? b->schema : NULL;
}
