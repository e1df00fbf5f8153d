/* http.h - the dashboard's HTTP requests: parsing the head a client sent,
 * query parameters, and the access token.
 *
 * Pure functions on bytes (no sockets), so they are unit-tested and fuzzed
 * (tests/fuzz/fuzz_http.c) on their own. The head is what came before the
 * blank line; every field is bounded and too long a value is dropped, never
 * truncated into something else. */
#ifndef DASH_HTTP_H
#define DASH_HTTP_H

#include <stddef.h>

struct request {
    char method[16];
    char path[6200];  /* without the query */
    char query[4096]; /* after '?', raw */
    char upgrade[64], connection[128], key[128], version[16], auth[256], cookie[1024];
    char extensions[512]; /* Sec-WebSocket-Extensions */
};

/* Parse a request head (len bytes, CRLF or LF lines) into r. 0, or -1 when
 * the request line is malformed. */
int http_parse_request(const char *head, size_t len, struct request *r);

/* The value of query parameter name, percent-decoded into out (NUL-terminated,
 * at most outlen - 1 bytes), or -1 when absent. */
int http_param(const struct request *r, const char *name, char *out, size_t outlen);

/* Whether the request carries token: "Authorization: Bearer TOKEN" or the
 * cookie rydeflow_token=TOKEN (which the page sets from the #token= of the
 * printed URL: a fragment never reaches a server or its logs). A token in
 * the URL's query is not accepted. Compared in constant time. token NULL:
 * always 1. */
int http_authorized(const struct request *r, const char *token);

/* 1 when the WebSocket upgrade offers permessage-deflate (RFC 7692) in a
 * form the server takes: its frames are compressed once for every client,
 * so each message stands alone (no context takeover, a 32 KiB window). An
 * offer that limits the server's window (server_max_window_bits < 15) is
 * declined, as is anything malformed: the client then gets plain frames. */
int http_ws_deflate(const struct request *r);

/* 1 when the query string carries a token= parameter (refused, and said why). */
int http_token_in_url(const struct request *r);

#endif
