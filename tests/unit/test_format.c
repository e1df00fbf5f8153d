/* test_format.c - consumer output: json envelope, csv quoting, table columns. */
#include "consumer.h"
#include "format.h"
#include "test.h"

#include <stdlib.h>

static char *render(enum fmt_kind kind, unsigned show, const char *const *values, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct fmt *fm = fmt_new(kind, show, f);
    for (int i = 0; i < n; i++) {
        struct fmt_record r = {.topic = "t", .partition = 2, .offset = 10 + i, .timestamp_ms = 0,
                               .key = "k", .key_len = 1, .value = values[i], .value_len = strlen(values[i])};
        fmt_write(fm, &r);
    }
    fmt_finish(fm);
    fmt_free(fm);
    fclose(f);
    return buf;
}

static void test_json(void)
{
    const char *v[] = {"{\"a\":1}", "plain \"text\""};
    char *s = render(FMT_JSON, 0, v, 2);
    CHECK_STR(s, "{\"a\":1}\nplain \"text\"\n");
    free(s);
    s = render(FMT_JSON, FMT_SHOW_PARTITION | FMT_SHOW_OFFSET | FMT_SHOW_KEY | FMT_SHOW_TIMESTAMP, v, 2);
    CHECK_STR(s, "{\"partition\":2,\"offset\":10,\"timestamp\":\"1970-01-01 00:00:00.000\",\"key\":\"k\",\"value\":{\"a\":1}}\n"
                 "{\"partition\":2,\"offset\":11,\"timestamp\":\"1970-01-01 00:00:00.000\",\"key\":\"k\",\"value\":\"plain \\\"text\\\"\"}\n");
    free(s);
}

static void test_csv(void)
{
    const char *v[] = {"{\"Name\":\"a,b\",\"X\":1.5}", "{\"Name\":\"say \\\"hi\\\"\",\"Y\":true}", "{\"X\":null}"};
    char *s = render(FMT_CSV, 0, v, 3);
    CHECK_STR(s, "Name,X\n\"a,b\",1.5\n\"say \"\"hi\"\"\",\n,NULL\n");
    free(s);
}

static void test_table(void)
{
    const char *v[] = {"{\"Name\":\"Shadowfax\",\"HP\":150}", "{\"Name\":\"Al\",\"HP\":9}"};
    char *s = render(FMT_TABLE, FMT_SHOW_OFFSET, v, 2);
    CHECK_STR(s, "offset  Name       HP\n"
                 "------  ---------  ---\n"
                 "10      Shadowfax  150\n"
                 "11      Al         9\n");
    free(s);
}

static void test_parse(void)
{
    unsigned show;
    enum fmt_kind k;
    CHECK(fmt_parse_show("key,offset", &show) == 0 && show == (FMT_SHOW_KEY | FMT_SHOW_OFFSET));
    CHECK(fmt_parse_show("all", &show) == 0 && (show & FMT_SHOW_TIMESTAMP));
    CHECK(fmt_parse_show("key,bogus", &show) == -1);
    CHECK(fmt_parse_kind("csv", &k) == 0 && k == FMT_CSV);
    CHECK(fmt_parse_kind("xml", &k) == -1);

    long long off, t;
    CHECK(consumer_parse_from("beginning", &off, &t) == 0 && t == -1);
    CHECK(consumer_parse_from("42", &off, &t) == 0 && off == 42);
    CHECK(consumer_parse_from("-5", &off, &t) == 0 && off < -1000);
    CHECK(consumer_parse_from("2026-11-22 07:00:00", &off, &t) == 0 && t == 1795330800000LL);
    CHECK(consumer_parse_from("soon", &off, &t) == -1);
}

TEST_MAIN("test_format", test_json, test_csv, test_table, test_parse)
