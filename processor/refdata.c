/* refdata.c - reference tables for JOINs (see refdata.h). The objects are
 * small (a fleet's owners, a list of bases): each read fetches the whole
 * object and a hash of its bytes tells whether it changed. */
#include "refdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf_file.h"
#include "rf_hash.h"
#include "rf_log.h"
#include "rf_s3.h"

struct source {
    struct sql_reference ref;
    char *name, *url;
    const char *path;  /* file:// */
    struct rf_s3 *s3;  /* s3:// */
    const char *key;
    int csv;
    uint64_t hash;
    size_t len;
    int64_t read_ms;
};

struct refdata {
    struct source *s;
    struct sql_reference **refs;
    int n;
};

/* The object's bytes: 0, or -1 with err. */
static int fetch(const struct source *s, char **data, size_t *len, char *err, size_t errlen)
{
    if (s->s3)
        return rf_s3_get(s->s3, s->key, data, len, err, errlen);
    if (!(*data = rf_read_file(s->path, err, errlen)))
        return -1;
    *len = strlen(*data);
    return 0;
}

/* Read the source; a new table when its bytes changed (*changed), else
 * NULL. -1 with err when it cannot be read or parsed. */
static int load(struct source *s, struct sql_reftable **t, int *changed, char *err, size_t errlen)
{
    char *data;
    size_t len;
    char why[512];
    *t = NULL;
    *changed = 0;
    if (fetch(s, &data, &len, why, sizeof why) < 0) {
        snprintf(err, errlen, "reference %s (%s): %s", s->name, s->url, why);
        return -1;
    }
    uint64_t h = rf_hash_bytes(RF_HASH_INIT, data, len);
    if (s->ref.table && h == s->hash && len == s->len) {
        free(data);
        return 0;
    }
    *t = sql_reftable_load(s->name, data, len, s->csv, why, sizeof why);
    free(data);
    if (!*t) {
        snprintf(err, errlen, "reference %s (%s): %s", s->name, s->url, why);
        return -1;
    }
    s->hash = h;
    s->len = len;
    *changed = 1;
    return 0;
}

struct refdata *refdata_load(const struct rf_strlist *specs, const char *endpoint, char *err, size_t errlen)
{
    struct refdata *rd = calloc(1, sizeof *rd);
    if (!rd || (specs->n && (!(rd->s = calloc((size_t)specs->n, sizeof *rd->s)) ||
                             !(rd->refs = calloc((size_t)specs->n, sizeof *rd->refs))))) {
        snprintf(err, errlen, "out of memory");
        refdata_free(rd);
        return NULL;
    }
    for (int i = 0; i < specs->n; i++) {
        struct source *s = &rd->s[rd->n];
        const char *spec = specs->v[i], *eq = strchr(spec, '=');
        if (!eq || eq == spec || !eq[1]) {
            snprintf(err, errlen, "--reference %s: expected NAME=URL (file:///path.csv or s3://bucket/key.json)", spec);
            goto fail;
        }
        s->name = strndup(spec, (size_t)(eq - spec));
        s->url = strdup(eq + 1);
        if (!s->name || !s->url) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        rd->n++;
        size_t ul = strlen(s->url);
        s->csv = ul > 4 && strcmp(s->url + ul - 4, ".csv") == 0;
        if (strncmp(s->url, "file://", 7) == 0) {
            s->path = s->url + 7;
        } else if (strncmp(s->url, "s3://", 5) == 0) {
            char why[256];
            if (!(s->s3 = rf_s3_new(s->url, endpoint, &s->key, why, sizeof why))) {
                snprintf(err, errlen, "--reference %s: %s", spec, why);
                goto fail;
            }
        } else {
            snprintf(err, errlen, "--reference %s: the URL must be file:///path or s3://bucket/key", spec);
            goto fail;
        }
        for (int k = 0; k < rd->n - 1; k++)
            if (strcmp(rd->s[k].name, s->name) == 0) {
                snprintf(err, errlen, "--reference %s: %s is named twice", spec, s->name);
                goto fail;
            }
        int changed;
        if (load(s, &s->ref.table, &changed, err, errlen) < 0)
            goto fail;
        s->ref.name = s->name;
        rd->refs[i] = &s->ref;
        rf_info("reference %s: %lld rows from %s", s->name, (long long)sql_reftable_rows(s->ref.table), s->url);
    }
    return rd;
fail:
    refdata_free(rd);
    return NULL;
}

void refdata_free(struct refdata *rd)
{
    if (!rd)
        return;
    for (int i = 0; i < rd->n; i++) {
        sql_reftable_free(rd->s[i].ref.table);
        rf_s3_free(rd->s[i].s3);
        free(rd->s[i].name);
        free(rd->s[i].url);
    }
    free(rd->s);
    free(rd->refs);
    free(rd);
}

struct sql_reference *const *refdata_refs(const struct refdata *rd) { return rd->refs; }
int refdata_count(const struct refdata *rd) { return rd->n; }

/* The same columns with the same types, in the same order: the queries
 * compiled against the old table read the new one by column number. */
static int same_columns(const struct sql_schema *a, const struct sql_schema *b)
{
    if (a->ncols != b->ncols)
        return 0;
    for (int c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, b->cols[c].name) != 0 || a->cols[c].type != b->cols[c].type)
            return 0;
    return 1;
}

void refdata_refresh(struct refdata *rd, int64_t now_ms, int64_t interval_ms)
{
    for (int i = 0; rd && interval_ms > 0 && i < rd->n; i++) {
        struct source *s = &rd->s[i];
        if (s->read_ms && now_ms - s->read_ms < interval_ms)
            continue;
        if (!s->read_ms) {
            s->read_ms = now_ms; /* read at start-up */
            continue;
        }
        s->read_ms = now_ms;
        struct sql_reftable *t;
        int changed;
        char err[512];
        uint64_t old_hash = s->hash;
        size_t old_len = s->len;
        if (load(s, &t, &changed, err, sizeof err) < 0) {
            rf_warn("%s; keeping the table read before", err);
            continue;
        }
        if (!changed)
            continue;
        if (!same_columns(sql_reftable_schema(t), sql_reftable_schema(s->ref.table))) {
            rf_warn("reference %s (%s) changed its columns or their types; keeping the table read before (restart "
                    "the processor to take the new one)",
                    s->name, s->url);
            sql_reftable_free(t);
            s->hash = old_hash, s->len = old_len;
            continue;
        }
        sql_reftable_free(s->ref.table);
        s->ref.table = t;
        rf_info("reference %s: reloaded, %lld rows", s->name, (long long)sql_reftable_rows(t));
    }
}
