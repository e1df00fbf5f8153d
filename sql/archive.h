/* archive.h - reading the raw-event archive (DESIGN.md's layout):
 *   <root>/<topic>/year=YYYY/month=MM/day=DD/hour=HH/<topic>+<partition>+<offset>.ndjson.gz
 * Objects are gzip NDJSON (plain .ndjson is read too). Roots are file:///dir
 * (or a plain path) or s3://bucket/prefix (common/rf_s3.h: credentials and
 * region from the AWS environment variables, endpoint from --endpoint).
 *
 * Partition pruning is safe only in an archive whose writer filed every
 * event under its own event hour (rydeflow's sink, make_archive.py
 * --by-event-hour), which it says with a marker object ARCHIVE_BY_EVENT_TIME
 * beside the hour directories. Other archives (Firehose files objects by
 * arrival time, so one object's events straddle hours and late events land
 * anywhere) are read whole. archive_object_hour gives an object's hour;
 * bin/sql also checks every record it reads against it, so a marked archive
 * that breaks its promise is reported rather than answered wrongly. */

#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

/* Every object under <root>/<topic>/, sorted by path. *paths is a malloc'd
 * array of malloc'd strings (free with archive_free_list). Returns 0, or -1
 * with err ("no archive for topic ... at ...", an unsupported URL, ...). */
int archive_list(const char *url, const char *endpoint, const char *topic, char ***paths, int *n, char *err,
                 size_t errlen);
/* After archive_list: whether the topic's archive carries the marker
 * ARCHIVE_BY_EVENT_TIME (its writer filed every event under its own hour). */
#define ARCHIVE_BY_EVENT_TIME "_rydeflow_partitioned_by_event_time"
int archive_by_event_time(void);
void archive_free_list(char **paths, int n);

/* The schema of a topic's archive (sql.h's schema file format): the file
 * SQL_SCHEMA_FILE its writer left beside the objects, else one inferred
 * from the first 20,480 records. *how says which. The caller frees it with
 * sql_schema_free. NULL with err if the archive cannot be read, has no
 * records, or its schema file is broken. */
struct sql_schema;
struct sql_schema *archive_schema(const char *url, const char *endpoint, const char *topic, char *how,
                                  size_t howlen, char *err, size_t errlen);

/* The start of the hour an object is filed under (ms since the epoch), from
 * its path's year=/month=/day=/hour= components; -1 if it has none. */
int64_t archive_object_hour(const char *path);

/* Read one object whole and decompressed (for the prefetcher): *data is
 * malloc'd. 0, or -1 with err naming the object (and the line where its
 * gzip stream broke). */
int archive_load(const char *path, char **data, size_t *len, char *err, size_t errlen);
/* The same for an s3:// object of the archive archive_list opened. */
int archive_load_s3(const char *path, char **data, size_t *len, char *err, size_t errlen);

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
