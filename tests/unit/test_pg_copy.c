/* test_pg_copy.c - the sink's PostgreSQL COPY data (sink/pg_copy.c): the
 * binary format byte for byte, the text format's escaping, skipped
 * records, and the integers that send a batch to the text path. */
#include "backend.h"
#include "pg_copy.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

static struct summary row(const char *name, int64_t ms, double d, long long a, long long b, long long c, long long e)
{
    struct summary s = {.status_ms = ms, .distance = d, .min_magic = a, .max_magic = b, .min_health = c,
                        .max_health = e};
    snprintf(s.name, sizeof s.name, "%s", name);
    snprintf(s.status_time, sizeof s.status_time, "2026-11-22 07:21:00.000");
    return s;
}

static uint64_t get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* 1. One row in the binary format, field by field. */
static void test_binary_row(void)
{
    /* 2026-11-22 07:21:00 UTC = 1795332060 s after 1970; 848,647,260 s after 2000 */
    struct summary s[1] = {row("Shadowfax", 1795332060000LL, 1780.5, 140, -160, 120, 2147483647)};
    unsigned char skip[1] = {0};
    struct pg_buf b = {0};
    CHECK_INT(pg_copy_binary(&b, s, skip, 0, 1), 1);
    const unsigned char *p = (const unsigned char *)b.data;
    CHECK(memcmp(p, "PGCOPY\n\377\r\n\0", 11) == 0);
    CHECK_INT(get(p + 11, 4), 0); /* flags */
    CHECK_INT(get(p + 15, 4), 0); /* extension */
    p += 19;
    CHECK_INT(get(p, 2), 7);
    CHECK_INT(get(p + 2, 4), 9);
    CHECK(memcmp(p + 6, "Shadowfax", 9) == 0);
    p += 15;
    CHECK_INT(get(p, 4), 8);
    CHECK_INT((int64_t)get(p + 4, 8), (1795332060LL - 946684800LL) * 1000000LL);
    p += 12;
    CHECK_INT(get(p, 4), 8);
    uint64_t bits = get(p + 4, 8);
    double d;
    memcpy(&d, &bits, sizeof d);
    CHECK(d == 1780.5);
    p += 12;
    const long long ints[4] = {140, -160, 120, 2147483647};
    for (int i = 0; i < 4; i++, p += 8) {
        CHECK_INT(get(p, 4), 4);
        CHECK_INT((int32_t)(uint32_t)get(p + 4, 4), ints[i]);
    }
    CHECK_INT(get(p, 2), 0xffff); /* the trailer */
    CHECK_INT((long long)((const char *)p + 2 - b.data), (long long)b.len);
    free(b.data);
}

/* 2. Skipped records are left out; a value outside int4 sends the batch
 * to the text path (0), unless that record is skipped. */
static void test_binary_skip_and_range(void)
{
    struct summary s[3] = {row("A", 0, 1, 1, 2, 3, 4), row("B", 0, 1, 1, 2, 3, 4),
                           row("C", 0, 1, 1, 2, 3, 2147483648LL)};
    unsigned char skip[3] = {0, 1, 1};
    struct pg_buf b = {0};
    CHECK_INT(pg_copy_binary(&b, s, skip, 0, 3), 1);
    CHECK_INT((long long)b.len, 19 + (2 + 4 + 1 + 12 + 12 + 32) + 2); /* A alone */
    skip[2] = 0;
    CHECK_INT(pg_copy_binary(&b, s, skip, 0, 3), 0);
    s[2].max_health = -2147483649LL;
    CHECK_INT(pg_copy_binary(&b, s, skip, 0, 3), 0);
    s[2].max_health = -2147483648LL;
    CHECK_INT(pg_copy_binary(&b, s, skip, 0, 3), 1);
    CHECK_INT(pg_copy_binary(&b, s, skip, 1, 1), 1); /* an empty range: header and trailer */
    CHECK_INT((long long)b.len, 21);
    free(b.data);
}

/* 3. Text: escaping, the range, and values the database is left to judge. */
static void test_text(void)
{
    struct summary s[3] = {row("O'Brien\t\\x\ny\r", 0, 0.1, 1, 2, 3, 4), row("skipped", 0, 1, 1, 2, 3, 4),
                           row("Huge", 0, 1e300, 1, 2, 3, 99999999999LL)};
    unsigned char skip[3] = {0, 1, 0};
    struct pg_buf b = {0};
    CHECK_INT(pg_copy_text(&b, s, skip, 0, 3), 0);
    char *text = strndup(b.data, b.len);
    CHECK_STR(text, "O'Brien\\t\\\\x\\ny\\r\t2026-11-22 07:21:00.000+00\t0.10000000000000001\t1\t2\t3\t4\n"
                    "Huge\t2026-11-22 07:21:00.000+00\t1.0000000000000001e+300\t1\t2\t3\t99999999999\n");
    free(text);
    CHECK_INT(pg_copy_text(&b, s, skip, 2, 3), 0);
    CHECK_INT(strncmp(b.data, "Huge\t", 5), 0);
    /* a long name of backslashes: the buffer grows to twice its length */
    memset(s[0].name, '\\', sizeof s[0].name - 1);
    s[0].name[sizeof s[0].name - 1] = '\0';
    CHECK_INT(pg_copy_text(&b, s, skip, 0, 1), 0);
    CHECK_INT((long long)b.len, 2 * 255 + (long long)strlen("\t2026-11-22 07:21:00.000+00\t0.10000000000000001\t1\t2\t3\t4\n"));
    free(b.data);
}

TEST_MAIN("test_pg_copy", test_binary_row, test_binary_skip_and_range, test_text)
