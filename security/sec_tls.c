/* security/sec_tls.c — a TLS session over two memory BIOs (see
 * security/sec_tls.h).
 *
 * Ownership: the session owns its SSL, which owns both BIOs. A refusal
 * decided inside an OpenSSL callback (client chain, resumed session) is
 * recorded on the session with a copy of its detail and returned by
 * rw_sec_tls_handshake, sticky. ERR_clear_error() precedes every SSL call;
 * failures drain the queue into rw_err_detail().
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "security/sec_ossl.h"
#include "security/sec_tls_internal.h"

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

struct rw_result rw_sec_tls_new(struct rw_sec_tls_ctx *ctx, struct rw_sec_tls **out)
{
    RW_ENSURE(ctx && out, RW_ERR_USAGE);
    *out = NULL;
    ERR_clear_error();
    struct rw_sec_tls *s = calloc(1, sizeof(*s));
    RW_ENSURE(s, RW_ERR_NOMEM);
    s->ctx = ctx;
    s->ssl = SSL_new(ctx->ssl_ctx);
    BIO *bio = rw_sec_tls_bio_new(s);
    if (!s->ssl || !bio) {
        BIO_free(bio);
        SSL_free(s->ssl);
        free(s);
        return ossl_fail(RW_ERR_NOMEM, "cannot create a TLS session");
    }
    SSL_set_bio(s->ssl, bio, bio); /* the SSL owns it from here */
    SSL_set_app_data(s->ssl, s);
    SSL_set_accept_state(s->ssl);
    *out = s;
    return RW_SUCCESS;
}

void rw_sec_tls_free(struct rw_sec_tls *s)
{
    if (!s) {
        return;
    }
    if (s->established && s->fail_err == RW_OK) {
        /* A connection that simply ends keeps its session resumable (TLS
         * 1.1+); OpenSSL already dropped it on any fatal alert, and every
         * resumption is re-checked anyway. */
        SSL_set_shutdown(s->ssl, SSL_get_shutdown(s->ssl) | SSL_SENT_SHUTDOWN);
    }
    SSL_free(s->ssl);
    rw_sec_tls_bufs_free(s);
    free(s->fail_detail);
    free(s);
}

struct rw_result rw_sec_tls_feed(struct rw_sec_tls *s, const uint8_t *data, size_t len)
{
    RW_ENSURE(s && (data || len == 0), RW_ERR_USAGE);
    RW_ENSURE_MSG(len == 0 || rw_sec_tls_in_append(s, data, len), RW_ERR_NOMEM,
                  "cannot buffer received ciphertext");
    return RW_SUCCESS;
}

void rw_sec_tls_fail_record(struct rw_sec_tls *s, enum rw_err e)
{
    if (s->fail_err != RW_OK) {
        return;
    }
    s->fail_err = e;
    s->fail_detail = strdup(rw_err_detail()); /* NULL on OOM: no detail then */
    s->authed = false;
    memset(&s->peer, 0, sizeof(s->peer));
    memset(&s->chain, 0, sizeof(s->chain));
}

/* The recorded refusal, again (sticky). */
static struct rw_result refused(struct rw_sec_tls *s)
{
    ERR_clear_error();
    rw_err_detail_set("%s", s->fail_detail ? s->fail_detail : "");
    return RW_ERR(s->fail_err);
}

bool rw_sec_tls_resume_check(struct rw_sec_tls *s)
{
    s->resume_checked = true;
    ERR_set_mark();
    struct rw_result r = rw_sec_auth_check_resumed_ids(
        s->ctx->auth, SSL_get0_peer_certificate(s->ssl), 0, &s->peer, &s->chain);
    if (!rw_ok(r)) {
        SSL_SESSION *sess = SSL_get_session(s->ssl);
        if (sess) {
            SSL_CTX_remove_session(s->ctx->ssl_ctx, sess); /* never offered again */
        }
    }
    ERR_pop_to_mark();
    if (!rw_ok(r)) {
        rw_sec_tls_fail_record(s, r.err);
        return false;
    }
    s->authed = true;
    return true;
}

static struct rw_result handshake_done(struct rw_sec_tls *s)
{
    /* Normally checked in the ClientHello callback; this is the backstop. */
    if (SSL_session_reused(s->ssl) && !s->resume_checked && !rw_sec_tls_resume_check(s)) {
        s->out.len = s->out_off = 0; /* no ticket for a refused session */
        return refused(s);
    }
    if (!s->authed && s->ctx->cert_optional && s->fail_err == RW_OK &&
        !SSL_get0_peer_certificate(s->ssl) && !SSL_session_reused(s->ssl)) {
        s->established = true; /* no certificate offered: an anonymous client */
        return RW_SUCCESS;
    }
    if (!s->authed) { /* default deny: never established without the auth manager */
        rw_err_detail_set("the TLS handshake completed without authenticating the client");
        rw_sec_tls_fail_record(s, RW_ERR_INTERNAL);
        return refused(s);
    }
    s->established = true;
    return RW_SUCCESS;
}

static struct rw_result handshake_error(struct rw_sec_tls *s, int ssl_err)
{
    unsigned long code = ERR_peek_error();
    if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
        ERR_GET_REASON(code) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        struct rw_sec_identity none;
        /* Counted and described by the auth manager like any refusal. */
        struct rw_result r = rw_sec_auth_check_chain(s->ctx->auth, NULL, NULL, 0, &none);
        rw_sec_tls_fail_record(s, r.err);
        return refused(s);
    }
    if (ssl_err == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_CLOSED, "the peer closed the connection during the TLS handshake");
    }
    return ossl_fail(RW_ERR_TLS, "TLS handshake failed");
}

struct rw_result rw_sec_tls_handshake(struct rw_sec_tls *s)
{
    RW_ENSURE(s, RW_ERR_USAGE);
    if (s->established) {
        return RW_SUCCESS;
    }
    if (s->fail_err != RW_OK) {
        return refused(s);
    }
    ERR_clear_error();
    int rc = SSL_do_handshake(s->ssl);
    if (rc == 1) {
        return handshake_done(s);
    }
    int e = SSL_get_error(s->ssl, rc);
    if (s->fail_err != RW_OK) {
        return refused(s); /* a callback refused the client; the alert is queued */
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        return RW_ERR(RW_ERR_BLOCKED);
    }
    return handshake_error(s, e);
}

static struct rw_result io_error(struct rw_sec_tls *s, const char *what)
{
    switch (SSL_get_error(s->ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return RW_ERR(RW_ERR_BLOCKED);
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_CLOSED, "the peer sent close_notify");
    default:
        return ossl_fail(RW_ERR_TLS, what);
    }
}

struct rw_result rw_sec_tls_read(struct rw_sec_tls *s, uint8_t *buf, size_t cap, size_t *n)
{
    RW_ENSURE(s && n && buf && cap > 0, RW_ERR_USAGE);
    *n = 0;
    RW_ENSURE_MSG(s->established, RW_ERR_STATE, "the TLS handshake has not completed");
    ERR_clear_error();
    if (SSL_read_ex(s->ssl, buf, cap, n) == 1) {
        return RW_SUCCESS;
    }
    return io_error(s, "TLS read failed");
}

struct rw_result rw_sec_tls_write(struct rw_sec_tls *s, const uint8_t *data, size_t len)
{
    RW_ENSURE(s && (data || len == 0), RW_ERR_USAGE);
    RW_ENSURE_MSG(s->established, RW_ERR_STATE, "the TLS handshake has not completed");
    if (len == 0) {
        return RW_SUCCESS;
    }
    size_t written = 0;
    ERR_clear_error();
    if (SSL_write_ex(s->ssl, data, len, &written) == 1 && written == len) {
        return RW_SUCCESS;
    }
    return io_error(s, "TLS write failed");
}

struct rw_result rw_sec_tls_shutdown(struct rw_sec_tls *s)
{
    RW_ENSURE(s, RW_ERR_USAGE);
    RW_ENSURE_MSG(s->established, RW_ERR_STATE, "the TLS handshake has not completed");
    ERR_clear_error();
    if (SSL_shutdown(s->ssl) >= 0) {
        return RW_SUCCESS; /* 0: ours sent, the peer's not yet seen */
    }
    return io_error(s, "TLS shutdown failed");
}

const struct rw_sec_identity *rw_sec_tls_peer(const struct rw_sec_tls *s)
{
    return s && s->established && s->authed ? &s->peer : NULL;
}

const struct rw_sec_chain_ids *rw_sec_tls_peer_chain(const struct rw_sec_tls *s)
{
    return s && s->established && s->authed ? &s->chain : NULL;
}

bool rw_sec_tls_resumed(const struct rw_sec_tls *s)
{
    return s && SSL_session_reused(s->ssl);
}

struct rw_result rw_sec_tls_recheck(const struct rw_sec_tls *s, const struct rw_sec_trust *t,
                                    int64_t now)
{
    RW_ENSURE(s && t, RW_ERR_USAGE);
    RW_ENSURE_MSG(s->established, RW_ERR_STATE, "the TLS handshake has not completed");
    if (!s->authed) {
        return RW_SUCCESS; /* an anonymous client (optional mode): no chain to re-check */
    }
    struct rw_result r = rw_sec_auth_chain_check(t, &s->chain, now);
    if (!rw_ok(r)) {
        SSL_SESSION *sess = SSL_get_session(s->ssl);
        if (sess) {
            SSL_CTX_remove_session(s->ctx->ssl_ctx, sess); /* not resumable */
        }
        rw_err_detail_append(" (principal %s)", s->peer.principal);
    }
    return r;
}
