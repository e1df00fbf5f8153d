/* frame.c - WebSocket frames built once, shared by reference (see frame.h). */
#include "frame.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define HEAD_MAX 10 /* FIN|opcode, 127, 64-bit length */

struct frame {
    int refs;
    int tried;            /* the compressed twin was asked for */
    struct frame *twin;   /* the same message compressed (a reference), or NULL */
    size_t off;       /* where the header starts (it is written last, right before the payload) */
    size_t len, cap;  /* bytes used / held in data, header room included */
    uint8_t data[];
};

void frame_begin(struct frame_builder *b, size_t hint)
{
    b->failed = 0;
    b->f = malloc(sizeof *b->f + HEAD_MAX + hint);
    if (!b->f) {
        b->failed = 1;
        return;
    }
    b->f->refs = 1;
    b->f->tried = 0;
    b->f->twin = NULL;
    b->f->off = 0;
    b->f->len = HEAD_MAX;
    b->f->cap = HEAD_MAX + hint;
}

void frame_add(struct frame_builder *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    struct frame *f = b->f;
    if (f->len + len > f->cap) {
        size_t cap = f->cap * 2;
        while (cap < f->len + len)
            cap *= 2;
        struct frame *nf = realloc(f, sizeof *nf + cap);
        if (!nf) {
            free(f);
            b->f = NULL;
            b->failed = 1;
            return;
        }
        f = b->f = nf;
        f->cap = cap;
    }
    memcpy(f->data + f->len, data, len);
    f->len += len;
}

void frame_adds(struct frame_builder *b, const char *s) { frame_add(b, s, strlen(s)); }

/* Write f's header (first byte b0) right before its payload. */
static void put_header(struct frame *f, uint8_t b0)
{
    size_t n = f->len - HEAD_MAX;
    uint8_t head[HEAD_MAX];
    size_t hl;
    head[0] = b0;
    if (n < 126) {
        head[1] = (uint8_t)n;
        hl = 2;
    } else if (n <= 0xffff) {
        head[1] = 126;
        head[2] = (uint8_t)(n >> 8);
        head[3] = (uint8_t)n;
        hl = 4;
    } else {
        head[1] = 127;
        for (int i = 0; i < 8; i++)
            head[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    f->off = HEAD_MAX - hl;
    memcpy(f->data + f->off, head, hl);
}

struct frame *frame_finish(struct frame_builder *b)
{
    if (b->failed)
        return NULL;
    struct frame *f = b->f;
    b->f = NULL;
    put_header(f, 0x81); /* FIN, text */
    return f;
}

/* One compressor for every frame: the loop's thread alone compresses. */
static z_stream zs;
static int zs_ready;

struct frame *frame_deflated(struct frame *f)
{
    if (f->tried)
        return f->twin ? f->twin : f;
    f->tried = 1;
    size_t n = f->len - HEAD_MAX;
    if (n < FRAME_DEFLATE_MIN)
        return f;
    if (!zs_ready) {
        /* raw deflate (no zlib header), a 32 KiB window, as RFC 7692 expects */
        if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return f;
        zs_ready = 1;
    } else {
        deflateReset(&zs); /* each message stands alone: no context takeover */
    }
    size_t cap = deflateBound(&zs, n) + 16;
    struct frame *t = malloc(sizeof *t + HEAD_MAX + cap);
    if (!t)
        return f;
    zs.next_in = f->data + HEAD_MAX;
    zs.avail_in = (uInt)n;
    zs.next_out = t->data + HEAD_MAX;
    zs.avail_out = (uInt)cap;
    /* a sync flush ends the data on an empty stored block, 00 00 ff ff,
     * which the sender removes and the receiver puts back (RFC 7692 7.2.1) */
    if (deflate(&zs, Z_SYNC_FLUSH) != Z_OK || zs.avail_in != 0 || cap - zs.avail_out < 4) {
        free(t);
        return f;
    }
    t->refs = 1;
    t->tried = 1;
    t->twin = NULL;
    t->cap = HEAD_MAX + cap;
    t->len = HEAD_MAX + (cap - zs.avail_out) - 4;
    put_header(t, 0xc1); /* FIN, RSV1 (compressed), text */
    f->twin = t;
    return t;
}

void frame_cleanup(void)
{
    if (zs_ready)
        deflateEnd(&zs);
    zs_ready = 0;
}

static void release(const void *data, size_t len, void *arg)
{
    (void)data, (void)len;
    frame_unref(arg);
}

int frame_send(struct frame *f, struct bufferevent *bev)
{
    f->refs++;
    if (evbuffer_add_reference(bufferevent_get_output(bev), f->data + f->off, f->len - f->off, release, f) < 0) {
        f->refs--;
        return -1;
    }
    return 0;
}

void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0) {
        frame_unref(f->twin);
        free(f);
    }
}

size_t frame_wire_length(const struct frame *f) { return f->len - f->off; }

int frame_is_snapshot(const struct frame *f)
{
    static const char head[] = "{\"type\":\"snapshot\"";
    return f->len - HEAD_MAX >= sizeof head - 1 && memcmp(f->data + HEAD_MAX, head, sizeof head - 1) == 0;
}

int frame_is_deflated(const struct frame *f) { return (f->data[f->off] & 0x40) != 0; }

const char *frame_payload(const struct frame *f, size_t *len)
{
    *len = f->len - HEAD_MAX;
    return (const char *)f->data + HEAD_MAX;
}
