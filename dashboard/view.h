/* view.h - the server loop's own copy of the fleet's positions, each
 * unicorn's JSON written once per change.
 *
 * Each tick the loop pulls what changed from the fleet (fleet_pull: a copy
 * under the fleet's lock) and applies it here, outside any lock. A changed
 * unicorn's JSON object is formatted once, into the entry; every frame of
 * that tick (the delta for everyone, each subscription's delta, snapshots)
 * is then built by concatenating those objects, never by formatting again.
 * Only the server's loop thread touches a view. */
#ifndef DASH_VIEW_H
#define DASH_VIEW_H

#include "fleet.h"

#include <stddef.h>
#include <stdint.h>

struct view_entry {
    char name[RF_EVENT_NAME_MAX + 1];
    double lat, lon;   /* now */
    double plat, plon; /* before this tick's change (a viewport it left is told) */
    uint64_t tick;     /* the tick it last changed in */
    char *ename;       /* the name as a JSON string, quotes included */
    char *json;        /* {"name":...,"time":...,"lat":...}: fragment of every frame */
    uint32_t jlen, jcap;
};

struct view {
    struct view_entry *e;
    size_t n, cap;
    int32_t *index; /* open addressing over e by name; -1 empty */
    size_t index_cap;
    uint64_t seq;   /* the fleet sequence pulled up to */
    uint64_t tick;  /* applies so far */
    uint32_t *changed; /* entries changed by the last apply */
    size_t nchanged, capchanged;
    char *gone;     /* names forgotten by the last apply, as JSON strings joined by ',' */
    size_t gonelen, gonecap;
    struct fleet_changes pull; /* reused */
};

/* Pull from the fleet what changed since the last apply and take it in:
 * view->tick advances; changed/gone say what this tick changed. 0, or -1
 * when out of memory (the view is then as it was, or part of the changes
 * applied; the next apply asks again). */
int view_apply(struct view *v, struct fleet *f);

/* The second half of view_apply: take in changes already pulled (the unit
 * tests make their own). Same results. */
int view_take(struct view *v, const struct fleet_changes *c);

/* Free what v holds (v itself is the caller's). */
void view_free(struct view *v);

#endif
