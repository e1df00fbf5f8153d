/* unicorn_redis.c - /api/unicorn from the sink's Redis (see server_int.h).
 * hiredis blocks, so each lookup runs on a short-lived thread of its own and
 * hands its answer back to the loop through a pipe: a slow or unreachable
 * Redis never holds up the map's clients. */
#include "server_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"
#include "rf_rediskey.h"
#include "rf_redisurl.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unicorn's recent minutes from Redis (the sink's unicorn:<Name>:minutes),
 * as {"latest":...,"minutes":[...],"source":"redis"}; NULL when Redis cannot
 * answer (the caller falls back to what the dashboard saw on Kafka). */
static char *unicorn_from_redis(struct server *s, const char *name, size_t *len)
{
    struct rf_redisurl u;
    char err[512];
    if (!s->cfg->redis || rf_redisurl_parse(s->cfg->redis, &u, err, sizeof err) < 0)
        return NULL; /* main() checked it */
    redisContext *rc = rf_redisurl_connect(&u, 500, err, sizeof err);
    if (!rc) {
        rf_debug("%s", err);
        return NULL;
    }
    char kname[3 * 256 + 1];
    if (!rf_rediskey_name(name, strlen(name), kname, sizeof kname)) {
        redisFree(rc);
        return NULL;
    }
    redisReply *r = redisCommand(rc, "ZRANGE unicorn:%s:minutes 0 -1", kname); /* the sink's key (rf_rediskey.h) */
    char *out = NULL;
    size_t flen = 0;
    char *latest = r && r->type == REDIS_REPLY_ARRAY ? fleet_json_unicorn(s->fleet, name, &flen) : NULL;
    if (r && r->type == REDIS_REPLY_ARRAY && (r->elements > 0 || latest)) {
        struct evbuffer *b = evbuffer_new();
        /* "latest" from the live feed; minutes from Redis */
        const char *l = latest ? strstr(latest, "\"latest\":") : NULL;
        const char *e = l ? strstr(l, ",\"minutes\":") : NULL;
        if (l && e)
            evbuffer_add_printf(b, "{%.*s", (int)(e - l), l);
        else
            evbuffer_add_printf(b, "{\"latest\":null");
        evbuffer_add_printf(b, ",\"minutes\":[");
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING) {
                if (i)
                    evbuffer_add(b, ",", 1);
                evbuffer_add(b, r->element[i]->str, r->element[i]->len);
            }
        evbuffer_add_printf(b, "],\"source\":\"redis\"}");
        *len = evbuffer_get_length(b);
        out = malloc(*len + 1);
        if (out) {
            evbuffer_remove(b, out, *len);
            out[*len] = '\0';
        }
        evbuffer_free(b);
    }
    free(latest);
    if (r)
        freeReplyObject(r);
    redisFree(rc);
    return out;
}



/* ---- lookups off the loop ------------------------------------------------------------------------- */

struct redis_job {
    struct server *s;
    struct conn *c;  /* who asked; NULL once it is gone (touched by the loop only) */
    char name[256];
    char *body;      /* the worker's answer, or NULL */
    size_t len;
};

struct redis_jobs {
    int pipe[2]; /* workers write a finished job's pointer; the loop reads it */
    struct event *ev;
    int running;
};

/* Answer from what the dashboard saw on Kafka. */
static void answer_from_feed(struct conn *c, const char *name)
{
    size_t len;
    char *body = fleet_json_unicorn(c->srv->fleet, name, &len);
    if (!body)
        respond_error(c, 404, "no such unicorn");
    else
        respond(c, 200, "application/json", body, len);
    free(body);
}

static void *lookup_thread(void *arg)
{
    struct redis_job *j = arg;
    j->body = unicorn_from_redis(j->s, j->name, &j->len);
    /* a pointer is written whole: a pipe's writes up to PIPE_BUF are atomic */
    while (write(j->s->redis_jobs->pipe[1], &j, sizeof j) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* A job is back: answer its client, if it is still there. */
static void job_done(struct redis_job *j)
{
    struct server *s = j->s;
    s->redis_jobs->running--;
    if (j->c) {
        struct conn *c = j->c;
        c->lookup = NULL;
        if (j->body)
            respond(c, 200, "application/json", j->body, j->len);
        else
            answer_from_feed(c, j->name);
        bufferevent_enable(c->bev, EV_WRITE);
    }
    free(j->body);
    free(j);
}

static void on_jobs(evutil_socket_t fd, short what, void *arg)
{
    (void)what, (void)arg;
    struct redis_job *j;
    while (read(fd, &j, sizeof j) == (ssize_t)sizeof j)
        job_done(j);
}

void unicorn_lookup(struct conn *c, const char *name)
{
    struct server *s = c->srv;
    struct redis_jobs *q = s->redis_jobs;
    if (!s->cfg->redis || !q) {
        answer_from_feed(c, name);
        return;
    }
    if (q->running >= REDIS_JOBS_MAX) {
        respond_error(c, 503, "too many unicorn lookups at once: try again in a moment");
        return;
    }
    struct redis_job *j = calloc(1, sizeof *j);
    pthread_attr_t attr;
    pthread_t t;
    if (!j) {
        answer_from_feed(c, name);
        return;
    }
    j->s = s;
    j->c = c;
    snprintf(j->name, sizeof j->name, "%s", name);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, lookup_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(j);
        answer_from_feed(c, name);
        return;
    }
    q->running++;
    c->lookup = j;
}

void unicorn_lookup_forget(struct conn *c)
{
    c->lookup->c = NULL;
    c->lookup = NULL;
}

int unicorn_lookups_init(struct server *s)
{
    if (!s->cfg->redis)
        return 0;
    struct redis_jobs *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    if (pipe2(q->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(q);
        return -1;
    }
    /* the write end blocks: a worker never drops its job */
    fcntl(q->pipe[1], F_SETFL, fcntl(q->pipe[1], F_GETFL) & ~O_NONBLOCK);
    q->ev = event_new(s->base, q->pipe[0], EV_READ | EV_PERSIST, on_jobs, s);
    if (!q->ev || event_add(q->ev, NULL) < 0) {
        if (q->ev)
            event_free(q->ev);
        close(q->pipe[0]);
        close(q->pipe[1]);
        free(q);
        return -1;
    }
    s->redis_jobs = q;
    return 0;
}

void unicorn_lookups_free(struct server *s)
{
    struct redis_jobs *q = s->redis_jobs;
    if (!q)
        return;
    /* the workers still running finish within Redis's timeout: wait for them */
    fcntl(q->pipe[0], F_SETFL, fcntl(q->pipe[0], F_GETFL) & ~O_NONBLOCK);
    while (q->running > 0) {
        struct redis_job *j;
        ssize_t n = read(q->pipe[0], &j, sizeof j);
        if (n == (ssize_t)sizeof j)
            job_done(j);
        else if (n < 0 && errno != EINTR)
            break;
    }
    event_free(q->ev);
    close(q->pipe[0]);
    close(q->pipe[1]);
    free(q);
    s->redis_jobs = NULL;
}
