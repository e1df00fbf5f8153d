/* sql_vtab.c - a hash index of value tuples (GROUP BY keys, DISTINCT
 * values, reference-table keys): open addressing over entry numbers, the
 * tuples themselves kept by the caller (see sql_query_int.h). */
#include "sql_query_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a hash index of value tuples ------------------------------------------- */


static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

static uint64_t hash_value(const struct sql_value *v)
{
    switch (v->type) {
    case SQL_NULL:
        return 0x1234;
    case SQL_BOOL:
        return (uint64_t)v->u.b + 7;
    case SQL_INT:
        return mix(1, (uint64_t)v->u.i);
    case SQL_DOUBLE: {
        /* 2.0 groups with 2: hash integral doubles as integers */
        if (v->u.d == floor(v->u.d) && fabs(v->u.d) < 9e18)
            return mix(1, (uint64_t)(int64_t)v->u.d);
        if (v->u.d != v->u.d)
            return mix(2, 0x7ff8); /* every NaN is one group (sql_value_compare) */
        uint64_t bits;
        double d = v->u.d == 0 ? 0 : v->u.d;
        memcpy(&bits, &d, sizeof bits);
        return mix(2, bits);
    }
    case SQL_TIMESTAMP:
        return mix(3, (uint64_t)v->u.ts);
    case SQL_STRING: {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (size_t i = 0; i < v->u.str.len; i++)
            h = (h ^ (unsigned char)v->u.str.s[i]) * 1099511628211ULL;
        return mix(4, h);
    }
    }
    return 0;
}

uint64_t sql_hash_tuple(const struct sql_value *v, int n)
{
    uint64_t h = 42;
    for (int i = 0; i < n; i++)
        h = mix(h, hash_value(&v[i]));
    return h | 1; /* never 0 */
}

int sql_value_same(const struct sql_value *a, const struct sql_value *b)
{
    if (a->type == SQL_NULL || b->type == SQL_NULL)
        return a->type == b->type;
    return sql_value_compare(a, b) == 0;
}

static int tuple_same(const struct sql_value *a, const struct sql_value *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!sql_value_same(&a[i], &b[i]))
            return 0;
    return 1;
}

/* Find the entry whose tuple (got through key_of) equals key; or -1 and, in
 * *slot, where to insert. */

static int vtab_grow(struct vtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    int32_t *slots = malloc(cap * sizeof *slots);
    uint64_t *hashes = malloc(cap * sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    memset(slots, 0xff, cap * sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i] < 0)
            continue;
        size_t j = t->hashes[i] & (cap - 1);
        while (slots[j] >= 0)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
        hashes[j] = t->hashes[i];
    }
    free(t->slots);
    free(t->hashes);
    t->slots = slots;
    t->hashes = hashes;
    t->cap = cap;
    return 0;
}

int32_t sql_vtab_find(struct vtab *t, uint64_t h, const struct sql_value *key, int n, key_of_fn key_of, void *ctx,
                         size_t *slot)
{
    if (t->cap == 0 || (t->n + 1) * 4 > t->cap * 3) {
        if (vtab_grow(t) < 0)
            return -2;
    }
    size_t j = h & (t->cap - 1);
    while (t->slots[j] >= 0) {
        if (t->hashes[j] == h && tuple_same(key_of(ctx, t->slots[j]), key, n))
            return t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    *slot = j;
    return -1;
}

void sql_vtab_insert(struct vtab *t, size_t slot, uint64_t h, int32_t entry)
{
    t->slots[slot] = entry;
    t->hashes[slot] = h;
    t->n++;
}

void sql_vtab_free(struct vtab *t)
{
    free(t->slots);
    free(t->hashes);
    memset(t, 0, sizeof *t);
}

