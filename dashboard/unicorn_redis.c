/* unicorn_redis.c - /api/unicorn from the sink's Redis (see server_int.h). */
#include "server_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"
#include "rf_rediskey.h"
#include "rf_redisurl.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unicorn's recent minutes from Redis (the sink's unicorn:<Name>:minutes),
 * as {"latest":...,"minutes":[...],"source":"redis"}; NULL when Redis cannot
 * answer (the caller falls back to what the dashboard saw on Kafka). */
char *unicorn_from_redis(struct server *s, const char *name, size_t *len)
{
    struct rf_redisurl u;
    char err[512];
    if (!s->cfg->redis || rf_redisurl_parse(s->cfg->redis, &u, err, sizeof err) < 0)
        return NULL; /* main() checked it */
    redisContext *rc = rf_redisurl_connect(&u, 500, err, sizeof err);
    if (!rc) {
        rf_debug("%s", err);
        return NULL;
    }
    char kname[3 * 256 + 1];
    if (!rf_rediskey_name(name, strlen(name), kname, sizeof kname)) {
        redisFree(rc);
        return NULL;
    }
    redisReply *r = redisCommand(rc, "ZRANGE unicorn:%s:minutes 0 -1", kname); /* the sink's key (rf_rediskey.h) */
    char *out = NULL;
    size_t flen = 0;
    char *latest = r && r->type == REDIS_REPLY_ARRAY ? fleet_json_unicorn(s->fleet, name, &flen) : NULL;
    if (r && r->type == REDIS_REPLY_ARRAY && (r->elements > 0 || latest)) {
        struct evbuffer *b = evbuffer_new();
        /* "latest" from the live feed; minutes from Redis */
        const char *l = latest ? strstr(latest, "\"latest\":") : NULL;
        const char *e = l ? strstr(l, ",\"minutes\":") : NULL;
        if (l && e)
            evbuffer_add_printf(b, "{%.*s", (int)(e - l), l);
        else
            evbuffer_add_printf(b, "{\"latest\":null");
        evbuffer_add_printf(b, ",\"minutes\":[");
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING) {
                if (i)
                    evbuffer_add(b, ",", 1);
                evbuffer_add(b, r->element[i]->str, r->element[i]->len);
            }
        evbuffer_add_printf(b, "],\"source\":\"redis\"}");
        *len = evbuffer_get_length(b);
        out = malloc(*len + 1);
        if (out) {
            evbuffer_remove(b, out, *len);
            out[*len] = '\0';
        }
        evbuffer_free(b);
    }
    free(latest);
    if (r)
        freeReplyObject(r);
    redisFree(rc);
    return out;
}

/* ---- dispatch ----------------------------------------------------------------------------------- */
