/* rf_buf.c - the byte buffer's slow paths (see rf_buf.h). */
#include "rf_buf.h"

#include <stdlib.h>

void rf_buf_flush(struct rf_buf *b)
{
    if (b->spill && b->len) {
        fwrite(b->p, 1, b->len, b->spill); /* a short write shows in ferror(spill) */
        b->len = 0;
    }
}

void rf_buf_put_slow(struct rf_buf *b, const void *s, size_t n)
{
    if (b->spill) {
        rf_buf_flush(b);
        if (n <= b->cap) {
            memcpy(b->p, s, n);
            b->len = n;
        } else { /* larger than the storage: straight through */
            fwrite(s, 1, n, b->spill);
        }
        return;
    }
    if (b->failed)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void rf_buf_free(struct rf_buf *b)
{
    if (!b->spill)
        free(b->p);
    *b = (struct rf_buf)RF_BUF_INIT;
}
