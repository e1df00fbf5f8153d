/* rf_buf.h - a byte buffer for building a record in memory (a result row,
 * a JSON string) without a FILE, a lock per byte or an allocation per
 * record: keep one and rf_buf_reset it between records.
 *
 * Two kinds:
 *  - growing (RF_BUF_INIT): grows on the heap as needed. An allocation that
 *    fails sets `failed` and drops the writes after it, as a FILE's error
 *    flag does: check it once at the end.
 *  - spilling (rf_buf_spill): fixed storage the caller provides (a stack
 *    array, say) in front of a FILE; when full, its bytes are written to
 *    the FILE. Never allocates; write errors show in ferror(FILE). Call
 *    rf_buf_flush at the end.
 * Not thread-safe: one per thread. */
#ifndef RF_BUF_H
#define RF_BUF_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct rf_buf {
    char *p;     /* the bytes (not NUL-terminated) */
    size_t len;  /* bytes held */
    size_t cap;  /* bytes p can hold */
    FILE *spill; /* spilling: where full storage goes; NULL: growing */
    int failed;  /* growing: an allocation failed, p holds a prefix only */
};

/* An empty growing buffer (nothing allocated until the first write). */
#define RF_BUF_INIT {NULL, 0, 0, NULL, 0}

/* An empty spilling buffer on storage (cap > 0 bytes, owned by the caller)
 * in front of out. */
static inline struct rf_buf rf_buf_spill(char *storage, size_t cap, FILE *out)
{
    struct rf_buf b = {storage, 0, cap, out, 0};
    return b;
}

/* The slow path of rf_buf_put: grow, or spill. */
void rf_buf_put_slow(struct rf_buf *b, const void *s, size_t n);

static inline void rf_buf_put(struct rf_buf *b, const void *s, size_t n)
{
    if (b->cap - b->len >= n) {
        if (n) /* p may be NULL while nothing was written */
            memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        rf_buf_put_slow(b, s, n);
    }
}

static inline void rf_buf_putc(struct rf_buf *b, char c)
{
    if (b->len < b->cap)
        b->p[b->len++] = c;
    else
        rf_buf_put_slow(b, &c, 1);
}

static inline void rf_buf_puts(struct rf_buf *b, const char *s) { rf_buf_put(b, s, strlen(s)); }

/* Empty it for the next record; keeps its storage. */
static inline void rf_buf_reset(struct rf_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

/* Spilling: write what it holds to its FILE and empty it. Growing: nothing. */
void rf_buf_flush(struct rf_buf *b);

/* Growing: free the storage; the buffer is then empty. */
void rf_buf_free(struct rf_buf *b);

#endif
