/* rf_redisurl.c - Redis URLs and connections (see rf_redisurl.h). */
#include "rf_redisurl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int rf_redisurl_parse(const char *url, struct rf_redisurl *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    const char *expect = "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]";
    if (strncmp(url, "rediss://", 9) == 0) {
        const char *at = strrchr(url, '@'); /* never echo a password */
        snprintf(err, errlen, "rediss://%.300s: TLS (rediss://) is not supported: this hiredis (%d.%d) has no TLS; "
                              "use redis:// through a TLS tunnel (stunnel, spiped)", at ? at + 1 : url + 9,
                 HIREDIS_MAJOR, HIREDIS_MINOR);
        return -1;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "%.300s: %s", url, expect);
        return -1;
    }
    const char *p = url + 8, *at = strrchr(p, '@');
    const char *hostpart = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (pct_decode(p, (size_t)(uend - p), u->user, sizeof u->user) < 0 ||
            (colon && pct_decode(colon + 1, (size_t)(at - colon - 1), u->password, sizeof u->password) < 0))
            goto bad;
        if (!colon) { /* redis://PASSWORD@HOST is not a form anyone agrees on: user only */
            snprintf(err, errlen, "redis://%.200s@...: a user without a password (write redis://:PASSWORD@HOST for a "
                                  "password)", u->user);
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
    snprintf(u->shown, sizeof u->shown, "redis://%s%s%s%s:%d/%d", u->user, u->password[0] ? ":***" : "",
             at ? "@" : "", u->host, u->port, u->db);
    return 0;
bad:
    /* never echo a password back */
    snprintf(err, errlen, "redis://%.300s: %s", at ? at + 1 : url + 8, expect);
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
    redisContext *c = redisConnectWithTimeout(u->host, u->port, tv);
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
