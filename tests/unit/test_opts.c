/* test_opts.c - table-driven option parsing: values, defaults, errors. */
#include "rf_opts.h"
#include "test.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>

struct cfg {
    const char *name;
    long long n;
    double ratio;
    int flag;
    long long wait_ms;
    const char *mode;
    struct rf_strlist props;
};

#define O(f) offsetof(struct cfg, f)
static const struct rf_opt opts[] = {
    {"name", 'N', RF_OPT_STRING, "anon", O(name), "NAME", "a name"},
    {"n", 0, RF_OPT_INT, "3", O(n), "N", "a count", 1, 10},
    {"ratio", 0, RF_OPT_DOUBLE, "0.5", O(ratio), "F", "a share", 0, 1},
    {"flag", 'f', RF_OPT_FLAG, NULL, O(flag), NULL, "a flag"},
    {"wait", 0, RF_OPT_DURATION, "2s", O(wait_ms), "TIME", "a duration"},
    {"mode", 0, RF_OPT_STRING, "a", O(mode), "M", "a choice", 0, 0, "a|b"},
    {"X", 'X', RF_OPT_LIST, NULL, O(props), "K=V", "pass-through"},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};
static const struct rf_cmd cmd = {.program = "t", .summary = "test", .opts = opts};

static const struct {
    const char *args[6];
    int rc;
    const char *name;
    long long n;
    int flag;
    long long wait_ms;
    int nprops;
} table[] = {
    {{NULL}, RF_OPTS_OK, "anon", 3, 0, 2000, 0},
    {{"--name", "x", "--n=7", NULL}, RF_OPTS_OK, "x", 7, 0, 2000, 0},
    {{"-Nshort", "-f", "--wait", "250ms", NULL}, RF_OPTS_OK, "short", 3, 1, 250, 0},
    {{"--flag", "--no-flag", "--wait=1.5m", NULL}, RF_OPTS_OK, "anon", 3, 0, 90000, 0},
    {{"-X", "a=1", "-Xb=2", "--X", "c=3", NULL}, RF_OPTS_OK, "anon", 3, 0, 2000, 3},
    {{"--help", NULL}, RF_OPTS_EXIT, NULL, 0, 0, 0, 0},
    {{"--bogus", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"-q", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--n", "11", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--n", "x", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--ratio", "1.5", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--wait", "soon", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--mode", "c", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--name", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--flag=1", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"positional", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
    {{"--log-level", "loud", NULL}, RF_OPTS_ERROR, NULL, 0, 0, 0, 0},
};

static void test_table(void)
{
    /* Usage text goes to stdout/stderr; silence it for the table. */
    FILE *saved_out = stdout, *saved_err = stderr;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        char *argv[8] = {"t"};
        int argc = 1;
        for (int k = 0; table[i].args[k]; k++)
            argv[argc++] = (char *)table[i].args[k];
        struct cfg c;
        int first;
        stdout = stderr = fopen("/dev/null", "w");
        int rc = rf_opts_parse(&cmd, &c, argc, argv, &first);
        fclose(stdout);
        stdout = saved_out;
        stderr = saved_err;
        if (!CHECK(rc == table[i].rc))
            fprintf(stderr, "  row %zu: rc %d, expected %d\n", i, rc, table[i].rc);
        if (rc == RF_OPTS_OK) {
            CHECK_STR(c.name, table[i].name);
            CHECK_INT(c.n, table[i].n);
            CHECK_INT(c.flag, table[i].flag);
            CHECK_INT(c.wait_ms, table[i].wait_ms);
            CHECK_INT(c.props.n, table[i].nprops);
        }
        if (rc != RF_OPTS_EXIT)
            rf_opts_free(&cmd, &c);
    }
}

static void test_durations(void)
{
    long long ms;
    CHECK(rf_parse_duration_ms("10", &ms) == 0 && ms == 10000);
    CHECK(rf_parse_duration_ms("2h", &ms) == 0 && ms == 7200000);
    CHECK(rf_parse_duration_ms("-1s", &ms) == -1);
    CHECK(rf_parse_duration_ms("1d", &ms) == -1);
}

static void test_usage_lists_every_option(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rf_opts_usage(&cmd, f);
    fclose(f);
    for (const struct rf_opt *o = opts; o->name; o++) {
        char want[64];
        snprintf(want, sizeof want, o->name[1] ? "--%s" : "-%s", o->name);
        CHECK(strstr(buf, want) != NULL);
    }
    CHECK(strstr(buf, "[default: 2s]") != NULL);
    CHECK(strstr(buf, "(a|b)") != NULL);
    free(buf);
}

TEST_MAIN("test_opts", test_table, test_durations, test_usage_lists_every_option)
