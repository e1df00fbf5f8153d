/* test_fanout.c - the dashboard's fan-out: what a client may subscribe to
 * (and what is refused, with the reason), which unicorns each subscription's
 * delta and snapshot carry, frames built once per tick and shared, and the
 * bytes of a frame on the wire (RFC 6455 headers for each length form).
 * The server around them is tested with real clients in
 * tests/integration/21_dashboard_protocol.sh and 22_dashboard_browser.sh. */
#include "frame.h"
#include "sub.h"
#include "view.h"

#include "test.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <zlib.h>

/* 1. Subscriptions: accepted forms and their canonical keys; refusals. */
static void test_parse(void)
{
    static const struct {
        const char *msg;
        int rc;           /* 1 subscription, 0 another message, -1 refused */
        const char *want; /* the key, or a piece of the error */
    } cases[] = {
        {"{\"subscribe\":\"all\"}", 1, "all"},
        {"{\"subscribe\":{\"bbox\":[40.7,-74.1,40.8,-73.9]}}", 1, "bbox 40.700000000000003 -74.099999999999994 40.799999999999997 -73.900000000000006"},
        {"{\"subscribe\":{\"bbox\":[-10,170,10,-170]}}", 1, "bbox -10 170 10 -170"}, /* across the antimeridian */
        {"{\"subscribe\":{\"names\":[\"b\",\"a\",\"b\"]}}", 1, "names\x1f" "a\x1f" "b"},
        {"{\"subscribe\":{\"names\":[]}}", 1, "names"},
        {"{\"type\":\"hello\"}", 0, ""},
        {"not json", 0, ""},
        {"{\"subscribe\":{\"bbox\":[50,0,40,10]}}", -1, "south <= north"},
        {"{\"subscribe\":{\"bbox\":[0,0,91,10]}}", -1, "latitudes in [-90, 90]"},
        {"{\"subscribe\":{\"bbox\":[0,0,10]}}", -1, "[south, west, north, east]"},
        {"{\"subscribe\":{\"bbox\":[0,\"w\",10,20]}}", -1, "in degrees"},
        {"{\"subscribe\":{\"names\":[\"a\",7]}}", -1, "names[1] is not a unicorn name"},
        {"{\"subscribe\":{\"names\":[\"\"]}}", -1, "names[0] is not a unicorn name"},
        {"{\"subscribe\":{\"names\":\"a\"}}", -1, "a list of at most 10000"},
        {"{\"subscribe\":\"some\"}", -1, "subscribe to \"all\""},
        {"{\"subscribe\":{\"bbox\":[0,0,1,1],\"names\":[\"a\"]}}", -1, "subscribe to \"all\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sub spec;
        char err[256] = "";
        int rc = sub_parse(cases[i].msg, strlen(cases[i].msg), &spec, err, sizeof err);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 1) {
            CHECK_STR(spec.key, cases[i].want);
            sub_spec_free(&spec);
        } else if (rc < 0 && !CHECK(strstr(err, cases[i].want) != NULL)) {
            fprintf(stderr, "  case %zu: %s\n", i + 1, err);
        }
    }
    /* more names than allowed */
    size_t cap = 16 + (SUB_NAMES_MAX + 1) * 6;
    char *big = malloc(cap), *p = big;
    p += sprintf(p, "{\"subscribe\":{\"names\":[");
    for (int i = 0; i <= SUB_NAMES_MAX; i++)
        p += sprintf(p, "%s\"%d\"", i ? "," : "", i % 10);
    sprintf(p, "]}}");
    struct sub spec;
    char err[256] = "";
    CHECK_INT(sub_parse(big, strlen(big), &spec, err, sizeof err), -1);
    CHECK(strstr(err, "at most 10000") != NULL);
    free(big);
}

/* 2. Equal subscriptions are one (shared frames); the last reference frees one. */
static void test_intern(void)
{
    struct sub_set set;
    CHECK_INT(sub_set_init(&set), 0);
    struct sub a, b;
    char err[64];
    const char *m1 = "{\"subscribe\":{\"names\":[\"x\",\"y\"]}}", *m2 = "{\"subscribe\":{\"names\":[\"y\",\"x\",\"x\"]}}";
    CHECK_INT(sub_parse(m1, strlen(m1), &a, err, sizeof err), 1);
    CHECK_INT(sub_parse(m2, strlen(m2), &b, err, sizeof err), 1);
    struct sub *s1 = sub_intern(&set, &a), *s2 = sub_intern(&set, &b);
    CHECK(s1 == s2);
    CHECK_INT(s1->refs, 2);
    struct sub *all = sub_all(&set);
    CHECK(all == set.list && all->kind == SUB_ALL);
    sub_unref(&set, s1);
    CHECK(set.list->next == s2);
    sub_unref(&set, s2);
    CHECK(set.list->next == NULL); /* freed */
    sub_unref(&set, all);
    CHECK(set.list != NULL && set.list->kind == SUB_ALL); /* "all" stays */
    sub_set_free(&set);
}

static struct fleet_pos pos(const char *name, double lat, double lon, long long health)
{
    struct fleet_pos p = {.lat = lat, .lon = lon, .distance = 30, .health = health, .magic = 150,
                          .time_ms = 1795849200000LL, .kafka_ms = 1795849200123LL};
    snprintf(p.name, sizeof p.name, "%s", name);
    return p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The unicorns of a frame's payload (names, sorted, comma-joined), and its "gone". */
static void names_of(struct frame *f, char *out, size_t outlen, char *gone, size_t gonelen)
{
    size_t len;
    const char *p = frame_payload(f, &len);
    json_error_t je;
    json_t *o = json_loadb(p, len, 0, &je);
    out[0] = gone[0] = '\0';
    if (!CHECK(o != NULL)) {
        fprintf(stderr, "  %s: %.*s\n", je.text, (int)len, p);
        return;
    }
    size_t i;
    json_t *u;
    const char *sorted[16];
    size_t n = 0;
    json_array_foreach(json_object_get(o, "unicorns"), i, u) {
        if (n < 16)
            sorted[n++] = json_string_value(json_object_get(u, "name"));
    }
    qsort(sorted, n, sizeof *sorted, cmp_str);
    for (i = 0; i < n; i++)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "," : "", sorted[i]);
    json_array_foreach(json_object_get(o, "gone"), i, u) {
        snprintf(gone + strlen(gone), gonelen - strlen(gone), "%s%s", i ? "," : "", json_string_value(u));
    }
    json_decref(o);
}

/* 3. Which unicorns each subscription's delta and snapshot carry, tick by tick. */
static void test_frames(void)
{
    struct view v = {0};
    struct sub_set set;
    sub_set_init(&set);
    struct sub spec, *box, *names;
    char err[64];
    const char *mb = "{\"subscribe\":{\"bbox\":[40.74,-74.00,40.76,-73.98]}}";
    const char *mn = "{\"subscribe\":{\"names\":[\"Comet\",\"Nobody\",\"Sa\\\"y \\\\ \\u00e9\"]}}";
    sub_parse(mb, strlen(mb), &spec, err, sizeof err);
    box = sub_intern(&set, &spec);
    sub_parse(mn, strlen(mn), &spec, err, sizeof err);
    names = sub_intern(&set, &spec);
    struct sub *all = set.list;

    /* tick 1: four unicorns; Artax and Blaze inside the box */
    struct fleet_pos p1[] = {pos("Artax", 40.75, -73.99, 150), pos("Blaze", 40.745, -73.985, 90),
                             pos("Comet", 40.70, -73.99, 150), pos("Sa\"y \\ \xc3\xa9", 41.0, -73.0, 110)};
    struct fleet_changes c = {.pos = p1, .n = 4, .seq = 4};
    CHECK_INT(view_take(&v, &c), 0);
    const struct {
        int tick;     /* the step below that this row checks */
        struct sub **s;
        int snapshot; /* 1: the snapshot, 0: the delta */
        const char *names, *gone;
    } want[] = {
        {1, &all, 0, "Artax,Blaze,Comet,Sa\"y \\ \xc3\xa9", ""},
        {1, &box, 0, "Artax,Blaze", ""},
        {1, &names, 0, "Comet,Sa\"y \\ \xc3\xa9", ""},
        {1, &box, 1, "Artax,Blaze", ""},
        /* tick 2: Artax leaves the box (its delta says where it went), Comet enters it, Blaze is forgotten */
        {2, &all, 0, "Artax,Comet", "Blaze"},
        {2, &box, 0, "Artax,Comet", "Blaze"},
        {2, &names, 0, "Comet", "Blaze"},
        {2, &box, 1, "Comet", ""},
        {2, &all, 1, "Artax,Comet,Sa\"y \\ \xc3\xa9", ""},
        /* tick 3: only "Sa"y" moves, far away: nothing for the box */
        {3, &box, 0, NULL, NULL},
        {3, &names, 0, "Sa\"y \\ \xc3\xa9", ""},
    };
    int step = 1;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (want[i].tick != step) {
            step = want[i].tick;
            if (step == 2) {
                struct fleet_pos p2[] = {pos("Artax", 40.77, -73.99, 149), pos("Comet", 40.75, -73.99, 148)};
                char gone[1][RF_EVENT_NAME_MAX + 1] = {"Blaze"};
                struct fleet_changes c2 = {.pos = p2, .n = 2, .gone = gone, .ngone = 1, .seq = 7};
                CHECK_INT(view_take(&v, &c2), 0);
                CHECK_INT(v.n, 3);
            } else {
                struct fleet_pos p3[] = {pos("Sa\"y \\ \xc3\xa9", 41.1, -73.0, 100)};
                struct fleet_changes c3 = {.pos = p3, .n = 1, .seq = 8};
                CHECK_INT(view_take(&v, &c3), 0);
            }
        }
        struct sub *s = *want[i].s;
        struct frame *f = want[i].snapshot ? sub_snapshot(s, &v) : sub_delta(s, &v);
        if (!want[i].names) {
            if (!CHECK(f == NULL))
                fprintf(stderr, "  row %zu: a frame where none was due\n", i + 1);
            continue;
        }
        if (!CHECK(f != NULL))
            continue;
        /* built once per tick: asking again gives the same frame */
        CHECK(f == (want[i].snapshot ? sub_snapshot(s, &v) : sub_delta(s, &v)));
        char got[512], gone[128];
        names_of(f, got, sizeof got, gone, sizeof gone);
        if (strcmp(got, want[i].names) != 0 || strcmp(gone, want[i].gone) != 0) {
            CHECK(0);
            fprintf(stderr, "  row %zu: unicorns [%s] gone [%s], expected [%s] [%s]\n", i + 1, got, gone, want[i].names,
                    want[i].gone);
        } else {
            CHECK(1);
        }
    }
    /* a frame's JSON fields, as the page reads them */
    size_t len;
    const char *payload = frame_payload(sub_snapshot(box, &v), &len);
    CHECK(strstr(payload, "{\"type\":\"snapshot\",\"seq\":8,\"unicorns\":[{\"name\":\"Comet\",\"time\":\"2026-11-28 "
                          "07:00:00.000\",\"lat\":40.750000,\"lon\":-73.990000,\"distance\":30.0,\"health\":148,"
                          "\"magic\":150,\"at\":1795849200123}]}") == payload);
    sub_unref(&set, box);
    sub_unref(&set, names);
    sub_set_free(&set);
    view_free(&v);
}

/* 4. A frame on the wire: its header for each length form, sent by reference to two outputs. */
static void test_wire(void)
{
    struct event_base *base = event_base_new();
    static const size_t sizes[] = {0, 125, 126, 65535, 65536, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        char *body = malloc(n + 1);
        memset(body, 'x', n);
        struct frame_builder b;
        frame_begin(&b, 16); /* grows */
        frame_add(&b, body, n / 2);
        frame_add(&b, body, n - n / 2);
        struct frame *f = frame_finish(&b);
        if (!CHECK(f != NULL)) {
            free(body);
            continue;
        }
        struct bufferevent *pair[2][2];
        for (int k = 0; k < 2; k++) {
            bufferevent_pair_new(base, 0, pair[k]);
            CHECK_INT(frame_send(f, pair[k][0]), 0);
        }
        frame_unref(f); /* the outputs hold it now */
        for (int k = 0; k < 2; k++) {
            struct evbuffer *out = bufferevent_get_output(pair[k][0]);
            size_t total = evbuffer_get_length(out);
            unsigned char *bytes = evbuffer_pullup(out, -1);
            size_t hl = n < 126 ? 2 : n <= 65535 ? 4 : 10;
            CHECK_INT(total, hl + n);
            CHECK_INT(bytes[0], 0x81); /* FIN, text, no RSV bits */
            uint64_t len = bytes[1] & 0x7f;
            CHECK_INT(bytes[1] & 0x80, 0); /* a server's frames are not masked */
            if (len == 126)
                len = (uint64_t)bytes[2] << 8 | bytes[3];
            else if (len == 127)
                for (int j = 0, l = (int)(len = 0); j < 8; j++, l++)
                    len = len << 8 | bytes[2 + j];
            CHECK_INT(len, n);
            CHECK(n == 0 || (bytes[hl] == 'x' && bytes[hl + n - 1] == 'x'));
            bufferevent_free(pair[k][0]); /* drops its reference: the last one frees the frame (ASan) */
            bufferevent_free(pair[k][1]);
        }
        free(body);
    }
    event_base_free(base);
}

/* 5. permessage-deflate: one compressed twin per frame, RSV1 set, whose
 * payload inflates (with the 00 00 ff ff the sender removed put back) to
 * the frame's own; short frames stay plain. */
static void test_deflate(void)
{
    static const size_t sizes[] = {100, FRAME_DEFLATE_MIN - 1, FRAME_DEFLATE_MIN, 5000, 400000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        char *body = malloc(n);
        for (size_t k = 0; k < n; k++) /* JSON-like, compressible, not all one byte */
            body[k] = "{\"name\":\"Shadowfax\",\"lat\":40.7491}"[k % 34] + (char)(k % 7 == 0);
        struct frame_builder b;
        frame_begin(&b, n);
        frame_add(&b, body, n);
        struct frame *f = frame_finish(&b);
        struct frame *z = frame_deflated(f);
        CHECK(z == frame_deflated(f)); /* built once */
        CHECK_INT(frame_is_deflated(f), 0);
        if (n < FRAME_DEFLATE_MIN) {
            CHECK(z == f);
        } else if (CHECK(z != f && frame_is_deflated(z))) {
            size_t wire = frame_wire_length(z);
            CHECK(wire < frame_wire_length(f) / 2);
            /* the header's length, then the payload inflated */
            struct event_base *base = event_base_new();
            struct bufferevent *pair[2];
            bufferevent_pair_new(base, 0, pair);
            frame_send(z, pair[0]);
            unsigned char *bytes = evbuffer_pullup(bufferevent_get_output(pair[0]), -1);
            CHECK_INT(bytes[0], 0xc1);
            size_t hl = (bytes[1] & 0x7f) == 126 ? 4 : (bytes[1] & 0x7f) == 127 ? 10 : 2;
            size_t zl = wire - hl;
            unsigned char *in = malloc(zl + 4), *out = malloc(n + 16);
            memcpy(in, bytes + hl, zl);
            memcpy(in + zl, "\x00\x00\xff\xff", 4);
            z_stream zs = {0};
            inflateInit2(&zs, -15);
            zs.next_in = in;
            zs.avail_in = (uInt)(zl + 4);
            zs.next_out = out;
            zs.avail_out = (uInt)(n + 16);
            int rc = inflate(&zs, Z_SYNC_FLUSH);
            CHECK(rc == Z_OK || rc == Z_STREAM_END);
            CHECK_INT(zs.total_out, n);
            CHECK(memcmp(out, body, n) == 0);
            inflateEnd(&zs);
            free(in);
            free(out);
            bufferevent_free(pair[0]);
            bufferevent_free(pair[1]);
            event_base_free(base);
        }
        frame_unref(f); /* frees its twin too (ASan) */
        free(body);
    }
    /* a snapshot is known by its type (the server lets it out before calling a client slow) */
    struct frame_builder b;
    frame_begin(&b, 64);
    const char *snap = "{\"type\":\"snapshot\",\"seq\":1,\"unicorns\":[]}";
    frame_adds(&b, snap);
    struct frame *f = frame_finish(&b);
    CHECK_INT(frame_is_snapshot(f), 1);
    CHECK_INT(frame_wire_length(f), 2 + strlen(snap));
    frame_unref(f);
    frame_begin(&b, 64);
    frame_adds(&b, "{\"type\":\"delta\"}");
    f = frame_finish(&b);
    CHECK_INT(frame_is_snapshot(f), 0);
    frame_unref(f);
    frame_cleanup();
}

TEST_MAIN("test_fanout", test_parse, test_intern, test_frames, test_wire, test_deflate)
