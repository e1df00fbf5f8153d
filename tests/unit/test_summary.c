/* test_summary.c - the sink's summary decoding: the fast path (rf_jflat)
 * and jansson (the reference) must agree on every input. */
#include "backend.h"
#include "mutate.h"
#include "test.h"

#define GOOD                                                                                                          \
    "{\"Name\":\"Shadowfax\",\"StatusTime\":\"2026-11-22 07:21:00.000\",\"Distance\":1780.5,"                         \
    "\"MinMagicPoints\":140,\"MaxMagicPoints\":160,\"MinHealthPoints\":120,\"MaxHealthPoints\":150}"
#define REST "\"Distance\":1,\"MinMagicPoints\":1,\"MaxMagicPoints\":2,\"MinHealthPoints\":3,\"MaxHealthPoints\":4}"

/* input, expected reason ("" = valid) */
static const struct {
    const char *json;
    const char *reason;
} cases[] = {
    {GOOD, ""},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22T07:21:00\"," REST, ""},
    {" {\"Extra\":[1,{\"x\":2}],\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\"," REST "\n", ""},
    {"{\"Name\":\"Einh\xc3\xb6rn\",\"StatusTime\":\"2026-11-22 07:21:00\"," REST, ""},
    {"{\"Name\":\"Sh\\u0061dowfax\",\"StatusTime\":\"2026-11-22 07:21:00\"," REST, ""},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\",\"Distance\":7,\"MinMagicPoints\":1.0,"
     "\"MaxMagicPoints\":2,\"MinHealthPoints\":3,\"MaxHealthPoints\":4}", ""},
    {"", "not valid JSON"},
    {"[1]", "not a JSON object"},
    {"{\"StatusTime\":\"2026-11-22 07:21:00\"," REST, "Name: missing"},
    {"{\"Name\":7,\"StatusTime\":\"2026-11-22 07:21:00\"," REST, "Name: not a string"},
    {"{\"Name\":\"\",\"StatusTime\":\"2026-11-22 07:21:00\"," REST, "Name: empty or too long"},
    {"{\"Name\":\"A\"," REST, "StatusTime: missing"},
    {"{\"Name\":\"A\",\"StatusTime\":\"soon\"," REST, "StatusTime: not a time"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\"}", "Distance: missing"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\",\"Distance\":\"far\"}", "Distance: not a number"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\",\"Distance\":1}", "MinMagicPoints: missing"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:00\",\"Distance\":7,\"MinMagicPoints\":1.5}",
     "MinMagicPoints: not an integer"},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct summary s;
        char why[256] = "";
        int rc = summary_decode(cases[i].json, strlen(cases[i].json), &s, why, sizeof why);
        if (cases[i].reason[0] == '\0') {
            if (!CHECK(rc == 0))
                fprintf(stderr, "  case %zu: %s -> %s\n", i, cases[i].json, why);
        } else if (!CHECK(rc == -1 && strncmp(why, cases[i].reason, strlen(cases[i].reason)) == 0)) {
            fprintf(stderr, "  case %zu: %s -> rc %d, '%s', expected '%s'\n", i, cases[i].json, rc, why,
                    cases[i].reason);
        }
    }
}

static void test_fields(void)
{
    struct summary s;
    char why[256];
    CHECK_INT(summary_decode(GOOD, strlen(GOOD), &s, why, sizeof why), 0);
    CHECK_STR(s.name, "Shadowfax");
    CHECK_STR(s.status_time, "2026-11-22 07:21:00.000");
    CHECK(s.distance == 1780.5);
    CHECK_INT(s.min_magic, 140);
    CHECK_INT(s.max_magic, 160);
    CHECK_INT(s.min_health, 120);
    CHECK_INT(s.max_health, 150);
}

/* Same outcome from both decoders: same rc, same reason, same fields. */
static int agree(const char *j, size_t n)
{
    struct summary a, b;
    char ra[256] = "", rb[256] = "";
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int rca = summary_decode(j, n, &a, ra, sizeof ra), rcb = summary_decode_reference(j, n, &b, rb, sizeof rb);
    if (rca != rcb || strcmp(ra, rb) != 0)
        return 0;
    return rca != 0 || (strcmp(a.name, b.name) == 0 && a.status_ms == b.status_ms && a.distance == b.distance &&
                        a.min_magic == b.min_magic && a.max_magic == b.max_magic && a.min_health == b.min_health &&
                        a.max_health == b.max_health);
}

static void test_differential_mutations(void)
{
    const char *seeds[] = {GOOD, cases[1].json, cases[2].json, cases[5].json};
    int disagreements = 0;
    char buf[512];
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = mutate(seeds[mutate_rnd(4)], buf, sizeof buf);
        if (!agree(buf, n) && disagreements++ < 5)
            fprintf(stderr, "  disagreement on: %.*s\n", (int)n, buf);
    }
    CHECK_INT(disagreements, 0);
}

TEST_MAIN("test_summary", test_table, test_fields, test_differential_mutations)
