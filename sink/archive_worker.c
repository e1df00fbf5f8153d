/* archive_worker.c - the archive's second thread: gzip and store one object
 * at a time (see archive_worker.h). */
#include "archive_worker.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state { EMPTY, BUSY, FAILED };

struct aworker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job handed over, a job finished, or stop */
    aworker_put_fn put;
    void *ctx;
    /* the job, guarded by mu while BUSY is being set or cleared; the worker
     * alone touches its buffers while BUSY */
    enum state state;
    int stop;
    int32_t p;
    int64_t first_offset;
    char dir[512], name[512];
    char *raw;
    size_t len, cap;
    char err[512];
    char *spare; /* a stored job's buffer, for the caller's next object */
    size_t spare_cap;
    /* the worker's own: the compressor and its output, kept between jobs */
    struct libdeflate_compressor *gz;
    char *gzbuf;
    size_t gzcap;
    int64_t objects, bytes;
};

/* gzip at level 1 with libdeflate (whole buffers, about three times zlib's
 * speed at its level 1 for a similar size), then put. */
static int run_job(struct aworker *w, char *err, size_t errlen)
{
    if (!w->gz && !(w->gz = libdeflate_alloc_compressor(1))) {
        snprintf(err, errlen, "out of memory compressing %.400s", w->name);
        return -1;
    }
    size_t bound = libdeflate_gzip_compress_bound(w->gz, w->len);
    if (bound > w->gzcap) {
        char *nb = realloc(w->gzbuf, bound);
        if (!nb) {
            snprintf(err, errlen, "out of memory compressing %.400s", w->name);
            return -1;
        }
        w->gzbuf = nb;
        w->gzcap = bound;
    }
    size_t n = libdeflate_gzip_compress(w->gz, w->raw, w->len, w->gzbuf, w->gzcap);
    if (!n) {
        snprintf(err, errlen, "cannot compress %.400s", w->name);
        return -1;
    }
    return w->put(w->ctx, w->dir, w->name, w->gzbuf, n, err, errlen);
}

static void *worker_main(void *arg)
{
    struct aworker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->state != BUSY && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->state != BUSY)
            break; /* stopped with nothing to do */
        pthread_mutex_unlock(&w->mu);
        char err[512];
        int rc = run_job(w, err, sizeof err);
        pthread_mutex_lock(&w->mu);
        if (rc == 0) {
            w->objects++;
            w->bytes += (int64_t)w->len;
            if (!w->spare) {
                w->spare = w->raw;
                w->spare_cap = w->cap;
            } else {
                free(w->raw);
            }
            w->raw = NULL;
            w->state = EMPTY;
        } else {
            snprintf(w->err, sizeof w->err, "%s", err);
            w->state = FAILED;
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
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

int aworker_wait(struct aworker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    while (w->state == BUSY)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->state == FAILED ? -1 : 0;
    if (rc < 0)
        snprintf(err, errlen, "%s", w->err);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int aworker_submit(struct aworker *w, int32_t p, int64_t first_offset, const char *dir, const char *name, char **raw,
                   size_t *cap, size_t len, char *err, size_t errlen)
{
    if (aworker_wait(w, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&w->mu);
    w->p = p;
    w->first_offset = first_offset;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->raw = *raw;
    w->cap = *cap;
    w->len = len;
    *raw = w->spare;
    *cap = w->spare_cap;
    w->spare = NULL;
    w->spare_cap = 0;
    w->state = BUSY;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int aworker_retry(struct aworker *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    if (w->state == FAILED) {
        w->state = BUSY;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return aworker_wait(w, err, errlen);
}

int64_t aworker_pending_from(const struct aworker *w, int32_t p)
{
    struct aworker *m = (struct aworker *)w; /* the lock only */
    pthread_mutex_lock(&m->mu);
    int64_t r = w->state != EMPTY && w->p == p ? w->first_offset : -1;
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
    if (w->state == FAILED)
        w->state = EMPTY; /* dropped: its offsets were never committed */
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->raw);
    free(w->spare);
    if (w->gz)
        libdeflate_free_compressor(w->gz);
    free(w->gzbuf);
    free(w);
}
