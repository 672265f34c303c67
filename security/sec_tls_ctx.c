/* security/sec_tls_ctx.c — server TLS contexts: protocol settings, the
 * client-certificate hook into the authentication manager, the resumption
 * re-check, and stateless-ticket keys (see security/sec_tls.h).
 *
 * Callbacks find their session through SSL app data and their context
 * through SSL_CTX app data; they never log and never allocate on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509_vfy.h>

#include "security/sec_ossl.h"
#include "security/sec_tls_internal.h"

#define SID_CTX "ringward"
#define SID_CTX_OPTIONAL "ringward-admin"
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define MAX_CERT_LIST (64 * 1024)
#define DEFAULT_TIMEOUT 7200
#define DEFAULT_CACHE_SIZE 20480

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

/* The verify error that makes libssl send the fitting alert. */
static int x509_err_of(enum rw_err e)
{
    switch (e) {
    case RW_ERR_AUTH_UNKNOWN_CA: return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    case RW_ERR_AUTH_BAD_SIGNATURE: return X509_V_ERR_CERT_SIGNATURE_FAILURE;
    case RW_ERR_AUTH_EXPIRED: return X509_V_ERR_CERT_HAS_EXPIRED;
    case RW_ERR_AUTH_NOT_YET_VALID: return X509_V_ERR_CERT_NOT_YET_VALID;
    case RW_ERR_AUTH_REVOKED: return X509_V_ERR_CERT_REVOKED;
    case RW_ERR_AUTH_WRONG_USAGE: return X509_V_ERR_INVALID_PURPOSE;
    case RW_ERR_NOMEM: return X509_V_ERR_OUT_OF_MEM;
    default: return X509_V_ERR_CERT_REJECTED;
    }
}

static int alert_of(enum rw_err e)
{
    switch (e) {
    case RW_ERR_AUTH_UNKNOWN_CA: return SSL_AD_UNKNOWN_CA;
    case RW_ERR_AUTH_EXPIRED: return SSL_AD_CERTIFICATE_EXPIRED;
    case RW_ERR_AUTH_REVOKED: return SSL_AD_CERTIFICATE_REVOKED;
    case RW_ERR_AUTH_WRONG_USAGE: return SSL_AD_UNSUPPORTED_CERTIFICATE;
    default: return rw_err_category(e) == RW_CAT_AUTH ? SSL_AD_BAD_CERTIFICATE
                                                      : SSL_AD_INTERNAL_ERROR;
    }
}

/* Replaces X509_verify_cert for client chains: the auth manager decides. */
static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    struct rw_sec_tls_ctx *ctx = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct rw_sec_tls *s = ssl ? rw_sec_tls_of(ssl) : NULL;
    if (!s) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    ERR_set_mark(); /* our failures are in the detail; keep libssl's queue clean */
    struct rw_result r = rw_sec_auth_check_chain_ids(ctx->auth, X509_STORE_CTX_get0_cert(xs),
                                                     X509_STORE_CTX_get0_untrusted(xs), 0,
                                                     &s->peer, &s->chain);
    ERR_pop_to_mark();
    if (!rw_ok(r)) {
        rw_sec_tls_fail_record(s, r.err);
        X509_STORE_CTX_set_error(xs, x509_err_of(r.err));
        return 0;
    }
    s->authed = true;
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

/* Runs after the ClientHello's session (id or ticket) was resolved and
 * before the server's Finished: a resumed session is re-checked here, so a
 * refused client gets an alert instead of a completed handshake. */
static int hello_cb(SSL *ssl, int *alert, void *arg)
{
    (void)arg;
    struct rw_sec_tls *s = rw_sec_tls_of(ssl);
    if (!s || !SSL_session_reused(ssl) || s->resume_checked || rw_sec_tls_resume_check(s)) {
        return SSL_TLSEXT_ERR_NOACK; /* what OpenSSL does without a callback */
    }
    *alert = alert_of(s->fail_err);
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static bool ticket_key_new(struct rw_sec_ticket_key *k)
{
    return RAND_bytes(k->name, sizeof(k->name)) == 1 &&
           RAND_priv_bytes(k->aes, sizeof(k->aes)) == 1 &&
           RAND_priv_bytes(k->hmac, sizeof(k->hmac)) == 1;
}

/* The key to use: 1 current, 2 previous (the ticket is renewed), 0 none. */
static int ticket_key_pick(struct rw_sec_tls_ctx *ctx, const unsigned char *name, int enc,
                           struct rw_sec_ticket_key *k)
{
    int ret = 0;
    pthread_mutex_lock(&ctx->ticket_mu);
    if (enc || memcmp(name, ctx->keys[0].name, RW_TICKET_NAME_LEN) == 0) {
        *k = ctx->keys[0];
        ret = 1;
    } else if (ctx->have_previous &&
               memcmp(name, ctx->keys[1].name, RW_TICKET_NAME_LEN) == 0) {
        *k = ctx->keys[1];
        ret = 2;
    }
    pthread_mutex_unlock(&ctx->ticket_mu);
    return ret;
}

static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                     EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
    struct rw_sec_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    struct rw_sec_ticket_key k;
    int ret = ticket_key_pick(ctx, name, enc, &k);
    if (ret == 0) {
        return 0; /* unknown key: full handshake */
    }
    if (!enc && SSL_version(ssl) == TLS1_3_VERSION) {
        ret = 2; /* TLS 1.3 clients use a ticket once: always send a fresh one */
    }
    if (enc) {
        memcpy(name, k.name, RW_TICKET_NAME_LEN);
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(ctx->ticket_cipher)) != 1) {
            ret = -1;
        }
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac, sizeof(k.hmac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    int ok = ret > 0 && EVP_MAC_CTX_set_params(hctx, params) == 1 &&
             (enc ? EVP_EncryptInit_ex(cctx, ctx->ticket_cipher, NULL, k.aes, iv)
                  : EVP_DecryptInit_ex(cctx, ctx->ticket_cipher, NULL, k.aes, iv)) == 1;
    OPENSSL_cleanse(&k, sizeof(k));
    return ok ? ret : -1;
}

static struct rw_result ctx_protocol(struct rw_sec_tls_ctx *ctx,
                                     const struct rw_sec_tls_server_cfg *cfg)
{
    SSL_CTX *c = ctx->ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!c) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot create a TLS context");
    }
    SSL_CTX_set_app_data(c, ctx);
    if (SSL_CTX_set_min_proto_version(c, cfg->allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1 ||
        SSL_CTX_set1_groups_list(c, "X25519:P-256") != 1 ||
        (cfg->allow_tls12 && SSL_CTX_set_cipher_list(c, TLS12_CIPHERS) != 1)) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot set TLS versions, groups or ciphers");
    }
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    if (cfg->cleanse_plaintext) {
        SSL_CTX_set_options(c, SSL_OP_CLEANSE_PLAINTEXT);
    }
    SSL_CTX_set_max_cert_list(c, MAX_CERT_LIST);
    SSL_CTX_set_verify(c, cfg->client_cert_optional
                              ? SSL_VERIFY_PEER
                              : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(c, verify_cb, ctx);
    SSL_CTX_set_tlsext_servername_callback(c, hello_cb);
    return RW_SUCCESS;
}

static struct rw_result ctx_credentials(SSL_CTX *c, const struct rw_sec_tls_server_cfg *cfg)
{
    char what[512];
    if (SSL_CTX_use_certificate_chain_file(c, cfg->cert_file) != 1) {
        snprintf(what, sizeof(what), "cannot load the certificate %s", cfg->cert_file);
        return ossl_fail(RW_ERR_IO, what);
    }
    if (SSL_CTX_use_PrivateKey_file(c, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c) != 1) {
        snprintf(what, sizeof(what), "cannot load the key %s for %s", cfg->key_file,
                 cfg->cert_file);
        return ossl_fail(RW_ERR_IO, what);
    }
    if (!cfg->chain_file) {
        return RW_SUCCESS;
    }
    STACK_OF(X509) *sk = NULL;
    RW_GUARD(rw_sec_x509_stack_from_file(cfg->chain_file, &sk));
    struct rw_result r = RW_SUCCESS;
    for (int i = 0; i < sk_X509_num(sk) && rw_ok(r); i++) {
        if (SSL_CTX_add1_chain_cert(c, sk_X509_value(sk, i)) != 1) {
            r = ossl_fail(RW_ERR_CRYPTO, "cannot add a chain certificate");
        }
    }
    sk_X509_pop_free(sk, X509_free);
    return r;
}

static struct rw_result ctx_sessions(struct rw_sec_tls_ctx *ctx,
                                     const struct rw_sec_tls_server_cfg *cfg)
{
    SSL_CTX *c = ctx->ssl_ctx;
    if (ctx->cert_optional) {
        /* Its own id context (sessions never cross listeners) and no
         * resumption: a certificate-less session has nothing to re-check. */
        if (SSL_CTX_set_session_id_context(c, (const unsigned char *)SID_CTX_OPTIONAL,
                                           sizeof(SID_CTX_OPTIONAL) - 1) != 1 ||
            SSL_CTX_set_num_tickets(c, 0) != 1) {
            return ossl_fail(RW_ERR_CRYPTO, "cannot configure TLS sessions");
        }
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        return RW_SUCCESS;
    }
    if (SSL_CTX_set_session_id_context(c, (const unsigned char *)SID_CTX,
                                       sizeof(SID_CTX) - 1) != 1 ||
        SSL_CTX_set_num_tickets(c, 1) != 1) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot configure TLS sessions");
    }
    SSL_CTX_set_timeout(c, cfg->session_timeout > 0 ? cfg->session_timeout : DEFAULT_TIMEOUT);
    if (!ctx->stateless) {
        /* A TLS 1.3 ticket is then only an id into this cache. */
        SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(c, cfg->session_cache_size > 0 ? cfg->session_cache_size
                                                                   : DEFAULT_CACHE_SIZE);
        return RW_SUCCESS;
    }
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    ctx->ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    if (!ctx->ticket_cipher || !ticket_key_new(&ctx->keys[0]) ||
        SSL_CTX_set_tlsext_ticket_key_evp_cb(c, ticket_cb) != 1) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot set up session tickets");
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_tls_server_ctx_new(const struct rw_sec_tls_server_cfg *cfg,
                                           struct rw_sec_tls_ctx **out)
{
    RW_ENSURE(out, RW_ERR_USAGE);
    *out = NULL;
    RW_ENSURE_MSG(cfg && cfg->auth && cfg->cert_file && cfg->key_file, RW_ERR_USAGE,
                  "a TLS server needs a certificate, a key and an auth manager");
    ERR_clear_error();
    struct rw_sec_tls_ctx *ctx = calloc(1, sizeof(*ctx));
    RW_ENSURE(ctx, RW_ERR_NOMEM);
    pthread_mutex_init(&ctx->ticket_mu, NULL);
    ctx->auth = cfg->auth;
    ctx->stateless = cfg->stateless_tickets && !cfg->client_cert_optional;
    ctx->cert_optional = cfg->client_cert_optional;
    struct rw_result r = ctx_protocol(ctx, cfg);
    if (rw_ok(r)) {
        r = ctx_credentials(ctx->ssl_ctx, cfg);
    }
    if (rw_ok(r)) {
        r = ctx_sessions(ctx, cfg);
    }
    if (!rw_ok(r)) {
        rw_sec_tls_ctx_free(ctx);
        return r;
    }
    *out = ctx;
    return RW_SUCCESS;
}

void rw_sec_tls_ctx_free(struct rw_sec_tls_ctx *ctx)
{
    if (!ctx) {
        return;
    }
    SSL_CTX_free(ctx->ssl_ctx);
    EVP_CIPHER_free(ctx->ticket_cipher);
    OPENSSL_cleanse(ctx->keys, sizeof(ctx->keys));
    pthread_mutex_destroy(&ctx->ticket_mu);
    free(ctx);
}

struct rw_result rw_sec_tls_ctx_rotate_ticket_keys(struct rw_sec_tls_ctx *ctx)
{
    RW_ENSURE(ctx, RW_ERR_USAGE);
    RW_ENSURE_MSG(ctx->stateless, RW_ERR_STATE, "stateless session tickets are not enabled");
    struct rw_sec_ticket_key k;
    if (!ticket_key_new(&k)) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot generate a ticket key");
    }
    pthread_mutex_lock(&ctx->ticket_mu);
    ctx->keys[1] = ctx->keys[0];
    ctx->keys[0] = k;
    ctx->have_previous = true;
    pthread_mutex_unlock(&ctx->ticket_mu);
    OPENSSL_cleanse(&k, sizeof(k));
    return RW_SUCCESS;
}
