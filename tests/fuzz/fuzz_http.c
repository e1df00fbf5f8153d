/* fuzz_http.c - libFuzzer target: the dashboard's request parser and token
 * check on any bytes a client may send: no crash, no read past the input,
 * every field NUL-terminated within its size. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *head = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
    memcpy(head, data, size);
    struct request r;
    if (http_parse_request(head, size, &r) == 0) {
        if (strnlen(r.method, sizeof r.method) == sizeof r.method || strnlen(r.path, sizeof r.path) == sizeof r.path ||
            strnlen(r.query, sizeof r.query) == sizeof r.query || strnlen(r.cookie, sizeof r.cookie) == sizeof r.cookie ||
            strnlen(r.auth, sizeof r.auth) == sizeof r.auth || strnlen(r.extensions, sizeof r.extensions) == sizeof r.extensions)
            abort();
        char v[64];
        http_param(&r, "q", v, sizeof v);
        http_param(&r, "name", v, 1);
        http_authorized(&r, "s3cret");
        http_token_in_url(&r);
        http_ws_deflate(&r);
    }
    free(head);
    return 0;
}
