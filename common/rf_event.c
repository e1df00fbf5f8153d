/* rf_event.c - telemetry record decoding (fast path + jansson), validation and
 * encoding (see rf_event.h).
 *
 * Both decoders reduce the input to the same intermediate form (struct fields:
 * one typed slot per known field) and share one validation function, so they
 * can only differ in parsing, which the differential test covers. */
#include "rf_event.h"
#include "rf_jflat.h"
#include "rf_time.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { F_NAME, F_TIME, F_LAT, F_LON, F_DIST, F_MAGIC, F_HEALTH, F_COUNT };
static const char *const field_names[F_COUNT] = {"Name",     "StatusTime",  "Latitude",    "Longitude",
                                                 "Distance", "MagicPoints", "HealthPoints"};

static _Thread_local struct rf_event_decode_stats stats;

const struct rf_event_decode_stats *rf_event_decode_stats(void) { return &stats; }

static int field_index(const char *k, size_t len)
{
    switch (len) {
    case 4:
        return memcmp(k, "Name", 4) == 0 ? F_NAME : -1;
    case 8:
        if (memcmp(k, "Latitude", 8) == 0)
            return F_LAT;
        return memcmp(k, "Distance", 8) == 0 ? F_DIST : -1;
    case 9:
        return memcmp(k, "Longitude", 9) == 0 ? F_LON : -1;
    case 10:
        return memcmp(k, "StatusTime", 10) == 0 ? F_TIME : -1;
    case 11:
        return memcmp(k, "MagicPoints", 11) == 0 ? F_MAGIC : -1;
    case 12:
        return memcmp(k, "HealthPoints", 12) == 0 ? F_HEALTH : -1;
    }
    return -1;
}

static int bad(char *reason, size_t rlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static int bad(char *reason, size_t rlen, const char *fmt, ...)
{
    if (rlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, rlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int number_field(const struct rf_jval *v, int f, double lo, double hi, double *out, unsigned bit, unsigned *has,
                        char *reason, size_t rlen)
{
    if (v->kind == RF_J_MISSING || v->kind == RF_J_NULL)
        return 0;
    double d;
    if (v->kind == RF_J_INT)
        d = (double)v->i;
    else if (v->kind == RF_J_REAL)
        d = v->d;
    else
        return bad(reason, rlen, "%s must be a number", field_names[f]);
    if (!(d >= lo && d <= hi))
        return bad(reason, rlen, "%s %g is out of range [%g, %g]", field_names[f], d, lo, hi);
    *out = d;
    *has |= bit;
    return 0;
}

static int int_field(const struct rf_jval *v, int f, int64_t *out, unsigned bit, unsigned *has, char *reason,
                     size_t rlen)
{
    if (v->kind == RF_J_MISSING || v->kind == RF_J_NULL)
        return 0;
    if (v->kind != RF_J_INT)
        return bad(reason, rlen, "%s must be an integer", field_names[f]);
    if (v->i < 0 || v->i > 100000)
        return bad(reason, rlen, "%s %lld is out of range [0, 100000]", field_names[f], v->i);
    *out = v->i;
    *has |= bit;
    return 0;
}

/* The one validation both decoders share. */
static int validate(const struct rf_jval *f, struct rf_event *ev, char *reason, size_t rlen)
{
    memset(ev, 0, sizeof *ev);
    if (f[F_NAME].kind == RF_J_MISSING)
        return bad(reason, rlen, "missing Name");
    if (f[F_NAME].kind != RF_J_STRING)
        return bad(reason, rlen, "Name must be a string");
    if (f[F_NAME].slen == 0)
        return bad(reason, rlen, "Name is empty");
    if (f[F_NAME].slen > RF_EVENT_NAME_MAX)
        return bad(reason, rlen, "Name is longer than %d bytes", RF_EVENT_NAME_MAX);
    if (f[F_TIME].kind == RF_J_MISSING)
        return bad(reason, rlen, "missing StatusTime");
    if (f[F_TIME].kind != RF_J_STRING)
        return bad(reason, rlen, "StatusTime must be a string");
    if (rf_time_parse(f[F_TIME].s, f[F_TIME].slen, &ev->time_ms) < 0) {
        int n = f[F_TIME].slen > 40 ? 40 : (int)f[F_TIME].slen;
        /* Quote only printable ASCII so the reason stays one clean line. */
        char shown[41];
        for (int i = 0; i < n; i++) {
            unsigned char c = (unsigned char)f[F_TIME].s[i];
            shown[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        shown[n] = '\0';
        return bad(reason, rlen, "StatusTime '%s' is not a time like 2026-11-22 07:21:29.123", shown);
    }
    if (number_field(&f[F_LAT], F_LAT, -90, 90, &ev->latitude, RF_EV_LATITUDE, &ev->has, reason, rlen) ||
        number_field(&f[F_LON], F_LON, -180, 180, &ev->longitude, RF_EV_LONGITUDE, &ev->has, reason, rlen) ||
        number_field(&f[F_DIST], F_DIST, 0, 1e6, &ev->distance, RF_EV_DISTANCE, &ev->has, reason, rlen) ||
        int_field(&f[F_MAGIC], F_MAGIC, &ev->magic_points, RF_EV_MAGIC, &ev->has, reason, rlen) ||
        int_field(&f[F_HEALTH], F_HEALTH, &ev->health_points, RF_EV_HEALTH, &ev->has, reason, rlen))
        return -1;
    memcpy(ev->name, f[F_NAME].s, f[F_NAME].slen);
    ev->name[f[F_NAME].slen] = '\0';
    ev->name_len = f[F_NAME].slen;
    return 0;
}

/* ---- reference decoder: jansson ---------------------------------------- */

int rf_event_decode_reference(const char *json, size_t len, struct rf_event *ev, char *reason, size_t rlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root)
        return bad(reason, rlen, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
    int rc;
    if (!json_is_object(root)) {
        rc = bad(reason, rlen, "not a JSON object");
        goto out;
    }
    struct rf_jval f[F_COUNT];
    rf_jflat_from_jansson(root, field_names, F_COUNT, f);
    rc = validate(f, ev, reason, rlen);
out:
    json_decref(root);
    return rc;
}

/* ---- fast path: rf_jflat ------------------------------------------------- */

int rf_event_decode(const char *json, size_t len, struct rf_event *ev, char *reason, size_t rlen)
{
    struct rf_jval f[F_COUNT];
    if (rf_jflat_scan(json, len, field_index, F_COUNT, f) < 0) {
        stats.fallback++;
        return rf_event_decode_reference(json, len, ev, reason, rlen);
    }
    stats.fast++;
    return validate(f, ev, reason, rlen);
}

/* ---- encoding ------------------------------------------------------------ */

size_t rf_fmt_fixed(char *buf, double v, int decimals)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (decimals < 0 || decimals > 6 || !(fabs(v) < 1e12))
        return (size_t)snprintf(buf, 40, "%.17g", v);
    long long scaled = llround(v * pow10[decimals]);
    char *p = buf;
    if (scaled < 0) {
        *p++ = '-';
        scaled = -scaled;
    }
    long long ip = scaled / (long long)pow10[decimals], fp = scaled % (long long)pow10[decimals];
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n)
        *p++ = tmp[--n];
    if (fp) {
        *p++ = '.';
        for (int d = decimals - 1; d >= 0; d--) {
            long long div = (long long)pow10[d];
            *p++ = (char)('0' + fp / div % 10);
        }
        while (p[-1] == '0')
            p--;
    }
    if (buf[0] == '-' && p == buf + 2 && buf[1] == '0')
        p = buf + 1, buf[0] = '0'; /* no "-0" */
    *p = '\0';
    return (size_t)(p - buf);
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

size_t rf_event_encode(const struct rf_event *ev, char *buf, size_t cap)
{
    /* Worst case: a 128-byte name fully \u-escaped (6x) plus fixed fields. */
    char tmp[RF_EVENT_ENCODE_MAX];
    char *p = tmp;
    p = put(p, "{\"Name\":\"", 9);
    for (size_t i = 0; i < ev->name_len; i++) {
        unsigned char c = (unsigned char)ev->name[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            p += sprintf(p, "\\u%04x", c);
        } else {
            *p++ = (char)c;
        }
    }
    p = put(p, "\",\"StatusTime\":\"", 16);
    rf_time_format(ev->time_ms, p);
    p += RF_TIME_TEXT_LEN;
    *p++ = '"';
    if (ev->has & RF_EV_LATITUDE) {
        p = put(p, ",\"Latitude\":", 12);
        p += rf_fmt_fixed(p, ev->latitude, 6);
    }
    if (ev->has & RF_EV_LONGITUDE) {
        p = put(p, ",\"Longitude\":", 13);
        p += rf_fmt_fixed(p, ev->longitude, 6);
    }
    if (ev->has & RF_EV_DISTANCE) {
        p = put(p, ",\"Distance\":", 12);
        p += rf_fmt_fixed(p, ev->distance, 3);
    }
    if (ev->has & RF_EV_MAGIC) {
        p = put(p, ",\"MagicPoints\":", 15);
        p = put_i64(p, ev->magic_points);
    }
    if (ev->has & RF_EV_HEALTH) {
        p = put(p, ",\"HealthPoints\":", 16);
        p = put_i64(p, ev->health_points);
    }
    *p++ = '}';
    size_t n = (size_t)(p - tmp);
    if (n > cap)
        return 0;
    memcpy(buf, tmp, n);
    return n;
}
