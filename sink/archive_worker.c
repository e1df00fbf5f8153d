/* archive_worker.c - the archive's worker threads: gzip and store closed
 * objects, one job per thread at a time (see archive_worker.h). */
#include "archive_worker.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 4

enum state { EMPTY, BUSY, FAILED };

/* One worker thread and its job. The fields of the job are set under mu
 * with the state; while BUSY only the thread touches the buffers. */
struct slot {
    struct aworker *w;
    pthread_t thread;
    enum state state;
    int32_t p;
    int64_t first_offset;
    char dir[512], name[512];
    char *raw;
    size_t len, cap;
    char err[512];
    /* the thread's own: the compressor and its output, kept between jobs */
    struct libdeflate_compressor *gz;
    char *gzbuf;
    size_t gzcap;
};

struct aworker {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job handed over, a job finished, or stop */
    aworker_put_fn put;
    void *ctx;
    int stop;
    struct slot slots[MAX_WORKERS];
    int n;
    char *spare[MAX_WORKERS]; /* stored jobs' buffers, for the caller's next objects */
    size_t spare_cap[MAX_WORKERS];
    int nspare;
    int64_t objects, bytes;
};

/* gzip at level 1 with libdeflate (whole buffers, about three times zlib's
 * speed at its level 1 for a similar size), then put. */
static int run_job(struct slot *s, char *err, size_t errlen)
{
    if (!s->gz && !(s->gz = libdeflate_alloc_compressor(1))) {
        snprintf(err, errlen, "out of memory compressing %.400s", s->name);
        return -1;
    }
    size_t bound = libdeflate_gzip_compress_bound(s->gz, s->len);
    if (bound > s->gzcap) {
        char *nb = realloc(s->gzbuf, bound);
        if (!nb) {
            snprintf(err, errlen, "out of memory compressing %.400s", s->name);
            return -1;
        }
        s->gzbuf = nb;
        s->gzcap = bound;
    }
    size_t n = libdeflate_gzip_compress(s->gz, s->raw, s->len, s->gzbuf, s->gzcap);
    if (!n) {
        snprintf(err, errlen, "cannot compress %.400s", s->name);
        return -1;
    }
    return s->w->put(s->w->ctx, s->dir, s->name, s->gzbuf, n, err, errlen);
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
        int rc = run_job(s, err, sizeof err);
        pthread_mutex_lock(&w->mu);
        if (rc == 0) {
            w->objects++;
            w->bytes += (int64_t)s->len;
            if (w->nspare < MAX_WORKERS) {
                w->spare[w->nspare] = s->raw;
                w->spare_cap[w->nspare++] = s->cap;
            } else {
                free(s->raw);
            }
            s->raw = NULL;
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
    /* one thread per core: the objects a partition set closes together
     * (at an hour's end, at shutdown) are compressed side by side */
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

int aworker_submit(struct aworker *w, int32_t p, int64_t first_offset, const char *dir, const char *name, char **raw,
                   size_t *cap, size_t len, char *err, size_t errlen)
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

int aworker_retry(struct aworker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    int any = 0;
    for (int i = 0; i < w->n; i++)
        if (w->slots[i].state == FAILED) {
            w->slots[i].state = BUSY;
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
    for (int i = 0; i < w->n; i++) {
        struct slot *s = &w->slots[i];
        pthread_join(s->thread, NULL);
        free(s->raw);
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
