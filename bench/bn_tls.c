/* bench/bn_tls.c — the generator's TLS client: one SSL_CTX shared by every
 * thread, blocking sockets whose every call is bounded by SO_RCVTIMEO /
 * SO_SNDTIMEO, and the leaf certificate only on the wire. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench/bn.h"

static void ossl_fail(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    bn_fail("%s: %s", what, e ? buf : "unknown OpenSSL error");
    ERR_clear_error();
}

SSL_CTX *bn_tls_ctx(const struct bn_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        ossl_fail("SSL_CTX_new");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* Only the leaf goes on the wire, as libringward does: every server
     * completes the chain from its own CA file. */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_AUTO_RETRY);
    if (SSL_CTX_use_certificate_file(ctx, o->cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ossl_fail("loading the client certificate and key");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (o->verify_server) {
        if (!o->ca || SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
            ossl_fail("loading the CA file");
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        /* The generator's core is the scarcer one: the server's chain is
         * not verified (it is still parsed by libssl). */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    /* Sessions are kept by the caller (SSL_get1_session), never cached here. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static void set_timeouts(int fd, double s)
{
    struct timeval tv = {(time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6)};
    if (tv.tv_sec == 0 && tv.tv_usec < 1000) {
        tv.tv_usec = 1000;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool bn_tcp_connect(struct bn_conn *c, const char *host, int port, double timeout_s)
{
    c->fd = -1;
    c->ssl = NULL;
    c->deadline = bn_now() + timeout_s;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        bn_fail("host must be an IPv4 literal on this machine (got %s)", host);
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_timeouts(fd, timeout_s);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return false;
    }
    c->fd = fd;
    return true;
}

bool bn_tls_start(struct bn_conn *c, SSL_CTX *ctx, SSL_SESSION *sess)
{
    ERR_clear_error();
    c->ssl = SSL_new(ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        return false;
    }
    if (sess) {
        SSL_set_session(c->ssl, sess);
    }
    if (SSL_connect(c->ssl) != 1) {
        ERR_clear_error();
        return false;
    }
    return true;
}

bool bn_write_all(struct bn_conn *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        if (bn_now() > c->deadline) {
            return false;
        }
        ERR_clear_error();
        int w = c->ssl ? SSL_write(c->ssl, b, (int)(n > (1u << 30) ? (1u << 30) : n))
                       : (int)send(c->fd, b, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (!c->ssl && w < 0 && errno == EINTR) {
                continue;
            }
            return false;
        }
        b += w;
        n -= (size_t)w;
    }
    return true;
}

long bn_read_some(struct bn_conn *c, void *p, size_t cap)
{
    for (;;) {
        if (bn_now() > c->deadline) {
            return -1;
        }
        ERR_clear_error();
        int r = c->ssl ? SSL_read(c->ssl, p, (int)(cap > (1u << 30) ? (1u << 30) : cap))
                       : (int)recv(c->fd, p, cap, 0);
        if (r > 0) {
            return r;
        }
        if (c->ssl) {
            int e = SSL_get_error(c->ssl, r);
            ERR_clear_error();
            if (e == SSL_ERROR_ZERO_RETURN) {
                return 0;
            }
            if (e == SSL_ERROR_WANT_READ) {
                continue; /* e.g. a NewSessionTicket was all that came */
            }
            if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR)) {
                return -1; /* SO_RCVTIMEO passed */
            }
            return -1;
        }
        if (r == 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
}

bool bn_read_exact(struct bn_conn *c, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        long r = bn_read_some(c, b, n);
        if (r <= 0) {
            return false;
        }
        b += r;
        n -= (size_t)r;
    }
    return true;
}

bool bn_raw_read_line(struct bn_conn *c, char *line, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        char ch;
        ssize_t r = recv(c->fd, &ch, 1, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            return false;
        }
        line[n++] = ch;
        if (ch == '\n') {
            line[n] = '\0';
            return true;
        }
    }
    return false;
}

void bn_close(struct bn_conn *c, bool linger0)
{
    if (c->ssl) {
        ERR_clear_error();
        SSL_shutdown(c->ssl); /* sends close_notify, does not wait for the peer's */
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        if (linger0) {
            struct linger l = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        close(c->fd);
        c->fd = -1;
    }
}
