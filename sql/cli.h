/* cli.h - `bin/sql`: one query over the archive, printed as a table, CSV or JSON. */
#ifndef CLI_H
#define CLI_H

#include "rf_opts.h"

struct sql_cli_config {
    const char *archive; /* file:///dir, a path, or s3://bucket/prefix */
    const char *endpoint; /* S3 endpoint URL, or NULL (AWS_ENDPOINT_URL, else AWS) */
    int no_prune;        /* read every object, whatever the WHERE says about the time */
    const char *format;  /* table|csv|json */
    const char *file;    /* --file: read the query from here ("-" = stdin) */
    int stats;
    int skip_bad;
    long long threads;   /* decompression threads; 0 = one per core */
    const char *query;   /* the positional argument, or NULL */
    int interactive;     /* a prompt on standard input */
};

/* Run the query. Returns the exit code: 0; 1 on a run-time failure (missing
 * archive, unreadable object, a bad record without --skip-bad); 2 for a bad
 * query (printed with line, column and caret). */
int sql_cli_run(const struct sql_cli_config *cfg);

/* The prompt: read statements ending with ';' from standard input and run
 * each (a bad query is reported and the prompt goes on); "\q", "quit" or
 * end of input leaves. Returns 0, or 1 if the last query failed. */
int sql_cli_prompt(const struct sql_cli_config *cfg);

#endif
