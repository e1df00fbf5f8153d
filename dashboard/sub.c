/* sub.c - subscriptions and the frames they share (see sub.h). */
#include "sub.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void sub_spec_free(struct sub *spec)
{
    for (size_t i = 0; i < spec->nnames; i++)
        free(spec->names[i]);
    free(spec->names);
    free(spec->key);
    frame_unref(spec->delta);
    frame_unref(spec->snap);
    memset(spec, 0, sizeof *spec);
}

/* The canonical key: the kind and its values, so that equal subscriptions
 * written differently (names in another order, repeated) are one. */
static int make_key(struct sub *s)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return -1;
    if (s->kind == SUB_ALL)
        fputs("all", out);
    else if (s->kind == SUB_BBOX)
        fprintf(out, "bbox %.17g %.17g %.17g %.17g", s->south, s->west, s->north, s->east);
    else {
        fputs("names", out);
        for (size_t i = 0; i < s->nnames; i++) {
            fputc(0x1f, out); /* a separator no name can hold unnoticed: names are compared whole */
            fputs(s->names[i], out);
        }
    }
    if (fclose(out) != 0) {
        free(buf);
        return -1;
    }
    s->key = buf;
    return 0;
}

static int parse_bbox(json_t *box, struct sub *spec, char *err, size_t errlen)
{
    double v[4];
    if (!json_is_array(box) || json_array_size(box) != 4) {
        snprintf(err, errlen, "bbox must be [south, west, north, east]");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        json_t *x = json_array_get(box, (size_t)i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) {
            snprintf(err, errlen, "bbox must be [south, west, north, east] in degrees");
            return -1;
        }
        v[i] = json_number_value(x);
    }
    if (v[0] < -90 || v[2] > 90 || v[0] > v[2] || v[1] < -180 || v[1] > 180 || v[3] < -180 || v[3] > 180) {
        snprintf(err, errlen, "bbox: latitudes in [-90, 90] with south <= north, longitudes in [-180, 180]");
        return -1;
    }
    spec->kind = SUB_BBOX;
    spec->south = v[0], spec->west = v[1], spec->north = v[2], spec->east = v[3];
    return 0;
}

static int parse_names(json_t *names, struct sub *spec, char *err, size_t errlen)
{
    size_t n = json_array_size(names);
    if (!json_is_array(names) || n > SUB_NAMES_MAX) {
        snprintf(err, errlen, "names must be a list of at most %d unicorn names", SUB_NAMES_MAX);
        return -1;
    }
    spec->kind = SUB_NAMES;
    spec->names = calloc(n ? n : 1, sizeof *spec->names);
    if (!spec->names) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(names, i);
        if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > RF_EVENT_NAME_MAX ||
            strlen(json_string_value(x)) != json_string_length(x)) {
            snprintf(err, errlen, "names[%zu] is not a unicorn name (a string of 1 to %d bytes)", i, RF_EVENT_NAME_MAX);
            return -1;
        }
        if (!(spec->names[spec->nnames++] = strdup(json_string_value(x)))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    qsort(spec->names, spec->nnames, sizeof *spec->names, cmp_names);
    size_t k = 0; /* repeated names once */
    for (size_t i = 0; i < spec->nnames; i++) {
        if (k && strcmp(spec->names[k - 1], spec->names[i]) == 0)
            free(spec->names[i]);
        else
            spec->names[k++] = spec->names[i];
    }
    spec->nnames = k;
    return 0;
}

int sub_parse(const char *msg, size_t len, struct sub *spec, char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    json_t *o = json_loadb(msg, len, 0, NULL);
    json_t *what = json_object_get(o, "subscribe");
    int rc = 1;
    if (!what)
        rc = 0;
    else if (json_is_string(what) && strcmp(json_string_value(what), "all") == 0)
        spec->kind = SUB_ALL;
    else if (json_is_object(what) && json_object_size(what) == 1 && json_object_get(what, "bbox"))
        rc = parse_bbox(json_object_get(what, "bbox"), spec, err, errlen) < 0 ? -1 : 1;
    else if (json_is_object(what) && json_object_size(what) == 1 && json_object_get(what, "names"))
        rc = parse_names(json_object_get(what, "names"), spec, err, errlen) < 0 ? -1 : 1;
    else {
        snprintf(err, errlen, "subscribe to \"all\", {\"bbox\":[south,west,north,east]} or {\"names\":[...]}");
        rc = -1;
    }
    json_decref(o);
    if (rc == 1 && make_key(spec) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc != 1)
        sub_spec_free(spec);
    return rc;
}

int sub_set_init(struct sub_set *set)
{
    set->list = calloc(1, sizeof *set->list);
    if (!set->list || !(set->list->key = strdup("all"))) {
        free(set->list);
        set->list = NULL;
        return -1;
    }
    set->list->kind = SUB_ALL;
    set->list->refs = 1; /* the set's own: "all" lives as long as the set */
    return 0;
}

void sub_set_free(struct sub_set *set)
{
    while (set->list) {
        struct sub *s = set->list;
        set->list = s->next;
        sub_spec_free(s);
        free(s);
    }
}

struct sub *sub_all(struct sub_set *set)
{
    set->list->refs++;
    return set->list;
}

struct sub *sub_intern(struct sub_set *set, struct sub *spec)
{
    for (struct sub *s = set->list; s; s = s->next)
        if (strcmp(s->key, spec->key) == 0) {
            sub_spec_free(spec);
            s->refs++;
            return s;
        }
    struct sub *s = malloc(sizeof *s);
    if (!s) {
        sub_spec_free(spec);
        return NULL;
    }
    *s = *spec;
    memset(spec, 0, sizeof *spec);
    s->refs = 1;
    s->next = set->list->next; /* after "all", which stays first */
    set->list->next = s;
    return s;
}

void sub_unref(struct sub_set *set, struct sub *s)
{
    if (!s || --s->refs > 0)
        return;
    for (struct sub **p = &set->list; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    sub_spec_free(s);
    free(s);
}

static int in_box(const struct sub *s, double lat, double lon)
{
    if (lat < s->south || lat > s->north)
        return 0;
    return s->west <= s->east ? lon >= s->west && lon <= s->east : lon >= s->west || lon <= s->east;
}

int sub_match(const struct sub *s, const struct view_entry *e, int before_too)
{
    switch (s->kind) {
    case SUB_ALL:
        return 1;
    case SUB_BBOX:
        return in_box(s, e->lat, e->lon) || (before_too && in_box(s, e->plat, e->plon));
    case SUB_NAMES: {
        const char *key = e->name;
        return bsearch(&key, s->names, s->nnames, sizeof *s->names, cmp_names) != NULL;
    }
    }
    return 0;
}

/* {"type":TYPE,"seq":N,"unicorns":[ */
static void begin(struct frame_builder *b, const char *type, const struct view *v, size_t hint)
{
    char head[96];
    snprintf(head, sizeof head, "{\"type\":\"%s\",\"seq\":%llu,\"unicorns\":[", type, (unsigned long long)v->seq);
    frame_begin(b, hint + 128);
    frame_adds(b, head);
}

struct frame *sub_delta(struct sub *s, const struct view *v)
{
    if (s->delta_tick == v->tick)
        return s->delta;
    frame_unref(s->delta);
    s->delta = NULL;
    s->delta_tick = v->tick;
    if (v->nchanged == 0 && v->gonelen == 0)
        return NULL;
    struct frame_builder b;
    begin(&b, "delta", v, v->nchanged * 180 + v->gonelen);
    size_t n = 0;
    for (size_t i = 0; i < v->nchanged; i++) {
        const struct view_entry *e = &v->e[v->changed[i]];
        if (!e->jlen || !sub_match(s, e, 1))
            continue;
        if (n++)
            frame_add(&b, ",", 1);
        frame_add(&b, e->json, e->jlen);
    }
    frame_add(&b, "]", 1);
    if (v->gonelen) {
        frame_adds(&b, ",\"gone\":[");
        frame_add(&b, v->gone, v->gonelen);
        frame_add(&b, "]", 1);
    }
    frame_add(&b, "}", 1);
    struct frame *f = frame_finish(&b);
    if (f && n == 0 && v->gonelen == 0) { /* nothing it follows changed */
        frame_unref(f);
        f = NULL;
    }
    return s->delta = f;
}

struct frame *sub_snapshot(struct sub *s, const struct view *v)
{
    if (s->snap && s->snap_tick == v->tick)
        return s->snap;
    frame_unref(s->snap);
    struct frame_builder b;
    begin(&b, "snapshot", v, s->kind == SUB_ALL ? v->n * 180 : 4096);
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct view_entry *e = &v->e[i];
        if (!e->jlen || !sub_match(s, e, 0))
            continue;
        if (n++)
            frame_add(&b, ",", 1);
        frame_add(&b, e->json, e->jlen);
    }
    frame_adds(&b, "]}");
    s->snap = frame_finish(&b);
    s->snap_tick = v->tick;
    return s->snap;
}
