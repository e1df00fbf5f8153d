/* sql_text.c - text by characters, not bytes (see sql_int.h): UTF-8
 * decoding, LIKE/ILIKE with ESCAPE, Unicode case mapping, substrings.
 *
 * Values come from JSON (jansson checks UTF-8) or from the query text, so
 * they are normally valid; a stray byte that is not UTF-8 counts as one
 * character and is kept as it is, so nothing here can cut a character. */
#include "sql_int.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

size_t sql_utf8_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[i];
    if (c < 0x80) {
        *cp = c;
        return i + 1;
    }
    size_t need = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    if (need == 0 || need >= n - i) { /* a bad lead byte, or a sequence cut by the end */
        *cp = 0xFFFD;
        return i + 1;
    }
    uint32_t v = c & (0x3Fu >> need);
    for (size_t k = 1; k <= need; k++) {
        if ((u[i + k] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return i + 1;
        }
        v = v << 6 | (u[i + k] & 0x3F);
    }
    *cp = v;
    return i + need + 1;
}

size_t sql_utf8_put(char *out, uint32_t cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t sql_utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    uint32_t cp;
    for (size_t i = 0; i < n; i = sql_utf8_next(s, n, i, &cp))
        chars++;
    return chars;
}

/* ---- case mapping: the C.UTF-8 locale's, made once, used through the *_l
 * functions so that no global locale is touched (a library must not). ---- */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static void make_locale(void) { utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0); }

uint32_t sql_case_map(uint32_t cp, int upper)
{
    if (cp < 0x80) /* the common case, without the locale */
        return upper ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp) : (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    pthread_once(&utf8_once, make_locale);
    if (!utf8_locale || cp == 0xFFFD)
        return cp;
    wint_t m = upper ? towupper_l((wint_t)cp, utf8_locale) : towlower_l((wint_t)cp, utf8_locale);
    return m > 0 && m <= 0x10FFFF ? (uint32_t)m : cp;
}

size_t sql_text_case(const char *s, size_t n, int upper, char *out)
{
    size_t o = 0;
    uint32_t cp;
    for (size_t i = 0, next; i < n; i = next) {
        next = sql_utf8_next(s, n, i, &cp);
        if (cp == 0xFFFD && next == i + 1 && (unsigned char)s[i] >= 0x80) {
            out[o++] = s[i]; /* not UTF-8: kept as it is */
            continue;
        }
        o += sql_utf8_put(out + o, sql_case_map(cp, upper));
    }
    return o;
}

/* ---- LIKE ---------------------------------------------------------------- */

/* One pattern element at p[pi]: a wildcard ('%' or '_', unless escaped) or
 * a character to match. Returns the index after it. */
static size_t pattern_next(const char *p, size_t pn, size_t pi, uint32_t esc, uint32_t *cp, int *wild)
{
    size_t next = sql_utf8_next(p, pn, pi, cp);
    *wild = 0;
    if (esc && *cp == esc && next < pn)
        return sql_utf8_next(p, pn, next, cp); /* the escaped character, literally */
    *wild = *cp == '%' || *cp == '_';
    return next;
}

int sql_like(const char *s, size_t sn, const char *p, size_t pn, uint32_t esc, int icase)
{
    /* The classic matcher with one backtrack point: on a mismatch after a
     * '%', let that '%' take one more character and try again. Wildcards
     * are tested before literal characters, so a '%' in the text never
     * consumes a '%' of the pattern as if it were a literal. */
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        uint32_t pc = 0, sc;
        int wild = 0;
        size_t pnext = pi < pn ? pattern_next(p, pn, pi, esc, &pc, &wild) : pi;
        size_t snext = sql_utf8_next(s, sn, si, &sc);
        if (pi < pn && wild && pc == '%') {
            star_p = pi;
            pi = pnext;
            star_s = si;
            continue;
        }
        if (pi < pn && ((wild && pc == '_') ||
                        (!wild && (pc == sc || (icase && sql_case_map(pc, 0) == sql_case_map(sc, 0)))))) {
            si = snext;
            pi = pnext;
            continue;
        }
        if (star_p == (size_t)-1)
            return 0;
        uint32_t skip;
        star_s = sql_utf8_next(s, sn, star_s, &skip);
        si = star_s;
        pi = pattern_next(p, pn, star_p, esc, &skip, &wild); /* just after the '%' */
    }
    while (pi < pn) {
        uint32_t pc;
        int wild;
        size_t next = pattern_next(p, pn, pi, esc, &pc, &wild);
        if (!(wild && pc == '%'))
            break;
        pi = next;
    }
    return pi >= pn;
}

/* ---- substrings ---------------------------------------------------------- */

/* The byte offset of character number k (0-based) of s, or n past the end. */
static size_t char_offset(const char *s, size_t n, int64_t k)
{
    size_t i = 0;
    uint32_t cp;
    for (; i < n && k > 0; k--)
        i = sql_utf8_next(s, n, i, &cp);
    return i;
}

void sql_substr(const char *s, size_t n, int64_t start, int64_t count, int has_count, size_t *from, size_t *len)
{
    /* DuckDB's rules: start 1 is the first character, 0 the one before it,
     * a negative start counts from the end; a negative count takes the
     * characters before start. The range is taken first and then cut to
     * the text, so a range that starts before it keeps only what overlaps. */
    int64_t chars = (int64_t)sql_utf8_chars(s, n);
    int64_t p = start > 0 ? start - 1 : start < 0 ? chars + start : -1, b, e;
    if (!has_count)
        b = p, e = chars;
    else if (count >= 0)
        b = p, e = count > chars - p ? chars : p + count;
    else
        b = count < -chars - 1 ? -1 : p + count, e = p; /* no overflow for a huge negative count */
    b = b < 0 ? 0 : b > chars ? chars : b;
    e = e < 0 ? 0 : e > chars ? chars : e;
    *from = *len = 0;
    if (e <= b)
        return;
    *from = char_offset(s, n, b);
    *len = char_offset(s + *from, n - *from, e - b);
}
