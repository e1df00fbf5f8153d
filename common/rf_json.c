/* rf_json.c - JSON output helpers (see rf_json.h). */
#include "rf_json.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min, cp;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

int rf_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

char *rf_utf8_repair(const char *s, size_t n, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(3 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(o, s + i, k);
        o += k;
        i += k;
    }
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* Escape the byte c (one that needs it: a quote, a backslash or a control
 * character) into b. */
static void escape_byte(struct rf_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 0};
    size_t n = 2;
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default: /* another control character */
        memcpy(e + 1, "u00", 3);
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        n = 6;
    }
    rf_buf_put(b, e, n);
}

static int needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void rf_json_buf_string(struct rf_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    rf_buf_putc(b, '"');
    size_t run = 0; /* start of the bytes passed through as they are */
    for (size_t i = 0; i < n; i++)
        if (needs_escape(p[i])) {
            rf_buf_put(b, s + run, i - run);
            escape_byte(b, p[i]);
            run = i + 1;
        }
    rf_buf_put(b, s + run, n - run);
    rf_buf_putc(b, '"');
}

void rf_json_buf_text(struct rf_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    rf_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\') {
            i++; /* plain ASCII, the usual case */
            continue;
        }
        rf_buf_put(b, s + run, i - run);
        size_t k = p[i] < 0x80 ? 1 : utf8_seq(p + i, n - i);
        if (!k) {
            rf_buf_put(b, "\\ufffd", 6);
            i++;
        } else if (k == 1) {
            escape_byte(b, p[i]);
            i++;
        } else {
            rf_buf_put(b, s + i, k);
            i += k;
        }
        run = i;
    }
    rf_buf_put(b, s + run, n - run);
    rf_buf_putc(b, '"');
}

/* Write what fill builds into out, through a buffer on the stack (an
 * fwrite per 1 KB, not a locked fputc per byte). */
static void write_via(FILE *out, void (*fill)(struct rf_buf *, const char *, size_t), const char *s, size_t n)
{
    char stack[1024];
    struct rf_buf b = rf_buf_spill(stack, sizeof stack, out);
    fill(&b, s, n);
    rf_buf_flush(&b);
}

void rf_json_write_string(FILE *out, const char *s, size_t n) { write_via(out, rf_json_buf_string, s, n); }

void rf_json_write_text(FILE *out, const char *s, size_t n) { write_via(out, rf_json_buf_text, s, n); }
