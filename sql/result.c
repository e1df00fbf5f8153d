/* result.c - printing query results (see result.h). */
#include "result.h"
#include "rf_event.h"
#include "rf_json.h"
#include "rf_table.h"
#include "rf_time.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct result_writer {
    enum result_format fmt;
    FILE *out;
    const char *const *names;
    int n;
    long long rows;
    char **cells; /* table: every cell's text, row-major */
    size_t ncells, capcells;
};

struct result_writer *result_writer_new(enum result_format fmt, FILE *out, const char *const *names, int n)
{
    struct result_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->fmt = fmt;
    w->out = out;
    w->names = names;
    w->n = n;
    if (fmt == RESULT_CSV)
        rf_csv_line(out, names, n);
    return w;
}

int result_writer_row(void *writer, const struct sql_value *v, int n)
{
    struct result_writer *w = writer;
    char buf[64];
    size_t len;
    w->rows++;
    if (w->fmt == RESULT_TABLE) {
        if (w->ncells + (size_t)n > w->capcells) {
            size_t cap = w->capcells ? w->capcells * 2 : 1024;
            while (cap < w->ncells + (size_t)n)
                cap *= 2;
            char **nc = realloc(w->cells, sizeof *nc * cap);
            if (!nc)
                return -1;
            w->cells = nc;
            w->capcells = cap;
        }
        for (int i = 0; i < n; i++) {
            const char *t = sql_value_text(&v[i], buf, sizeof buf, &len);
            /* every output format is valid UTF-8, whatever the input held */
            if (!(w->cells[w->ncells++] = rf_utf8_valid(t, len) ? strndup(t, len) : rf_utf8_repair(t, len, &len)))
                return -1;
        }
        return 0;
    }
    if (w->fmt == RESULT_CSV) {
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', w->out);
            if (v[i].type != SQL_NULL) {
                const char *t = sql_value_text(&v[i], buf, sizeof buf, &len);
                char *fixed = rf_utf8_valid(t, len) ? NULL : rf_utf8_repair(t, len, &len);
                rf_csv_field(w->out, fixed ? fixed : t, len);
                free(fixed);
            }
        }
        fputc('\n', w->out);
        return ferror(w->out) ? -1 : 0;
    }
    sql_row_write_json(w->out, w->names, v, n);
    fputc('\n', w->out);
    return ferror(w->out) ? -1 : 0;
}

int result_writer_finish(struct result_writer *w)
{
    if (w->fmt == RESULT_TABLE && w->n > 0) {
        int *width = calloc((size_t)w->n, sizeof *width);
        if (!width)
            return -1;
        rf_table_fit(width, w->names, w->n);
        for (size_t i = 0; i < w->ncells; i += (size_t)w->n)
            rf_table_fit(width, (const char *const *)w->cells + i, w->n);
        rf_table_header(w->out, w->names, width, w->n);
        for (size_t i = 0; i < w->ncells; i += (size_t)w->n)
            rf_table_line(w->out, (const char *const *)w->cells + i, width, w->n);
        fprintf(w->out, "(%lld row%s)\n", w->rows, w->rows == 1 ? "" : "s");
        free(width);
    }
    return fflush(w->out) == 0 && !ferror(w->out) ? 0 : -1;
}

long long result_writer_rows(const struct result_writer *w) { return w->rows; }

void result_writer_free(struct result_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->ncells; i++)
        free(w->cells[i]);
    free(w->cells);
    free(w);
}
