/* rf_opts.h - command-line options declared once in a table.
 *
 * Each program describes its options in one array of struct rf_opt (name,
 * type, default, offsetof the field in the program's config struct, help).
 * From that table come the defaults, parsing, validation and --help, so the
 * three can never disagree (Fluent Bit's config-map idea).
 *
 * Accepted forms: --name VALUE, --name=VALUE, -s VALUE, -sVALUE, and for
 * flags --name / --no-name. "--" ends options. -h/--help and --log-level are
 * built in. Bad input never exits: the parser prints what is wrong plus the
 * usage to stderr and returns RF_OPTS_ERROR; main() then exits with 2. */
#ifndef RF_OPTS_H
#define RF_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum rf_opt_type {
    RF_OPT_STRING,   /* const char * (borrowed from argv or the default literal) */
    RF_OPT_INT,      /* long long; min/max checked when max > min */
    RF_OPT_DOUBLE,   /* double; min/max checked when max > min */
    RF_OPT_FLAG,     /* int 0/1; takes no value */
    RF_OPT_DURATION, /* long long milliseconds; "250ms", "10s", "5m", "2h"; bare = seconds */
    RF_OPT_LIST,     /* struct rf_strlist; repeatable, each occurrence appended */
};

/* A repeatable option's values. Strings are borrowed from argv; the array is
 * owned by the config and released by rf_opts_free(). */
struct rf_strlist {
    const char **v;
    int n;
};

struct rf_opt {
    const char *name;      /* long name, without "--" */
    char short_name;       /* 0 for none */
    enum rf_opt_type type;
    const char *def;       /* default as text (parsed like a command-line value), or NULL */
    size_t offset;         /* offsetof(config struct, field) */
    const char *metavar;   /* shown in --help, e.g. "N" or "HOST:PORT,..." */
    const char *help;      /* one line */
    double min, max;       /* numeric range (inclusive), checked when max > min */
    const char *choices;   /* for RF_OPT_STRING: "a|b|c" restricts values, or NULL */
};

struct rf_cmd {
    const char *program;   /* "producer" */
    const char *summary;   /* one line: what the program does */
    const char *args;      /* positional arguments shown in usage, or NULL for none */
    const struct rf_opt *opts; /* terminated by an entry with name == NULL */
    const char *epilog;    /* examples printed after the options, or NULL */
};

/* The options every Kafka client program shares, for its option table. The
 * config struct T needs the fields brokers, timeout_ms, metrics, progress and
 * props (the -X list). */
#define RF_OPTS_KAFKA_CLIENT(T)                                                                                      \
    {"brokers", 'b', RF_OPT_STRING, "127.0.0.1:9092", offsetof(T, brokers), "HOST:PORT,...",                         \
     "Kafka bootstrap servers"},                                                                                     \
    {"timeout", 0, RF_OPT_DURATION, "10s", offsetof(T, timeout_ms), "TIME", "how long to wait for Kafka at start-up"}, \
    {"metrics", 0, RF_OPT_STRING, NULL, offsetof(T, metrics), "HOST:PORT", "serve Prometheus metrics on HOST:PORT"},   \
    {"progress", 0, RF_OPT_STRING, "auto", offsetof(T, progress), "WHEN", "show progress and rate on stderr", 0, 0,  \
     "auto|on|off"},                                                                                                 \
    {"X", 'X', RF_OPT_LIST, NULL, offsetof(T, props), "KEY=VALUE", "librdkafka property, passed through"}

enum { RF_OPTS_OK = 0, RF_OPTS_EXIT = 1, RF_OPTS_ERROR = 2 };

/* Fill cfg from the defaults, then from argv. On RF_OPTS_OK *first_arg is the
 * index of the first positional argument (argc when none; positional args are
 * refused unless cmd->args is set). RF_OPTS_EXIT: --help was printed to stdout,
 * exit 0. RF_OPTS_ERROR: the problem and the usage went to stderr, exit 2. */
int rf_opts_parse(const struct rf_cmd *cmd, void *cfg, int argc, char **argv, int *first_arg);

/* Report a problem found after parsing (a bad combination of options): print
 * "<program>: <message>" and the usage to stderr. Returns RF_OPTS_ERROR, so
 * main() exits with 2. */
int rf_opts_fail(const struct rf_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The start of every main(): name the program for logging, then parse.
 * Returns -1 to go on, or the exit code to return at once (0 after --help,
 * 2 after a bad command line). */
int rf_opts_main(const struct rf_cmd *cmd, void *cfg, int argc, char **argv, int *first_arg);

/* --check-config (built in, like --help): the program checks its options
 * and input files as for a run, connects to nothing and exits 0 (or 2 for a
 * bad command line). Used to validate deployments (compose.yaml) without
 * their servers. 1 if it was given. */
int rf_opts_check_only(void);
/* Print "<program>: configuration ok: <what>" to stdout; returns 0 (the exit
 * code). */
int rf_opts_checked(const struct rf_cmd *cmd, const char *what);
/* Release what parsing allocated in cfg (the rf_strlist arrays). */
void rf_opts_free(const struct rf_cmd *cmd, void *cfg);

/* Print the full --help text. */
void rf_opts_usage(const struct rf_cmd *cmd, FILE *out);

/* Parse a duration ("250ms", "10s", "5m", "2h", bare number = seconds) into
 * milliseconds. Returns 0, or -1 if the text is not a non-negative duration. */
int rf_parse_duration_ms(const char *text, long long *ms);

#endif
