/* sql_format.c - values as text and result rows as JSON, the same way in
 * every program (bin/sql's output, the processor's result records). */
#include "rf_buf.h"
#include "rf_event.h"
#include "rf_json.h"
#include "rf_time.h"
#include "sql.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sql_value_text(const struct sql_value *v, char *buf, size_t len, size_t *n)
{
    switch (v->type) {
    case SQL_NULL:
        *n = (size_t)snprintf(buf, len, "NULL");
        return buf;
    case SQL_BOOL:
        *n = (size_t)snprintf(buf, len, "%s", v->u.b ? "true" : "false");
        return buf;
    case SQL_INT:
        *n = (size_t)snprintf(buf, len, "%" PRId64, v->u.i);
        return buf;
    case SQL_DOUBLE:
        if (!isfinite(v->u.d)) {
            *n = (size_t)snprintf(buf, len, "%s", isnan(v->u.d) ? (signbit(v->u.d) ? "-nan" : "nan")
                                                  : v->u.d > 0 ? "inf" : "-inf");
            return buf;
        }
        /* The shortest form that reads back exactly. Most values here have
         * few decimals (coordinates, metres): try six fixed decimals with
         * trailing zeros dropped first; else 15 significant digits, 16, 17. */
        if (len >= 40 && fabs(v->u.d) < 1e9) {
            *n = rf_fmt_fixed(buf, v->u.d, 6);
            if (strtod(buf, NULL) == v->u.d)
                return buf;
        }
        for (int prec = 15; prec <= 17; prec++) {
            *n = (size_t)snprintf(buf, len, "%.*g", prec, v->u.d);
            if (strtod(buf, NULL) == v->u.d)
                break;
        }
        return buf;
    case SQL_TIMESTAMP:
        rf_time_format(v->u.ts, buf);
        *n = RF_TIME_TEXT_LEN;
        return buf;
    case SQL_STRING:
        *n = v->u.str.len;
        return v->u.str.s;
    }
    *n = 0;
    return "";
}

void sql_row_json(struct rf_buf *b, const char *const *names, const struct sql_value *v, int n)
{
    char buf[64];
    size_t len;
    rf_buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            rf_buf_putc(b, ',');
        rf_json_buf_string(b, names[i], strlen(names[i]));
        rf_buf_putc(b, ':');
        if (v[i].type == SQL_NULL || (v[i].type == SQL_DOUBLE && !isfinite(v[i].u.d))) {
            rf_buf_put(b, "null", 4); /* JSON has no infinities */
            continue;
        }
        const char *t = sql_value_text(&v[i], buf, sizeof buf, &len);
        if (v[i].type == SQL_STRING) /* valid UTF-8 whatever the input held */
            rf_json_buf_text(b, t, len);
        else if (v[i].type == SQL_TIMESTAMP)
            rf_json_buf_string(b, t, len);
        else
            rf_buf_put(b, t, len);
    }
    rf_buf_putc(b, '}');
}

void sql_row_write_json(FILE *out, const char *const *names, const struct sql_value *v, int n)
{
    char stack[4096];
    struct rf_buf b = rf_buf_spill(stack, sizeof stack, out);
    sql_row_json(&b, names, v, n);
    rf_buf_flush(&b);
}
