/* format.c - record output for `consumer` (see format.h). */
#include "format.h"
#include "rf_json.h"
#include "rf_table.h"
#include "rf_time.h"

#include <stdint.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SAMPLE_ROWS 100
#define MAX_COLS 64

struct row {
    char *cells[MAX_COLS]; /* owned; NULL = field absent */
};

struct fmt {
    enum fmt_kind kind;
    unsigned show;
    FILE *out;
    int header_done;
    int ncols;
    char *cols[MAX_COLS]; /* owned column names */
    int width[MAX_COLS];
    struct row *rows; /* table: rows held back until widths are known */
    int nrows;
    int64_t first_row_ns; /* when the first held-back row arrived */
};

static const struct {
    const char *name;
    unsigned bit;
} show_names[] = {{"topic", FMT_SHOW_TOPIC},         {"partition", FMT_SHOW_PARTITION},
                  {"offset", FMT_SHOW_OFFSET},       {"timestamp", FMT_SHOW_TIMESTAMP},
                  {"key", FMT_SHOW_KEY},             {"headers", FMT_SHOW_HEADERS}};
#define NSHOW ((int)(sizeof show_names / sizeof *show_names))

int fmt_parse_kind(const char *name, enum fmt_kind *kind)
{
    if (strcmp(name, "json") == 0)
        *kind = FMT_JSON;
    else if (strcmp(name, "table") == 0)
        *kind = FMT_TABLE;
    else if (strcmp(name, "csv") == 0)
        *kind = FMT_CSV;
    else
        return -1;
    return 0;
}

int fmt_parse_show(const char *list, unsigned *show)
{
    *show = 0;
    if (!list || !*list)
        return 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int found = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            *show |= FMT_SHOW_TOPIC | FMT_SHOW_PARTITION | FMT_SHOW_OFFSET | FMT_SHOW_TIMESTAMP | FMT_SHOW_KEY |
                     FMT_SHOW_HEADERS;
            found = 1;
        }
        for (int i = 0; i < NSHOW && !found; i++)
            if (strlen(show_names[i].name) == n && strncmp(p, show_names[i].name, n) == 0) {
                *show |= show_names[i].bit;
                found = 1;
            }
        if (!found)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

struct fmt *fmt_new(enum fmt_kind kind, unsigned show, FILE *out)
{
    struct fmt *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->kind = kind;
    f->show = show;
    f->out = out;
    return f;
}

static void free_row(struct row *r, int ncols)
{
    for (int i = 0; i < ncols; i++)
        free(r->cells[i]);
}

void fmt_free(struct fmt *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->nrows; i++)
        free_row(&f->rows[i], f->ncols);
    free(f->rows);
    for (int i = 0; i < f->ncols; i++)
        free(f->cols[i]);
    free(f);
}

static int write_json(struct fmt *f, const struct fmt_record *r)
{
    FILE *out = f->out;
    if (!f->show) {
        if (r->value)
            fwrite(r->value, 1, r->value_len, out);
        else
            fputs("null", out);
        fputc('\n', out);
        return ferror(out) ? -1 : 0;
    }
    char ts[RF_TIME_TEXT_LEN + 1];
    const char *sep = "";
    fputc('{', out);
    if (f->show & FMT_SHOW_TOPIC) {
        fputs("\"topic\":", out);
        rf_json_write_string(out, r->topic, strlen(r->topic));
        sep = ",";
    }
    if (f->show & FMT_SHOW_PARTITION) {
        fprintf(out, "%s\"partition\":%d", sep, (int)r->partition);
        sep = ",";
    }
    if (f->show & FMT_SHOW_OFFSET) {
        fprintf(out, "%s\"offset\":%lld", sep, (long long)r->offset);
        sep = ",";
    }
    if (f->show & FMT_SHOW_TIMESTAMP) {
        if (r->timestamp_ms >= 0) {
            rf_time_format(r->timestamp_ms, ts);
            fprintf(out, "%s\"timestamp\":\"%s\"", sep, ts);
        } else {
            fprintf(out, "%s\"timestamp\":null", sep);
        }
        sep = ",";
    }
    if (f->show & FMT_SHOW_KEY) {
        fprintf(out, "%s\"key\":", sep);
        if (r->key)
            rf_json_write_string(out, r->key, r->key_len);
        else
            fputs("null", out);
        sep = ",";
    }
    if (f->show & FMT_SHOW_HEADERS) {
        fprintf(out, "%s\"headers\":{", sep);
        for (int h = 0; h < r->nheaders; h++) {
            if (h)
                fputc(',', out);
            rf_json_write_string(out, r->hname[h], strlen(r->hname[h]));
            fputc(':', out);
            if (r->hvalue[h])
                rf_json_write_string(out, r->hvalue[h], r->hlen[h]);
            else
                fputs("null", out);
        }
        fputc('}', out);
        sep = ",";
    }
    fprintf(out, "%s\"value\":", sep);
    if (!r->value) {
        fputs("null", out);
    } else {
        json_t *v = json_loadb(r->value, r->value_len, JSON_DECODE_ANY, NULL);
        if (v)
            fwrite(r->value, 1, r->value_len, out);
        else
            rf_json_write_string(out, r->value, r->value_len);
        json_decref(v);
    }
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}

static int col_index(struct fmt *f, const char *name, int add)
{
    for (int i = 0; i < f->ncols; i++)
        if (strcmp(f->cols[i], name) == 0)
            return i;
    if (!add || f->ncols == MAX_COLS)
        return -1;
    f->cols[f->ncols] = strdup(name);
    if (!f->cols[f->ncols])
        return -1;
    f->width[f->ncols] = rf_table_chars(name);
    return f->ncols++;
}

static char *scalar_text(json_t *v)
{
    if (json_is_string(v))
        return strndup(json_string_value(v), json_string_length(v));
    if (json_is_null(v))
        return strdup("NULL");
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
}

/* Turn a record into cells. Columns are fixed by the first record (and, for
 * tables, by the sampled rows): later fields that were never seen are not shown. */
static int make_row(struct fmt *f, const struct fmt_record *r, struct row *row, int add_cols)
{
    memset(row, 0, sizeof *row);
    char buf[64];
    int i;
#define CELL(name, text)                                                                                             \
    if ((i = col_index(f, name, add_cols)) >= 0 && !row->cells[i])                                                   \
        row->cells[i] = strdup(text);
    if (f->show & FMT_SHOW_TOPIC) {
        CELL("topic", r->topic);
    }
    if (f->show & FMT_SHOW_PARTITION) {
        snprintf(buf, sizeof buf, "%d", (int)r->partition);
        CELL("partition", buf);
    }
    if (f->show & FMT_SHOW_OFFSET) {
        snprintf(buf, sizeof buf, "%lld", (long long)r->offset);
        CELL("offset", buf);
    }
    if (f->show & FMT_SHOW_TIMESTAMP) {
        if (r->timestamp_ms >= 0)
            rf_time_format(r->timestamp_ms, buf);
        else
            strcpy(buf, "");
        CELL("timestamp", buf);
    }
    if (f->show & FMT_SHOW_KEY) {
        char *k = r->key ? strndup(r->key, r->key_len) : strdup("NULL");
        if (k && (i = col_index(f, "key", add_cols)) >= 0)
            row->cells[i] = k;
        else
            free(k);
    }
    if (f->show & FMT_SHOW_HEADERS) { /* name=value,... */
        char *t = NULL;
        size_t tn = 0;
        FILE *m = open_memstream(&t, &tn);
        for (int h = 0; m && h < r->nheaders; h++)
            fprintf(m, "%s%s=%.*s", h ? "," : "", r->hname[h], r->hvalue[h] ? (int)r->hlen[h] : 0,
                    r->hvalue[h] ? r->hvalue[h] : "");
        if (m)
            fclose(m);
        if (t && (i = col_index(f, "headers", add_cols)) >= 0 && !row->cells[i])
            row->cells[i] = t;
        else
            free(t);
    }
    json_t *v = r->value ? json_loadb(r->value, r->value_len, JSON_DECODE_ANY, NULL) : NULL;
    if (json_is_object(v)) {
        const char *name;
        json_t *fv;
        json_object_foreach(v, name, fv)
        {
            if ((i = col_index(f, name, add_cols)) >= 0 && !row->cells[i])
                row->cells[i] = scalar_text(fv);
        }
    } else {
        char *t = r->value ? strndup(r->value, r->value_len) : strdup("NULL");
        if (t && (i = col_index(f, "value", add_cols)) >= 0)
            row->cells[i] = t;
        else
            free(t);
    }
#undef CELL
    json_decref(v);
    return 0;
}

#define CELLS(c) ((const char *const *)(c))

static void table_header(struct fmt *f)
{
    rf_table_header(f->out, CELLS(f->cols), f->width, f->ncols);
    f->header_done = 1;
}

static void table_flush_rows(struct fmt *f)
{
    if (!f->header_done && f->ncols > 0)
        table_header(f);
    for (int r = 0; r < f->nrows; r++) {
        rf_table_line(f->out, CELLS(f->rows[r].cells), f->width, f->ncols);
        free_row(&f->rows[r], f->ncols);
    }
    f->nrows = 0;
}

int fmt_write(struct fmt *f, const struct fmt_record *r)
{
    if (f->kind == FMT_JSON)
        return write_json(f, r);

    struct row row;
    if (f->kind == FMT_CSV) {
        make_row(f, r, &row, !f->header_done);
        if (!f->header_done) {
            rf_csv_line(f->out, CELLS(f->cols), f->ncols);
            f->header_done = 1;
        }
        rf_csv_line(f->out, CELLS(row.cells), f->ncols);
        free_row(&row, f->ncols);
        return ferror(f->out) ? -1 : 0;
    }

    /* table */
    int sampling = !f->header_done;
    make_row(f, r, &row, sampling);
    if (sampling) {
        rf_table_fit(f->width, CELLS(row.cells), f->ncols);
        if (!f->rows && !(f->rows = calloc(TABLE_SAMPLE_ROWS, sizeof *f->rows))) {
            free_row(&row, f->ncols);
            return -1;
        }
        if (f->nrows == 0)
            f->first_row_ns = rf_time_mono_ns();
        f->rows[f->nrows++] = row;
        if (f->nrows == TABLE_SAMPLE_ROWS || rf_time_mono_ns() - f->first_row_ns > 1000000000)
            table_flush_rows(f);
        return ferror(f->out) ? -1 : 0;
    }
    rf_table_line(f->out, CELLS(row.cells), f->width, f->ncols);
    free_row(&row, f->ncols);
    return ferror(f->out) ? -1 : 0;
}

void fmt_idle(struct fmt *f)
{
    if (f->kind == FMT_TABLE && f->nrows > 0) {
        table_flush_rows(f);
        fflush(f->out);
    }
    if (f->kind != FMT_TABLE)
        fflush(f->out);
}

int fmt_finish(struct fmt *f)
{
    if (f->kind == FMT_TABLE)
        table_flush_rows(f);
    return fflush(f->out) == 0 && !ferror(f->out) ? 0 : -1;
}
