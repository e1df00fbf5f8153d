/* rf_table.h - the text output formats people read and spreadsheets load,
 * shared by the consumer (records as rows) and bin/sql (query results), so
 * that both quote CSV and line up tables the same way.
 *
 * CSV: RFC 4180 (a field with a comma, quote, CR or LF is quoted, quotes
 * doubled; NULL is an empty field). Tables: columns separated by two
 * spaces, padded to the widest cell in characters (UTF-8 code points, not
 * bytes), a rule of dashes under the header, the last column unpadded.
 * Cells must be valid UTF-8 (rf_utf8_repair first). Writers report errors
 * through the FILE (ferror). */
#ifndef RF_TABLE_H
#define RF_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* One CSV field of n bytes (s may be NULL: an empty field). */
void rf_csv_field(FILE *out, const char *s, size_t n);
/* A CSV line: n fields (NULL cells empty), comma-separated, then LF. */
void rf_csv_line(FILE *out, const char *const *cells, int n);

/* The width of s in characters (UTF-8 code points). */
int rf_table_chars(const char *s);
/* Widen width[0..n) to fit cells (NULL cells count as empty). */
void rf_table_fit(int *width, const char *const *cells, int n);
/* One table line: cells padded to width, two spaces apart, the last not
 * padded; then LF. */
void rf_table_line(FILE *out, const char *const *cells, const int *width, int n);
/* The header line and the rule of dashes under it. */
void rf_table_header(FILE *out, const char *const *names, const int *width, int n);

#endif
