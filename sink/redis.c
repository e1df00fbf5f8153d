/* redis.c - the Redis destination: the fleet's latest state and recent
 * minutes, for the dashboard and anyone with redis-cli.
 *
 * Key layout (docs/operations.md):
 *   unicorn:<Name>          hash: the latest summary (fields as in the record:
 *                           Name, StatusTime, Distance, MinMagicPoints, ...);
 *                           only replaced by a summary of the same or a later
 *                           minute, so replays and late arrivals never move it back
 *   unicorn:<Name>:minutes  sorted set: score = the minute (ms since the epoch),
 *                           member = the summary's JSON; one member per minute,
 *                           the latest 60 minutes
 *   unicorns                set of every Name seen
 *   channel rydeflow:summaries   each summary's JSON is published here as written
 * Every write is idempotent (a Lua script per record does the compare and the
 * per-minute replace atomically), and a batch is one pipeline. */
#include "backend.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_MINUTES 60

/* KEYS: unicorn:<Name>, unicorn:<Name>:minutes, unicorns.
 * ARGV: Name, StatusTime, score, json, keep, then field/value pairs. */
static const char script[] =
    "local cur = redis.call('HGET', KEYS[1], 'StatusTime')\n"
    "if (not cur) or cur <= ARGV[2] then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], ARGV[3], ARGV[3])\n"
    "redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])\n"
    "redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[5]) - 1)\n"
    "redis.call('SADD', KEYS[3], ARGV[1])\n"
    "return 1\n";

struct backend {
    char host[256];
    int port;
    char url[300];
    redisContext *c;
    char sha[64];
    int64_t rows, bytes;
};

static int matches(const char *url) { return strncmp(url, "redis://", 8) == 0; }

static struct backend *open_redis(const char *url, const struct sink_options *opt, char *err, size_t errlen)
{
    (void)opt;
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(b->url, sizeof b->url, "%s", url);
    const char *h = url + 8, *colon = strrchr(h, ':');
    char *end = NULL;
    b->port = colon ? (int)strtol(colon + 1, &end, 10) : 6379;
    size_t hl = colon ? (size_t)(colon - h) : strcspn(h, "/");
    if (hl == 0 || hl >= sizeof b->host || b->port <= 0 || b->port > 65535 || (end && *end && *end != '/')) {
        snprintf(err, errlen, "%s: expected redis://HOST:PORT", url);
        free(b);
        return NULL;
    }
    memcpy(b->host, h, hl);
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
    struct timeval tv = {5, 0};
    b->c = redisConnectWithTimeout(b->host, b->port, tv);
    if (!b->c || b->c->err) {
        snprintf(err, errlen, "Redis %s: %s", b->url, b->c ? b->c->errstr : "cannot connect");
        drop(b);
        return SINK_RETRY;
    }
    redisSetTimeout(b->c, tv);
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

static enum sink_rc write_redis(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    enum sink_rc rc = connect_redis(b, err, errlen);
    if (rc != SINK_OK)
        return rc;
    int queued = 0;
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        struct summary s;
        if (r->dead)
            continue;
        if (summary_decode(r->value, r->len, &s, r->why, sizeof r->why) < 0) {
            r->dead = 1;
            continue;
        }
        char k1[300], k2[320], score[32], keep[16], dist[40], v[4][24];
        snprintf(k1, sizeof k1, "unicorn:%s", s.name);
        snprintf(k2, sizeof k2, "unicorn:%s:minutes", s.name);
        snprintf(score, sizeof score, "%lld", (long long)s.status_ms);
        snprintf(keep, sizeof keep, "%d", KEEP_MINUTES);
        snprintf(dist, sizeof dist, "%.17g", s.distance);
        snprintf(v[0], sizeof v[0], "%lld", s.min_magic);
        snprintf(v[1], sizeof v[1], "%lld", s.max_magic);
        snprintf(v[2], sizeof v[2], "%lld", s.min_health);
        snprintf(v[3], sizeof v[3], "%lld", s.max_health);
        const char *argv[] = {"EVALSHA", b->sha, "3", k1, k2, "unicorns", s.name, s.status_time, score, "", keep,
                              "Name", s.name, "StatusTime", s.status_time, "Distance", dist, "MinMagicPoints", v[0],
                              "MaxMagicPoints", v[1], "MinHealthPoints", v[2], "MaxHealthPoints", v[3]};
        size_t argl[sizeof argv / sizeof *argv];
        for (size_t k = 0; k < sizeof argv / sizeof *argv; k++)
            argl[k] = strlen(argv[k]);
        argv[9] = r->value; /* the JSON as it came */
        argl[9] = r->len;
        redisAppendCommandArgv(b->c, (int)(sizeof argv / sizeof *argv), argv, argl);
        const char *pub[] = {"PUBLISH", "rydeflow:summaries", r->value};
        size_t publ[] = {7, 18, r->len};
        redisAppendCommandArgv(b->c, 3, pub, publ);
        queued += 2;
    }
    rc = SINK_OK;
    for (int i = 0; i < queued; i++) {
        redisReply *r = NULL;
        if (redisGetReply(b->c, (void **)&r) != REDIS_OK) {
            snprintf(err, errlen, "Redis %s: %s", b->url, b->c->errstr);
            drop(b);
            return SINK_RETRY;
        }
        if (r->type == REDIS_REPLY_ERROR && rc == SINK_OK) {
            /* NOSCRIPT after a Redis restart, or a write error: write the batch again */
            snprintf(err, errlen, "Redis %s: %s", b->url, r->str);
            rc = SINK_RETRY;
        }
        freeReplyObject(r);
    }
    if (rc != SINK_OK) {
        drop(b); /* reconnect, which loads the script again */
        return rc;
    }
    for (int i = 0; i < batch->n; i++)
        if (!batch->r[i].dead) {
            b->rows++;
            b->bytes += (int64_t)batch->r[i].len;
        }
    return SINK_OK;
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
    .open = open_redis,
    .write = write_redis,
    .flush = flush_redis,
    .pending_from = NULL,
    .close = close_redis,
    .stats = stats_redis,
};
