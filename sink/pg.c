/* pg.c - the PostgreSQL destination: the workshop's DynamoDB table
 * UnicornSensorData as unicorn_sensor_data, primary key (name, status_time).
 *
 * URL: postgresql://[user@]host[:port]/db[?table=NAME][&connections=N][&libpq parameters]
 *
 * Lanes. A batch is split by unicorn name over N connections (default 2),
 * each writing its share in a transaction of its own, on a thread of its
 * own, so that the server works on as many cores (measured: two COPYs at
 * once take 0.6 of the time of one). One key always goes to one lane, so
 * the lanes never wait for each other's row locks. The batch is written
 * when every lane has committed; when one fails, the whole batch is written
 * again, and the rows the others committed are then found stored and left
 * as they are (below): nothing is doubled.
 *
 * In each lane, the summaries of a running pipeline are new rows almost
 * always, so its share is first COPYed straight into the table, in
 * PostgreSQL's binary format (pg_copy.h: nothing for the server to parse),
 * under a savepoint: one round trip at the cost of COPY itself. When that
 * meets a key already stored (a replay, a restart), it is rolled back to the
 * savepoint (COPY stops at the first conflict: at most one buffer of about a
 * thousand rows was written, and is discarded), and the share takes the
 * upsert path, as do the lane's next UPSERT_RUN batches (a replay comes in
 * runs): COPY into a temporary staging table, then "INSERT ... ON CONFLICT
 * (name, status_time) DO UPDATE ... WHERE the values differ; COMMIT", so a
 * replayed batch changes nothing and writes no row. Of several summaries of
 * one key in a batch only the last is sent (decided in C: the INSERT may
 * touch a row once, and COPY would conflict). The binary path is taken
 * only when the table's columns have the types the sink creates them with
 * and every integer fits PostgreSQL's integer; else the text path lets the
 * database judge each value.
 *
 * Values travel as data (COPY with escaping), never inside SQL text. When
 * a share fails on a value the database rejects (a number out of range,
 * say), it is written again with the rejected rows found by bisection under
 * savepoints, and those are marked dead with PostgreSQL's message. A lost
 * connection is a RETRY. */
#include "backend.h"
#include "pg_copy.h"

#include "rf_hash.h"
#include "rf_log.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANES 16
/* After a binary COPY met a stored key: the lane's batches that go
 * straight to the upsert. */
#define UPSERT_RUN 64

struct backend;

/* One connection and what it writes of each batch. */
struct lane {
    struct backend *b;
    PGconn *conn;
    int binary_ok;       /* the table's columns take the binary COPY (checked on connecting) */
    int upsert_next;     /* batches left that skip the binary COPY */
    unsigned char *skip; /* per record of the batch: not this lane's to write */
    struct pg_buf copy;  /* the COPY data being sent */
    /* a write on its own thread */
    struct sink_batch *batch;
    enum sink_rc rc;
    char err[1024];
};

struct backend {
    char conninfo[2100];
    char table[64];
    char url[1024]; /* for messages, without the query */
    int nlanes;
    struct lane lane[MAX_LANES];
    /* per record of the batch, kept between batches: decoded, superseded by a
     * later summary of its key, and the hash slots that find those */
    struct summary *s;
    unsigned char *superseded;
    int cap;
    int *slot;
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

/* The URL's own parameters (table=, connections=) into b; the rest of the
 * query goes to libpq. 0, or -1 with err. */
static int parse_url(const char *url, struct backend *b, char *err, size_t errlen)
{
    snprintf(b->table, sizeof b->table, "unicorn_sensor_data");
    b->nlanes = 2;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", url);
    char *q = strchr(tmp, '?');
    char rest[1024] = "";
    if (q) {
        *q++ = '\0';
        char *save = NULL;
        for (char *tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
            if (strncmp(tok, "table=", 6) == 0) {
                snprintf(b->table, sizeof b->table, "%s", tok + 6);
            } else if (strncmp(tok, "connections=", 12) == 0) {
                char *end;
                long n = strtol(tok + 12, &end, 10);
                if (end == tok + 12 || *end || n < 1 || n > MAX_LANES) {
                    snprintf(err, errlen, "%s: %s: expected a number of connections from 1 to %d", url, tok,
                             MAX_LANES);
                    return -1;
                }
                b->nlanes = (int)n;
            } else {
                snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s%s", rest[0] ? "&" : "?", tok);
            }
        }
    }
    if (!valid_identifier(b->table)) {
        snprintf(err, errlen, "%s: table=%s: expected a lower-case SQL name", url, b->table);
        return -1;
    }
    snprintf(b->url, sizeof b->url, "%s", tmp);
    snprintf(b->conninfo, sizeof b->conninfo, "%s%s", tmp, rest);
    return 0;
}

static int check_pg(const char *url, char *err, size_t errlen)
{
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = parse_url(url, b, err, errlen);
    free(b);
    return rc;
}

static struct backend *open_pg(const char *url, const struct sink_options *opt, char *err, size_t errlen)
{
    (void)opt;
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_url(url, b, err, errlen) < 0) {
        free(b);
        return NULL;
    }
    for (int i = 0; i < b->nlanes; i++)
        b->lane[i].b = b;
    return b;
}

static int conn_lost(struct lane *l) { return !l->conn || PQstatus(l->conn) != CONNECTION_OK; }

static void drop_conn(struct lane *l)
{
    if (l->conn)
        PQfinish(l->conn);
    l->conn = NULL;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n')
            *s = ' ';
}

/* Run a statement; 0, or -1 with err (and the SQLSTATE in state). */
static int exec(struct lane *l, const char *sql, char *err, size_t errlen, char *state)
{
    PGresult *r = PQexec(l->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN;
    if (!ok) {
        const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state)
            snprintf(state, 6, "%s", s ? s : "");
        snprintf(err, errlen, "PostgreSQL %.300s: %s", l->b->url, PQerrorMessage(l->conn));
        one_line(err);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* Send COPY data after a statement that ended in COPY FROM STDIN, and end
 * it. 0, or -1 with err and state. */
static int copy_data(struct lane *l, const struct pg_buf *data, char *err, size_t errlen, char *state)
{
    int rc = PQputCopyData(l->conn, data->data, (int)data->len) == 1 && PQputCopyEnd(l->conn, NULL) == 1 ? 0 : -1;
    PGresult *r;
    while ((r = PQgetResult(l->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
            const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            snprintf(state, 6, "%s", st ? st : "");
            rc = -1;
        }
        PQclear(r);
    }
    if (rc < 0) {
        snprintf(err, errlen, "PostgreSQL %.300s: %s", l->b->url, PQerrorMessage(l->conn));
        one_line(err);
    }
    return rc;
}

/* Whether the table's columns are exactly what the binary COPY sends (a
 * table made by someone else may differ: bigint, numeric, timestamp). */
static int check_binary(struct lane *l)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attname)"
             " FROM pg_attribute WHERE attrelid = '%s'::regclass AND attnum > 0 AND NOT attisdropped"
             " AND attname IN ('name', 'status_time', 'distance', 'min_magic_points', 'max_magic_points',"
             " 'min_health_points', 'max_health_points')",
             l->b->table);
    PGresult *r = PQexec(l->conn, sql);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
             strcmp(PQgetvalue(r, 0, 0), "distance double precision,max_health_points integer,"
                                         "max_magic_points integer,min_health_points integer,"
                                         "min_magic_points integer,name text,status_time timestamp with time zone") == 0;
    PQclear(r);
    if (!ok && l == &l->b->lane[0])
        rf_info("PostgreSQL %s: table %s has other column types than the sink's own: rows are sent as text",
                l->b->url, l->b->table);
    return ok;
}

/* Lanes connect one after another, on the caller's thread: concurrent
 * CREATE TABLE IF NOT EXISTS of one table can fail in PostgreSQL. */
static enum sink_rc connect_lane(struct lane *l, char *err, size_t errlen)
{
    if (!conn_lost(l))
        return SINK_OK;
    drop_conn(l);
    l->conn = PQconnectdb(l->b->conninfo);
    if (PQstatus(l->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL %.300s: %s", l->b->url, PQerrorMessage(l->conn));
        one_line(err);
        drop_conn(l);
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
             l->b->table);
    if (exec(l, sql, err, errlen, NULL) < 0) {
        enum sink_rc rc = conn_lost(l) ? SINK_RETRY : SINK_ERROR;
        drop_conn(l);
        return rc;
    }
    l->binary_ok = check_binary(l);
    return SINK_OK;
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

/* Stage the lane's rows [from, to) with COPY text, after `before` (e.g.
 * "BEGIN; "), which goes in the same round trip. */
static int stage(struct lane *l, int from, int to, const char *before, char *err, size_t errlen, char *state)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%sCOPY rf_stage FROM STDIN", before);
    if (pg_copy_text(&l->copy, l->b->s, l->skip, from, to) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (exec(l, sql, err, errlen, state) < 0)
        return -1;
    return copy_data(l, &l->copy, err, errlen, state);
}

/* BEGIN, and the lane's rows COPYed straight into the table under a
 * savepoint. 1: written (the transaction is open: COMMIT ends it). 0: not
 * written; the transaction is open at the savepoint (*begun 1) or nothing
 * is begun (*begun 0): the caller upserts. -1: the connection is gone. */
static int copy_direct(struct lane *l, int n, int *begun, char *err, size_t errlen)
{
    *begun = 0;
    if (pg_copy_binary(&l->copy, l->b->s, l->skip, 0, n) <= 0)
        return 0;
    char sql[256], state[8] = "";
    snprintf(sql, sizeof sql,
             "BEGIN; SAVEPOINT d; COPY %s (name, status_time, distance, min_magic_points, max_magic_points,"
             " min_health_points, max_health_points) FROM STDIN (FORMAT binary)",
             l->b->table);
    if (exec(l, sql, err, errlen, state) < 0) {
        if (conn_lost(l))
            return -1;
        char ignored[256]; /* the upsert path begins again, and says what is wrong if it still is */
        exec(l, "ROLLBACK", ignored, sizeof ignored, NULL);
        return 0;
    }
    *begun = 1;
    if (copy_data(l, &l->copy, err, errlen, state) == 0)
        return 1;
    if (conn_lost(l))
        return -1;
    if (strcmp(state, "23505") == 0) { /* a key already stored: a replay, most likely */
        rf_debug("PostgreSQL %s: a batch met stored rows; upserting it and the next %d", l->b->url, UPSERT_RUN);
        l->upsert_next = UPSERT_RUN;
    }
    if (exec(l, "ROLLBACK TO SAVEPOINT d", err, errlen, NULL) < 0)
        return conn_lost(l) ? -1 : 0;
    return 0;
}

/* Mark superseded each decoded record followed, later in the batch, by a
 * summary of the same (name, status_time): the INSERT takes one row per
 * key, and the last one is what a sequence of upserts would leave. Then
 * each lane's skip: every record but the live ones whose name hashes to it.
 * -1 out of memory. */
static int split_batch(struct backend *b, const struct sink_batch *batch)
{
    const struct summary *s = b->s;
    size_t nslot = 16;
    while (nslot < (size_t)batch->n * 2)
        nslot <<= 1;
    if (b->nslot < nslot) {
        int *slot = realloc(b->slot, nslot * sizeof *slot);
        if (!slot)
            return -1;
        b->slot = slot;
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
    for (int k = 0; k < b->nlanes; k++)
        memset(b->lane[k].skip, 1, (size_t)batch->n);
    for (int i = 0; i < batch->n; i++)
        if (!batch->r[i].dead && !b->superseded[i])
            b->lane[b->nlanes == 1 ? 0 : rf_hash_str(RF_HASH_INIT, s[i].name) % (uint64_t)b->nlanes].skip[i] = 0;
    return 0;
}

/* Room for a batch of n records, kept between batches. */
static int reserve(struct backend *b, int n)
{
    if (n <= b->cap)
        return 0;
    struct summary *s = realloc(b->s, (size_t)n * sizeof *s);
    if (s)
        b->s = s;
    unsigned char *sup = realloc(b->superseded, (size_t)n);
    if (sup)
        b->superseded = sup;
    if (!s || !sup)
        return -1;
    for (int k = 0; k < b->nlanes; k++) {
        unsigned char *sk = realloc(b->lane[k].skip, (size_t)n);
        if (!sk)
            return -1;
        b->lane[k].skip = sk;
    }
    b->cap = n;
    return 0;
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
static enum sink_rc classify(struct lane *l, const char *state)
{
    static const char *const outage[] = {"08", "53", "57", "58", "40", "55P03", NULL};
    if (conn_lost(l) || !state[0])
        return SINK_RETRY;
    for (int i = 0; outage[i]; i++)
        if (strncmp(state, outage[i], strlen(outage[i])) == 0)
            return SINK_RETRY;
    return SINK_ERROR;
}

/* The lane's rows [from, to) under a savepoint; when the database rejects
 * them for a value, each half again, down to the single rows it rejects,
 * which are marked dead: k bad rows of n cost about 2 k log2(n)
 * statements, not n. */
static enum sink_rc bisect(struct lane *l, struct sink_batch *batch, int from, int to, char *err, size_t errlen)
{
    char state[8] = "", sql[2048];
    int live = 0, last = -1;
    for (int i = from; i < to; i++)
        if (!l->skip[i])
            live++, last = i;
    if (live == 0)
        return SINK_OK;
    if (stage(l, from, to, "SAVEPOINT r; ", err, errlen, state) == 0 &&
        exec(l, upsert_sql(l->b, sql, sizeof sql), err, errlen, state) == 0)
        return exec(l, "RELEASE SAVEPOINT r; TRUNCATE rf_stage", err, errlen, state) < 0 ? SINK_RETRY : SINK_OK;
    if (conn_lost(l) || !data_error(state))
        return classify(l, state);
    char why[512];
    snprintf(why, sizeof why, "%s", err);
    if (exec(l, "ROLLBACK TO SAVEPOINT r; RELEASE SAVEPOINT r", err, errlen, state) < 0)
        return SINK_RETRY;
    if (live == 1) {
        l->skip[last] = 1;
        batch->r[last].dead = SINK_DEAD_STORE;
        const char *m = strstr(why, ": ");
        snprintf(batch->r[last].why, sizeof batch->r[last].why, "PostgreSQL rejected the row: %.200s",
                 m ? m + 2 : why);
        return SINK_OK;
    }
    int mid = from + (to - from) / 2;
    enum sink_rc rc = bisect(l, batch, from, mid, err, errlen);
    return rc != SINK_OK ? rc : bisect(l, batch, mid, to, err, errlen);
}

/* The lane's rows again in one transaction, the rows the database rejects
 * isolated by bisection and marked dead. */
static enum sink_rc isolate_rejected(struct lane *l, struct sink_batch *batch, char *err, size_t errlen)
{
    char state[8] = "";
    if (exec(l, "BEGIN", err, errlen, state) < 0)
        return SINK_RETRY;
    enum sink_rc rc = bisect(l, batch, 0, batch->n, err, errlen);
    if (rc != SINK_OK)
        return rc;
    return exec(l, "COMMIT", err, errlen, state) < 0 ? SINK_RETRY : SINK_OK;
}

/* The lane's share of the batch, in one transaction (copy_direct, else the
 * upsert, else row isolation). Touches only the lane and its own records. */
static enum sink_rc write_lane(struct lane *l, struct sink_batch *batch, char *err, size_t errlen)
{
    int live = 0;
    for (int i = 0; i < batch->n && !live; i++)
        live = !l->skip[i];
    if (!live)
        return SINK_OK;
    int begun = 0, direct = 0;
    if (l->binary_ok && l->upsert_next == 0)
        direct = copy_direct(l, batch->n, &begun, err, errlen);
    else if (l->upsert_next > 0)
        l->upsert_next--;
    if (direct < 0)
        return SINK_RETRY;
    char state[8] = "", sql[2048];
    upsert_sql(l->b, sql, sizeof sql);
    strcat(sql, "; COMMIT");
    if (direct == 1 ? exec(l, "COMMIT", err, errlen, state) == 0
                    : stage(l, 0, batch->n, begun ? "" : "BEGIN; ", err, errlen, state) == 0 &&
                          exec(l, sql, err, errlen, state) == 0)
        return SINK_OK;
    if (conn_lost(l))
        return SINK_RETRY;
    char ignored[512];
    exec(l, "ROLLBACK", ignored, sizeof ignored, NULL);
    if (!data_error(state))
        return classify(l, state);
    rf_warn("%s; isolating the rejected rows", err);
    enum sink_rc rc = isolate_rejected(l, batch, err, errlen);
    if (rc != SINK_OK && !conn_lost(l))
        exec(l, "ROLLBACK", ignored, sizeof ignored, NULL);
    return rc;
}

static void *lane_thread(void *arg)
{
    struct lane *l = arg;
    l->rc = write_lane(l, l->batch, l->err, sizeof l->err);
    return NULL;
}

static enum sink_rc write_pg(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    if (reserve(b, batch->n) < 0) {
        snprintf(err, errlen, "out of memory");
        return SINK_RETRY;
    }
    for (int k = 0; k < b->nlanes; k++) {
        enum sink_rc rc = connect_lane(&b->lane[k], err, errlen);
        if (rc != SINK_OK)
            return rc;
    }
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        if (!r->dead && summary_decode(r->value, r->len, &b->s[i], r->why, sizeof r->why) < 0)
            r->dead = SINK_DEAD_DECODE;
    }
    if (split_batch(b, batch) < 0) {
        snprintf(err, errlen, "out of memory");
        return SINK_RETRY;
    }
    /* every lane at once, the first on this thread; a lane whose thread
     * cannot start writes here after the others */
    pthread_t th[MAX_LANES];
    int started[MAX_LANES] = {0};
    for (int k = 1; k < b->nlanes; k++) {
        b->lane[k].batch = batch;
        b->lane[k].err[0] = '\0';
        started[k] = pthread_create(&th[k], NULL, lane_thread, &b->lane[k]) == 0;
    }
    b->lane[0].batch = batch;
    b->lane[0].err[0] = '\0';
    lane_thread(&b->lane[0]);
    enum sink_rc rc = SINK_OK;
    for (int k = 0; k < b->nlanes; k++) {
        struct lane *l = &b->lane[k];
        if (k > 0 && started[k])
            pthread_join(th[k], NULL);
        else if (k > 0)
            lane_thread(l);
        if (l->rc > rc) { /* the worst answer: ERROR, then RETRY */
            rc = l->rc;
            snprintf(err, errlen, "%s", l->err);
        }
        if (l->rc == SINK_RETRY && conn_lost(l))
            drop_conn(l);
    }
    if (rc == SINK_OK)
        for (int i = 0; i < batch->n; i++)
            if (!batch->r[i].dead) {
                b->rows++;
                b->bytes += (int64_t)batch->r[i].len;
            }
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
    for (int k = 0; k < b->nlanes; k++) {
        drop_conn(&b->lane[k]);
        free(b->lane[k].skip);
        free(b->lane[k].copy.data);
    }
    free(b->s);
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
    .check = check_pg,
    .open = open_pg,
    .write = write_pg,
    .flush = flush_pg,
    .pending_from = NULL,
    .close = close_pg,
    .stats = stats_pg,
};
