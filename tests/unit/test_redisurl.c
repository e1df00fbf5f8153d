/* test_redisurl.c - Redis URLs: what each form means, and what is refused
 * (never echoing a password). Connecting is tested against a real Redis
 * with a password in tests/integration/18_sink_backends.sh. */
#include "rf_redisurl.h"
#include "test.h"

static void test_forms(void)
{
    static const struct {
        const char *url;
        const char *host;
        int port, db;
        const char *user, *password, *shown;
    } ok[] = {
        {"redis://127.0.0.1:6379", "127.0.0.1", 6379, 0, "", "", "redis://127.0.0.1:6379/0"},
        {"redis://cache", "cache", 6379, 0, "", "", "redis://cache:6379/0"},
        {"redis://cache/3", "cache", 6379, 3, "", "", "redis://cache:6379/3"},
        {"redis://cache:7000/", "cache", 7000, 0, "", "", "redis://cache:7000/0"},
        {"redis://:s3cret@cache:7000/2", "cache", 7000, 2, "", "s3cret", "redis://:***@cache:7000/2"},
        {"redis://fleet:p%40ss%3Aw@10.0.0.5", "10.0.0.5", 6379, 0, "fleet", "p@ss:w", "redis://fleet:***@10.0.0.5:6379/0"},
        {"rediss://cache:6380", "cache", 6380, 0, "", "", "rediss://cache:6380/0"},
        {"rediss://:pw@cache/4?cacert=/etc/ca%20bundle.pem", "cache", 6379, 4, "", "pw", "rediss://:***@cache:6379/4"},
        {"rediss://cache?cacert=ca.pem&cert=me.pem&key=me.key", "cache", 6379, 0, "", "", "rediss://cache:6379/0"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        struct rf_redisurl u;
        char err[512] = "";
        if (!CHECK(rf_redisurl_parse(ok[i].url, &u, err, sizeof err) == 0)) {
            fprintf(stderr, "  %s: %s\n", ok[i].url, err);
            continue;
        }
        CHECK_STR(u.host, ok[i].host);
        CHECK_INT(u.port, ok[i].port);
        CHECK_INT(u.db, ok[i].db);
        CHECK_STR(u.user, ok[i].user);
        CHECK_STR(u.password, ok[i].password);
        CHECK_STR(u.shown, ok[i].shown);
        CHECK_INT(u.tls, strncmp(ok[i].url, "rediss:", 7) == 0);
    }
    struct rf_redisurl u;
    char err[512] = "";
    CHECK(rf_redisurl_parse("rediss://:pw@cache/4?cacert=/etc/ca%20bundle.pem", &u, err, sizeof err) == 0);
    CHECK_STR(u.cacert, "/etc/ca bundle.pem");
    CHECK_STR(u.cert, "");
    CHECK(rf_redisurl_parse("rediss://cache?cacert=ca.pem&cert=me.pem&key=me.key", &u, err, sizeof err) == 0);
    CHECK_STR(u.cacert, "ca.pem");
    CHECK_STR(u.cert, "me.pem");
    CHECK_STR(u.key, "me.key");
}

static void test_refused(void)
{
    static const struct {
        const char *url, *says;
    } bad[] = {
        {"http://cache:6379", "expected redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]"},
        {"redis://", "expected redis[s]://"},
        {"redis://cache:0", "expected redis[s]://"},
        {"redis://cache:99999", "expected redis[s]://"},
        {"redis://cache:12x", "expected redis[s]://"},
        {"redis://cache/db1", "expected redis[s]://"},
        {"redis://:bad%4@cache", "expected redis[s]://"},
        {"rediss://:pw@", "expected redis[s]://"},
        {"redis://onlyuser@cache", "a user without a password"},
        {"redis://:pw@cache?cacert=ca.pem", "redis://:***@cache:6379/0: options after '?' are for rediss:// (TLS) only"},
        {"rediss://:pw@cache?verify=no", "unknown or empty option 'verify=no'"},
        {"rediss://:pw@cache?cacert=", "unknown or empty option 'cacert='"},
        {"rediss://:pw@cache?key=me.key", "key= without cert="},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct rf_redisurl u;
        char err[512] = "";
        CHECK_INT(rf_redisurl_parse(bad[i].url, &u, err, sizeof err), -1);
        if (!CHECK(strstr(err, bad[i].says) != NULL))
            fprintf(stderr, "  %s: said '%s'\n", bad[i].url, err);
        CHECK(strstr(err, "pw@") == NULL && strstr(err, ":bad%4") == NULL); /* no password echoed */
    }
    /* a URL with a password that does not parse is reported without it */
    struct rf_redisurl u;
    char err[512] = "";
    CHECK_INT(rf_redisurl_parse("redis://:topsecret@cache:bad", &u, err, sizeof err), -1);
    CHECK(strstr(err, "topsecret") == NULL);
}

TEST_MAIN("test_redisurl", test_forms, test_refused)
