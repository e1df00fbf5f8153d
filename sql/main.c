/* main.c - `sql`: ad-hoc queries over the archive, the Athena analogue. */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"

#define O(f) offsetof(struct sql_cli_config, f)
static const struct rf_opt options[] = {
    {"archive", 'a', RF_OPT_STRING, "file://archive", O(archive), "URL",
     "the archive root: file:///dir (or a path) or s3://bucket/prefix; FROM wildrydes reads <root>/wildrydes/"},
    {"endpoint", 0, RF_OPT_STRING, NULL, O(endpoint), "URL",
     "S3 endpoint for s3:// archives (default: AWS_ENDPOINT_URL, else AWS); credentials and region from "
     "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION"},
    {"no-prune", 0, RF_OPT_FLAG, NULL, O(no_prune), NULL,
     "read every object (by default objects whose hour cannot match the WHERE's time bounds are skipped)"},
    {"format", 'F', RF_OPT_STRING, "table", O(format), "FMT", "output format", 0, 0, "table|csv|json"},
    {"file", 'f', RF_OPT_STRING, NULL, O(file), "FILE", "read the query from FILE ('-' = standard input)"},
    {"stats", 0, RF_OPT_FLAG, NULL, O(stats), NULL, "print objects read, records scanned and the time on stderr"},
    {"skip-bad", 0, RF_OPT_FLAG, NULL, O(skip_bad), NULL,
     "count records that cannot be read and go on, instead of stopping at the first"},
    {"interactive", 'i', RF_OPT_FLAG, NULL, O(interactive), NULL,
     "a prompt: read queries ending with ';' one after another (the default when standard input is a terminal "
     "and no query is given)"},
    {"threads", 'j', RF_OPT_INT, "0", O(threads), "N", "threads that decompress objects (0 = one per core)", 0, 256},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "sql",
    .summary = "Run one query in rydeflow's SQL over the raw-event archive (like Athena over Firehose's S3).",
    .args = "[QUERY]",
    .opts = options,
    .epilog = "The query comes from the argument, --file, or standard input; with no query on a terminal,\n"
              "a prompt reads queries ending with ';' (\\q or Ctrl-D to leave). See docs/sql.md.\n"
              "Examples:\n"
              "  sql --archive file:///data/archive \"SELECT COUNT(*) FROM wildrydes\"\n"
              "  sql \"SELECT Name, SUM(Distance) FROM wildrydes GROUP BY Name ORDER BY 2 DESC\"\n"
              "  sql -F csv \"SELECT * FROM wildrydes WHERE HealthPoints < 100\"\n"
              "Exit status: 0 on success, 1 on failure, 2 for a bad command line or a bad query.\n",
};

int main(int argc, char **argv)
{
    struct sql_cli_config cfg = {0};
    int first;
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;
    if (first < argc)
        cfg.query = argv[first];
    const char *bad = NULL;
    if (argc - first > 1)
        bad = "give the query as one argument (quote it)";
    else if (cfg.query && cfg.file)
        bad = "give the query either as an argument or with --file, not both";
    else if (cfg.interactive && (cfg.query || cfg.file))
        bad = "--interactive reads queries from standard input: give no query argument or --file";
    else if (!cfg.query && !cfg.file) {
        if (isatty(STDIN_FILENO))
            cfg.interactive = 1;
        else if (!cfg.interactive)
            cfg.file = "-";
    }
    if (bad) {
        rf_opts_fail(&command, "%s", bad);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    rf_signal_install();
    int rc = cfg.interactive ? sql_cli_prompt(&cfg) : sql_cli_run(&cfg);
    rf_opts_free(&command, &cfg);
    return rc;
}
