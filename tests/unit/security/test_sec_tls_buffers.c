/* What a session holds between the wire and OpenSSL: unread ciphertext
 * (rw_sec_tls_in_pending, which the broker's read hold watches) and, for
 * contexts whose plaintext may carry secrets, OpenSSL told to zero its
 * record buffers. */
#include <criterion/criterion.h>
#include <string.h>

#include <openssl/ssl.h>

#include "security/sec_tls.h"
#include "security/sec_tls_internal.h"
#include "tests/testlib/tl_tls.h"

static struct tl_pki *pki;
static struct rw_sec_auth *auth;
static struct tl_tls_cctx *cc;

static void setup(void)
{
    pki = tl_pki_new("sec-tls-buf");
    cr_assert_not_null(pki);
    X509 *broker = tl_pki_issue(pki, "broker", RW_ROLE_BROKER, 0);
    X509 *producer = tl_pki_issue(pki, "producer-1", RW_ROLE_PRODUCER, 0);
    cr_assert(broker && producer && tl_pki_write_ca_bundle(pki));
    X509_free(broker);
    X509_free(producer);
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert(rw_ok(rw_sec_auth_new(NULL, t, &auth)), "%s", rw_err_detail());
    rw_sec_trust_unref(t);
    char cert[700], key[700];
    tl_pki_path(pki, "producer-1.crt", cert, sizeof(cert));
    tl_pki_path(pki, "producer-1.key", key, sizeof(key));
    struct tl_tls_client_cfg cfg = {.cert_file = cert, .key_file = key};
    cc = tl_tls_cctx_new(&cfg);
    cr_assert_not_null(cc);
}

static void teardown(void)
{
    tl_tls_cctx_free(cc);
    rw_sec_auth_free(auth);
    tl_pki_free(pki);
}

TestSuite(sec_tls_buffers, .init = setup, .fini = teardown, .timeout = 120);

static struct rw_sec_tls_ctx *server_ctx(bool cleanse)
{
    char cert[700], key[700];
    tl_pki_path(pki, "broker-chain.crt", cert, sizeof(cert));
    tl_pki_path(pki, "broker.key", key, sizeof(key));
    struct rw_sec_tls_server_cfg cfg = {.cert_file = cert, .key_file = key, .auth = auth,
                                        .cleanse_plaintext = cleanse};
    struct rw_sec_tls_ctx *ctx = NULL;
    cr_assert(rw_ok(rw_sec_tls_server_ctx_new(&cfg, &ctx)), "%s", rw_err_detail());
    return ctx;
}

Test(sec_tls_buffers, unread_ciphertext_is_counted_until_openssl_takes_it)
{
    struct rw_sec_tls_ctx *ctx = server_ctx(false);
    struct tl_tls_conn *c = tl_tls_conn_new(cc, NULL);
    struct rw_sec_tls *s = NULL;
    cr_assert(rw_ok(rw_sec_tls_new(ctx, &s)));
    cr_assert(rw_ok(tl_tls_handshake(c, s)), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_tls_in_pending(s), 0);
    char msg[3000];
    memset(msg, 'm', sizeof(msg));
    cr_assert(tl_tls_client_write(c, msg, sizeof(msg)));
    tl_tls_pump(c, s); /* fed, not read */
    cr_assert_geq(rw_sec_tls_in_pending(s), sizeof(msg), "one record: the data and its overhead");
    uint8_t buf[4096];
    size_t n = 0, got = 0;
    while (rw_ok(rw_sec_tls_read(s, buf, sizeof(buf), &n))) {
        got += n;
    }
    cr_assert_eq(got, sizeof(msg));
    cr_assert_eq(rw_sec_tls_in_pending(s), 0);
    cr_assert_eq(rw_sec_tls_in_pending(NULL), 0);
    tl_tls_conn_free(c);
    rw_sec_tls_free(s);
    rw_sec_tls_ctx_free(ctx);
}

Test(sec_tls_buffers, only_contexts_with_secrets_pay_for_cleansing)
{
    for (int cleanse = 0; cleanse < 2; cleanse++) {
        struct rw_sec_tls_ctx *ctx = server_ctx(cleanse);
        struct rw_sec_tls *s = NULL;
        cr_assert(rw_ok(rw_sec_tls_new(ctx, &s)));
        bool set = (SSL_get_options(s->ssl) & SSL_OP_CLEANSE_PLAINTEXT) != 0;
        cr_assert_eq(set, cleanse == 1, "cleanse_plaintext=%d", cleanse);
        rw_sec_tls_free(s);
        rw_sec_tls_ctx_free(ctx);
    }
}
