/* rf_event.h - the workshop's telemetry record: decode, validate, encode.
 *
 *   {"Name":"Shadowfax","StatusTime":"2026-11-22 07:21:29.123","Latitude":40.749167,
 *    "Longitude":-73.985184,"Distance":29.7,"MagicPoints":150,"HealthPoints":149}
 *
 * Decoding runs a schema-aware scanner for the common shape (one flat object,
 * plain ASCII strings, plain numbers) and hands anything else (escapes,
 * non-ASCII, nesting, duplicate fields, syntax errors) to jansson, so the
 * result is always the one jansson would give: rf_event_decode() and
 * rf_event_decode_reference() agree on every input (a unit test checks it on
 * mutated inputs, and the fuzz target does the same).
 *
 * Validation rules (a record failing any is a "bad record" with a reason):
 *   Name         required string, 1..128 bytes
 *   StatusTime   required string "YYYY-MM-DD HH:MM:SS[.mmm]" (UTC; 'T' also accepted)
 *   Latitude     number in [-90, 90]        } optional: missing or null means
 *   Longitude    number in [-180, 180]      } "not reported"; other fields
 *   Distance     number in [0, 1000000]     } are allowed and ignored
 *   MagicPoints  integer in [0, 100000]     }
 *   HealthPoints integer in [0, 100000]     }
 */
#ifndef RF_EVENT_H
#define RF_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define RF_EVENT_NAME_MAX 128
#define RF_EVENT_ENCODE_MAX (RF_EVENT_NAME_MAX * 6 + 320)

enum {
    RF_EV_LATITUDE = 1 << 0,
    RF_EV_LONGITUDE = 1 << 1,
    RF_EV_DISTANCE = 1 << 2,
    RF_EV_MAGIC = 1 << 3,
    RF_EV_HEALTH = 1 << 4,
};

struct rf_event {
    char name[RF_EVENT_NAME_MAX + 1]; /* decoded (unescaped) UTF-8, NUL-terminated */
    size_t name_len;
    int64_t time_ms; /* StatusTime, ms since the epoch, UTC */
    double latitude, longitude, distance;
    int64_t magic_points, health_points;
    unsigned has; /* RF_EV_* bits for the optional fields present */
};

/* Decode and validate one record of len bytes (need not be NUL-terminated).
 * Returns 0 and fills ev, or -1 with a one-line reason in reason (always
 * NUL-terminated when reasonlen > 0). Never reads past json + len. */
int rf_event_decode(const char *json, size_t len, struct rf_event *ev, char *reason, size_t reasonlen);

/* The same through jansson alone: the reference the fast path must match. */
int rf_event_decode_reference(const char *json, size_t len, struct rf_event *ev, char *reason, size_t reasonlen);

/* Counters of how decodes were served (for tests and benchmarks; per thread). */
struct rf_event_decode_stats {
    uint64_t fast, fallback;
};
const struct rf_event_decode_stats *rf_event_decode_stats(void);

/* Encode ev as one JSON object (no newline) into buf. Coordinates are written
 * with up to 6 decimals, Distance with up to 3; absent fields are omitted.
 * Returns the length, or 0 if cap is too small (buf contents then undefined).
 * RF_EVENT_ENCODE_MAX bytes are always enough. */
size_t rf_event_encode(const struct rf_event *ev, char *buf, size_t cap);

/* Write v with at most `decimals` fractional digits, trailing zeros trimmed
 * (29.700 -> "29.7", 30.0 -> "30"). Returns the length written (< 40); buf
 * must hold 40 bytes. Used where the shortest exact form is not needed. */
size_t rf_fmt_fixed(char *buf, double v, int decimals);

#endif
