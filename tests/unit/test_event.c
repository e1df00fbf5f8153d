/* test_event.c - record decoding, validation and encoding; the fast path
 * must agree with jansson (the reference) on every input. */
#include "rf_event.h"
#include "mutate.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

#define GOOD                                                                                                          \
    "{\"Name\":\"Shadowfax\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Latitude\":40.749167,"                     \
    "\"Longitude\":-73.985184,\"Distance\":29.7,\"MagicPoints\":150,\"HealthPoints\":149}"

/* input, expected reason ("" = valid) */
static const struct {
    const char *json;
    const char *reason;
} cases[] = {
    {GOOD, ""},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29\"}", ""},
    {" {\"StatusTime\":\"2026-11-22 07:21:29.000\" , \"Name\" : \"B\", \"Extra\":[1,{\"x\":2}]}\n", ""},
    {"{\"Name\":\"Sh\\u0061dowfax\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}", ""},
    {"{\"Name\":\"Einhörn\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Latitude\":null}", ""},
    {"{\"Name\":\"A\",\"Name\":\"B\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}", ""},
    {"", "not valid JSON"},
    {"not json", "not valid JSON"},
    {"{\"Name\":\"A\",", "not valid JSON"},
    {"[1,2]", "not a JSON object"},
    {"{}", "missing Name"},
    {"{\"Name\":42,\"StatusTime\":\"2026-11-22 07:21:29.123\"}", "Name must be a string"},
    {"{\"Name\":\"\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}", "Name is empty"},
    {"{\"Name\":\"A\"}", "missing StatusTime"},
    {"{\"Name\":\"A\",\"StatusTime\":1795332089123}", "StatusTime must be a string"},
    {"{\"Name\":\"A\",\"StatusTime\":\"yesterday\"}", "StatusTime 'yesterday' is not a time"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-02-30 00:00:00.000\"}", "StatusTime '2026-02-30 00:00:00.000' is not"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Latitude\":91}", "Latitude 91 is out of range"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Longitude\":\"x\"}", "Longitude must be a number"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Distance\":-1}", "Distance -1 is out of range"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"MagicPoints\":1.5}", "MagicPoints must be an integer"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"HealthPoints\":-3}", "HealthPoints -3 is out of range"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"HealthPoints\":true}", "HealthPoints must be an integer"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"Distance\":1e999}", "not valid JSON"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\",\"MagicPoints\":99999999999999999999}", "not valid JSON"},
    {"{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29.123\"} x", "not valid JSON"},
    {"{\"Name\":\"A\\u0000B\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}", "not valid JSON"},
    {"{\"Name\":\"\xff\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}", "not valid JSON"},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct rf_event ev;
        char reason[256] = "";
        int rc = rf_event_decode(cases[i].json, strlen(cases[i].json), &ev, reason, sizeof reason);
        if (cases[i].reason[0] == '\0') {
            if (!CHECK(rc == 0))
                fprintf(stderr, "  case %zu: %s -> %s\n", i, cases[i].json, reason);
        } else if (!CHECK(rc == -1 && strncmp(reason, cases[i].reason, strlen(cases[i].reason)) == 0)) {
            fprintf(stderr, "  case %zu: %s -> rc %d, '%s', expected '%s'\n", i, cases[i].json, rc, reason,
                    cases[i].reason);
        }
    }
}

static void test_fields(void)
{
    struct rf_event ev;
    char reason[256];
    CHECK_INT(rf_event_decode(GOOD, strlen(GOOD), &ev, reason, sizeof reason), 0);
    CHECK_STR(ev.name, "Shadowfax");
    CHECK_INT(ev.time_ms, 1795332089123LL);
    CHECK(ev.latitude == 40.749167 && ev.longitude == -73.985184 && ev.distance == 29.7);
    CHECK_INT(ev.magic_points, 150);
    CHECK_INT(ev.health_points, 149);
    CHECK_INT(ev.has, RF_EV_LATITUDE | RF_EV_LONGITUDE | RF_EV_DISTANCE | RF_EV_MAGIC | RF_EV_HEALTH);
    const char *dup = "{\"Name\":\"A\",\"Name\":\"B\",\"StatusTime\":\"2026-11-22 07:21:29.123\"}";
    CHECK_INT(rf_event_decode(dup, strlen(dup), &ev, reason, sizeof reason), 0);
    CHECK_STR(ev.name, "B"); /* jansson keeps the last duplicate */
}

static void test_encode_round_trip(void)
{
    struct rf_event ev, back;
    char reason[256], buf[RF_EVENT_ENCODE_MAX];
    CHECK_INT(rf_event_decode(GOOD, strlen(GOOD), &ev, reason, sizeof reason), 0);
    size_t n = rf_event_encode(&ev, buf, sizeof buf);
    CHECK(n == strlen(GOOD) && memcmp(buf, GOOD, n) == 0);
    strcpy(ev.name, "quote\" back\\slash \x01 ünï");
    ev.name_len = strlen(ev.name);
    ev.has = 0;
    n = rf_event_encode(&ev, buf, sizeof buf);
    CHECK_INT(rf_event_decode(buf, n, &back, reason, sizeof reason), 0);
    CHECK_STR(back.name, ev.name);
    CHECK_INT(back.has, 0);
    CHECK_INT(rf_event_encode(&ev, buf, 10), 0);
}

static void test_fmt_fixed(void)
{
    char b[40];
    rf_fmt_fixed(b, 29.7, 3);
    CHECK_STR(b, "29.7");
    rf_fmt_fixed(b, 30.0, 3);
    CHECK_STR(b, "30");
    rf_fmt_fixed(b, -73.985184, 6);
    CHECK_STR(b, "-73.985184");
    rf_fmt_fixed(b, -0.0000001, 6);
    CHECK_STR(b, "0");
    rf_fmt_fixed(b, 0.05, 1);
    CHECK_STR(b, "0.1");
}

/* Same outcome from both decoders: same rc, same reason, same fields. */
static int agree(const char *s, size_t n)
{
    struct rf_event a, b;
    char ra[256] = "", rb[256] = "";
    int rca = rf_event_decode(s, n, &a, ra, sizeof ra);
    int rcb = rf_event_decode_reference(s, n, &b, rb, sizeof rb);
    if (rca != rcb || strcmp(ra, rb) != 0)
        return 0;
    if (rca == 0 && (strcmp(a.name, b.name) != 0 || a.time_ms != b.time_ms || a.has != b.has ||
                     a.latitude != b.latitude || a.longitude != b.longitude || a.distance != b.distance ||
                     a.magic_points != b.magic_points || a.health_points != b.health_points))
        return 0;
    return 1;
}

static void test_differential_mutations(void)
{
    const char *seeds[] = {GOOD, cases[1].json, cases[2].json, cases[5].json, cases[17].json};
    int disagreements = 0;
    char buf[512];
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = mutate(seeds[mutate_rnd(5)], buf, sizeof buf);
        if (!agree(buf, n) && disagreements++ < 5)
            fprintf(stderr, "  disagreement on: %.*s\n", (int)n, buf);
    }
    CHECK_INT(disagreements, 0);
    /* The fast path must actually serve the common shape. */
    const struct rf_event_decode_stats *st = rf_event_decode_stats();
    CHECK(st->fast > 10000);
}

/* The decimal fast path must give strtod's bits for every number it takes. */
static void test_decimals_match_strtod(void)
{
    int mismatches = 0;
    for (int iter = 0; iter < 300000; iter++) {
        char num[40], json[160];
        int len = 1 + (int)mutate_rnd(17), dot = (int)mutate_rnd((unsigned)len + 1), k = 0;
        for (int i = 0; i < len; i++) {
            if (i == dot && i > 0)
                num[k++] = '.';
            num[k++] = (char)('0' + (i == 0 && len > 1 && dot != 1 ? 1 + mutate_rnd(9) : mutate_rnd(10)));
        }
        if (num[k - 1] == '.')
            num[k++] = '0';
        num[k] = '\0';
        if (k > 1 && num[0] == '0' && num[1] != '.')
            continue; /* not JSON */
        double want = strtod(num, NULL);
        if (want > 1e6)
            continue;
        snprintf(json, sizeof json, "{\"Name\":\"A\",\"StatusTime\":\"2026-11-22 07:21:29\",\"Distance\":%s}", num);
        struct rf_event ev;
        char reason[256];
        if (rf_event_decode(json, strlen(json), &ev, reason, sizeof reason) != 0 ||
            memcmp(&ev.distance, &want, sizeof want) != 0) {
            if (mismatches++ < 5)
                fprintf(stderr, "  %s: got %.17g, strtod %.17g\n", num, ev.distance, want);
        }
    }
    CHECK_INT(mismatches, 0);
}

TEST_MAIN("test_event", test_table, test_fields, test_encode_round_trip, test_fmt_fixed, test_differential_mutations,
          test_decimals_match_strtod)
