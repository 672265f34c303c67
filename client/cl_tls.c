/* client/cl_tls.c — the client's SSL_CTX: TLS 1.3, leaf-only, CA-file trust. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "client/cl_conn.h"
#include "client/cl_err.h"

static const char *ossl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown OpenSSL error";
}

/* Never prompt on a terminal for an encrypted key: fail instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static struct rw_result readable(const char *path, const char *what,
                                 struct rw_client_error *err)
{
    if (!path || !path[0]) {
        rw_cl_err_set(err, 0, "no %s file given", what);
        RW_BAIL(RW_ERR_USAGE);
    }
    if (access(path, R_OK) != 0) {
        rw_cl_err_set(err, 0, "cannot read %s file %s: %s", what, path, strerror(errno));
        RW_BAIL(RW_ERR_IO);
    }
    return RW_SUCCESS;
}

static struct rw_result load(SSL_CTX *ctx, const struct rw_client_opts *o,
                             struct rw_client_error *err)
{
    if (SSL_CTX_use_certificate_file(ctx, o->cert_file, SSL_FILETYPE_PEM) != 1) {
        rw_cl_err_set(err, 0, "cannot load client certificate %s: %s", o->cert_file,
                      ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            rw_cl_err_set(err, 0, "private key %s does not belong to certificate %s",
                          o->key_file, o->cert_file);
            RW_BAIL(RW_ERR_USAGE);
        }
        rw_cl_err_set(err, 0, "cannot load private key %s: %s", o->key_file, ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        rw_cl_err_set(err, 0, "private key %s does not belong to certificate %s", o->key_file,
                      o->cert_file);
        RW_BAIL(RW_ERR_USAGE);
    }
    /* Every certificate of the file (intermediate and root) becomes trusted. */
    if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
        rw_cl_err_set(err, 0, "cannot load CA file %s: %s", o->ca_file, ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    return RW_SUCCESS;
}

struct rw_result rw_cl_tls_ctx(const struct rw_client_opts *o, SSL_CTX **out,
                               struct rw_client_error *err)
{
    RW_GUARD(readable(o->cert_file, "client certificate", err));
    RW_GUARD(readable(o->key_file, "private key", err));
    RW_GUARD(readable(o->ca_file, "CA", err));
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        rw_cl_err_set(err, 0, "cannot create a TLS context: %s", ossl_reason());
        RW_BAIL(RW_ERR_CRYPTO);
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* Only the leaf goes on the wire: the broker completes the chain from
     * its cached CA set (parsing each extra certificate costs it ~130 µs). */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    struct rw_result r = load(ctx, o, err);
    ERR_clear_error();
    if (!rw_ok(r)) {
        SSL_CTX_free(ctx);
        return r;
    }
    *out = ctx;
    return RW_SUCCESS;
}
