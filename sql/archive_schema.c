/* archive_schema.c - what an archive's records look like (see archive.h):
 * the schema file its writer left beside the objects, else a schema
 * inferred from a sample of its first objects. */
#include "archive.h"
#include "rf_log.h"
#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_RECORDS 20480 /* as many as DuckDB's read_json_auto samples */

/* The schema file's path beside the topic's objects. */
static void schema_path(const char *url, const char *topic, char *out, size_t len)
{
    const char *root = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    snprintf(out, len, "%.*s/%s/%s", (int)n, root, topic, SQL_SCHEMA_FILE);
}

static struct sql_schema *infer(char **objects, int n, const char *topic, char *how, size_t howlen, char *err,
                                size_t errlen)
{
    struct sql_infer *in = sql_infer_new();
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n && sql_infer_records(in) < SAMPLE_RECORDS; i++) {
        char *data;
        size_t len;
        if (archive_load(objects[i], &data, &len, err, errlen) < 0) {
            sql_infer_free(in);
            return NULL;
        }
        for (const char *p = data, *end = data + len; p < end && sql_infer_records(in) < SAMPLE_RECORDS;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (k > 0)
                sql_infer_line(in, p, k); /* a bad line is skipped here: the scan reports it */
            p += k + 1;
        }
        free(data);
    }
    struct sql_schema *s = NULL;
    if (sql_infer_records(in) == 0)
        snprintf(err, errlen, "no records to infer the columns of '%s' from", topic);
    else if (!(s = sql_infer_schema(in, topic)))
        snprintf(err, errlen, "out of memory");
    else
        snprintf(how, howlen, "inferred from %lld records", sql_infer_records(in));
    sql_infer_free(in);
    return s;
}

struct sql_schema *archive_schema(const char *url, const char *endpoint, const char *topic, char *how,
                                  size_t howlen, char *err, size_t errlen)
{
    char **objects;
    int n;
    if (archive_list(url, endpoint, topic, &objects, &n, err, errlen) < 0)
        return NULL;
    char path[4096], ferr[512];
    schema_path(url, topic, path, sizeof path);
    char *text;
    size_t len;
    struct sql_schema *s = NULL;
    if (archive_load(path, &text, &len, ferr, sizeof ferr) == 0) {
        s = sql_schema_from_json(topic, text, len, err, errlen);
        free(text);
        if (!s) { /* a broken schema file is the writer's bug: say so rather than guess */
            char why[512];
            snprintf(why, sizeof why, "%s", err);
            snprintf(err, errlen, "%s: %s", path, why);
        } else {
            snprintf(how, howlen, "from %s", SQL_SCHEMA_FILE);
        }
    } else {
        rf_debug("no schema file (%s): inferring the columns", ferr);
        s = infer(objects, n, topic, how, howlen, err, errlen);
    }
    archive_free_list(objects, n);
    return s;
}
