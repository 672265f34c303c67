/* tests/testlib/tl_echo_broker.c — stand-in TLS frame server for client tests. */
#include "tests/testlib/tl_echo_broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TICK_MS 50
#define MAX_IN ((size_t)4 << 20)

struct tl_echo {
    struct tl_echo_opts o;
    int lfd;
    SSL_CTX *ctx;
    pthread_t thread;
    atomic_int stop, handshakes, resumed, chain_len;
};

/* 1 when fd is ready for `ev`, 0 when the server is stopping. */
static int wait_fd(struct tl_echo *e, int fd, short ev)
{
    while (!atomic_load(&e->stop)) {
        struct pollfd p = {.fd = fd, .events = ev};
        if (poll(&p, 1, TICK_MS) > 0) {
            return 1;
        }
    }
    return 0;
}

/* Drives one SSL call to completion; 1 on success, 0 on failure or stop. */
static int drive(struct tl_echo *e, SSL *ssl, int fd, int rc)
{
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ) {
        return wait_fd(e, fd, POLLIN) ? -1 : 0;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
        return wait_fd(e, fd, POLLOUT) ? -1 : 0;
    }
    return 0;
}

static int write_all(struct tl_echo *e, SSL *ssl, int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        size_t n = 0;
        ERR_clear_error();
        int rc = SSL_write_ex(ssl, p, len, &n);
        if (rc == 1) {
            p += n;
            len -= n;
            continue;
        }
        if (drive(e, ssl, fd, rc) != -1) {
            return 0;
        }
    }
    return 1;
}

/* Hands complete frames to the callback; 1 to keep the connection. */
static int handle_frames(struct tl_echo *e, SSL *ssl, int fd, struct rw_buf *in,
                         struct rw_buf *reply)
{
    int keep = 1;
    while (keep && in->len >= 4) {
        uint32_t n = (uint32_t)in->data[0] << 24 | (uint32_t)in->data[1] << 16 |
                     (uint32_t)in->data[2] << 8 | in->data[3];
        if (n > MAX_IN / 2) {
            return 0;
        }
        if (in->len - 4 < n) {
            break;
        }
        reply->len = 0;
        if (e->o.on_frame && e->o.on_frame(e->o.ctx, in->data + 4, n, reply) != 0) {
            keep = 0;
        }
        rw_buf_consume(in, 4 + (size_t)n);
        if (!write_all(e, ssl, fd, reply->data, reply->len)) {
            return 0;
        }
    }
    if (!keep) {
        (void)SSL_shutdown(ssl);
    }
    return keep;
}

static void serve_frames(struct tl_echo *e, SSL *ssl, int fd)
{
    struct rw_buf in, reply;
    rw_buf_init(&in, MAX_IN);
    rw_buf_init(&reply, (size_t)64 << 20);
    uint8_t buf[16384];
    for (;;) {
        size_t n = 0;
        ERR_clear_error();
        int rc = SSL_read_ex(ssl, buf, sizeof(buf), &n);
        if (rc != 1) {
            if (drive(e, ssl, fd, rc) == -1) {
                continue;
            }
            break;
        }
        if (!rw_ok(rw_buf_append(&in, buf, n)) || !handle_frames(e, ssl, fd, &in, &reply)) {
            break;
        }
    }
    rw_buf_cleanup(&in);
    rw_buf_cleanup(&reply);
}

static void serve_tls(struct tl_echo *e, int fd)
{
    SSL *ssl = SSL_new(e->ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return;
    }
    for (;;) {
        ERR_clear_error();
        int rc = SSL_accept(ssl);
        if (rc == 1) {
            atomic_fetch_add(&e->handshakes, 1);
            if (SSL_session_reused(ssl)) {
                atomic_fetch_add(&e->resumed, 1);
            } else {
                /* Server side, the stack holds what the client sent after its leaf. */
                STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
                atomic_store(&e->chain_len, 1 + (chain ? sk_X509_num(chain) : 0));
            }
            serve_frames(e, ssl, fd);
            break;
        }
        if (drive(e, ssl, fd, rc) != -1) {
            break; /* refused: OpenSSL has sent its alert */
        }
    }
    SSL_free(ssl);
    ERR_clear_error();
}

/* Reads the client's hello, answers with HTTP, half-closes, and waits for
 * the client to hang up (so no RST races the junk). */
static void serve_garbage(struct tl_echo *e, int fd)
{
    static const char junk[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    char buf[4096];
    if (wait_fd(e, fd, POLLIN)) {
        (void)!read(fd, buf, sizeof(buf));
    }
    (void)!write(fd, junk, sizeof(junk) - 1);
    shutdown(fd, SHUT_WR);
    while (wait_fd(e, fd, POLLIN) && read(fd, buf, sizeof(buf)) > 0) {
    }
}

static void *run(void *arg)
{
    struct tl_echo *e = arg;
    if (e->o.mode == TL_ECHO_SILENT) {
        while (!atomic_load(&e->stop)) {
            poll(NULL, 0, TICK_MS); /* never accept: the kernel's backlog holds clients */
        }
        return NULL;
    }
    while (wait_fd(e, e->lfd, POLLIN)) {
        int fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        if (e->o.mode == TL_ECHO_GARBAGE) {
            serve_garbage(e, fd);
        } else {
            serve_tls(e, fd);
        }
        close(fd);
    }
    return NULL;
}

/* Refuses every client chain with the configured verification error. */
static int reject_cb(int ok, X509_STORE_CTX *x)
{
    (void)ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tl_echo *e = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    X509_STORE_CTX_set_error(x, e->o.reject_verify);
    return 0;
}

static SSL_CTX *make_ctx(struct tl_echo *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        return NULL;
    }
    static const unsigned char sid[] = "tl_echo";
    SSL_CTX_set_app_data(ctx, e);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       e->o.reject_verify ? reject_cb : NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, e->o.cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, e->o.key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(ctx, e->o.ca, NULL) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

struct tl_echo *tl_echo_start(const struct tl_echo_opts *o, uint16_t *port)
{
    signal(SIGPIPE, SIG_IGN); /* the server writes to clients that may be gone */
    struct tl_echo *e = calloc(1, sizeof(*e));
    if (!e) {
        return NULL;
    }
    e->o = *o;
    e->lfd = listen_any(port);
    if (e->lfd >= 0 && o->mode == TL_ECHO_TLS) {
        e->ctx = make_ctx(e);
    }
    if (e->lfd < 0 || (o->mode == TL_ECHO_TLS && !e->ctx) ||
        pthread_create(&e->thread, NULL, run, e) != 0) {
        if (e->lfd >= 0) {
            close(e->lfd);
        }
        SSL_CTX_free(e->ctx);
        free(e);
        ERR_clear_error();
        return NULL;
    }
    return e;
}

void tl_echo_stop(struct tl_echo *e)
{
    if (!e) {
        return;
    }
    atomic_store(&e->stop, 1);
    pthread_join(e->thread, NULL);
    close(e->lfd);
    SSL_CTX_free(e->ctx);
    free(e);
}

int tl_echo_handshakes(struct tl_echo *e) { return atomic_load(&e->handshakes); }
int tl_echo_resumed(struct tl_echo *e) { return atomic_load(&e->resumed); }
int tl_echo_client_chain_len(struct tl_echo *e) { return atomic_load(&e->chain_len); }
