/* archive.c - listing and reading archive objects (see archive.h). */
#include "archive.h"
#include "rf_s3.h"
#include "rf_time.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* The S3 client of the archive being read (bin/sql reads one archive). */
static struct rf_s3 *s3;
static int by_event_time; /* the listed topic carries the marker */

int archive_by_event_time(void) { return by_event_time; }

struct list {
    char **v;
    int n, cap;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int walk(const char *dir, struct list *l, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files such as a writer's temporary objects */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = walk(path, l, err, errlen);
        } else if (ends_with(e->d_name, ".ndjson.gz") || ends_with(e->d_name, ".ndjson")) {
            if (l->n == l->cap) {
                int cap = l->cap ? l->cap * 2 : 64;
                char **nv = realloc(l->v, sizeof *nv * (size_t)cap);
                if (!nv) {
                    snprintf(err, errlen, "out of memory");
                    rc = -1;
                    break;
                }
                l->v = nv;
                l->cap = cap;
            }
            if (!(l->v[l->n] = strdup(path))) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            l->n++;
        }
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_s3(const char *url, const char *endpoint, const char *topic, struct list *l, char *err,
                   size_t errlen)
{
    const char *prefix;
    rf_s3_free(s3);
    if (!(s3 = rf_s3_new(url, endpoint, &prefix, err, errlen)))
        return -1;
    char want[2048];
    snprintf(want, sizeof want, "%s%s%s/", prefix, *prefix ? "/" : "", topic);
    char **keys;
    int n;
    if (rf_s3_list(s3, want, &keys, NULL, &n, err, errlen) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(keys[i], '/');
        base = base ? base + 1 : keys[i];
        if (strcmp(base, ARCHIVE_BY_EVENT_TIME) == 0 && strlen(keys[i]) == strlen(want) + strlen(base))
            by_event_time = 1;
        if (base[0] == '.' || !(ends_with(keys[i], ".ndjson.gz") || ends_with(keys[i], ".ndjson")))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "s3://%s/%s", rf_s3_bucket(s3), keys[i]);
        if (l->n == l->cap) {
            int cap = l->cap ? l->cap * 2 : 64;
            char **nv = realloc(l->v, sizeof *nv * (size_t)cap);
            if (!nv)
                break;
            l->v = nv;
            l->cap = cap;
        }
        if (!(l->v[l->n] = strdup(path)))
            break;
        l->n++;
    }
    rf_s3_free_keys(keys, NULL, n);
    if (l->n == 0) {
        snprintf(err, errlen, "no archive for '%s' at %s (no objects under s3://%s/%s)", topic, url,
                 rf_s3_bucket(s3), want);
        return -1;
    }
    return 0;
}

int archive_list(const char *url, const char *endpoint, const char *topic, char ***paths, int *n, char *err,
                 size_t errlen)
{
    const char *root = url;
    struct list l = {0};
    by_event_time = 0;
    if (strncmp(url, "s3://", 5) == 0) {
        if (list_s3(url, endpoint, topic, &l, err, errlen) < 0) {
            archive_free_list(l.v, l.n);
            return -1;
        }
        qsort(l.v, (size_t)l.n, sizeof *l.v, by_path);
        *paths = l.v;
        *n = l.n;
        return 0;
    }
    if (strncmp(url, "file://", 7) == 0)
        root = url + 7;
    else if (strstr(url, "://")) {
        snprintf(err, errlen, "archive URL %s: expected file:///dir, a path, or s3://bucket/prefix", url);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, topic);
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "no archive for '%s' at %s (expected a directory %s)", topic, url, dir);
        return -1;
    }
    char marker[4200];
    snprintf(marker, sizeof marker, "%s/%s", dir, ARCHIVE_BY_EVENT_TIME);
    by_event_time = stat(marker, &st) == 0;
    if (walk(dir, &l, err, errlen) < 0) {
        archive_free_list(l.v, l.n);
        return -1;
    }
    qsort(l.v, (size_t)l.n, sizeof *l.v, by_path);
    *paths = l.v;
    *n = l.n;
    return 0;
}

void archive_free_list(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static int component(const char *path, const char *name, int digits, long *v)
{
    const char *p = strstr(path, name);
    if (!p)
        return -1;
    p += strlen(name);
    char *end;
    *v = strtol(p, &end, 10);
    return end - p == digits && (*end == '/') ? 0 : -1;
}

int64_t archive_object_hour(const char *path)
{
    long y, mo, d, h;
    if (component(path, "/year=", 4, &y) < 0 || component(path, "/month=", 2, &mo) < 0 ||
        component(path, "/day=", 2, &d) < 0 || component(path, "/hour=", 2, &h) < 0 || mo < 1 || mo > 12 ||
        d < 1 || d > 31 || h > 23)
        return -1;
    return (rf_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 3600000LL;
}

/* Inflate gzip data held in memory (several members in a row are one stream). */
static int gunzip(const char *path, const unsigned char *in, size_t inlen, char **out, size_t *outlen, char *err,
                  size_t errlen)
{
    size_t cap = inlen * 8 + 4096, len = 0;
    char *buf = malloc(cap);
    z_stream z = {0};
    if (!buf || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)inlen;
    int rc;
    for (;;) {
        if (cap - len < 65536) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = Z_MEM_ERROR;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        z.next_out = (unsigned char *)buf + len;
        z.avail_out = (uInt)(cap - len);
        rc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            inflateReset(&z); /* another gzip member */
            continue;
        }
        if (rc != Z_OK) {
            if (rc == Z_BUF_ERROR && z.avail_in == 0)
                rc = Z_DATA_ERROR; /* the data ended inside a member */
            break;
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        long line = 1;
        for (size_t i = 0; i < len; i++)
            line += buf[i] == '\n';
        snprintf(err, errlen, "%s: line %ld: %s gzip data", path, line,
                 rc == Z_MEM_ERROR ? "out of memory inflating" : "truncated or corrupt");
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int archive_load_s3(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    const char *key = strchr(path + 5, '/');
    if (!s3 || !key) {
        snprintf(err, errlen, "%s: no S3 archive is open", path);
        return -1;
    }
    char *raw;
    size_t rawlen;
    if (rf_s3_get(s3, key + 1, &raw, &rawlen, err, errlen) < 0)
        return -1;
    if (!ends_with(path, ".gz")) {
        *data = raw;
        *len = rawlen;
        return 0;
    }
    int rc = gunzip(path, (const unsigned char *)raw, rawlen, data, len, err, errlen);
    free(raw);
    return rc;
}
