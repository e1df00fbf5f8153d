/* archive_worker.h - gzip and store the archive's objects on worker
 * threads, so that compressing closed objects overlaps filling the next
 * ones (the consumer thread decodes and files events; the workers compress
 * with libdeflate and write the files or the S3 objects).
 *
 * One worker thread per core (at most four), one job each: submitting
 * waits for a free worker. A job that fails is kept and run again by
 * aworker_retry, and until it is stored aworker_pending_from keeps its
 * first offset from being committed. All calls come from one thread (the
 * sink's); the workers only run jobs, so put must be safe to call from
 * several threads at once (a file per object; rf_s3 clients are). */
#ifndef ARCHIVE_WORKER_H
#define ARCHIVE_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct aworker;

/* Store len bytes of gzip as dir/name (the archive's put: a file written
 * atomically, or an S3 PUT). 0, or -1 with err. Runs on the worker thread. */
typedef int (*aworker_put_fn)(void *ctx, const char *dir, const char *name, const char *data, size_t len, char *err,
                              size_t errlen);

/* A worker calling put(ctx, ...) for each job; NULL when out of memory or
 * threads. */
struct aworker *aworker_new(aworker_put_fn put, void *ctx);

/* Hand over the object of partition p starting at first_offset: *raw
 * (len bytes of NDJSON in a malloc'd buffer of *cap bytes) now belongs to
 * the worker, and *raw and *cap are replaced by a spare buffer (or NULL and
 * 0) for the caller's next object. Waits for a free worker first. 0, or -1
 * with err when a job failed: then nothing was handed over (the caller
 * retries later with aworker_retry, and submits again). */
int aworker_submit(struct aworker *w, int32_t p, int64_t first_offset, const char *dir, const char *name, char **raw,
                   size_t *cap, size_t len, char *err, size_t errlen);

/* Wait for the jobs in flight. 0 when all are stored (or there were none),
 * -1 with err when one failed (it stays pending). */
int aworker_wait(struct aworker *w, char *err, size_t errlen);

/* Run the failed jobs again and wait for them: 0 when stored (or none had
 * failed), -1 with err. */
int aworker_retry(struct aworker *w, char *err, size_t errlen);

/* The smallest first offset of partition p held by a job not yet stored,
 * or -1. */
int64_t aworker_pending_from(const struct aworker *w, int32_t p);

/* Objects stored and their bytes of NDJSON, since the start. */
void aworker_stats(const struct aworker *w, int64_t *objects, int64_t *bytes);

/* Wait for the jobs in flight (failed ones are dropped), stop the threads
 * and free everything. */
void aworker_free(struct aworker *w);

#endif
