/* rf_deadletter.c - dead letters as valid JSON whatever their payload (see
 * rf_deadletter.h). Dead letters are rare: a buffer per letter is fine. */
#include "rf_deadletter.h"

#include "rf_json.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_text(FILE *f, const char *s)
{
    s = s ? s : "";
    rf_json_write_text(f, s, strlen(s));
}

/* The exact bytes as a base64 JSON string (OpenSSL's encoder). */
static void write_base64(FILE *f, const unsigned char *s, size_t n)
{
    unsigned char out[4 * 3072 / 3 + 1];
    fputc('"', f);
    for (size_t i = 0; i < n; i += 3072) { /* whole 3-byte groups per chunk: no padding inside */
        int chunk = (int)(n - i < 3072 ? n - i : 3072);
        int len = EVP_EncodeBlock(out, s + i, chunk);
        fwrite(out, 1, (size_t)len, f);
    }
    fputc('"', f);
}

char *rf_deadletter_encode(const struct rf_deadletter *d, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    fputs("{\"program\":", f);
    write_text(f, d->program);
    fputs(",\"stage\":", f);
    write_text(f, d->stage);
    if (d->name) {
        fputs(",\"name\":", f);
        write_text(f, d->name);
    }
    fputs(",\"error\":", f);
    write_text(f, d->error);
    if (d->topic) {
        fputs(",\"topic\":", f);
        write_text(f, d->topic);
        fprintf(f, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64, d->partition, d->offset);
    } else if (d->input) {
        fputs(",\"input\":", f);
        write_text(f, strcmp(d->input, "-") == 0 ? "<stdin>" : d->input);
        fprintf(f, ",\"line\":%" PRId64, d->line);
    }
    const char *p = d->payload ? d->payload : "";
    size_t n = d->len;
    if (n > RF_DEADLETTER_MAX_PAYLOAD) {
        n = RF_DEADLETTER_MAX_PAYLOAD;
        /* back to the start of a character, so a UTF-8 payload stays text */
        for (size_t k = 0; k < 3 && n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80; k++)
            n--;
        fprintf(f, ",\"payload_bytes\":%zu,\"payload_truncated\":true", d->len);
    }
    if (rf_utf8_valid(p, n)) {
        fputs(",\"payload\":", f);
        rf_json_write_string(f, p, n);
    } else {
        fputs(",\"payload_base64\":", f);
        write_base64(f, (const unsigned char *)p, n);
    }
    fputc('}', f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
