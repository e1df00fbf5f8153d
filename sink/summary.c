/* summary.c - decoding the workshop's per-minute summary (see backend.h).
 *
 * The common shape goes through rf_jflat's scanner; anything it declines
 * (escapes, non-ASCII, nesting, bad syntax) through jansson. Both fill the
 * same typed slots and share one validation, so they can only differ in
 * parsing, where rf_jflat agrees with jansson or declines. */
#include "backend.h"
#include "rf_jflat.h"
#include "rf_time.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { S_NAME, S_TIME, S_DIST, S_MIN_MAGIC, S_MAX_MAGIC, S_MIN_HEALTH, S_MAX_HEALTH, S_COUNT };
static const char *const names[S_COUNT] = {"Name",           "StatusTime",      "Distance",       "MinMagicPoints",
                                           "MaxMagicPoints", "MinHealthPoints", "MaxHealthPoints"};

static int field_index(const char *k, size_t len)
{
    for (int i = 0; i < S_COUNT; i++)
        if (k[0] == names[i][0] && strlen(names[i]) == len && memcmp(k, names[i], len) == 0)
            return i;
    return -1;
}

static int integer(const struct rf_jval *v, const char *k, long long *out, char *why, size_t whylen)
{
    if (v->kind == RF_J_INT) {
        *out = v->i;
        return 0;
    }
    if (v->kind == RF_J_REAL && v->d == floor(v->d) && fabs(v->d) < 9e18) {
        *out = (long long)v->d;
        return 0;
    }
    snprintf(why, whylen, "%s: %s", k, v->kind == RF_J_MISSING ? "missing" : "not an integer");
    return -1;
}

/* The one validation both parsers share. */
static int validate(const struct rf_jval *f, struct summary *s, char *why, size_t whylen)
{
    const struct rf_jval *name = &f[S_NAME], *t = &f[S_TIME], *d = &f[S_DIST];
    if (name->kind != RF_J_STRING || name->slen == 0 || name->slen >= sizeof s->name) {
        snprintf(why, whylen, "Name: %s",
                 name->kind == RF_J_MISSING  ? "missing"
                 : name->kind == RF_J_STRING ? "empty or too long"
                                             : "not a string");
        return -1;
    }
    if (t->kind != RF_J_STRING || rf_time_parse(t->s, t->slen, &s->status_ms) < 0) {
        snprintf(why, whylen, "StatusTime: %s",
                 t->kind == RF_J_MISSING ? "missing" : "not a time like '2026-11-22 07:21:00.000'");
        return -1;
    }
    if (d->kind != RF_J_INT && d->kind != RF_J_REAL) {
        snprintf(why, whylen, "Distance: %s", d->kind != RF_J_MISSING ? "not a number" : "missing");
        return -1;
    }
    memcpy(s->name, name->s, name->slen);
    s->name[name->slen] = '\0';
    rf_time_format(s->status_ms, s->status_time);
    s->distance = d->kind == RF_J_INT ? (double)d->i : d->d;
    if (integer(&f[S_MIN_MAGIC], names[S_MIN_MAGIC], &s->min_magic, why, whylen) < 0 ||
        integer(&f[S_MAX_MAGIC], names[S_MAX_MAGIC], &s->max_magic, why, whylen) < 0 ||
        integer(&f[S_MIN_HEALTH], names[S_MIN_HEALTH], &s->min_health, why, whylen) < 0 ||
        integer(&f[S_MAX_HEALTH], names[S_MAX_HEALTH], &s->max_health, why, whylen) < 0)
        return -1;
    return 0;
}

int summary_decode_reference(const char *json, size_t len, struct summary *s, char *why, size_t whylen)
{
    json_error_t e;
    json_t *o = json_loadb(json, len, 0, &e);
    int rc = -1;
    if (!o || !json_is_object(o)) {
        snprintf(why, whylen, o ? "not a JSON object" : "not valid JSON: %s", e.text);
        goto out;
    }
    struct rf_jval f[S_COUNT];
    rf_jflat_from_jansson(o, names, S_COUNT, f);
    rc = validate(f, s, why, whylen);
out:
    json_decref(o);
    return rc;
}

int summary_decode(const char *json, size_t len, struct summary *s, char *why, size_t whylen)
{
    struct rf_jval f[S_COUNT];
    if (rf_jflat_scan(json, len, field_index, S_COUNT, f) < 0)
        return summary_decode_reference(json, len, s, why, whylen);
    return validate(f, s, why, whylen);
}
