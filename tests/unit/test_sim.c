/* test_sim.c - the simulator: determinism, the workshop's ranges, the
 * bounding box, disorder bounds and the late share. */
#include "sim.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static struct sim_config base(void)
{
    struct sim_config c = {.unicorns = 50, .seed = 7, .start_ms = 1795305600000LL,
                             .min_lat = 40.700, .min_lon = -74.020, .max_lat = 40.880, .max_lon = -73.910};
    return c;
}

/* Generate n events and collect them in send order. */
static struct rf_event *run(struct sim_config c, int n)
{
    struct sim *f = sim_new(&c);
    struct rf_event *out = calloc((size_t)n, sizeof *out);
    int k = 0;
    while (sim_generated(f) < (uint64_t)n) {
        sim_generate(f);
        while (k < n && sim_pop(f, &out[k], 0))
            k++;
    }
    while (k < n && sim_pop(f, &out[k], 1))
        k++;
    CHECK_INT(k, n);
    CHECK_INT(sim_held(f), 0);
    sim_free(f);
    return out;
}

static void test_deterministic(void)
{
    struct rf_event *a = run(base(), 5000), *b = run(base(), 5000);
    struct sim_config c = base();
    c.seed = 8;
    struct rf_event *d = run(c, 5000);
    int same = 1, differs = 0;
    for (int i = 0; i < 5000; i++) {
        same &= memcmp(&a[i], &b[i], sizeof a[i]) == 0;
        differs |= a[i].latitude != d[i].latitude;
    }
    CHECK(same);
    CHECK(differs);
    free(a), free(b), free(d);
}

static void test_workshop_ranges(void)
{
    int n = 50 * 3600; /* an hour of a 50-unicorn fleet */
    struct rf_event *e = run(base(), n);
    int bad_dist = 0, bad_box = 0, bad_drift = 0, incidents = 0, bad_time = 0;
    for (int i = 0; i < n; i++) {
        bad_dist += e[i].distance < 29.0 || e[i].distance > 31.0;
        bad_box += e[i].latitude < 40.700 || e[i].latitude > 40.880 || e[i].longitude < -74.020 ||
                   e[i].longitude > -73.910;
        bad_time += e[i].time_ms != 1795305600000LL + (i / 50) * 1000 + (i % 50) * 1000 / 50;
        if (i >= 50) {
            const struct rf_event *p = &e[i - 50]; /* the same unicorn one tick earlier */
            bad_drift += strcmp(p->name, e[i].name) != 0 || llabs(p->magic_points - e[i].magic_points) > 1;
            incidents += p->health_points >= 100 && e[i].health_points < 100;
        }
    }
    CHECK_INT(bad_dist, 0);
    CHECK_INT(bad_box, 0);
    CHECK_INT(bad_time, 0);
    CHECK_INT(bad_drift, 0);
    CHECK(incidents > 0); /* health does fall below 100 now and then */
    CHECK_STR(e[0].name, "Shadowfax");
    CHECK(fabs(e[0].latitude - 40.749167) < 0.02 && fabs(e[0].longitude + 73.985184) < 0.02);
    free(e);
}

static void test_disorder_bounded(void)
{
    struct sim_config c = base();
    c.disorder_ms = 3000;
    int n = 50 * 600;
    struct rf_event *e = run(c, n);
    int64_t max_seen = 0, worst = 0;
    int out_of_order = 0;
    for (int i = 0; i < n; i++) {
        if (e[i].time_ms < max_seen) {
            out_of_order++;
            if (max_seen - e[i].time_ms > worst)
                worst = max_seen - e[i].time_ms;
        } else {
            max_seen = e[i].time_ms;
        }
    }
    CHECK(out_of_order > n / 10);
    CHECK(worst <= 3000);
    free(e);
}

static void test_late_fraction(void)
{
    struct sim_config c = base();
    c.late_fraction = 0.05;
    c.late_ms = 120000;
    int n = 50 * 1200;
    struct rf_event *e = run(c, n);
    int64_t max_seen = 0;
    int late = 0;
    for (int i = 0; i < n; i++) {
        if (max_seen - e[i].time_ms >= 100000)
            late++;
        if (e[i].time_ms > max_seen)
            max_seen = e[i].time_ms;
    }
    /* ~5% of events are held back 2 minutes; those generated in the last two
     * minutes are flushed at the end, still behind the rest. */
    CHECK(late > n * 3 / 100 && late < n * 7 / 100);
    free(e);
}

static void test_names_unique(void)
{
    char a[64], b[64];
    sim_unicorn_name(0, a);
    CHECK_STR(a, "Shadowfax");
    sim_unicorn_name(32, b);
    CHECK_STR(b, "Shadowfax-2");
    int dup = 0;
    for (int i = 0; i < 2000; i += 7)
        for (int j = i + 1; j < 2000; j += 13) {
            sim_unicorn_name(i, a);
            sim_unicorn_name(j, b);
            dup += strcmp(a, b) == 0;
        }
    CHECK_INT(dup, 0);
    struct sim_config c = base();
    c.unicorns = 0;
    CHECK(sim_new(&c) == NULL);
}

TEST_MAIN("test_sim", test_deterministic, test_workshop_ranges, test_disorder_bounded, test_late_fraction,
          test_names_unique)
