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

static void write_byte(FILE *out, unsigned char c)
{
    if (c == '"' || c == '\\') {
        fputc('\\', out);
        fputc(c, out);
    } else if (c == '\n') {
        fputs("\\n", out);
    } else if (c == '\r') {
        fputs("\\r", out);
    } else if (c == '\t') {
        fputs("\\t", out);
    } else if (c < 0x20) {
        fprintf(out, "\\u%04x", c);
    } else {
        fputc(c, out);
    }
}

void rf_json_write_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++)
        write_byte(out, (unsigned char)s[i]);
    fputc('"', out);
}

void rf_json_write_text(FILE *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k) {
            fputs("\\ufffd", out);
            i++;
            continue;
        }
        for (size_t j = 0; j < k; j++)
            write_byte(out, p[i + j]);
        i += k;
    }
    fputc('"', out);
}
