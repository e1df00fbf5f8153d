/* archive_worker.h - gzip and store the archive's objects on worker
 * threads, so that compressing overlaps reading: the consumer thread
 * decodes and files events; the workers compress with libdeflate and write
 * the files or the S3 objects.
 *
 * An object is compressed in chunks while it is still open: each chunk of
 * NDJSON (--chunk-bytes, 4 MiB) becomes one gzip member as soon as it fills,
 * and the stored object is the members' concatenation (RFC 1952 allows
 * several members; gzip, zlib with inflateReset, Python and DuckDB read
 * them as one stream). So when a large object closes only its last chunk
 * is left to compress, instead of all of it while nothing else runs.
 *
 * One worker thread per core (at most four), one job each: submitting
 * waits for a free worker. A job is a chunk of an open object, or the last
 * chunk of a closed one and the store, which waits for its object's other
 * chunks (already running: a job starts when it is submitted, so this
 * never waits on a job that waits). A job that fails is kept and run again
 * by aworker_retry, and until its object is stored aworker_pending_from
 * keeps its first offset from being committed. All calls come from one
 * thread (the sink's); the workers only run jobs, so put must be safe to
 * call from several threads at once (a file per object; rf_s3 clients are). */
#ifndef ARCHIVE_WORKER_H
#define ARCHIVE_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct aworker;
struct aobject; /* the compressed members of one object */

/* Store len bytes of gzip as dir/name (the archive's put: a file written
 * atomically, or an S3 PUT). 0, or -1 with err. Runs on the worker thread. */
typedef int (*aworker_put_fn)(void *ctx, const char *dir, const char *name, const char *data, size_t len, char *err,
                              size_t errlen);

/* A worker calling put(ctx, ...) for each stored object; NULL when out of
 * memory or threads. */
struct aworker *aworker_new(aworker_put_fn put, void *ctx);

/* A new, empty object, owned by the caller until aworker_submit takes it
 * (or aworker_drop frees it). NULL when out of memory. */
struct aobject *aworker_object(struct aworker *w);

/* Hand over the next chunk of object o (partition p, whose first offset is
 * first_offset): *raw (len bytes of NDJSON in a malloc'd buffer of *cap
 * bytes) now belongs to the worker, and *raw and *cap are replaced by a
 * spare buffer (or NULL and 0). Waits for a free worker first. 0, or -1
 * with err when a job failed: then nothing was handed over (the caller
 * retries later with aworker_retry, and hands it over again). */
int aworker_chunk(struct aworker *w, struct aobject *o, int32_t p, int64_t first_offset, char **raw, size_t *cap,
                  size_t len, char *err, size_t errlen);

/* Close object o: its last chunk (*raw, len bytes, possibly 0) is handed
 * over as in aworker_chunk, and once every chunk is compressed the object
 * is stored as dir/name. On success o belongs to the worker. 0, or -1 with
 * err as in aworker_chunk (o is still the caller's). */
int aworker_submit(struct aworker *w, struct aobject *o, int32_t p, int64_t first_offset, const char *dir,
                   const char *name, char **raw, size_t *cap, size_t len, char *err, size_t errlen);

/* Give up an object never submitted (at shutdown, its offsets never
 * committed); its chunks still in flight finish first. */
void aworker_drop(struct aworker *w, struct aobject *o);

/* Wait for the jobs in flight. 0 when all are done (or there were none),
 * -1 with err when one failed (it stays pending). */
int aworker_wait(struct aworker *w, char *err, size_t errlen);

/* Run the failed jobs again and wait for them: 0 when done (or none had
 * failed), -1 with err. */
int aworker_retry(struct aworker *w, char *err, size_t errlen);

/* The smallest first offset of partition p held by a job not yet done,
 * or -1. (An open object's own first offset is the caller's to count.) */
int64_t aworker_pending_from(const struct aworker *w, int32_t p);

/* Objects stored and their bytes of NDJSON, since the start. */
void aworker_stats(const struct aworker *w, int64_t *objects, int64_t *bytes);

/* Wait for the jobs in flight (failed ones are dropped), stop the threads
 * and free everything. Objects still the caller's are dropped first. */
void aworker_free(struct aworker *w);

#endif
