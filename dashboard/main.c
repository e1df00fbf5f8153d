/* main.c - `dashboard`: the live unicorn map, with fleet and pipeline
 * health, over a WebSocket. Options; the work is in fleet.c and server.c. */
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_redisurl.h"
#include "rf_signal.h"
#include "server.h"

struct dashboard_config {
    const char *brokers;
    long long timeout_ms;
    const char *metrics;
    const char *progress;
    struct rf_strlist props;
    const char *listen, *token, *archive, *tiles, *static_dir, *topic, *summary_topic, *redis;
    struct rf_strlist metrics_from;
    double max_rate;
    long long max_clients, max_frame, query_ms, max_rows, max_queries, forget_ms;
};

#define O(f) offsetof(struct dashboard_config, f)

static const struct rf_opt options[] = {
    RF_OPTS_KAFKA_CLIENT(struct dashboard_config),
    {"listen", 'l', RF_OPT_STRING, "127.0.0.1:8080", O(listen), "HOST:PORT", "where to serve the page (port 0: any free port)"},
    {"token", 0, RF_OPT_STRING, NULL, O(token), "TOKEN",
     "require TOKEN on every API call and WebSocket (Authorization: Bearer, or the rydeflow_token cookie the page "
     "sets from the printed #token= link); also $RYDEFLOW_TOKEN"},
    {"archive", 'a', RF_OPT_STRING, NULL, O(archive), "URL", "archive root for the query page (as bin/sql --archive)"},
    {"metrics-from", 0, RF_OPT_LIST, NULL, O(metrics_from), "URL",
     "another program's /metrics, for the health panel (repeatable)"},
    {"redis", 0, RF_OPT_STRING, NULL, O(redis), "URL",
     "the sink's Redis: a unicorn's recent minutes come from there (else from what the dashboard saw on Kafka)"},
    {"topic", 't', RF_OPT_STRING, "wildrydes", O(topic), "TOPIC", "positions"},
    {"summary-topic", 0, RF_OPT_STRING, "wildrydes-summary", O(summary_topic), "TOPIC", "minute summaries"},
    {"tiles", 0, RF_OPT_STRING, "https://tile.openstreetmap.org/{z}/{x}/{y}.png", O(tiles), "URL",
     "map tile URL template; when tiles cannot load the page shows a grid"},
    {"max-rate", 0, RF_OPT_DOUBLE, "10", O(max_rate), "N", "updates per second per client", 0.1, 100},
    {"max-clients", 0, RF_OPT_INT, "2000", O(max_clients), "N", "WebSocket clients at most", 1, 100000},
    {"max-frame", 0, RF_OPT_INT, "65536", O(max_frame), "BYTES", "largest message a client may send", 128, 16777216},
    {"query-timeout", 0, RF_OPT_DURATION, "10s", O(query_ms), "TIME", "time limit of an ad-hoc query"},
    {"forget-after", 0, RF_OPT_DURATION, "15m", O(forget_ms), "TIME",
     "forget a unicorn not heard of this long (the map drops it; 0 = never)"},
    {"max-queries", 0, RF_OPT_INT, "4", O(max_queries), "N", "ad-hoc queries running at once; more get HTTP 429", 1,
     1000},
    {"max-rows", 0, RF_OPT_INT, "10000", O(max_rows), "N", "rows an ad-hoc query may return", 1, 1000000},
    {"static", 0, RF_OPT_STRING, NULL, O(static_dir), "DIR", "the page's files (default: dashboard/static of the source tree)"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "dashboard",
    .summary = "Serve the live unicorn map, fleet and pipeline health, and archive queries, on one port.",
    .opts = options,
    .epilog = "Examples:\n"
              "  dashboard -b 127.0.0.1:9092                        # then open the printed URL\n"
              "  dashboard --archive /data/archive --metrics-from http://127.0.0.1:9101/metrics\n"
              "Listens on 127.0.0.1 unless told otherwise. See docs/operations.md for the API and protocol.\n"
              "Exit status: 0 on SIGTERM, 1 on failure, 2 for a bad command line.\n",
};

/* The source tree's root, from this binary's place (bin/ or build/asan/bin/). */
static void tree_root(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *dir = dirname(exe);
    const char *ups[] = {"/..", "/../../.."};
    for (size_t i = 0; i < sizeof ups / sizeof *ups; i++) {
        snprintf(out, len, "%s%s", dir, ups[i]);
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/dashboard/static/index.html", out);
        if (access(probe, R_OK) == 0)
            return;
    }
    snprintf(out, len, ".");
}

int main(int argc, char **argv)
{
    struct dashboard_config cfg = {0};
    int first;
    rf_log_init("dashboard");
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    char err[512];
    if (rf_kafka_validate_props(&cfg.props, err, sizeof err) < 0) {
        rf_opts_fail(&command, "%s", err);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (!cfg.token && getenv("RYDEFLOW_TOKEN") && *getenv("RYDEFLOW_TOKEN"))
        cfg.token = getenv("RYDEFLOW_TOKEN");
    char root[PATH_MAX], statics[PATH_MAX + 32], leaflet[PATH_MAX + 64], sqlbin[PATH_MAX];
    tree_root(root, sizeof root);
    snprintf(statics, sizeof statics, "%s/dashboard/static", root);
    snprintf(leaflet, sizeof leaflet, "%s/node_modules/leaflet/dist", root);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(sqlbin, sizeof sqlbin, "%s/sql", dirname(exe));
    struct rf_redisurl ru;
    if (cfg.redis && rf_redisurl_parse(cfg.redis, &ru, err, sizeof err) < 0) {
        rf_opts_fail(&command, "--redis %s", err);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (rf_opts_check_only()) {
        const char *dir = cfg.static_dir ? cfg.static_dir : statics;
        char what[PATH_MAX * 2];
        if (access(dir, R_OK) != 0) {
            rf_opts_fail(&command, "--static %s: cannot be read", dir);
            rf_opts_free(&command, &cfg);
            return 2;
        }
        snprintf(what, sizeof what, "the map on %s from %s and %s; Kafka at %s", cfg.listen, cfg.topic,
                 cfg.summary_topic, cfg.brokers);
        int rc = rf_opts_checked(&command, what);
        rf_opts_free(&command, &cfg);
        return rc;
    }
    struct fleet_config fc = {cfg.brokers, &cfg.props, cfg.topic, cfg.summary_topic, &cfg.metrics_from,
                              (int)cfg.timeout_ms, cfg.forget_ms};
    struct fleet *fleet = fleet_start(&fc, err, sizeof err);
    if (!fleet) {
        rf_error("%s", err);
        rf_opts_free(&command, &cfg);
        return 1;
    }
    struct server_config sc = {
        .listen = cfg.listen,
        .token = cfg.token,
        .static_dir = cfg.static_dir ? cfg.static_dir : statics,
        .leaflet_dir = leaflet,
        .archive = cfg.archive,
        .redis = cfg.redis,
        .sql_bin = sqlbin,
        .tiles = cfg.tiles,
        .max_rate = cfg.max_rate,
        .max_clients = (int)cfg.max_clients,
        .max_frame = cfg.max_frame,
        .query_ms = cfg.query_ms,
        .max_queries = cfg.max_queries,
        .max_rows = cfg.max_rows,
    };
    int rc = server_run(&sc, fleet);
    fleet_stop(fleet);
    rf_opts_free(&command, &cfg);
    return rc;
}
