/* rf_metrics.h - a small metrics registry served as Prometheus text.
 *
 * A program registers its counters and gauges once at start-up, updates them
 * lock-free from any thread (relaxed atomics: a scrape may see one counter a
 * moment ahead of another, never a torn value), and optionally serves them on
 * http://ADDR/metrics from a background thread (libevent's evhttp).
 *
 * Ownership: the registry owns every metric; pointers returned by
 * rf_metrics_counter()/rf_metrics_gauge() stay valid until rf_metrics_free(). */
#ifndef RF_METRICS_H
#define RF_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct rf_metrics;

struct rf_metric {
    _Atomic int64_t value;
    /* Gauges may be computed at scrape time instead (value is then ignored). */
    double (*compute)(void *arg);
    void *compute_arg;
};

/* An empty registry, or NULL if out of memory. */
struct rf_metrics *rf_metrics_new(void);
/* Stop serving (if started) and free every metric. NULL is ignored. */
void rf_metrics_free(struct rf_metrics *m);

/* Register a counter (monotonic) or gauge. name must be a valid Prometheus
 * metric name; labels is either NULL or the text between the braces, e.g.
 * "topic=\"wildrydes\"" (copied). Several metrics may share a name with
 * different labels; HELP/TYPE come from the first. Returns NULL only when
 * out of memory; callers may pass NULL to the update helpers below. */
struct rf_metric *rf_metrics_counter(struct rf_metrics *m, const char *name, const char *labels, const char *help);
struct rf_metric *rf_metrics_gauge(struct rf_metrics *m, const char *name, const char *labels, const char *help);
struct rf_metric *rf_metrics_gauge_fn(struct rf_metrics *m, const char *name, const char *labels, const char *help,
                                      double (*compute)(void *), void *arg);

static inline void rf_metric_add(struct rf_metric *c, int64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}
static inline void rf_metric_set(struct rf_metric *g, int64_t v)
{
    if (g)
        atomic_store_explicit(&g->value, v, memory_order_relaxed);
}
static inline int64_t rf_metric_get(struct rf_metric *c)
{
    return c ? atomic_load_explicit(&c->value, memory_order_relaxed) : 0;
}

/* A histogram of durations in milliseconds, with fixed buckets (the
 * Prometheus convention: cumulative counts per upper bound, +Inf, sum and
 * count). Observing is lock-free and allocation-free (relaxed atomics), so
 * it may be called per batch or per window from any thread. */
#define RF_HISTOGRAM_BUCKETS 14
struct rf_histogram {
    _Atomic int64_t count[RF_HISTOGRAM_BUCKETS + 1]; /* per bucket (not cumulative); the last is +Inf */
    _Atomic int64_t sum_us;                         /* the sum, in microseconds */
};
/* The bucket bounds (ms): 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
 * 5000, 10000, 30000. */
extern const double rf_histogram_bounds_ms[RF_HISTOGRAM_BUCKETS];
/* Register a histogram (name without the _bucket/_sum/_count suffixes, in
 * seconds as Prometheus prefers: name it ..._seconds; values are observed in
 * ms and rendered in seconds). NULL only when out of memory; observing NULL
 * does nothing. */
struct rf_histogram *rf_metrics_histogram(struct rf_metrics *m, const char *name, const char *labels,
                                          const char *help);
void rf_histogram_observe_ms(struct rf_histogram *h, double ms);

/* Render every metric in the Prometheus text exposition format (version
 * 0.0.4). Returns a malloc'd NUL-terminated string the caller frees, or NULL. */
char *rf_metrics_render(struct rf_metrics *m);

/* Serve GET /metrics (and GET /healthz) on addr "HOST:PORT" from a background
 * thread. Port 0 picks a free port; *bound_port (may be NULL) receives the port.
 * Returns 0, or -1 with err filled (bad address, port in use). */
int rf_metrics_serve(struct rf_metrics *m, const char *addr, int *bound_port, char *err, size_t errlen);

/* Split "HOST:PORT" (or "[v6]:PORT") into host and port. Returns 0 or -1. */
int rf_split_hostport(const char *addr, char *host, size_t hostlen, int *port);

#endif
