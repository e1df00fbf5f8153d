/* archive_prefetch.c - decompress archive objects on worker threads, ahead of
 * the thread that runs the query (see archive.h). Inflating gzip is most of
 * the cost of a scan, and it parallelises per object. */
#include "archive.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum slot_state { SLOT_PENDING, SLOT_READY, SLOT_FAILED };

struct slot {
    enum slot_state state;
    char *data;
    size_t len;
    char err[512];
};

struct archive_prefetch {
    char **paths;
    int n, window;
    struct slot *slots; /* one per object; data lives only inside the window */
    int next_claim;     /* the next object a worker may take */
    int consumed;       /* objects handed to the reader so far */
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t *threads;
    int nthreads;
};

/* Inflate a whole object into memory. Returns 0, or -1 with err. */
int archive_load(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    if (strncmp(path, "s3://", 5) == 0)
        return archive_load_s3(path, out, outlen, err, errlen);
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    gzbuffer(gz, 256 * 1024);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        if (cap - len < (1 << 16)) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        int got = gzread(gz, buf + len, (unsigned)(cap - len));
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            long line = 1;
            for (size_t i = 0; i < len; i++)
                line += buf[i] == '\n';
            snprintf(err, errlen, "%s: line %ld: corrupt gzip data: %s", path, line, msg);
            rc = -1;
            break;
        }
        if (got == 0) {
            int zerr;
            gzerror(gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                snprintf(err, errlen, "%s: truncated or corrupt gzip data", path);
                rc = -1;
            }
            break;
        }
        len += (size_t)got;
    }
    gzclose(gz);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (rc < 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

static void *worker(void *arg)
{
    struct archive_prefetch *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->next_claim < p->n && p->next_claim >= p->consumed + p->window)
            pthread_cond_wait(&p->changed, &p->lock);
        if (p->stop || p->next_claim >= p->n)
            break;
        int i = p->next_claim++;
        pthread_mutex_unlock(&p->lock);
        struct slot s = {.state = SLOT_READY};
        if (archive_load(p->paths[i], &s.data, &s.len, s.err, sizeof s.err) < 0)
            s.state = SLOT_FAILED;
        pthread_mutex_lock(&p->lock);
        p->slots[i] = s;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct archive_prefetch *archive_prefetch_start(char **paths, int n, int threads, int window, char *err,
                                                size_t errlen)
{
    struct archive_prefetch *p = calloc(1, sizeof *p);
    if (!p || !(p->slots = calloc((size_t)(n ? n : 1), sizeof *p->slots)) ||
        !(p->threads = calloc((size_t)(threads > 0 ? threads : 1), sizeof *p->threads))) {
        if (p)
            free(p->slots);
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->paths = paths;
    p->n = n;
    p->window = window > threads ? window : threads + 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    for (int i = 0; i < (threads > 0 ? threads : 1); i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        snprintf(err, errlen, "cannot start reader threads");
        archive_prefetch_stop(p);
        return NULL;
    }
    return p;
}

int archive_prefetch_next(struct archive_prefetch *p, const char **data, size_t *len, int *index, char *err,
                          size_t errlen)
{
    pthread_mutex_lock(&p->lock);
    if (p->consumed > 0) { /* the reader is done with the previous object */
        struct slot *prev = &p->slots[p->consumed - 1];
        free(prev->data);
        prev->data = NULL;
    }
    if (p->consumed >= p->n) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    int i = p->consumed;
    while (p->slots[i].state == SLOT_PENDING)
        pthread_cond_wait(&p->changed, &p->lock);
    p->consumed++;
    pthread_cond_broadcast(&p->changed); /* the window moved */
    struct slot *s = &p->slots[i];
    pthread_mutex_unlock(&p->lock);
    if (s->state == SLOT_FAILED) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    *data = s->data;
    *len = s->len;
    *index = i;
    return 1;
}

void archive_prefetch_stop(struct archive_prefetch *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    for (int i = 0; i < p->n; i++)
        free(p->slots[i].data);
    free(p->slots);
    free(p->threads);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p);
}
