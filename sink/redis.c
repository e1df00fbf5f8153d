/* redis.c - the Redis destination: the fleet's latest state and recent
 * minutes, for the dashboard and anyone with redis-cli.
 *
 * Key layout (docs/operations.md); <Name> is encoded by rf_rediskey_name so
 * that no two names share a key (':' is %3A, '%' is %25, ...):
 *   unicorn:<Name>          hash: the latest summary (fields as in the record:
 *                           Name, StatusTime, Distance, MinMagicPoints, ...);
 *                           only replaced by a summary of the same or a later
 *                           minute, so replays and late arrivals never move it back
 *   unicorn:<Name>:minutes  sorted set: score = the minute (ms since the epoch),
 *                           member = the summary's JSON; one member per minute,
 *                           the latest 60 minutes
 *   unicorns                set of every Name seen
 *   channel rydeflow:summaries   each summary's JSON is published here as written
 * Every write is idempotent (a Lua script does, per record, the compare and
 * the per-minute replace atomically); a script call carries up to 256
 * records and a batch is one pipeline of such calls. Errors: a lost
 * connection or an error reply that means the server is away or busy
 * (LOADING, BUSY, NOSCRIPT, OOM, ...) is an outage (RETRY); any other error
 * reply is about the data (WRONGTYPE on a key someone else wrote, say):
 * the records of that call are written one by one and those Redis still
 * rejects become dead letters. */
#include "backend.h"

#include "rf_rediskey.h"
#include "rf_redisurl.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_MINUTES 60

#define PER_CALL 256 /* records per script call */
#define FIELDS 9     /* ARGV per record */

/* KEYS: per record unicorn:<Name> and unicorn:<Name>:minutes, then unicorns.
 * ARGV: keep, then per record: Name, StatusTime, score, json, Distance,
 * MinMagicPoints, MaxMagicPoints, MinHealthPoints, MaxHealthPoints. */
static const char script[] =
    "local n = (#KEYS - 1) / 2\n"
    "local keep = tonumber(ARGV[1])\n"
    "for i = 0, n - 1 do\n"
    "  local h, z, a = KEYS[2 * i + 1], KEYS[2 * i + 2], 1 + i * 9\n"
    "  local cur = redis.call('HGET', h, 'StatusTime')\n"
    "  if (not cur) or cur <= ARGV[a + 2] then\n"
    "    redis.call('HSET', h, 'Name', ARGV[a + 1], 'StatusTime', ARGV[a + 2], 'Distance', ARGV[a + 5],\n"
    "      'MinMagicPoints', ARGV[a + 6], 'MaxMagicPoints', ARGV[a + 7], 'MinHealthPoints', ARGV[a + 8],\n"
    "      'MaxHealthPoints', ARGV[a + 9])\n"
    "  end\n"
    "  redis.call('ZREMRANGEBYSCORE', z, ARGV[a + 3], ARGV[a + 3])\n"
    "  redis.call('ZADD', z, ARGV[a + 3], ARGV[a + 4])\n"
    "  redis.call('ZREMRANGEBYRANK', z, 0, -keep - 1)\n"
    "  redis.call('SADD', KEYS[#KEYS], ARGV[a + 1])\n"
    "  redis.call('PUBLISH', 'rydeflow:summaries', ARGV[a + 4])\n"
    "end\n"
    "return n\n";

struct backend {
    struct rf_redisurl u;
    char url[600]; /* for messages: without the password */
    redisContext *c;
    char sha[64];
    int64_t rows, bytes;
};

static int matches(const char *url) { return strncmp(url, "redis://", 8) == 0 || strncmp(url, "rediss://", 9) == 0; }

static int check_redis(const char *url, char *err, size_t errlen)
{
    struct rf_redisurl u;
    return rf_redisurl_parse(url, &u, err, errlen);
}

static struct backend *open_redis(const char *url, const struct sink_options *opt, char *err, size_t errlen)
{
    (void)opt;
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (rf_redisurl_parse(url, &b->u, err, errlen) < 0) {
        free(b);
        return NULL;
    }
    snprintf(b->url, sizeof b->url, "%s", b->u.shown);
    return b;
}

static void drop(struct backend *b)
{
    if (b->c)
        redisFree(b->c);
    b->c = NULL;
}

static enum sink_rc connect_redis(struct backend *b, char *err, size_t errlen)
{
    if (b->c && !b->c->err)
        return SINK_OK;
    drop(b);
    if (!(b->c = rf_redisurl_connect(&b->u, 5000, err, errlen)))
        return SINK_RETRY;
    redisReply *r = redisCommand(b->c, "SCRIPT LOAD %s", script);
    if (!r || r->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "Redis %s: cannot load the write script: %s", b->url,
                 r && r->type == REDIS_REPLY_ERROR ? r->str : b->c->errstr);
        if (r)
            freeReplyObject(r);
        drop(b);
        return SINK_RETRY;
    }
    snprintf(b->sha, sizeof b->sha, "%s", r->str);
    freeReplyObject(r);
    return SINK_OK;
}

/* One EVALSHA: sha, numkeys, the keys, then keep and each record's fields. */
enum { MAXARGS = 3 + 2 * PER_CALL + 2 + FIELDS * PER_CALL };
struct call {
    const char *argv[MAXARGS];
    size_t argl[MAXARGS];
    char keys[PER_CALL][2][3 * 256 + 32];
    char nums[PER_CALL][6][32];
};

/* Append one script call for records idx[0..n) (decoded in s[]) to the pipeline. */
static void append_call(struct backend *b, struct call *call, const struct sink_batch *batch, const struct summary *s,
                        const int *idx, int n)
{
    char numkeys[16], keep[16];
    snprintf(numkeys, sizeof numkeys, "%d", 2 * n + 1);
    snprintf(keep, sizeof keep, "%d", KEEP_MINUTES);
    int k = 0;
#define ARG(p, len) (call->argv[k] = (p), call->argl[k++] = (len))
#define STR(p) ARG(p, strlen(p))
    STR("EVALSHA");
    STR(b->sha);
    STR(numkeys);
    for (int q = 0; q < n; q++) {
        /* the name encoded (rf_rediskey.h): "X:minutes" and "X" never share a key */
        char name[3 * 256 + 1];
        const struct summary *x = &s[idx[q]];
        rf_rediskey_name(x->name, strlen(x->name), name, sizeof name);
        snprintf(call->keys[q][0], sizeof call->keys[q][0], "unicorn:%s", name);
        snprintf(call->keys[q][1], sizeof call->keys[q][1], "unicorn:%s:minutes", name);
        STR(call->keys[q][0]);
        STR(call->keys[q][1]);
    }
    STR("unicorns");
    STR(keep);
    for (int q = 0; q < n; q++) {
        const struct summary *x = &s[idx[q]];
        char(*num)[32] = call->nums[q];
        snprintf(num[0], 32, "%lld", (long long)x->status_ms);
        snprintf(num[1], 32, "%.17g", x->distance);
        snprintf(num[2], 32, "%lld", x->min_magic);
        snprintf(num[3], 32, "%lld", x->max_magic);
        snprintf(num[4], 32, "%lld", x->min_health);
        snprintf(num[5], 32, "%lld", x->max_health);
        STR(x->name);
        STR(x->status_time);
        STR(num[0]);
        ARG(batch->r[idx[q]].value, batch->r[idx[q]].len); /* the JSON as it came */
        for (int f = 1; f < 6; f++)
            STR(num[f]);
    }
#undef STR
#undef ARG
    redisAppendCommandArgv(b->c, k, call->argv, call->argl);
}

/* An error reply that means the server is away or busy, not that the data
 * is wrong: the batch is written again later. NOSCRIPT: a restarted server
 * lost the script (reconnecting loads it again). */
static int outage_reply(const char *msg)
{
    static const char *const codes[] = {"NOSCRIPT", "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
                                        "OOM", "READONLY", "NOREPLICAS", NULL};
    for (int i = 0; codes[i]; i++)
        if (strncmp(msg, codes[i], strlen(codes[i])) == 0)
            return 1;
    return 0;
}

/* Read n replies. Each call that failed on its data (WRONGTYPE, a script
 * error) sets failed[i]; an outage or a lost connection is a RETRY. */
static enum sink_rc read_replies(struct backend *b, int n, int *failed, char (*why)[256], char *err, size_t errlen)
{
    enum sink_rc rc = SINK_OK;
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(b->c, (void **)&r) != REDIS_OK) {
            snprintf(err, errlen, "Redis %s: %s", b->url, b->c->errstr);
            drop(b);
            return SINK_RETRY;
        }
        failed[i] = 0;
        if (r->type == REDIS_REPLY_ERROR) {
            if (outage_reply(r->str)) {
                if (rc == SINK_OK)
                    snprintf(err, errlen, "Redis %s: %s", b->url, r->str);
                rc = SINK_RETRY;
            } else {
                failed[i] = 1;
                if (why)
                    snprintf(why[i], 256, "Redis rejected the record: %s", r->str);
            }
        }
        freeReplyObject(r);
    }
    if (rc != SINK_OK)
        drop(b); /* reconnect, which loads the script again */
    return rc;
}

static enum sink_rc write_redis(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    enum sink_rc rc = connect_redis(b, err, errlen);
    if (rc != SINK_OK)
        return rc;
    struct call *call = malloc(sizeof *call);
    struct summary *s = malloc(sizeof *s * (size_t)(batch->n ? batch->n : 1));
    int *idx = malloc(sizeof *idx * (size_t)(batch->n ? batch->n : 1));
    int ncalls = (batch->n + PER_CALL - 1) / PER_CALL;
    int *failed = calloc((size_t)(ncalls > batch->n ? ncalls : batch->n) + 1, sizeof *failed);
    int *first = calloc((size_t)ncalls + 1, sizeof *first);
    if (!call || !s || !idx || !failed || !first) {
        snprintf(err, errlen, "out of memory");
        rc = SINK_RETRY;
        goto out;
    }
    int live = 0;
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        if (summary_decode(r->value, r->len, &s[i], r->why, sizeof r->why) < 0)
            r->dead = SINK_DEAD_DECODE;
        else
            idx[live++] = i;
    }
    /* One pipeline of calls of up to PER_CALL records each. */
    int queued = 0;
    for (int k = 0; k < live; k += PER_CALL) {
        first[queued++] = k;
        append_call(b, call, batch, s, idx + k, live - k < PER_CALL ? live - k : PER_CALL);
    }
    first[queued] = live;
    if ((rc = read_replies(b, queued, failed, NULL, err, errlen)) != SINK_OK)
        goto out;
    /* A call that failed on its data stopped part-way (a script is not
     * rolled back): write its records one call each (the writes are
     * idempotent), and the ones Redis still rejects are dead letters. */
    for (int c = 0; c < queued; c++) {
        if (!failed[c])
            continue;
        int from = first[c], to = first[c + 1];
        int *one = calloc((size_t)(to - from), sizeof *one);
        char(*why)[256] = calloc((size_t)(to - from), sizeof *why);
        if (!one || !why) {
            free(one);
            free(why);
            snprintf(err, errlen, "out of memory");
            rc = SINK_RETRY;
            goto out;
        }
        for (int k = from; k < to; k++)
            append_call(b, call, batch, s, idx + k, 1);
        rc = read_replies(b, to - from, one, why, err, errlen);
        for (int k = from; rc == SINK_OK && k < to; k++)
            if (one[k - from]) {
                struct sink_record *r = &batch->r[idx[k]];
                r->dead = SINK_DEAD_STORE;
                snprintf(r->why, sizeof r->why, "%s", why[k - from]);
            }
        free(one);
        free(why);
        if (rc != SINK_OK)
            goto out;
    }
    for (int i = 0; i < batch->n; i++)
        if (!batch->r[i].dead) {
            b->rows++;
            b->bytes += (int64_t)batch->r[i].len;
        }
out:
    free(call);
    free(s);
    free(idx);
    free(failed);
    free(first);
    return rc;
}

static enum sink_rc flush_redis(struct backend *b, int64_t now_ms, int force, char *err, size_t errlen)
{
    (void)b, (void)now_ms, (void)force, (void)err, (void)errlen;
    return SINK_OK;
}

static void close_redis(struct backend *b)
{
    if (!b)
        return;
    drop(b);
    free(b);
}

static void stats_redis(struct backend *b, int64_t *written, int64_t *bytes)
{
    *written = b->rows;
    *bytes = b->bytes;
}

const struct backend_ops backend_redis = {
    .name = "redis",
    .matches = matches,
    .check = check_redis,
    .open = open_redis,
    .write = write_redis,
    .flush = flush_redis,
    .pending_from = NULL,
    .close = close_redis,
    .stats = stats_redis,
};
