/* http.c - the dashboard's request parsing and token check (see http.h). */
#include "http.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The value of query parameter name, percent-decoded, or -1. */
/* Percent-decode s[0..n) into out (NUL-terminated, at most outlen - 1
 * bytes); with plus, '+' is a space (a query string, not a cookie). */
static void pct_decode(const char *s, size_t n, char *out, size_t outlen, int plus)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        if (plus && s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
}

int http_param(const struct request *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = r->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            pct_decode(p + nl + 1, seg - nl - 1, out, outlen, 1);
            return 0;
        }
        p += seg + (amp ? 1 : 0);
    }
    return -1;
}

int http_parse_request(const char *head, size_t len, struct request *r)
{
    memset(r, 0, sizeof *r);
    const char *end = head + len, *eol = memchr(head, '\n', len);
    if (!eol)
        return -1;
    char target[6200];
    char line[6400];
    size_t ll = (size_t)(eol - head);
    if (ll >= sizeof line)
        return -1;
    memcpy(line, head, ll);
    line[ll] = '\0';
    if (sscanf(line, "%15s %6199s HTTP/1.%*c", r->method, target) != 2)
        return -1;
    char *q = strchr(target, '?');
    if (q) {
        *q = '\0';
        snprintf(r->query, sizeof r->query, "%s", q + 1);
    }
    snprintf(r->path, sizeof r->path, "%s", target);
    for (const char *p = eol + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            break;
        size_t n = (size_t)(e - p);
        while (n && (p[n - 1] == '\r'))
            n--;
        const char *colon = memchr(p, ':', n);
        if (colon) {
            size_t kl = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < p + n && *v == ' ')
                v++;
            size_t vl = (size_t)(p + n - v);
            struct {
                const char *name;
                char *dst;
                size_t cap;
            } hs[] = {{"Upgrade", r->upgrade, sizeof r->upgrade},
                      {"Connection", r->connection, sizeof r->connection},
                      {"Sec-WebSocket-Key", r->key, sizeof r->key},
                      {"Sec-WebSocket-Version", r->version, sizeof r->version},
                      {"Authorization", r->auth, sizeof r->auth},
                      {"Cookie", r->cookie, sizeof r->cookie},
                      {"Sec-WebSocket-Extensions", r->extensions, sizeof r->extensions}};
            for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
                if (strlen(hs[i].name) == kl && strncasecmp(p, hs[i].name, kl) == 0 && vl < hs[i].cap) {
                    memcpy(hs[i].dst, v, vl);
                    hs[i].dst[vl] = '\0';
                }
        }
        p = e + 1;
    }
    return 0;
}

/* The value of cookie name in the Cookie header ("a=1; b=2"),
 * percent-decoded (the page sets it encodeURIComponent'ed), or -1. */
static int cookie(const struct request *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = r->cookie; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *semi = strchr(p, ';');
        size_t seg = semi ? (size_t)(semi - p) : strlen(p);
        if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            pct_decode(p + nl + 1, seg - nl - 1, out, outlen, 0);
            return 0;
        }
        p += seg;
    }
    return -1;
}

/* Equal, in time that depends on neither value: compare the digests. */
static int same_secret(const char *a, const char *b)
{
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)a, strlen(a), da);
    SHA256((const unsigned char *)b, strlen(b), db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

int http_authorized(const struct request *r, const char *token)
{
    if (!token)
        return 1;
    char t[1024];
    if (strncmp(r->auth, "Bearer ", 7) == 0 && same_secret(r->auth + 7, token))
        return 1;
    return cookie(r, "rydeflow_token", t, sizeof t) == 0 && same_secret(t, token);
}

int http_token_in_url(const struct request *r)
{
    char t[8];
    return http_param(r, "token", t, sizeof t) == 0;
}

int http_ws_deflate(const struct request *r)
{
    /* offers are separated by ',', an offer's parameters by ';' */
    for (const char *p = r->extensions; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char offer[512];
        snprintf(offer, sizeof offer, "%.*s", (int)n, p);
        p += n + (end ? 1 : 0);
        int ok = 1, first = 1;
        for (char *save = NULL, *t = strtok_r(offer, ";", &save); t; t = strtok_r(NULL, ";", &save), first = 0) {
            while (*t == ' ' || *t == '\t')
                t++;
            size_t tl = strlen(t);
            while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
                t[--tl] = '\0';
            if (first) {
                ok = strcmp(t, "permessage-deflate") == 0;
                if (!ok)
                    break;
            } else if (strncmp(t, "server_max_window_bits", 22) == 0) {
                const char *v = t + 22;
                while (*v == ' ')
                    v++;
                ok = ok && (!*v || (v[0] == '=' && strtol(v + 1 + (v[1] == '"'), NULL, 10) == 15));
            } else if (strcmp(t, "server_no_context_takeover") != 0 && strcmp(t, "client_no_context_takeover") != 0 &&
                       strncmp(t, "client_max_window_bits", 22) != 0) {
                ok = 0; /* a parameter we do not know: not this offer */
            }
        }
        if (ok && !first)
            return 1;
    }
    return 0;
}
