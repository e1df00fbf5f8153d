/* pg_copy.c - summaries as PostgreSQL COPY data (see pg_copy.h). */
#include "pg_copy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct pg_buf *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

static char *put16(char *p, uint16_t v)
{
    p[0] = (char)(v >> 8);
    p[1] = (char)v;
    return p + 2;
}

static char *put32(char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (char)v;
    return p + 4;
}

static char *put64(char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (char)v;
    return p + 8;
}

static int fits_int4(long long v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, in Unix milliseconds. */
#define PG_EPOCH_MS 946684800000LL

int pg_copy_binary(struct pg_buf *out, const struct summary *s, const unsigned char *skip, int from, int to)
{
    size_t need = 11 + 8 + 2;
    for (int i = from; i < to; i++) {
        if (skip[i])
            continue;
        if (!fits_int4(s[i].min_magic) || !fits_int4(s[i].max_magic) || !fits_int4(s[i].min_health) ||
            !fits_int4(s[i].max_health))
            return 0;
        need += 2 + 4 + strlen(s[i].name) + 2 * (4 + 8) + 4 * (4 + 4);
    }
    if (reserve(out, need) < 0)
        return -1;
    char *p = out->data;
    memcpy(p, "PGCOPY\n\377\r\n\0", 11);
    p = put32(put32(p + 11, 0), 0); /* flags; header extension length */
    for (int i = from; i < to; i++) {
        if (skip[i])
            continue;
        const struct summary *r = &s[i];
        size_t nl = strlen(r->name);
        p = put32(put16(p, 7), (uint32_t)nl); /* seven fields; the name's length */
        memcpy(p, r->name, nl);
        p += nl;
        p = put64(put32(p, 8), (uint64_t)((r->status_ms - PG_EPOCH_MS) * 1000)); /* microseconds */
        uint64_t d;
        memcpy(&d, &r->distance, sizeof d);
        p = put64(put32(p, 8), d);
        p = put32(put32(p, 4), (uint32_t)(int32_t)r->min_magic);
        p = put32(put32(p, 4), (uint32_t)(int32_t)r->max_magic);
        p = put32(put32(p, 4), (uint32_t)(int32_t)r->min_health);
        p = put32(put32(p, 4), (uint32_t)(int32_t)r->max_health);
    }
    p = put16(p, 0xffff); /* the trailer */
    out->len = (size_t)(p - out->data);
    return 1;
}

/* COPY text: backslash, tab, newline and carriage return escaped. */
static char *text(char *o, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        default: *o++ = *s;
        }
    }
    return o;
}

int pg_copy_text(struct pg_buf *out, const struct summary *s, const unsigned char *skip, int from, int to)
{
    /* the escaped name (at most twice its length), then at most
     * 32 + 1 + 25 + 4 * 21 bytes of the other fields and separators */
    size_t need = 1;
    for (int i = from; i < to; i++)
        if (!skip[i])
            need += 2 * strlen(s[i].name) + 160;
    if (reserve(out, need) < 0)
        return -1;
    char *p = out->data;
    for (int i = from; i < to; i++) {
        if (skip[i])
            continue;
        p = text(p, s[i].name);
        p += sprintf(p, "\t%s+00\t%.17g\t%lld\t%lld\t%lld\t%lld\n", s[i].status_time, s[i].distance, s[i].min_magic,
                     s[i].max_magic, s[i].min_health, s[i].max_health);
    }
    out->len = (size_t)(p - out->data);
    return 0;
}
