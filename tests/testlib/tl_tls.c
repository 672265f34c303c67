/* tests/testlib/tl_tls.c — a TLS client over memory BIOs and the pump
 * between it and a server rw_sec_tls (see tests/testlib/tl_tls.h). */
#include "tests/testlib/tl_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define PUMP_ROUNDS 64

struct tl_tls_cctx {
    SSL_CTX *ctx;
    const char *server_name;
};

struct tl_tls_conn {
    SSL *ssl;           /* owns both BIOs */
    BIO *rbio, *wbio;   /* borrowed from ssl */
    SSL_SESSION *session; /* owned: the newest one the server gave */
    int alert;
    bool done, failed;
};

static int conn_idx = -1;

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    struct tl_tls_conn *c = SSL_get_ex_data(ssl, conn_idx);
    if (!c) {
        return 0;
    }
    SSL_SESSION_free(c->session);
    c->session = sess;
    return 1; /* we keep the reference */
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    struct tl_tls_conn *c = SSL_get_ex_data(ssl, conn_idx);
    if (c && (where & SSL_CB_READ_ALERT)) {
        c->alert = ret & 0xff;
    }
}

static struct tl_tls_cctx *cctx_fail(struct tl_tls_cctx *c, const char *what)
{
    fprintf(stderr, "tl_tls: %s\n", what);
    ERR_print_errors_fp(stderr);
    tl_tls_cctx_free(c);
    return NULL;
}

struct tl_tls_cctx *tl_tls_cctx_new(const struct tl_tls_client_cfg *cfg)
{
    if (conn_idx < 0) {
        conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    }
    struct tl_tls_cctx *c = calloc(1, sizeof(*c));
    if (!c || !(c->ctx = SSL_CTX_new(TLS_client_method()))) {
        return cctx_fail(c, "cannot create a client context");
    }
    c->server_name = cfg->server_name;
    SSL_CTX *x = c->ctx;
    SSL_CTX_set_min_proto_version(x, cfg->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    if (cfg->tls12) {
        SSL_CTX_set_max_proto_version(x, TLS1_2_VERSION);
    }
    SSL_CTX_set_mode(x, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(x, new_session_cb);
    SSL_CTX_set_info_callback(x, info_cb);
    if (cfg->cert_file) {
        int ok = cfg->send_chain ? SSL_CTX_use_certificate_chain_file(x, cfg->cert_file)
                                 : SSL_CTX_use_certificate_file(x, cfg->cert_file,
                                                                SSL_FILETYPE_PEM);
        if (ok != 1 || SSL_CTX_use_PrivateKey_file(x, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
            return cctx_fail(c, "cannot load the client certificate or key");
        }
    }
    if (cfg->ca_file) {
        if (SSL_CTX_load_verify_locations(x, cfg->ca_file, NULL) != 1) {
            return cctx_fail(c, "cannot load the CA file");
        }
        SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
    }
    return c;
}

void tl_tls_cctx_free(struct tl_tls_cctx *c)
{
    if (c) {
        SSL_CTX_free(c->ctx);
        free(c);
    }
}

struct tl_tls_conn *tl_tls_conn_new(struct tl_tls_cctx *x, SSL_SESSION *resume)
{
    struct tl_tls_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    c->alert = -1;
    c->ssl = SSL_new(x->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->rbio || !c->wbio) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        SSL_free(c->ssl);
        free(c);
        return NULL;
    }
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_ex_data(c->ssl, conn_idx, c);
    SSL_set_connect_state(c->ssl);
    if (x->server_name) {
        SSL_set_tlsext_host_name(c->ssl, x->server_name);
        SSL_set1_host(c->ssl, x->server_name);
    }
    if (resume) {
        SSL_set_session(c->ssl, resume);
    }
    return c;
}

void tl_tls_conn_free(struct tl_tls_conn *c)
{
    if (c) {
        if (c->done && !c->failed) { /* keep the session resumable */
            SSL_set_shutdown(c->ssl, SSL_get_shutdown(c->ssl) | SSL_SENT_SHUTDOWN);
        }
        SSL_free(c->ssl);
        SSL_SESSION_free(c->session);
        free(c);
    }
}

/* One client step: handshake, or once done, process records without
 * consuming application data (tickets, alerts, close_notify). */
static void client_step(struct tl_tls_conn *c)
{
    if (c->failed) {
        return;
    }
    ERR_clear_error();
    if (!c->done) {
        int rc = SSL_do_handshake(c->ssl);
        if (rc == 1) {
            c->done = true;
        } else if (SSL_get_error(c->ssl, rc) != SSL_ERROR_WANT_READ) {
            c->failed = true;
        }
        return;
    }
    unsigned char b;
    size_t n = 0;
    if (SSL_peek_ex(c->ssl, &b, 1, &n) != 1) {
        int e = SSL_get_error(c->ssl, 0);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN) {
            c->failed = true;
        }
    }
    ERR_clear_error();
}

static size_t client_to_server(struct tl_tls_conn *c, struct rw_sec_tls *s)
{
    unsigned char buf[16384];
    size_t moved = 0;
    int n;
    while ((n = BIO_read(c->wbio, buf, sizeof(buf))) > 0) {
        if (!rw_ok(rw_sec_tls_feed(s, buf, (size_t)n))) {
            break;
        }
        moved += (size_t)n;
    }
    return moved;
}

static size_t server_to_client(struct tl_tls_conn *c, struct rw_sec_tls *s)
{
    unsigned char buf[16384];
    size_t moved = 0, n;
    while ((n = rw_sec_tls_out_take(s, buf, sizeof(buf))) > 0) {
        BIO_write(c->rbio, buf, (int)n);
        moved += n;
    }
    return moved;
}

size_t tl_tls_pump(struct tl_tls_conn *c, struct rw_sec_tls *s)
{
    size_t total = 0, moved;
    do {
        moved = client_to_server(c, s) + server_to_client(c, s);
        total += moved;
    } while (moved > 0);
    return total;
}

struct rw_result tl_tls_handshake(struct tl_tls_conn *c, struct rw_sec_tls *s)
{
    struct rw_result r = {RW_ERR_BLOCKED};
    char detail[512] = "";
    for (int i = 0; i < PUMP_ROUNDS; i++) {
        client_step(c);
        size_t moved = client_to_server(c, s);
        if (r.err == RW_ERR_BLOCKED) {
            r = rw_sec_tls_handshake(s);
            if (!rw_ok(r) && r.err != RW_ERR_BLOCKED) {
                snprintf(detail, sizeof(detail), "%s", rw_err_detail());
            }
        }
        moved += server_to_client(c, s);
        if (r.err != RW_ERR_BLOCKED && moved == 0 && (c->done || c->failed)) {
            break;
        }
    }
    if (!rw_ok(r)) {
        rw_err_detail_set("%s", detail);
    }
    return r;
}

bool tl_tls_client_done(const struct tl_tls_conn *c) { return c->done && !c->failed; }
bool tl_tls_client_resumed(const struct tl_tls_conn *c) { return SSL_session_reused(c->ssl); }
int tl_tls_client_alert(const struct tl_tls_conn *c) { return c->alert; }

SSL_SESSION *tl_tls_client_session(struct tl_tls_conn *c)
{
    if (c->session) {
        SSL_SESSION_up_ref(c->session);
    }
    return c->session;
}

bool tl_tls_client_write(struct tl_tls_conn *c, const void *data, size_t len)
{
    size_t w = 0;
    ERR_clear_error();
    return SSL_write_ex(c->ssl, data, len, &w) == 1 && w == len;
}

int tl_tls_client_read(struct tl_tls_conn *c, void *buf, size_t cap)
{
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(c->ssl, buf, cap, &n) == 1) {
        return (int)n;
    }
    switch (SSL_get_error(c->ssl, 0)) {
    case SSL_ERROR_WANT_READ: return 0;
    case SSL_ERROR_ZERO_RETURN: return -1;
    default: ERR_clear_error(); return -2;
    }
}

bool tl_tls_client_shutdown(struct tl_tls_conn *c)
{
    ERR_clear_error();
    return SSL_shutdown(c->ssl) >= 0;
}
