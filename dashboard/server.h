/* server.h - the dashboard's server: one port, libevent. HTTP for the page
 * (static files, Leaflet), a JSON API (/api/fleet, /api/unicorn,
 * /api/health, /api/query), and WebSocket (RFC 6455) at /ws with wslay
 * doing the framing: a client gets a snapshot of the fleet, then deltas at
 * most max_rate times a second, and a health message every second. */
#ifndef SERVER_H
#define SERVER_H

#include "fleet.h"

struct server_config {
    const char *listen;      /* HOST:PORT */
    const char *token;       /* required on /api and /ws when set */
    const char *static_dir;  /* the page */
    const char *leaflet_dir; /* Leaflet's dist/ */
    const char *archive;     /* root for /api/query, or NULL */
    const char *redis;       /* the sink's Redis, for a unicorn's minutes, or NULL */
    const char *sql_bin;     /* bin/sql, for /api/query */
    const char *tiles;       /* tile URL template for the page */
    double max_rate;         /* updates per second per client */
    int max_clients;
    long long max_frame;     /* largest message a client may send */
    long long query_ms;      /* a query's time limit */
    long long max_queries;   /* queries running at once; more get HTTP 429 */
    long long max_rows;      /* a query's row limit */
};

/* Serve until SIGINT/SIGTERM. Prints "dashboard: http://HOST:PORT/" on
 * standard error once listening. Returns the exit code. */
int server_run(const struct server_config *cfg, struct fleet *fleet);

#endif
