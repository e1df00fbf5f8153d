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

/* Read objects ahead on background threads: each object is decompressed
 * whole into memory by one of `threads` workers, at most `window` objects
 * ahead of the reader, and handed out in path order. Memory is bounded by
 * the window. paths are borrowed and must outlive the prefetcher. */
struct archive_prefetch;
struct archive_prefetch *archive_prefetch_start(char **paths, int n, int threads, int window, char *err,
                                                size_t errlen);
/* The next object's contents (owned by the prefetcher until the next call):
 * returns 1 with data, len and index set, 0 at the end, -1 with err naming the
 * object (and the line where its gzip stream broke). */
int archive_prefetch_next(struct archive_prefetch *p, const char **data, size_t *len, int *index, char *err,
                          size_t errlen);
/* Stop the workers (even mid-way) and free everything. */
void archive_prefetch_stop(struct archive_prefetch *p);

#endif
