/* fleet.h - what the dashboard knows about the fleet: each unicorn's latest
 * report and recent minutes, and the pipeline's health; fed by a Kafka
 * consumer thread following `wildrydes` (positions) and
 * `wildrydes-summary` (minute summaries).
 *
 * Every change bumps a global sequence number and stamps the unicorn with
 * it, so that a client that has seen everything up to sequence s needs only
 * the unicorns stamped after s: updates coalesce per unicorn by construction.
 * All functions lock one mutex and only copy under it; the JSON writers
 * return malloc'd strings. The other programs' /metrics are read on a
 * thread of their own, so a slow one never holds up the feed. */
#ifndef FLEET_H
#define FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "rf_event.h"
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

/* One unicorn's latest report, as copied out of the fleet. */
struct fleet_pos {
    char name[RF_EVENT_NAME_MAX + 1];
    double lat, lon, distance;
    long long health, magic;
    int64_t time_ms;
    int64_t kafka_ms; /* the report's Kafka timestamp (when it was produced) */
};

/* What changed after a sequence number: owned by the caller and reused from
 * one pull to the next (its arrays grow, never shrink; free with
 * fleet_changes_free). */
struct fleet_changes {
    struct fleet_pos *pos; /* changed unicorns, in no particular order */
    size_t n, cap;
    char (*gone)[RF_EVENT_NAME_MAX + 1]; /* forgotten after since */
    size_t ngone, capgone;
    uint64_t seq; /* the sequence this pull covers: the next pull's since */
};

/* Copy into out every unicorn changed after since (all for since = 0) and,
 * for since > 0, the names forgotten after since (the last minute of them
 * is kept). Only copies under the fleet's lock: formatting is the caller's,
 * outside it, so the Kafka thread never waits for a client. 0, or -1 when
 * out of memory (out then holds what fitted; out->seq is left as it was,
 * so the next pull asks again). */
/* p as the map's JSON object {"name":...,"time":...,"lat":...,"at":...},
 * written into buf (cap bytes) with the name given already as a JSON
 * string (ename, quotes included). Its length, or 0 when it does not fit. */
size_t fleet_pos_format(char *buf, size_t cap, const char *ename, const struct fleet_pos *p);

int fleet_pull(struct fleet *f, uint64_t since, struct fleet_changes *out);
void fleet_changes_free(struct fleet_changes *c);
/* {"latest":{...},"minutes":[summary, ...]} for one unicorn, NULL if unknown. */
char *fleet_json_unicorn(struct fleet *f, const char *name, size_t *len);
/* {"type":"health","events":N,"events_per_s":X,"unicorns":N,"lag":N,"late":N,"dead_letters":N,...}. */
char *fleet_json_health(struct fleet *f, int clients, size_t *len);

#endif
