/* result.h - printing query results: an aligned table, CSV (RFC 4180) or
 * JSON (one object per line). Doubles print in their shortest exact form,
 * timestamps as 'YYYY-MM-DD HH:MM:SS.mmm', NULL as NULL (table), empty
 * (CSV) or null (JSON). A table is held until the end to size its columns;
 * CSV and JSON stream. The writer owns its buffered rows; it borrows out. */
#ifndef RESULT_H
#define RESULT_H

#include <stdio.h>

#include "sql.h"

enum result_format { RESULT_TABLE, RESULT_CSV, RESULT_JSON };
struct result_writer;

/* names: the column names (borrowed; must outlive the writer). NULL if out of memory. */
struct result_writer *result_writer_new(enum result_format fmt, FILE *out, const char *const *names, int n);
/* sql_emit_fn-compatible: print (or hold) one row. 0, or -1 on a write error. */
int result_writer_row(void *writer, const struct sql_value *values, int n);
/* Print what is held and flush. 0, or -1 on a write error. */
int result_writer_finish(struct result_writer *w);
long long result_writer_rows(const struct result_writer *w);
void result_writer_free(struct result_writer *w);

#endif
