/* sim.c - deterministic unicorn fleet simulation (see sim.h). */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKSHOP_LAT 40.749167
#define WORKSHOP_LON (-73.985184)
#define METRES_PER_DEG_LAT 111320.0
#define DEG2RAD (3.14159265358979323846 / 180.0)

struct unicorn {
    char name[64];
    size_t name_len;
    uint64_t rng;
    double lat, lon, bearing;
    int magic, health;
};

struct held {
    int64_t due; /* event time of the stream when this event is sent */
    uint64_t seq; /* generation order: breaks ties so the send order is deterministic */
    struct rf_event ev;
};

struct sim {
    struct sim_config cfg;
    struct unicorn *u;
    uint64_t disorder_rng;
    uint64_t generated;
    int64_t tick;
    int next_unicorn;
    int64_t now_ms; /* event time of the last generated event */
    struct held *heap;
    size_t heap_len, heap_cap;
};

static const char *const base_names[] = {
    "Shadowfax", "Bucephalus", "Rocinante", "Pegasus",   "Artax",     "Buttercup", "Stardust", "Moonbeam",
    "Thunder",   "Blaze",      "Comet",     "Nimbus",    "Whisper",   "Ember",     "Glimmer",  "Aurora",
    "Zephyr",    "Starlight",  "Mistral",   "Solstice",  "Tempest",   "Marigold",  "Juniper",  "Quicksilver",
    "Nova",      "Sirocco",    "Lumen",     "Saffron",   "Cobalt",    "Halcyon",   "Wildfire", "Seraphine"};
#define NBASE ((int)(sizeof base_names / sizeof base_names[0]))

void sim_unicorn_name(int i, char *out)
{
    if (i < NBASE)
        snprintf(out, 64, "%s", base_names[i]);
    else
        snprintf(out, 64, "%s-%d", base_names[i % NBASE], i / NBASE + 1);
}

/* splitmix64: tiny, fast, and good enough for a simulation. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *s) { return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0); }

static double clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

struct sim *sim_new(const struct sim_config *cfg)
{
    if (cfg->unicorns < 1 || cfg->late_fraction < 0 || cfg->late_fraction > 1 || cfg->disorder_ms < 0 ||
        !(cfg->min_lat < cfg->max_lat) || !(cfg->min_lon < cfg->max_lon))
        return NULL;
    struct sim *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->cfg = *cfg;
    f->u = calloc((size_t)cfg->unicorns, sizeof *f->u);
    if (!f->u) {
        free(f);
        return NULL;
    }
    f->disorder_rng = cfg->seed ^ 0xd1b54a32d192ed03ULL;
    for (int i = 0; i < cfg->unicorns; i++) {
        struct unicorn *u = &f->u[i];
        sim_unicorn_name(i, u->name);
        u->name_len = strlen(u->name);
        /* Each unicorn's stream depends only on (seed, i), not on the fleet size. */
        u->rng = cfg->seed * 0x2545f4914f6cdd1dULL + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
        next_u64(&u->rng);
        double lat0 = clamp(WORKSHOP_LAT, cfg->min_lat, cfg->max_lat);
        double lon0 = clamp(WORKSHOP_LON, cfg->min_lon, cfg->max_lon);
        u->lat = clamp(lat0 + (next_unit(&u->rng) - 0.5) * 0.02, cfg->min_lat, cfg->max_lat);
        u->lon = clamp(lon0 + (next_unit(&u->rng) - 0.5) * 0.02, cfg->min_lon, cfg->max_lon);
        u->bearing = next_unit(&u->rng) * 360.0;
        u->magic = 150;
        u->health = 150;
    }
    return f;
}

void sim_free(struct sim *f)
{
    if (!f)
        return;
    free(f->u);
    free(f->heap);
    free(f);
}

uint64_t sim_generated(const struct sim *f) { return f->generated; }
uint64_t sim_held(const struct sim *f) { return f->heap_len; }

static void step(const struct sim_config *c, struct unicorn *u, double dist)
{
    if (next_unit(&u->rng) < 0.1)
        u->bearing = fmod(u->bearing + (next_unit(&u->rng) - 0.5) * 120.0 + 360.0, 360.0);
    for (int attempt = 0; attempt < 2; attempt++) {
        double b = u->bearing * DEG2RAD;
        double nlat = u->lat + dist * cos(b) / METRES_PER_DEG_LAT;
        double nlon = u->lon + dist * sin(b) / (METRES_PER_DEG_LAT * cos(u->lat * DEG2RAD));
        int out_lat = nlat < c->min_lat || nlat > c->max_lat;
        int out_lon = nlon < c->min_lon || nlon > c->max_lon;
        if (!out_lat && !out_lon) {
            u->lat = nlat;
            u->lon = nlon;
            return;
        }
        /* Bounce off the edge of the box like a ball, then try again. */
        if (out_lat)
            u->bearing = fmod(540.0 - u->bearing, 360.0);
        if (out_lon)
            u->bearing = fmod(360.0 - u->bearing, 360.0);
    }
}

static void vitals(struct unicorn *u)
{
    u->magic += (int)(next_u64(&u->rng) % 3) - 1;
    if (u->magic < 0)
        u->magic = 0;
    if (u->magic > 1000)
        u->magic = 1000;
    if (next_unit(&u->rng) < 1.0 / 1200) {
        u->health = 60 + (int)(next_u64(&u->rng) % 35); /* an incident */
    } else if (u->health < 100) {
        u->health += (int)(next_u64(&u->rng) % 3); /* recovering: 0, +1 or +2 */
    } else {
        u->health += (int)(next_u64(&u->rng) % 3) - 1;
    }
    if (u->health < 0)
        u->health = 0;
    if (u->health > 300)
        u->health = 300;
}

static int held_before(const struct held *a, const struct held *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static int heap_reserve(struct sim *f)
{
    if (f->heap_len < f->heap_cap)
        return 0;
    size_t cap = f->heap_cap ? f->heap_cap * 2 : 1024;
    struct held *nh = realloc(f->heap, cap * sizeof *nh);
    if (!nh)
        return -1;
    f->heap = nh;
    f->heap_cap = cap;
    return 0;
}

/* Room must have been reserved with heap_reserve(). */
static void heap_push(struct sim *f, const struct held *h)
{
    size_t i = f->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!held_before(h, &f->heap[parent]))
            break;
        f->heap[i] = f->heap[parent];
        i = parent;
    }
    f->heap[i] = *h;
}

static void heap_pop(struct sim *f, struct held *out)
{
    *out = f->heap[0];
    struct held last = f->heap[--f->heap_len];
    size_t i = 0, n = f->heap_len;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct held *best = &last;
        if (l < n && held_before(&f->heap[l], best))
            m = l, best = &f->heap[l];
        if (r < n && held_before(&f->heap[r], best))
            m = r;
        if (m == i)
            break;
        f->heap[i] = f->heap[m];
        i = m;
    }
    if (n)
        f->heap[i] = last;
}

int sim_generate(struct sim *f)
{
    /* Reserve first, so running out of memory changes nothing and loses nothing. */
    if (heap_reserve(f) < 0)
        return -1;
    const struct sim_config *c = &f->cfg;
    struct unicorn *u = &f->u[f->next_unicorn];
    struct held h;
    memset(&h.ev, 0, sizeof h.ev);

    double dist = 29.0 + (double)(next_u64(&u->rng) % 21) / 10.0; /* 29.0 .. 31.0 m */
    step(c, u, dist);
    vitals(u);

    struct rf_event *ev = &h.ev;
    memcpy(ev->name, u->name, u->name_len + 1);
    ev->name_len = u->name_len;
    ev->time_ms = c->start_ms + f->tick * 1000 + (c->burst ? 0 : (int64_t)f->next_unicorn * 1000 / c->unicorns);
    ev->latitude = round(u->lat * 1e6) / 1e6;
    ev->longitude = round(u->lon * 1e6) / 1e6;
    ev->distance = dist;
    ev->magic_points = u->magic;
    ev->health_points = u->health;
    ev->has = RF_EV_LATITUDE | RF_EV_LONGITUDE | RF_EV_DISTANCE | RF_EV_MAGIC | RF_EV_HEALTH;

    f->now_ms = ev->time_ms;
    int64_t delay = 0;
    if (c->disorder_ms > 0)
        delay = (int64_t)(next_u64(&f->disorder_rng) % (uint64_t)(c->disorder_ms + 1));
    if (c->late_fraction > 0 && next_unit(&f->disorder_rng) < c->late_fraction)
        delay += c->late_ms;
    h.due = ev->time_ms + delay;
    h.seq = f->generated++;
    heap_push(f, &h);
    if (++f->next_unicorn == c->unicorns) {
        f->next_unicorn = 0;
        f->tick++;
    }
    return 0;
}

int sim_pop(struct sim *f, struct rf_event *ev, int flush)
{
    if (f->heap_len == 0 || (!flush && f->heap[0].due > f->now_ms))
        return 0;
    struct held h;
    heap_pop(f, &h);
    *ev = h.ev;
    return 1;
}
