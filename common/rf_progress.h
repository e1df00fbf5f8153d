/* rf_progress.h - a one-line progress and rate display on a terminal.
 *
 * Long runs show "\r<label> N events  R ev/s  M MB/s  <extra>" on standard
 * error at most once a second, only when standard error is a terminal (so
 * logs and tests see just the final summary). Never fails. */
#ifndef RF_PROGRESS_H
#define RF_PROGRESS_H

#include <stdint.h>

struct rf_progress {
    int enabled;
    int shown;
    int64_t start_ns, last_ns;
    uint64_t last_count;
    uint64_t calls;
    const char *label;
};

/* enabled: -1 = auto (isatty(stderr)), 0 = off, 1 = on. label is borrowed. */
void rf_progress_init(struct rf_progress *p, const char *label, int enabled);
/* Cheap to call per event: it looks at the clock only every 64 calls, so a
 * slow loop should also call it while idle. */
void rf_progress_update(struct rf_progress *p, uint64_t count, uint64_t bytes, const char *extra);
/* Erase the progress line (before a summary is printed). */
void rf_progress_done(struct rf_progress *p);
/* Seconds since rf_progress_init. */
double rf_progress_elapsed(const struct rf_progress *p);

#endif
