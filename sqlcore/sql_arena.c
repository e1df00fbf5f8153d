/* sql_arena.c - bump allocation for a statement's nodes (see sql_int.h). */
#include "sql_int.h"

#include <stdlib.h>
#include <string.h>

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned for any node */
};

void *sql_arena_alloc(struct sql_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *sql_arena_strndup(struct sql_arena *a, const char *s, size_t n)
{
    char *p = sql_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void sql_arena_free(struct sql_arena *a)
{
    for (struct arena_block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    a->head = NULL;
}

void sql_arena_adopt(struct sql_arena *dst, struct sql_arena *src)
{
    struct arena_block *b = src->head;
    if (!b)
        return;
    while (b->next)
        b = b->next;
    /* src's blocks go behind dst's current one, which stays the one allocated from */
    if (dst->head) {
        b->next = dst->head->next;
        dst->head->next = src->head;
    } else {
        dst->head = src->head;
    }
    src->head = NULL;
}
