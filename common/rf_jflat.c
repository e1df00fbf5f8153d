/* rf_jflat.c - the fast scanner for flat JSON objects (see rf_jflat.h). */
#include "rf_jflat.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rf_jflat_from_jansson(const json_t *obj, const char *const *names, int nfields, struct rf_jval *f)
{
    memset(f, 0, sizeof *f * (size_t)nfields);
    for (int i = 0; i < nfields; i++) {
        json_t *v = json_object_get(obj, names[i]);
        if (!v)
            continue;
        switch (json_typeof(v)) {
        case JSON_STRING:
            f[i].kind = RF_J_STRING;
            f[i].s = json_string_value(v);
            f[i].slen = json_string_length(v);
            break;
        case JSON_INTEGER:
            f[i].kind = RF_J_INT;
            f[i].i = json_integer_value(v);
            break;
        case JSON_REAL:
            f[i].kind = RF_J_REAL;
            f[i].d = json_real_value(v);
            break;
        case JSON_TRUE:
        case JSON_FALSE:
            f[i].kind = RF_J_BOOL;
            break;
        case JSON_NULL:
            f[i].kind = RF_J_NULL;
            break;
        default:
            f[i].kind = RF_J_OTHER;
        }
    }
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string with no escapes and only printable ASCII; p is after the quote.
 * Returns the closing quote, or NULL to fall back. */
static inline const char *scan_plain_string(const char *p, const char *end)
{
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p;
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return NULL;
        p++;
    }
    return NULL;
}

/* Clinger's fast path: a decimal with at most 15 significant digits and no
 * exponent is m / 10^k with m < 2^53 and k <= 22, both exact doubles, so one
 * IEEE division gives the correctly rounded result, the same bits strtod
 * returns. Returns 0, or -1 when the input is outside the fast path. */
static int fast_decimal(const char *s, const char *end, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *s == '-';
    s += neg;
    uint64_t m = 0;
    int digits = 0, frac = 0, seen_dot = 0;
    for (; s < end; s++) {
        if (*s == '.') {
            seen_dot = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return -1; /* exponent: leave it to strtod */
        if (m == 0 && *s == '0') {
            if (seen_dot)
                frac++;
            continue; /* leading zeros are not significant */
        }
        m = m * 10 + (uint64_t)(*s - '0');
        frac += seen_dot;
        if (++digits > 15)
            return -1;
    }
    if (frac > 22)
        return -1;
    double d = (double)m / pow10[frac];
    *out = neg ? -d : d;
    return 0;
}

/* A JSON number per RFC 8259. Fills v; returns the end, or NULL to fall back
 * (bad syntax, too many digits to be sure of jansson's result, overflow). */
static const char *scan_number(const char *p, const char *end, struct rf_jval *v)
{
    const char *start = p;
    int is_real = 0;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < end && *p == '.') {
        is_real = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - start);
    if (!is_real) {
        if (n > 18)
            return NULL; /* may overflow long long: let jansson decide */
        long long x = 0;
        const char *q = start + (*start == '-');
        for (; q < p; q++)
            x = x * 10 + (*q - '0');
        v->kind = RF_J_INT;
        v->i = *start == '-' ? -x : x;
        return p;
    }
    double d;
    if (fast_decimal(start, p, &d) < 0) {
        char buf[48];
        if (n >= sizeof buf)
            return NULL;
        memcpy(buf, start, n);
        buf[n] = '\0';
        d = strtod(buf, NULL);
    }
    if (!isfinite(d))
        return NULL;
    v->kind = RF_J_REAL;
    v->d = d;
    return p;
}

int rf_jflat_scan(const char *json, size_t len, rf_jflat_index_fn index, int nfields, struct rf_jval *f)
{
    memset(f, 0, (size_t)nfields * sizeof *f);
    const char *p = json, *end = json + len;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto done;
    }
    for (;;) {
        if (p >= end || *p != '"')
            return -1;
        const char *k = p + 1, *kend = scan_plain_string(k, end);
        if (!kend)
            return -1;
        int idx = index(k, (size_t)(kend - k));
        p = skip_ws(kend + 1, end);
        if (p >= end || *p != ':')
            return -1;
        p = skip_ws(p + 1, end);
        if (p >= end)
            return -1;
        struct rf_jval tmp, *v = idx >= 0 ? &f[idx] : &tmp;
        if (idx >= 0 && v->kind != RF_J_MISSING)
            return -1; /* duplicate field: jansson keeps the last; let it */
        memset(v, 0, sizeof *v);
        char c = *p;
        if (c == '"') {
            const char *s = p + 1, *send = scan_plain_string(s, end);
            if (!send)
                return -1;
            v->kind = RF_J_STRING;
            v->s = s;
            v->slen = (size_t)(send - s);
            p = send + 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            p = scan_number(p, end, v);
            if (!p)
                return -1;
        } else if (c == 't' && end - p >= 4 && memcmp(p, "true", 4) == 0) {
            v->kind = RF_J_BOOL;
            p += 4;
        } else if (c == 'f' && end - p >= 5 && memcmp(p, "false", 5) == 0) {
            v->kind = RF_J_BOOL;
            p += 5;
        } else if (c == 'n' && end - p >= 4 && memcmp(p, "null", 4) == 0) {
            v->kind = RF_J_NULL;
            p += 4;
        } else {
            return -1; /* nested value or bad syntax */
        }
        p = skip_ws(p, end);
        if (p >= end)
            return -1;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p == '}') {
            p++;
            break;
        }
        return -1;
    }
done:
    p = skip_ws(p, end);
    return p == end ? 0 : -1;
}

