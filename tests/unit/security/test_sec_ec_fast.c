/* The EC fast path: with it, EC public keys parsed from certificates are
 * built-in (non-provider) keys, signatures over them still verify and a
 * bad one still fails; other key types stay provider keys; a full mTLS
 * handshake through the auth manager works and a revoked client is still
 * refused; disabling restores the provider path. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/provider.h>
#include <openssl/ssl.h>

#include "security/sec_ec_fast.h"
#include "security/sec_key.h"
#include "security/sec_tls.h"
#include "tests/testlib/tl_pki.h"
#include "tests/testlib/tl_tls.h"

static void teardown(void)
{
    rw_sec_ec_fast_disable();
}

TestSuite(sec_ec_fast, .fini = teardown, .timeout = 120);

/* `cert` through DER and back, as libssl would parse what a client sent. */
static X509 *reparse(X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    cr_assert_gt(len, 0);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, len);
    OPENSSL_free(der);
    cr_assert_not_null(x);
    return x;
}

static bool builtin_key(X509 *cert)
{
    EVP_PKEY *k = X509_get0_pubkey(cert);
    cr_assert_not_null(k);
    return EVP_PKEY_get0_provider(k) == NULL;
}

/* The leaf's signature checked with its issuer's key as a client sent both. */
static int verify_reparsed(X509 *leaf, X509 *issuer)
{
    X509 *l = reparse(leaf), *i = reparse(issuer);
    int ok = X509_verify(l, X509_get0_pubkey(i));
    X509_free(l);
    X509_free(i);
    return ok;
}

Test(sec_ec_fast, off_by_default_keys_are_provider_keys)
{
    cr_assert_not(rw_sec_ec_fast_enabled());
    struct tl_chain c;
    tl_chain_make(&c, NULL, NULL);
    X509 *x = reparse(c.leaf);
    cr_assert_not(builtin_key(x), "without the fast path OpenSSL 3 decodes through providers");
    X509_free(x);
    tl_chain_free(&c);
}

Test(sec_ec_fast, ec_keys_take_the_builtin_path_and_still_verify)
{
    cr_assert(rw_ok(rw_sec_ec_fast_enable()), "%s", rw_err_detail());
    cr_assert(rw_ok(rw_sec_ec_fast_enable()), "enabling twice is fine");
    cr_assert(rw_sec_ec_fast_enabled());
    struct tl_chain c;
    tl_chain_make(&c, NULL, "p384");
    X509 *leaf = reparse(c.leaf), *inter = reparse(c.inter);
    cr_assert(builtin_key(leaf), "P-384 leaf key");
    cr_assert(builtin_key(inter), "P-256 intermediate key");
    cr_assert_eq(verify_reparsed(c.leaf, c.inter), 1);
    cr_assert_eq(verify_reparsed(c.inter, c.root), 1);
    X509 *bad = tl_corrupt_signature(c.leaf);
    cr_assert_leq(verify_reparsed(bad, c.inter), 0, "a flipped signature bit fails");
    cr_assert_leq(verify_reparsed(c.leaf, c.root), 0, "the wrong issuer key fails");
    enum rw_key_alg alg;
    cr_assert(rw_ok(rw_sec_key_classify(X509_get0_pubkey(leaf), &alg)), "%s", rw_err_detail());
    cr_assert_eq(alg, RW_KEY_P384, "key checks read built-in keys too");
    X509_free(bad);
    X509_free(leaf);
    X509_free(inter);
    tl_chain_free(&c);
}

Test(sec_ec_fast, other_key_types_are_untouched)
{
    cr_assert(rw_ok(rw_sec_ec_fast_enable()));
    struct tl_chain c;
    tl_chain_make(&c, NULL, "ed25519");
    X509 *leaf = reparse(c.leaf);
    cr_assert_not(builtin_key(leaf), "Ed25519 stays a provider key");
    X509_free(leaf);
    cr_assert_eq(verify_reparsed(c.leaf, c.inter), 1);
    tl_chain_free(&c);
}

Test(sec_ec_fast, disable_restores_the_provider_path)
{
    cr_assert(rw_ok(rw_sec_ec_fast_enable()));
    rw_sec_ec_fast_disable();
    cr_assert_not(rw_sec_ec_fast_enabled());
    struct tl_chain c;
    tl_chain_make(&c, NULL, NULL);
    X509 *x = reparse(c.leaf);
    cr_assert_not(builtin_key(x));
    X509_free(x);
    tl_chain_free(&c);
}

/* Keys the broker makes or reads while enabled are built-in keys (the only
 * EC private keys OpenSSL 3.0 signs certificates with then); without the
 * fast path they stay provider keys. */
Test(sec_ec_fast, generated_and_loaded_keys_follow_the_switch)
{
    EVP_PKEY *k = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &k)), "%s", rw_err_detail());
    cr_assert_not_null(EVP_PKEY_get0_provider(k), "disabled: a provider key");
    char *pem = NULL;
    cr_assert(rw_ok(rw_sec_key_to_pem(k, "pw", &pem)), "%s", rw_err_detail());
    EVP_PKEY_free(k);

    cr_assert(rw_ok(rw_sec_ec_fast_enable()));
    cr_assert(rw_ok(rw_sec_key_from_pem(pem, "pw", &k)), "%s", rw_err_detail());
    cr_assert_null(EVP_PKEY_get0_provider(k), "enabled: read back as a built-in key");
    struct tl_cert_opts o = tl_ca_opts("fast root");
    X509 *root = tl_cert(k, NULL, k, &o);
    cr_assert_eq(X509_verify(root, k), 1, "it signs and the signature verifies");
    X509_free(root);
    EVP_PKEY_free(k);
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P384, &k)), "%s", rw_err_detail());
    cr_assert_null(EVP_PKEY_get0_provider(k), "enabled: generated as a built-in key");
    enum rw_key_alg alg;
    cr_assert(rw_ok(rw_sec_key_classify(k, &alg)) && alg == RW_KEY_P384);
    EVP_PKEY_free(k);
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_ED25519, &k)));
    cr_assert_not_null(EVP_PKEY_get0_provider(k), "Ed25519 keys are left alone");
    EVP_PKEY_free(k);
    rw_sec_secret_free(pem);
}

/* The broker's path end to end in memory: libssl parses the client leaf
 * (built-in key), checks its CertificateVerify, the auth manager decides. */
Test(sec_ec_fast, mtls_handshake_accepts_good_and_refuses_revoked)
{
    cr_assert(rw_ok(rw_sec_ec_fast_enable()));
    struct tl_pki *pki = tl_pki_new("ec-fast");
    cr_assert_not_null(pki);
    X509 *broker = tl_pki_issue(pki, "broker", RW_ROLE_BROKER, 0);
    X509 *alice = tl_pki_issue(pki, "alice", RW_ROLE_PRODUCER, 0);
    cr_assert(broker && alice && tl_pki_write_ca_bundle(pki));
    struct rw_sec_trust *t = tl_pki_trust(pki);
    struct rw_sec_auth *auth = NULL;
    cr_assert(rw_ok(rw_sec_auth_new(NULL, t, &auth)), "%s", rw_err_detail());
    rw_sec_trust_unref(t);
    char cert[700], key[700], ca[700];
    tl_pki_path(pki, "broker-chain.crt", cert, sizeof(cert));
    tl_pki_path(pki, "broker.key", key, sizeof(key));
    struct rw_sec_tls_server_cfg scfg = {.cert_file = cert, .key_file = key, .auth = auth};
    struct rw_sec_tls_ctx *srv = NULL;
    cr_assert(rw_ok(rw_sec_tls_server_ctx_new(&scfg, &srv)), "%s", rw_err_detail());
    tl_pki_path(pki, "alice.crt", cert, sizeof(cert));
    tl_pki_path(pki, "alice.key", key, sizeof(key));
    tl_pki_path(pki, "ca.crt", ca, sizeof(ca));
    struct tl_tls_client_cfg ccfg = {.cert_file = cert, .key_file = key, .ca_file = ca,
                                     .server_name = "localhost"};
    struct tl_tls_cctx *cc = tl_tls_cctx_new(&ccfg);
    cr_assert_not_null(cc);

    for (int round = 0; round < 2; round++) { /* a validation-cache miss, then a hit */
        struct tl_tls_conn *c = tl_tls_conn_new(cc, NULL);
        struct rw_sec_tls *s = NULL;
        cr_assert(rw_ok(rw_sec_tls_new(srv, &s)));
        struct rw_result r = tl_tls_handshake(c, s);
        cr_assert(rw_ok(r), "round %d: %s", round, rw_err_detail());
        cr_assert_str_eq(rw_sec_tls_peer(s)->principal, "alice");
        tl_tls_conn_free(c);
        rw_sec_tls_free(s);
    }
    cr_assert(tl_pki_revoke(pki, alice, RW_REASON_KEY_COMPROMISE));
    t = tl_pki_trust(pki);
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    struct tl_tls_conn *c = tl_tls_conn_new(cc, NULL);
    struct rw_sec_tls *s = NULL;
    cr_assert(rw_ok(rw_sec_tls_new(srv, &s)));
    struct rw_result r = tl_tls_handshake(c, s);
    cr_assert_eq(r.err, RW_ERR_AUTH_REVOKED, "got %s", rw_err_name(r.err));
    cr_assert_eq(tl_tls_client_alert(c), SSL_AD_CERTIFICATE_REVOKED);
    tl_tls_conn_free(c);
    rw_sec_tls_free(s);

    tl_tls_cctx_free(cc);
    rw_sec_tls_ctx_free(srv);
    rw_sec_auth_free(auth);
    X509_free(broker);
    X509_free(alice);
    tl_pki_free(pki);
}
