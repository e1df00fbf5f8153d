/* rf_json.h - small JSON output helpers shared by the programs that print
 * JSON by hand (consumer envelopes, sql results, dead letters). */
#ifndef RF_JSON_H
#define RF_JSON_H

#include "rf_buf.h"

#include <stddef.h>
#include <stdio.h>

/* Write s (n bytes, UTF-8 passed through) as a quoted JSON string: quotes
 * and backslashes escaped, control characters as \n, \r, \t or \u00XX.
 * Bytes that are not UTF-8 pass through too: use rf_json_write_text when s
 * may hold them. Errors surface through ferror(out). */
void rf_json_write_string(FILE *out, const char *s, size_t n);

/* As rf_json_write_string, but each byte that does not start a valid UTF-8
 * sequence is written as \ufffd, so the output is always valid JSON text. */
void rf_json_write_text(FILE *out, const char *s, size_t n);

/* The same two, into a buffer (no FILE, no allocation once it has grown). */
void rf_json_buf_string(struct rf_buf *b, const char *s, size_t n);
void rf_json_buf_text(struct rf_buf *b, const char *s, size_t n);

/* 1 when s[0..n) is valid UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF), else 0. */
int rf_utf8_valid(const char *s, size_t n);

/* s[0..n) with every byte that does not start a valid UTF-8 sequence
 * replaced by U+FFFD: a malloc'd, NUL-terminated copy (length in *len), or
 * NULL when out of memory. */
char *rf_utf8_repair(const char *s, size_t n, size_t *len);

#endif
