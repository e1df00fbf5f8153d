/* frame.h - a WebSocket text frame built once and sent to many clients.
 *
 * A server's frames are not masked (RFC 6455 5.1), so the bytes on the wire
 * are the same for every client: a frame is built once per tick and queued
 * on each client's output by reference (evbuffer_add_reference), never
 * copied. It is freed when the last client's output has sent it. Frames are
 * written around wslay, which keeps only what clients send and the control
 * frames: wslay's send callback always takes whole frames, so nothing of
 * wslay's is ever half-written when a frame is added. One thread (the
 * server's loop) uses a frame; the count of references is not atomic. */
#ifndef DASH_FRAME_H
#define DASH_FRAME_H

#include <event2/bufferevent.h>
#include <stddef.h>
#include <stdint.h>

struct frame;

/* A builder: the payload is appended, then frame_finish() makes the frame. */
struct frame_builder {
    struct frame *f;
    int failed; /* out of memory on the way: frame_finish returns NULL */
};

/* Start a frame with room for about hint bytes of payload. */
void frame_begin(struct frame_builder *b, size_t hint);
void frame_add(struct frame_builder *b, const void *data, size_t len);
void frame_adds(struct frame_builder *b, const char *s); /* a C string */
/* The finished text frame (one reference, the caller's), or NULL when out
 * of memory. */
struct frame *frame_finish(struct frame_builder *b);

/* Queue f on bev's output by reference (the frame gains a reference, which
 * libevent drops once the bytes are sent or the connection is freed).
 * 0, or -1 when it could not be queued. */
int frame_send(struct frame *f, struct bufferevent *bev);

/* Drop a reference (NULL is allowed). */
void frame_unref(struct frame *f);

/* The payload (for /api/fleet, which answers with the same JSON). */
const char *frame_payload(const struct frame *f, size_t *len);

#endif
