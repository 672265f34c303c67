/* client/cl_conn.c — handshake, non-blocking TLS I/O and failure reasons. */
#include "client/cl_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "client/cl_err.h"

/* Remembers the last fatal alert the broker sent, for the error message. */
static void info_cb(const SSL *ssl, int where, int ret)
{
    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL) {
        struct rw_cl_conn *t = SSL_get_app_data(ssl);
        if (t) {
            t->alert = ret & 0xff;
        }
    }
}

static struct rw_result alert_fail(struct rw_cl_conn *t, struct rw_client_error *err)
{
    int code = rw_cl_err_alert_code(t->alert);
    const char *desc = SSL_alert_desc_string_long(t->alert);
    if (code) {
        rw_cl_err_set(err, code, "broker %s refused the client certificate: %s", t->peer, desc);
        RW_BAIL(rw_cl_err_from_code(code));
    }
    rw_cl_err_set(err, 0, "broker %s ended the TLS connection with alert: %s", t->peer, desc);
    RW_BAIL(RW_ERR_TLS);
}

static enum rw_err verify_err(long vr)
{
    switch (vr) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return RW_ERR_AUTH_UNKNOWN_CA;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        return RW_ERR_AUTH_BAD_SIGNATURE;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return RW_ERR_AUTH_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return RW_ERR_AUTH_NOT_YET_VALID;
    case X509_V_ERR_CERT_REVOKED:
        return RW_ERR_AUTH_REVOKED;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return RW_ERR_AUTH_NAME_MISMATCH;
    default:
        return RW_ERR_AUTH_INVALID;
    }
}

static struct rw_result verify_fail(struct rw_cl_conn *t, long vr, struct rw_client_error *err)
{
    const char *why = X509_verify_cert_error_string(vr);
    enum rw_err e = verify_err(vr);
    if (e == RW_ERR_AUTH_NAME_MISMATCH) {
        rw_cl_err_set(err, 0, "broker certificate of %s rejected: %s (it does not name '%s')",
                      t->peer, why, t->name);
    } else if (e == RW_ERR_AUTH_UNKNOWN_CA || e == RW_ERR_AUTH_BAD_SIGNATURE) {
        rw_cl_err_set(err, 0, "broker certificate of %s rejected: %s (is --ca the CA bundle "
                      "of this broker?)", t->peer, why);
    } else {
        rw_cl_err_set(err, 0, "broker certificate of %s rejected: %s", t->peer, why);
    }
    RW_BAIL(e);
}

/* Turns a failed SSL call into a reason; `when` names what was going on. */
static struct rw_result tls_fail(struct rw_cl_conn *t, int ssl_err, int sys_errno,
                                 const char *when, struct rw_client_error *err)
{
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    t->broken = true;
    if (t->alert >= 0) {
        return alert_fail(t, err);
    }
    long vr = SSL_get_verify_result(t->ssl);
    if (vr != X509_V_OK) {
        return verify_fail(t, vr, err);
    }
    if (ssl_err == SSL_ERROR_SYSCALL && sys_errno != 0) {
        rw_cl_err_set(err, 0, "connection to broker %s lost during %s: %s", t->peer, when,
                      strerror(sys_errno));
        RW_BAIL(RW_ERR_IO);
    }
    if (ssl_err == SSL_ERROR_SYSCALL || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        rw_cl_err_set(err, 0, "broker %s closed the connection during %s", t->peer, when);
        RW_BAIL(RW_ERR_CLOSED);
    }
    const char *reason = ERR_reason_error_string(e);
    const char *hint =
        SSL_is_init_finished(t->ssl) ? "" : " (is it a Ringward broker speaking TLS 1.3?)";
    rw_cl_err_set(err, 0, "TLS failure with %s during %s: %s%s", t->peer, when,
                  reason ? reason : "unknown error", hint);
    RW_BAIL(RW_ERR_TLS);
}

static struct rw_result set_peer_name(struct rw_cl_conn *t, const char *name,
                                      struct rw_client_error *err)
{
    unsigned char ip[16];
    int ok;
    snprintf(t->name, sizeof(t->name), "%s", name);
    if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), name);
    } else {
        /* SAN DNS names only: never the subject CN, no partial wildcards. */
        SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set_tlsext_host_name(t->ssl, name) == 1 && SSL_set1_host(t->ssl, name) == 1;
    }
    if (!ok) {
        rw_cl_err_set(err, 0, "cannot check the broker's certificate against '%s'", name);
        RW_BAIL(RW_ERR_USAGE);
    }
    return RW_SUCCESS;
}

static struct rw_result set_session(struct rw_cl_conn *t, const struct rw_client_opts *o,
                                    struct rw_client_error *err)
{
    if (!o->session || o->session_len == 0) {
        return RW_SUCCESS;
    }
    const unsigned char *p = o->session;
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)o->session_len);
    int ok = s && SSL_set_session(t->ssl, s) == 1;
    SSL_SESSION_free(s);
    if (!ok) {
        ERR_clear_error();
        rw_cl_err_set(err, 0, "the saved TLS session cannot be used");
        RW_BAIL(RW_ERR_USAGE);
    }
    return RW_SUCCESS;
}

static struct rw_result setup(struct rw_cl_conn *t, const struct rw_client_opts *o,
                              struct rw_client_error *err)
{
    t->ssl = SSL_new(t->ctx);
    BIO *bio = t->ssl ? rw_cl_sock_bio(t->fd) : NULL;
    if (!bio) {
        rw_cl_err_set(err, 0, "cannot create a TLS connection object");
        RW_BAIL(RW_ERR_CRYPTO);
    }
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_app_data(t->ssl, t);
    SSL_set_info_callback(t->ssl, info_cb);
    RW_GUARD(set_peer_name(t, o->server_name ? o->server_name : o->host, err));
    return set_session(t, o, err);
}

static struct rw_result handshake(struct rw_cl_conn *t, int64_t deadline,
                                  struct rw_client_error *err)
{
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_connect(t->ssl);
        int sys = errno;
        if (rc == 1) {
            return RW_SUCCESS;
        }
        int e = SSL_get_error(t->ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            return tls_fail(t, e, sys, "the TLS handshake", err);
        }
        t->want_write = e == SSL_ERROR_WANT_WRITE;
        if (!rw_ok(rw_cl_conn_wait(t, t->want_write, deadline)) &&
            rw_cl_remaining(deadline) == 0) {
            rw_cl_err_set(err, 0, "TLS handshake with broker %s timed out", t->peer);
            RW_BAIL(RW_ERR_IO);
        }
    }
}

struct rw_result rw_cl_conn_open(struct rw_cl_conn *t, const struct rw_client_opts *o,
                                 int64_t deadline, struct rw_client_error *err)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->alert = -1;
    snprintf(t->peer, sizeof(t->peer), strchr(o->host, ':') ? "[%s]:%u" : "%s:%u", o->host,
             (unsigned)o->port);
    struct rw_result r;
    RW_TRY(r, rw_cl_tls_ctx(o, &t->ctx, err), fail);
    RW_TRY(r, rw_cl_sock_connect(o->host, o->port, deadline, &t->fd, err), fail);
    RW_TRY(r, setup(t, o, err), fail);
    RW_TRY(r, handshake(t, deadline, err), fail);
    return RW_SUCCESS;
fail:
    t->broken = true;
    rw_cl_conn_close(t);
    return r;
}

void rw_cl_conn_close(struct rw_cl_conn *t)
{
    if (t->ssl && !t->broken && SSL_is_init_finished(t->ssl)) {
        ERR_clear_error();
        (void)SSL_shutdown(t->ssl); /* sends close_notify; the reply is not awaited */
    }
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    if (t->fd >= 0) {
        close(t->fd);
    }
    t->ssl = NULL;
    t->ctx = NULL;
    t->fd = -1;
    ERR_clear_error();
}

static struct rw_result io_result(struct rw_cl_conn *t, int sys, const char *when,
                                  struct rw_client_error *err)
{
    int e = SSL_get_error(t->ssl, 0);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->want_write = e == SSL_ERROR_WANT_WRITE;
        return (struct rw_result){RW_ERR_BLOCKED};
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        rw_cl_err_set(err, 0, "broker %s closed the connection", t->peer);
        RW_BAIL(RW_ERR_CLOSED);
    }
    return tls_fail(t, e, sys, when, err);
}

struct rw_result rw_cl_conn_read(struct rw_cl_conn *t, uint8_t *buf, size_t cap, size_t *n,
                                 struct rw_client_error *err)
{
    ERR_clear_error();
    errno = 0;
    if (SSL_read_ex(t->ssl, buf, cap, n) == 1) {
        return RW_SUCCESS;
    }
    return io_result(t, errno, "a read", err);
}

struct rw_result rw_cl_conn_write(struct rw_cl_conn *t, const uint8_t *buf, size_t len,
                                  size_t *n, struct rw_client_error *err)
{
    ERR_clear_error();
    errno = 0;
    if (SSL_write_ex(t->ssl, buf, len, n) == 1) {
        return RW_SUCCESS;
    }
    return io_result(t, errno, "a write", err);
}

struct rw_result rw_cl_conn_wait(struct rw_cl_conn *t, bool want_write, int64_t deadline)
{
    struct pollfd pfd = {.fd = t->fd, .events = POLLIN | (want_write ? POLLOUT : 0)};
    int n = poll(&pfd, 1, rw_cl_remaining(deadline));
    if (n <= 0) {
        return (struct rw_result){RW_ERR_BLOCKED};
    }
    return RW_SUCCESS;
}
