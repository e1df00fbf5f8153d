/* frame.c - WebSocket frames built once, shared by reference (see frame.h). */
#include "frame.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_MAX 10 /* FIN|opcode, 127, 64-bit length */

struct frame {
    int refs;
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

struct frame *frame_finish(struct frame_builder *b)
{
    if (b->failed)
        return NULL;
    struct frame *f = b->f;
    b->f = NULL;
    size_t n = f->len - HEAD_MAX;
    uint8_t head[HEAD_MAX];
    size_t hl;
    head[0] = 0x81; /* FIN, text */
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
    return f;
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
    if (f && --f->refs == 0)
        free(f);
}

const char *frame_payload(const struct frame *f, size_t *len)
{
    *len = f->len - HEAD_MAX;
    return (const char *)f->data + HEAD_MAX;
}
