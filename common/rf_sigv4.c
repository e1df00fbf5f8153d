/* rf_sigv4.c - AWS Signature Version 4 (see rf_sigv4.h). */
#include "rf_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static int cmp_param(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The canonical query string: parameters sorted, each "name=value" (a bare
 * name gets "="). 0, or -1 when it does not fit. */
static int canonical_query(const char *query, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!query || !*query)
        return 0;
    char copy[8192];
    if (strlen(query) >= sizeof copy)
        return -1;
    strcpy(copy, query);
    const char *params[64];
    int n = 0;
    for (char *save = NULL, *p = strtok_r(copy, "&", &save); p && n < 64; p = strtok_r(NULL, "&", &save))
        params[n++] = p;
    qsort(params, (size_t)n, sizeof *params, cmp_param);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + o, outlen - o, "%s%s%s", i ? "&" : "", params[i], strchr(params[i], '=') ? "" : "=");
        if (w < 0 || (size_t)w >= outlen - o)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

int rf_sigv4_authorization(const struct rf_sigv4_request *r, const char *key, const char *secret, char *out,
                           size_t outlen)
{
    char query[8192], canon[16384], signed_names[512] = "";
    if (canonical_query(r->query, query, sizeof query) < 0)
        return -1;
    size_t o = (size_t)snprintf(canon, sizeof canon, "%s\n%s\n%s\n", r->method, r->uri, query);
    size_t sn = 0;
    for (int i = 0; i < r->nheaders && o < sizeof canon && sn < sizeof signed_names; i++) {
        o += (size_t)snprintf(canon + o, sizeof canon - o, "%s:%s\n", r->headers[i].name, r->headers[i].value);
        sn += (size_t)snprintf(signed_names + sn, sizeof signed_names - sn, "%s%s", i ? ";" : "", r->headers[i].name);
    }
    if (o >= sizeof canon || sn >= sizeof signed_names)
        return -1;
    o += (size_t)snprintf(canon + o, sizeof canon - o, "\n%s\n%s", signed_names, r->payload_sha256);
    if (o >= sizeof canon)
        return -1;

    unsigned char md[SHA256_DIGEST_LENGTH];
    char canon_hash[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)canon, o, md);
    hex(md, sizeof md, canon_hash);
    char date[9], scope[128], to_sign[512];
    snprintf(date, sizeof date, "%.8s", r->amz_date);
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, r->region, r->service);
    snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, canon_hash);

    char k0[256];
    if (snprintf(k0, sizeof k0, "AWS4%s", secret) >= (int)sizeof k0)
        return -1;
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    hmac(k0, strlen(k0), date, k1);
    hmac(k1, 32, r->region, k2);
    hmac(k2, 32, r->service, k3);
    hmac(k3, 32, "aws4_request", k4);
    hmac(k4, 32, to_sign, sig);
    char sighex[65];
    hex(sig, 32, sighex);
    int w = snprintf(out, outlen, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", key, scope,
                     signed_names, sighex);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}
