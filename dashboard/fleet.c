/* fleet.c - the fleet's state and the Kafka feed (see fleet.h). */
#include "fleet.h"

#include "rf_event.h"
#include "rf_hash.h"
#include "rf_json.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_time.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MINUTES 60

struct unicorn {
    char name[RF_EVENT_NAME_MAX + 1];
    double lat, lon, distance;
    long long health, magic;
    int64_t time_ms;
    int64_t kafka_ms; /* the latest report's Kafka timestamp (when it was produced) */
    uint64_t seq;
    int64_t heard_ms; /* wall clock of the last report or summary */
    char *minutes[MINUTES]; /* summary JSON, a ring, newest at (head - 1) */
    int nmin, head;
};

#define GONE_KEEP_MS 60000 /* how long a forgotten name is told to clients */
struct gone {
    char name[RF_EVENT_NAME_MAX + 1];
    uint64_t seq;
    int64_t at_ms;
};

struct fleet {
    struct fleet_config cfg;
    pthread_t thread, scrape_thread;
    int scraping; /* the scraper thread runs */
    pthread_mutex_t lock;
    atomic_int stop; /* read by the feed and scraper threads */
    rd_kafka_t *rk;
    struct unicorn *u;
    int n, cap;
    int32_t *index; /* open addressing over u by name hash; -1 empty */
    size_t index_cap;
    struct gone *gone; /* forgotten recently, oldest first */
    int ngone, capgone;
    uint64_t seq;
    int64_t events, summaries, last_events, last_rate_ms;
    double rate;
    int64_t lag;
    double late, dead, processed, sunk; /* from --metrics-from */
    int sources_up, sources;
};

static uint64_t hash_name(const char *s) { return rf_hash_str(RF_HASH_INIT, s); }

/* Rebuild the name index with cap slots (a power of two), in place when
 * the size stays (that cannot fail). 0, or -1 when a new array cannot be
 * had (the old index is then left as it was). Lock held. */
static int reindex(struct fleet *f, size_t cap)
{
    int32_t *ni = cap == f->index_cap ? f->index : malloc(sizeof *ni * cap);
    if (!ni)
        return -1;
    memset(ni, 0xff, sizeof *ni * cap);
    for (int i = 0; i < f->n; i++) {
        size_t j = hash_name(f->u[i].name) & (cap - 1);
        while (ni[j] >= 0)
            j = (j + 1) & (cap - 1);
        ni[j] = i;
    }
    if (ni != f->index)
        free(f->index);
    f->index = ni;
    f->index_cap = cap;
    return 0;
}

/* Forget the unicorns not heard of for forget_ms: a fleet whose names come
 * and go (a million over a year) must not grow the dashboard without bound.
 * Clients are told in their next delta ("gone"). Lock held. */
static void forget(struct fleet *f, int64_t now)
{
    int k = 0;
    while (k < f->ngone && now - f->gone[k].at_ms > GONE_KEEP_MS)
        k++;
    if (k) {
        memmove(f->gone, f->gone + k, sizeof *f->gone * (size_t)(f->ngone - k));
        f->ngone -= k;
    }
    if (f->cfg.forget_ms <= 0)
        return;
    int kept = 0;
    for (int i = 0; i < f->n; i++) {
        struct unicorn *u = &f->u[i];
        if (now - u->heard_ms <= f->cfg.forget_ms) {
            if (kept != i)
                f->u[kept] = *u;
            kept++;
            continue;
        }
        if (f->ngone == f->capgone) {
            int cap = f->capgone ? f->capgone * 2 : 64;
            struct gone *ng = realloc(f->gone, sizeof *ng * (size_t)cap);
            if (ng) {
                f->gone = ng;
                f->capgone = cap;
            }
        }
        if (f->ngone < f->capgone) {
            struct gone *g = &f->gone[f->ngone++];
            snprintf(g->name, sizeof g->name, "%s", u->name);
            g->seq = ++f->seq;
            g->at_ms = now;
        }
        for (int m = 0; m < MINUTES; m++)
            free(u->minutes[m]);
    }
    if (kept == f->n)
        return;
    f->n = kept;
    /* the positions moved: the index is rebuilt, smaller when the fleet
     * shrank to under a quarter of it, else in place */
    size_t cap = 1024;
    while ((size_t)(f->n + 1) * 2 > cap)
        cap *= 2;
    if (cap >= f->index_cap / 4 || reindex(f, cap) < 0)
        reindex(f, f->index_cap);
    if (f->cap > 1024 && f->n < f->cap / 4) {
        struct unicorn *nu = realloc(f->u, sizeof *nu * (size_t)(f->cap / 2));
        if (nu) {
            f->u = nu;
            f->cap /= 2;
        }
    }
}

/* The unicorn named name, created if new (NULL when out of memory). Lock held. */
static struct unicorn *unicorn_at(struct fleet *f, const char *name)
{
    if ((size_t)(f->n + 1) * 2 > f->index_cap && reindex(f, f->index_cap ? f->index_cap * 2 : 1024) < 0)
        return NULL;
    size_t j = hash_name(name) & (f->index_cap - 1);
    while (f->index[j] >= 0) {
        if (strcmp(f->u[f->index[j]].name, name) == 0)
            return &f->u[f->index[j]];
        j = (j + 1) & (f->index_cap - 1);
    }
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 256;
        struct unicorn *nu = realloc(f->u, sizeof *nu * (size_t)cap);
        if (!nu)
            return NULL;
        f->u = nu;
        f->cap = cap;
    }
    struct unicorn *u = &f->u[f->n];
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    f->index[j] = f->n++;
    return u;
}

static void on_event(struct fleet *f, const char *data, size_t len, int64_t kafka_ms)
{
    struct rf_event ev;
    char why[128];
    if (rf_event_decode(data, len, &ev, why, sizeof why) < 0)
        return; /* the processor dead-letters it; the map just skips it */
    pthread_mutex_lock(&f->lock);
    struct unicorn *u = unicorn_at(f, ev.name);
    if (u && ev.time_ms >= u->time_ms) {
        u->time_ms = ev.time_ms;
        u->lat = ev.latitude;
        u->lon = ev.longitude;
        u->distance = ev.distance;
        u->health = ev.health_points;
        u->magic = ev.magic_points;
        u->kafka_ms = kafka_ms;
        u->seq = ++f->seq;
    }
    if (u)
        u->heard_ms = rf_time_now_ms();
    f->events++;
    pthread_mutex_unlock(&f->lock);
}

static void on_summary(struct fleet *f, const char *data, size_t len)
{
    json_t *o = json_loadb(data, len, 0, NULL);
    json_t *name = json_object_get(o, "Name");
    if (json_is_string(name) && json_string_length(name) <= RF_EVENT_NAME_MAX) {
        char *copy = strndup(data, len);
        pthread_mutex_lock(&f->lock);
        struct unicorn *u = unicorn_at(f, json_string_value(name));
        if (u)
            u->heard_ms = rf_time_now_ms();
        if (u && copy) {
            free(u->minutes[u->head]);
            u->minutes[u->head] = copy;
            u->head = (u->head + 1) % MINUTES;
            if (u->nmin < MINUTES)
                u->nmin++;
            copy = NULL;
        }
        f->summaries++;
        pthread_mutex_unlock(&f->lock);
        free(copy);
    }
    json_decref(o);
}

/* ---- other programs' metrics ------------------------------------------------ */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    FILE *out = arg;
    return fwrite(p, size, n, out);
}

/* Sum the samples of metric `name` (any labels) in Prometheus text. */
static double sample_sum(const char *text, const char *name, int *found)
{
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || (p[nl] != ' ' && p[nl] != '{'))
            continue;
        const char *v = strchr(p + nl, ' ');
        if (v) {
            sum += strtod(v + 1, NULL);
            *found = 1;
        }
    }
    return sum;
}

static void scrape(struct fleet *f)
{
    const struct rf_strlist *from = f->cfg.metrics_from;
    double late = 0, dead = 0, processed = 0, sunk = 0;
    int up = 0;
    for (int i = 0; from && i < from->n; i++) {
        char *buf = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&buf, &size);
        CURL *c = curl_easy_init();
        if (!out || !c) {
            if (out)
                fclose(out);
            free(buf);
            if (c)
                curl_easy_cleanup(c);
            continue;
        }
        curl_easy_setopt(c, CURLOPT_URL, from->v[i]);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 800L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_cleanup(c);
        fclose(out);
        if (rc == CURLE_OK && buf) {
            int found = 0;
            late += sample_sum(buf, "rydeflow_processor_stream_late_total", &found);
            dead += sample_sum(buf, "rydeflow_processor_dead_letters_total", &found);
            dead += sample_sum(buf, "rydeflow_sink_dead_letters_total", &found);
            processed += sample_sum(buf, "rydeflow_processor_events_total", &found);
            sunk += sample_sum(buf, "rydeflow_sink_records_total", &found);
            up += found;
        }
        free(buf);
    }
    pthread_mutex_lock(&f->lock);
    f->late = late;
    f->dead = dead;
    f->processed = processed;
    f->sunk = sunk;
    f->sources_up = up;
    f->sources = from ? from->n : 0;
    pthread_mutex_unlock(&f->lock);
}

/* ---- the feed thread --------------------------------------------------------- */

/* Assign every partition of the topics: events from their end, summaries
 * from the last few thousand. 0 once assigned, -1 while a topic is missing. */
static int assign(struct fleet *f)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
    const char *topics[] = {f->cfg.events_topic, f->cfg.summary_topic};
    for (int t = 0; t < 2; t++) {
        char err[256];
        int n = rf_kafka_partition_count(f->rk, topics[t], 2000, err, sizeof err);
        if (n <= 0) {
            rd_kafka_topic_partition_list_destroy(list);
            return -1;
        }
        for (int p = 0; p < n; p++)
            rd_kafka_topic_partition_list_add(list, topics[t], p)->offset =
                t == 0 ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_TAIL(2000);
    }
    rd_kafka_assign(f->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    return 0;
}

static void update_lag(struct fleet *f)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(f->rk, &a) || !a)
        return;
    rd_kafka_position(f->rk, a);
    int64_t lag = 0;
    for (int i = 0; i < a->cnt; i++) {
        int64_t lo, hi;
        if (strcmp(a->elems[i].topic, f->cfg.events_topic) == 0 && a->elems[i].offset >= 0 &&
            rd_kafka_get_watermark_offsets(f->rk, a->elems[i].topic, a->elems[i].partition, &lo, &hi) == 0 &&
            hi > a->elems[i].offset)
            lag += hi - a->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(a);
    pthread_mutex_lock(&f->lock);
    f->lag = lag;
    pthread_mutex_unlock(&f->lock);
}

static void *feed(void *arg)
{
    struct fleet *f = arg;
    int assigned = 0;
    int64_t last_rate = 0, last_assign_try = 0;
    while (!f->stop) {
        int64_t now = rf_time_now_ms();
        if (!assigned && now - last_assign_try >= 2000) {
            last_assign_try = now;
            if (assign(f) == 0)
                assigned = 1;
            else
                rf_debug("waiting for topics %s and %s", f->cfg.events_topic, f->cfg.summary_topic);
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(f->rk, 100);
        if (m) {
            if (!m->err) {
                const char *topic = rd_kafka_topic_name(m->rkt);
                if (strcmp(topic, f->cfg.events_topic) == 0)
                    on_event(f, m->payload, m->len, rd_kafka_message_timestamp(m, NULL));
                else
                    on_summary(f, m->payload, m->len);
            }
            rd_kafka_message_destroy(m);
        }
        if (now - last_rate >= 1000) {
            pthread_mutex_lock(&f->lock);
            double secs = f->last_rate_ms ? (double)(now - f->last_rate_ms) / 1000.0 : 0;
            f->rate = secs > 0 ? (double)(f->events - f->last_events) / secs : 0;
            f->last_events = f->events;
            f->last_rate_ms = now;
            forget(f, now);
            pthread_mutex_unlock(&f->lock);
            update_lag(f);
            last_rate = now;
        }
    }
    return NULL;
}

/* The other programs' /metrics, once a second, on a thread of its own: a
 * source that is slow to answer (up to its 800 ms timeout) must hold up
 * neither the feed nor a client. */
static void *scraper(void *arg)
{
    struct fleet *f = arg;
    while (!f->stop) {
        int64_t t0 = rf_time_now_ms();
        scrape(f);
        for (int64_t left = 1000 - (rf_time_now_ms() - t0); left > 0 && !f->stop; left -= 50)
            usleep(left < 50 ? (useconds_t)left * 1000 : 50000);
    }
    return NULL;
}

struct fleet *fleet_start(const struct fleet_config *cfg, char *err, size_t errlen)
{
    struct fleet *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->cfg = *cfg;
    pthread_mutex_init(&f->lock, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const char *const defaults[] = {"enable.partition.eof=false", NULL};
    f->rk = rf_kafka_consumer_new(cfg->brokers, NULL, cfg->props, defaults, NULL, NULL, err, errlen);
    if (!f->rk || rf_kafka_check_reachable(f->rk, cfg->brokers, cfg->timeout_ms, err, errlen) < 0 ||
        pthread_create(&f->thread, NULL, feed, f) != 0) {
        if (f->rk)
            rd_kafka_destroy(f->rk);
        free(f);
        return NULL;
    }
    if (cfg->metrics_from && cfg->metrics_from->n > 0)
        f->scraping = pthread_create(&f->scrape_thread, NULL, scraper, f) == 0;
    return f;
}

void fleet_stop(struct fleet *f)
{
    if (!f)
        return;
    f->stop = 1;
    pthread_join(f->thread, NULL);
    if (f->scraping)
        pthread_join(f->scrape_thread, NULL);
    rd_kafka_consumer_close(f->rk);
    rd_kafka_destroy(f->rk);
    for (int i = 0; i < f->n; i++)
        for (int k = 0; k < MINUTES; k++)
            free(f->u[i].minutes[k]);
    free(f->u);
    free(f->index);
    free(f->gone);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* Grow an array of elem-sized items to hold at least need (doubling). */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 256;
    while (cap2 < need)
        cap2 *= 2;
    void *n = realloc(*arr, cap2 * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = cap2;
    return 0;
}

int fleet_pull(struct fleet *f, uint64_t since, struct fleet_changes *out)
{
    out->n = out->ngone = 0;
    int rc = 0;
    pthread_mutex_lock(&f->lock);
    if (f->seq > since) {
        size_t need = 0;
        for (int i = 0; i < f->n; i++)
            need += f->u[i].seq > since && f->u[i].time_ms;
        if (grow((void **)&out->pos, &out->cap, need, sizeof *out->pos) < 0)
            rc = -1;
        for (int i = 0; i < f->n && out->n < out->cap; i++) {
            const struct unicorn *u = &f->u[i];
            if (u->seq <= since || !u->time_ms)
                continue;
            struct fleet_pos *p = &out->pos[out->n++];
            memcpy(p->name, u->name, sizeof p->name);
            p->lat = u->lat;
            p->lon = u->lon;
            p->distance = u->distance;
            p->health = u->health;
            p->magic = u->magic;
            p->time_ms = u->time_ms;
            p->kafka_ms = u->kafka_ms;
        }
        if (since > 0) {
            size_t ng = 0;
            for (int i = 0; i < f->ngone; i++)
                ng += f->gone[i].seq > since;
            if (grow((void **)&out->gone, &out->capgone, ng, sizeof *out->gone) < 0)
                rc = -1;
            for (int i = 0; i < f->ngone && out->ngone < out->capgone; i++)
                if (f->gone[i].seq > since)
                    memcpy(out->gone[out->ngone++], f->gone[i].name, sizeof *out->gone);
        }
    }
    if (rc == 0)
        out->seq = f->seq > since ? f->seq : since;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

void fleet_changes_free(struct fleet_changes *c)
{
    free(c->pos);
    free(c->gone);
    memset(c, 0, sizeof *c);
}

size_t fleet_pos_format(char *buf, size_t cap, const char *ename, const struct fleet_pos *p)
{
    char t[32];
    rf_time_format(p->time_ms, t);
    int n = snprintf(buf, cap,
                     "{\"name\":%s,\"time\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,\"distance\":%.1f,\"health\":%lld,"
                     "\"magic\":%lld,\"at\":%lld}",
                     ename, t, p->lat, p->lon, p->distance, p->health, p->magic, (long long)p->kafka_ms);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void unicorn_json(FILE *out, const struct unicorn *u)
{
    struct fleet_pos p = {.lat = u->lat, .lon = u->lon, .distance = u->distance, .health = u->health,
                          .magic = u->magic, .time_ms = u->time_ms, .kafka_ms = u->kafka_ms};
    char *ename = NULL;
    size_t elen = 0;
    FILE *e = open_memstream(&ename, &elen);
    if (!e)
        return;
    rf_json_write_string(e, u->name, strlen(u->name));
    fclose(e);
    char buf[RF_EVENT_NAME_MAX * 6 + 256];
    size_t n = ename ? fleet_pos_format(buf, sizeof buf, ename, &p) : 0;
    fwrite(buf, 1, n, out);
    free(ename);
}

char *fleet_json_unicorn(struct fleet *f, const char *name, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    pthread_mutex_lock(&f->lock);
    struct unicorn *u = NULL;
    for (int i = 0; i < f->n && !u; i++)
        if (strcmp(f->u[i].name, name) == 0)
            u = &f->u[i];
    FILE *out = u ? open_memstream(&buf, &size) : NULL;
    if (out) {
        fputs("{\"latest\":", out);
        if (u->time_ms)
            unicorn_json(out, u);
        else
            fputs("null", out);
        fputs(",\"minutes\":[", out);
        for (int k = 0; k < u->nmin; k++) { /* oldest first */
            const char *m = u->minutes[(u->head - u->nmin + k + MINUTES) % MINUTES];
            fprintf(out, "%s%s", k ? "," : "", m);
        }
        fputs("]}", out);
        fclose(out);
    }
    pthread_mutex_unlock(&f->lock);
    if (!u)
        return NULL;
    *len = size;
    return buf;
}

char *fleet_json_health(struct fleet *f, int clients, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return NULL;
    pthread_mutex_lock(&f->lock);
    fprintf(out,
            "{\"type\":\"health\",\"events\":%lld,\"events_per_s\":%.1f,\"summaries\":%lld,\"unicorns\":%d,\"lag\":%lld,"
            "\"late\":%.0f,\"dead_letters\":%.0f,\"processed\":%.0f,\"sunk\":%.0f,\"sources_up\":%d,\"sources\":%d,"
            "\"clients\":%d}",
            (long long)f->events, f->rate, (long long)f->summaries, f->n, (long long)f->lag, f->late, f->dead,
            f->processed, f->sunk, f->sources_up, f->sources, clients);
    pthread_mutex_unlock(&f->lock);
    fclose(out);
    *len = size;
    return buf;
}
