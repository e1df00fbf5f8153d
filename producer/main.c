/* main.c - `producer`: simulate the unicorn fleet, or forward NDJSON, into Kafka. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "producer.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"

#define O(f) offsetof(struct producer_config, f)

static const struct rf_opt options[] = {
    RF_OPTS_KAFKA_CLIENT(struct producer_config),
    {"topic", 't', RF_OPT_STRING, "wildrydes", O(topic), "NAME", "topic to produce to"},
    {"unicorns", 'n', RF_OPT_INT, "1", O(unicorns), "N", "fleet size", 1, 1000000},
    {"rate", 'r', RF_OPT_DOUBLE, "-1", O(rate), "EV/S",
     "total events per second; 0 = as fast as possible [default: one per unicorn per second live, "
     "unlimited with --start-time or --input]", -1, 1e9},
    {"count", 'c', RF_OPT_INT, "0", O(count), "M", "stop after M events (0 = no limit)", 0, 1e18},
    {"duration", 'd', RF_OPT_DURATION, "0", O(duration_ms), "TIME", "stop after TIME of event time (e.g. 10m)"},
    {"seed", 's', RF_OPT_INT, "1", O(seed), "S", "random seed: the same seed gives the same events"},
    {"start-time", 0, RF_OPT_STRING, NULL, O(start_time), "TIME",
     "simulate from this event time ('YYYY-MM-DD HH:MM:SS', YYYY-MM-DD, @EPOCH_MS) instead of now"},
    {"disorder-ms", 0, RF_OPT_INT, "0", O(disorder_ms), "MS", "send events up to MS out of event-time order", 0,
     86400000},
    {"burst", 0, RF_OPT_FLAG, NULL, O(burst), NULL,
     "each second the whole fleet reports at once: one event time, sent together [default: spread over the second]"},
    {"late-fraction", 0, RF_OPT_DOUBLE, "0", O(late_fraction), "F", "share of events sent far behind the rest", 0,
     1},
    {"late-by", 0, RF_OPT_DURATION, "5m", O(late_ms), "TIME", "how far behind a late event is sent"},
    {"bbox", 0, RF_OPT_STRING, "40.700,-74.020,40.880,-73.910", O(bbox), "LAT,LON,LAT,LON",
     "bounding box the fleet stays in (Manhattan)"},
    {"input", 'i', RF_OPT_STRING, NULL, O(input), "FILE|-",
     "forward NDJSON records from FILE (or stdin) instead of simulating; invalid lines go to --deadletter-topic"},
    {"deadletter-topic", 0, RF_OPT_STRING, "wildrydes-deadletter", O(dead_topic), "TOPIC",
     "where --input lines that are not workshop records go, with the reason"},
    {"print", 0, RF_OPT_FLAG, NULL, O(print), NULL, "write the records to stdout as NDJSON instead of Kafka"},
    {"partitions", 'p', RF_OPT_INT, "0", O(partitions), "N",
     "create the topic with N partitions if it does not exist (0 = leave it to the broker)", 0, 100000},
    {"flush-timeout", 0, RF_OPT_DURATION, "60s", O(flush_timeout_ms), "TIME",
     "how long to wait for outstanding deliveries at exit"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "producer",
    .summary = "Send unicorn telemetry to Kafka, one JSON record per event, keyed by unicorn Name.",
    .opts = options,
    .epilog = "Examples:\n"
              "  producer --unicorns 100                        # a live fleet, one event per unicorn per second\n"
              "  producer -n 1000 --start-time 2026-11-22 -d 1h  # an hour of event time, as fast as possible\n"
              "  producer --input events.ndjson                 # forward a file\n"
              "  producer -n 5 -c 20 --print                    # see what would be sent\n"
              "Exit status: 0 when every event was delivered, 1 otherwise, 2 for a bad command line.\n",
};

int main(int argc, char **argv)
{
    struct producer_config cfg = {0};
    int first;
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    char err[512];
    const char *bad = NULL;
    if (cfg.count > 0 && cfg.duration_ms > 0)
        bad = "--count and --duration cannot be combined";
    else if (cfg.input && (cfg.disorder_ms > 0 || cfg.late_fraction > 0))
        bad = "--disorder-ms and --late-fraction apply to the simulator, not --input";
    else if (cfg.input && cfg.burst)
        bad = "--burst applies to the simulator, not --input";
    else if (rf_kafka_validate_props(&cfg.props, err, sizeof err) < 0)
        bad = err;
    if (bad) {
        rf_opts_fail(&command, "%s", bad);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (rf_opts_check_only()) {
        char what[1024];
        snprintf(what, sizeof what, "%s to %s; Kafka at %s", cfg.input ? cfg.input : "the simulated fleet", cfg.topic,
                 cfg.brokers);
        if (cfg.input && access(cfg.input, R_OK) != 0 && strcmp(cfg.input, "-") != 0) {
            rf_opts_fail(&command, "--input %s: cannot be read", cfg.input);
            rf_opts_free(&command, &cfg);
            return 2;
        }
        int rc = rf_opts_checked(&command, what);
        rf_opts_free(&command, &cfg);
        return rc;
    }
    rf_signal_install();
    int rc = producer_run(&cfg);
    rf_opts_free(&command, &cfg);
    return rc;
}
