/* consumer.c - the consumer's run loop (see consumer.h).
 *
 * The librdkafka consumer sequence: poll_set_consumer, consumer_poll,
 * message_destroy, consumer_close before destroy. Without a group every
 * partition is assigned explicitly at the --from position; with a group the
 * topic is subscribed and committed offsets win. Offsets are stored only after
 * a record has been written, so a crash never skips one. */
#include "consumer.h"
#include "format.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_metrics.h"
#include "rf_progress.h"
#include "rf_signal.h"
#include "rf_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
    const struct consumer_config *cfg;
    rd_kafka_t *rk;
    struct fmt *fmt;
    unsigned char *at_eof; /* per partition: reached the end since its last record */
    int npart_slots;
    int assigned, eof_count;
    uint64_t records, bytes;
    uint64_t read, undecodable; /* with --where: records looked at, and those it could not read */
    struct rf_metrics *metrics;
    struct rf_metric *m_records, *m_bytes;
    int headers; /* --show headers: parsing them costs (3x the rate), so only then */
};

int consumer_parse_from(const char *from, long long *offset, long long *time_ms)
{
    *time_ms = -1;
    if (strcmp(from, "beginning") == 0 || strcmp(from, "earliest") == 0) {
        *offset = RD_KAFKA_OFFSET_BEGINNING;
        return 0;
    }
    if (strcmp(from, "end") == 0 || strcmp(from, "latest") == 0) {
        *offset = RD_KAFKA_OFFSET_END;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(from, &end, 10);
    if (end != from && *end == '\0' && !errno) {
        *offset = v >= 0 ? v : RD_KAFKA_OFFSET_TAIL(-v);
        return 0;
    }
    int64_t ms;
    if (rf_time_parse_flag(from, &ms) == 0) {
        *time_ms = ms;
        return 0;
    }
    return -1;
}

static int ensure_slot(struct run *r, int32_t partition)
{
    if (partition < r->npart_slots)
        return 0;
    int n = partition + 1;
    unsigned char *a = realloc(r->at_eof, (size_t)n);
    if (!a)
        return -1;
    memset(a + r->npart_slots, 0, (size_t)(n - r->npart_slots));
    r->at_eof = a;
    r->npart_slots = n;
    return 0;
}

static void reset_eof(struct run *r)
{
    if (r->at_eof)
        memset(r->at_eof, 0, (size_t)r->npart_slots);
    r->eof_count = 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    struct run *r = opaque;
    reset_eof(r);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        r->assigned = parts->cnt;
        rf_debug("assigned %d partition(s)", parts->cnt);
    } else {
        rd_kafka_assign(rk, NULL);
        r->assigned = 0;
    }
}

static int assign_all(struct run *r, char *err, size_t errlen)
{
    const struct consumer_config *c = r->cfg;
    int n = rf_kafka_partition_count(r->rk, c->topic, (int)c->timeout_ms, err, errlen);
    if (n < 0)
        return -1;
    if (n == 0) {
        snprintf(err, errlen, "topic '%s' does not exist", c->topic);
        return -1;
    }
    long long offset, time_ms;
    consumer_parse_from(c->from, &offset, &time_ms); /* validated in main */
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, c->topic, p)->offset = time_ms >= 0 ? time_ms : offset;
    int rc = 0;
    if (time_ms >= 0) {
        /* offsets_for_times turns each timestamp into the first offset at or after it. */
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(r->rk, parts, (int)c->timeout_ms);
        if (e) {
            snprintf(err, errlen, "looking up offsets for --from %s: %s", c->from, rd_kafka_err2str(e));
            rc = -1;
        }
    }
    if (rc == 0) {
        rd_kafka_resp_err_t e = rd_kafka_assign(r->rk, parts);
        if (e) {
            snprintf(err, errlen, "assigning partitions: %s", rd_kafka_err2str(e));
            rc = -1;
        }
        r->assigned = n;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return rc;
}

/* --where: does this record match? Records the filter cannot read (not JSON,
 * or not a valid workshop record on wildrydes) never match; they are counted. */
static int matches(struct run *r, const rd_kafka_message_t *m)
{
    struct sql_value row[CONSUMER_WHERE_MAX_COLUMNS]; /* main() checked the filter's column count */
    struct sql_row_source src;
    char reason[256];
    int ok = 0;
    const struct sql_expr *f = r->cfg->filter;
    if (sql_row_from_json(sql_expr_columns(f), sql_expr_ncolumns(f), r->cfg->schema, m->payload ? m->payload : "",
                          m->len, row, &src, reason, sizeof reason) < 0) {
        if (r->undecodable++ < 5)
            rf_warn("%s [%d] offset %lld: skipped by --where: %s", rd_kafka_topic_name(m->rkt), m->partition,
                    (long long)m->offset, reason);
    } else {
        struct sql_error err;
        err.msg[0] = '\0';
        ok = sql_where_match(r->cfg->filter, row, &err);
        if (!ok && err.msg[0] && r->undecodable++ < 5)
            rf_warn("%s [%d] offset %lld: --where: %s", rd_kafka_topic_name(m->rkt), m->partition,
                    (long long)m->offset, err.msg);
    }
    sql_row_release(&src);
    return ok;
}

static int handle_message(struct run *r, rd_kafka_message_t *m, int *stop)
{
    const struct consumer_config *c = r->cfg;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (ensure_slot(r, m->partition) == 0 && !r->at_eof[m->partition]) {
            r->at_eof[m->partition] = 1;
            r->eof_count++;
        }
        if (!c->follow && r->assigned > 0 && r->eof_count >= r->assigned)
            *stop = 1;
        return 0;
    }
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
            m->err == RD_KAFKA_RESP_ERR__FATAL) {
            rf_error("%s", rd_kafka_message_errstr(m));
            return -1;
        }
        rf_warn("%s", rd_kafka_message_errstr(m));
        return 0;
    }
    if (ensure_slot(r, m->partition) == 0 && r->at_eof[m->partition]) {
        r->at_eof[m->partition] = 0;
        r->eof_count--;
    }
    r->read++;
    if (c->filter && !matches(r, m)) {
        if (c->group)
            rd_kafka_offset_store(m->rkt, m->partition, m->offset); /* looked at: done with it */
        return 0;
    }
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    struct fmt_record rec = {
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->offset,
        .timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
        .key = m->key,
        .key_len = m->key_len,
        .value = m->payload,
        .value_len = m->len,
    };
    rd_kafka_headers_t *hdrs = NULL;
    if (r->headers && !rd_kafka_message_headers(m, &hdrs)) {
        const char *name;
        const void *val;
        size_t len;
        for (size_t h = 0; rec.nheaders < FMT_MAX_HEADERS && !rd_kafka_header_get_all(hdrs, h, &name, &val, &len); h++) {
            rec.hname[rec.nheaders] = name;
            rec.hvalue[rec.nheaders] = val;
            rec.hlen[rec.nheaders++] = len;
        }
    }
    if (fmt_write(r->fmt, &rec) < 0) {
        rf_error("writing output: %s", strerror(errno));
        return -1;
    }
    if (c->group)
        rd_kafka_offset_store(m->rkt, m->partition, m->offset);
    r->records++;
    r->bytes += m->len;
    rf_metric_add(r->m_records, 1);
    rf_metric_add(r->m_bytes, (int64_t)m->len);
    if (c->count > 0 && r->records >= (uint64_t)c->count)
        *stop = 1;
    return 0;
}

int consumer_run(const struct consumer_config *c)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.cfg = c;
    char err[512];
    int rc = 1;
    enum fmt_kind kind;
    unsigned show;
    fmt_parse_kind(c->format, &kind);
    fmt_parse_show(c->show, &show);

    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    r.fmt = fmt_new(kind, show, stdout);
    r.headers = (show & FMT_SHOW_HEADERS) != 0;
    r.metrics = rf_metrics_new();
    char labels[300];
    snprintf(labels, sizeof labels, "topic=\"%s\"", c->topic);
    r.m_records = rf_metrics_counter(r.metrics, "rydeflow_consumer_records_total", labels, "Records printed");
    r.m_bytes = rf_metrics_counter(r.metrics, "rydeflow_consumer_bytes_total", labels, "Value bytes printed");
    if (!r.fmt || !r.metrics) {
        rf_error("out of memory");
        goto out;
    }
    if (c->metrics && rf_metrics_serve(r.metrics, c->metrics, NULL, err, sizeof err) < 0) {
        rf_error("%s", err);
        goto out;
    }

    long long offset, time_ms;
    consumer_parse_from(c->from, &offset, &time_ms);
    const char *defaults[] = {"enable.partition.eof=true",
                              offset == RD_KAFKA_OFFSET_END ? "auto.offset.reset=latest" : "auto.offset.reset=earliest",
                              NULL};
    r.rk = rf_kafka_consumer_new(c->brokers, c->group, &c->props, defaults, on_rebalance, &r, err, sizeof err);
    if (!r.rk) {
        rf_error("%s", err);
        goto out;
    }
    if (rf_kafka_check_reachable(r.rk, c->brokers, (int)c->timeout_ms, err, sizeof err) < 0) {
        rf_error("%s", err);
        goto out;
    }
    if (c->group) {
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, c->topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(r.rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (e) {
            rf_error("subscribing to %s: %s", c->topic, rd_kafka_err2str(e));
            goto out;
        }
    } else if (assign_all(&r, err, sizeof err) < 0) {
        rf_error("%s", err);
        goto out;
    }

    struct rf_progress progress;
    rf_progress_init(&progress, "consumer:", strcmp(c->progress, "auto") == 0 ? -1 : strcmp(c->progress, "on") == 0);
    int stop = 0, failed = 0;
    while (!stop && rf_running()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r.rk, 200);
        if (!m) {
            fmt_idle(r.fmt); /* nothing new for a while: show what is held back */
            rf_progress_update(&progress, r.records, r.bytes, NULL);
            continue;
        }
        if (handle_message(&r, m, &stop) < 0)
            failed = stop = 1;
        rd_kafka_message_destroy(m);
        rf_progress_update(&progress, r.records, r.bytes, NULL);
    }
    if (fmt_finish(r.fmt) < 0) {
        rf_error("writing output: %s", strerror(errno));
        failed = 1;
    }
    rf_progress_done(&progress);
    double secs = rf_progress_elapsed(&progress);
    if (c->filter)
        rf_info("%llu of %llu records matched --where (%llu unreadable) from %s in %.2f s (%.0f records/s read)",
                (unsigned long long)r.records, (unsigned long long)r.read, (unsigned long long)r.undecodable,
                c->topic, secs, secs > 0 ? (double)r.read / secs : 0);
    else
        rf_info("%llu records from %s in %.2f s (%.0f records/s)", (unsigned long long)r.records, c->topic, secs,
                secs > 0 ? (double)r.records / secs : 0);
    if (c->group) {
        rd_kafka_resp_err_t e = rd_kafka_commit(r.rk, NULL, 0);
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            rf_warn("committing offsets: %s", rd_kafka_err2str(e));
    }
    rd_kafka_consumer_close(r.rk);
    rc = failed ? 1 : 0;
out:
    if (r.rk)
        rd_kafka_destroy(r.rk);
    fmt_free(r.fmt);
    rf_metrics_free(r.metrics);
    free(r.at_eof);
    return rc;
}
