/* rf_rediskey.c - the injective name encoding of Redis keys (see rf_rediskey.h). */
#include "rf_rediskey.h"

size_t rf_rediskey_name(const char *name, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        int esc = c == '%' || c == ':' || c == '{' || c == '}' || c < 0x20 || c == 0x7f;
        if (o + (esc ? 3 : 1) >= cap) {
            if (cap)
                out[0] = '\0';
            return 0;
        }
        if (esc) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    if (o >= cap) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    out[o] = '\0';
    return o;
}
