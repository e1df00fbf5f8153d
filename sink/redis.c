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
 * Every write is idempotent. A batch is coalesced in C and written in two
 * pipelines: first, per unicorn, its latest summary of the batch through a
 * small Lua script (the never-move-back compare: HSET only if the stored
 * StatusTime is not later), per record ZREMRANGEBYSCORE + ZADD of its
 * minute, per unicorn one trim to the latest 60; then, once all of that
 * succeeded, one SADD of the batch's names and a PUBLISH per record. So a
 * record costs Redis two plain commands and a publish, not seven calls
 * inside Lua. Errors: a lost connection or an error reply that means the
 * server is away or busy (LOADING, BUSY, NOSCRIPT, OOM, ...) is an outage
 * (RETRY); any other error reply is about the data (WRONGTYPE on a key
 * someone else wrote, say): the batch is then written again record by
 * record with the full per-record script (what it wrote already is written
 * again, idempotently), and the records Redis still rejects become dead
 * letters. */
#include "backend.h"

#include "rf_hash.h"
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

/* The coalesced path's hash update. KEYS: unicorn:<Name> per unicorn. ARGV:
 * per unicorn Name, StatusTime, Distance, MinMagicPoints, MaxMagicPoints,
 * MinHealthPoints, MaxHealthPoints. */
static const char hash_script[] =
    "for i = 1, #KEYS do\n"
    "  local a = (i - 1) * 7\n"
    "  local cur = redis.call('HGET', KEYS[i], 'StatusTime')\n"
    "  if (not cur) or cur <= ARGV[a + 2] then\n"
    "    redis.call('HSET', KEYS[i], 'Name', ARGV[a + 1], 'StatusTime', ARGV[a + 2], 'Distance', ARGV[a + 3],\n"
    "      'MinMagicPoints', ARGV[a + 4], 'MaxMagicPoints', ARGV[a + 5], 'MinHealthPoints', ARGV[a + 6],\n"
    "      'MaxHealthPoints', ARGV[a + 7])\n"
    "  end\n"
    "end\n"
    "return #KEYS\n";

/* A batch's unicorns, kept between batches so that a batch allocates
 * nothing once the arrays have grown to the batch size. */
struct unicorn {
    int latest;       /* index of its latest summary in the batch */
    size_t hkey, zkey; /* offsets of "unicorn:<Name>" and "unicorn:<Name>:minutes" in keys */
};
struct coalesce {
    struct summary *s;   /* decoded, per record */
    int *live;           /* indexes of the decoded records */
    int *uni_of;         /* per record: its unicorn */
    struct unicorn *uni;
    int *slot;           /* name hash table: unicorn + 1, 0 = empty */
    size_t nslot;
    char *keys;
    size_t keys_len, keys_cap;
    char (*num)[6][32];  /* per record: score, Distance and the four points as text */
    int cap;             /* records the arrays hold */
};

struct backend {
    struct rf_redisurl u;
    char url[600]; /* for messages: without the password */
    redisContext *c;
    char sha[64], hash_sha[64];
    struct coalesce co;
    struct call *call; /* argument vectors, allocated once */
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
    const char *src[2] = {script, hash_script};
    char *sha[2] = {b->sha, b->hash_sha};
    for (int i = 0; i < 2; i++) {
        redisReply *r = redisCommand(b->c, "SCRIPT LOAD %s", src[i]);
        if (!r || r->type != REDIS_REPLY_STRING) {
            snprintf(err, errlen, "Redis %s: cannot load the write script: %s", b->url,
                     r && r->type == REDIS_REPLY_ERROR ? r->str : b->c->errstr);
            if (r)
                freeReplyObject(r);
            drop(b);
            return SINK_RETRY;
        }
        snprintf(sha[i], sizeof b->sha, "%s", r->str);
        freeReplyObject(r);
    }
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
 * error) sets failed[i] (when failed is given; why[i] says why, when why
 * is) and *any (when given); an outage or a lost connection is a RETRY,
 * with err. */
static enum sink_rc read_replies(struct backend *b, int n, int *failed, char (*why)[256], int *any, char *err,
                                 size_t errlen)
{
    enum sink_rc rc = SINK_OK;
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(b->c, (void **)&r) != REDIS_OK) {
            snprintf(err, errlen, "Redis %s: %s", b->url, b->c->errstr);
            drop(b);
            return SINK_RETRY;
        }
        if (failed)
            failed[i] = 0;
        if (r->type == REDIS_REPLY_ERROR) {
            if (outage_reply(r->str)) {
                if (rc == SINK_OK)
                    snprintf(err, errlen, "Redis %s: %s", b->url, r->str);
                rc = SINK_RETRY;
            } else {
                if (failed)
                    failed[i] = 1;
                if (any)
                    *any = 1;
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

/* The batch record by record with the full per-record script (calls of up
 * to PER_CALL records, then one record per call for a call that failed on
 * its data): the path for batches Redis rejects part of. */
static enum sink_rc write_each(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    enum sink_rc rc = SINK_OK;
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
    if ((rc = read_replies(b, queued, failed, NULL, NULL, err, errlen)) != SINK_OK)
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
        rc = read_replies(b, to - from, one, why, NULL, err, errlen);
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
out:
    free(call);
    free(s);
    free(idx);
    free(failed);
    free(first);
    return rc;
}

static int co_grow(struct coalesce *co, int n)
{
    if (n <= co->cap)
        return 0;
    size_t nslot = 16;
    while (nslot < (size_t)n * 2)
        nslot <<= 1;
    struct summary *s = realloc(co->s, (size_t)n * sizeof *s);
    if (s)
        co->s = s;
    int *live = realloc(co->live, (size_t)n * sizeof *live);
    if (live)
        co->live = live;
    int *uni_of = realloc(co->uni_of, (size_t)n * sizeof *uni_of);
    if (uni_of)
        co->uni_of = uni_of;
    struct unicorn *uni = realloc(co->uni, (size_t)n * sizeof *uni);
    if (uni)
        co->uni = uni;
    int *slot = realloc(co->slot, nslot * sizeof *slot);
    if (slot)
        co->slot = slot, co->nslot = nslot;
    char(*num)[6][32] = realloc(co->num, (size_t)n * sizeof *num);
    if (num)
        co->num = num;
    if (!s || !live || !uni_of || !uni || !slot || !num)
        return -1;
    co->cap = n;
    return 0;
}

static void co_free(struct coalesce *co)
{
    free(co->s);
    free(co->live);
    free(co->uni_of);
    free(co->uni);
    free(co->slot);
    free(co->num);
    free(co->keys);
    memset(co, 0, sizeof *co);
}

/* Append "unicorn:<encoded>" plus suffix to the key buffer; its offset, or
 * (size_t)-1 out of memory. */
static size_t key_put(struct coalesce *co, const char *enc, size_t elen, const char *suffix)
{
    size_t need = 8 + elen + strlen(suffix) + 1;
    if (co->keys_len + need > co->keys_cap) {
        size_t cap = co->keys_cap ? co->keys_cap * 2 : 65536;
        while (cap < co->keys_len + need)
            cap *= 2;
        char *k = realloc(co->keys, cap);
        if (!k)
            return (size_t)-1;
        co->keys = k;
        co->keys_cap = cap;
    }
    size_t at = co->keys_len;
    co->keys_len += (size_t)sprintf(co->keys + at, "unicorn:%.*s%s", (int)elen, enc, suffix) + 1;
    return at;
}

/* Group the decoded records by unicorn: each unicorn's latest summary (a
 * later one of the same minute wins, as applied in order), its keys. The
 * number of unicorns, or -1 out of memory. */
static int co_group(struct coalesce *co, int nlive)
{
    memset(co->slot, 0, co->nslot * sizeof *co->slot);
    co->keys_len = 0;
    size_t mask = co->nslot - 1;
    int nu = 0;
    for (int k = 0; k < nlive; k++) {
        int i = co->live[k];
        const struct summary *x = &co->s[i];
        size_t h = (size_t)rf_hash_str(RF_HASH_INIT, x->name) & mask;
        int u = -1;
        for (; co->slot[h]; h = (h + 1) & mask)
            if (strcmp(co->s[co->uni[co->slot[h] - 1].latest].name, x->name) == 0) {
                u = co->slot[h] - 1;
                break;
            }
        if (u < 0) {
            char enc[3 * 256 + 1];
            size_t el = rf_rediskey_name(x->name, strlen(x->name), enc, sizeof enc);
            u = nu++;
            co->slot[h] = u + 1;
            co->uni[u].latest = i;
            if ((co->uni[u].hkey = key_put(co, enc, el, "")) == (size_t)-1 ||
                (co->uni[u].zkey = key_put(co, enc, el, ":minutes")) == (size_t)-1)
                return -1;
        } else if (x->status_ms >= co->s[co->uni[u].latest].status_ms) {
            co->uni[u].latest = i;
        }
        co->uni_of[i] = u;
    }
    return nu;
}

#define CMD(...)                                                                                                   \
    do {                                                                                                           \
        const char *av_[] = {__VA_ARGS__};                                                                         \
        redisAppendCommandArgv(b->c, (int)(sizeof av_ / sizeof *av_), av_, NULL);                                  \
        sent++;                                                                                                    \
    } while (0)

/* The first pipeline: hashes (compare and set, in calls of PER_CALL
 * unicorns), each record's minute, one trim per unicorn. Returns the
 * number of commands appended. */
static int append_state(struct backend *b, struct call *call, const struct sink_batch *batch, int nlive, int nu)
{
    struct coalesce *co = &b->co;
    int sent = 0;
    char numkeys[16], keepneg[16];
    snprintf(keepneg, sizeof keepneg, "%d", -KEEP_MINUTES - 1);
    for (int u0 = 0; u0 < nu; u0 += PER_CALL) {
        int m = nu - u0 < PER_CALL ? nu - u0 : PER_CALL, k = 0;
        snprintf(numkeys, sizeof numkeys, "%d", m);
        call->argv[k++] = "EVALSHA";
        call->argv[k++] = b->hash_sha;
        call->argv[k++] = numkeys;
        for (int u = u0; u < u0 + m; u++)
            call->argv[k++] = co->keys + co->uni[u].hkey;
        for (int u = u0; u < u0 + m; u++) {
            int i = co->uni[u].latest;
            call->argv[k++] = co->s[i].name;
            call->argv[k++] = co->s[i].status_time;
            for (int f = 1; f < 6; f++)
                call->argv[k++] = co->num[i][f];
        }
        redisAppendCommandArgv(b->c, k, call->argv, NULL);
        sent++;
    }
    for (int q = 0; q < nlive; q++) {
        int i = co->live[q];
        const char *z = co->keys + co->uni[co->uni_of[i]].zkey, *score = co->num[i][0];
        CMD("ZREMRANGEBYSCORE", z, score, score);
        const char *av[] = {"ZADD", z, score, batch->r[i].value};
        size_t al[] = {4, strlen(z), strlen(score), batch->r[i].len}; /* the JSON as it came */
        redisAppendCommandArgv(b->c, 4, av, al);
        sent++;
    }
    for (int u = 0; u < nu; u++)
        CMD("ZREMRANGEBYRANK", co->keys + co->uni[u].zkey, "0", keepneg);
    return sent;
}

/* The second pipeline: the names (SADD in calls of PER_CALL), a publish
 * per record. Returns the number of commands appended. */
static int append_news(struct backend *b, struct call *call, const struct sink_batch *batch, int nlive, int nu)
{
    struct coalesce *co = &b->co;
    int sent = 0;
    for (int u0 = 0; u0 < nu; u0 += PER_CALL) {
        int m = nu - u0 < PER_CALL ? nu - u0 : PER_CALL, k = 0;
        call->argv[k++] = "SADD";
        call->argv[k++] = "unicorns";
        for (int u = u0; u < u0 + m; u++)
            call->argv[k++] = co->s[co->uni[u].latest].name;
        redisAppendCommandArgv(b->c, k, call->argv, NULL);
        sent++;
    }
    for (int q = 0; q < nlive; q++) {
        int i = co->live[q];
        const char *av[] = {"PUBLISH", "rydeflow:summaries", batch->r[i].value};
        size_t al[] = {7, 18, batch->r[i].len};
        redisAppendCommandArgv(b->c, 3, av, al);
        sent++;
    }
    return sent;
}
#undef CMD

static enum sink_rc write_redis(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    enum sink_rc rc = connect_redis(b, err, errlen);
    if (rc != SINK_OK)
        return rc;
    struct coalesce *co = &b->co;
    if (co_grow(co, batch->n) < 0 || (!b->call && !(b->call = malloc(sizeof *b->call)))) {
        snprintf(err, errlen, "out of memory");
        return SINK_RETRY;
    }
    int nlive = 0;
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        if (summary_decode(r->value, r->len, &co->s[i], r->why, sizeof r->why) < 0) {
            r->dead = SINK_DEAD_DECODE;
            continue;
        }
        co->live[nlive++] = i;
        const struct summary *x = &co->s[i];
        snprintf(co->num[i][0], 32, "%lld", (long long)x->status_ms);
        snprintf(co->num[i][1], 32, "%.17g", x->distance);
        snprintf(co->num[i][2], 32, "%lld", x->min_magic);
        snprintf(co->num[i][3], 32, "%lld", x->max_magic);
        snprintf(co->num[i][4], 32, "%lld", x->min_health);
        snprintf(co->num[i][5], 32, "%lld", x->max_health);
    }
    int nu = co_group(co, nlive);
    if (nu < 0) {
        snprintf(err, errlen, "out of memory");
        return SINK_RETRY;
    }
    int data_error = 0;
    if (nlive > 0) {
        rc = read_replies(b, append_state(b, b->call, batch, nlive, nu), NULL, NULL, &data_error, err, errlen);
        if (rc == SINK_OK && !data_error)
            rc = read_replies(b, append_news(b, b->call, batch, nlive, nu), NULL, NULL, &data_error, err, errlen);
        if (rc == SINK_OK && data_error)
            rc = write_each(b, batch, err, errlen);
    }
    if (rc == SINK_OK)
        for (int i = 0; i < batch->n; i++)
            if (!batch->r[i].dead) {
                b->rows++;
                b->bytes += (int64_t)batch->r[i].len;
            }
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
    co_free(&b->co);
    free(b->call);
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
