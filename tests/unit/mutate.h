/* mutate.h - random edits of a JSON seed for the differential tests of the
 * fast decoders (test_event.c, test_summary.c): each fast path must give
 * exactly what jansson gives on whatever the edits make. */
#ifndef MUTATE_H
#define MUTATE_H
#include <stdint.h>
#include <string.h>

static uint64_t mutate_rng = 42;
static inline unsigned mutate_rnd(unsigned n)
{
    mutate_rng ^= mutate_rng << 13;
    mutate_rng ^= mutate_rng >> 7;
    mutate_rng ^= mutate_rng << 17;
    return (unsigned)(mutate_rng % n);
}

/* The characters edits insert: JSON's syntax, digits, escapes, control and
 * non-ASCII bytes. */
static const char mutate_alphabet[] = "{}[]\":,.-+eE0123456789 \\ntfrul\x01\xc3\xa9\xff";

/* Copy seed into buf (cap bytes) with one to three random replacements,
 * insertions or deletions; returns the new length (not NUL-terminated). */
static inline size_t mutate(const char *seed, char *buf, size_t cap)
{
    size_t n = strlen(seed);
    memcpy(buf, seed, n);
    int muts = 1 + (int)mutate_rnd(3);
    for (int m = 0; m < muts; m++) {
        unsigned pos = mutate_rnd((unsigned)n + 1);
        switch (mutate_rnd(3)) {
        case 0: /* replace */
            if (pos < n)
                buf[pos] = mutate_alphabet[mutate_rnd(sizeof mutate_alphabet - 1)];
            break;
        case 1: /* insert */
            if (n + 1 < cap) {
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = mutate_alphabet[mutate_rnd(sizeof mutate_alphabet - 1)];
                n++;
            }
            break;
        default: /* delete */
            if (pos < n) {
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
            }
        }
    }
    return n;
}
#endif
