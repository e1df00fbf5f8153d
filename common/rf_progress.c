/* rf_progress.c - terminal progress line (see rf_progress.h). */
#include "rf_progress.h"
#include "rf_time.h"

#include <stdio.h>
#include <unistd.h>

void rf_progress_init(struct rf_progress *p, const char *label, int enabled)
{
    p->enabled = enabled < 0 ? isatty(STDERR_FILENO) : enabled;
    p->shown = 0;
    p->start_ns = p->last_ns = rf_time_mono_ns();
    p->last_count = 0;
    p->calls = 0;
    p->label = label;
}

void rf_progress_update(struct rf_progress *p, uint64_t count, uint64_t bytes, const char *extra)
{
    if (!p->enabled || (p->calls++ & 63) != 0)
        return;
    int64_t now = rf_time_mono_ns();
    if (now - p->last_ns < 1000000000)
        return;
    double dt = (double)(now - p->last_ns) / 1e9, total = (double)(now - p->start_ns) / 1e9;
    fprintf(stderr, "\r\033[K%s %llu events  %.0f ev/s  %.1f MB/s  %s", p->label, (unsigned long long)count,
            (double)(count - p->last_count) / dt, (double)bytes / 1e6 / total, extra ? extra : "");
    fflush(stderr);
    p->shown = 1;
    p->last_ns = now;
    p->last_count = count;
}

void rf_progress_done(struct rf_progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r\033[K");
    p->shown = 0;
}

double rf_progress_elapsed(const struct rf_progress *p)
{
    return (double)(rf_time_mono_ns() - p->start_ns) / 1e9;
}
