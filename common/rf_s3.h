/* rf_s3.h - a small S3 client over libcurl: list, get, put and multipart
 * upload, path-style (http(s)://endpoint/bucket/key), signed with libcurl's
 * CURLOPT_AWS_SIGV4 (no hand-written signing).
 *
 * Credentials and region come from the usual AWS environment variables:
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional),
 * AWS_REGION or AWS_DEFAULT_REGION (default us-east-1). The endpoint is
 * --endpoint, else AWS_ENDPOINT_URL, else https://s3.<region>.amazonaws.com.
 *
 * A client is immutable after rf_s3_new and may be shared by threads: every
 * call uses a curl handle of its own. Calls return 0, or -1 with err naming
 * the object and the server's answer (HTTP status and S3 error code). */
#ifndef RF_S3_H
#define RF_S3_H

#include <stddef.h>
#include <stdint.h>

struct rf_s3;

/* url: "s3://bucket/prefix" (prefix may be empty). endpoint may be NULL.
 * *prefix receives the prefix without leading or trailing '/' (points into
 * the client). NULL with err on a bad URL. */
struct rf_s3 *rf_s3_new(const char *url, const char *endpoint, const char **prefix, char *err, size_t errlen);
void rf_s3_free(struct rf_s3 *s);
const char *rf_s3_bucket(const struct rf_s3 *s);

/* Every key that starts with prefix, in S3's (lexicographic) order:
 * *keys is a malloc'd array of malloc'd strings, *sizes (may be NULL) their
 * sizes. Free with rf_s3_free_keys. */
int rf_s3_list(const struct rf_s3 *s, const char *prefix, char ***keys, int64_t **sizes, int *n, char *err,
               size_t errlen);
void rf_s3_free_keys(char **keys, int64_t *sizes, int n);

/* The whole object, malloc'd into *data. */
int rf_s3_get(const struct rf_s3 *s, const char *key, char **data, size_t *len, char *err, size_t errlen);

/* Write an object: one PUT up to part_size, else a multipart upload in
 * parts of part_size (>= 5 MiB, S3's minimum), up to four parts sent at
 * once on threads of its own, that is aborted on failure (the first
 * failed part's error in err), so that no reader ever sees a partial
 * object. */
int rf_s3_put(const struct rf_s3 *s, const char *key, const char *data, size_t len, size_t part_size, char *err,
              size_t errlen);

int rf_s3_delete(const struct rf_s3 *s, const char *key, char *err, size_t errlen);

#endif
