/* server.c - HTTP connections, the routes of the page and the JSON API, and
 * the tick that sends clients what changed, over libevent (see server.h;
 * WebSocket clients are ws.c's, /api/query query.c's, /api/unicorn's Redis
 * unicorn_redis.c's).
 *
 * HTTP is read by hand up to the end of the headers (16 KiB at most); each
 * response closes the connection, which is all a page and an API need. A
 * GET /ws with a valid upgrade becomes a WebSocket: the handshake's accept
 * key is SHA-1 + base64 (OpenSSL), and frames, masking, fragmentation,
 * ping/pong and close are wslay's. A slow client never makes the server
 * buffer without bound: a tick skips a client whose output is backed up
 * (the next tick sends the latest state of every unicorn changed since,
 * which replaces older positions), and a client that stays behind is closed
 * with 1008 and the reason. */
#include "server_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_signal.h"
#include "rf_time.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wslay/wslay.h>

/* ---- HTTP responses ---------------------------------------------------------------- */

void respond(struct conn *c, int status, const char *type, const char *body, size_t len)
{
    static const struct {
        int code;
        const char *text;
    } reasons[] = {{200, "OK"}, {400, "Bad Request"}, {401, "Unauthorized"}, {404, "Not Found"},
                   {405, "Method Not Allowed"}, {413, "Payload Too Large"}, {426, "Upgrade Required"},
                   {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"}, {500, "Internal Server Error"}, {503, "Service Unavailable"}};
    const char *reason = "Error";
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (reasons[i].code == status)
            reason = reasons[i].text;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                        status, reason, type, len);
    evbuffer_add(out, body, len);
    c->closing = 1;
}

void respond_error(struct conn *c, int status, const char *msg)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) {
        respond(c, status, "application/json", "{}", 2);
        return;
    }
    fputs("{\"error\":", f);
    rf_json_write_string(f, msg, strlen(msg));
    fputc('}', f);
    fclose(f);
    respond(c, status, "application/json", buf, size);
    free(buf);
}

static const char *mime(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},   {".png", "image/png"},
                 {".svg", "image/svg+xml"},             {".json", "application/json"}};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* A file under dir; rel must be a plain relative path (no "..", no hidden parts). */
static void serve_file(struct conn *c, const char *dir, const char *rel)
{
    if (!*rel || rel[0] == '/' || strstr(rel, "..") || strstr(rel, "/.") || rel[0] == '.' ||
        strspn(rel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != strlen(rel)) {
        respond_error(c, 404, "not found");
        return;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        respond_error(c, 404, "not found");
        return;
    }
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nX-Content-Type-Options: nosniff\r\n"
                        "Connection: close\r\n\r\n",
                        mime(path), (long long)st.st_size);
    evbuffer_add_file(out, fd, 0, st.st_size); /* takes the fd */
    c->closing = 1;
}

/* /api/fleet: every unicorn's latest report, from the view's JSON (as of the last tick). */
static void fleet_api(struct conn *c)
{
    const struct view *v = &c->srv->view;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t len = 2, n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->e[i].jlen)
            len += v->e[i].jlen + (n++ ? 1 : 0);
    evbuffer_add_printf(out,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n[",
                        len);
    for (size_t i = 0, k = 0; i < v->n; i++)
        if (v->e[i].jlen) {
            if (k++)
                evbuffer_add(out, ",", 1);
            evbuffer_add(out, v->e[i].json, v->e[i].jlen);
        }
    evbuffer_add(out, "]", 1);
    c->closing = 1;
}

static void handle(struct conn *c, const struct request *r)
{
    struct server *s = c->srv;
    if (strcmp(r->method, "GET") != 0) {
        respond_error(c, 405, "only GET");
        return;
    }
    int api = strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/ws") == 0;
    if (api && s->cfg->token && http_token_in_url(r)) {
        /* URLs end up in logs and browser history: a token there is refused */
        respond_error(c, 401, "the token goes in the Authorization: Bearer header or the rydeflow_token cookie, "
                              "never in the URL (open the printed #token= link)");
        return;
    }
    if (api && !http_authorized(r, s->cfg->token)) {
        respond_error(c, 401, "missing or wrong token (Authorization: Bearer TOKEN, or the rydeflow_token cookie)");
        return;
    }
    size_t len;
    char *body;
    if (strcmp(r->path, "/") == 0 || strcmp(r->path, "/index.html") == 0) {
        serve_file(c, s->cfg->static_dir, "index.html");
    } else if (strncmp(r->path, "/static/", 8) == 0) {
        serve_file(c, s->cfg->static_dir, r->path + 8);
    } else if (strncmp(r->path, "/leaflet/", 9) == 0) {
        serve_file(c, s->cfg->leaflet_dir, r->path + 9);
    } else if (strcmp(r->path, "/config.js") == 0) {
        char js[1024];
        int n = snprintf(js, sizeof js, "window.RYDEFLOW = {tiles: \"%s\", maxRate: %g, query: %s};\n",
                         s->cfg->tiles, s->cfg->max_rate, s->cfg->archive ? "true" : "false");
        respond(c, 200, "text/javascript; charset=utf-8", js, (size_t)n);
    } else if (strcmp(r->path, "/ws") == 0) {
        ws_upgrade(c, r);
    } else if (strcmp(r->path, "/api/fleet") == 0) {
        fleet_api(c);
    } else if (strcmp(r->path, "/api/health") == 0 && (body = fleet_json_health(s->fleet, s->nclients, &len))) {
        respond(c, 200, "application/json", body, len);
        free(body);
    } else if (strcmp(r->path, "/api/unicorn") == 0) {
        char name[256];
        if (http_param(r, "name", name, sizeof name) < 0)
            respond_error(c, 400, "give the unicorn as ?name=");
        else
            unicorn_lookup(c, name);
    } else if (strcmp(r->path, "/api/query") == 0) {
        query_run(c, r);
    } else {
        respond_error(c, 404, "not found");
    }
}

/* ---- connections -------------------------------------------------------------------------------- */

void conn_free(struct conn *c)
{
    struct server *s = c->srv;
    if (c->child > 0 || c->child_out)
        query_done(c);
    if (c->lookup)
        unicorn_lookup_forget(c);
    if (c->ws) {
        if (c->prev)
            c->prev->next = c->next;
        else
            s->clients = c->next;
        if (c->next)
            c->next->prev = c->prev;
        s->nclients--;
        wslay_event_context_free(c->ctx);
        sub_unref(&s->subs, c->sub);
    }
    if (c->qout)
        evbuffer_free(c->qout);
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        s->all = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    bufferevent_free(c->bev);
    free(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->ws) {
        if (wslay_event_recv(c->ctx) != 0) {
            conn_free(c);
            return;
        }
        ws_pump(c);
        return;
    }
    if (c->closing || c->child || c->lookup)
        return;
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0) {
        if (evbuffer_get_length(in) > MAX_HEADER)
            respond_error(c, 431, "request headers too large");
        return;
    }
    size_t hl = (size_t)end.pos + 4;
    if (hl > MAX_HEADER) {
        respond_error(c, 431, "request headers too large");
        return;
    }
    char *head = malloc(hl + 1);
    if (!head) {
        conn_free(c);
        return;
    }
    evbuffer_remove(in, head, hl);
    head[hl] = '\0';
    struct request r;
    if (http_parse_request(head, hl, &r) < 0)
        respond_error(c, 400, "bad request");
    else
        handle(c, &r);
    free(head);
    if (c->ws && evbuffer_get_length(in) > 0) /* frames right behind the upgrade */
        on_read(bev, c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    if (c->closing && !c->child && !c->lookup && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        conn_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr, int len, void *arg)
{
    (void)l, (void)addr, (void)len;
    struct server *s = arg;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    c->srv = s;
    c->child_fd = c->child_errfd = -1;
    c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->all_next = s->all;
    if (s->all)
        s->all->all_prev = c;
    s->all = c;
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- timers ---------------------------------------------------------------------------------------- */

/* Each tick: take in what changed, then send every client the one frame
 * of its subscription, shared by reference. A client whose output is backed
 * up (beyond a snapshot still going out to it) misses frames, marked out of
 * step, and once it has caught up is sent the newest snapshot of what it
 * follows instead, which replaces every position it missed; one that stays
 * behind is closed. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct server *s = arg;
    if (view_apply(&s->view, s->fleet) < 0)
        rf_warn("out of memory taking in the fleet's changes: trying again next tick");
    int64_t now = rf_time_now_ms();
    for (struct conn *c = s->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        size_t backlog = evbuffer_get_length(bufferevent_get_output(c->bev));
        if (backlog <= SOFT_BACKLOG)
            c->allowance = 0; /* its last snapshot is out */
        if (backlog > SOFT_BACKLOG + c->allowance) {
            if (!c->behind_since_ms)
                c->behind_since_ms = now;
            c->in_step = 0;
            if (backlog > HARD_BACKLOG + c->allowance || now - c->behind_since_ms > BEHIND_LIMIT_MS) {
                rf_info("closing a client that cannot keep up (%zu bytes unsent)", backlog);
                ws_close(c, 1008, "too slow: the client fell behind the fleet's updates");
                ws_pump(c);
            }
            continue;
        }
        c->behind_since_ms = 0;
        struct frame *f = c->in_step ? sub_delta(c->sub, &s->view) : sub_snapshot(c->sub, &s->view);
        if (f)
            ws_send_frame(c, f);
        c->in_step = f || c->in_step;
    }
}

static void on_health(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct server *s = arg;
    size_t len;
    char *h = fleet_json_health(s->fleet, s->nclients, &len);
    frame_unref(s->health);
    s->health = NULL;
    if (h) {
        struct frame_builder b;
        frame_begin(&b, len);
        frame_add(&b, h, len);
        s->health = frame_finish(&b);
        free(h);
    }
    int64_t now = rf_time_now_ms();
    for (struct conn *c = s->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        if (now - c->last_seen_ms > PONG_LIMIT_MS) {
            rf_info("closing a client that stopped answering pings");
            conn_free(c);
            continue;
        }
        /* health is not part of a subscription's stream: a backed-up
         * client just misses a second of it */
        if (s->health && evbuffer_get_length(bufferevent_get_output(c->bev)) < SOFT_BACKLOG)
            ws_send_frame(c, s->health);
        struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"rf", 2};
        wslay_event_queue_msg(c->ctx, &ping);
        ws_pump(c);
    }
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopexit(arg, NULL);
}

int server_run(const struct server_config *cfg, struct fleet *fleet)
{
    struct server s = {.cfg = cfg, .fleet = fleet};
    char host[256];
    int port;
    if (rf_split_hostport(cfg->listen, host, sizeof host, &port) < 0) {
        rf_error("--listen %s: expected HOST:PORT", cfg->listen);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    s.base = event_base_new();
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!s.base || inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        rf_error("--listen %s: expected an IPv4 address and a port", cfg->listen);
        if (s.base)
            event_base_free(s.base);
        return 2;
    }
    struct evconnlistener *l = evconnlistener_new_bind(s.base, on_accept, &s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                                       512, (struct sockaddr *)&sin, sizeof sin);
    if (!l) {
        rf_error("cannot listen on %s: %s", cfg->listen, strerror(errno));
        event_base_free(s.base);
        return 1;
    }
    if (sub_set_init(&s.subs) < 0) {
        rf_error("out of memory");
        evconnlistener_free(l);
        event_base_free(s.base);
        return 1;
    }
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&bound, &bl);
    /* the token after '#': a fragment stays in the browser (the page moves it to a cookie) */
    fprintf(stderr, "dashboard: http://%s:%d/%s%s\n", host, ntohs(bound.sin_port), cfg->token ? "#token=" : "",
            cfg->token ? cfg->token : "");
    struct event *tick = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
    struct event *health = event_new(s.base, -1, EV_PERSIST, on_health, &s);
    struct event *sigint = evsignal_new(s.base, SIGINT, on_signal, s.base);
    struct event *sigterm = evsignal_new(s.base, SIGTERM, on_signal, s.base);
    long us = (long)(1e6 / (cfg->max_rate > 0 ? cfg->max_rate : 10));
    struct timeval tv = {us / 1000000, us % 1000000}, one = {1, 0};
    event_add(tick, &tv);
    event_add(health, &one);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    if (unicorn_lookups_init(&s) < 0)
        rf_warn("cannot run Redis lookups off the loop: /api/unicorn answers from the Kafka feed");
    view_apply(&s.view, fleet); /* the first clients' snapshot */
    event_base_dispatch(s.base);
    while (s.all)
        conn_free(s.all);
    unicorn_lookups_free(&s);
    frame_unref(s.health);
    sub_set_free(&s.subs);
    view_free(&s.view);
    frame_cleanup();
    event_free(tick);
    event_free(health);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(l);
    event_base_free(s.base);
    rf_info("stopped");
    return 0;
}
