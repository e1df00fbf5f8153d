/* fuzz_deadletter.c - libFuzzer target: whatever the payload and the error
 * text, a dead letter is valid UTF-8 and valid JSON (jansson parses it),
 * and its payload reads back as the exact bytes (as text or from base64). */
#include "rf_deadletter.h"
#include "rf_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int unbase64(const char *s, unsigned char *out, size_t *n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        const char *p = strchr(abc, *s);
        if (!p)
            return -1;
        acc = acc << 6 | (unsigned)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *n = o;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    /* the first byte splits the input into an error text and a payload */
    size_t cut = size ? data[0] % (size + 1) : 0;
    char *error = malloc(cut + 1);
    if (cut)
        memcpy(error, data, cut);
    error[cut] = '\0';
    struct rf_deadletter d = {.program = "fuzz", .stage = "decode", .name = error, .error = error,
                              .topic = error, .partition = 1, .offset = 2,
                              .payload = (const char *)data + cut, .len = size - cut};
    size_t n;
    char *j = rf_deadletter_encode(&d, &n);
    if (!j || !rf_utf8_valid(j, n))
        abort();
    json_error_t e;
    json_t *o = json_loadb(j, n, JSON_ALLOW_NUL, &e);
    if (!o)
        abort();
    json_t *p = json_object_get(o, "payload"), *b = json_object_get(o, "payload_base64");
    if (json_is_string(p)) {
        if (json_string_length(p) != d.len || memcmp(json_string_value(p), d.payload, d.len) != 0)
            abort();
    } else if (json_is_string(b)) {
        unsigned char *back = malloc(d.len + 4);
        size_t bn;
        if (unbase64(json_string_value(b), back, &bn) < 0 || bn != d.len || memcmp(back, d.payload, d.len) != 0)
            abort();
        free(back);
    } else {
        abort();
    }
    json_decref(o);
    free(j);
    free(error);
    return 0;
}
