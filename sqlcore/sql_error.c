/* sql_error.c - error messages that point at the query: line:column, the
 * line itself, and a caret under the spot. */
#include "sql_int.h"

#include <stdio.h>
#include <string.h>

void sql_error_format(const char *query, const struct sql_error *err, char *buf, size_t len)
{
    const char *line = query;
    for (int l = 1; l < err->line && line; l++) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!line)
        line = "";
    size_t n = strcspn(line, "\n");
    int col = err->col > 0 ? err->col : 1;
    /* Keep long lines readable: show at most 100 characters around the spot. */
    size_t from = (size_t)col > 60 ? (size_t)col - 60 : 0;
    if (from > n)
        from = n;
    size_t show = n - from > 100 ? 100 : n - from;
    int caret = col - 1 - (int)from;
    char pad[128];
    int k = 0;
    for (int i = 0; i < caret && k < (int)sizeof pad - 1; i++)
        pad[k++] = line[from + (size_t)i] == '\t' ? '\t' : ' ';
    pad[k] = '\0';
    snprintf(buf, len, "error at line %d, column %d: %s\n  %.*s\n  %s^", err->line, err->col, err->msg, (int)show,
             line + from, pad);
}
