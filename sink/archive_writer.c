/* archive_writer.c - the archive destination (the Firehose analogue): raw events
 * as gzip NDJSON objects in DESIGN.md's layout, in a directory (file://) or
 * on S3 (s3://bucket/prefix):
 *   <root>/<topic>/year=YYYY/month=MM/day=DD/hour=HH/<topic>+<partition>+<first offset>.ndjson.gz
 *
 * Each event is filed under its own event hour (StatusTime), so readers may
 * skip objects by hour; the marker object <root>/<topic>/_rydeflow_partitioned_by_event_time
 * says so (bin/sql prunes only archives that carry it); beside it the schema
 * file _rydeflow_schema.json names the records' columns, their types and
 * the event-time column (sql.h), so that readers need not guess.
 *
 * Exactly once: a partition has one open object at a time, so a partition's
 * objects tile its offsets. An object is written when the next event belongs
 * to another hour or the object reaches --batch-bytes (both decided by the
 * events alone, so a replay makes the same cut), or --batch-seconds after its
 * first event (after which the sink commits before anything else is written).
 * The sink never commits past the open object's first offset; after a crash
 * it reads from there and rewrites an object of the same name with the same
 * or more events: a replacement, never a duplicate. A file is written as a
 * hidden temporary, fsynced and renamed; an S3 PUT is atomic (multipart
 * above --part-bytes, aborted on failure). Objects are compressed and
 * stored on worker threads (archive_worker.h), chunk by chunk as they
 * fill; a partition's offsets in a job not yet stored count as pending. */
#include "archive_worker.h"
#include "backend.h"

#include "rf_event.h"
#include "rf_log.h"
#include "rf_s3.h"
#include "rf_time.h"
#include "sql.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MARKER "_rydeflow_partitioned_by_event_time"

struct object {
    int open;
    int64_t hour_ms;      /* the event hour of every event in it */
    int64_t first_offset;
    int64_t first_wall_ms;
    struct aobject *gz;   /* its chunks handed to the workers so far */
    char *raw;            /* NDJSON not yet handed over, one event per line */
    size_t len, cap;
    size_t bytes;         /* NDJSON in the object, handed over or not */
    int64_t events;
    int64_t last_offset;  /* the partition's last event taken (survives rotations); -1 none */
};

struct backend {
    char url[1024];
    char root[1024];      /* file: the directory; s3: the key prefix ("" or "prefix/") */
    struct rf_s3 *s3;     /* NULL for file:// */
    struct sink_options opt;
    char topic[256];
    int marker_done;
    struct object *objs;  /* by partition */
    int nobjs;
    struct aworker *w;    /* compresses and stores closed objects */
};

static int put_object(void *ctx, const char *dir, const char *name, const char *data, size_t len, char *err,
                      size_t errlen);

static int matches(const char *url) { return strncmp(url, "file://", 7) == 0 || strncmp(url, "s3://", 5) == 0; }

static struct backend *open_archive(const char *url, const struct sink_options *opt, char *err, size_t errlen)
{
    struct backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(b->url, sizeof b->url, "%s", url);
    b->opt = *opt;
    if (strncmp(url, "s3://", 5) == 0) {
        const char *prefix;
        if (!(b->s3 = rf_s3_new(url, opt->endpoint, &prefix, err, errlen))) {
            free(b);
            return NULL;
        }
        snprintf(b->root, sizeof b->root, "%s%s", prefix, *prefix ? "/" : "");
    } else {
        snprintf(b->root, sizeof b->root, "%s", url + 7);
        if (!b->root[0]) {
            snprintf(err, errlen, "%s: expected file:///DIR", url);
            free(b);
            return NULL;
        }
    }
    if (!(b->w = aworker_new(put_object, b))) {
        snprintf(err, errlen, "cannot start the archive's writer thread");
        rf_s3_free(b->s3);
        free(b);
        return NULL;
    }
    return b;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Write data to dir/name atomically: a hidden temporary, fsync, rename, fsync the directory. */
static int write_file(const char *dir, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    if (mkdirs(dir) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char tmp[5200], final[5200];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, final) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", final, strerror(errno));
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int put(struct backend *b, const char *rel_dir, const char *name, const char *data, size_t len, char *err,
               size_t errlen)
{
    if (b->s3) {
        char key[2400];
        snprintf(key, sizeof key, "%s%s/%s", b->root, rel_dir, name);
        return rf_s3_put(b->s3, key, data, len, (size_t)b->opt.part_bytes, err, errlen);
    }
    char dir[2400];
    snprintf(dir, sizeof dir, "%s/%s", b->root, rel_dir);
    return write_file(dir, name, data, len, err, errlen);
}

/* aworker_put_fn: a closed object, on a worker thread (several at once:
 * each object is a file of its own, and rf_s3 clients are thread-safe). */
static int put_object(void *ctx, const char *dir, const char *name, const char *data, size_t len, char *err,
                      size_t errlen)
{
    return put(ctx, dir, name, data, len, err, errlen);
}

/* Hand partition p's open object to the worker; it stays open (and is
 * handed over again next time) when the job before it failed. */
static enum sink_rc write_object(struct backend *b, int32_t p, char *err, size_t errlen)
{
    struct object *o = &b->objs[p];
    if (!o->open)
        return SINK_OK;
    int64_t y;
    unsigned mo, d;
    rf_civil_from_days(o->hour_ms / 86400000, &y, &mo, &d);
    char dir[512], name[512];
    snprintf(dir, sizeof dir, "%s/year=%04lld/month=%02u/day=%02u/hour=%02d", b->topic, (long long)y, mo, d,
             (int)(o->hour_ms % 86400000 / 3600000));
    snprintf(name, sizeof name, "%s+%d+%020lld.ndjson.gz", b->topic, (int)p, (long long)o->first_offset);
    if (aworker_submit(b->w, o->gz, p, o->first_offset, dir, name, &o->raw, &o->cap, o->len, err, errlen) < 0)
        return SINK_RETRY; /* the object before failed: this one stays open */
    o->gz = NULL;
    o->open = 0;
    o->len = 0;
    o->bytes = 0;
    o->events = 0;
    return SINK_OK;
}

static enum sink_rc ensure_marker(struct backend *b, char *err, size_t errlen)
{
    if (b->marker_done)
        return SINK_OK;
    static const char text[] = "objects under hour=HH hold only events whose event time (StatusTime) is in that hour\n";
    if (put(b, b->topic, MARKER, text, sizeof text - 1, err, errlen) < 0)
        return SINK_RETRY;
    /* What the objects hold, for readers (bin/sql, and anyone else): every
     * archived record decoded as a workshop event, so its schema is that
     * of the events whatever the topic is called. */
    char schema[4096];
    int n = sql_schema_to_json(sql_schema_wildrydes(), "rydeflow-event", schema, sizeof schema);
    if (n < 0 || put(b, b->topic, SQL_SCHEMA_FILE, schema, (size_t)n, err, errlen) < 0)
        return SINK_RETRY;
    b->marker_done = 1;
    return SINK_OK;
}

static enum sink_rc write_archive(struct backend *b, struct sink_batch *batch, char *err, size_t errlen)
{
    if (!b->topic[0])
        snprintf(b->topic, sizeof b->topic, "%s", batch->topic);
    if (aworker_retry(b->w, err, errlen) < 0)
        return SINK_RETRY;
    enum sink_rc rc = ensure_marker(b, err, errlen);
    if (rc != SINK_OK)
        return rc;
    for (int i = 0; i < batch->n; i++) {
        struct sink_record *r = &batch->r[i];
        if (r->dead)
            continue;
        int32_t p = r->partition;
        if (p >= b->nobjs) {
            struct object *no = realloc(b->objs, sizeof *no * (size_t)(p + 1));
            if (!no) {
                snprintf(err, errlen, "out of memory");
                return SINK_RETRY;
            }
            memset(no + b->nobjs, 0, sizeof *no * (size_t)(p + 1 - b->nobjs));
            for (int32_t k = b->nobjs; k <= p; k++)
                no[k].last_offset = -1;
            b->objs = no;
            b->nobjs = p + 1;
        }
        struct object *o = &b->objs[p];
        if (r->offset <= o->last_offset)
            continue; /* already taken (a batch written again after a retry) */
        struct rf_event ev;
        if (rf_event_decode(r->value, r->len, &ev, r->why, sizeof r->why) < 0 ||
            rf_time_check_event(ev.time_ms, r->timestamp_ms, b->opt.max_future_ms, r->why, sizeof r->why) < 0) {
            r->dead = SINK_DEAD_DECODE; /* no sane event hour to file it under */
            continue;
        }
        int64_t hour = ev.time_ms - ((ev.time_ms % 3600000) + 3600000) % 3600000;
        if (o->open && (hour != o->hour_ms || o->bytes + r->len + 1 > (size_t)b->opt.batch_bytes) &&
            (rc = write_object(b, p, err, errlen)) != SINK_OK)
            return rc;
        if (o->open && o->len > 0 && o->len + r->len + 1 > (size_t)b->opt.chunk_bytes) {
            /* a full chunk: compressed while the object goes on filling */
            if (aworker_chunk(b->w, o->gz, p, o->first_offset, &o->raw, &o->cap, o->len, err, errlen) < 0)
                return SINK_RETRY; /* a job failed: the chunk stays here, retried with the batch */
            o->len = 0;
        }
        if (!o->open) {
            if (!(o->gz = aworker_object(b->w))) {
                snprintf(err, errlen, "out of memory");
                return SINK_RETRY;
            }
            o->open = 1;
            o->hour_ms = hour;
            o->first_offset = r->offset;
            o->first_wall_ms = rf_time_now_ms();
        }
        if (o->len + r->len + 1 > o->cap) {
            size_t cap = o->cap ? o->cap : 1 << 16;
            while (cap < o->len + r->len + 1)
                cap *= 2;
            char *nr = realloc(o->raw, cap);
            if (!nr) {
                snprintf(err, errlen, "out of memory");
                return SINK_RETRY;
            }
            o->raw = nr;
            o->cap = cap;
        }
        memcpy(o->raw + o->len, r->value, r->len);
        o->len += r->len;
        o->raw[o->len++] = '\n';
        o->bytes += r->len + 1;
        o->events++;
        o->last_offset = r->offset;
    }
    return SINK_OK;
}

/* Objects due by age (or all, forced), and then the wait for them: the
 * sink commits after a flush, and should commit past what it wrote. */
static enum sink_rc flush_archive(struct backend *b, int64_t now_ms, int force, char *err, size_t errlen)
{
    if (aworker_retry(b->w, err, errlen) < 0)
        return SINK_RETRY;
    for (int32_t p = 0; p < b->nobjs; p++) {
        struct object *o = &b->objs[p];
        if (o->open && (force || now_ms - o->first_wall_ms >= b->opt.batch_ms)) {
            enum sink_rc rc = write_object(b, p, err, errlen);
            if (rc != SINK_OK)
                return rc;
        }
    }
    return aworker_wait(b->w, err, errlen) < 0 ? SINK_RETRY : SINK_OK;
}

static int64_t pending_archive(struct backend *b, int32_t p)
{
    int64_t open = p < b->nobjs && b->objs[p].open ? b->objs[p].first_offset : -1;
    int64_t job = aworker_pending_from(b->w, p); /* older than the open object, if any */
    return job >= 0 ? job : open;
}

static void close_archive(struct backend *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->nobjs; i++)
        if (b->objs[i].gz)
            aworker_drop(b->w, b->objs[i].gz); /* open: its offsets were never committed */
    aworker_free(b->w); /* before the S3 client: a job may be using it */
    for (int i = 0; i < b->nobjs; i++)
        free(b->objs[i].raw);
    free(b->objs);
    rf_s3_free(b->s3);
    free(b);
}

static void stats_archive(struct backend *b, int64_t *written, int64_t *bytes)
{
    aworker_stats(b->w, written, bytes);
}

const struct backend_ops backend_archive = {
    .name = "archive",
    .matches = matches,
    .open = open_archive,
    .write = write_archive,
    .flush = flush_archive,
    .pending_from = pending_archive,
    .close = close_archive,
    .stats = stats_archive,
};
