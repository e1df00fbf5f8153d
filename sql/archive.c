/* archive.c - listing and reading archive objects (see archive.h). */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct list {
    char **v;
    int n, cap;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int walk(const char *dir, struct list *l, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files such as a writer's temporary objects */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = walk(path, l, err, errlen);
        } else if (ends_with(e->d_name, ".ndjson.gz") || ends_with(e->d_name, ".ndjson")) {
            if (l->n == l->cap) {
                int cap = l->cap ? l->cap * 2 : 64;
                char **nv = realloc(l->v, sizeof *nv * (size_t)cap);
                if (!nv) {
                    snprintf(err, errlen, "out of memory");
                    rc = -1;
                    break;
                }
                l->v = nv;
                l->cap = cap;
            }
            if (!(l->v[l->n] = strdup(path))) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            l->n++;
        }
    }
    closedir(d);
    return rc;
}

static int by_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int archive_list(const char *url, const char *topic, char ***paths, int *n, char *err, size_t errlen)
{
    const char *root = url;
    if (strncmp(url, "file://", 7) == 0)
        root = url + 7;
    else if (strstr(url, "://")) {
        snprintf(err, errlen, "archive URL %s: only file:// archives are supported so far", url);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, topic);
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "no archive for '%s' at %s (expected a directory %s)", topic, url, dir);
        return -1;
    }
    struct list l = {0};
    if (walk(dir, &l, err, errlen) < 0) {
        archive_free_list(l.v, l.n);
        return -1;
    }
    qsort(l.v, (size_t)l.n, sizeof *l.v, by_path);
    *paths = l.v;
    *n = l.n;
    return 0;
}

void archive_free_list(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
