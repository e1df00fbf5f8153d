/* rf_json.h - small JSON output helpers shared by the programs that print
 * JSON by hand (consumer envelopes, sql results). */
#ifndef RF_JSON_H
#define RF_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Write s (n bytes, UTF-8 passed through) as a quoted JSON string: quotes
 * and backslashes escaped, control characters as \n, \r, \t or \u00XX.
 * Errors surface through ferror(out). */
void rf_json_write_string(FILE *out, const char *s, size_t n);

#endif
