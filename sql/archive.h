/* archive.h - reading the raw-event archive (DESIGN.md's layout):
 *   <root>/<topic>/year=YYYY/month=MM/day=DD/hour=HH/<topic>+<partition>+<offset>.ndjson.gz
 * Objects are gzip NDJSON (plain .ndjson is read too). Only file:// roots
 * (or plain paths) for now. */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stddef.h>

/* Every object under <root>/<topic>/, sorted by path. *paths is a malloc'd
 * array of malloc'd strings (free with archive_free_list). Returns 0, or -1
 * with err ("no archive for topic ... at ...", an unsupported URL, ...). */
int archive_list(const char *url, const char *topic, char ***paths, int *n, char *err, size_t errlen);
void archive_free_list(char **paths, int n);

/* Call line(arg, text, len, lineno) for each line of an object (without the
 * newline; blank lines skipped). line returns 0 to go on, 1 to stop early,
 * -1 to fail. Returns 0, 1 (stopped), or -1 with err naming the object (and
 * the line, for a corrupt gzip stream). */
typedef int (*archive_line_fn)(void *arg, const char *text, size_t len, long lineno);
int archive_scan(const char *path, archive_line_fn line, void *arg, char *err, size_t errlen);

#endif
