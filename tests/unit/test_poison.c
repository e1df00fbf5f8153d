/* test_poison.c - bad data in the processor's partition state: a record a
 * query cannot evaluate, a result row that cannot be evaluated, an event
 * time far in the future or before 1970, and GRACE 0. Each case is a
 * script, the records fed to one partition, and the outputs expected: the
 * partition never stops, bad records become dead letters (stage, stream,
 * reason), and a restart from a commit replays them without a second
 * letter. Also: dead letters are valid JSON whatever the payload. */
#include "pstate.h"
#include "rf_deadletter.h"
#include "rf_json.h"
#include "rf_time.h"
#include "sql.h"
#include "test.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#define MAXOUT 256
struct outs {
    char v[MAXOUT][512];
    int n;
};

static int on_result(void *arg, int stream, const char *key, size_t keylen, const char *json, size_t len,
                     int64_t ws, int64_t we)
{
    struct outs *o = arg;
    (void)stream, (void)key, (void)keylen, (void)ws, (void)we;
    if (o->n < MAXOUT)
        snprintf(o->v[o->n++], 512, "R %.*s", (int)len, json);
    return 0;
}

static int on_late(void *arg, int stream, int64_t offset, const char *key, size_t keylen, const char *payload,
                   size_t len, int64_t ws, int64_t we)
{
    struct outs *o = arg;
    (void)stream, (void)key, (void)keylen, (void)payload, (void)len, (void)ws, (void)we;
    if (o->n < MAXOUT)
        snprintf(o->v[o->n++], 512, "L %lld", (long long)offset);
    return 0;
}

static int on_dead(void *arg, int64_t offset, const char *key, size_t keylen, const char *payload, size_t len,
                   const char *stage, int stream, const char *reason)
{
    struct outs *o = arg;
    (void)key, (void)keylen;
    if (o->n < MAXOUT)
        snprintf(o->v[o->n++], 512, "D %lld %s %d %s | %.*s", (long long)offset, stage, stream, reason, (int)len,
                 payload);
    return 0;
}

/* "2026-11-22 07:00:SS.000" + ms, as ms since the epoch. */
static int64_t at(int sec)
{
    int64_t t;
    rf_time_parse("2026-11-22 07:00:00.000", 23, &t);
    return t + (int64_t)sec * 1000;
}

struct rec {
    const char *json; /* %s: replaced by the time of sec */
    int sec;
    int64_t record_ms; /* the Kafka timestamp; 0: the event's own time */
};

/* Feed recs[0..n) from offset `from` (a restart replays from its commit);
 * then, when close is set, let the partition go idle so every window closes. */
static int feed(struct pstate *ps, const struct rec *recs, int from, int n, int close)
{
    char err[256];
    for (int i = from; i < n; i++) {
        char buf[512], ts[32];
        rf_time_format(recs[i].sec < -100000 ? (int64_t)recs[i].sec * 1000 : at(recs[i].sec), ts);
        snprintf(buf, sizeof buf, recs[i].json, ts);
        int64_t rec_ms = recs[i].record_ms ? recs[i].record_ms : at(recs[i].sec < 0 ? 0 : recs[i].sec);
        if (pstate_message(ps, i, "k", 1, buf, strlen(buf), rec_ms, i, err, sizeof err) < 0) {
            fprintf(stderr, "pstate_message: %s\n", err);
            return -1;
        }
    }
    if (close) {
        if (pstate_caught_up(ps, n, err, sizeof err) < 0 || pstate_tick(ps, (int64_t)1 << 50, err, sizeof err) < 0) {
            fprintf(stderr, "close: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static struct sql_script *parse(const char *text)
{
    struct sql_error e;
    struct sql_script *s = sql_script_parse(text, &e);
    if (!s)
        fprintf(stderr, "script: %d:%d %s\n", e.line, e.col, e.msg);
    return s;
}

/* A partition state with conf, its outputs into o (forwards counted by
 * on_forward when set); resuming from committed/meta (-1/NULL: afresh).
 * *warning (when given) gets pstate_new's. */
static struct pstate *start_conf(const struct pstate_conf *conf, struct outs *o,
                                 int (*on_forward)(void *, int, const char *, size_t, const char *, size_t, int64_t),
                                 int64_t committed, const char *meta, const char **warning)
{
    struct pstate_sink sink = {o, on_result, on_late, on_dead, on_forward};
    const char *w;
    char err[256];
    struct pstate *ps = pstate_new(conf, &sink, committed, meta, warning ? warning : &w, err, sizeof err);
    if (!ps)
        fprintf(stderr, "pstate_new: %s\n", err);
    return ps;
}

static struct pstate *start(struct sql_script *s, const char *topic, struct outs *o, int64_t committed,
                            const char *meta)
{
    struct pstate_conf conf = {.script = s, .topic = topic, .idle_ms = 1000, .max_future_ms = 3600000};
    return start_conf(&conf, o, NULL, committed, meta, NULL);
}

static int count_prefix(const struct outs *o, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < o->n; i++)
        n += strncmp(o->v[i], prefix, strlen(prefix)) == 0;
    return n;
}

static const char *find(const struct outs *o, const char *needle)
{
    for (int i = 0; i < o->n; i++)
        if (strstr(o->v[i], needle))
            return o->v[i];
    return NULL;
}

#define SRC "CREATE STREAM src (Name STRING, v STRING, t TIMESTAMP) WITH (topic='src', key='Name', timestamp='t');\n"
#define REC(v) "{\"Name\":\"a\",\"v\":\"" v "\",\"t\":\"%s\"}"

/* 1. Table: each script and records, and what comes out. */
static const struct {
    const char *script;
    struct rec recs[8];
    int nrecs;
    int results, dead;
    const char *expect[3]; /* substrings of outputs that must be there */
} cases[] = {
    /* a bad CAST in an aggregate's argument: the record is skipped, the window goes on */
    {SRC "CREATE STREAM s AS SELECT Name, SUM(CAST(v AS INT)) AS total FROM src WINDOW TUMBLING (SIZE 1 MINUTE) "
         "GROUP BY Name;",
     {{REC("1"), 1}, {REC("abc"), 2}, {REC("2"), 3}}, 3, 1, 1,
     {"D 1 query 0 cannot CAST 'abc' to INT", "\"total\":3"}},
    /* the same in WHERE, and in a filter query's projection */
    {SRC "CREATE STREAM s AS SELECT Name, v FROM src WHERE CAST(v AS INT) > 0;",
     {{REC("1"), 1}, {REC("x"), 2}, {REC("5"), 3}}, 3, 2, 1, {"D 1 query 0 cannot CAST 'x'"}},
    {SRC "CREATE STREAM s AS SELECT Name, CAST(v AS INT) AS n FROM src;",
     {{REC("7"), 1}, {REC("?"), 2}}, 2, 1, 1, {"\"n\":7", "D 1 query 0"}},
    /* a result row that cannot be evaluated: that group is a dead letter, the others come out */
    {SRC "CREATE STREAM s AS SELECT Name, CAST(MAX(v) AS INT) AS m FROM src WINDOW TUMBLING (SIZE 1 MINUTE) "
         "GROUP BY Name;",
     {{"{\"Name\":\"a\",\"v\":\"zz\",\"t\":\"%s\"}", 1}, {"{\"Name\":\"b\",\"v\":\"4\",\"t\":\"%s\"}", 2}}, 2, 1, 1,
     {"\"m\":4", "query 0 cannot CAST 'zz' to INT | {\"window_start\":\"2026-11-22 07:00:00.000\""}},
    /* PARSE_TIMESTAMP of garbage, in GROUP BY */
    {SRC "CREATE STREAM s AS SELECT Name, COUNT(*) AS n FROM src WINDOW TUMBLING (SIZE 1 MINUTE) "
         "GROUP BY Name, PARSE_TIMESTAMP(v);",
     {{REC("2026-11-22 07:00:00.000"), 1}, {REC("garbage"), 2}}, 2, 1, 1, {"D 1 query 0"}},
    /* GRACE 0: the window closes as soon as the high mark reaches its end */
    {SRC "CREATE STREAM s AS SELECT Name, COUNT(*) AS n FROM src WINDOW TUMBLING (SIZE 1 MINUTE, GRACE 0 SECONDS) "
         "GROUP BY Name;",
     {{REC("1"), 1}, {REC("1"), 59}, {REC("1"), 60}, {REC("1"), 30}}, 4, 2, 0, {"\"n\":2", "L 3"}},
    /* a clock a day fast is a dead letter and moves no watermark: the next minute still counts */
    {SRC "CREATE STREAM s AS SELECT Name, COUNT(*) AS n FROM src WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;",
     {{REC("1"), 1}, {REC("1"), 86400, 0}, {REC("1"), 2}}, 3, 1, 1, {"\"n\":2", "D 1 decode -1 event time"}},
    /* before 1970 */
    {SRC "CREATE STREAM s AS SELECT Name, COUNT(*) AS n FROM src WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Name;",
     {{REC("1"), -1000000}, {REC("1"), 3}}, 2, 1, 1, {"is before 1970"}},
};

static void test_cases(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct sql_script *s = parse(cases[c].script);
        CHECK(s != NULL);
        if (!s)
            continue;
        struct rec recs[8];
        memcpy(recs, cases[c].recs, sizeof recs);
        for (int i = 0; i < cases[c].nrecs; i++) /* the day-fast record was written now, not a day later */
            if (recs[i].sec == 86400)
                recs[i].record_ms = at(1);
        struct outs *o = calloc(1, sizeof *o);
        struct pstate *ps = start(s, "src", o, -1, NULL);
        CHECK(ps && feed(ps, recs, 0, cases[c].nrecs, 1) == 0);
        if (count_prefix(o, "R") != cases[c].results || count_prefix(o, "D") != cases[c].dead) {
            fprintf(stderr, "case %zu: %d results, %d dead letters:\n", c + 1, count_prefix(o, "R"),
                    count_prefix(o, "D"));
            for (int i = 0; i < o->n; i++)
                fprintf(stderr, "  %s\n", o->v[i]);
        }
        CHECK_INT(count_prefix(o, "R"), cases[c].results);
        CHECK_INT(count_prefix(o, "D"), cases[c].dead);
        for (int k = 0; k < 3 && cases[c].expect[k]; k++)
            if (!CHECK(find(o, cases[c].expect[k]) != NULL))
                fprintf(stderr, "case %zu: no output has '%s'\n", c + 1, cases[c].expect[k]);
        pstate_free(ps);
        free(o);
        sql_script_free(s);
    }
}

/* 2. A restart from a commit taken after the poison record replays it
 * without a second dead letter, and the window's result is the same. */
static void test_replay(void)
{
    struct sql_script *s = parse(cases[0].script);
    struct outs *o = calloc(1, sizeof *o), *o2 = calloc(1, sizeof *o2);
    struct pstate *ps = start(s, "src", o, -1, NULL);
    CHECK(feed(ps, cases[0].recs, 0, 2, 0) == 0);
    int64_t off;
    char meta[512];
    pstate_commit_point(ps, &off, meta, sizeof meta);
    CHECK_INT(off, 0); /* the open window holds offset 0 */
    pstate_free(ps);
    CHECK_INT(count_prefix(o, "D"), 1);
    ps = start(s, "src", o2, off, meta);
    CHECK(ps && feed(ps, cases[0].recs, (int)off, 3, 1) == 0);
    CHECK_INT(count_prefix(o2, "D"), 0);
    CHECK(find(o2, "\"total\":3") != NULL);
    pstate_free(ps);
    free(o);
    free(o2);
    sql_script_free(s);
}

/* 3. Dead letters are valid JSON: any payload bytes, any error text. */
static void test_deadletter_json(void)
{
    static const struct {
        const char *payload;
        size_t len;
        int base64;
    } t[] = {
#define P(s, b) {s, sizeof s - 1, b}
        P("{\"Name\":\"ok\"}", 0),
        P("\xff\xfe not utf-8", 1),
        P("nul\0byte", 0),
        P("\xed\xa0\x80 surrogate", 1),
        P("emoji \xf0\x9f\xa6\x84 \"quoted\"\n", 0),
        P("", 0),
#undef P
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        struct rf_deadletter d = {.program = "sink", .stage = "destination", .name = "redis",
                                  .error = "bad \xc3 text", .topic = "wildrydes", .partition = 3, .offset = 42,
                                  .payload = t[i].payload, .len = t[i].len};
        size_t n;
        char *j = rf_deadletter_encode(&d, &n);
        CHECK(j != NULL && rf_utf8_valid(j, n));
        json_error_t e;
        json_t *o = json_loadb(j, n, JSON_ALLOW_NUL, &e);
        CHECK(o != NULL);
        CHECK_STR(json_string_value(json_object_get(o, "stage")), "destination");
        CHECK_INT(json_integer_value(json_object_get(o, "offset")), 42);
        CHECK_STR(json_string_value(json_object_get(o, "error")), "bad \xef\xbf\xbd text");
        if (t[i].base64) {
            CHECK(json_object_get(o, "payload") == NULL);
            CHECK(json_is_string(json_object_get(o, "payload_base64")));
        } else {
            json_t *p = json_object_get(o, "payload");
            CHECK(json_is_string(p) && json_string_length(p) == t[i].len &&
                  memcmp(json_string_value(p), t[i].payload, t[i].len) == 0);
        }
        json_decref(o);
        free(j);
    }
    /* a payload over the limit is cut at a character boundary and says so */
    size_t big = RF_DEADLETTER_MAX_PAYLOAD + 10;
    char *b = malloc(big);
    memset(b, 'a', big);
    memcpy(b + RF_DEADLETTER_MAX_PAYLOAD - 1, "\xc3\xa9", 2); /* a character across the cut */
    struct rf_deadletter dl = {.program = "p", .stage = "decode", .error = "e", .payload = b, .len = big};
    size_t bn;
    char *bj = rf_deadletter_encode(&dl, &bn);
    json_error_t be;
    json_t *bo = bj ? json_loadb(bj, bn, 0, &be) : NULL;
    CHECK(bo && json_is_true(json_object_get(bo, "payload_truncated")));
    CHECK_INT(json_integer_value(json_object_get(bo, "payload_bytes")), (long long)big);
    CHECK_INT((long long)json_string_length(json_object_get(bo, "payload")), RF_DEADLETTER_MAX_PAYLOAD - 1);
    json_decref(bo);
    free(bj);
    free(b);
    /* base64 round trip of every byte value */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    struct rf_deadletter d = {.program = "p", .stage = "decode", .error = "e", .payload = all, .len = 256};
    size_t n;
    char *j = rf_deadletter_encode(&d, &n);
    CHECK(j && strstr(j, "\"payload_base64\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"));
    free(j);
}

/* 4. A repartitioned stream fed by 600 source partitions: its commit
 * metadata fits Kafka's default 4 KiB (each source a difference from the
 * base), reads back to the same state, and a buffer too small is an error,
 * never a cut. */
static void test_many_sources(void)
{
    static const char *const inputs[] = {"rp"};
    struct sql_script *s = parse("CREATE STREAM fleet AS SELECT WINDOW_START AS m, COUNT(*) AS n FROM wildrydes "
                                 "WINDOW TUMBLING (SIZE 1 MINUTE);");
    struct outs *o = calloc(1, sizeof *o);
    struct pstate_conf conf = {.script = s, .topic = "rp", .idle_ms = 1000, .inputs = inputs};
    const char *warning;
    char err[256];
    struct pstate *ps = start_conf(&conf, o, NULL, -1, NULL, NULL);
    CHECK(ps != NULL);
    enum { N = 600 };
    int64_t t0 = at(0);
    for (int i = 0; ps && i < N; i++) { /* a marker from each source, a little apart */
        struct pstate_origin org = {.partition = i, .partitions = N, .base = t0 + (int64_t)(i % 97) * 1000};
        CHECK(pstate_merged_message(ps, i, &org, NULL, 0, NULL, 0, i, err, sizeof err) == 0);
    }
    char meta[65536], meta2[65536], tiny[64];
    int64_t off, off2;
    CHECK(pstate_commit_point(ps, &off, meta, sizeof meta) == 0);
    if (!CHECK(strlen(meta) < 4096))
        fprintf(stderr, "  %zu bytes of metadata for %d sources\n", strlen(meta), N);
    CHECK(pstate_commit_point(ps, &off2, tiny, sizeof tiny) == -1);
    pstate_free(ps);
    ps = start_conf(&conf, o, NULL, off, meta, &warning);
    CHECK(ps != NULL && warning == NULL);
    CHECK(ps && pstate_commit_point(ps, &off2, meta2, sizeof meta2) == 0);
    CHECK_INT(off2, off);
    CHECK_STR(meta2, meta);
    pstate_free(ps);
    free(o);
    sql_script_free(s);
}

/* 5. A repartitioned stream whose GROUP BY key of one record is over 1 KiB:
 * that record is a dead letter of the stream, the others are forwarded. */
static int64_t forwarded;
static int on_forward(void *arg, int stream, const char *key, size_t keylen, const char *payload, size_t len,
                      int64_t base)
{
    (void)arg, (void)stream, (void)key, (void)keylen, (void)payload, (void)len, (void)base;
    forwarded++;
    return 0;
}

static void test_long_key(void)
{
    static const char *const inputs[] = {"src-rp"};
    struct sql_script *s = parse(SRC "CREATE STREAM byv AS SELECT v, COUNT(*) AS n FROM src "
                                     "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY v;");
    if (!CHECK(s != NULL))
        return;
    CHECK(sql_script_stream(s, 0)->repartition);
    struct outs *o = calloc(1, sizeof *o);
    struct pstate_conf conf = {.script = s, .topic = "src", .idle_ms = 1000, .inputs = inputs};
    char err[256];
    struct pstate *ps = start_conf(&conf, o, on_forward, -1, NULL, NULL);
    CHECK(ps != NULL);
    char longv[2000], rec[2200], ts[32];
    memset(longv, 'v', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    rf_time_format(at(1), ts);
    const char *vals[] = {"short", longv, "short"};
    for (int i = 0; ps && i < 3; i++) {
        snprintf(rec, sizeof rec, "{\"Name\":\"a\",\"v\":\"%s\",\"t\":\"%s\"}", vals[i], ts);
        CHECK(pstate_message(ps, i, "a", 1, rec, strlen(rec), at(1), i, err, sizeof err) == 0);
    }
    CHECK_INT(forwarded, 2);
    CHECK(find(o, "D 1 query 0 a GROUP BY key longer than 1024 bytes") != NULL);
    pstate_free(ps);
    free(o);
    sql_script_free(s);
}

TEST_MAIN("test_poison", test_cases, test_replay, test_deadletter_json, test_many_sources, test_long_key)
