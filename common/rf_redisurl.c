/* rf_redisurl.c - Redis URLs and connections (see rf_redisurl.h). */
#include "rf_redisurl.h"
#include "rf_tlspipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Percent-decode src[0..n) into out (cap bytes). -1 when it does not fit or
 * an escape is malformed. */
static int pct_decode(const char *src, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            char hex[3] = {0};
            if (i + 2 >= n)
                return -1;
            hex[0] = src[i + 1];
            hex[1] = src[i + 2];
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end || end != hex + 2)
                return -1;
            c = (int)v;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* rediss:// options: cacert=FILE&cert=FILE&key=FILE. */
static int parse_query(const char *q, struct rf_redisurl *u, char *err, size_t errlen)
{
    while (*q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        char *dst = NULL;
        size_t cap = 0;
        if (eq && eq - q == 6 && strncmp(q, "cacert", 6) == 0)
            dst = u->cacert, cap = sizeof u->cacert;
        else if (eq && eq - q == 4 && strncmp(q, "cert", 4) == 0)
            dst = u->cert, cap = sizeof u->cert;
        else if (eq && eq - q == 3 && strncmp(q, "key", 3) == 0)
            dst = u->key, cap = sizeof u->key;
        if (!dst || pct_decode(eq + 1, (size_t)(end - eq - 1), dst, cap) < 0 || !dst[0]) {
            snprintf(err, errlen, "%s: unknown or empty option '%.*s' (rediss:// takes cacert=FILE, cert=FILE, key=FILE)",
                     u->shown, (int)(end - q), q);
            return -1;
        }
        q = amp ? amp + 1 : end;
    }
    if (u->key[0] && !u->cert[0]) {
        snprintf(err, errlen, "%s: key= without cert=", u->shown);
        return -1;
    }
    return 0;
}

int rf_redisurl_parse(const char *url, struct rf_redisurl *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    const char *expect = "expected redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]";
    u->tls = strncmp(url, "rediss://", 9) == 0;
    const char *scheme = u->tls ? "rediss://" : "redis://";
    if (!u->tls && strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "%.300s: %s", url, expect);
        return -1;
    }
    /* the options after '?' (never in a password: that would be %3F) */
    char body[1024];
    const char *p0 = url + strlen(scheme), *query = strchr(p0, '?');
    size_t blen = query ? (size_t)(query - p0) : strlen(p0);
    if (blen >= sizeof body) {
        snprintf(err, errlen, "%s...: URL too long", scheme);
        return -1;
    }
    memcpy(body, p0, blen);
    body[blen] = '\0';
    const char *p = body, *at = strrchr(p, '@');
    const char *hostpart = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (pct_decode(p, (size_t)(uend - p), u->user, sizeof u->user) < 0 ||
            (colon && pct_decode(colon + 1, (size_t)(at - colon - 1), u->password, sizeof u->password) < 0))
            goto bad;
        if (!colon) { /* redis://PASSWORD@HOST is not a form anyone agrees on: user only */
            snprintf(err, errlen, "%s%.200s@...: a user without a password (write %s:PASSWORD@HOST for a "
                                  "password)", scheme, u->user, scheme);
            return -1;
        }
        hostpart = at + 1;
    }
    const char *slash = strchr(hostpart, '/');
    const char *hend = slash ? slash : hostpart + strlen(hostpart);
    const char *colon = NULL;
    for (const char *c = hostpart; c < hend; c++)
        if (*c == ':')
            colon = c;
    const char *host_end = colon ? colon : hend;
    size_t hl = (size_t)(host_end - hostpart);
    if (hl == 0 || hl >= sizeof u->host)
        goto bad;
    memcpy(u->host, hostpart, hl);
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != hend || colon + 1 == hend || port <= 0 || port > 65535)
            goto bad;
        u->port = (int)port;
    }
    if (slash && slash[1]) {
        char *end;
        long db = strtol(slash + 1, &end, 10);
        if (*end || db < 0 || db > 1000000)
            goto bad;
        u->db = (int)db;
    }
    snprintf(u->shown, sizeof u->shown, "%s%s%s%s%s:%d/%d", scheme, u->user, u->password[0] ? ":***" : "",
             at ? "@" : "", u->host, u->port, u->db);
    if (query && !u->tls) {
        snprintf(err, errlen, "%s: options after '?' are for rediss:// (TLS) only", u->shown);
        return -1;
    }
    return query ? parse_query(query + 1, u, err, errlen) : 0;
bad:
    /* never echo a password back */
    snprintf(err, errlen, "%s%.300s: %s", scheme, at ? at + 1 : body, expect);
    return -1;
}

static int command_ok(redisContext *c, redisReply *r, const char *what, const struct rf_redisurl *u, char *err,
                      size_t errlen)
{
    if (r && r->type != REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return 0;
    }
    snprintf(err, errlen, "Redis %s: %s: %s", u->shown, what, r ? r->str : c->errstr);
    if (r)
        freeReplyObject(r);
    return -1;
}

redisContext *rf_redisurl_connect(const struct rf_redisurl *u, int timeout_ms, char *err, size_t errlen)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c;
    if (u->tls) {
        struct rf_tls_config t = {u->cacert[0] ? u->cacert : NULL, u->cert[0] ? u->cert : NULL,
                                  u->key[0] ? u->key : NULL};
        char why[512];
        int fd = rf_tlspipe_open(u->host, u->port, &t, timeout_ms, why, sizeof why);
        if (fd < 0) {
            snprintf(err, errlen, "Redis %s: %s", u->shown, why);
            return NULL;
        }
        c = redisConnectFd(fd); /* hiredis speaks plain RESP to the relay */
        if (!c)
            close(fd);
    } else {
        c = redisConnectWithTimeout(u->host, u->port, tv);
    }
    if (!c || c->err) {
        snprintf(err, errlen, "Redis %s: %s", u->shown, c ? c->errstr : "cannot connect");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (u->password[0]) {
        redisReply *r = u->user[0] ? redisCommand(c, "AUTH %s %s", u->user, u->password)
                                   : redisCommand(c, "AUTH %s", u->password);
        if (command_ok(c, r, "authentication failed", u, err, errlen) < 0) {
            redisFree(c);
            return NULL;
        }
    }
    if (u->db && command_ok(c, redisCommand(c, "SELECT %d", u->db), "cannot select the database", u, err, errlen) < 0) {
        redisFree(c);
        return NULL;
    }
    return c;
}
