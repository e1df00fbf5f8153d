/* test_archive_worker.c - the archive's workers (sink/archive_worker.c):
 * an object compressed chunk by chunk is stored as gzip members that read
 * back as the NDJSON handed over, in order; a failed put is kept, holds its
 * partition's offsets back and is stored by the retry; a dropped object is
 * never stored; many objects on several partitions at once each read back
 * whole. */
#include "archive_worker.h"
#include "test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

/* What put received: one stored object per name. */
#define MAX_STORED 64
static struct stored {
    char name[64];
    char *data;
    size_t len;
} stored[MAX_STORED];
static int nstored, fail_puts;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int put(void *ctx, const char *dir, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    (void)ctx;
    (void)dir;
    pthread_mutex_lock(&mu);
    int fail = fail_puts > 0 ? fail_puts-- : 0;
    if (!fail && nstored < MAX_STORED) {
        struct stored *s = &stored[nstored++];
        snprintf(s->name, sizeof s->name, "%s", name);
        s->data = malloc(len);
        memcpy(s->data, data, len);
        s->len = len;
    }
    pthread_mutex_unlock(&mu);
    if (fail)
        snprintf(err, errlen, "store refused %s", name);
    return fail ? -1 : 0;
}

static void reset(void)
{
    for (int i = 0; i < nstored; i++)
        free(stored[i].data);
    nstored = 0;
    fail_puts = 0;
}

static const struct stored *find(const char *name)
{
    for (int i = 0; i < nstored; i++)
        if (strcmp(stored[i].name, name) == 0)
            return &stored[i];
    return NULL;
}

/* The gzip members of gz inflated one after another, as gzip -d reads
 * them; NULL when any is corrupt. *n: the bytes, *members: how many. */
static char *gunzip(const char *gz, size_t len, size_t *n, int *members)
{
    size_t cap = len * 8 + 64;
    char *out = malloc(cap);
    z_stream z = {0};
    inflateInit2(&z, 16 + MAX_WBITS);
    z.next_in = (unsigned char *)gz;
    z.avail_in = (unsigned)len;
    *n = 0;
    *members = 0;
    while (z.avail_in > 0) {
        if (cap - *n < 65536)
            out = realloc(out, cap *= 2);
        z.next_out = (unsigned char *)out + *n;
        z.avail_out = (unsigned)(cap - *n);
        int rc = inflate(&z, Z_NO_FLUSH);
        *n = (size_t)((char *)z.next_out - out);
        if (rc == Z_STREAM_END) {
            ++*members;
            inflateReset(&z);
        } else if (rc != Z_OK) {
            free(out);
            inflateEnd(&z);
            return NULL;
        }
    }
    inflateEnd(&z);
    return out;
}

/* len bytes of NDJSON whose lines name the object, for comparison. */
static char *ndjson(const char *tag, size_t len)
{
    char *s = malloc(len);
    size_t off = 0;
    for (long i = 0; off < len; i++) {
        char line[128];
        int k = snprintf(line, sizeof line, "{\"Name\":\"%s\",\"n\":%ld,\"pad\":\"%ld\"}\n", tag, i, i * 7919 % 100003);
        size_t take = (size_t)k < len - off ? (size_t)k : len - off;
        memcpy(s + off, line, take);
        off += take;
    }
    return s;
}

/* Hand src[0..len) over as chunks of `chunk` bytes and a tail, then store. */
static int hand(struct aworker *w, struct aobject *o, int32_t p, int64_t first, const char *name, const char *src,
                size_t len, size_t chunk, char *err, size_t errlen)
{
    char *raw = NULL;
    size_t cap = 0, off = 0;
    for (;;) {
        size_t take = len - off > chunk ? chunk : len - off;
        if (take > cap) {
            free(raw);
            raw = malloc(cap = take);
        }
        memcpy(raw, src + off, take);
        off += take;
        int rc = off < len ? aworker_chunk(w, o, p, first, &raw, &cap, take, err, errlen)
                           : aworker_submit(w, o, p, first, "dir", name, &raw, &cap, take, err, errlen);
        if (rc < 0 || off == len) {
            free(raw);
            return rc;
        }
    }
}

static int same(const char *name, const char *src, size_t len, int want_members)
{
    const struct stored *s = find(name);
    if (!CHECK(s != NULL))
        return 0;
    size_t n;
    int members;
    char *back = gunzip(s->data, s->len, &n, &members);
    int ok = CHECK(back != NULL) && CHECK(n == len) && CHECK(memcmp(back, src, len) == 0);
    if (want_members > 0)
        CHECK_INT(members, want_members);
    free(back);
    return ok;
}

/* 1. Chunks of one object, of several sizes and tails (an empty tail too),
 * read back as the NDJSON handed over, one member per chunk. */
static void test_chunks(void)
{
    static const struct {
        size_t len, chunk;
        int members;
    } cases[] = {
        {1000, 4096, 1},          /* one chunk: the object is one member, as before */
        {3u << 20, 1u << 20, 3},  /* three full chunks, an empty tail */
        {5000001, 1u << 20, 5},   /* four chunks and a tail */
        {12345, 1000, 13},        /* many small members */
    };
    struct aworker *w = aworker_new(put, NULL);
    char err[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char name[32];
        snprintf(name, sizeof name, "obj-%zu", i);
        char *src = ndjson(name, cases[i].len);
        struct aobject *o = aworker_object(w);
        CHECK_INT(hand(w, o, 0, 100, name, src, cases[i].len, cases[i].chunk, err, sizeof err), 0);
        CHECK_INT(aworker_wait(w, err, sizeof err), 0);
        same(name, src, cases[i].len, cases[i].members);
        free(src);
    }
    int64_t objects, bytes;
    aworker_stats(w, &objects, &bytes);
    CHECK_INT(objects, 4);
    CHECK_INT(bytes, 1000 + (3 << 20) + 5000001 + 12345);
    CHECK_INT(aworker_pending_from(w, 0), -1);
    aworker_free(w);
    reset();
}

/* 2. A put that fails is kept: the partition's offsets stay pending, the
 * next hand-over is refused, and the retry stores the object whole. */
static void test_failed_put(void)
{
    struct aworker *w = aworker_new(put, NULL);
    char err[512] = "";
    size_t len = 3000000;
    char *src = ndjson("retry", len);
    fail_puts = 1;
    struct aobject *o = aworker_object(w);
    CHECK_INT(hand(w, o, 2, 500, "retry", src, len, 1u << 20, err, sizeof err), 0);
    CHECK_INT(aworker_wait(w, err, sizeof err), -1);
    CHECK_STR(err, "store refused retry");
    CHECK_INT(aworker_pending_from(w, 2), 500);
    CHECK_INT(aworker_pending_from(w, 1), -1);
    struct aobject *o2 = aworker_object(w);
    char *raw = malloc(10), *keep = raw;
    size_t cap = 10;
    memcpy(raw, "{\"a\":1}\n\n", 9);
    CHECK_INT(aworker_chunk(w, o2, 2, 900, &raw, &cap, 9, err, sizeof err), -1);
    CHECK(raw == keep); /* nothing handed over */
    free(raw);
    aworker_drop(w, o2);
    CHECK(find("retry") == NULL);
    CHECK_INT(aworker_retry(w, err, sizeof err), 0);
    CHECK_INT(aworker_pending_from(w, 2), -1);
    same("retry", src, len, 3);
    free(src);
    aworker_free(w);
    reset();
}

/* 3. An object dropped with its chunks in flight is never stored; one
 * still failing at aworker_free is dropped (no leak under ASAN). */
static void test_drop(void)
{
    struct aworker *w = aworker_new(put, NULL);
    char err[512];
    size_t len = 2u << 20;
    char *src = ndjson("dropped", len);
    struct aobject *o = aworker_object(w);
    char *raw = malloc(len);
    size_t cap = len;
    memcpy(raw, src, len);
    CHECK_INT(aworker_chunk(w, o, 0, 1, &raw, &cap, len, err, sizeof err), 0);
    free(raw);
    aworker_drop(w, o);
    CHECK_INT(aworker_wait(w, err, sizeof err), 0);
    CHECK_INT(nstored, 0);
    fail_puts = 100;
    o = aworker_object(w);
    CHECK_INT(hand(w, o, 0, 1, "failing", src, len, 1u << 20, err, sizeof err), 0);
    CHECK_INT(aworker_wait(w, err, sizeof err), -1);
    aworker_free(w);
    CHECK_INT(nstored, 0);
    free(src);
    reset();
}

/* 4. Objects of four partitions interleaved, chunk by chunk, all on the
 * workers at once: each reads back as its own NDJSON. */
static void test_interleaved(void)
{
    enum { PARTS = 4, CHUNKS = 6 };
    const size_t chunk = 300000;
    struct aworker *w = aworker_new(put, NULL);
    char err[512];
    char *src[PARTS], *raw[PARTS] = {0};
    size_t cap[PARTS] = {0};
    struct aobject *o[PARTS];
    for (int p = 0; p < PARTS; p++) {
        char name[32];
        snprintf(name, sizeof name, "part-%d", p);
        src[p] = ndjson(name, chunk * CHUNKS + 77);
        o[p] = aworker_object(w);
    }
    for (int c = 0; c <= CHUNKS; c++)
        for (int p = 0; p < PARTS; p++) {
            size_t take = c < CHUNKS ? chunk : 77;
            if (cap[p] < take) {
                free(raw[p]);
                raw[p] = malloc(cap[p] = take);
            }
            memcpy(raw[p], src[p] + (size_t)c * chunk, take);
            char name[32];
            snprintf(name, sizeof name, "part-%d", p);
            int rc = c < CHUNKS ? aworker_chunk(w, o[p], p, 10 * p, &raw[p], &cap[p], take, err, sizeof err)
                                : aworker_submit(w, o[p], p, 10 * p, "dir", name, &raw[p], &cap[p], take, err,
                                                 sizeof err);
            CHECK_INT(rc, 0);
        }
    CHECK_INT(aworker_wait(w, err, sizeof err), 0);
    for (int p = 0; p < PARTS; p++) {
        char name[32];
        snprintf(name, sizeof name, "part-%d", p);
        same(name, src[p], chunk * CHUNKS + 77, CHUNKS + 1);
        free(src[p]);
        free(raw[p]);
    }
    aworker_free(w);
    reset();
}

TEST_MAIN("test_archive_worker", test_chunks, test_failed_put, test_drop, test_interleaved)
