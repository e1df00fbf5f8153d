/* refdata.h - the processor's reference data: tables that queries JOIN
 * (--reference NAME=URL, Kinesis Analytics' reference data sources), read
 * from file:// or s3:// at start-up and read again every interval; a
 * changed object is loaded and swapped in between two records. */
#ifndef REFDATA_H
#define REFDATA_H

#include <stdint.h>

#include "rf_opts.h"
#include "sql.h"

struct refdata;

/* Load every "NAME=URL" of specs (.csv: CSV; anything else: JSON). URL is
 * file:///path or s3://bucket/key (endpoint: the S3 endpoint, may be NULL).
 * NULL with err naming the reference on any failure (start-up must not go
 * on without its tables). An empty list gives an empty set. */
struct refdata *refdata_load(const struct rf_strlist *specs, const char *endpoint, char *err, size_t errlen);
void refdata_free(struct refdata *rd);
/* The tables as the SQL module sees them (owned by rd): for sql_script_opts. */
struct sql_reference *const *refdata_refs(const struct refdata *rd);
int refdata_count(const struct refdata *rd);
/* Read each reference again once interval_ms has passed since the last
 * read; a changed object with the same columns and types replaces the
 * table (logged), anything else keeps the old one (a warning). Call between
 * records, on the thread that runs the queries. */
void refdata_refresh(struct refdata *rd, int64_t now_ms, int64_t interval_ms);

#endif
