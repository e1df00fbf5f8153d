/* rf_jflat.h - a fast scanner for flat JSON objects of known fields.
 *
 * Records on the hot paths (the telemetry event, the per-minute summary)
 * are one flat object of plain ASCII strings and plain numbers. This scans
 * that common shape without allocating and without building a tree, and
 * gives up (-1) on anything else: escapes or non-ASCII in a string,
 * nested values, a wanted field twice, a syntax error, an integer that may
 * overflow, a number strtod must round. The caller then decodes the record
 * with jansson, so its result is always jansson's: the scanner only ever
 * agrees or declines (tests/unit/test_event.c checks that differentially,
 * and tests/fuzz does the same).
 *
 * Numbers: an integer of up to 18 digits is RF_J_INT; a number with a
 * fraction or an exponent is RF_J_REAL, converted exactly as strtod would
 * (Clinger's fast path, else strtod itself). */
#ifndef RF_JFLAT_H
#define RF_JFLAT_H

#include <jansson.h>
#include <stddef.h>

enum rf_jkind { RF_J_MISSING = 0, RF_J_NULL, RF_J_STRING, RF_J_INT, RF_J_REAL, RF_J_BOOL, RF_J_OTHER };

/* One field's value. A string points into the scanned text (not
 * NUL-terminated; no escapes, so it is the decoded value). */
struct rf_jval {
    enum rf_jkind kind;
    const char *s;
    size_t slen;
    long long i;
    double d;
};

/* The slot of a field name (0 .. nfields-1), or -1 for a field not wanted
 * (skipped). Called once per key; key is not NUL-terminated. */
typedef int (*rf_jflat_index_fn)(const char *key, size_t len);

/* Scan len bytes of json (need not be NUL-terminated; never read past
 * json + len) into f[0 .. nfields-1], which it clears first: the fields
 * index() names get their values, absent ones stay RF_J_MISSING. 0, or -1
 * when the input is outside the fast path (decode it with jansson). */
int rf_jflat_scan(const char *json, size_t len, rf_jflat_index_fn index, int nfields, struct rf_jval *f);

/* The same slots from an object jansson decoded (the path for whatever the
 * scanner declines): f[i] gets the value of the field names[i], or stays
 * RF_J_MISSING. Strings point into obj (valid while it lives), so both
 * paths feed one validation. */
void rf_jflat_from_jansson(const json_t *obj, const char *const *names, int nfields, struct rf_jval *f);

#endif
