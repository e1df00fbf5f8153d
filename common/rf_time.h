/* rf_time.h - event time: milliseconds since the Unix epoch, UTC, and the
 * workshop's text form "YYYY-MM-DD HH:MM:SS.mmm".
 *
 * Pure functions on civil dates (no time zone database, no locale): they are
 * on the hot path of every program and must agree bit for bit everywhere. */
#ifndef RF_TIME_H
#define RF_TIME_H

#include <stddef.h>
#include <stdint.h>

#define RF_TIME_TEXT_LEN 23 /* strlen("2026-11-22 07:21:29.123") */

/* Write the 23-character form of ms plus a NUL into out (at least 24 bytes).
 * Valid for years 0000..9999; outside that range the year is clamped. */
void rf_time_format(int64_t ms, char *out);

/* Parse exactly "YYYY-MM-DD HH:MM:SS.mmm" (len must be 23) into *ms. Also
 * accepts a 'T' separator and 19-character form without milliseconds.
 * Returns 0, or -1 if the text is not a valid date and time (month 13, Feb 30,
 * hour 24 and trailing junk all fail). */
int rf_time_parse(const char *s, size_t len, int64_t *ms);

/* Parse a user-facing time for flags like --start-time and --from: the form
 * above, "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.mmm][Z]", or "@<epoch ms>".
 * Returns 0 or -1. */
int rf_time_parse_flag(const char *s, int64_t *ms);

/* The event-time guard every program applies before an event time may move
 * a watermark or name an archive partition: 0 when ts is from 1970 on and at
 * most max_future_ms ahead of ref_ms (the record's Kafka timestamp: the wall
 * clock when it was written, so a replay judges it the same way), else -1
 * with the reason in reason. max_future_ms <= 0 or ref_ms < 0: no upper bound. */
int rf_time_check_event(int64_t ts, int64_t ref_ms, int64_t max_future_ms, char *reason, size_t reasonlen);

/* Current wall-clock time in ms since the epoch. */
int64_t rf_time_now_ms(void);
/* A monotonic clock in nanoseconds, for rates and timeouts. */
int64_t rf_time_mono_ns(void);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t rf_days_from_civil(int64_t y, unsigned m, unsigned d);
void rf_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
