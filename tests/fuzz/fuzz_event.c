/* fuzz_event.c - libFuzzer target: the event decoder's fast path must agree
 * with jansson (the reference) on every input, and never crash. */
#include "rf_event.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct rf_event a, b;
    char ra[256] = "", rb[256] = "";
    int rca = rf_event_decode((const char *)data, size, &a, ra, sizeof ra);
    int rcb = rf_event_decode_reference((const char *)data, size, &b, rb, sizeof rb);
    if (rca != rcb || strcmp(ra, rb) != 0)
        abort();
    if (rca == 0 && (strcmp(a.name, b.name) != 0 || a.time_ms != b.time_ms || a.has != b.has ||
                     memcmp(&a.latitude, &b.latitude, sizeof a.latitude) != 0 ||
                     memcmp(&a.longitude, &b.longitude, sizeof a.longitude) != 0 ||
                     memcmp(&a.distance, &b.distance, sizeof a.distance) != 0 ||
                     a.magic_points != b.magic_points || a.health_points != b.health_points))
        abort();
    if (rca == 0) { /* what decodes must encode and decode back to itself */
        char buf[RF_EVENT_ENCODE_MAX];
        size_t n = rf_event_encode(&a, buf, sizeof buf);
        if (n == 0 || rf_event_decode(buf, n, &b, rb, sizeof rb) != 0 || strcmp(a.name, b.name) != 0)
            abort();
    }
    return 0;
}
