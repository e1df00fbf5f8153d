/* ws.c - the dashboard's WebSocket clients (see server_int.h): the
 * handshake's accept key is SHA-1 + base64 (OpenSSL); frames, masking,
 * fragmentation, ping/pong and close are wslay's. */
#include "server_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

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

/* A client's error message: {"type":"error","error":msg}. */
static void ws_error(struct conn *c, const char *msg)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return;
    fputs("{\"type\":\"error\",\"error\":", f);
    rf_json_write_string(f, msg, strlen(msg));
    fputc('}', f);
    if (fclose(f) == 0)
        ws_queue(c, buf, size);
    free(buf);
}

/* A subscription: follow it from now on, starting with its snapshot. */
static void ws_subscribe(struct conn *c, const char *msg, size_t len)
{
    struct server *s = c->srv;
    struct sub spec;
    char err[256];
    int rc = sub_parse(msg, len, &spec, err, sizeof err);
    if (rc < 0)
        ws_error(c, err);
    if (rc <= 0)
        return; /* another kind of message: ignored */
    struct sub *sub = sub_intern(&s->subs, &spec);
    if (!sub) {
        ws_error(c, "out of memory");
        return;
    }
    sub_unref(&s->subs, c->sub);
    c->sub = sub;
    c->in_step = 0; /* the next tick sends it the snapshot of what it now follows */
}

/* A compressed message from a client (permessage-deflate, each message
 * alone): inflated into a malloc'd buffer of at most max bytes; NULL when
 * it is not valid deflate data (*too_big 0) or inflates past max (1). */
static char *inflate_msg(const uint8_t *in, size_t len, size_t max, size_t *outlen, int *too_big)
{
    *too_big = 0;
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff}; /* what the sender removed */
    z_stream z = {0};
    if (inflateInit2(&z, -15) != Z_OK)
        return NULL;
    char *out = malloc(max + 1);
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)max + 1; /* one byte more than allowed: a message that fills it is too big */
    int rc = Z_OK;
    for (int part = 0; part < 2 && out && rc == Z_OK; part++) {
        z.next_in = (Bytef *)(part ? tail : in);
        z.avail_in = (uInt)(part ? sizeof tail : len);
        while (z.avail_in > 0 && z.avail_out > 0 && rc == Z_OK)
            rc = inflate(&z, Z_SYNC_FLUSH);
        if (rc == Z_BUF_ERROR && z.avail_out > 0)
            rc = Z_OK; /* no progress possible: the input is used up */
    }
    size_t n = (size_t)max + 1 - z.avail_out;
    inflateEnd(&z);
    if (!out || (rc != Z_OK && rc != Z_STREAM_END) || n > max) {
        *too_big = out && n > max;
        free(out);
        return NULL;
    }
    *outlen = n;
    return out;
}

static void ws_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    struct conn *c = user;
    c->last_seen_ms = rf_time_now_ms(); /* any message, pongs included, shows the client is there */
    if (arg->opcode != WSLAY_TEXT_FRAME)
        return;
    if (!wslay_get_rsv1(arg->rsv)) {
        ws_subscribe(c, (const char *)arg->msg, arg->msg_length);
        return;
    }
    size_t len;
    int too_big;
    char *text = inflate_msg(arg->msg, arg->msg_length, (size_t)c->srv->cfg->max_frame, &len, &too_big);
    if (!text) { /* as for a message sent plain: 1009 past --max-frame, 1007 for bad data */
        ws_close(c, too_big ? 1009 : 1007, too_big ? "message too big" : "a compressed message that does not inflate");
        return;
    }
    ws_subscribe(c, text, len);
    free(text);
}

static const struct wslay_event_callbacks ws_callbacks = {ws_recv, ws_send, NULL, NULL, NULL, NULL, ws_msg};

void ws_queue(struct conn *c, const char *msg, size_t len)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)msg, len};
    wslay_event_queue_msg(c->ctx, &m);
}

void ws_send_frame(struct conn *c, struct frame *f)
{
    if (wslay_event_get_close_sent(c->ctx))
        return; /* nothing may follow a close frame */
    struct frame *g = c->deflate ? frame_deflated(f) : f;
    if (frame_send(g, c->bev) < 0)
        c->in_step = 0; /* the next tick sends a snapshot */
    else if (frame_is_snapshot(f))
        c->allowance = frame_wire_length(g);
}

void ws_close(struct conn *c, uint16_t code, const char *reason)
{
    wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, strlen(reason));
}

/* Drive wslay; free the connection when the WebSocket is done. */
void ws_pump(struct conn *c)
{
    if (wslay_event_send(c->ctx) != 0 || (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx))) {
        c->closing = 1;
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
            conn_free(c);
    }
}

void ws_upgrade(struct conn *c, const struct request *r)
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
    /* /ws?bbox=south,west,north,east: follow a viewport from the first
     * message on (a page need not be sent the whole fleet first) */
    struct sub *first = NULL;
    char box[256];
    if (http_param(r, "bbox", box, sizeof box) == 0) {
        double v[4];
        char extra, msg[512], err[256] = "bbox=south,west,north,east, in degrees";
        struct sub spec;
        int n = sscanf(box, "%lf,%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &v[3], &extra);
        if (n == 4)
            snprintf(msg, sizeof msg, "{\"subscribe\":{\"bbox\":[%.17g,%.17g,%.17g,%.17g]}}", v[0], v[1], v[2], v[3]);
        if (n != 4 || sub_parse(msg, strlen(msg), &spec, err, sizeof err) != 1) {
            respond_error(c, 400, err);
            return;
        }
        if (!(first = sub_intern(&s->subs, &spec))) {
            respond_error(c, 500, "out of memory");
            return;
        }
    }
    char in[256];
    snprintf(in, sizeof in, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", r->key);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)in, strlen(in), sha);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
    /* Compressed frames are built once for everyone, so each message must
     * stand alone: no context is taken over, on either side. */
    c->deflate = http_ws_deflate(r);
    evbuffer_add_printf(bufferevent_get_output(c->bev),
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                        accept,
                        c->deflate ? "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                                     "client_no_context_takeover\r\n"
                                   : "");
    if (wslay_event_context_server_init(&c->ctx, &ws_callbacks, c) != 0) {
        sub_unref(&s->subs, first);
        c->closing = 1;
        return;
    }
    if (c->deflate)
        wslay_event_config_set_allowed_rsv_bits(c->ctx, WSLAY_RSV1_BIT);
    wslay_event_config_set_max_recv_msg_length(c->ctx, (uint64_t)s->cfg->max_frame);
    c->ws = 1;
    c->last_seen_ms = rf_time_now_ms();
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    c->sub = first ? first : sub_all(&s->subs);
    struct frame *snap = sub_snapshot(c->sub, &s->view);
    if (snap)
        ws_send_frame(c, snap);
    c->in_step = snap != NULL;
    if (s->health)
        ws_send_frame(c, s->health);
    ws_pump(c);
}
