/* format.h - how `consumer` prints records: json, table or csv.
 *
 * json  one line per record: the value as it is, or with --show an envelope
 *       {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"headers":{..},"value":..}
 *       where value is embedded as JSON when it is JSON, else as a string.
 * table aligned columns of the value's top-level JSON fields (plus the --show
 *       columns). Widths come from the first rows (up to 100, or those seen
 *       in the first second, or before the stream went idle); later rows keep
 *       them and may overflow a column.
 * csv   RFC 4180, a header row of the first record's fields, then one row per
 *       record; fields a record lacks are empty.
 * A value that is not a JSON object appears in table/csv as one "value" column.
 * The formatter owns its buffered rows; it borrows the FILE. */
#ifndef FORMAT_H
#define FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum fmt_kind { FMT_JSON, FMT_TABLE, FMT_CSV };

enum {
    FMT_SHOW_TOPIC = 1 << 0,
    FMT_SHOW_PARTITION = 1 << 1,
    FMT_SHOW_OFFSET = 1 << 2,
    FMT_SHOW_TIMESTAMP = 1 << 3,
    FMT_SHOW_KEY = 1 << 4,
    FMT_SHOW_HEADERS = 1 << 5,
};

#define FMT_MAX_HEADERS 16

struct fmt_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 if none */
    const char *key;      /* may be NULL */
    size_t key_len;
    const char *value;    /* may be NULL (tombstone) */
    size_t value_len;
    int nheaders;         /* the first FMT_MAX_HEADERS headers; values may be NULL */
    const char *hname[FMT_MAX_HEADERS];
    const char *hvalue[FMT_MAX_HEADERS];
    size_t hlen[FMT_MAX_HEADERS];
};

struct fmt;

/* Parse "json|table|csv" and "key,partition,offset,timestamp,topic,headers|all" (NULL
 * or "" for none). Return 0, or -1 on an unknown name. */
int fmt_parse_kind(const char *name, enum fmt_kind *kind);
int fmt_parse_show(const char *list, unsigned *show);

/* A formatter writing to out, or NULL if out of memory. */
struct fmt *fmt_new(enum fmt_kind kind, unsigned show, FILE *out);
/* Print (or buffer, for table) one record. Returns 0, or -1 on a write error. */
int fmt_write(struct fmt *f, const struct fmt_record *r);
/* The stream is idle: print rows held back for the table's widths. */
void fmt_idle(struct fmt *f);
/* Print buffered rows and flush. Returns 0, or -1 on a write error. */
int fmt_finish(struct fmt *f);
void fmt_free(struct fmt *f);

#endif
