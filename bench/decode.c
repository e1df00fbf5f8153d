/* decode.c - `make bench`: JSON field extraction alone, on one core. Reads an
 * NDJSON file into memory, then decodes every record with rydeflow's event
 * decoder and, as the peer, with jansson (the reference decoder), and prints
 * "<records> <rydeflow seconds> <jansson seconds>".
 *
 * usage: decode FILE */
#include "rf_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(const char *buf, size_t len, int reference, long *n, long *bad)
{
    struct rf_event ev;
    char reason[256];
    double t0 = now();
    *n = *bad = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int rc = reference ? rf_event_decode_reference(p, l, &ev, reason, sizeof reason)
                           : rf_event_decode(p, l, &ev, reason, sizeof reason);
        *bad += rc != 0;
        (*n)++;
        p += l + 1;
    }
    return now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: decode FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "decode: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    long n, bad, n2, bad2;
    double best = 1e9, ref;
    for (int i = 0; i < 3; i++) { /* best of three: the file is warm after the first */
        double t = run(buf, (size_t)size, 0, &n, &bad);
        if (t < best)
            best = t;
    }
    ref = run(buf, (size_t)size, 1, &n2, &bad2);
    if (bad || bad2 || n != n2) {
        fprintf(stderr, "decode: %ld/%ld records failed to decode\n", bad, bad2);
        return 1;
    }
    printf("%ld %.4f %.4f\n", n, best, ref);
    free(buf);
    return 0;
}
