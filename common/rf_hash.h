/* rf_hash.h - FNV-1a, the string hash of rydeflow's in-memory hash tables
 * (the sink's batch indexes, the producer's redelivery index, the
 * dashboard's fleet). Not for anything persisted or shared between
 * processes: it may change. Inline, no state, thread-safe. */
#ifndef RF_HASH_H
#define RF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define RF_HASH_INIT 14695981039346656037ULL

/* Fold n bytes at p into h (start from RF_HASH_INIT). */
static inline uint64_t rf_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* Fold a NUL-terminated string into h. */
static inline uint64_t rf_hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Fold one integer into h (as one step, not its bytes). */
static inline uint64_t rf_hash_u64(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ULL; }

#endif
