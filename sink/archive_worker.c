/* archive_worker.c - the archive's worker threads: gzip open objects chunk
 * by chunk, and store closed ones, one job per thread at a time (see
 * archive_worker.h). */
#include "archive_worker.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 4

enum state { EMPTY, BUSY, FAILED };
enum part_state { PART_PENDING, PART_DONE, PART_FAILED };

/* One gzip member. Its bytes are written by the job compressing it alone;
 * its state changes under mu. */
struct part {
    char *gz;
    size_t len;
    enum part_state st;
};

struct aobject {
    struct part *parts;
    int n, cap;
    int refs; /* the caller's (until submitted) and each unfinished job's; under mu */
};

/* One worker thread and its job. The fields of the job are set under mu
 * with the state; while BUSY only the thread touches the buffers. */
struct slot {
    struct aworker *w;
    pthread_t thread;
    enum state state;
    struct aobject *obj;
    int part;  /* the member this job compresses, or -1 (an empty last chunk) */
    int store; /* the last chunk: store the object once every member is compressed */
    int32_t p;
    int64_t first_offset;
    char dir[512], name[512];
    char *raw;
    size_t len, cap;
    char err[512];
    /* the thread's own, kept between jobs: the compressor, and the
     * buffer a stored object's members are joined in */
    struct libdeflate_compressor *gz;
    char *gzbuf;
    size_t gzcap;
};

struct aworker {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job handed over, a job or member finished, or stop */
    aworker_put_fn put;
    void *ctx;
    int stop;
    struct slot slots[MAX_WORKERS];
    int n;
    char *spare[MAX_WORKERS]; /* finished jobs' buffers, for the caller's next chunks */
    size_t spare_cap[MAX_WORKERS];
    int nspare;
    int64_t objects, bytes;
};

/* Under mu. */
static void unref(struct aobject *o)
{
    if (!o || --o->refs > 0)
        return;
    for (int i = 0; i < o->n; i++)
        free(o->parts[i].gz);
    free(o->parts);
    free(o);
}

/* gzip the job's chunk at level 1 with libdeflate (whole buffers, about
 * three times zlib's speed at its level 1 for a similar size) into its
 * member. A member already compressed (a store job run again) is kept. */
static int compress_part(struct slot *s, char *err, size_t errlen)
{
    struct aworker *w = s->w;
    pthread_mutex_lock(&w->mu);
    int todo = s->part >= 0 && s->obj->parts[s->part].st != PART_DONE;
    pthread_mutex_unlock(&w->mu);
    if (!todo)
        return 0;
    char *out = NULL;
    size_t n = 0;
    if (s->gz || (s->gz = libdeflate_alloc_compressor(1))) {
        size_t bound = libdeflate_gzip_compress_bound(s->gz, s->len);
        if ((out = malloc(bound)) && (n = libdeflate_gzip_compress(s->gz, s->raw, s->len, out, bound))) {
            char *fit = realloc(out, n); /* members wait for their object's end: keep them small */
            out = fit ? fit : out;
        }
    }
    pthread_mutex_lock(&w->mu);
    /* found again under mu: handing over the object's next chunk may
     * have moved the array */
    struct part *pt = &s->obj->parts[s->part];
    if (n) {
        free(pt->gz);
        pt->gz = out;
        pt->len = n;
        pt->st = PART_DONE;
    } else {
        free(out);
        pt->st = PART_FAILED;
    }
    pthread_cond_broadcast(&w->cv); /* a store job may wait for this member */
    pthread_mutex_unlock(&w->mu);
    if (!n)
        snprintf(err, errlen, "out of memory compressing %.400s", s->name);
    return n ? 0 : -1;
}

/* The store: wait for the object's other members (their jobs are running),
 * join them and put the object. */
static int store_object(struct slot *s, char *err, size_t errlen)
{
    struct aworker *w = s->w;
    struct aobject *o = s->obj;
    pthread_mutex_lock(&w->mu);
    int pending, failed;
    for (;;) {
        pending = failed = 0;
        for (int i = 0; i < o->n; i++) {
            pending |= o->parts[i].st == PART_PENDING;
            failed |= o->parts[i].st == PART_FAILED;
        }
        if (!pending || failed)
            break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    if (failed) {
        snprintf(err, errlen, "a chunk of %.400s could not be compressed", s->name);
        return -1;
    }
    /* every member is DONE: their bytes no longer change */
    size_t total = 0;
    for (int i = 0; i < o->n; i++)
        total += o->parts[i].len;
    if (o->n == 1)
        return w->put(w->ctx, s->dir, s->name, o->parts[0].gz, total, err, errlen);
    if (total > s->gzcap) {
        char *nb = realloc(s->gzbuf, total);
        if (!nb) {
            snprintf(err, errlen, "out of memory storing %.400s", s->name);
            return -1;
        }
        s->gzbuf = nb;
        s->gzcap = total;
    }
    size_t off = 0;
    for (int i = 0; i < o->n; i++) {
        memcpy(s->gzbuf + off, o->parts[i].gz, o->parts[i].len);
        off += o->parts[i].len;
    }
    return w->put(w->ctx, s->dir, s->name, s->gzbuf, total, err, errlen);
}

static void *worker_main(void *arg)
{
    struct slot *s = arg;
    struct aworker *w = s->w;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (s->state != BUSY && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (s->state != BUSY)
            break; /* stopped with nothing to do */
        pthread_mutex_unlock(&w->mu);
        char err[512];
        int rc = compress_part(s, err, sizeof err);
        if (rc == 0 && s->store)
            rc = store_object(s, err, sizeof err);
        pthread_mutex_lock(&w->mu);
        if (rc == 0) {
            w->objects += s->store;
            w->bytes += (int64_t)s->len;
            if (s->raw && w->nspare < MAX_WORKERS) {
                w->spare[w->nspare] = s->raw;
                w->spare_cap[w->nspare++] = s->cap;
            } else {
                free(s->raw);
            }
            s->raw = NULL;
            unref(s->obj);
            s->obj = NULL;
            s->state = EMPTY;
        } else {
            snprintf(s->err, sizeof s->err, "%s", err);
            s->state = FAILED;
        }
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct aworker *aworker_new(aworker_put_fn put, void *ctx)
{
    struct aworker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->put = put;
    w->ctx = ctx;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* one thread per core: chunks are compressed while the consumer
     * thread reads, and the objects a partition set closes together (at
     * an hour's end, at shutdown) side by side */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cores < 1 ? 1 : cores > MAX_WORKERS ? MAX_WORKERS : (int)cores;
    for (int i = 0; i < want; i++) {
        w->slots[i].w = w;
        if (pthread_create(&w->slots[i].thread, NULL, worker_main, &w->slots[i]) != 0)
            break;
        w->n++;
    }
    if (w->n == 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

struct aobject *aworker_object(struct aworker *w)
{
    (void)w;
    struct aobject *o = calloc(1, sizeof *o);
    if (o)
        o->refs = 1;
    return o;
}

void aworker_drop(struct aworker *w, struct aobject *o)
{
    pthread_mutex_lock(&w->mu);
    unref(o);
    pthread_mutex_unlock(&w->mu);
}

/* The first failed slot, or NULL. Under mu. */
static struct slot *failed(struct aworker *w)
{
    for (int i = 0; i < w->n; i++)
        if (w->slots[i].state == FAILED)
            return &w->slots[i];
    return NULL;
}

static int busy(const struct aworker *w)
{
    for (int i = 0; i < w->n; i++)
        if (w->slots[i].state == BUSY)
            return 1;
    return 0;
}

int aworker_wait(struct aworker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    while (busy(w))
        pthread_cond_wait(&w->cv, &w->mu);
    struct slot *f = failed(w);
    if (f)
        snprintf(err, errlen, "%s", f->err);
    pthread_mutex_unlock(&w->mu);
    return f ? -1 : 0;
}

/* Hand a job to a free worker (see aworker_chunk and aworker_submit). */
static int hand_over(struct aworker *w, struct aobject *o, int store, int32_t p, int64_t first_offset,
                     const char *dir, const char *name, char **raw, size_t *cap, size_t len, char *err,
                     size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    struct slot *s = NULL, *f;
    for (;;) {
        if ((f = failed(w))) {
            snprintf(err, errlen, "%s", f->err);
            pthread_mutex_unlock(&w->mu);
            return -1;
        }
        for (int i = 0; i < w->n && !s; i++)
            if (w->slots[i].state == EMPTY)
                s = &w->slots[i];
        if (s)
            break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    int part = -1;
    if (len > 0) {
        if (o->n == o->cap) {
            int ncap = o->cap ? o->cap * 2 : 8;
            struct part *np = realloc(o->parts, sizeof *np * (size_t)ncap);
            if (!np) {
                pthread_mutex_unlock(&w->mu);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            o->parts = np;
            o->cap = ncap;
        }
        part = o->n++;
        o->parts[part] = (struct part){NULL, 0, PART_PENDING};
    }
    s->obj = o;
    if (!store)
        o->refs++; /* the caller keeps its own until it submits the object */
    s->part = part;
    s->store = store;
    s->p = p;
    s->first_offset = first_offset;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->raw = *raw;
    s->cap = *cap;
    s->len = len;
    if (w->nspare > 0) {
        *raw = w->spare[--w->nspare];
        *cap = w->spare_cap[w->nspare];
    } else {
        *raw = NULL;
        *cap = 0;
    }
    s->state = BUSY;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int aworker_chunk(struct aworker *w, struct aobject *o, int32_t p, int64_t first_offset, char **raw, size_t *cap,
                  size_t len, char *err, size_t errlen)
{
    return hand_over(w, o, 0, p, first_offset, "", "a chunk", raw, cap, len, err, errlen);
}

int aworker_submit(struct aworker *w, struct aobject *o, int32_t p, int64_t first_offset, const char *dir,
                   const char *name, char **raw, size_t *cap, size_t len, char *err, size_t errlen)
{
    return hand_over(w, o, 1, p, first_offset, dir, name, raw, cap, len, err, errlen);
}

int aworker_retry(struct aworker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    int any = 0;
    for (int i = 0; i < w->n; i++) {
        struct slot *s = &w->slots[i];
        if (s->state != FAILED)
            continue;
        if (s->part >= 0 && s->obj->parts[s->part].st == PART_FAILED)
            s->obj->parts[s->part].st = PART_PENDING; /* before any store job looks again */
        s->state = BUSY;
        any = 1;
    }
    if (any)
        pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return aworker_wait(w, err, errlen);
}

int64_t aworker_pending_from(const struct aworker *w, int32_t p)
{
    struct aworker *m = (struct aworker *)w; /* the lock only */
    int64_t r = -1;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < w->n; i++) {
        const struct slot *s = &w->slots[i];
        if (s->state != EMPTY && s->p == p && (r < 0 || s->first_offset < r))
            r = s->first_offset;
    }
    pthread_mutex_unlock(&m->mu);
    return r;
}

void aworker_stats(const struct aworker *w, int64_t *objects, int64_t *bytes)
{
    struct aworker *m = (struct aworker *)w;
    pthread_mutex_lock(&m->mu);
    *objects = w->objects;
    *bytes = w->bytes;
    pthread_mutex_unlock(&m->mu);
}

void aworker_free(struct aworker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < w->n; i++)
        if (w->slots[i].state == FAILED)
            w->slots[i].state = EMPTY; /* dropped: its offsets were never committed */
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->slots[i].thread, NULL);
    for (int i = 0; i < w->n; i++) {
        struct slot *s = &w->slots[i];
        free(s->raw);
        unref(s->obj); /* the threads are gone: no lock needed */
        if (s->gz)
            libdeflate_free_compressor(s->gz);
        free(s->gzbuf);
    }
    for (int i = 0; i < w->nspare; i++)
        free(w->spare[i]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}
