/* rf_rediskey.h - a unicorn's name as it appears inside Redis keys.
 *
 * The sink writes unicorn:<name> and unicorn:<name>:minutes; the dashboard
 * reads them. For the keys of two names never to collide (a unicorn named
 * "X:minutes" beside one named "X"), the name is encoded injectively:
 * '%', ':', '{', '}' (Redis Cluster hash tags), control characters and DEL
 * become %XX (two upper-case hex digits); every other byte, UTF-8 included,
 * is kept. So names without those characters keep their plain keys
 * (unicorn:Shadowfax), and redis-cli users can still read them. */
#ifndef RF_REDISKEY_H
#define RF_REDISKEY_H

#include <stddef.h>

/* Encode name[0..len) into out (cap bytes, NUL-terminated). Returns the
 * encoded length, or 0 when it does not fit (then out is ""). At most
 * 3 * len + 1 bytes are needed. */
size_t rf_rediskey_name(const char *name, size_t len, char *out, size_t cap);

#endif
