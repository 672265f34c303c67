/* TLS sessions over memory, pumped against an in-process client: mutual
 * authentication through the auth manager, its refusals (with the alert
 * the client sees), resumption re-checked for revocation in both session
 * modes, application data and close_notify, and garbage input. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "security/sec_tls.h"
#include "tests/testlib/tl_tls.h"

static struct tl_pki *pki;
static struct rw_sec_auth *auth;
static struct rw_sec_tls_ctx *srv;
static X509 *producer;

static struct rw_sec_tls_ctx *server_ctx(bool stateless, bool tls12)
{
    char cert[700], key[700];
    tl_pki_path(pki, "broker-chain.crt", cert, sizeof(cert));
    tl_pki_path(pki, "broker.key", key, sizeof(key));
    struct rw_sec_tls_server_cfg cfg = {.cert_file = cert, .key_file = key, .auth = auth,
                                        .stateless_tickets = stateless, .allow_tls12 = tls12};
    struct rw_sec_tls_ctx *ctx = NULL;
    cr_assert(rw_ok(rw_sec_tls_server_ctx_new(&cfg, &ctx)), "%s", rw_err_detail());
    return ctx;
}

static void setup(void)
{
    pki = tl_pki_new("sec-tls");
    cr_assert_not_null(pki);
    X509 *broker = tl_pki_issue(pki, "broker", RW_ROLE_BROKER, 0);
    producer = tl_pki_issue(pki, "producer-1", RW_ROLE_PRODUCER, 0);
    cr_assert(broker && producer && tl_pki_write_ca_bundle(pki));
    X509_free(broker);
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert(rw_ok(rw_sec_auth_new(NULL, t, &auth)), "%s", rw_err_detail());
    rw_sec_trust_unref(t);
    srv = server_ctx(false, false);
}

static void teardown(void)
{
    rw_sec_tls_ctx_free(srv);
    rw_sec_auth_free(auth);
    X509_free(producer);
    tl_pki_free(pki);
}

/* A client presenting DIR/<name>.crt (NULL: no certificate). */
static struct tl_tls_cctx *client(const char *name, bool chain, bool tls12)
{
    char cert[700], key[700], ca[700], file[200];
    snprintf(file, sizeof(file), "%s%s.crt", name ? name : "", chain ? "-chain" : "");
    tl_pki_path(pki, file, cert, sizeof(cert));
    snprintf(file, sizeof(file), "%s.key", name ? name : "");
    tl_pki_path(pki, file, key, sizeof(key));
    tl_pki_path(pki, "ca.crt", ca, sizeof(ca));
    struct tl_tls_client_cfg cfg = {.cert_file = name ? cert : NULL, .key_file = key,
                                    .send_chain = chain, .ca_file = ca,
                                    .server_name = "localhost", .tls12 = tls12};
    struct tl_tls_cctx *c = tl_tls_cctx_new(&cfg);
    cr_assert_not_null(c);
    return c;
}

struct conn {
    struct tl_tls_conn *c;
    struct rw_sec_tls *s;
    struct rw_result r;
};

static struct conn connect_to(struct rw_sec_tls_ctx *ctx, struct tl_tls_cctx *cc,
                              SSL_SESSION *resume)
{
    struct conn k = {0};
    k.c = tl_tls_conn_new(cc, resume);
    cr_assert_not_null(k.c);
    cr_assert(rw_ok(rw_sec_tls_new(ctx, &k.s)));
    k.r = tl_tls_handshake(k.c, k.s);
    return k;
}

static void conn_close(struct conn *k)
{
    tl_tls_conn_free(k->c);
    rw_sec_tls_free(k->s);
}

static struct rw_sec_auth_stats stats(void)
{
    struct rw_sec_auth_stats s;
    rw_sec_auth_stats_get(auth, &s);
    return s;
}

static void revoke(X509 *cert)
{
    cr_assert(tl_pki_revoke(pki, cert, RW_REASON_KEY_COMPROMISE));
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert_not_null(t);
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
}

/* Expect a refusal with `err`, and the client told with `alert`. */
static void expect_refused(struct conn *k, enum rw_err err, int alert)
{
    cr_assert_eq(k->r.err, err, "got %s: %s", rw_err_name(k->r.err), rw_err_detail());
    cr_assert_null(rw_sec_tls_peer(k->s), "no identity after a refusal");
    cr_assert_eq(tl_tls_client_alert(k->c), alert, "client saw alert %d",
                 tl_tls_client_alert(k->c));
    cr_assert_eq(rw_sec_tls_handshake(k->s).err, err, "the refusal is sticky");
}

TestSuite(sec_tls, .init = setup, .fini = teardown, .timeout = 120);

Test(sec_tls, full_handshake_authenticates_the_producer)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(k.r), "%s: %s", rw_err_name(k.r.err), rw_err_detail());
    cr_assert(tl_tls_client_done(k.c), "the client verified the broker and finished");
    const struct rw_sec_identity *id = rw_sec_tls_peer(k.s);
    cr_assert_not_null(id);
    cr_assert_str_eq(id->principal, "producer-1");
    cr_assert_eq(id->role, RW_ROLE_PRODUCER);
    cr_assert_not(rw_sec_tls_resumed(k.s));
    const struct rw_sec_chain_ids *ids = rw_sec_tls_peer_chain(k.s);
    cr_assert(ids && ids->n == 3, "leaf, intermediate, root");
    cr_assert_eq(stats().accepted_full, 1);
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, a_second_connection_with_the_same_chain_hits_the_cache)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    for (int i = 0; i < 2; i++) {
        struct conn k = connect_to(srv, cc, NULL);
        cr_assert(rw_ok(k.r), "%s", rw_err_detail());
        conn_close(&k);
    }
    struct rw_sec_auth_stats s = stats();
    cr_assert_eq(s.cache_misses, 1);
    cr_assert_eq(s.cache_hits, 1);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, a_client_sending_its_chain_is_accepted)
{
    struct tl_tls_cctx *cc = client("producer-1", true, false);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    cr_assert_str_eq(rw_sec_tls_peer(k.s)->principal, "producer-1");
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, no_client_certificate_is_refused)
{
    struct tl_tls_cctx *cc = client(NULL, false, false);
    struct conn k = connect_to(srv, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_NO_CERT, SSL_AD_CERTIFICATE_REQUIRED);
    cr_assert_eq(stats().rejected[RW_AUTH_R_NO_CERT], 1);
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, a_certificate_from_another_ca_is_refused)
{
    X509 *root = NULL, *leaf;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Other Root", &root, &key));
    leaf = tl_foreign_leaf(pki, root, key, "stranger", "clientAuth");
    cr_assert_not_null(leaf);
    struct tl_tls_cctx *cc = client("stranger", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_UNKNOWN_CA, SSL_AD_UNKNOWN_CA);
    cr_assert_eq(stats().rejected[RW_AUTH_R_UNKNOWN_CA], 1);
    conn_close(&k);
    tl_tls_cctx_free(cc);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(key);
}

Test(sec_tls, an_expired_certificate_is_refused)
{
    pki->ca.now = (int64_t)time(NULL) - 43200;
    X509 *old = tl_pki_issue(pki, "producer-old", RW_ROLE_PRODUCER, 3600);
    pki->ca.now = 0;
    cr_assert_not_null(old);
    struct tl_tls_cctx *cc = client("producer-old", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED);
    conn_close(&k);
    tl_tls_cctx_free(cc);
    X509_free(old);
}

Test(sec_tls, a_server_only_certificate_has_the_wrong_usage)
{
    X509 *root = NULL, *leaf;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Web Root", &root, &key));
    leaf = tl_foreign_leaf(pki, root, key, "web", "serverAuth");
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, root)) && rw_ok(rw_sec_trust_freeze(t)));
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    struct tl_tls_cctx *cc = client("web", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_WRONG_USAGE, SSL_AD_UNSUPPORTED_CERTIFICATE);
    conn_close(&k);
    tl_tls_cctx_free(cc);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(key);
}

Test(sec_tls, revocation_refuses_a_cached_chain_and_flags_live_sessions)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    struct conn live = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(live.r), "%s", rw_err_detail());
    revoke(producer);
    struct rw_sec_trust *t = rw_sec_auth_trust(auth);
    cr_assert_eq(rw_sec_tls_recheck(live.s, t, 0).err, RW_ERR_AUTH_REVOKED,
                 "the broker can find the live connection to close");
    rw_sec_trust_unref(t);
    struct conn k = connect_to(srv, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_REVOKED, SSL_AD_CERTIFICATE_REVOKED);
    cr_assert(strstr(rw_err_detail(), "keyCompromise"), "%s", rw_err_detail());
    cr_assert_eq(stats().rejected[RW_AUTH_R_REVOKED], 1);
    conn_close(&k);
    conn_close(&live);
    tl_tls_cctx_free(cc);
}

/* Connect, resume, revoke, and the resumption is refused. */
static void resumption_rechecks_revocation(struct rw_sec_tls_ctx *ctx, bool tls12)
{
    struct tl_tls_cctx *cc = client("producer-1", false, tls12);
    struct conn k = connect_to(ctx, cc, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    SSL_SESSION *sess = tl_tls_client_session(k.c);
    cr_assert_not_null(sess, "the client got a ticket");
    conn_close(&k);

    k = connect_to(ctx, cc, sess);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    cr_assert(rw_sec_tls_resumed(k.s) && tl_tls_client_resumed(k.c));
    cr_assert_str_eq(rw_sec_tls_peer(k.s)->principal, "producer-1");
    cr_assert_eq(stats().accepted_resumed, 1);
    SSL_SESSION *next = tl_tls_client_session(k.c); /* TLS 1.3 stateful: single use */
    if (next) {
        SSL_SESSION_free(sess);
        sess = next;
    }
    conn_close(&k);

    revoke(producer);
    k = connect_to(ctx, cc, sess);
    cr_assert(rw_sec_tls_resumed(k.s), "refused on the resumption path");
    expect_refused(&k, RW_ERR_AUTH_REVOKED, SSL_AD_CERTIFICATE_REVOKED);
    conn_close(&k);
    SSL_SESSION_free(sess);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, stateful_resumption_rechecks_revocation)
{
    resumption_rechecks_revocation(srv, false);
}

Test(sec_tls, stateless_ticket_resumption_rechecks_revocation)
{
    struct rw_sec_tls_ctx *ctx = server_ctx(true, false);
    resumption_rechecks_revocation(ctx, false);
    rw_sec_tls_ctx_free(ctx);
}

Test(sec_tls, tls12_resumption_rechecks_revocation)
{
    struct rw_sec_tls_ctx *ctx = server_ctx(false, true);
    resumption_rechecks_revocation(ctx, true);
    rw_sec_tls_ctx_free(ctx);
}

Test(sec_tls, tls12_is_refused_unless_allowed)
{
    struct tl_tls_cctx *cc = client("producer-1", false, true);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert_eq(k.r.err, RW_ERR_TLS, "%s", rw_err_name(k.r.err));
    cr_assert(strstr(rw_err_detail(), "protocol"), "%s", rw_err_detail());
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

/* After a refused resumption the session is gone: the next attempt is a
 * full handshake (TLS 1.2 session ids are reusable, so this is ours). */
static void refused_session_is_dropped(struct rw_sec_tls_ctx *ctx, const char *name, bool tls12)
{
    X509 *cert = tl_pki_issue(pki, name, RW_ROLE_CONSUMER, 0);
    cr_assert_not_null(cert);
    struct tl_tls_cctx *cc = client(name, false, tls12);
    struct conn k = connect_to(ctx, cc, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    SSL_SESSION *sess = tl_tls_client_session(k.c);
    cr_assert_not_null(sess);
    conn_close(&k);
    revoke(cert);
    k = connect_to(ctx, cc, sess);
    cr_assert_eq(k.r.err, RW_ERR_AUTH_REVOKED);
    cr_assert(rw_sec_tls_resumed(k.s));
    conn_close(&k);
    k = connect_to(ctx, cc, sess);
    cr_assert_eq(k.r.err, RW_ERR_AUTH_REVOKED);
    cr_assert_not(rw_sec_tls_resumed(k.s), "the refused session is not offered again");
    conn_close(&k);
    SSL_SESSION_free(sess);
    tl_tls_cctx_free(cc);
    X509_free(cert);
}

Test(sec_tls, a_refused_resumption_drops_the_session)
{
    refused_session_is_dropped(srv, "consumer-13", false);
    struct rw_sec_tls_ctx *ctx = server_ctx(false, true);
    refused_session_is_dropped(ctx, "consumer-12", true);
    rw_sec_tls_ctx_free(ctx);
}

static SSL_SESSION *fresh_ticket(struct rw_sec_tls_ctx *ctx, struct tl_tls_cctx *cc)
{
    struct conn k = connect_to(ctx, cc, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    SSL_SESSION *sess = tl_tls_client_session(k.c);
    cr_assert_not_null(sess);
    conn_close(&k);
    return sess;
}

Test(sec_tls, rotated_ticket_keys_decrypt_for_one_more_period)
{
    struct rw_sec_tls_ctx *ctx = server_ctx(true, false);
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    SSL_SESSION *a = fresh_ticket(ctx, cc), *b = fresh_ticket(ctx, cc);
    cr_assert(rw_ok(rw_sec_tls_ctx_rotate_ticket_keys(ctx)));
    struct conn k = connect_to(ctx, cc, a);
    cr_assert(rw_ok(k.r) && rw_sec_tls_resumed(k.s), "the previous key still decrypts");
    conn_close(&k);
    cr_assert(rw_ok(rw_sec_tls_ctx_rotate_ticket_keys(ctx)));
    cr_assert(SSL_SESSION_is_resumable(b), "the client still offers b");
    k = connect_to(ctx, cc, b);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    cr_assert_not(rw_sec_tls_resumed(k.s), "two rotations later: a full handshake");
    conn_close(&k);
    cr_assert_eq(rw_sec_tls_ctx_rotate_ticket_keys(srv).err, RW_ERR_STATE);
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);
    tl_tls_cctx_free(cc);
    rw_sec_tls_ctx_free(ctx);
}

Test(sec_tls, application_data_round_trip_and_close_notify)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(k.r));
    uint8_t buf[256];
    size_t n = 0;
    cr_assert_eq(rw_sec_tls_read(k.s, buf, sizeof(buf), &n).err, RW_ERR_BLOCKED);
    cr_assert(tl_tls_client_write(k.c, "ping", 4));
    tl_tls_pump(k.c, k.s);
    cr_assert(rw_ok(rw_sec_tls_read(k.s, buf, sizeof(buf), &n)));
    cr_assert(n == 4 && memcmp(buf, "ping", 4) == 0);
    cr_assert(rw_ok(rw_sec_tls_write(k.s, (const uint8_t *)"pong!", 5)));
    cr_assert_gt(rw_sec_tls_out_pending(k.s), 0);
    tl_tls_pump(k.c, k.s);
    cr_assert_eq(rw_sec_tls_out_pending(k.s), 0);
    cr_assert_eq(tl_tls_client_read(k.c, buf, sizeof(buf)), 5);
    cr_assert(memcmp(buf, "pong!", 5) == 0);
    cr_assert(tl_tls_client_shutdown(k.c));
    tl_tls_pump(k.c, k.s);
    cr_assert_eq(rw_sec_tls_read(k.s, buf, sizeof(buf), &n).err, RW_ERR_CLOSED);
    cr_assert(rw_ok(rw_sec_tls_shutdown(k.s)));
    tl_tls_pump(k.c, k.s);
    cr_assert_eq(tl_tls_client_read(k.c, buf, sizeof(buf)), -1, "the client sees ours");
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, garbage_is_a_tls_error)
{
    static const uint8_t inputs[][16] = {
        {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'},
        {0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0xff, 0xfb, 0x03, 0x03},
        {0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5},
        {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00},
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct rw_sec_tls *s = NULL;
        cr_assert(rw_ok(rw_sec_tls_new(srv, &s)));
        cr_assert_eq(rw_sec_tls_handshake(s).err, RW_ERR_BLOCKED, "nothing fed yet");
        cr_assert(rw_ok(rw_sec_tls_feed(s, inputs[i], sizeof(inputs[i]))));
        struct rw_result r = rw_sec_tls_handshake(s);
        cr_assert_eq(r.err, RW_ERR_TLS, "input %zu: %s", i, rw_err_name(r.err));
        cr_assert_null(rw_sec_tls_peer(s));
        uint8_t out[64];
        size_t n;
        cr_assert_eq(rw_sec_tls_read(s, out, sizeof(out), &n).err, RW_ERR_STATE);
        cr_assert_eq(rw_sec_tls_write(s, out, 1).err, RW_ERR_STATE);
        while (rw_sec_tls_out_take(s, out, sizeof(out)) > 0) {
        }
        rw_sec_tls_free(s);
    }
}

Test(sec_tls, bad_server_configuration_is_reported)
{
    struct rw_sec_tls_server_cfg cfg = {.cert_file = "/nonexistent/cert.pem",
                                        .key_file = "/nonexistent/key.pem", .auth = auth};
    struct rw_sec_tls_ctx *ctx = NULL;
    struct rw_result r = rw_sec_tls_server_ctx_new(&cfg, &ctx);
    cr_assert_eq(r.err, RW_ERR_IO);
    cr_assert(strstr(rw_err_detail(), "/nonexistent/cert.pem"), "%s", rw_err_detail());
    cr_assert_null(ctx);
    cfg.auth = NULL;
    cr_assert_eq(rw_sec_tls_server_ctx_new(&cfg, &ctx).err, RW_ERR_USAGE);
}

static struct rw_sec_tls_ctx *optional_ctx(void)
{
    char cert[700], key[700];
    tl_pki_path(pki, "broker-chain.crt", cert, sizeof(cert));
    tl_pki_path(pki, "broker.key", key, sizeof(key));
    struct rw_sec_tls_server_cfg cfg = {.cert_file = cert, .key_file = key, .auth = auth,
                                        .client_cert_optional = true};
    struct rw_sec_tls_ctx *ctx = NULL;
    cr_assert(rw_ok(rw_sec_tls_server_ctx_new(&cfg, &ctx)), "%s", rw_err_detail());
    return ctx;
}

Test(sec_tls, optional_mode_accepts_no_cert_and_still_refuses_a_bad_one)
{
    struct rw_sec_tls_ctx *opt = optional_ctx();
    struct tl_tls_cctx *anon = client(NULL, false, false);
    struct conn k = connect_to(opt, anon, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    cr_assert_null(rw_sec_tls_peer(k.s), "no certificate: no identity");
    cr_assert_null(rw_sec_tls_peer_chain(k.s));
    uint8_t buf[64];
    size_t n = 0;
    cr_assert(tl_tls_client_write(k.c, "enroll", 6));
    tl_tls_pump(k.c, k.s);
    cr_assert(rw_ok(rw_sec_tls_read(k.s, buf, sizeof(buf), &n)), "%s", rw_err_detail());
    cr_assert(n == 6 && memcmp(buf, "enroll", 6) == 0);
    cr_assert(rw_ok(rw_sec_tls_write(k.s, (const uint8_t *)"ok", 2)));
    tl_tls_pump(k.c, k.s);
    cr_assert_eq(tl_tls_client_read(k.c, buf, sizeof(buf)), 2);
    conn_close(&k);
    tl_tls_cctx_free(anon);

    struct tl_tls_cctx *cc = client("producer-1", false, false);
    k = connect_to(opt, cc, NULL);
    cr_assert(rw_ok(k.r), "%s", rw_err_detail());
    cr_assert_not_null(rw_sec_tls_peer(k.s));
    cr_assert_str_eq(rw_sec_tls_peer(k.s)->principal, "producer-1");
    conn_close(&k);
    tl_tls_cctx_free(cc);

    X509 *root = NULL, *leaf;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Other Root", &root, &key));
    leaf = tl_foreign_leaf(pki, root, key, "stranger", "clientAuth");
    cr_assert_not_null(leaf);
    cc = client("stranger", false, false);
    k = connect_to(opt, cc, NULL);
    expect_refused(&k, RW_ERR_AUTH_UNKNOWN_CA, SSL_AD_UNKNOWN_CA);
    conn_close(&k);
    tl_tls_cctx_free(cc);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(key);
    rw_sec_tls_ctx_free(opt);
}

/* One "ping" in, "pong!" out, through the test client. */
static void round_trip(struct conn *k)
{
    uint8_t buf[64];
    size_t n = 0;
    cr_assert(tl_tls_client_write(k->c, "ping", 4));
    tl_tls_pump(k->c, k->s);
    cr_assert(rw_ok(rw_sec_tls_read(k->s, buf, sizeof(buf), &n)));
    cr_assert(n == 4 && memcmp(buf, "ping", 4) == 0);
    cr_assert(rw_ok(rw_sec_tls_write(k->s, (const uint8_t *)"pong!", 5)));
    tl_tls_pump(k->c, k->s);
    cr_assert_eq(tl_tls_client_read(k->c, buf, sizeof(buf)), 5);
    cr_assert(memcmp(buf, "pong!", 5) == 0);
}

Test(sec_tls, a_drained_session_holds_no_buffers_after_trim)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(k.r));
    round_trip(&k);
    cr_assert_gt(rw_sec_tls_buffered(k.s), 0, "buffers were used");
    rw_sec_tls_trim(k.s);
    cr_assert_eq(rw_sec_tls_buffered(k.s), 0, "an idle session keeps none");
    round_trip(&k); /* they come back when needed */
    rw_sec_tls_trim(k.s);
    cr_assert_eq(rw_sec_tls_buffered(k.s), 0);
    /* Unread input is kept. */
    cr_assert(tl_tls_client_write(k.c, "ping", 4));
    tl_tls_pump(k.c, k.s);
    rw_sec_tls_trim(k.s);
    uint8_t buf[16];
    size_t n = 0;
    cr_assert(rw_ok(rw_sec_tls_read(k.s, buf, sizeof(buf), &n)));
    cr_assert(n == 4 && memcmp(buf, "ping", 4) == 0);
    conn_close(&k);
    tl_tls_cctx_free(cc);
}

Test(sec_tls, out_swap_hands_over_the_pending_ciphertext)
{
    struct tl_tls_cctx *cc = client("producer-1", false, false);
    struct conn k = connect_to(srv, cc, NULL);
    cr_assert(rw_ok(k.r));
    cr_assert(rw_ok(rw_sec_tls_write(k.s, (const uint8_t *)"pong!", 5)));
    size_t pending = rw_sec_tls_out_pending(k.s);
    cr_assert_gt(pending, 5);
    struct rw_buf b;
    rw_buf_init(&b, 16);
    cr_assert(rw_ok(rw_sec_tls_out_swap(k.s, &b)));
    cr_assert_eq(rw_sec_tls_out_pending(k.s), 0, "taken whole");
    cr_assert_eq(b.len, pending);
    cr_assert_geq(b.max, b.cap);
    /* One TLS 1.3 record: application_data, legacy version, length. */
    cr_assert(b.data[0] == 0x17 && b.data[1] == 0x03 && b.data[2] == 0x03);
    cr_assert_eq(((size_t)b.data[3] << 8 | b.data[4]) + 5, pending);
    cr_assert_eq(rw_sec_tls_out_swap(k.s, &b).err, RW_ERR_USAGE, "only an empty buffer");
    b.len = 0; /* "sent" */
    cr_assert(rw_ok(rw_sec_tls_write(k.s, (const uint8_t *)"again", 5)));
    cr_assert(rw_ok(rw_sec_tls_out_swap(k.s, &b)));
    cr_assert_eq(b.len, pending, "the same record size again");
    rw_buf_cleanup(&b);
    conn_close(&k);
    tl_tls_cctx_free(cc);
}
