/* frame.h - a WebSocket text frame built once and sent to many clients.
 *
 * A server's frames are not masked (RFC 6455 5.1), so the bytes on the wire
 * are the same for every client: a frame is built once per tick and queued
 * on each client's output by reference (evbuffer_add_reference), never
 * copied. It is freed when the last client's output has sent it. Frames are
 * written around wslay, which keeps only what clients send and the control
 * frames: wslay's send callback always takes whole frames, so nothing of
 * wslay's is ever half-written when a frame is added. Clients that
 * negotiated permessage-deflate get the frame's compressed twin, also built
 * once. One thread (the server's loop) uses frames; the count of references
 * is not atomic. */
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

/* Payloads shorter than this go out as they are, even to clients that
 * take compressed frames: compressing them would save little. */
#define FRAME_DEFLATE_MIN 512

/* The same message compressed with permessage-deflate (RFC 7692; each
 * message alone, so every client that negotiated it can take the same
 * bytes), built at the first call and kept with f (freed with it); f itself
 * when the payload is short or compression fails. The result is borrowed,
 * like f. */
struct frame *frame_deflated(struct frame *f);
/* Bytes of f on the wire, header included. */
size_t frame_wire_length(const struct frame *f);
/* 1 when f's payload is a snapshot ({"type":"snapshot"...). */
int frame_is_snapshot(const struct frame *f);
/* 1 when f is a compressed frame (RSV1 set). */
int frame_is_deflated(const struct frame *f);
/* Free the compressor (at exit). */
void frame_cleanup(void);

/* The payload (as built, never compressed). */
const char *frame_payload(const struct frame *f, size_t *len);

#endif
