/* rf_sigv4.h - AWS Signature Version 4 for S3 requests.
 *
 * rydeflow signs its own requests instead of using libcurl's
 * CURLOPT_AWS_SIGV4: the libcurl of Debian 12 (7.88) signs some paths and
 * query strings differently from S3 ('=' and '+' in keys, unsorted query
 * parameters), which a server that checks signatures refuses with 403
 * SignatureDoesNotMatch. The canonical request follows AWS's documentation
 * ("Create a canonical request for Signature Version 4"). Pure functions:
 * no I/O, no allocation. */
#ifndef RF_SIGV4_H
#define RF_SIGV4_H

#include <stddef.h>

/* A header to sign: name in lower case, value trimmed. */
struct rf_sigv4_header {
    const char *name, *value;
};

struct rf_sigv4_request {
    const char *method;       /* "GET", "PUT", ... */
    const char *uri;          /* the path, already URI-encoded as sent ("/bucket/key") */
    const char *query;        /* "k=v&k2=v2" with names and values URI-encoded as sent, or NULL */
    const struct rf_sigv4_header *headers; /* sorted by name; host and x-amz-date among them */
    int nheaders;
    const char *payload_sha256; /* lower-case hex of the body's SHA-256 */
    const char *amz_date;       /* "YYYYMMDDTHHMMSSZ", as in the x-amz-date header */
    const char *region, *service; /* "us-east-1", "s3" */
};

/* Write the Authorization header's value for r, signed with key and
 * secret, into out. 0, or -1 when out or an internal buffer is too small. */
int rf_sigv4_authorization(const struct rf_sigv4_request *r, const char *key, const char *secret, char *out,
                           size_t outlen);

#endif
