/* client/cl_conn.h — one TCP + TLS 1.3 connection to a broker (client side).
 *
 * The socket is non-blocking; waiting is done with poll() so every call has a
 * deadline. OpenSSL runs over the fd through a small BIO that writes with
 * MSG_NOSIGNAL. The connection owns its fd, its SSL and one reference to
 * its (shared) SSL_CTX; failures fill a struct rw_client_error with a reason
 * a human can act on (connect refused, the alert the broker sent, why the
 * broker's certificate was rejected).
 */
#ifndef RW_CLIENT_CL_CONN_H
#define RW_CLIENT_CL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "client/rw_client.h"

struct rw_cl_conn {
    int fd;            /* -1 when closed */
    SSL_CTX *ctx;      /* one reference (shared: see rw_cl_tls_ctx) */
    SSL *ssl;          /* owned */
    int alert;         /* last fatal alert received (RFC 8446 description), -1 = none */
    bool want_write;   /* the last blocked SSL call waits for the socket to drain */
    bool broken;       /* a fatal TLS or socket error happened: no close_notify */
    char peer[320];    /* "host:port" for messages */
    char name[256];    /* the name the broker's certificate must carry */
};

/* Monotonic milliseconds, and what is left until a deadline (-1 = none). */
int64_t rw_cl_now_ms(void);
int rw_cl_remaining(int64_t deadline);

/* TCP connect (each resolved address in turn) with TCP_NODELAY; *fd is
 * non-blocking and owned by the caller. */
RW_RESULT rw_cl_sock_connect(const char *host, uint16_t port, int64_t deadline, int *fd,
                             struct rw_client_error *err);
/* A BIO over fd (not owned) that sends with MSG_NOSIGNAL. */
BIO *rw_cl_sock_bio(int fd);

/* Connects, sets up TLS (leaf-only client certificate, CA file trust,
 * hostname/IP check) and completes the handshake before the deadline. On
 * failure everything is released. */
RW_RESULT rw_cl_conn_open(struct rw_cl_conn *t, const struct rw_client_opts *o,
                          int64_t deadline, struct rw_client_error *err);
/* Sends close_notify (without waiting for the broker's) and frees. */
void rw_cl_conn_close(struct rw_cl_conn *t);

/* Non-blocking: OK with *n > 0, or RW_ERR_BLOCKED, or a failure in *err
 * (RW_ERR_CLOSED when the broker closed). */
RW_RESULT rw_cl_conn_read(struct rw_cl_conn *t, uint8_t *buf, size_t cap, size_t *n,
                          struct rw_client_error *err);
RW_RESULT rw_cl_conn_write(struct rw_cl_conn *t, const uint8_t *buf, size_t len, size_t *n,
                           struct rw_client_error *err);
/* Waits until the socket is readable (or writable too, when want_write)
 * or the deadline passes: RW_ERR_BLOCKED on timeout or signal. */
RW_RESULT rw_cl_conn_wait(struct rw_cl_conn *t, bool want_write, int64_t deadline);

/* The SSL_CTX of a client: TLS 1.3 only, only the leaf sent. Used by
 * rw_cl_conn_open; exported for tests. Contexts are shared: the same
 * certificate, key and CA files, unchanged on disk, give the same context
 * (*out is one reference to it; SSL_CTX_free when done). Thread-safe. */
RW_RESULT rw_cl_tls_ctx(const struct rw_client_opts *o, SSL_CTX **out,
                        struct rw_client_error *err);
/* Drops the cached contexts (those still referenced live on); for tests. */
void rw_cl_tls_ctx_cache_clear(void);

#endif
