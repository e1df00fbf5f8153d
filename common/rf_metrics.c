/* rf_metrics.c - metrics registry and Prometheus endpoint (see rf_metrics.h). */
#include "rf_metrics.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct entry {
    struct rf_metric metric; /* first, so a metric pointer is stable inside its entry */
    struct rf_histogram hist; /* KIND_HISTOGRAM */
    enum kind kind;
    char *name, *labels, *help;
    struct entry *next;
};

struct rf_metrics {
    pthread_mutex_t lock; /* guards the list; values are atomics */
    struct entry *head, *tail;
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
    int serving;
};

struct rf_metrics *rf_metrics_new(void)
{
    struct rf_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void rf_metrics_free(struct rf_metrics *m)
{
    if (!m)
        return;
    if (m->serving) {
        event_base_loopbreak(m->base);
        pthread_join(m->thread, NULL);
        evhttp_free(m->http);
        event_base_free(m->base);
    }
    for (struct entry *e = m->head, *n; e; e = n) {
        n = e->next;
        free(e->name);
        free(e->labels);
        free(e->help);
        free(e);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static struct rf_metric *add(struct rf_metrics *m, enum kind kind, const char *name, const char *labels,
                             const char *help)
{
    if (!m)
        return NULL;
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->kind = kind;
    e->name = strdup(name);
    e->labels = labels ? strdup(labels) : NULL;
    e->help = strdup(help ? help : "");
    if (!e->name || !e->help || (labels && !e->labels)) {
        free(e->name);
        free(e->labels);
        free(e->help);
        free(e);
        return NULL;
    }
    pthread_mutex_lock(&m->lock);
    if (m->tail)
        m->tail->next = e;
    else
        m->head = e;
    m->tail = e;
    pthread_mutex_unlock(&m->lock);
    return &e->metric;
}

struct rf_metric *rf_metrics_counter(struct rf_metrics *m, const char *name, const char *labels, const char *help)
{
    return add(m, KIND_COUNTER, name, labels, help);
}

struct rf_metric *rf_metrics_gauge(struct rf_metrics *m, const char *name, const char *labels, const char *help)
{
    return add(m, KIND_GAUGE, name, labels, help);
}

const double rf_histogram_bounds_ms[RF_HISTOGRAM_BUCKETS] = {1,   2.5,  5,    10,   25,   50,    100,
                                                             250, 500,  1000, 2500, 5000, 10000, 30000};

struct rf_histogram *rf_metrics_histogram(struct rf_metrics *m, const char *name, const char *labels, const char *help)
{
    struct rf_metric *h = add(m, KIND_HISTOGRAM, name, labels, help);
    return h ? &((struct entry *)(void *)h)->hist : NULL;
}

void rf_histogram_observe_ms(struct rf_histogram *h, double ms)
{
    if (!h)
        return;
    int i = 0;
    while (i < RF_HISTOGRAM_BUCKETS && ms > rf_histogram_bounds_ms[i])
        i++;
    atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (int64_t)(ms * 1000), memory_order_relaxed);
}

static void render_histogram(FILE *f, const struct entry *e)
{
    const char *sep = e->labels ? "," : "";
    const char *labels = e->labels ? e->labels : "";
    int64_t cum = 0;
    for (int i = 0; i <= RF_HISTOGRAM_BUCKETS; i++) {
        cum += atomic_load_explicit(&e->hist.count[i], memory_order_relaxed);
        if (i < RF_HISTOGRAM_BUCKETS)
            fprintf(f, "%s_bucket{%s%sle=\"%g\"} %lld\n", e->name, labels, sep, rf_histogram_bounds_ms[i] / 1000,
                    (long long)cum);
        else
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %lld\n", e->name, labels, sep, (long long)cum);
    }
    const char *open = e->labels ? "{" : "", *close = e->labels ? "}" : "";
    fprintf(f, "%s_sum%s%s%s %.6f\n", e->name, open, labels, close,
            (double)atomic_load_explicit(&e->hist.sum_us, memory_order_relaxed) / 1e6);
    fprintf(f, "%s_count%s%s%s %lld\n", e->name, open, labels, close, (long long)cum);
}

struct rf_metric *rf_metrics_gauge_fn(struct rf_metrics *m, const char *name, const char *labels, const char *help,
                                      double (*compute)(void *), void *arg)
{
    struct rf_metric *g = add(m, KIND_GAUGE, name, labels, help);
    if (g) {
        g->compute = compute;
        g->compute_arg = arg;
    }
    return g;
}

char *rf_metrics_render(struct rf_metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    for (struct entry *e = m->head; e; e = e->next) {
        int first = 1; /* HELP/TYPE once per metric name */
        for (struct entry *p = m->head; p != e; p = p->next)
            if (strcmp(p->name, e->name) == 0) {
                first = 0;
                break;
            }
        if (first)
            fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", e->name, e->help, e->name,
                    e->kind == KIND_COUNTER ? "counter" : e->kind == KIND_GAUGE ? "gauge" : "histogram");
        if (e->kind == KIND_HISTOGRAM) {
            render_histogram(f, e);
            continue;
        }
        fputs(e->name, f);
        if (e->labels)
            fprintf(f, "{%s}", e->labels);
        if (e->metric.compute)
            fprintf(f, " %.17g\n", e->metric.compute(e->metric.compute_arg));
        else
            fprintf(f, " %lld\n", (long long)atomic_load_explicit(&e->metric.value, memory_order_relaxed));
    }
    pthread_mutex_unlock(&m->lock);
    fclose(f);
    return buf;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct rf_metrics *m = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (strcmp(uri, "/metrics") == 0) {
        char *text = rf_metrics_render(m);
        if (!text) {
            evbuffer_free(out);
            evhttp_send_error(req, 500, NULL);
            return;
        }
        evbuffer_add(out, text, strlen(text));
        free(text);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          "text/plain; version=0.0.4; charset=utf-8");
        evhttp_send_reply(req, 200, "OK", out);
    } else if (strcmp(uri, "/healthz") == 0) {
        evbuffer_add_printf(out, "ok\n");
        evhttp_send_reply(req, 200, "OK", out);
    } else {
        evbuffer_add_printf(out, "not found: try /metrics\n");
        evhttp_send_reply(req, 404, "Not Found", out);
    }
    evbuffer_free(out);
}

static void *serve_thread(void *arg)
{
    struct rf_metrics *m = arg;
    event_base_dispatch(m->base);
    return NULL;
}

int rf_split_hostport(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return -1;
    const char *h = addr;
    size_t hl = (size_t)(colon - addr);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl + 1 > hostlen)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int rf_metrics_serve(struct rf_metrics *m, const char *addr, int *bound_port, char *err, size_t errlen)
{
    char host[256];
    int port;
    if (rf_split_hostport(addr, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "metrics address '%s': expected HOST:PORT", addr);
        return -1;
    }
    /* The base is stopped from another thread (rf_metrics_free), which
     * libevent only allows once its pthread locking is switched on. */
    evthread_use_pthreads();
    m->base = event_base_new();
    m->http = m->base ? evhttp_new(m->base) : NULL;
    if (!m->http) {
        snprintf(err, errlen, "metrics: cannot create HTTP server");
        goto fail;
    }
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(m->http, host, (ev_uint16_t)port);
    if (!sock) {
        snprintf(err, errlen, "metrics: cannot listen on %s (address in use or not local?)", addr);
        goto fail;
    }
    if (bound_port) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        *bound_port = port;
        if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    evhttp_set_gencb(m->http, on_request, m);
    if (pthread_create(&m->thread, NULL, serve_thread, m) != 0) {
        snprintf(err, errlen, "metrics: cannot start thread");
        goto fail;
    }
    m->serving = 1;
    return 0;
fail:
    if (m->http)
        evhttp_free(m->http);
    if (m->base)
        event_base_free(m->base);
    m->http = NULL;
    m->base = NULL;
    return -1;
}
