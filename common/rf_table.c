/* rf_table.c - CSV fields and aligned tables (see rf_table.h). */
#include "rf_table.h"

#include <string.h>

void rf_csv_field(FILE *out, const char *s, size_t n)
{
    if (!s)
        return;
    if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

void rf_csv_line(FILE *out, const char *const *cells, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        if (cells[i])
            rf_csv_field(out, cells[i], strlen(cells[i]));
    }
    fputc('\n', out);
}

int rf_table_chars(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void rf_table_fit(int *width, const char *const *cells, int n)
{
    for (int i = 0; i < n; i++) {
        int w = rf_table_chars(cells[i]);
        if (w > width[i])
            width[i] = w;
    }
}

void rf_table_line(FILE *out, const char *const *cells, const int *width, int n)
{
    for (int i = 0; i < n; i++) {
        const char *s = cells[i] ? cells[i] : "";
        fputs(s, out);
        if (i + 1 < n)
            for (int k = rf_table_chars(s); k < width[i] + 2; k++)
                fputc(' ', out);
    }
    fputc('\n', out);
}

void rf_table_header(FILE *out, const char *const *names, const int *width, int n)
{
    rf_table_line(out, names, width, n);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < width[i]; k++)
            fputc('-', out);
        fputs(i + 1 < n ? "  " : "\n", out);
    }
}
