/* rf_tlspipe.h - a TLS connection offered as a plain local socket.
 *
 * Debian 12's hiredis (0.14) reads and writes its socket itself and knows no
 * TLS. rf_tlspipe_open makes the TLS connection (certificate and host name
 * verified), then hands back one end of a socketpair; a thread of its own
 * relays bytes between the other end and the TLS connection, both ways at
 * once (non-blocking, so a client that writes a long pipeline while replies
 * come back never deadlocks it). hiredis then runs on the plain end
 * (redisConnectFd). The cost is one thread and one copy each way per
 * connection, not per command.
 *
 * Ownership: the caller owns the returned descriptor; closing it ends the
 * relay, which frees its TLS state and closes the server connection. When
 * the server closes or the TLS session fails, the relay closes its end and
 * the caller reads end-of-file. Thread-safe: each call makes its own
 * connection and thread. */
#ifndef RF_TLSPIPE_H
#define RF_TLSPIPE_H

#include <stddef.h>

struct rf_tls_config {
    const char *cafile;   /* PEM CA bundle the server's certificate must chain to; NULL = the system's */
    const char *certfile; /* client certificate (PEM chain) for servers that ask for one; NULL = none */
    const char *keyfile;  /* its private key (PEM); NULL = in certfile */
};

/* Connect to host:port within timeout_ms, complete the TLS handshake
 * (TLS 1.2 or later; the certificate must be valid for host, a name or an
 * IP address), and return the local descriptor. -1 with a reason in err:
 * cannot resolve or connect, a CA or client certificate file that cannot be
 * read, a handshake failure or an untrusted certificate (with OpenSSL's
 * words for it). */
int rf_tlspipe_open(const char *host, int port, const struct rf_tls_config *t, int timeout_ms, char *err,
                    size_t errlen);

#endif
