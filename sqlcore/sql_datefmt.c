/* sql_datefmt.c - timestamps to and from text by a Java-style pattern, as
 * Kinesis Analytics' CHAR_TO_TIMESTAMP and TIMESTAMP_TO_CHAR take them
 * ('yyyy-MM-dd HH:mm:ss.SSS', 'dd/MMM/yyyy:HH:mm:ss', ...). Letters: y year,
 * M month (MMM: Jan), d day, H hour 0-23, h hour 1-12 with a (AM/PM), m
 * minute, s second, S milliseconds; 'quoted' text and other characters
 * stand for themselves. UTC throughout, as every timestamp here is. */
#include "rf_time.h"
#include "sql_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The run of the same letter at f[i]: its length. */
static size_t run(const char *f, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && f[k] == f[i])
        k++;
    return k - i;
}

static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

size_t sql_datefmt_format(const char *f, size_t n, int64_t ts, char *out, size_t cap)
{
    int64_t secs = ts >= 0 ? ts / 1000 : -((-ts + 999) / 1000);
    int ms = (int)(ts - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t o = 0;
#define PUT(...) (o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__))
    for (size_t i = 0; i < n;) {
        if (f[i] == '\'') { /* 'literal', '' is a quote */
            size_t k = i + 1;
            if (k < n && f[k] == '\'') {
                PUT("'");
                i = k + 1;
                continue;
            }
            while (k < n && f[k] != '\'')
                k++;
            PUT("%.*s", (int)(k - i - 1), f + i + 1);
            i = k + 1;
            continue;
        }
        size_t r = run(f, n, i);
        switch (is_letter(f[i]) ? f[i] : 0) {
        case 'y': r == 2 ? PUT("%02d", (tm.tm_year + 1900) % 100) : PUT("%0*d", (int)r, tm.tm_year + 1900); break;
        case 'M': r >= 3 ? PUT("%s", months[tm.tm_mon]) : PUT("%0*d", (int)r, tm.tm_mon + 1); break;
        case 'd': PUT("%0*d", (int)r, tm.tm_mday); break;
        case 'H': PUT("%0*d", (int)r, tm.tm_hour); break;
        case 'h': PUT("%0*d", (int)r, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12); break;
        case 'a': PUT("%s", tm.tm_hour < 12 ? "AM" : "PM"); break;
        case 'm': PUT("%0*d", (int)r, tm.tm_min); break;
        case 's': PUT("%0*d", (int)r, tm.tm_sec); break;
        case 'S': PUT("%03d", ms); break;
        case 0: PUT("%.*s", (int)r, f + i); break;
        default: return (size_t)-1; /* a letter with no meaning here */
        }
        i += r;
    }
#undef PUT
    return o < cap ? o : (size_t)-1;
}

/* Read up to max digits (at least one) from s at *p. */
static int digits(const char *s, size_t n, size_t *p, size_t max, int *v)
{
    size_t k = 0;
    *v = 0;
    while (*p < n && k < max && s[*p] >= '0' && s[*p] <= '9') {
        *v = *v * 10 + (s[*p] - '0');
        (*p)++;
        k++;
    }
    return k ? 0 : -1;
}

int sql_datefmt_parse(const char *f, size_t n, const char *s, size_t sn, int64_t *ts)
{
    int year = 1970, mon = 1, day = 1, hour = 0, min = 0, sec = 0, ms = 0, pm = -1;
    size_t p = 0;
    for (size_t i = 0; i < n;) {
        if (f[i] == '\'') {
            size_t k = i + 1;
            while (k < n && f[k] != '\'')
                k++;
            size_t lit = k - i - 1;
            if (p + lit > sn || memcmp(s + p, f + i + 1, lit) != 0)
                return -1;
            p += lit;
            i = k + 1;
            continue;
        }
        size_t r = run(f, n, i);
        /* a field followed by another field takes exactly its width */
        size_t width = i + r < n && is_letter(f[i + r]) ? r : 9;
        int v, rc = 0;
        switch (is_letter(f[i]) ? f[i] : 0) {
        case 'y': rc = digits(s, sn, &p, r == 2 ? 2 : width < 4 ? 4 : width, &year); if (r == 2) year += 2000; break;
        case 'M':
            if (r >= 3) {
                rc = -1;
                for (int m = 0; m < 12 && rc; m++)
                    if (p + 3 <= sn && strncasecmp(s + p, months[m], 3) == 0)
                        mon = m + 1, p += 3, rc = 0;
            } else {
                rc = digits(s, sn, &p, width < 2 ? 2 : width, &mon);
            }
            break;
        case 'd': rc = digits(s, sn, &p, width < 2 ? 2 : width, &day); break;
        case 'H':
        case 'h': rc = digits(s, sn, &p, width < 2 ? 2 : width, &hour); break;
        case 'm': rc = digits(s, sn, &p, width < 2 ? 2 : width, &min); break;
        case 's': rc = digits(s, sn, &p, width < 2 ? 2 : width, &sec); break;
        case 'S': {
            size_t at = p;
            rc = digits(s, sn, &p, 3, &v);
            for (size_t k = p - at; rc == 0 && k < 3; k++)
                v *= 10; /* '.5' is 500 ms */
            ms = v;
            break;
        }
        case 'a':
            if (p + 2 <= sn && (strncasecmp(s + p, "AM", 2) == 0 || strncasecmp(s + p, "PM", 2) == 0)) {
                pm = (s[p] | 32) == 'p';
                p += 2;
            } else {
                rc = -1;
            }
            break;
        case 0:
            if (p + r > sn || memcmp(s + p, f + i, r) != 0)
                rc = -1;
            else
                p += r;
            break;
        default: rc = -1;
        }
        if (rc < 0)
            return -1;
        i += r;
    }
    if (p != sn)
        return -1; /* text left over */
    if (pm >= 0) {
        if (hour < 1 || hour > 12)
            return -1;
        hour = hour % 12 + (pm ? 12 : 0);
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return -1;
    char text[40];
    snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d", year, mon, day, hour, min, sec, ms);
    return rf_time_parse(text, strlen(text), ts); /* checks the day of the month */
}
