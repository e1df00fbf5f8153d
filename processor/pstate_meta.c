/* pstate_meta.c - a partition's commit point and its metadata (written by
 * pstate_commit_point, read back by pstate_parse_meta), and the sources of
 * a merged partition (see pstate.h for the design, pstate_int.h for the
 * functions). */
#include "pstate_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n in decimal at o; returns the end. */
static char *put_int(char *o, long long n)
{
    char d[24];
    int k = 0;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do
        d[k++] = (char)('0' + u % 10);
    while (u /= 10);
    if (n < 0)
        *o++ = '-';
    while (k)
        *o++ = d[--k];
    return o;
}

void pstate_origin_text(const struct pstate_origin *o, char *text)
{
    char *t = put_int(text, o->partition);
    *t++ = ' ';
    t = put_int(t, o->partitions);
    *t++ = ' ';
    if (o->idle) {
        memcpy(t, "idle", 4);
        t += 4;
    } else {
        t = put_int(t, o->base);
    }
    *t = '\0';
}

/* One integer at *p (before end): an optional '-' and 1 to 19 digits that
 * fit an int64, then a space or the end. 0 (and *p past the space), or -1. */
static int origin_int(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    int neg = s < end && *s == '-';
    s += neg;
    unsigned long long v = 0;
    int digits = 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (++digits > 19)
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (!digits || (s < end && *s != ' ') || v > (unsigned long long)INT64_MAX + (unsigned)neg)
        return -1;
    *out = neg ? (int64_t)(0ULL - v) : (int64_t)v;
    *p = s < end ? s + 1 : s;
    return 0;
}

int pstate_origin_parse(const char *text, size_t n, struct pstate_origin *o)
{
    const char *p = text, *end = text + n;
    int64_t part, parts, base = 0;
    memset(o, 0, sizeof *o);
    if (origin_int(&p, end, &part) < 0 || origin_int(&p, end, &parts) < 0 || p == end || p[-1] != ' ' ||
        part < 0 || part > INT32_MAX || parts < 0 || parts > INT32_MAX)
        return -1;
    if (end - p == 4 && memcmp(p, "idle", 4) == 0)
        o->idle = 1;
    else if (origin_int(&p, end, &base) < 0 || p != end || p[-1] == ' ')
        return -1;
    o->partition = (int32_t)part;
    o->partitions = (int32_t)parts;
    o->base = base;
    return 0;
}

void psrc_free(struct sources *v)
{
    free(v->base);
    free(v->state);
    *v = (struct sources){0};
}

/* Room for n sources (new ones unknown). 0 or -1 (out of memory). */
int psrc_grow(struct sources *v, int n)
{
    if (n <= v->n)
        return 0;
    int64_t *b = realloc(v->base, (size_t)n * sizeof *b);
    if (!b)
        return -1;
    v->base = b;
    unsigned char *st = realloc(v->state, (size_t)n);
    if (!st)
        return -1;
    v->state = st;
    for (int i = v->n; i < n; i++) {
        v->base[i] = NONE;
        v->state[i] = SRC_UNKNOWN;
    }
    v->n = n;
    return 0;
}

int psrc_copy(struct sources *dst, const struct sources *from)
{
    psrc_free(dst);
    if (psrc_grow(dst, from->n) < 0)
        return -1;
    if (from->n) {
        memcpy(dst->base, from->base, (size_t)from->n * sizeof *dst->base);
        memcpy(dst->state, from->state, (size_t)from->n);
    }
    return 0;
}

/* What a record says of its source; the high marks only grow. */
int psrc_hear(struct sources *v, const struct pstate_origin *o)
{
    if (o->partition < 0 || o->partitions <= o->partition || o->partitions > 100000)
        return 0;
    if (psrc_grow(v, o->partitions) < 0)
        return -1;
    int i = o->partition;
    if (o->idle) {
        if (v->state[i] == SRC_UNKNOWN)
            v->state[i] = SRC_IDLE;
    } else if (v->state[i] != SRC_KNOWN || o->base > v->base[i]) {
        v->state[i] = SRC_KNOWN;
        v->base[i] = o->base;
    }
    return 0;
}

/* The least high mark of the sources that are not idle; NONE while one is
 * unheard of (its events may be far behind the others'). */
int64_t psrc_low(const struct sources *v)
{
    int64_t low = NONE;
    for (int i = 0; i < v->n; i++) {
        if (v->state[i] == SRC_UNKNOWN)
            return NONE;
        if (v->state[i] == SRC_KNOWN && (low == NONE || v->base[i] < low))
            low = v->base[i];
    }
    return low;
}

uint32_t pstate_script_hash(const char *text)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Parse "rf1 h=H m=M c=C0,C1,... s=HASH"; M and Ci may be "-" (none). */
int pstate_parse_meta(struct pstate *ps, const char *meta, int64_t *h, int64_t *m, const char **warning)
{
    const char *p = meta;
    char *end;
    if (strncmp(p, "rf1 h=", 6) != 0)
        goto bad;
    *h = strtoll(p + 6, &end, 10);
    if (strncmp(end, " m=", 3) != 0)
        goto bad;
    p = end + 3;
    if (*p == '-' && p[1] == ' ') {
        *m = NONE;
        end = (char *)p + 1;
    } else {
        *m = strtoll(p, &end, 10);
    }
    if (strncmp(end, " c=", 3) != 0)
        goto bad;
    p = end + 3;
    int64_t c[64];
    int nc = 0;
    for (;;) {
        if (nc == 64)
            goto bad;
        if (*p == '-') {
            c[nc++] = NONE;
            end = (char *)p + 1;
        } else {
            c[nc++] = strtoll(p, &end, 10);
        }
        if (*end != ',')
            break;
        p = end + 1;
    }
    unsigned long hash;
    int used = 0;
    if (sscanf(end, " s=%lx%n", &hash, &used) != 1)
        goto bad;
    if (ps->ninst == 0 && nc == 1 && c[0] == NONE)
        nc = 0; /* "c=-": a partition only forwarded (no query runs on it) */
    if ((uint32_t)hash != pstate_script_hash(sql_script_text(ps->conf.script)) || nc != ps->ninst) {
        *warning = "the committed state was written by a different query file: starting this partition's "
                   "queries afresh from the committed offset";
        return -1;
    }
    for (int i = 0; i < ps->ninst; i++)
        ps->inst[i].restore = c[i];
    /* a merged partition: " v=BASE;S0,S1,..." (number, - unknown, i idle),
     * or " w=BASE;D0,D1,..." with each number as a difference from BASE */
    p = end + used;
    int delta = ps->merged && strncmp(p, " w=", 3) == 0;
    if (ps->merged && (strncmp(p, " v=", 3) == 0 || delta)) {
        p += 3;
        ps->restore_max = *p == '-' ? (end = (char *)p + 1, NONE) : strtoll(p, &end, 10);
        if (*end != ';')
            goto bad;
        for (int i = 0; end[1] && end[1] != ' '; i++) {
            p = end + 1;
            if (psrc_grow(&ps->restore_src, i + 1) < 0)
                goto bad;
            if (*p == '-' || *p == 'i') {
                ps->restore_src.state[i] = *p == 'i' ? SRC_IDLE : SRC_UNKNOWN;
                end = (char *)p + 1;
            } else {
                ps->restore_src.state[i] = SRC_KNOWN;
                ps->restore_src.base[i] = strtoll(p, &end, 10);
                if (end == p || (delta && ps->restore_max == NONE))
                    goto bad;
                if (delta)
                    ps->restore_src.base[i] += ps->restore_max;
            }
            if (*end != ',')
                break;
        }
        ps->has_restore_src = 1;
    } else if (ps->merged) {
        goto bad;
    }
    return 0;
bad:
    *warning = "unreadable commit metadata: starting this partition's queries afresh from the committed offset";
    return -1;
}

static void put_ts(char *buf, size_t len, int64_t v)
{
    if (v == NONE)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%" PRId64, v);
}

int pstate_commit_point(const struct pstate *ps, int64_t *offset, char *meta, size_t metalen)
{
    int64_t off = ps->next, aux = ps->max_ts, h = ps->next;
    if (ps->replaying) { /* not rebuilt yet: the point we resumed from still holds */
        off = ps->resume_off;
        aux = ps->resume_aux;
        h = ps->replay_end;
    } else {
        for (int i = 0; i < ps->ninst; i++) {
            int64_t o, a;
            if (sql_query_replay_point(ps->inst[i].q, &o, &a) && o < off) {
                off = o;
                aux = a;
            }
        }
    }
    *offset = off;
    if (off < 0) {
        meta[0] = '\0';
        return 0;
    }
    char m[32];
    put_ts(m, sizeof m, aux);
    size_t n = (size_t)snprintf(meta, metalen, "rf1 h=%" PRId64 " m=%s c=", h, m);
    for (int i = 0; i < ps->ninst && n < metalen; i++) {
        char c[32];
        int64_t wm = ps->replaying ? ps->inst[i].restore : sql_query_closed(ps->inst[i].q);
        put_ts(c, sizeof c, wm);
        n += (size_t)snprintf(meta + n, metalen - n, "%s%s", i ? "," : "", c);
    }
    if (ps->ninst == 0 && n < metalen)
        n += (size_t)snprintf(meta + n, metalen - n, "-");
    if (n < metalen)
        n += (size_t)snprintf(meta + n, metalen - n, " s=%08x", pstate_script_hash(sql_script_text(ps->conf.script)));
    if (!ps->merged || n >= metalen)
        return n < metalen ? 0 : -1;
    /* a merged partition: the base and its sources at h (the ones it
     * resumed with while it is still replaying), each as its difference
     * from the base: a few digits a source, so hundreds of sources fit in
     * Kafka's 4 KiB of metadata */
    const struct sources *v = ps->replaying && ps->has_restore_src ? &ps->restore_src : &ps->src;
    int64_t vbase = ps->replaying ? ps->restore_max : ps->max_ts;
    char b[32];
    put_ts(b, sizeof b, vbase);
    n += (size_t)snprintf(meta + n, metalen - n, " %c=%s", vbase == NONE ? 'v' : 'w', b);
    for (int i = 0; i < v->n && n < metalen; i++) {
        if (v->state[i] == SRC_KNOWN)
            snprintf(b, sizeof b, "%" PRId64, vbase == NONE ? v->base[i] : v->base[i] - vbase);
        else
            snprintf(b, sizeof b, "%s", v->state[i] == SRC_IDLE ? "i" : "-");
        n += (size_t)snprintf(meta + n, metalen - n, "%s%s", i ? "," : ";", b);
    }
    if (v->n == 0 && n < metalen)
        n += (size_t)snprintf(meta + n, metalen - n, ";");
    return n < metalen ? 0 : -1;
}
