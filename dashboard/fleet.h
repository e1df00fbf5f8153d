/* fleet.h - what the dashboard knows about the fleet: each unicorn's latest
 * report and recent minutes, and the pipeline's health; fed by a Kafka
 * consumer thread following `wildrydes` (positions) and
 * `wildrydes-summary` (minute summaries).
 *
 * Every change bumps a global sequence number and stamps the unicorn with
 * it, so that a client that has seen everything up to sequence s needs only
 * the unicorns stamped after s: updates coalesce per unicorn by construction.
 * All functions lock one mutex; the JSON writers return malloc'd strings. */
#ifndef FLEET_H
#define FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "rf_opts.h"

struct fleet;

struct fleet_config {
    const char *brokers;
    const struct rf_strlist *props;
    const char *events_topic;   /* wildrydes */
    const char *summary_topic;  /* wildrydes-summary */
    const struct rf_strlist *metrics_from; /* other programs' /metrics URLs */
    int timeout_ms;
    int64_t forget_ms; /* a unicorn not heard of this long is forgotten (0: never) */
};

/* Start following the topics (a thread). NULL with err. */
struct fleet *fleet_start(const struct fleet_config *cfg, char *err, size_t errlen);
void fleet_stop(struct fleet *f);

uint64_t fleet_seq(struct fleet *f);
/* {"type":TYPE,"seq":N,"unicorns":[...],"gone":[names]} with every unicorn
 * changed after since (all of them for since = 0) and, for since > 0, the
 * names forgotten after since (a minute of them is remembered; a client
 * further behind is closed anyway); *seq gets the sequence it covers.
 * Returns NULL when nothing changed (and since > 0). */
char *fleet_json_changes(struct fleet *f, const char *type, uint64_t since, uint64_t *seq, size_t *len);
/* [{...}, ...]: every unicorn's latest report. */
char *fleet_json_all(struct fleet *f, size_t *len);
/* {"latest":{...},"minutes":[summary, ...]} for one unicorn, NULL if unknown. */
char *fleet_json_unicorn(struct fleet *f, const char *name, size_t *len);
/* {"type":"health","events":N,"events_per_s":X,"unicorns":N,"lag":N,"late":N,"dead_letters":N,...}. */
char *fleet_json_health(struct fleet *f, int clients, size_t *len);

#endif
