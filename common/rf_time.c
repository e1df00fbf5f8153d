/* rf_time.c - event-time formatting and parsing (see rf_time.h).
 * The civil-date arithmetic is Howard Hinnant's days_from_civil algorithm. */
#include "rf_time.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t rf_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void rf_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void rf_time_format(int64_t ms, char *out)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    int64_t y;
    unsigned mo, d;
    rf_civil_from_days(days, &y, &mo, &d);
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    unsigned yy = (unsigned)y;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = ' ';
    unsigned secs = (unsigned)(rem / 1000), milli = (unsigned)(rem % 1000);
    put2(out + 11, secs / 3600);
    out[13] = ':';
    put2(out + 14, secs / 60 % 60);
    out[16] = ':';
    put2(out + 17, secs % 60);
    out[19] = '.';
    out[20] = (char)('0' + milli / 100);
    out[21] = (char)('0' + milli / 10 % 10);
    out[22] = (char)('0' + milli % 10);
    out[23] = '\0';
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int rf_time_parse(const char *s, size_t len, int64_t *ms)
{
    unsigned y, mo, d, h = 0, mi = 0, se = 0, milli = 0;
    if (len != 23 && len != 19 && len != 10)
        return -1;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
        return -1;
    if (len > 10) {
        if ((s[10] != ' ' && s[10] != 'T') || digits(s + 11, 2, &h) || s[13] != ':' ||
            digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
            return -1;
        if (len == 23 && (s[19] != '.' || digits(s + 20, 3, &milli)))
            return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return -1;
    *ms = (rf_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000 + milli;
    return 0;
}

int rf_time_parse_flag(const char *s, int64_t *ms)
{
    size_t len = strlen(s);
    if (s[0] == '@') {
        char *end;
        long long v = strtoll(s + 1, &end, 10);
        if (end == s + 1 || *end)
            return -1;
        *ms = v;
        return 0;
    }
    if (len > 0 && s[len - 1] == 'Z')
        len--;
    return rf_time_parse(s, len, ms);
}

int64_t rf_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rf_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rf_time_check_event(int64_t ts, int64_t ref_ms, int64_t max_future_ms, char *reason, size_t reasonlen)
{
    char t[32];
    if (ts < 0) {
        rf_time_format(ts, t);
        snprintf(reason, reasonlen, "event time %s is before 1970", t);
        return -1;
    }
    if (max_future_ms > 0 && ref_ms >= 0 && ts - ref_ms > max_future_ms) {
        char r[32];
        rf_time_format(ts, t);
        rf_time_format(ref_ms, r);
        snprintf(reason, reasonlen,
                 "event time %s is %.0f s ahead of the record's timestamp %s (more than --max-future, %.0f s)", t,
                 (double)(ts - ref_ms) / 1000.0, r, (double)max_future_ms / 1000.0);
        return -1;
    }
    return 0;
}
