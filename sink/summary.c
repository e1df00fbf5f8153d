/* summary.c - decoding the workshop's per-minute summary (see backend.h). */
#include "backend.h"
#include "rf_time.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int integer(json_t *o, const char *k, long long *v, char *why, size_t whylen)
{
    json_t *j = json_object_get(o, k);
    if (json_is_integer(j)) {
        *v = json_integer_value(j);
        return 0;
    }
    if (json_is_real(j) && json_real_value(j) == floor(json_real_value(j)) && fabs(json_real_value(j)) < 9e18) {
        *v = (long long)json_real_value(j);
        return 0;
    }
    snprintf(why, whylen, "%s: %s", k, j ? "not an integer" : "missing");
    return -1;
}

int summary_decode(const char *json, size_t len, struct summary *s, char *why, size_t whylen)
{
    json_error_t e;
    json_t *o = json_loadb(json, len, 0, &e);
    int rc = -1;
    if (!o || !json_is_object(o)) {
        snprintf(why, whylen, o ? "not a JSON object" : "not valid JSON: %s", e.text);
        goto out;
    }
    json_t *name = json_object_get(o, "Name"), *t = json_object_get(o, "StatusTime"),
           *d = json_object_get(o, "Distance");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= sizeof s->name) {
        snprintf(why, whylen, "Name: %s", !name ? "missing" : json_is_string(name) ? "empty or too long" : "not a string");
        goto out;
    }
    if (!json_is_string(t) || rf_time_parse(json_string_value(t), json_string_length(t), &s->status_ms) < 0) {
        snprintf(why, whylen, "StatusTime: %s", !t ? "missing" : "not a time like '2026-11-22 07:21:00.000'");
        goto out;
    }
    if (!json_is_number(d)) {
        snprintf(why, whylen, "Distance: %s", d ? "not a number" : "missing");
        goto out;
    }
    snprintf(s->name, sizeof s->name, "%s", json_string_value(name));
    rf_time_format(s->status_ms, s->status_time);
    s->distance = json_number_value(d);
    if (integer(o, "MinMagicPoints", &s->min_magic, why, whylen) < 0 ||
        integer(o, "MaxMagicPoints", &s->max_magic, why, whylen) < 0 ||
        integer(o, "MinHealthPoints", &s->min_health, why, whylen) < 0 ||
        integer(o, "MaxHealthPoints", &s->max_health, why, whylen) < 0)
        goto out;
    rc = 0;
out:
    json_decref(o);
    return rc;
}
