/* rf_redisurl.h - one reading of a Redis URL, and a connection made from it,
 * for every program that talks to Redis (the sink writes, the dashboard
 * reads).
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
 *   rediss://[[USER]:PASSWORD@]HOST[:PORT][/DB][?cacert=FILE&cert=FILE&key=FILE]
 *
 * PORT defaults to 6379 and DB to 0; USER and PASSWORD are percent-decoded
 * (a password with '@' or ':' is written %40, %3A). With a password the
 * connection authenticates (AUTH PASSWORD, or AUTH USER PASSWORD for an ACL
 * user); with a DB it selects it. rediss:// is TLS (rf_tlspipe.h, since
 * Debian 12's hiredis has none): the server's certificate must chain to
 * cacert (default: the system's CAs) and name HOST; cert and key are a
 * client certificate for servers that ask for one (Redis's default
 * tls-auth-clients). Functions fill err and return -1 / NULL; they never
 * exit. */
#ifndef RF_REDISURL_H
#define RF_REDISURL_H

#include <hiredis.h>
#include <stddef.h>

struct rf_redisurl {
    char host[256];
    int port;
    int db;
    char user[128];     /* "" for the default user */
    char password[256]; /* "" for none */
    int tls;            /* rediss:// */
    char cacert[512], cert[512], key[512]; /* "" when not given */
    char shown[600];    /* the URL without the password, for messages */
};

/* Parse url into u. 0, or -1 with err naming the URL (its password hidden)
 * and what is expected. */
int rf_redisurl_parse(const char *url, struct rf_redisurl *u, char *err, size_t errlen);

/* Connect to u within timeout_ms (also the command timeout), authenticate
 * and select its database. The caller owns the context (redisFree). NULL
 * with err ("Redis <url>: <reason>"): cannot connect, or the server refused
 * the password (WRONGPASS, NOAUTH) or the database. */
redisContext *rf_redisurl_connect(const struct rf_redisurl *u, int timeout_ms, char *err, size_t errlen);

#endif
