/* admin/adm_remote.c — blocking mTLS client for the admin RPC. */
#include "admin/adm_remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "admin/adm_common.h"
#include "proto/rw_frame.h"
#include "security/sec_ossl.h"

#define IO_TIMEOUT_S 30
#define MAX_RESPONSE (64u << 20)

struct adm_remote {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    uint64_t next_corr;
    int alert; /* the last fatal alert the server sent, or -1 */
};

/* Remembers a fatal alert from the server (e.g. certificate_revoked: TLS
 * 1.3 refuses a client certificate after the client's handshake ends). */
static void alert_cb(const SSL *ssl, int where, int ret)
{
    if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL) {
        struct adm_remote *r = SSL_get_app_data(ssl);
        r->alert = ret & 0xff;
    }
}

const char *adm_remote_server(const struct adm_args *a)
{
    const char *s = adm_get(a, "server");
    if (s && s[0]) {
        return s;
    }
    s = getenv("RINGWARD_SERVER");
    return s && s[0] ? s : NULL;
}

struct rw_result adm_need_server(const struct adm_args *a)
{
    RW_ENSURE_MSG(adm_remote_server(a), RW_ERR_USAGE,
                  "this command talks to an admin listener: give --server HOST:PORT or set "
                  "RINGWARD_SERVER");
    return RW_SUCCESS;
}

void adm_remote_opts_from(const struct adm_args *a, enum adm_remote_auth auth, bool ca_is_id,
                          struct adm_remote_opts *o)
{
    static char cert[ADM_PATH_MAX], key[ADM_PATH_MAX], ca[ADM_PATH_MAX];
    const char *dir = adm_data_dir(a);
    snprintf(cert, sizeof(cert), "%s/pki/admin.pem", dir);
    snprintf(key, sizeof(key), "%s/pki/admin.key", dir);
    snprintf(ca, sizeof(ca), "%s/pki/ca-chain.pem", dir);
    memset(o, 0, sizeof(*o));
    o->server = adm_remote_server(a);
    const char *v;
    if (auth == ADM_REMOTE_CERT) {
        o->cert_file = (v = adm_get(a, "cert")) ? v : cert;
        o->key_file = (v = adm_get(a, "key")) ? v : key;
    }
    o->ca_file = (v = adm_get(a, "server-ca")) ? v : (!ca_is_id && (v = adm_get(a, "ca"))) ? v : ca;
}

static struct rw_result split_server(const char *server, char *host, size_t cap, char *port)
{
    const char *colon = strrchr(server, ':');
    RW_ENSURE_MSG(colon && colon[1] && strlen(colon + 1) < 6, RW_ERR_USAGE,
                  "--server takes HOST:PORT, not '%s'", server);
    const char *h = server;
    size_t n = (size_t)(colon - server);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    RW_ENSURE_MSG(n > 0 && n < cap, RW_ERR_USAGE, "--server takes HOST:PORT, not '%s'", server);
    memcpy(host, h, n);
    host[n] = '\0';
    snprintf(port, 6, "%s", colon + 1);
    return RW_SUCCESS;
}

static struct rw_result tcp_connect(const char *host, const char *port, int *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, port, &hints, &res);
    RW_ENSURE_MSG(g == 0, RW_ERR_IO, "cannot resolve '%s': %s", host, gai_strerror(g));
    int fd = -1, e = EHOSTUNREACH;
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    RW_ENSURE_MSG(fd >= 0, RW_ERR_IO, "cannot connect to %s:%s: %s (is the admin listener up?)",
                  host, port, strerror(e));
    *out = fd;
    return RW_SUCCESS;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static struct rw_result make_ctx(const struct adm_remote_opts *o, SSL_CTX **out)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    RW_ENSURE_MSG(ctx, RW_ERR_CRYPTO, "cannot create a TLS context");
    *out = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* Only the leaf goes on the wire: the server completes the chain. */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (o->cert_file) {
        RW_ENSURE_MSG(access(o->cert_file, R_OK) == 0 && access(o->key_file, R_OK) == 0,
                      RW_ERR_USAGE,
                      "cannot read the admin certificate %s or key %s (give --cert and --key)",
                      o->cert_file, o->key_file);
        if (SSL_CTX_use_certificate_file(ctx, o->cert_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            return rw_sec_ossl_fail(RW_ERR_USAGE, "cannot use the client certificate and key");
        }
    }
    RW_ENSURE_MSG(access(o->ca_file, R_OK) == 0, RW_ERR_USAGE,
                  "cannot read the CA bundle %s (give --ca FILE)", o->ca_file);
    if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
        return rw_sec_ossl_fail(RW_ERR_USAGE, "cannot load the CA bundle");
    }
    return RW_SUCCESS;
}

static struct rw_result handshake(struct adm_remote *r, const char *host)
{
    r->ssl = SSL_new(r->ctx);
    RW_ENSURE_MSG(r->ssl && SSL_set_fd(r->ssl, r->fd) == 1, RW_ERR_CRYPTO,
                  "cannot create a TLS session");
    SSL_set_app_data(r->ssl, r);
    SSL_set_info_callback(r->ssl, alert_cb);
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), host);
    } else {
        SSL_set_tlsext_host_name(r->ssl, host);
        SSL_set1_host(r->ssl, host);
    }
    ERR_clear_error();
    if (SSL_connect(r->ssl) != 1) {
        long v = SSL_get_verify_result(r->ssl);
        if (v != X509_V_OK) {
            RW_BAIL_MSG(RW_ERR_AUTH_INVALID, "the server's certificate is not trusted: %s",
                        X509_verify_cert_error_string(v));
        }
        return rw_sec_ossl_fail(RW_ERR_TLS, "TLS handshake with the admin listener failed");
    }
    return RW_SUCCESS;
}

struct rw_result adm_remote_open(const struct adm_remote_opts *o, struct adm_remote **out)
{
    RW_ENSURE_MSG(o->server, RW_ERR_USAGE, "no --server given and RINGWARD_SERVER is not set");
    signal(SIGPIPE, SIG_IGN);
    char host[256], port[6];
    RW_GUARD(split_server(o->server, host, sizeof(host), port));
    struct adm_remote *r = calloc(1, sizeof(*r));
    RW_ENSURE(r, RW_ERR_NOMEM);
    r->fd = -1;
    r->next_corr = 1;
    r->alert = -1;
    struct rw_result res = make_ctx(o, &r->ctx);
    if (rw_ok(res)) {
        res = tcp_connect(host, port, &r->fd);
    }
    if (rw_ok(res)) {
        res = handshake(r, host);
    }
    if (!rw_ok(res)) {
        adm_remote_close(r);
        return res;
    }
    *out = r;
    return RW_SUCCESS;
}

void adm_remote_close(struct adm_remote *r)
{
    if (!r) {
        return;
    }
    if (r->ssl) {
        SSL_shutdown(r->ssl);
        SSL_free(r->ssl);
    }
    SSL_CTX_free(r->ctx);
    if (r->fd >= 0) {
        close(r->fd);
    }
    free(r);
}

static struct rw_result read_full(struct adm_remote *r, uint8_t *p, size_t n)
{
    while (n > 0) {
        int k = SSL_read(r->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
        RW_ENSURE_MSG(k > 0 || r->alert != SSL_AD_CERTIFICATE_REVOKED, RW_ERR_AUTH_REVOKED,
                      "the admin listener refused our certificate: it is revoked");
        RW_ENSURE_MSG(k > 0 || r->alert != SSL_AD_CERTIFICATE_EXPIRED, RW_ERR_AUTH_EXPIRED,
                      "the admin listener refused our certificate: it has expired");
        RW_ENSURE_MSG(k > 0 || r->alert < 0, RW_ERR_TLS,
                      "the admin listener refused the connection with alert: %s",
                      SSL_alert_desc_string_long(r->alert));
        RW_ENSURE_MSG(k > 0, RW_ERR_CLOSED,
                      "the admin listener closed the connection (or timed out)");
        p += k;
        n -= (size_t)k;
    }
    return RW_SUCCESS;
}

static enum rw_err err_of(Ringward__ErrorCode code)
{
    switch (code) {
    case RINGWARD__ERROR_CODE__NOT_FOUND: return RW_ERR_NOT_FOUND;
    case RINGWARD__ERROR_CODE__UNAUTHENTICATED: return RW_ERR_AUTH_NO_CERT;
    case RINGWARD__ERROR_CODE__PERMISSION_DENIED: return RW_ERR_AUTH_INVALID;
    case RINGWARD__ERROR_CODE__INVALID_ARGUMENT: return RW_ERR_STATE;
    case RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED: return RW_ERR_LIMIT;
    case RINGWARD__ERROR_CODE__REVOKED: return RW_ERR_AUTH_REVOKED;
    case RINGWARD__ERROR_CODE__EXPIRED: return RW_ERR_AUTH_EXPIRED;
    default: return RW_ERR_INTERNAL;
    }
}

struct rw_result adm_remote_call(struct adm_remote *r, Ringward__Admin__AdminFrame *req,
                                 Ringward__Admin__AdminFrame **resp)
{
    req->correlation_id = r->next_corr++;
    struct rw_buf out;
    rw_buf_init(&out, RW_FRAME_DEFAULT_MAX + RW_FRAME_HEADER);
    RW_GUARD(rw_frame_append(&out, &req->base, RW_FRAME_DEFAULT_MAX));
    ERR_clear_error();
    int w = SSL_write(r->ssl, out.data, (int)out.len);
    rw_buf_wipe_cleanup(&out);
    RW_ENSURE_MSG(w > 0, RW_ERR_CLOSED, "cannot send to the admin listener");
    uint8_t hdr[RW_FRAME_HEADER];
    RW_GUARD(read_full(r, hdr, sizeof(hdr)));
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    RW_ENSURE_MSG(n <= MAX_RESPONSE, RW_ERR_PROTO_TOO_LARGE, "response frame of %u bytes", n);
    uint8_t *body = malloc(n ? n : 1);
    RW_ENSURE(body, RW_ERR_NOMEM);
    struct rw_result res = read_full(r, body, n);
    if (rw_ok(res)) {
        res = adm_frame_decode(req, body, n, resp);
    }
    OPENSSL_cleanse(body, n);
    free(body);
    return res;
}

struct rw_result adm_frame_decode(const Ringward__Admin__AdminFrame *req, const uint8_t *body,
                                  size_t n, Ringward__Admin__AdminFrame **resp)
{
    Ringward__Admin__AdminFrame *f = ringward__admin__admin_frame__unpack(NULL, n, body);
    RW_ENSURE_MSG(f, RW_ERR_PROTO_MALFORMED, "the admin service sent a malformed frame");
    if (f->body_case == RINGWARD__ADMIN__ADMIN_FRAME__BODY_ERROR) {
        enum rw_err e = err_of(f->error->code);
        rw_err_detail_set("%s [%s]", f->error->message, rw_frame_code_name(f->error->code));
        adm_remote_free(f);
        RW_BAIL(e);
    }
    if (f->correlation_id != req->correlation_id || (int)f->body_case != (int)req->body_case + 1) {
        adm_remote_free(f);
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "the admin service answered another request");
    }
    *resp = f;
    return RW_SUCCESS;
}

int adm_remote_finish(struct rw_result r, Ringward__Admin__AdminFrame *resp)
{
    adm_remote_free(resp);
    return adm_report(r);
}

void adm_remote_free(Ringward__Admin__AdminFrame *resp)
{
    if (resp) {
        ringward__admin__admin_frame__free_unpacked(resp, NULL);
    }
}

struct rw_result adm_remote_once(const struct adm_args *a, enum adm_remote_auth auth,
                                 bool ca_is_id, Ringward__Admin__AdminFrame *req,
                                 Ringward__Admin__AdminFrame **resp)
{
    if (!adm_remote_server(a) && auth == ADM_REMOTE_CERT) {
        return adm_local_call(a, req, resp);
    }
    struct adm_remote_opts o;
    adm_remote_opts_from(a, auth, ca_is_id, &o);
    struct adm_remote *r = NULL;
    RW_GUARD(adm_remote_open(&o, &r));
    struct rw_result res = adm_remote_call(r, req, resp);
    adm_remote_close(r);
    return res;
}
