/* tests/testlib/tl_admin_server.c — see tl_admin_server.h. */
#include "tests/testlib/tl_admin_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "proto/rw_frame.h"
#include "security/sec_auth.h"
#include "security/sec_ca.h"

struct tl_admin_server {
    int listen_fd;
    int port;
    SSL_CTX *ctx;
    struct rw_store *store;
    struct rw_sec_auth *auth;
    struct rw_adm_service *svc;
    pthread_t thread;
    atomic_bool stop;
};

/* Per connection: what the verify callback learned. */
struct tl_peer {
    struct rw_sec_auth *auth;
    bool authed;
    struct rw_sec_identity id;
    struct rw_sec_chain_ids ids;
};

static int peer_idx = -1;

static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tl_peer *p = ssl ? SSL_get_ex_data(ssl, peer_idx) : NULL;
    if (!p) {
        return 0;
    }
    struct rw_result r = rw_sec_auth_check_chain_ids(p->auth, X509_STORE_CTX_get0_cert(xs),
                                                     X509_STORE_CTX_get0_untrusted(xs), 0, &p->id,
                                                     &p->ids);
    if (!rw_ok(r)) {
        X509_STORE_CTX_set_error(xs, r.err == RW_ERR_AUTH_REVOKED ? X509_V_ERR_CERT_REVOKED
                                                                   : X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    p->authed = true;
    return 1;
}

static bool read_full(SSL *ssl, uint8_t *p, size_t n)
{
    while (n > 0) {
        int k = SSL_read(ssl, p, (int)n);
        if (k <= 0) {
            return false;
        }
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void serve_frames(struct tl_admin_server *s, SSL *ssl, const struct tl_peer *p)
{
    struct rw_adm_caller caller = {.id = p->authed ? &p->id : NULL, .address = "127.0.0.1"};
    if (p->authed && p->ids.n > 0) {
        caller.serial = p->ids.certs[0].serial;
        caller.serial_len = p->ids.certs[0].serial_len;
    }
    uint8_t hdr[4];
    while (!atomic_load(&s->stop) && read_full(ssl, hdr, sizeof(hdr))) {
        uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
        if (n > RW_FRAME_DEFAULT_MAX) {
            return; /* a bad length closes the connection */
        }
        uint8_t *body = malloc(n ? n : 1);
        if (!body || !read_full(ssl, body, n)) {
            free(body);
            return;
        }
        struct rw_buf out;
        rw_buf_init(&out, 64u << 20);
        struct rw_result r = rw_adm_service_handle(s->svc, &caller, body, n, &out);
        free(body);
        bool ok = rw_ok(r) && SSL_write(ssl, out.data, (int)out.len) > 0;
        rw_buf_wipe_cleanup(&out);
        if (!ok) {
            return;
        }
    }
}

static void refresh_trust(struct tl_admin_server *s)
{
    struct rw_sec_trust *t = NULL;
    if (rw_ok(rw_sec_ca_trust_build(s->store, &t))) {
        rw_sec_auth_set_trust(s->auth, t);
        rw_sec_trust_unref(t);
    }
}

static void serve_one(struct tl_admin_server *s, int fd)
{
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    refresh_trust(s);
    struct tl_peer peer = {.auth = s->auth};
    SSL *ssl = SSL_new(s->ctx);
    if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_set_ex_data(ssl, peer_idx, &peer) == 1) {
        ERR_clear_error();
        if (SSL_accept(ssl) == 1) {
            serve_frames(s, ssl, &peer);
            SSL_shutdown(ssl);
        }
    }
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
}

static void *loop(void *arg)
{
    struct tl_admin_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd >= 0) {
            serve_one(s, fd);
        }
    }
    return NULL;
}

static bool listen_any(struct tl_admin_server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->listen_fd, 16) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0) {
        return false;
    }
    s->port = ntohs(a.sin_port);
    return true;
}

static bool make_ctx(struct tl_admin_server *s, const char *cert, const char *key)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    if (!s->ctx || SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1) {
        return false;
    }
    /* A certificate is optional here (enrollment); when sent, the auth manager decides. */
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(s->ctx, verify_cb, NULL);
    SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
    if (peer_idx < 0) {
        peer_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    return peer_idx >= 0;
}

struct tl_admin_server *tl_admin_server_start(const char *data_dir, const char *passphrase,
                                              const char *cert_file, const char *key_file,
                                              const struct rw_adm_service_cfg *cfg)
{
    struct tl_admin_server *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->listen_fd = -1;
    struct rw_sec_trust *t = NULL;
    bool ok = rw_ok(rw_store_open(data_dir, RW_STORE_OPEN_EXISTING, &s->store)) &&
              rw_ok(rw_sec_ca_trust_build(s->store, &t)) &&
              rw_ok(rw_sec_auth_new(NULL, t, &s->auth)) &&
              rw_ok(rw_adm_service_new(s->store, passphrase, cfg, &s->svc));
    rw_sec_trust_unref(t);
    ok = ok && make_ctx(s, cert_file, key_file) && listen_any(s) &&
         pthread_create(&s->thread, NULL, loop, s) == 0;
    if (!ok) {
        fprintf(stderr, "tl_admin_server: cannot start: %s\n", rw_err_detail());
        ERR_print_errors_fp(stderr);
        if (s->listen_fd >= 0) {
            close(s->listen_fd);
        }
        SSL_CTX_free(s->ctx);
        rw_adm_service_free(s->svc);
        rw_sec_auth_free(s->auth);
        rw_store_close(s->store);
        free(s);
        return NULL;
    }
    return s;
}

int tl_admin_server_port(const struct tl_admin_server *s)
{
    return s->port;
}

void tl_admin_server_stop(struct tl_admin_server *s)
{
    if (!s) {
        return;
    }
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    SSL_CTX_free(s->ctx);
    rw_adm_service_free(s->svc);
    rw_sec_auth_free(s->auth);
    rw_store_close(s->store);
    free(s);
}
