/* sql_json.c - rows for the expression evaluator from JSON records: the
 * workshop's records through the fast event decoder, anything else through
 * jansson (see sql.h). */
#include "rf_event.h"
#include "rf_time.h"
#include "sql_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(struct rf_event) <= sizeof(((struct sql_row_source *)0)->event), "event storage too small");

static void set_string(struct sql_value *v, const char *s, size_t len)
{
    v->type = SQL_STRING;
    v->u.str.s = s;
    v->u.str.len = len;
}

static int from_event(const char *const *cols, int ncols, const char *json, size_t len, struct sql_value *row,
                      struct sql_row_source *src, char *reason, size_t rlen)
{
    struct rf_event *ev = (struct rf_event *)(void *)src->event;
    if (rf_event_decode(json, len, ev, reason, rlen) < 0)
        return -1;
    for (int i = 0; i < ncols; i++) {
        const char *c = cols[i];
        struct sql_value *v = &row[i];
        v->type = SQL_NULL;
        switch (c[0]) { /* the first letter tells the workshop's fields apart, but for L */
        case 'N':
            if (strcmp(c, "Name") == 0)
                set_string(v, ev->name, ev->name_len);
            break;
        case 'S':
            if (strcmp(c, "StatusTime") == 0) {
                v->type = SQL_TIMESTAMP;
                v->u.ts = ev->time_ms;
            }
            break;
        case 'L':
            if (strcmp(c, "Latitude") == 0 && (ev->has & RF_EV_LATITUDE)) {
                v->type = SQL_DOUBLE;
                v->u.d = ev->latitude;
            } else if (strcmp(c, "Longitude") == 0 && (ev->has & RF_EV_LONGITUDE)) {
                v->type = SQL_DOUBLE;
                v->u.d = ev->longitude;
            }
            break;
        case 'D':
            if (strcmp(c, "Distance") == 0 && (ev->has & RF_EV_DISTANCE)) {
                v->type = SQL_DOUBLE;
                v->u.d = ev->distance;
            }
            break;
        case 'M':
            if (strcmp(c, "MagicPoints") == 0 && (ev->has & RF_EV_MAGIC)) {
                v->type = SQL_INT;
                v->u.i = ev->magic_points;
            }
            break;
        case 'H':
            if (strcmp(c, "HealthPoints") == 0 && (ev->has & RF_EV_HEALTH)) {
                v->type = SQL_INT;
                v->u.i = ev->health_points;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static enum sql_type declared(const struct sql_schema *schema, const char *name)
{
    for (int i = 0; i < schema->ncols; i++)
        if (strcmp(schema->cols[i].name, name) == 0)
            return schema->cols[i].type;
    return SQL_NULL; /* open schema: take the JSON type */
}

/* A number or boolean in a VARCHAR column: its JSON text, kept in src. */
static void as_text(json_t *j, struct sql_value *v, struct sql_row_source *src)
{
    char *at = src->text + src->text_used;
    size_t room = sizeof src->text - src->text_used;
    size_t n = json_dumpb(j, at, room, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (n == 0 || n > room) {
        src->mismatches++;
        return;
    }
    src->text_used += n;
    set_string(v, at, n);
}

static void convert(json_t *j, enum sql_type want, struct sql_value *v, struct sql_row_source *src)
{
    v->type = SQL_NULL;
    if (!j || json_is_null(j))
        return;
    switch (json_typeof(j)) {
    case JSON_STRING:
        if (want == SQL_TIMESTAMP) {
            if (rf_time_parse(json_string_value(j), json_string_length(j), &v->u.ts) == 0)
                v->type = SQL_TIMESTAMP;
        } else if (want == SQL_NULL || want == SQL_STRING) {
            set_string(v, json_string_value(j), json_string_length(j));
        }
        break;
    case JSON_INTEGER:
        if (want == SQL_DOUBLE) {
            v->type = SQL_DOUBLE;
            v->u.d = (double)json_integer_value(j);
        } else if (want == SQL_NULL || want == SQL_INT) {
            v->type = SQL_INT;
            v->u.i = json_integer_value(j);
        } else if (want == SQL_STRING) {
            as_text(j, v, src);
        }
        break;
    case JSON_REAL:
        if (want == SQL_NULL || want == SQL_DOUBLE) {
            v->type = SQL_DOUBLE;
            v->u.d = json_real_value(j);
        } else if (want == SQL_STRING) {
            as_text(j, v, src);
        }
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        if (want == SQL_NULL || want == SQL_BOOL) {
            v->type = SQL_BOOL;
            v->u.b = json_is_true(j);
        } else if (want == SQL_STRING) {
            as_text(j, v, src);
        }
        break;
    default: /* objects and arrays: their JSON text in a VARCHAR column */
        if (want == SQL_STRING)
            as_text(j, v, src);
        else if (want == SQL_NULL)
            return; /* an open schema has no type for them */
        break;
    }
    if (v->type == SQL_NULL)
        src->mismatches++;
}

/* The field for a column: exact name first, then case-insensitively. */
static json_t *field(json_t *obj, const char *name)
{
    json_t *j = json_object_get(obj, name);
    if (j)
        return j;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (strcasecmp(k, name) == 0)
            return v;
    }
    return NULL;
}

int sql_row_from_json(const char *const *cols, int ncols, const struct sql_schema *schema, const char *json,
                      size_t len, struct sql_value *row, struct sql_row_source *src, char *reason, size_t rlen)
{
    src->doc = NULL;
    src->text_used = 0;
    src->mismatches = 0;
    if (schema == sql_schema_wildrydes())
        return from_event(cols, ncols, json, len, row, src, reason, rlen);
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, 0, &jerr);
    if (!doc || !json_is_object(doc)) {
        if (doc)
            snprintf(reason, rlen, "not a JSON object");
        else
            snprintf(reason, rlen, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
        json_decref(doc);
        return -1;
    }
    src->doc = doc;
    for (int i = 0; i < ncols; i++)
        convert(field(doc, cols[i]), declared(schema, cols[i]), &row[i], src);
    return 0;
}

void sql_row_release(struct sql_row_source *src)
{
    json_decref(src->doc);
    src->doc = NULL;
}
