/* view.c - the loop's copy of the fleet, JSON written once per change (see view.h). */
#include "view.h"

#include "rf_hash.h"
#include "rf_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rebuild the name index with cap slots (a power of two). -1 when out of memory. */
static int reindex(struct view *v, size_t cap)
{
    int32_t *ni = malloc(sizeof *ni * cap);
    if (!ni)
        return -1;
    memset(ni, 0xff, sizeof *ni * cap);
    for (size_t i = 0; i < v->n; i++) {
        size_t j = rf_hash_str(RF_HASH_INIT, v->e[i].name) & (cap - 1);
        while (ni[j] >= 0)
            j = (j + 1) & (cap - 1);
        ni[j] = (int32_t)i;
    }
    free(v->index);
    v->index = ni;
    v->index_cap = cap;
    return 0;
}

static struct view_entry *find(struct view *v, const char *name, size_t *slot)
{
    size_t j = rf_hash_str(RF_HASH_INIT, name) & (v->index_cap - 1);
    while (v->index[j] >= 0) {
        if (strcmp(v->e[v->index[j]].name, name) == 0)
            return &v->e[v->index[j]];
        j = (j + 1) & (v->index_cap - 1);
    }
    *slot = j;
    return NULL;
}

/* The entry named name, created if new (its JSON name escaped once, here). */
static struct view_entry *entry_at(struct view *v, const char *name)
{
    if ((v->n + 1) * 2 > v->index_cap && reindex(v, v->index_cap ? v->index_cap * 2 : 1024) < 0)
        return NULL;
    size_t slot;
    struct view_entry *e = find(v, name, &slot);
    if (e)
        return e;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        struct view_entry *ne = realloc(v->e, sizeof *ne * cap);
        if (!ne)
            return NULL;
        v->e = ne;
        v->cap = cap;
    }
    char *ename = NULL;
    size_t elen = 0;
    FILE *out = open_memstream(&ename, &elen);
    if (!out)
        return NULL;
    rf_json_write_string(out, name, strlen(name));
    if (fclose(out) != 0) {
        free(ename);
        return NULL;
    }
    e = &v->e[v->n];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->ename = ename;
    v->index[slot] = (int32_t)v->n++;
    return e;
}

/* Write p as the entry's JSON object (its buffer is sized once, for the
 * longest numbers, so it is not grown again). */
static int entry_set(struct view_entry *e, const struct fleet_pos *p)
{
    size_t need = strlen(e->ename) + 256;
    if (e->jcap < need) {
        char *j = realloc(e->json, need);
        if (!j)
            return -1;
        e->json = j;
        e->jcap = (uint32_t)need;
    }
    e->jlen = (uint32_t)fleet_pos_format(e->json, e->jcap, e->ename, p);
    return 0;
}

static void entry_free(struct view_entry *e)
{
    free(e->ename);
    free(e->json);
}

/* Take the forgotten names out (and list them for this tick's frames). */
static int remove_gone(struct view *v, const struct fleet_changes *c)
{
    int removed = 0;
    for (size_t g = 0; g < c->ngone; g++) {
        size_t slot;
        struct view_entry *e = v->index_cap ? find(v, c->gone[g], &slot) : NULL;
        if (!e)
            continue;
        size_t need = v->gonelen + strlen(e->ename) + 2;
        if (need > v->gonecap) {
            size_t cap = v->gonecap ? v->gonecap * 2 : 4096;
            while (cap < need)
                cap *= 2;
            char *ng = realloc(v->gone, cap);
            if (!ng)
                return -1;
            v->gone = ng;
            v->gonecap = cap;
        }
        v->gonelen += (size_t)sprintf(v->gone + v->gonelen, "%s%s", v->gonelen ? "," : "", e->ename);
        entry_free(e);
        *e = v->e[--v->n];
        removed = 1;
    }
    /* entries moved: the index is rebuilt (forgetting is rare: once a
     * second at most, for unicorns silent for --forget-after) */
    return removed && v->index_cap ? reindex(v, v->index_cap) : 0;
}

int view_apply(struct view *v, struct fleet *f)
{
    int rc = fleet_pull(f, v->seq, &v->pull);
    if (view_take(v, &v->pull) < 0)
        rc = -1;
    return rc;
}

int view_take(struct view *v, const struct fleet_changes *c)
{
    int rc = 0;
    v->tick++;
    v->nchanged = 0;
    v->gonelen = 0;
    if (remove_gone(v, c) < 0)
        rc = -1;
    if (c->n > v->capchanged) {
        uint32_t *nc = realloc(v->changed, sizeof *nc * c->n);
        if (!nc)
            return -1;
        v->changed = nc;
        v->capchanged = c->n;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct view_entry *e = entry_at(v, c->pos[i].name);
        if (!e || entry_set(e, &c->pos[i]) < 0) {
            rc = -1;
            continue;
        }
        int fresh = e->tick == 0;
        e->plat = fresh ? c->pos[i].lat : e->lat;
        e->plon = fresh ? c->pos[i].lon : e->lon;
        e->lat = c->pos[i].lat;
        e->lon = c->pos[i].lon;
        e->tick = v->tick;
        v->changed[v->nchanged++] = (uint32_t)(e - v->e);
    }
    if (rc == 0 && c->seq > v->seq)
        v->seq = c->seq;
    return rc;
}

void view_free(struct view *v)
{
    for (size_t i = 0; i < v->n; i++)
        entry_free(&v->e[i]);
    free(v->e);
    free(v->index);
    free(v->changed);
    free(v->gone);
    fleet_changes_free(&v->pull);
    memset(v, 0, sizeof *v);
}
