/* Connecting: TLS 1.3 with a leaf-only client certificate, the broker's
 * certificate checked against the CA file and the host name, and a clear
 * reason for every way it can fail. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

#include "client/cl_conn.h"
#include "client/rw_client.h"
#include "proto/rw_frame.h"
#include "tests/testlib/tl_echo_broker.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *tmp;
static char pki[600], other[600];

static void make_pki(const char *dir)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s init --insecure-dev-keys --data-dir %s", tl_bin("ringward-admin"),
                   dir);
    cr_assert_eq(rc, 0, "ringward-admin init failed: %s", out ? out : "");
    free(out);
}

static void setup(void)
{
    tmp = tl_tmpdir("client-conn");
    cr_assert_not_null(tmp);
    snprintf(pki, sizeof(pki), "%s/a", tmp);
    snprintf(other, sizeof(other), "%s/b", tmp);
    make_pki(pki);
}

static void teardown(void)
{
    tl_rmtree(tmp);
    free(tmp);
}

TestSuite(cl_conn, .init = setup, .fini = teardown, .timeout = 60);

static char *path(const char *dir, const char *name)
{
    static char bufs[8][700];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof(bufs[0]), "%s/pki/%s", dir, name);
    return p;
}

/* Answers Ping with Pong and records how many certificates the client sent. */
static int pong(void *ctx, const uint8_t *body, size_t len, struct rw_buf *reply)
{
    (void)ctx;
    Ringward__Frame *f = NULL;
    if (!rw_ok(rw_frame_decode(body, len, &f))) {
        return 1;
    }
    if (f->body_case == RINGWARD__FRAME__BODY_PING) {
        Ringward__Pong p = RINGWARD__PONG__INIT;
        Ringward__Frame r = RINGWARD__FRAME__INIT;
        r.correlation_id = f->correlation_id;
        r.body_case = RINGWARD__FRAME__BODY_PONG;
        r.pong = &p;
        if (!rw_ok(rw_frame_append(reply, &r.base, RW_FRAME_DEFAULT_MAX))) {
            rw_frame_free(f);
            return 1;
        }
    }
    rw_frame_free(f);
    return 0;
}

static struct tl_echo *server(enum tl_echo_mode mode, const char *ca_dir, int reject,
                              uint16_t *port)
{
    struct tl_echo_opts o = {.mode = mode, .cert = path(pki, "broker.pem"),
                             .key = path(pki, "broker.key"), .ca = path(ca_dir, "ca-chain.pem"),
                             .reject_verify = reject, .on_frame = pong};
    struct tl_echo *e = tl_echo_start(&o, port);
    cr_assert_not_null(e, "stand-in server did not start");
    return e;
}

static struct rw_client_opts client_opts(const char *host, uint16_t port)
{
    return (struct rw_client_opts){.host = host, .port = port,
                                   .cert_file = path(pki, "producer-1.pem"),
                                   .key_file = path(pki, "producer-1.key"),
                                   .ca_file = path(pki, "ca-chain.pem"), .timeout_ms = 5000};
}

Test(cl_conn, connects_by_ip_and_by_name_sending_only_the_leaf)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_TLS, pki, 0, &port);
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (int i = 0; i < 2; i++) {
        struct rw_client_opts o = client_opts(hosts[i], port);
        struct rw_client *c = NULL;
        struct rw_client_error err;
        cr_assert(rw_ok(rw_client_connect(&o, &c, &err)), "%s: %s", hosts[i], err.message);
        cr_assert(rw_ok(rw_client_ping(c)), "%s", rw_client_last_error(c)->message);
        cr_assert_str_eq(rw_client_last_error(c)->message, "");
        cr_assert_eq(tl_echo_client_chain_len(e), 1, "only the leaf on the wire");
        rw_client_close(c);
    }
    cr_assert_eq(tl_echo_handshakes(e), 2);
    tl_echo_stop(e);
}

Test(cl_conn, ssl_ctx_sends_the_leaf_only)
{
    struct rw_client_opts o = client_opts("127.0.0.1", 1);
    SSL_CTX *ctx = NULL;
    struct rw_client_error err;
    cr_assert(rw_ok(rw_cl_tls_ctx(&o, &ctx, &err)), "%s", err.message);
    cr_assert(SSL_CTX_get_mode(ctx) & SSL_MODE_NO_AUTO_CHAIN);
    cr_assert_eq(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    STACK_OF(X509) *chain = NULL;
    cr_assert_eq(SSL_CTX_get0_chain_certs(ctx, &chain), 1);
    cr_assert_eq(chain ? sk_X509_num(chain) : 0, 0, "no extra certificates configured");
    /* Both CA certificates of ca-chain.pem are trusted. */
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
    cr_assert_eq(sk_X509_OBJECT_num(objs), 2);
    SSL_CTX_free(ctx);
}

Test(cl_conn, ssl_ctx_is_shared_until_a_file_changes)
{
    struct rw_client_opts o = client_opts("127.0.0.1", 1);
    SSL_CTX *a = NULL, *b = NULL, *c = NULL;
    struct rw_client_error err;
    cr_assert(rw_ok(rw_cl_tls_ctx(&o, &a, &err)), "%s", err.message);
    cr_assert(rw_ok(rw_cl_tls_ctx(&o, &b, &err)), "%s", err.message);
    cr_assert_eq(a, b, "the same files: one context, loaded once");
    SSL_CTX_free(b);
    /* A renewed certificate (another file at the same path) is loaded anew. */
    char *cert = path(pki, "producer-1.pem"), moved[800];
    snprintf(moved, sizeof(moved), "%s.old", cert);
    cr_assert_eq(rename(cert, moved), 0);
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "cp -p %s %s", moved, cert), 0, "%s", out ? out : "");
    free(out);
    cr_assert(rw_ok(rw_cl_tls_ctx(&o, &c, &err)), "%s", err.message);
    cr_assert_neq(a, c, "a changed file is a new context");
    SSL_CTX_free(c);
    /* The cached reference outlives the callers'; clearing drops it. */
    rw_cl_tls_ctx_cache_clear();
    cr_assert(SSL_CTX_get_mode(a) & SSL_MODE_NO_AUTO_CHAIN, "a caller's reference stays valid");
    SSL_CTX_free(a);
}

Test(cl_conn, connect_refused_is_a_clear_error)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd); /* nobody listens there now */
    struct rw_client_opts o = client_opts("127.0.0.1", ntohs(a.sin_port));
    struct rw_client *c = (struct rw_client *)1;
    struct rw_client_error err;
    struct rw_result r = rw_client_connect(&o, &c, &err);
    cr_assert_eq(r.err, RW_ERR_IO);
    cr_assert_null(c);
    cr_assert_eq(err.code, 0);
    cr_assert(strstr(err.message, "Connection refused"), "%s", err.message);
    cr_assert(strstr(err.message, "127.0.0.1:"), "%s", err.message);
}

Test(cl_conn, a_server_that_is_not_tls_gives_a_tls_error)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_GARBAGE, pki, 0, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    struct rw_client *c = NULL;
    struct rw_client_error err;
    struct rw_result r = rw_client_connect(&o, &c, &err);
    cr_assert_eq(r.err, RW_ERR_TLS, "%s (%s)", rw_err_name(r.err), err.message);
    cr_assert(strstr(err.message, "TLS failure"), "%s", err.message);
    cr_assert(strstr(err.message, "speaking TLS 1.3"), "%s", err.message);
    tl_echo_stop(e);
}

Test(cl_conn, hostname_mismatch_is_refused)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_TLS, pki, 0, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    o.server_name = "broker.example.org";
    struct rw_client *c = NULL;
    struct rw_client_error err;
    struct rw_result r = rw_client_connect(&o, &c, &err);
    cr_assert_eq(r.err, RW_ERR_AUTH_NAME_MISMATCH, "%s", err.message);
    cr_assert(strstr(err.message, "hostname mismatch"), "%s", err.message);
    cr_assert(strstr(err.message, "broker.example.org"), "%s", err.message);
    tl_echo_stop(e);
}

Test(cl_conn, a_broker_from_another_ca_is_refused)
{
    make_pki(other);
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_TLS, pki, 0, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    o.ca_file = path(other, "ca-chain.pem");
    struct rw_client *c = NULL;
    struct rw_client_error err;
    struct rw_result r = rw_client_connect(&o, &c, &err);
    cr_assert_eq(r.err, RW_ERR_AUTH_UNKNOWN_CA, "%s", err.message);
    cr_assert(strstr(err.message, "is --ca the CA bundle of this broker?"), "%s", err.message);
    tl_echo_stop(e);
}

/* TLS 1.3: the client's handshake is over before the broker judges the
 * client certificate, so the refusal arrives with the first reply. */
static void expect_refusal(int reject, const char *ca_dir, int code, const char *text)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_TLS, ca_dir, reject, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    struct rw_client *c = NULL;
    struct rw_client_error err;
    const struct rw_client_error *why = &err;
    if (rw_ok(rw_client_connect(&o, &c, &err))) {
        cr_assert_not(rw_ok(rw_client_ping(c)));
        why = rw_client_last_error(c);
    }
    cr_assert_eq(why->code, code, "code %d: %s", why->code, why->message);
    cr_assert(strstr(why->message, text), "%s", why->message);
    cr_assert(strstr(why->message, "refused the client certificate"), "%s", why->message);
    if (c) {
        cr_assert_not(rw_ok(rw_client_ping(c)), "the connection stays dead");
        cr_assert(strstr(rw_client_last_error(c)->message, text));
    }
    rw_client_close(c);
    tl_echo_stop(e);
}

Test(cl_conn, a_revoked_client_sees_certificate_revoked)
{
    expect_refusal(X509_V_ERR_CERT_REVOKED, pki, RINGWARD__ERROR_CODE__REVOKED,
                   "certificate revoked");
}

Test(cl_conn, an_expired_client_sees_certificate_expired)
{
    expect_refusal(X509_V_ERR_CERT_HAS_EXPIRED, pki, RINGWARD__ERROR_CODE__EXPIRED,
                   "certificate expired");
}

Test(cl_conn, a_client_of_another_ca_sees_unknown_ca)
{
    make_pki(other);
    expect_refusal(0, other, RINGWARD__ERROR_CODE__UNAUTHENTICATED, "unknown CA");
}

Test(cl_conn, a_silent_server_times_out)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_SILENT, pki, 0, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    o.timeout_ms = 300;
    struct rw_client *c = NULL;
    struct rw_client_error err;
    int64_t t0 = rw_cl_now_ms();
    struct rw_result r = rw_client_connect(&o, &c, &err);
    int64_t took = rw_cl_now_ms() - t0;
    cr_assert_eq(r.err, RW_ERR_IO);
    cr_assert(strstr(err.message, "TLS handshake with broker 127.0.0.1:"), "%s", err.message);
    cr_assert(strstr(err.message, "timed out"), "%s", err.message);
    cr_assert_geq(took, 250);
    cr_assert_lt(took, 5000);
    tl_echo_stop(e);
}

Test(cl_conn, missing_and_mismatched_files_are_named)
{
    struct rw_client_opts o = client_opts("127.0.0.1", 9);
    o.cert_file = "/nonexistent/cert.pem";
    struct rw_client *c = NULL;
    struct rw_client_error err;
    cr_assert_eq(rw_client_connect(&o, &c, &err).err, RW_ERR_IO);
    cr_assert(strstr(err.message, "cannot read client certificate file /nonexistent/cert.pem"),
              "%s", err.message);
    o = client_opts("127.0.0.1", 9);
    o.key_file = path(pki, "consumer-1.key");
    cr_assert_eq(rw_client_connect(&o, &c, &err).err, RW_ERR_USAGE);
    cr_assert(strstr(err.message, "does not belong to certificate"), "%s", err.message);
    o = client_opts("127.0.0.1", 9);
    o.ca_file = path(pki, "producer-1.key");
    cr_assert_neq(rw_client_connect(&o, &c, &err).err, RW_OK);
    cr_assert(strstr(err.message, "cannot load CA file"), "%s", err.message);
    o.host = NULL;
    cr_assert_eq(rw_client_connect(&o, &c, &err).err, RW_ERR_USAGE);
}

Test(cl_conn, sessions_resume)
{
    uint16_t port;
    struct tl_echo *e = server(TL_ECHO_TLS, pki, 0, &port);
    struct rw_client_opts o = client_opts("127.0.0.1", port);
    struct rw_client *c = NULL;
    struct rw_client_error err;
    cr_assert(rw_ok(rw_client_connect(&o, &c, &err)), "%s", err.message);
    cr_assert_not(rw_client_session_reused(c));
    cr_assert(rw_ok(rw_client_ping(c)), "the ping brings the ticket along");
    struct rw_buf sess;
    rw_buf_init(&sess, 1 << 16);
    cr_assert(rw_ok(rw_client_session_export(c, &sess)), "%s", rw_client_last_error(c)->message);
    cr_assert_gt(sess.len, 0);
    rw_client_close(c);

    o.session = sess.data;
    o.session_len = sess.len;
    cr_assert(rw_ok(rw_client_connect(&o, &c, &err)), "%s", err.message);
    cr_assert(rw_ok(rw_client_ping(c)));
    cr_assert(rw_client_session_reused(c));
    rw_client_close(c);
    cr_assert_eq(tl_echo_resumed(e), 1);

    static const uint8_t junk[] = {1, 2, 3};
    o.session = junk;
    o.session_len = sizeof(junk);
    cr_assert_eq(rw_client_connect(&o, &c, &err).err, RW_ERR_USAGE);
    cr_assert(strstr(err.message, "saved TLS session"), "%s", err.message);
    rw_buf_wipe_cleanup(&sess);
    tl_echo_stop(e);
}
