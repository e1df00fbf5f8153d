/* rf_s3.c - the S3 client (see rf_s3.h). */
#include "rf_s3.h"
#include "rf_sigv4.h"

#include "rf_log.h"

#include <curl/curl.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rf_s3 {
    char endpoint[512]; /* without trailing '/' */
    char bucket[256];
    char prefix[1024];
    char region[64];
    char host[512];     /* the endpoint's host[:port], as sent in Host */
    char base[512];     /* the endpoint's path, if any ("" usually) */
    char key[256], secret[256]; /* "" when anonymous */
    char token[2048];   /* session token, or "" */
    /* Connections are kept and reused between requests (and between the
     * threads that share this client): a share of curl's connection cache
     * and DNS cache, each data kind behind its own mutex (curl may hold one
     * while it takes another). */
    CURLSH *share;
    pthread_mutex_t lock[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)c, (void)a;
    if (d >= 0 && d < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&((struct rf_s3 *)u)->lock[d]);
}

static void share_unlock(CURL *c, curl_lock_data d, void *u)
{
    (void)c;
    if (d >= 0 && d < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&((struct rf_s3 *)u)->lock[d]);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static const char *env(const char *a, const char *b, const char *dflt)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : dflt;
}

struct rf_s3 *rf_s3_new(const char *url, const char *endpoint, const char **prefix, char *err, size_t errlen)
{
    pthread_once(&curl_once, curl_init);
    if (strncmp(url, "s3://", 5) != 0) {
        snprintf(err, errlen, "%s: not an s3:// URL", url);
        return NULL;
    }
    struct rf_s3 *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen == 0 || blen >= sizeof s->bucket) {
        snprintf(err, errlen, "%s: expected s3://BUCKET[/PREFIX]", url);
        free(s);
        return NULL;
    }
    memcpy(s->bucket, b, blen);
    const char *p = slash ? slash + 1 : "";
    while (*p == '/')
        p++;
    snprintf(s->prefix, sizeof s->prefix, "%s", p);
    for (size_t n = strlen(s->prefix); n > 0 && s->prefix[n - 1] == '/'; n--)
        s->prefix[n - 1] = '\0';
    const char *region = env("AWS_REGION", "AWS_DEFAULT_REGION", "us-east-1");
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", NULL);
    if (endpoint)
        snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    else
        snprintf(s->endpoint, sizeof s->endpoint, "https://s3.%s.amazonaws.com", region);
    for (size_t n = strlen(s->endpoint); n > 0 && s->endpoint[n - 1] == '/'; n--)
        s->endpoint[n - 1] = '\0';
    snprintf(s->region, sizeof s->region, "%s", region);
    const char *hs = strstr(s->endpoint, "://");
    hs = hs ? hs + 3 : s->endpoint;
    const char *path = strchr(hs, '/');
    snprintf(s->host, sizeof s->host, "%.*s", (int)(path ? path - hs : (long)strlen(hs)), hs);
    snprintf(s->base, sizeof s->base, "%s", path ? path : "");
    const char *key = env("AWS_ACCESS_KEY_ID", NULL, NULL), *secret = env("AWS_SECRET_ACCESS_KEY", NULL, NULL);
    if (key && secret) {
        snprintf(s->key, sizeof s->key, "%s", key);
        snprintf(s->secret, sizeof s->secret, "%s", secret);
    }
    snprintf(s->token, sizeof s->token, "%s", env("AWS_SESSION_TOKEN", NULL, ""));
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->lock[i], NULL);
    if ((s->share = curl_share_init())) {
        curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    }
    *prefix = s->prefix;
    return s;
}

void rf_s3_free(struct rf_s3 *s)
{
    if (!s)
        return;
    if (s->share)
        curl_share_cleanup(s->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->lock[i]);
    free(s);
}
const char *rf_s3_bucket(const struct rf_s3 *s) { return s->bucket; }

/* ---- requests ---------------------------------------------------------------- */

struct buf {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *nd = realloc(b->data, cap);
        if (!nd)
            return 0; /* curl reports a write error */
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

struct header_capture {
    char etag[128];
};

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct header_capture *h = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
        const char *v = p + 5;
        while (*v == ' ')
            v++;
        size_t vl = (size_t)(p + len - v);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        if (vl < sizeof h->etag) {
            memcpy(h->etag, v, vl);
            h->etag[vl] = '\0';
        }
    }
    return len;
}

/* Percent-encode a key for the URL path: everything but unreserved
 * characters and '/'. S3 canonicalises the path the same way, so the
 * signature libcurl computes over it matches. */
static void encode_key(const char *key, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *k = (const unsigned char *)key; *k && o + 4 < outlen; k++) {
        if ((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-' ||
            *k == '_' || *k == '.' || *k == '~' || *k == '/') {
            out[o++] = (char)*k;
        } else {
            out[o++] = '%';
            out[o++] = hex[*k >> 4];
            out[o++] = hex[*k & 15];
        }
    }
    out[o] = '\0';
}

/* The S3 error code in an XML error body, for messages. */
static void error_code(const char *body, char *out, size_t outlen)
{
    const char *a = body ? strstr(body, "<Code>") : NULL, *z = a ? strstr(a, "</Code>") : NULL;
    if (a && z && z - a - 6 < (long)outlen) {
        memcpy(out, a + 6, (size_t)(z - a - 6));
        out[z - a - 6] = '\0';
    } else {
        out[0] = '\0';
    }
}

/* Sign a request (rf_sigv4.h): add Host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token (with a session token) and Authorization to
 * *headers. path: the URI-encoded key, or NULL for the bucket. */
static int sign(const struct rf_s3 *s, const char *method, const char *path, const char *query, const char *payload,
                struct curl_slist **headers, char *err, size_t errlen)
{
    char amz_date[32], uri[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(uri, sizeof uri, "%s/%s%s%s", s->base, s->bucket, path ? "/" : "", path ? path : "");
    struct rf_sigv4_header h[4] = {{"host", s->host}, {"x-amz-content-sha256", payload}, {"x-amz-date", amz_date},
                                   {"x-amz-security-token", s->token}};
    struct rf_sigv4_request r = {method, uri, query, h, s->token[0] ? 4 : 3, payload, amz_date, s->region, "s3"};
    char auth[1024], line[2200];
    if (rf_sigv4_authorization(&r, s->key, s->secret, auth, sizeof auth) < 0) {
        snprintf(err, errlen, "%s s3://%s/%s: the request is too long to sign", method, s->bucket, path ? path : "");
        return -1;
    }
    for (int i = 0; i < r.nheaders; i++) {
        snprintf(line, sizeof line, "%s: %s", i == 0 ? "Host" : h[i].name, h[i].value);
        *headers = curl_slist_append(*headers, line);
    }
    snprintf(line, sizeof line, "Authorization: %s", auth);
    *headers = curl_slist_append(*headers, line);
    return 0;
}

/* One request. method: GET, PUT, POST, DELETE; key may be NULL (the
 * bucket); query without '?'. body/bodylen: the request body (PUT/POST).
 * The response body goes to resp (may be NULL). Returns the HTTP status,
 * or -1 with err on a transport error. */
static long request(const struct rf_s3 *s, const char *method, const char *key, const char *query, const char *body,
                    size_t bodylen, struct buf *resp, struct header_capture *hdr, char *err, size_t errlen)
{
    char path[3 * 1024 + 64];
    encode_key(key ? key : "", path, sizeof path);
    char url[4096];
    snprintf(url, sizeof url, "%s/%s%s%s%s%s", s->endpoint, s->bucket, key ? "/" : "", path, query ? "?" : "",
             query ? query : "");
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot create a curl handle");
        return -1;
    }
    struct curl_slist *headers = NULL;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)(body ? body : ""), body ? bodylen : 0, md);
    char payload[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(payload + 2 * i, 3, "%02x", md[i]);
    if (s->key[0] && sign(s, method, key ? path : NULL, query, payload, &headers, err, errlen) < 0) {
        curl_easy_cleanup(c);
        return -1;
    }
    struct buf sink = {0};
    if (s->share)
        curl_easy_setopt(c, CURLOPT_SHARE, s->share);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer fails after 60 s */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp ? resp : &sink);
    if (hdr) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, hdr);
    }
    if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
        /* the body as POSTFIELDS (also for PUT): libcurl's signature covers it */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
        if (strcmp(method, "PUT") == 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        headers = curl_slist_append(headers, "Expect:");
        headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    if (headers)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc != CURLE_OK)
        snprintf(err, errlen, "%s %s: %s", method, url, curl_easy_strerror(rc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300) {
        char code[128];
        error_code(resp ? resp->data : sink.data, code, sizeof code);
        /* Name the endpoint (which server said no) and, for a refusal, what to check. */
        const char *hint = status == 403 && (strstr(code, "Signature") || strstr(code, "AccessKey") ||
                                             strstr(code, "AccessDenied") || strstr(code, "InvalidToken"))
                               ? " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this endpoint)"
                               : "";
        snprintf(err, errlen, "%s s3://%s/%s at %s: HTTP %ld%s%s%s", method, s->bucket, key ? key : "",
                 s->endpoint, status, code[0] ? " " : "", code, hint);
    }
    free(sink.data);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

/* ---- operations ------------------------------------------------------------------ */

/* The text of the next <tag>...</tag> at or after *p; advances *p. */
static int xml_next(const char **p, const char *tag, char *out, size_t outlen)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(*p, open);
    if (!a)
        return 0;
    a += strlen(open);
    const char *z = strstr(a, close);
    if (!z)
        return 0;
    size_t n = (size_t)(z - a);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, a, n);
    out[n] = '\0';
    *p = z + strlen(close);
    return 1;
}

/* XML entity decoding for keys (&amp; &lt; &gt; &quot; &apos;). */
static void xml_unescape(char *s)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *w = s;
    for (char *r = s; *r;) {
        size_t i = 0;
        for (; *r == '&' && i < sizeof ents / sizeof *ents; i++)
            if (strncmp(r, ents[i].ent, strlen(ents[i].ent)) == 0)
                break;
        if (*r == '&' && i < sizeof ents / sizeof *ents) {
            *w++ = ents[i].c;
            r += strlen(ents[i].ent);
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void url_param(const char *v, char *out, size_t outlen)
{
    encode_key(v, out, outlen);
    /* in a query value '/' must be encoded too */
    char tmp[4096];
    size_t o = 0;
    for (const char *p = out; *p && o + 4 < sizeof tmp; p++) {
        if (*p == '/') {
            memcpy(tmp + o, "%2F", 3);
            o += 3;
        } else {
            tmp[o++] = *p;
        }
    }
    tmp[o] = '\0';
    snprintf(out, outlen, "%s", tmp);
}

int rf_s3_list(const struct rf_s3 *s, const char *prefix, char ***keys, int64_t **sizes, int *n, char *err,
               size_t errlen)
{
    *keys = NULL;
    *n = 0;
    if (sizes)
        *sizes = NULL;
    int cap = 0;
    char token[2048] = "";
    for (;;) {
        char query[16384], p[3200], t[6200];
        url_param(prefix, p, sizeof p);
        url_param(token, t, sizeof t);
        snprintf(query, sizeof query, "list-type=2&prefix=%s%s%s", p, token[0] ? "&continuation-token=" : "",
                 token[0] ? t : "");
        struct buf resp = {0};
        long st = request(s, "GET", NULL, query, NULL, 0, &resp, NULL, err, errlen);
        if (st != 200) {
            free(resp.data);
            goto fail;
        }
        const char *at = resp.data ? resp.data : "";
        char contents[8192];
        while (xml_next(&at, "Contents", contents, sizeof contents)) {
            char key[2048], size[64] = "0";
            const char *c = contents;
            if (!xml_next(&c, "Key", key, sizeof key))
                continue;
            c = contents;
            xml_next(&c, "Size", size, sizeof size);
            xml_unescape(key);
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                char **nk = realloc(*keys, sizeof *nk * (size_t)cap);
                int64_t *ns = sizes ? realloc(*sizes, sizeof *ns * (size_t)cap) : NULL;
                if (nk)
                    *keys = nk;
                if (ns)
                    *sizes = ns;
                if (!nk || (sizes && !ns)) {
                    free(resp.data);
                    snprintf(err, errlen, "out of memory");
                    goto fail;
                }
            }
            if (!((*keys)[*n] = strdup(key))) {
                free(resp.data);
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            if (sizes)
                (*sizes)[*n] = strtoll(size, NULL, 10);
            (*n)++;
        }
        char truncated[16] = "false";
        at = resp.data ? resp.data : "";
        xml_next(&at, "IsTruncated", truncated, sizeof truncated);
        at = resp.data ? resp.data : "";
        int more = strcmp(truncated, "true") == 0 && xml_next(&at, "NextContinuationToken", token, sizeof token);
        free(resp.data);
        if (!more)
            return 0;
    }
fail:
    rf_s3_free_keys(*keys, sizes ? *sizes : NULL, *n);
    *keys = NULL;
    if (sizes)
        *sizes = NULL;
    *n = 0;
    return -1;
}

void rf_s3_free_keys(char **keys, int64_t *sizes, int n)
{
    for (int i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    free(sizes);
}

int rf_s3_get(const struct rf_s3 *s, const char *key, char **data, size_t *len, char *err, size_t errlen)
{
    struct buf resp = {0};
    long st = request(s, "GET", key, NULL, NULL, 0, &resp, NULL, err, errlen);
    if (st != 200) {
        free(resp.data);
        return -1;
    }
    if (!resp.data && !(resp.data = calloc(1, 1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *data = resp.data;
    *len = resp.len;
    return 0;
}

int rf_s3_delete(const struct rf_s3 *s, const char *key, char *err, size_t errlen)
{
    long st = request(s, "DELETE", key, NULL, NULL, 0, NULL, NULL, err, errlen);
    return st >= 200 && st < 300 ? 0 : -1;
}

static int put_once(const struct rf_s3 *s, const char *key, const char *query, const char *data, size_t len,
                    struct header_capture *hdr, char *err, size_t errlen)
{
    struct buf resp = {0};
    long st = request(s, "PUT", key, query, data, len, &resp, hdr, err, errlen);
    free(resp.data);
    return st == 200 ? 0 : -1;
}

/* A multipart upload's parts, sent by up to PART_THREADS threads at once
 * (each takes the next part not yet taken): an object's upload costs about
 * its largest part's time, not the sum. */
#define PART_THREADS 4

struct parts {
    const struct rf_s3 *s;
    const char *key, *id, *data;
    size_t len, part_size, nparts;
    pthread_mutex_t lock;
    size_t next;   /* the next part to send (0-based) */
    int failed;    /* a part failed: no more are started */
    char (*etag)[128];
    char err[1024];
};

static void *send_parts(void *arg)
{
    struct parts *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->lock);
        size_t i = u->failed ? u->nparts : u->next++;
        pthread_mutex_unlock(&u->lock);
        if (i >= u->nparts)
            return NULL;
        char query[4096], err[1024];
        snprintf(query, sizeof query, "partNumber=%zu&uploadId=%s", i + 1, u->id);
        struct header_capture hdr = {""};
        size_t off = i * u->part_size, n = u->len - off < u->part_size ? u->len - off : u->part_size;
        int rc = put_once(u->s, u->key, query, u->data + off, n, &hdr, err, sizeof err);
        pthread_mutex_lock(&u->lock);
        if (rc == 0)
            memcpy(u->etag[i], hdr.etag, sizeof hdr.etag);
        else if (!u->failed) {
            u->failed = 1;
            snprintf(u->err, sizeof u->err, "%s", err);
        }
        pthread_mutex_unlock(&u->lock);
    }
}

int rf_s3_put(const struct rf_s3 *s, const char *key, const char *data, size_t len, size_t part_size, char *err,
              size_t errlen)
{
    if (part_size < 5u << 20)
        part_size = 5u << 20;
    if (len <= part_size)
        return put_once(s, key, NULL, data, len, NULL, err, errlen);
    /* Multipart: initiate, upload the parts, complete (or abort). */
    struct buf resp = {0};
    if (request(s, "POST", key, "uploads=", "", 0, &resp, NULL, err, errlen) != 200) {
        free(resp.data);
        return -1;
    }
    char upload_id[1024];
    const char *at = resp.data ? resp.data : "";
    int ok = xml_next(&at, "UploadId", upload_id, sizeof upload_id);
    free(resp.data);
    if (!ok) {
        snprintf(err, errlen, "POST s3://%s/%s?uploads: no UploadId in the answer", s->bucket, key);
        return -1;
    }
    char id[3200];
    url_param(upload_id, id, sizeof id);
    size_t nparts = (len + part_size - 1) / part_size;
    rf_debug("s3://%s/%s: multipart upload of %zu bytes in %zu parts", s->bucket, key, len, nparts);
    char *complete = malloc(nparts * 200 + 128);
    struct parts u = {.s = s, .key = key, .id = id, .data = data, .len = len, .part_size = part_size,
                      .nparts = nparts, .etag = calloc(nparts, sizeof *u.etag)};
    if (!complete || !u.etag) {
        free(complete);
        free(u.etag);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&u.lock, NULL);
    pthread_t th[PART_THREADS];
    int started = 0;
    for (size_t t = 0; t < PART_THREADS && t < nparts; t++)
        if (pthread_create(&th[started], NULL, send_parts, &u) == 0)
            started++;
    if (started == 0) /* no thread: send them here, one by one */
        send_parts(&u);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&u.lock);
    int rc = u.failed ? -1 : 0;
    if (rc)
        snprintf(err, errlen, "%s", u.err);
    size_t w = (size_t)sprintf(complete, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < nparts && rc == 0; i++)
        w += (size_t)sprintf(complete + w, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1,
                             u.etag[i]);
    free(u.etag);
    sprintf(complete + w, "</CompleteMultipartUpload>");
    char query[4096];
    snprintf(query, sizeof query, "uploadId=%s", id);
    if (rc == 0) {
        struct buf r2 = {0};
        long st = request(s, "POST", key, query, complete, strlen(complete), &r2, NULL, err, errlen);
        /* S3 may answer 200 with an error document */
        if (st != 200 || (r2.data && strstr(r2.data, "<Error>"))) {
            if (st == 200)
                snprintf(err, errlen, "completing s3://%s/%s failed: %.200s", s->bucket, key, r2.data);
            rc = -1;
        }
        free(r2.data);
    }
    if (rc != 0) {
        char ignored[256];
        request(s, "DELETE", key, query, NULL, 0, NULL, NULL, ignored, sizeof ignored);
    }
    free(complete);
    return rc;
}
