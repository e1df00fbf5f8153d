/* cli.c - `bin/sql`: compile the query, scan the archive objects of its FROM
 * topic, feed every record to the query, print the result (see cli.h). */
#include "cli.h"
#include "archive.h"
#include "result.h"
#include "rf_file.h"
#include "rf_log.h"
#include "rf_signal.h"
#include "rf_time.h"
#include "sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT_COLUMNS 256 /* input columns one query may read */

struct scan {
    struct sql_query *q;
    const char *object;
    int time_col;        /* pruning: the input column of the event time, else -1 */
    int64_t hour;        /* pruning: the hour the object is filed under */
    int skip_bad;
    long long rows, bad, mismatches;
    int failed;
    struct sql_error err;
    char msg[512];
};

/* The source's schema: the built-in ones by name, else what the archive
 * says of itself (archive_schema), kept for the run. Without one (no
 * archive yet), an open schema: the scan then says what is missing. */
static const struct sql_cli_config *run_cfg;
static struct sql_schema *run_schema;
static char run_schema_how[128];

static const struct sql_schema *lookup(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, "wildrydes") == 0 || strcmp(name, "wildrydes-summary") == 0)
        return sql_schema_for_topic(name);
    if (run_schema && strcmp(run_schema->name, name) == 0)
        return run_schema;
    sql_schema_free(run_schema);
    char err[512];
    if (!(run_schema = archive_schema(run_cfg->archive, run_cfg->endpoint, name, run_schema_how,
                                      sizeof run_schema_how, err, sizeof err))) {
        rf_debug("%s", err);
        return sql_schema_for_topic(name);
    }
    rf_debug("columns of '%s': %s", name, run_schema_how);
    return run_schema;
}

static int on_line(void *arg, const char *text, size_t len, long lineno)
{
    struct scan *s = arg;
    struct sql_value row[MAX_INPUT_COLUMNS];
    struct sql_row_source src;
    char reason[256];
    if (!rf_running())
        return 1;
    s->rows++;
    /* sql_cli_run refused queries reading more than MAX_INPUT_COLUMNS columns. */
    if (sql_row_from_json(sql_query_columns(s->q), sql_query_ncolumns(s->q), sql_query_schema(s->q), text, len, row,
                          &src, reason, sizeof reason) < 0) {
        sql_row_release(&src);
        s->bad++;
        if (s->skip_bad)
            return 0;
        snprintf(s->msg, sizeof s->msg, "%s: line %ld: %s (use --skip-bad to count such records and go on)",
                 s->object, lineno, reason);
        return -1;
    }
    /* Pruning skipped objects by their hour: prove that was safe by checking
     * that the objects read keep the invariant (archive.h). */
    if (s->time_col >= 0 && s->hour >= 0 && row[s->time_col].type == SQL_TIMESTAMP &&
        (row[s->time_col].u.ts < s->hour || row[s->time_col].u.ts >= s->hour + 3600000)) {
        sql_row_release(&src);
        snprintf(s->msg, sizeof s->msg,
                 "%s: line %ld: an event outside the object's hour: this archive is not partitioned by event "
                 "time, so skipping objects by hour is unsafe (use --no-prune)",
                 s->object, lineno);
        return -1;
    }
    s->mismatches += src.mismatches;
    int rc = sql_query_add(s->q, row, &s->err);
    sql_row_release(&src);
    if (rc < 0) {
        snprintf(s->msg, sizeof s->msg, "%s: line %ld: %s", s->object, lineno, s->err.msg);
        return -1;
    }
    return rc == 0 ? 1 : 0; /* LIMIT reached: stop reading */
}

/* Feed every line of an object to the query. 0, 1 (LIMIT reached), -1 (s->msg). */
static int scan_lines(struct scan *s, const char *data, size_t len)
{
    long lineno = 0;
    for (const char *p = data, *end = data + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        size_t k = n;
        while (k > 0 && p[k - 1] == '\r')
            k--;
        if (k > 0) {
            int r = on_line(s, p, k, lineno);
            if (r != 0)
                return r;
        }
        p += n + 1;
    }
    return 0;
}

int sql_cli_run(const struct sql_cli_config *c)
{
    char *owned = NULL;
    const char *text = c->query;
    if (c->file) {
        char err[512];
        if (!(text = owned = rf_read_file(c->file, err, sizeof err))) {
            rf_error("--file: %s", err);
            return 1;
        }
    }
    int rc = 1;
    char **objects = NULL;
    int nobjects = 0;
    struct result_writer *w = NULL;
    struct sql_error err;
    struct scan s = {0};
    enum result_format fmt = strcmp(c->format, "csv") == 0 ? RESULT_CSV
                             : strcmp(c->format, "json") == 0 ? RESULT_JSON
                                                              : RESULT_TABLE;
    run_cfg = c;
    s.q = sql_query_compile(text, lookup, &err);
    if (!s.q) {
        char msg[2048];
        sql_error_format(text, &err, msg, sizeof msg);
        fprintf(stderr, "sql: %s\n", msg);
        rc = 2;
        goto out;
    }
    if (sql_query_ncolumns(s.q) > MAX_INPUT_COLUMNS) {
        fprintf(stderr, "sql: the query reads %d columns; at most %d are supported\n", sql_query_ncolumns(s.q),
                MAX_INPUT_COLUMNS);
        rc = 2;
        goto out;
    }
    if (!sql_query_source(s.q)) {
        fprintf(stderr, "sql: the query needs FROM <topic> (e.g. FROM wildrydes) to know what to read\n");
        rc = 2;
        goto out;
    }
    char errbuf[512];
    if (archive_list(c->archive, c->endpoint, sql_query_source(s.q), &objects, &nobjects, errbuf, sizeof errbuf) < 0) {
        rf_error("%s", errbuf);
        goto out;
    }
    /* Partition pruning: drop the objects whose hour lies outside the
     * WHERE's bounds on the event time (see archive.h for why that is safe). */
    int64_t lo, hi;
    int listed = nobjects, skipped = 0;
    s.time_col = -1;
    if (!c->no_prune && sql_query_time_bounds(s.q, &lo, &hi) && !archive_by_event_time())
        rf_debug("not pruning: the archive has no %s marker (its objects may straddle hours)", ARCHIVE_BY_EVENT_TIME);
    else if (!c->no_prune && sql_query_time_bounds(s.q, &lo, &hi)) {
        const char *tcol = sql_query_schema(s.q)->time_col;
        for (int i = 0; tcol && i < sql_query_ncolumns(s.q); i++)
            if (strcmp(sql_query_columns(s.q)[i], tcol) == 0)
                s.time_col = i;
        int kept = 0;
        for (int i = 0; i < nobjects; i++) {
            int64_t h = archive_object_hour(objects[i]);
            if (h >= 0 && (h + 3600000 <= lo || h > hi)) {
                free(objects[i]);
                skipped++;
            } else {
                objects[kept++] = objects[i];
            }
        }
        nobjects = kept;
    }
    static const char *const empty[1];
    int nres = sql_query_nresult(s.q);
    const char **names = malloc(sizeof *names * (size_t)(nres ? nres : 1));
    if (!names)
        goto out;
    for (int i = 0; i < nres; i++)
        names[i] = sql_query_result_name(s.q, i);
    w = result_writer_new(fmt, stdout, nres ? names : empty, nres);
    if (!w) {
        free(names);
        goto out;
    }
    sql_query_set_output(s.q, result_writer_row, w);
    s.skip_bad = c->skip_bad;

    int64_t t0 = rf_time_mono_ns();
    int read = 0;
    int threads = c->threads > 0 ? (int)c->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    struct archive_prefetch *pf = archive_prefetch_start(objects, nobjects, threads < 1 ? 1 : threads,
                                                         2 * (threads < 1 ? 1 : threads), errbuf, sizeof errbuf);
    if (!pf) {
        rf_error("%s", errbuf);
        free(names);
        goto out;
    }
    const char *data;
    size_t len;
    int index, got;
    while (rf_running() && (got = archive_prefetch_next(pf, &data, &len, &index, errbuf, sizeof errbuf)) == 1) {
        s.object = objects[index];
        s.hour = s.time_col >= 0 ? archive_object_hour(objects[index]) : -1;
        read++;
        int r = scan_lines(&s, data, len);
        if (r < 0) {
            rf_error("%s", s.msg);
            archive_prefetch_stop(pf);
            free(names);
            goto out;
        }
        if (r == 1)
            break; /* enough rows */
    }
    archive_prefetch_stop(pf);
    if (got < 0) {
        rf_error("%s", errbuf);
        free(names);
        goto out;
    }
    if (sql_query_finish(s.q, &err) < 0) {
        rf_error("%s", err.msg[0] ? err.msg : "writing the result failed");
        free(names);
        goto out;
    }
    if (result_writer_finish(w) < 0) {
        rf_error("writing the result: %s", strerror(errno));
        free(names);
        goto out;
    }
    if (c->stats)
        fprintf(stderr, "sql: %d of %d objects read, %d skipped, %lld records scanned, %lld bad, %lld rows out, %.3f s\n",
                read, listed, skipped, s.rows, s.bad, result_writer_rows(w), (double)(rf_time_mono_ns() - t0) / 1e9);
    if (s.bad && c->skip_bad)
        rf_warn("%lld records could not be read and were skipped", s.bad);
    if (s.mismatches) /* never a silent change of meaning */
        rf_warn("%lld values did not fit their column's type (%s) and were read as NULL", s.mismatches,
                run_schema ? run_schema_how : "declared");
    free(names);
    rc = 0;
out:
    result_writer_free(w);
    archive_free_list(objects, nobjects);
    sql_query_free(s.q);
    sql_schema_free(run_schema);
    run_schema = NULL;
    free(owned);
    return rc;
}

int sql_cli_prompt(const struct sql_cli_config *cfg)
{
    int tty = isatty(STDIN_FILENO);
    if (tty)
        fprintf(stderr, "rydeflow sql over %s: end each query with ';', \\q to leave.\n", cfg->archive);
    char *line = NULL, *stmt = NULL;
    size_t cap = 0, len = 0;
    int rc = 0;
    for (;;) {
        if (tty) {
            fputs(len ? "   -> " : "sql> ", stderr);
            fflush(stderr);
        }
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0 || !rf_running())
            break;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!len && (strncmp(p, "\\q", 2) == 0 || strncmp(p, "quit", 4) == 0 || strncmp(p, "exit", 4) == 0))
            break;
        char *ns = realloc(stmt, len + (size_t)n + 1);
        if (!ns) {
            rc = 1;
            break;
        }
        stmt = ns;
        memcpy(stmt + len, line, (size_t)n + 1);
        len += (size_t)n;
        size_t end = len;
        while (end > 0 && (stmt[end - 1] == '\n' || stmt[end - 1] == ' ' || stmt[end - 1] == '\t' ||
                           stmt[end - 1] == '\r'))
            end--;
        if (end == 0) {
            len = 0;
            continue;
        }
        if (stmt[end - 1] != ';')
            continue; /* the statement goes on */
        stmt[end] = '\0';
        struct sql_cli_config one = *cfg;
        one.query = stmt;
        one.file = NULL;
        one.interactive = 0;
        rc = sql_cli_run(&one) != 0;
        fflush(stdout);
        len = 0;
    }
    if (tty)
        fputc('\n', stderr);
    free(line);
    free(stmt);
    return rc;
}
