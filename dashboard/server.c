/* server.c - HTTP, the JSON API and WebSocket over libevent (see server.h).
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
#include "server.h"

#include "http.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_rediskey.h"
#include "rf_signal.h"
#include "rf_time.h"
#include "sql.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <hiredis.h>
#include <wslay/wslay.h>

#define MAX_HEADER 16384
#define SOFT_BACKLOG (256 * 1024)   /* skip ticks above this much unsent output */
#define HARD_BACKLOG (4 * 1024 * 1024)
#define BEHIND_LIMIT_MS 5000        /* close a client behind this long */
#define PONG_LIMIT_MS 20000         /* close a client silent this long */

struct server;

struct conn {
    struct server *srv;
    struct bufferevent *bev;
    int ws;                       /* upgraded */
    int closing;                  /* free once the output is written */
    wslay_event_context_ptr ctx;
    uint64_t sent_seq;
    int64_t last_seen_ms, behind_since_ms;
    struct conn *prev, *next;         /* WebSocket clients */
    struct conn *all_prev, *all_next; /* every connection */
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
    uint64_t tick_seq;
    char *tick_msg;       /* the delta for clients that were in step */
    size_t tick_len;
};

static void conn_free(struct conn *c);

/* ---- HTTP responses ---------------------------------------------------------------- */

static void respond(struct conn *c, int status, const char *type, const char *body, size_t len)
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

static void respond_error(struct conn *c, int status, const char *msg)
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

/* ---- WebSocket --------------------------------------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    struct conn *c = user;
    int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
    if (n <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    return n;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    struct conn *c = user;
    if (bufferevent_write(c->bev, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void ws_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    struct conn *c = user;
    c->last_seen_ms = rf_time_now_ms(); /* any message, pongs included, shows the client is there */
    (void)arg;
}

static const struct wslay_event_callbacks ws_callbacks = {ws_recv, ws_send, NULL, NULL, NULL, NULL, ws_msg};

static void ws_queue(struct conn *c, const char *msg, size_t len)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)msg, len};
    wslay_event_queue_msg(c->ctx, &m);
}

static void ws_close(struct conn *c, uint16_t code, const char *reason)
{
    wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason));
}

/* Drive wslay; free the connection when the WebSocket is done. */
static void ws_pump(struct conn *c)
{
    if (wslay_event_send(c->ctx) != 0 || (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx))) {
        c->closing = 1;
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
            conn_free(c);
    }
}

static void upgrade(struct conn *c, const struct request *r)
{
    struct server *s = c->srv;
    if (strcasecmp(r->upgrade, "websocket") != 0 || !strcasestr(r->connection, "upgrade") || !r->key[0]) {
        respond_error(c, 400, "a WebSocket upgrade needs Upgrade: websocket, Connection: Upgrade and Sec-WebSocket-Key");
        return;
    }
    if (strcmp(r->version, "13") != 0) {
        struct evbuffer *out = bufferevent_get_output(c->bev);
        evbuffer_add_printf(out, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n");
        c->closing = 1;
        return;
    }
    if (s->nclients >= s->cfg->max_clients) {
        respond_error(c, 503, "too many clients");
        return;
    }
    char in[256];
    snprintf(in, sizeof in, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", r->key);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)in, strlen(in), sha);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
    evbuffer_add_printf(bufferevent_get_output(c->bev),
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: %s\r\n\r\n",
                        accept);
    if (wslay_event_context_server_init(&c->ctx, &ws_callbacks, c) != 0) {
        c->closing = 1;
        return;
    }
    wslay_event_config_set_max_recv_msg_length(c->ctx, (uint64_t)s->cfg->max_frame);
    c->ws = 1;
    c->last_seen_ms = rf_time_now_ms();
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    size_t len;
    char *snap = fleet_json_changes(s->fleet, "snapshot", 0, &c->sent_seq, &len);
    if (snap) {
        ws_queue(c, snap, len);
        free(snap);
    }
    char *h = fleet_json_health(s->fleet, s->nclients, &len);
    if (h) {
        ws_queue(c, h, len);
        free(h);
    }
    ws_pump(c);
}

/* ---- /api/query: bin/sql in a child process -------------------------------------------------- */

static const struct sql_schema *any_topic(const char *name)
{
    return name ? sql_schema_for_topic(name) : NULL;
}

static void query_done(struct conn *c)
{
    if (c->child_out) {
        event_free(c->child_out);
        c->child_out = NULL;
    }
    if (c->child_timer) {
        event_free(c->child_timer);
        c->child_timer = NULL;
    }
    if (c->child > 0) {
        kill(c->child, SIGKILL);
        waitpid(c->child, NULL, 0);
        c->child = 0;
        c->srv->queries--;
    }
    if (c->child_fd >= 0)
        close(c->child_fd);
    c->child_fd = -1;
    /* stderr was written to a pipe read at the end (small) */
    char errtext[2048] = "";
    if (c->child_errfd >= 0) {
        ssize_t n = read(c->child_errfd, errtext, sizeof errtext - 1);
        errtext[n > 0 ? n : 0] = '\0';
        close(c->child_errfd);
        c->child_errfd = -1;
    }
    struct evbuffer *body = evbuffer_new();
    size_t outlen = evbuffer_get_length(c->qout);
    if (c->timed_out || (outlen == 0 && errtext[0])) {
        const char *msg = c->timed_out ? "the query ran out of time" : errtext;
        if (!c->timed_out && strncmp(msg, "sql: ", 5) == 0)
            msg += 5;
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        fputs("{\"error\":", f);
        rf_json_write_string(f, msg, strlen(msg));
        fputc('}', f);
        fclose(f);
        evbuffer_add(body, buf, size);
        free(buf);
    } else {
        /* bin/sql -F json prints one object per line: make them an array */
        evbuffer_add_printf(body, "{\"rows\":[");
        size_t n;
        char *line;
        int first = 1;
        while ((line = evbuffer_readln(c->qout, &n, EVBUFFER_EOL_LF))) {
            if (n) {
                evbuffer_add_printf(body, "%s", first ? "" : ",");
                evbuffer_add(body, line, n);
                first = 0;
            }
            free(line);
        }
        evbuffer_add_printf(body, "],\"truncated\":%s,\"ms\":%lld}", c->truncated ? "true" : "false",
                            (long long)(rf_time_now_ms() - c->started_ms));
    }
    size_t blen = evbuffer_get_length(body);
    char *flat = malloc(blen ? blen : 1);
    if (flat) {
        evbuffer_remove(body, flat, blen);
        respond(c, 200, "application/json", flat, blen);
        free(flat);
    }
    evbuffer_free(body);
    evbuffer_free(c->qout);
    c->qout = NULL;
    bufferevent_enable(c->bev, EV_WRITE);
}

static void query_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    int n = evbuffer_read(c->qout, fd, 65536);
    if (n > 0) {
        /* count rows; beyond the limit, stop */
        struct evbuffer_ptr p = evbuffer_search(c->qout, "\n", 1, NULL);
        long long lines = 0;
        while (p.pos >= 0) {
            lines++;
            evbuffer_ptr_set(c->qout, &p, 1, EVBUFFER_PTR_ADD);
            p = evbuffer_search(c->qout, "\n", 1, &p);
        }
        if (lines > c->srv->cfg->max_rows) {
            c->truncated = 1;
            /* keep max_rows lines */
            struct evbuffer_ptr q = evbuffer_search(c->qout, "\n", 1, NULL);
            for (long long i = 1; i < c->srv->cfg->max_rows && q.pos >= 0; i++) {
                evbuffer_ptr_set(c->qout, &q, 1, EVBUFFER_PTR_ADD);
                q = evbuffer_search(c->qout, "\n", 1, &q);
            }
            if (q.pos >= 0) {
                size_t keep = (size_t)q.pos + 1;
                struct evbuffer *t = evbuffer_new();
                evbuffer_remove_buffer(c->qout, t, keep);
                evbuffer_free(c->qout);
                c->qout = t;
            }
            query_done(c);
        }
        return;
    }
    query_done(c); /* EOF or error */
}

static void query_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    c->timed_out = 1;
    query_done(c);
}

static void run_query(struct conn *c, const struct request *r)
{
    struct server *s = c->srv;
    if (!s->cfg->archive) {
        respond_error(c, 404, "no archive: start the dashboard with --archive");
        return;
    }
    char q[4096];
    if (http_param(r, "q", q, sizeof q) < 0 || !q[0]) {
        respond_error(c, 400, "give the query as ?q=");
        return;
    }
    /* Check it here: errors with line and column, and FROM must name a topic
     * directory under the archive root, nothing else. */
    struct sql_error err;
    struct sql_query *compiled = sql_query_compile(q, any_topic, &err);
    if (!compiled) {
        char msg[2048];
        sql_error_format(q, &err, msg, sizeof msg);
        respond_error(c, 200, msg);
        return;
    }
    const char *src = sql_query_source(compiled);
    int safe = src && src[0] != '.' && strspn(src, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                                           strlen(src);
    sql_query_free(compiled);
    if (!safe) {
        respond_error(c, 200, "FROM must name a topic of the archive (letters, digits, '.', '_', '-')");
        return;
    }
    if (s->queries >= s->cfg->max_queries) { /* each is a process: a flood must not fork without end */
        respond_error(c, 429, "too many queries running at once (--max-queries): try again in a moment");
        return;
    }
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        respond_error(c, 500, "cannot run the query");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        /* nothing else of the server's (client sockets, Kafka, the
         * listener) reaches the query: close-on-exec is set where we open
         * descriptors, and this closes what libraries opened */
        close_range(3, ~0U, 0);
        execl(s->cfg->sql_bin, "sql", "--archive", s->cfg->archive, "-F", "json", "--threads", "2", q, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        respond_error(c, 500, "cannot run the query");
        return;
    }
    c->child = pid;
    s->queries++;
    c->child_fd = out[0];
    c->child_errfd = errp[0];
    c->qout = evbuffer_new();
    c->started_ms = rf_time_now_ms();
    c->child_out = event_new(s->base, out[0], EV_READ | EV_PERSIST, query_readable, c);
    c->child_timer = evtimer_new(s->base, query_timeout, c);
    struct timeval tv = {c->srv->cfg->query_ms / 1000, (c->srv->cfg->query_ms % 1000) * 1000};
    event_add(c->child_out, NULL);
    event_add(c->child_timer, &tv);
}

/* ---- /api/unicorn with the sink's Redis ---------------------------------------------------------- */

/* The unicorn's recent minutes from Redis (the sink's unicorn:<Name>:minutes),
 * as {"latest":...,"minutes":[...],"source":"redis"}; NULL when Redis cannot
 * answer (the caller falls back to what the dashboard saw on Kafka). */
static char *redis_unicorn(struct server *s, const char *name, size_t *len)
{
    const char *url = s->cfg->redis;
    if (!url || strncmp(url, "redis://", 8) != 0)
        return NULL;
    char host[256];
    const char *h = url + 8, *colon = strrchr(h, ':');
    if (!colon || (size_t)(colon - h) >= sizeof host)
        return NULL;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = '\0';
    struct timeval tv = {0, 500000};
    redisContext *rc = redisConnectWithTimeout(host, atoi(colon + 1), tv);
    if (!rc || rc->err) {
        if (rc)
            redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
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

/* ---- dispatch ----------------------------------------------------------------------------------- */

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
        upgrade(c, r);
    } else if (strcmp(r->path, "/api/fleet") == 0 && (body = fleet_json_all(s->fleet, &len))) {
        respond(c, 200, "application/json", body, len);
        free(body);
    } else if (strcmp(r->path, "/api/health") == 0 && (body = fleet_json_health(s->fleet, s->nclients, &len))) {
        respond(c, 200, "application/json", body, len);
        free(body);
    } else if (strcmp(r->path, "/api/unicorn") == 0) {
        char name[256];
        if (http_param(r, "name", name, sizeof name) < 0)
            respond_error(c, 400, "give the unicorn as ?name=");
        else if (!(body = redis_unicorn(s, name, &len)) && !(body = fleet_json_unicorn(s->fleet, name, &len)))
            respond_error(c, 404, "no such unicorn");
        else {
            respond(c, 200, "application/json", body, len);
            free(body);
        }
    } else if (strcmp(r->path, "/api/query") == 0) {
        run_query(c, r);
    } else {
        respond_error(c, 404, "not found");
    }
}

/* ---- connections -------------------------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
    struct server *s = c->srv;
    if (c->child > 0 || c->child_out)
        query_done(c);
    if (c->ws) {
        if (c->prev)
            c->prev->next = c->next;
        else
            s->clients = c->next;
        if (c->next)
            c->next->prev = c->prev;
        s->nclients--;
        wslay_event_context_free(c->ctx);
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
    if (c->closing || c->child)
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
    if (c->closing && !c->child && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
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

/* Send each client the unicorns changed since it was last sent to. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct server *s = arg;
    uint64_t prev = s->tick_seq, seq;
    size_t len = 0;
    char *common = fleet_json_changes(s->fleet, "delta", prev, &seq, &len);
    int64_t now = rf_time_now_ms();
    for (struct conn *c = s->clients, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        size_t backlog = evbuffer_get_length(bufferevent_get_output(c->bev));
        if (backlog > SOFT_BACKLOG) {
            if (!c->behind_since_ms)
                c->behind_since_ms = now;
            if (backlog > HARD_BACKLOG || now - c->behind_since_ms > BEHIND_LIMIT_MS) {
                rf_info("closing a client that cannot keep up (%zu bytes unsent)", backlog);
                ws_close(c, 1008, "too slow: the client fell behind the fleet's updates");
                ws_pump(c);
            }
            continue; /* its next update will carry the latest positions */
        }
        c->behind_since_ms = 0;
        if (c->sent_seq == prev) {
            if (common)
                ws_queue(c, common, len);
        } else if (c->sent_seq < seq) {
            uint64_t s2;
            size_t l2;
            char *own = fleet_json_changes(s->fleet, "delta", c->sent_seq, &s2, &l2);
            if (own) {
                ws_queue(c, own, l2);
                free(own);
            }
        }
        c->sent_seq = seq;
        ws_pump(c);
    }
    free(common);
    s->tick_seq = seq;
}

static void on_health(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct server *s = arg;
    size_t len;
    char *h = fleet_json_health(s->fleet, s->nclients, &len);
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
        if (h && evbuffer_get_length(bufferevent_get_output(c->bev)) < SOFT_BACKLOG)
            ws_queue(c, h, len);
        struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"rf", 2};
        wslay_event_queue_msg(c->ctx, &ping);
        ws_pump(c);
    }
    free(h);
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
    event_base_dispatch(s.base);
    while (s.all)
        conn_free(s.all);
    event_free(tick);
    event_free(health);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(l);
    event_base_free(s.base);
    rf_info("stopped");
    return 0;
}
