/* rf_opts.c - table-driven option parsing and --help (see rf_opts.h). */
#include "rf_opts.h"
#include "rf_log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int check_only; /* --check-config was given */

#define FIELD(cfg, o, T) ((T *)((char *)(cfg) + (o)->offset))

int rf_parse_duration_ms(const char *text, long long *ms)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    double mult;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return -1;
    if (v * mult > 9e15)
        return -1;
    *ms = llround(v * mult);
    return 0;
}

static int in_choices(const char *choices, const char *value)
{
    size_t len = strlen(value);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

/* Store one textual value into its field. Returns 0 or -1 with err filled. */
static int set_value(const struct rf_opt *o, void *cfg, const char *value, char *err, size_t errlen)
{
    char *end;
    switch (o->type) {
    case RF_OPT_STRING:
        if (o->choices && !in_choices(o->choices, value)) {
            snprintf(err, errlen, "--%s: '%s' is not one of %s", o->name, value, o->choices);
            return -1;
        }
        *FIELD(cfg, o, const char *) = value;
        return 0;
    case RF_OPT_INT: {
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno) {
            snprintf(err, errlen, "--%s: '%s' is not an integer", o->name, value);
            return -1;
        }
        if (o->max > o->min && (v < o->min || v > o->max)) {
            snprintf(err, errlen, "--%s: %lld is out of range [%.0f, %.0f]", o->name, v, o->min, o->max);
            return -1;
        }
        *FIELD(cfg, o, long long) = v;
        return 0;
    }
    case RF_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v)) {
            snprintf(err, errlen, "--%s: '%s' is not a number", o->name, value);
            return -1;
        }
        if (o->max > o->min && (v < o->min || v > o->max)) {
            snprintf(err, errlen, "--%s: %g is out of range [%g, %g]", o->name, v, o->min, o->max);
            return -1;
        }
        *FIELD(cfg, o, double) = v;
        return 0;
    }
    case RF_OPT_DURATION: {
        long long ms;
        if (rf_parse_duration_ms(value, &ms) < 0) {
            snprintf(err, errlen, "--%s: '%s' is not a duration (e.g. 500ms, 10s, 5m, 1h)", o->name, value);
            return -1;
        }
        if (o->max > o->min && (ms < o->min || ms > o->max)) {
            snprintf(err, errlen, "--%s: %s is out of range", o->name, value);
            return -1;
        }
        *FIELD(cfg, o, long long) = ms;
        return 0;
    }
    case RF_OPT_FLAG:
        *FIELD(cfg, o, int) = (strcmp(value, "1") == 0 || strcmp(value, "true") == 0);
        return 0;
    case RF_OPT_LIST: {
        struct rf_strlist *l = FIELD(cfg, o, struct rf_strlist);
        const char **nv = realloc(l->v, sizeof *nv * (size_t)(l->n + 1));
        if (!nv) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        l->v = nv;
        l->v[l->n++] = value;
        return 0;
    }
    }
    return -1;
}

static const struct rf_opt *find_long(const struct rf_cmd *cmd, const char *name, size_t len)
{
    for (const struct rf_opt *o = cmd->opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const struct rf_opt *find_short(const struct rf_cmd *cmd, char c)
{
    for (const struct rf_opt *o = cmd->opts; o->name; o++)
        if (o->short_name == c)
            return o;
    return NULL;
}

static int fail(const struct rf_cmd *cmd, const char *msg)
{
    return rf_opts_fail(cmd, "%s", msg);
}

int rf_opts_fail(const struct rf_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cmd->program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n");
    rf_opts_usage(cmd, stderr);
    return RF_OPTS_ERROR;
}

int rf_opts_parse(const struct rf_cmd *cmd, void *cfg, int argc, char **argv, int *first_arg)
{
    char err[512];
    for (const struct rf_opt *o = cmd->opts; o->name; o++) {
        /* Every field starts zeroed (NULL, 0, empty list), then takes its default. */
        switch (o->type) {
        case RF_OPT_STRING:
            *FIELD(cfg, o, const char *) = NULL;
            break;
        case RF_OPT_INT:
        case RF_OPT_DURATION:
            *FIELD(cfg, o, long long) = 0;
            break;
        case RF_OPT_DOUBLE:
            *FIELD(cfg, o, double) = 0;
            break;
        case RF_OPT_FLAG:
            *FIELD(cfg, o, int) = 0;
            break;
        case RF_OPT_LIST:
            memset(FIELD(cfg, o, struct rf_strlist), 0, sizeof(struct rf_strlist));
            break;
        }
        if (o->def && set_value(o, cfg, o->def, err, sizeof err) < 0)
            return fail(cmd, err); /* a bad default is a programming error; still no crash */
    }

    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const struct rf_opt *o = NULL;
        const char *value = NULL;
        char label[128];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            rf_opts_usage(cmd, stdout);
            return RF_OPTS_EXIT;
        }
        if (a[0] != '-' || a[1] == '\0')
            break; /* first positional argument */

        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (len == 12 && strncmp(name, "check-config", 12) == 0 && !eq) {
                check_only = 1;
                continue;
            }
            if (len == 9 && strncmp(name, "log-level", 9) == 0) {
                const char *lv = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!lv || rf_log_set_level_name(lv) < 0)
                    return fail(cmd, "--log-level: expected debug, info, warn or error");
                continue;
            }
            o = find_long(cmd, name, len);
            if (!o && len > 3 && strncmp(name, "no-", 3) == 0) {
                const struct rf_opt *f = find_long(cmd, name + 3, len - 3);
                if (f && f->type == RF_OPT_FLAG && !eq) {
                    *FIELD(cfg, f, int) = 0;
                    continue;
                }
            }
            if (!o) {
                snprintf(err, sizeof err, "unknown option '--%.*s'", (int)len, name);
                return fail(cmd, err);
            }
            snprintf(label, sizeof label, "--%s", o->name);
            if (eq)
                value = eq + 1;
        } else {
            o = find_short(cmd, a[1]);
            if (!o) {
                snprintf(err, sizeof err, "unknown option '-%c'", a[1]);
                return fail(cmd, err);
            }
            snprintf(label, sizeof label, "-%c", a[1]);
            if (a[2])
                value = a + 2;
        }

        if (o->type == RF_OPT_FLAG) {
            if (value) {
                snprintf(err, sizeof err, "%s takes no value", label);
                return fail(cmd, err);
            }
            *FIELD(cfg, o, int) = 1;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) {
                snprintf(err, sizeof err, "%s needs a value (%s)", label, o->metavar ? o->metavar : "VALUE");
                return fail(cmd, err);
            }
            value = argv[++i];
        }
        if (set_value(o, cfg, value, err, sizeof err) < 0)
            return fail(cmd, err);
    }
    if (i < argc && !cmd->args) {
        snprintf(err, sizeof err, "unexpected argument '%s'", argv[i]);
        return fail(cmd, err);
    }
    *first_arg = i;
    return RF_OPTS_OK;
}

void rf_opts_free(const struct rf_cmd *cmd, void *cfg)
{
    for (const struct rf_opt *o = cmd->opts; o->name; o++) {
        if (o->type == RF_OPT_LIST) {
            struct rf_strlist *l = FIELD(cfg, o, struct rf_strlist);
            free(l->v);
            l->v = NULL;
            l->n = 0;
        }
    }
}

void rf_opts_usage(const struct rf_cmd *cmd, FILE *out)
{
    fprintf(out, "Usage: %s [OPTIONS]%s%s\n%s\n\nOptions:\n", cmd->program, cmd->args ? " " : "",
            cmd->args ? cmd->args : "", cmd->summary);
    for (const struct rf_opt *o = cmd->opts; o->name; o++) {
        char left[96];
        int n = 0;
        if (o->short_name && o->name[1] == '\0')
            n = snprintf(left, sizeof left, "  -%c", o->short_name); /* -X: kcat style, no long form shown */
        else if (o->short_name)
            n = snprintf(left, sizeof left, "  -%c, --%s", o->short_name, o->name);
        else
            n = snprintf(left, sizeof left, "      --%s", o->name);
        if (o->type != RF_OPT_FLAG && n > 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar ? o->metavar : "VALUE");
        fprintf(out, "%-34s %s", left, o->help);
        if (o->choices)
            fprintf(out, " (%s)", o->choices);
        if (o->def && o->type != RF_OPT_FLAG && !strstr(o->help, "[default:"))
            fprintf(out, " [default: %s]", o->def);
        if (o->type == RF_OPT_LIST)
            fprintf(out, " (repeatable)");
        fputc('\n', out);
    }
    fprintf(out, "%-34s %s\n", "      --log-level LEVEL", "debug|info|warn|error [default: info]");
    fprintf(out, "%-34s %s\n", "      --check-config",
            "check every option and input file, say what would run, exit 0 (or 2); connects to nothing");
    fprintf(out, "%-34s %s\n", "  -h, --help", "show this help and exit");
    if (cmd->epilog)
        fprintf(out, "\n%s", cmd->epilog);
}

int rf_opts_check_only(void) { return check_only; }

int rf_opts_checked(const struct rf_cmd *cmd, const char *what)
{
    printf("%s: configuration ok: %s\n", cmd->program, what);
    return 0;
}

int rf_opts_main(const struct rf_cmd *cmd, void *cfg, int argc, char **argv, int *first_arg)
{
    rf_log_init(cmd->program);
    int rc = rf_opts_parse(cmd, cfg, argc, argv, first_arg);
    return rc == RF_OPTS_OK ? -1 : rc == RF_OPTS_EXIT ? 0 : 2;
}
