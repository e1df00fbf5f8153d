/* server_int.h - what the dashboard server's files share (see server.h):
 * a connection, the server, and the functions one part calls in another.
 * server.c: HTTP connections, routes, the tick; ws.c: WebSocket clients;
 * query.c: /api/query in a child bin/sql; unicorn_redis.c: /api/unicorn
 * from the sink's Redis. Everything runs on the server's one event loop. */
#ifndef SERVER_INT_H
#define SERVER_INT_H

#include "fleet.h"
#include "frame.h"
#include "http.h"
#include "server.h"
#include "sub.h"
#include "view.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdint.h>
#include <sys/types.h>
#include <wslay/wslay.h>

#define MAX_HEADER 16384
#define SOFT_BACKLOG (256 * 1024)   /* skip ticks above this much unsent output */
#define HARD_BACKLOG (4 * 1024 * 1024) /* close above this (both over the snapshot going out) */
#define BEHIND_LIMIT_MS 5000        /* close a client behind this long */
#define PONG_LIMIT_MS 20000         /* close a client silent this long */

struct server;

struct conn {
    struct server *srv;
    struct bufferevent *bev;
    int ws;                       /* upgraded */
    int closing;                  /* free once the output is written */
    wslay_event_context_ptr ctx;
    struct sub *sub;              /* what it follows (a reference) */
    int in_step;                  /* it was sent every frame of its subscription so far */
    int deflate;                  /* it negotiated permessage-deflate: compressed frames */
    size_t allowance;             /* bytes of the snapshot last queued for it, still going out:
                                   * a big fleet's snapshot is not a client falling behind */
    int64_t last_seen_ms, behind_since_ms;
    struct conn *prev, *next;         /* WebSocket clients */
    struct conn *all_prev, *all_next; /* every connection */
    struct redis_job *lookup;     /* a running /api/unicorn lookup */
    /* a running query */
    pid_t child;
    struct event *child_out, *child_timer;
    struct evbuffer *qout, *qerr;
    int child_fd, child_errfd;
    long long rows;
    int truncated, timed_out;
    int64_t started_ms;
};

struct server {
    const struct server_config *cfg;
    struct fleet *fleet;
    struct event_base *base;
    struct conn *clients; /* WebSocket clients */
    int nclients;
    int queries;          /* /api/query children running */
    struct conn *all;
    struct view view;     /* the loop's copy of the fleet, JSON written once per change */
    struct sub_set subs;  /* what clients follow; each shares its frames */
    struct frame *health; /* this second's health message */
    struct redis_jobs *redis_jobs; /* /api/unicorn lookups running off the loop */
};

/* server.c */
/* Queue a whole HTTP response (status, type, body) and close after it. */
void respond(struct conn *c, int status, const char *type, const char *body, size_t len);
/* A JSON {"error": msg} response. */
void respond_error(struct conn *c, int status, const char *msg);
/* Close the connection now: its query child (if any) is stopped, its
 * WebSocket client unlinked. */
void conn_free(struct conn *c);

/* ws.c */
/* Upgrade c to a WebSocket client (RFC 6455 handshake) and send it the
 * fleet's snapshot and health; a bad request gets an HTTP error. */
void ws_upgrade(struct conn *c, const struct request *r);
/* Queue one text message (copied by wslay): for what one client alone is sent. */
void ws_queue(struct conn *c, const char *msg, size_t len);
/* Send a shared frame by reference (nothing after the client's close
 * frame); when it cannot be queued the client is marked out of step, to be
 * sent a snapshot on the next tick. */
void ws_send_frame(struct conn *c, struct frame *f);
/* Queue a close frame with code and reason. */
void ws_close(struct conn *c, uint16_t code, const char *reason);
/* Send what is queued; free c once its WebSocket is done. */
void ws_pump(struct conn *c);

/* query.c */
/* Run the request's ?sql= with bin/sql in a child (at most --max-queries at
 * once, --query-timeout each, --max-rows rows) and answer with its rows. */
void query_run(struct conn *c, const struct request *r);
/* Stop c's child and free what the query held. */
void query_done(struct conn *c);

/* unicorn_redis.c */
/* Answer /api/unicorn?name= for c: with --redis, the lookup runs on a
 * worker thread (hiredis blocks) and the answer comes back to the loop;
 * without, or when Redis cannot answer, from what the dashboard saw on
 * Kafka. At most REDIS_JOBS_MAX run at once (more get 503). */
void unicorn_lookup(struct conn *c, const char *name);
/* Start and stop the lookups' machinery (0, or -1: then lookups answer from Kafka). */
int unicorn_lookups_init(struct server *s);
void unicorn_lookups_free(struct server *s);
/* c is going away: a lookup of its own still running answers no one. */
void unicorn_lookup_forget(struct conn *c);
#define REDIS_JOBS_MAX 32

#endif
