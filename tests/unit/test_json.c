/* test_json.c - rf_buf and the JSON string writers (rf_json.h): fixed cases,
 * both kinds of buffer (growing, spilling through a FILE), and the writers
 * against a byte-at-a-time reference over random strings of every length
 * around the buffers' sizes. */
#include "rf_buf.h"
#include "rf_json.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

/* The length of the valid UTF-8 sequence at s: the shortest valid prefix
 * (rf_utf8_valid), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 4 && k <= n; k++)
        if (rf_utf8_valid((const char *)s, k))
            return k;
    return 0;
}

/* The reference: one byte at a time, as JSON (RFC 8259) asks. text = 1:
 * a byte that does not start a valid UTF-8 sequence becomes \ufffd. */
static char *reference(const char *s, size_t n, int text, size_t *outlen)
{
    char *out = malloc(6 * n + 3), *o = out;
    const unsigned char *p = (const unsigned char *)s;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        size_t k = text ? utf8_len(p + i, n - i) : 1;
        if (!k) {
            o += sprintf(o, "\\ufffd");
            i++;
            continue;
        }
        for (size_t j = 0; j < k; j++, i++) {
            unsigned char c = p[i];
            if (c == '"' || c == '\\')
                *o++ = '\\', *o++ = (char)c;
            else if (c == '\n')
                *o++ = '\\', *o++ = 'n';
            else if (c == '\r')
                *o++ = '\\', *o++ = 'r';
            else if (c == '\t')
                *o++ = '\\', *o++ = 't';
            else if (c < 0x20)
                o += sprintf(o, "\\u%04x", c);
            else
                *o++ = (char)c;
        }
    }
    *o++ = '"';
    *outlen = (size_t)(o - out);
    return out;
}

/* What the FILE writer gives for s. */
static char *via_file(const char *s, size_t n, int text, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    (text ? rf_json_write_text : rf_json_write_string)(f, s, n);
    fclose(f);
    return buf;
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static void test_cases(void)
{
    static const struct {
        const char *in;
        int text;
        const char *want;
    } cases[] = {
        {"", 0, "\"\""},
        {"plain", 0, "\"plain\""},
        {"say \"hi\"\\", 0, "\"say \\\"hi\\\"\\\\\""},
        {"a\nb\rc\td", 0, "\"a\\nb\\rc\\td\""},
        {"\x01\x1f", 0, "\"\\u0001\\u001f\""},
        {"caf\xc3\xa9", 0, "\"caf\xc3\xa9\""},
        {"bad \xff byte", 0, "\"bad \xff byte\""},   /* string: passed through */
        {"bad \xff byte", 1, "\"bad \\ufffd byte\""}, /* text: replaced */
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x84", 1, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x84\""},
        {"cut \xe2\x82", 1, "\"cut \\ufffd\\ufffd\""},
        {"overlong \xc0\xaf", 1, "\"overlong \\ufffd\\ufffd\""},
        {"surrogate \xed\xa0\x80", 1, "\"surrogate \\ufffd\\ufffd\\ufffd\""},
        {"\x7f del", 1, "\"\x7f del\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i].in), len;
        struct rf_buf b = RF_BUF_INIT;
        (cases[i].text ? rf_json_buf_text : rf_json_buf_string)(&b, cases[i].in, n);
        rf_buf_putc(&b, '\0');
        CHECK_STR(b.p, cases[i].want);
        rf_buf_free(&b);
        char *f = via_file(cases[i].in, n, cases[i].text, &len);
        CHECK_STR(f, cases[i].want);
        free(f);
    }
}

static void test_buffers(void)
{
    /* growing: from nothing, past several doublings; reset keeps storage */
    struct rf_buf b = RF_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        rf_buf_putc(&b, (char)('a' + i % 26));
    CHECK_INT(b.len, 10000);
    CHECK(b.cap >= 10000 && !b.failed && b.p[9999] == 'a' + 9999 % 26);
    size_t cap = b.cap;
    rf_buf_reset(&b);
    rf_buf_puts(&b, "again");
    CHECK(b.len == 5 && b.cap == cap && memcmp(b.p, "again", 5) == 0);
    rf_buf_free(&b);
    CHECK(b.p == NULL && b.len == 0 && b.cap == 0);

    /* spilling: 8 bytes of storage in front of a FILE, writes small and
     * larger than the storage, all in order */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    char store[8];
    struct rf_buf s = rf_buf_spill(store, sizeof store, f);
    rf_buf_puts(&s, "0123");
    rf_buf_puts(&s, "4567");
    rf_buf_putc(&s, '8');
    rf_buf_puts(&s, "this is longer than eight");
    rf_buf_puts(&s, "!");
    rf_buf_flush(&s);
    fclose(f);
    CHECK_STR(out, "012345678this is longer than eight!");
    free(out);
}

/* Random strings of every length up to 5000 (past the writers' 1 KB stack
 * buffer and the buffers' first sizes), drawn from bytes that matter. */
static void test_differential(void)
{
    static const char alphabet[] = "ab \"\\\n\r\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\xa6\x84\xff\xc0\xed\xa0";
    uint64_t rng = 7;
    char *s = malloc(5000);
    int bad = 0;
    for (size_t n = 0; n < 5000; n += 1 + n / 16) {
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < n; i++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                s[i] = alphabet[rng % (sizeof alphabet - 1)];
            }
            for (int text = 0; text <= 1; text++) {
                size_t rlen, flen;
                char *want = reference(s, n, text, &rlen);
                struct rf_buf b = RF_BUF_INIT;
                (text ? rf_json_buf_text : rf_json_buf_string)(&b, s, n);
                char *got = via_file(s, n, text, &flen);
                if (!same(b.p, b.len, want, rlen) || !same(got, flen, want, rlen))
                    bad++;
                rf_buf_free(&b);
                free(got);
                free(want);
            }
        }
    }
    free(s);
    CHECK_INT(bad, 0);
}

TEST_MAIN("test_json", test_cases, test_buffers, test_differential)
