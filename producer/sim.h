/* sim.h - the unicorn fleet simulator behind `producer`.
 *
 * A deterministic function of its configuration: the same seed, fleet size and
 * start time give the same events in the same send order, so tests can
 * compute ground truth by running the simulator again (`producer --print`).
 *
 * Each tick every unicorn reports once. Unicorn i's event time in tick k is
 * start + k s + i*1000/N ms (start + k s for all of them with burst). Unicorns
 * start near the workshop's point (40.749167, -73.985184), move 29-31 m per
 * tick along a bearing that turns now and then, bounce off the bounding box
 * (Manhattan by default), and their MagicPoints / HealthPoints drift by
 * -1/0/+1 with occasional incidents that drop health below 100, from which
 * they recover.
 *
 * Disorder: with disorder_ms > 0 each event is held back a random 0..disorder
 * ms of event time before it is sent; with late_fraction > 0 that share of
 * events is held back late_ms more, so it arrives far behind the watermark. */
#ifndef SIM_H
#define SIM_H

#include <stdint.h>

#include "rf_event.h"

struct sim_config {
    int unicorns;         /* >= 1 */
    uint64_t seed;
    int64_t start_ms;     /* event time of tick 0 */
    int burst;            /* every unicorn of a tick at the tick's second (else spread over it) */
    int64_t disorder_ms;  /* 0 = in order */
    double late_fraction; /* 0..1 */
    int64_t late_ms;      /* how far behind a late event is sent */
    double min_lat, min_lon, max_lat, max_lon; /* bounding box */
};

struct sim;

/* Create a fleet. Returns NULL if out of memory or cfg is invalid. */
struct sim *sim_new(const struct sim_config *cfg);
void sim_free(struct sim *f);

/* Generate the next event in event-time order (unicorn by unicorn, tick by
 * tick) into the send queue (which grows only with the disorder window).
 * Returns 0, or -1 if out of memory, in which case nothing changed. */
int sim_generate(struct sim *f);

/* Take the next event due for sending into ev. With flush = 0 an event is due
 * once generation has passed its send moment; with flush = 1 every held event
 * is due (end of run). Returns 1 if ev was filled, 0 if nothing is due. */
int sim_pop(struct sim *f, struct rf_event *ev, int flush);

/* Events generated so far, and events currently held back. */
uint64_t sim_generated(const struct sim *f);
uint64_t sim_held(const struct sim *f);

/* The name of unicorn i (0-based) in a fleet: "Shadowfax", "Bucephalus", ...,
 * then "Shadowfax-2", ... Writes at most 64 bytes including the NUL. */
void sim_unicorn_name(int i, char *out);

#endif
