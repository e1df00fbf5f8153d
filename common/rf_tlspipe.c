/* rf_tlspipe.c - a TLS connection relayed to a local socket (see rf_tlspipe.h). */
#include "rf_tlspipe.h"
#include "rf_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_BUF 65536

struct relay {
    SSL_CTX *ctx;
    SSL *ssl;
    int tcp;   /* to the server, TLS */
    int local; /* our end of the socketpair, plain */
    char up[RELAY_BUF], down[RELAY_BUF]; /* local -> server, server -> local */
    size_t up_off, up_len, down_off, down_len;
};

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void ssl_reason(char *out, size_t cap)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, out, cap);
    else
        snprintf(out, cap, "%s", errno ? strerror(errno) : "connection closed");
    ERR_clear_error();
}

/* Non-blocking connect to the first address that answers within the time. */
static int tcp_connect(const char *host, int port, int64_t deadline_ms, char *err, size_t errlen)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *a;
    int gai = getaddrinfo(host, ps, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, last = ECONNREFUSED;
    for (a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
            last = errno;
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd p = {fd, POLLOUT, 0};
        int64_t left = deadline_ms - rf_time_mono_ns() / 1000000;
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            soerr = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
            soerr = errno;
        if (soerr) {
            last = soerr;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(last));
    return fd;
}

/* Wait until an SSL call that wanted to read or write may go on. */
static int wait_ssl(int fd, SSL *ssl, int rc, int64_t deadline_ms)
{
    int e = SSL_get_error(ssl, rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return -1;
    struct pollfd p = {fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 0};
    int64_t left = deadline_ms - rf_time_mono_ns() / 1000000;
    if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
        errno = ETIMEDOUT;
        return -2;
    }
    return 0;
}

static SSL_CTX *make_ctx(const struct rf_tls_config *t, char *err, size_t errlen)
{
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        ssl_reason(why, sizeof why);
        snprintf(err, errlen, "TLS: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const char *what = NULL;
    if (t && t->cafile) {
        if (SSL_CTX_load_verify_locations(ctx, t->cafile, NULL) != 1)
            what = t->cafile;
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        what = "the system's CA certificates";
    }
    if (!what && t && t->certfile) {
        if (SSL_CTX_use_certificate_chain_file(ctx, t->certfile) != 1)
            what = t->certfile;
        else if (SSL_CTX_use_PrivateKey_file(ctx, t->keyfile ? t->keyfile : t->certfile, SSL_FILETYPE_PEM) != 1)
            what = t->keyfile ? t->keyfile : t->certfile;
    }
    if (what) {
        ssl_reason(why, sizeof why);
        snprintf(err, errlen, "TLS: cannot use %s: %s", what, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void relay_free(struct relay *r)
{
    if (r->ssl)
        SSL_free(r->ssl);
    if (r->ctx)
        SSL_CTX_free(r->ctx);
    if (r->tcp >= 0)
        close(r->tcp);
    if (r->local >= 0)
        close(r->local);
    free(r);
}

/* After an SSL call returned n <= 0: the poll events it waits for, added to
 * *want, or -1 when the session is over. */
static int ssl_wants(SSL *ssl, int n, short *want)
{
    int e = SSL_get_error(ssl, n);
    if (e == SSL_ERROR_WANT_READ)
        *want |= POLLIN;
    else if (e == SSL_ERROR_WANT_WRITE)
        *want |= POLLOUT;
    else
        return -1;
    return 0;
}

/* One pass of every transfer that can make progress without blocking.
 * Returns 1 if any did, 0 if none could, -1 when the relay is over. *want
 * gets the poll events each descriptor needs before the next pass. */
static int relay_pass(struct relay *r, short *want_tcp, short *want_local)
{
    int moved = 0;
    *want_tcp = *want_local = 0;
    /* local -> buffer */
    if (r->up_len == 0) {
        ssize_t n = read(r->local, r->up, sizeof r->up);
        if (n == 0)
            return -1; /* the client closed: done */
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (n > 0) {
            r->up_off = 0;
            r->up_len = (size_t)n;
            moved = 1;
        } else {
            *want_local |= POLLIN;
        }
    }
    /* buffer -> server */
    if (r->up_len > 0) {
        int n = SSL_write(r->ssl, r->up + r->up_off, (int)r->up_len);
        if (n > 0) {
            r->up_off += (size_t)n;
            r->up_len -= (size_t)n;
            moved = 1;
        } else if (ssl_wants(r->ssl, n, want_tcp) < 0) {
            return -1;
        }
    }
    /* server -> buffer */
    if (r->down_len == 0) {
        int n = SSL_read(r->ssl, r->down, sizeof r->down);
        if (n > 0) {
            r->down_off = 0;
            r->down_len = (size_t)n;
            moved = 1;
        } else if (ssl_wants(r->ssl, n, want_tcp) < 0) {
            return -1; /* the server closed, or the session failed */
        }
    }
    /* buffer -> local */
    if (r->down_len > 0) {
        ssize_t n = write(r->local, r->down + r->down_off, r->down_len);
        if (n > 0) {
            r->down_off += (size_t)n;
            r->down_len -= (size_t)n;
            moved = 1;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else {
            *want_local |= POLLOUT;
        }
    }
    return moved;
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;
    for (;;) {
        short wt, wl;
        int rc = relay_pass(r, &wt, &wl);
        if (rc < 0)
            break;
        if (rc > 0)
            continue;
        struct pollfd p[2] = {{r->tcp, wt, 0}, {r->local, wl, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if ((p[1].revents & (POLLHUP | POLLERR)) && !(p[1].revents & POLLIN))
            break;
    }
    SSL_shutdown(r->ssl); /* best effort: the close_notify */
    relay_free(r);
    return NULL;
}

int rf_tlspipe_open(const char *host, int port, const struct rf_tls_config *t, int timeout_ms, char *err,
                    size_t errlen)
{
    int64_t deadline = rf_time_mono_ns() / 1000000 + (timeout_ms > 0 ? timeout_ms : 10000);
    struct relay *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->tcp = r->local = -1;
    if (!(r->ctx = make_ctx(t, err, errlen)) || (r->tcp = tcp_connect(host, port, deadline, err, errlen)) < 0)
        goto fail;
    r->ssl = SSL_new(r->ctx);
    if (!r->ssl) {
        snprintf(err, errlen, "TLS: out of memory");
        goto fail;
    }
    SSL_set_fd(r->ssl, r->tcp);
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), host);
    } else {
        SSL_set_tlsext_host_name(r->ssl, host);
        SSL_set1_host(r->ssl, host);
    }
    int rc, w = 0;
    errno = 0;
    while ((rc = SSL_connect(r->ssl)) != 1 && (w = wait_ssl(r->tcp, r->ssl, rc, deadline)) == 0)
        ;
    if (rc != 1) {
        char why[256];
        long v = SSL_get_verify_result(r->ssl);
        if (w == -2)
            snprintf(why, sizeof why, "no answer within %d ms", timeout_ms);
        else if (v != X509_V_OK)
            snprintf(why, sizeof why, "the server's certificate is not trusted: %s", X509_verify_cert_error_string(v));
        else
            ssl_reason(why, sizeof why);
        snprintf(err, errlen, "TLS handshake with %s:%d failed: %s", host, port, why);
        goto fail;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        goto fail;
    }
    r->local = sv[1];
    set_nonblock(r->local);
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int pe = pthread_create(&th, &at, relay_main, r);
    pthread_attr_destroy(&at);
    if (pe) {
        close(sv[0]);
        snprintf(err, errlen, "cannot start the TLS relay: %s", strerror(pe));
        goto fail;
    }
    return sv[0];
fail:
    relay_free(r);
    return -1;
}
