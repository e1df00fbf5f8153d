/* test_metrics.c - registry, Prometheus text, and the HTTP endpoint. */
#include "rf_metrics.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static double answer(void *arg)
{
    (void)arg;
    return 42.5;
}

static void test_render(void)
{
    struct rf_metrics *m = rf_metrics_new();
    struct rf_metric *a = rf_metrics_counter(m, "x_total", "topic=\"a\"", "Things");
    struct rf_metric *b = rf_metrics_counter(m, "x_total", "topic=\"b\"", "Things");
    rf_metrics_gauge_fn(m, "y", NULL, "Computed", answer, NULL);
    rf_metric_add(a, 3);
    rf_metric_add(b, 1);
    rf_metric_add(NULL, 1); /* tolerated */
    char *text = rf_metrics_render(m);
    CHECK_STR(text, "# HELP x_total Things\n# TYPE x_total counter\nx_total{topic=\"a\"} 3\nx_total{topic=\"b\"} 1\n"
                    "# HELP y Computed\n# TYPE y gauge\ny 42.5\n");
    free(text);
    rf_metrics_free(m);
}

/* Histograms: cumulative buckets in seconds, +Inf, sum and count; a value
 * on a bound falls in that bound's bucket. */
static void test_histogram(void)
{
    struct rf_metrics *m = rf_metrics_new();
    struct rf_histogram *h = rf_metrics_histogram(m, "lat_seconds", "stream=\"s\"", "Latency");
    const double obs[] = {0.5, 1, 7, 100, 40000};
    for (size_t i = 0; i < sizeof obs / sizeof *obs; i++)
        rf_histogram_observe_ms(h, obs[i]);
    rf_histogram_observe_ms(NULL, 1); /* tolerated */
    char *text = rf_metrics_render(m);
    CHECK(strstr(text, "# TYPE lat_seconds histogram\n") != NULL);
    const char *want[] = {"lat_seconds_bucket{stream=\"s\",le=\"0.001\"} 2\n",
                          "lat_seconds_bucket{stream=\"s\",le=\"0.005\"} 2\n",
                          "lat_seconds_bucket{stream=\"s\",le=\"0.01\"} 3\n",
                          "lat_seconds_bucket{stream=\"s\",le=\"0.1\"} 4\n",
                          "lat_seconds_bucket{stream=\"s\",le=\"30\"} 4\n",
                          "lat_seconds_bucket{stream=\"s\",le=\"+Inf\"} 5\n",
                          "lat_seconds_sum{stream=\"s\"} 40.108500\n", "lat_seconds_count{stream=\"s\"} 5\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!CHECK(strstr(text, want[i]) != NULL))
            fprintf(stderr, "  missing: %s", want[i]);
    free(text);
    struct rf_metrics *bare = rf_metrics_new();
    rf_histogram_observe_ms(rf_metrics_histogram(bare, "b_seconds", NULL, "No labels"), 3);
    text = rf_metrics_render(bare);
    CHECK(strstr(text, "b_seconds_bucket{le=\"0.005\"} 1\nb_seconds_bucket{le=\"0.01\"} 1\n") != NULL);
    CHECK(strstr(text, "b_seconds_sum 0.003000\nb_seconds_count 1\n") != NULL);
    free(text);
    rf_metrics_free(bare);
    rf_metrics_free(m);
}

static void test_http(void)
{
    struct rf_metrics *m = rf_metrics_new();
    rf_metric_add(rf_metrics_counter(m, "served_total", NULL, "Served"), 7);
    char err[256];
    int port = 0;
    CHECK_INT(rf_metrics_serve(m, "127.0.0.1:0", &port, err, sizeof err), 0);
    CHECK(port > 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
    CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    char buf[4096] = "";
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    CHECK(strstr(buf, "200 OK") != NULL);
    CHECK(strstr(buf, "served_total 7\n") != NULL);
    struct rf_metrics *other = rf_metrics_new();
    CHECK_INT(rf_metrics_serve(other, "nonsense", NULL, err, sizeof err), -1);
    rf_metrics_free(other);
    rf_metrics_free(m);
}

static void test_hostport(void)
{
    char h[64];
    int p;
    CHECK(rf_split_hostport("127.0.0.1:9100", h, sizeof h, &p) == 0 && p == 9100 && strcmp(h, "127.0.0.1") == 0);
    CHECK(rf_split_hostport("[::1]:80", h, sizeof h, &p) == 0 && strcmp(h, "::1") == 0);
    CHECK(rf_split_hostport("nohost", h, sizeof h, &p) == -1);
    CHECK(rf_split_hostport("h:99999", h, sizeof h, &p) == -1);
}

TEST_MAIN("test_metrics", test_render, test_histogram, test_http, test_hostport)
