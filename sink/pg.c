/* pg.c - the PostgreSQL destination: the workshop's DynamoDB table
 * UnicornSensorData as unicorn_sensor_data, primary key (name, status_time).
 *
 * A batch is one transaction in two round trips: "BEGIN; COPY" into a
 * temporary staging table, then "INSERT ... ON CONFLICT (name, status_time)
 * DO UPDATE ... WHERE the values differ; COMMIT", so replaying a batch
 * changes nothing and writes nothing. Of several summaries of one key in a
 * batch only the last is staged (decided in C: the INSERT may touch a row
 * once). Values travel as data (COPY text with escaping, or
 * parameters), never inside SQL text. When the batch fails on a value the
 * database rejects (a number out of range, say), the batch is written again
 * with the rejected rows found by bisection under savepoints, and marked
 * dead with PostgreSQL's message. A lost connection is a RETRY. */
#include "backend.h"

#include "rf_hash.h"
#include "rf_log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct backend {
    char conninfo[2100];
    char table[64];
    char url[1024]; /* for messages, without the query */
    PGconn *conn;
    int staged;     /* the staging table exists on this connection */
    unsigned char *superseded; /* per record of the batch (mark_superseded), kept between batches */
    int *slot;
    int cap;
    size_t nslot;
    int64_t rows, bytes;
};

static int matches(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

static int valid_identifier(const char *s)
{
    if (!*s || strlen(s) > 60 || !((*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static struct backend *open_pg(const char *url, const struct sink_options *opt, char *err, size_t errlen)
{
    (void)opt;
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(b->table, sizeof b->table, "unicorn_sensor_data");
    /* Take table=... out of the query; pass the rest to libpq. */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", url);
    char *q = strchr(tmp, '?');
    char rest[1024] = "";
    if (q) {
        *q++ = '\0';
        for (char *tok = strtok(q, "&"); tok; tok = strtok(NULL, "&")) {
            if (strncmp(tok, "table=", 6) == 0)
                snprintf(b->table, sizeof b->table, "%s", tok + 6);
            else
                snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s%s", rest[0] ? "&" : "?", tok);
        }
    }
    if (!valid_identifier(b->table)) {
        snprintf(err, errlen, "%s: table=%s: expected a lower-case SQL name", url, b->table);
        free(b);
        return NULL;
    }
    snprintf(b->url, sizeof b->url, "%s", tmp);
    snprintf(b->conninfo, sizeof b->conninfo, "%s%s", tmp, rest);
    return b;
}

static int conn_lost(struct backend *b) { return !b->conn || PQstatus(b->conn) != CONNECTION_OK; }

static void drop_conn(struct backend *b)
{
    if (b->conn)
        PQfinish(b->conn);
    b->conn = NULL;
    b->staged = 0;
}

/* Run a statement; 0, or -1 with err (and the SQLSTATE in state). */
static int exec(struct backend *b, const char *sql, char *err, size_t errlen, char *state)
{
    PGresult *r = PQexec(b->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN;
    if (!ok) {
        const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state)
            snprintf(state, 6, "%s", s ? s : "");
        snprintf(err, errlen, "PostgreSQL %s: %s", b->url, PQerrorMessage(b->conn));
        for (char *p = err; *p; p++)
            if (*p == '\n')
                *p = ' ';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static enum sink_rc connect_pg(struct backend *b, char *err, size_t errlen)
{
    if (!conn_lost(b))
        return SINK_OK;
    drop_conn(b);
    b->conn = PQconnectdb(b->conninfo);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL %s: %s", b->url, PQerrorMessage(b->conn));
        for (char *p = err; *p; p++)
            if (*p == '\n')
                *p = ' ';
        drop_conn(b);
        return SINK_RETRY;
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SET client_min_messages = warning;"
             "CREATE TABLE IF NOT EXISTS %s ("
             " name text NOT NULL, status_time timestamptz NOT NULL, distance double precision,"
             " min_magic_points integer, max_magic_points integer,"
             " min_health_points integer, max_health_points integer,"
             " PRIMARY KEY (name, status_time));"
             "CREATE TEMP TABLE IF NOT EXISTS rf_stage (name text, status_time timestamptz,"
             " distance double precision, min_magic_points bigint, max_magic_points bigint,"
             " min_health_points bigint, max_health_points bigint) ON COMMIT DELETE ROWS",
             b->table);
    if (exec(b, sql, err, errlen, NULL) < 0) {
        enum sink_rc rc = conn_lost(b) ? SINK_RETRY : SINK_ERROR;
        drop_conn(b);
        return rc;
    }
    b->staged = 1;
    return SINK_OK;
}

/* COPY text format: backslash, tab, newline and carriage return escaped. */
static size_t copy_text(char *out, const char *s)
{
    size_t o = 0;
    for (; *s; s++) {
        switch (*s) {
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        default: out[o++] = *s;
        }
    }
    return o;
}

static const char *upsert_sql(struct backend *b, char *sql, size_t len)
{
    snprintf(sql, len,
             "INSERT INTO %s (name, status_time, distance, min_magic_points, max_magic_points,"
             " min_health_points, max_health_points)"
             " SELECT name, status_time, distance, min_magic_points,"
             " max_magic_points, min_health_points, max_health_points FROM rf_stage"
             " ON CONFLICT (name, status_time) DO UPDATE SET distance = EXCLUDED.distance,"
             " min_magic_points = EXCLUDED.min_magic_points, max_magic_points = EXCLUDED.max_magic_points,"
             " min_health_points = EXCLUDED.min_health_points, max_health_points = EXCLUDED.max_health_points"
             /* a replayed row that changes nothing writes nothing (no new row version, no WAL) */
             " WHERE (%s.distance, %s.min_magic_points, %s.max_magic_points, %s.min_health_points,"
             " %s.max_health_points) IS DISTINCT FROM (EXCLUDED.distance, EXCLUDED.min_magic_points,"
             " EXCLUDED.max_magic_points, EXCLUDED.min_health_points, EXCLUDED.max_health_points)",
             b->table, b->table, b->table, b->table, b->table, b->table);
    return sql;
}

/* Stage rows [from, to) of the batch (those decoded and not superseded by a
 * later summary of the same key) with COPY, after `before` (e.g. "BEGIN;"),
 * which goes in the same round trip. */
static int stage(struct backend *b, struct sink_batch *batch, const struct summary *s, const unsigned char *superseded,
                 int from, int to, const char *before, char *err, size_t errlen, char *state)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%sCOPY rf_stage FROM STDIN", before);
    if (exec(b, sql, err, errlen, state) < 0)
        return -1;
    char line[2048];
    int rc = 0;
    for (int i = from; i < to && rc == 0; i++) {
        if (batch->r[i].dead || (superseded && superseded[i]))
            continue;
        size_t n = copy_text(line, s[i].name);
        n += (size_t)snprintf(line + n, sizeof line - n, "\t%s+00\t%.17g\t%lld\t%lld\t%lld\t%lld\n", s[i].status_time,
                              s[i].distance, s[i].min_magic, s[i].max_magic, s[i].min_health, s[i].max_health);
        if (PQputCopyData(b->conn, line, (int)n) != 1)
            rc = -1;
    }
    if (PQputCopyEnd(b->conn, rc ? "aborted" : NULL) != 1)
        rc = -1;
    PGresult *r = PQgetResult(b->conn);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        snprintf(state, 6, "%s", st ? st : "");
        snprintf(err, errlen, "PostgreSQL %s: %s", b->url, PQerrorMessage(b->conn));
        rc = -1;
    }
    PQclear(r);
    while ((r = PQgetResult(b->conn)))
        PQclear(r);
    return rc;
}

/* Mark in b->superseded each decoded record followed, later in the batch,
 * by a summary of the same (name, status_time): the INSERT takes one row
 * per key, and the last one is what a sequence of upserts would leave. */
static void mark_superseded(struct backend *b, const struct sink_batch *batch, const struct summary *s)
{
    size_t nslot = 16;
    while (nslot < (size_t)batch->n * 2)
        nslot <<= 1;
    if (b->cap < batch->n || b->nslot < nslot) {
        unsigned char *sup = realloc(b->superseded, (size_t)batch->n);
        int *slot = realloc(b->slot, nslot * sizeof *slot);
        if (sup)
            b->superseded = sup;
        if (slot)
            b->slot = slot;
        if (!sup || !slot) { /* no memory: stage everything; a duplicate key then fails the batch (retried) */
            b->cap = 0;
            b->nslot = 0;
            return;
        }
        b->cap = batch->n;
        b->nslot = nslot;
    }
    memset(b->superseded, 0, (size_t)batch->n);
    memset(b->slot, 0, nslot * sizeof *b->slot);
    for (int i = batch->n - 1; i >= 0; i--) { /* from the end: the first seen is the one kept */
        if (batch->r[i].dead)
            continue;
        uint64_t h = rf_hash_str(rf_hash_u64(RF_HASH_INIT, (uint64_t)s[i].status_ms), s[i].name);
        size_t k = (size_t)h & (nslot - 1);
        for (; b->slot[k]; k = (k + 1) & (nslot - 1)) {
            const struct summary *o = &s[b->slot[k] - 1];
            if (o->status_ms == s[i].status_ms && strcmp(o->name, s[i].name) == 0) {
                b->superseded[i] = 1;
                break;
            }
        }
        if (!b->superseded[i])
            b->slot[k] = i + 1;
    }
}

/* Class 08 (connection), 57 (operator intervention: shutdown), 53
 * (resources) are worth retrying; 22 (data) and 23 (integrity) are about
 * the rows. */
static int data_error(const char *state) { return strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0; }

/* Worth retrying: the connection (08), resources (53), operator
 * intervention such as a shutdown (57), the system (58), a serialization
 * failure or deadlock (40), a lock not available (55P03). Anything else that
 * is not about the rows (permission denied 42501, a missing table 42P01) will
 * not get better by waiting: the sink stops and says why. */
static enum sink_rc classify(struct backend *b, const char *state)
{
    static const char *const outage[] = {"08", "53", "57", "58", "40", "55P03", NULL};
    if (conn_lost(b) || !state[0])
        return SINK_RETRY;
    for (int i = 0; outage[i]; i++)
        if (strncmp(state, outage[i], strlen(outage[i])) == 0)
            return SINK_RETRY;
    return SINK_ERROR;
}

/* Rows [from, to) under a savepoint; when the database rejects them for a
 * value, each half again, down to the single rows it rejects, which are
 * marked dead: k bad rows of n cost about 2 k log2(n) statements, not n. */
static enum sink_rc bisect(struct backend *b, struct sink_batch *batch, const struct summary *s, int from, int to,
                           char *err, size_t errlen)
{
    char state[8] = "", sql[2048];
    int live = 0, last = -1;
    for (int i = from; i < to; i++)
        if (!batch->r[i].dead && !(b->superseded && b->superseded[i]))
            live++, last = i;
    if (live == 0)
        return SINK_OK;
    if (stage(b, batch, s, b->superseded, from, to, "SAVEPOINT r; ", err, errlen, state) == 0 &&
        exec(b, upsert_sql(b, sql, sizeof sql), err, errlen, state) == 0)
        return exec(b, "RELEASE SAVEPOINT r; TRUNCATE rf_stage", err, errlen, state) < 0 ? SINK_RETRY : SINK_OK;
    if (conn_lost(b) || !data_error(state))
        return classify(b, state);
    char why[512];
    snprintf(why, sizeof why, "%s", err);
    if (exec(b, "ROLLBACK TO SAVEPOINT r; RELEASE SAVEPOINT r", err, errlen, state) < 0)
        return SINK_RETRY;
    if (live == 1) {
        batch->r[last].dead = SINK_DEAD_STORE;
        const char *m = strstr(why, ": ");
        snprintf(batch->r[last].why, sizeof batch->r[last].why, "PostgreSQL rejected the row: %.200s",
                 m ? m + 2 : why);
        return SINK_OK;
    }
    int mid = from + (to - from) / 2;
    enum sink_rc rc = bisect(b, batch, s, from, mid, err, errlen);
    return rc != SINK_OK ? rc : bisect(b, batch, s, mid, to, err, errlen);
}

/* The batch again in one transaction, the rows the database rejects
 * isolated by bisection and marked dead. */
static enum sink_rc isolate_rejected(struct backend *b, struct sink_batch *batch, const struct summary *s, char *err,
                                     size_t errlen)
{
    char state[8] = "";
    if (exec(b, "BEGIN", err, errlen, state) < 0)
        return SINK_RETRY;
    enum sink_rc rc = bisect(b, batch, s, 0, batch->n, err, errlen);
    if (rc != SINK_OK)
        return rc;
    return exec(b, "COMMIT", err, errlen, state) < 0 ? SINK_RETRY : SINK_OK;
}

static enum sink_rc write_pg(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    enum sink_rc rc = connect_pg(b, err, errlen);
    if (rc != SINK_OK)
        return rc;
    struct summary *s = calloc((size_t)(batch->n ? batch->n : 1), sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return SINK_RETRY;
    }
    int live = 0;
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        if (r->dead)
            continue;
        if (summary_decode(r->value, r->len, &s[i], r->why, sizeof r->why) < 0)
            r->dead = SINK_DEAD_DECODE;
        else
            live++;
    }
    char state[8] = "", sql[2048];
    rc = SINK_OK;
    if (live > 0) {
        mark_superseded(b, batch, s);
        upsert_sql(b, sql, sizeof sql);
        strcat(sql, "; COMMIT");
        if (stage(b, batch, s, b->superseded, 0, batch->n, "BEGIN; ", err, errlen, state) < 0 ||
            exec(b, sql, err, errlen, state) < 0) {
            if (conn_lost(b))
                rc = SINK_RETRY;
            else {
                char ignored[512];
                exec(b, "ROLLBACK", ignored, sizeof ignored, NULL);
                if (data_error(state)) {
                    rf_warn("%s; isolating the rejected rows", err);
                    rc = isolate_rejected(b, batch, s, err, errlen);
                    if (rc != SINK_OK && !conn_lost(b))
                        exec(b, "ROLLBACK", ignored, sizeof ignored, NULL);
                } else {
                    rc = classify(b, state);
                }
            }
        }
    }
    if (rc == SINK_OK)
        for (int i = 0; i < batch->n; i++)
            if (!batch->r[i].dead) {
                b->rows++;
                b->bytes += (int64_t)batch->r[i].len;
            }
    if (rc == SINK_RETRY && conn_lost(b))
        drop_conn(b);
    free(s);
    return rc;
}

static enum sink_rc flush_pg(struct backend *b, int64_t now_ms, int force, char *err, size_t errlen)
{
    (void)b, (void)now_ms, (void)force, (void)err, (void)errlen;
    return SINK_OK;
}

static void close_pg(struct backend *b)
{
    if (!b)
        return;
    drop_conn(b);
    free(b->superseded);
    free(b->slot);
    free(b);
}

static void stats_pg(struct backend *b, int64_t *written, int64_t *bytes)
{
    *written = b->rows;
    *bytes = b->bytes;
}

const struct backend_ops backend_postgresql = {
    .name = "postgresql",
    .matches = matches,
    .open = open_pg,
    .write = write_pg,
    .flush = flush_pg,
    .pending_from = NULL,
    .close = close_pg,
    .stats = stats_pg,
};
