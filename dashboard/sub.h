/* sub.h - what a WebSocket client follows, and the frames each kind gets.
 *
 * A client follows the whole fleet (the default), a map viewport (a
 * bounding box) or a list of unicorns, by sending one of
 *   {"subscribe":"all"}
 *   {"subscribe":{"bbox":[south,west,north,east]}}   (west > east crosses the antimeridian)
 *   {"subscribe":{"names":["Shadowfax","Rocinante"]}} (at most SUB_NAMES_MAX)
 * and is answered with a snapshot of what it now follows. Clients that
 * follow the same thing share one struct sub (same canonical key), and so
 * share its frames: each tick, a subscription's delta is built once, at the
 * first client that needs it, from the view's JSON fragments, and every
 * client of it is sent that one frame by reference. A viewport's delta
 * holds the unicorns changed inside it and those that just left it. Every
 * delta carries the tick's forgotten names ("gone"). Only the server's loop
 * thread uses these. */
#ifndef DASH_SUB_H
#define DASH_SUB_H

#include "frame.h"
#include "view.h"

#include <stddef.h>
#include <stdint.h>

#define SUB_NAMES_MAX 10000

enum sub_kind { SUB_ALL, SUB_BBOX, SUB_NAMES };

struct sub {
    int refs;
    enum sub_kind kind;
    double south, west, north, east;
    char **names; /* sorted, unique; malloc'd */
    size_t nnames;
    char *key;    /* canonical text: equal keys are one subscription */
    struct sub *next;
    struct frame *delta, *snap; /* for the ticks below; built at first need */
    uint64_t delta_tick, snap_tick;
};

struct sub_set {
    struct sub *list; /* every live subscription; the first is "all", never freed */
};

/* Read a client's message. 1 when it is a subscription (*spec filled: give
 * it to sub_intern), 0 when it is something else (ignored, as unknown
 * messages are), -1 when it is a subscription that is wrong (err says why;
 * the client keeps what it followed). */
int sub_parse(const char *msg, size_t len, struct sub *spec, char *err, size_t errlen);

/* The set with its "all" subscription. 0, or -1 when out of memory. */
int sub_set_init(struct sub_set *set);
void sub_set_free(struct sub_set *set);
/* The "all" subscription, with a reference for the caller. */
struct sub *sub_all(struct sub_set *set);
/* The subscription equal to spec (its contents are taken: spec is empty
 * afterwards), with a reference for the caller; NULL when out of memory. */
struct sub *sub_intern(struct sub_set *set, struct sub *spec);
/* Drop a reference; the last one frees a subscription (never "all"). */
void sub_unref(struct sub_set *set, struct sub *s);
/* Free what a spec from sub_parse holds (when it is not interned). */
void sub_spec_free(struct sub *spec);

/* This tick's delta for s, built once per tick (the subscription keeps the
 * reference: the caller sends it, or takes its own); NULL when nothing it
 * follows changed, or out of memory. */
struct frame *sub_delta(struct sub *s, const struct view *v);
/* A snapshot of everything s follows, as of the view's last apply; built
 * once per tick; NULL only when out of memory. */
struct frame *sub_snapshot(struct sub *s, const struct view *v);

/* Whether an entry is followed by s (now, or before this tick's move). */
int sub_match(const struct sub *s, const struct view_entry *e, int before_too);

#endif
