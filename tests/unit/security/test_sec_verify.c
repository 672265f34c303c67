/* tests/unit/security/test_sec_verify.c — path building, error mapping,
 * revocation, server names, identity and concurrency of rw_sec_verify.
 * The strict-profile rules have their own file (test_sec_profile.c). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "security/sec_names.h"
#include "security/sec_ossl.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"
#include "tests/testlib/tl_pki.h"

static struct tl_chain c;

static void setup(void) { tl_chain_make(&c, NULL, NULL); }
static void teardown(void) { tl_chain_free(&c); }

TestSuite(sec_verify, .init = setup, .fini = teardown, .timeout = 60);

/* A frozen snapshot trusting root (and inter when non-NULL). */
static struct rw_sec_trust *trust(X509 *root, X509 *inter)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(t);
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, root)), "%s", rw_err_detail());
    if (inter) {
        cr_assert(rw_ok(rw_sec_trust_add_ca(t, inter)), "%s", rw_err_detail());
    }
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    return t;
}

static enum rw_err verify_with(struct rw_sec_trust *t, X509 *leaf,
                               const struct rw_sec_verify_opts *o, struct rw_sec_identity *id)
{
    struct rw_sec_identity scratch;
    rw_err_detail_clear();
    struct rw_result r = rw_sec_verify(t, leaf, NULL, o, id ? id : &scratch);
    return r.err;
}

/* Verifies `leaf` as a client under root+inter with default options. */
static enum rw_err verify_client(X509 *leaf)
{
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    enum rw_err e = verify_with(t, leaf, &o, NULL);
    rw_sec_trust_unref(t);
    return e;
}

static X509 *leaf_with(const struct tl_cert_opts *o)
{
    return tl_cert(c.leaf_key, c.inter, c.int_key, o);
}

#define ASSERT_DETAIL_HAS(s) \
    cr_assert(strstr(rw_err_detail(), (s)), "detail '%s' lacks '%s'", rw_err_detail(), (s))

Test(sec_verify, valid_client_chain_accepted_with_identity)
{
    struct tl_cert_opts lo = tl_leaf_opts("alice");
    lo.san = "URI:ringward:principal:alice-uri,URI:ringward:role:producer";
    lo.not_after_offset = 10L * 86400;
    X509 *leaf = leaf_with(&lo);
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    struct rw_sec_identity id;
    cr_assert_eq(verify_with(t, leaf, &o, &id), RW_OK, "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "alice");
    cr_assert_eq(id.role, RW_ROLE_PRODUCER);
    cr_assert_eq(id.chain_len, 3);
    int64_t leaf_na;
    cr_assert(rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(leaf), &leaf_na)));
    cr_assert_eq(id.not_after, leaf_na, "not_after is the earliest of the chain (the leaf's)");
    rw_sec_trust_unref(t);
    X509_free(leaf);
}

Test(sec_verify, not_after_is_the_earliest_of_the_chain)
{
    struct tl_cert_opts io = tl_ca_opts("Short Intermediate");
    io.not_after_offset = 5L * 86400;
    EVP_PKEY *k = tl_key("p256");
    X509 *inter = tl_cert(k, c.root, c.root_key, &io);
    struct tl_cert_opts lo = tl_leaf_opts("bob");
    X509 *leaf = tl_cert(c.leaf_key, inter, k, &lo);
    struct rw_sec_trust *t = trust(c.root, inter);
    struct rw_sec_identity id;
    cr_assert_eq(verify_with(t, leaf, NULL, &id), RW_OK, "%s", rw_err_detail());
    int64_t inter_na;
    cr_assert(rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(inter), &inter_na)));
    cr_assert_eq(id.not_after, inter_na);
    cr_assert_eq(id.role, RW_ROLE_NONE, "no role URI, no role");
    rw_sec_trust_unref(t);
    X509_free(leaf);
    X509_free(inter);
    EVP_PKEY_free(k);
}

Test(sec_verify, intermediate_sent_by_the_peer_completes_the_chain)
{
    struct rw_sec_trust *t = trust(c.root, NULL);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    cr_assert(sk_X509_push(untrusted, c.inter));
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    struct rw_sec_identity id;
    cr_assert(rw_ok(rw_sec_verify(t, c.leaf, untrusted, &o, &id)), "%s", rw_err_detail());
    cr_assert_eq(id.chain_len, 3);
    /* Without it the root alone cannot reach the leaf. */
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_ERR_AUTH_UNKNOWN_CA);
    sk_X509_free(untrusted);
    rw_sec_trust_unref(t);
}

Test(sec_verify, unknown_ca_rejected)
{
    struct tl_chain other;
    tl_chain_make(&other, NULL, NULL);
    struct rw_sec_trust *t = trust(other.root, other.inter);
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_ERR_AUTH_UNKNOWN_CA);
    ASSERT_DETAIL_HAS("issuer not trusted");
    ASSERT_DETAIL_HAS("alice");
    rw_sec_trust_unref(t);
    tl_chain_free(&other);
}

Test(sec_verify, intermediate_alone_is_not_an_anchor)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.inter)));
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_ERR_AUTH_UNKNOWN_CA);
    rw_sec_trust_unref(t);
}

Test(sec_verify, self_signed_leaf_rejected)
{
    struct tl_cert_opts lo = tl_leaf_opts("mallory");
    X509 *self = tl_cert(c.leaf_key, NULL, NULL, &lo);
    cr_assert_eq(verify_client(self), RW_ERR_AUTH_UNKNOWN_CA);
    ASSERT_DETAIL_HAS("self-signed");
    X509_free(self);
}

Test(sec_verify, bad_signature_rejected)
{
    X509 *bad = tl_corrupt_signature(c.leaf);
    cr_assert_eq(verify_client(bad), RW_ERR_AUTH_BAD_SIGNATURE);
    ASSERT_DETAIL_HAS("bad signature");
    ASSERT_DETAIL_HAS("depth 0");
    X509_free(bad);
}

Test(sec_verify, expired_leaf_rejected)
{
    struct tl_cert_opts lo = tl_leaf_opts("old");
    lo.not_before_offset = -10L * 86400;
    lo.not_after_offset = -86400;
    X509 *leaf = leaf_with(&lo);
    cr_assert_eq(verify_client(leaf), RW_ERR_AUTH_EXPIRED);
    ASSERT_DETAIL_HAS("expired at 20");
    ASSERT_DETAIL_HAS("CN=old");
    X509_free(leaf);
}

Test(sec_verify, not_yet_valid_leaf_rejected)
{
    struct tl_cert_opts lo = tl_leaf_opts("future");
    lo.not_before_offset = 86400;
    lo.not_after_offset = 10L * 86400;
    X509 *leaf = leaf_with(&lo);
    cr_assert_eq(verify_client(leaf), RW_ERR_AUTH_NOT_YET_VALID);
    ASSERT_DETAIL_HAS("not valid before");
    X509_free(leaf);
}

Test(sec_verify, time_of_check_changes_the_verdict)
{
    struct rw_sec_trust *t = trust(c.root, c.inter);
    int64_t now = (int64_t)time(NULL);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT, .at = now + 86400};
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_OK, "%s", rw_err_detail());
    o.at = now + 60L * 86400; /* after every notAfter (30 days) */
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_ERR_AUTH_EXPIRED);
    ASSERT_DETAIL_HAS("expired");
    o.at = now - 2L * 86400; /* before every notBefore (1 hour ago) */
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_ERR_AUTH_NOT_YET_VALID);
    rw_sec_trust_unref(t);
}

static struct rw_sec_trust *trust_revoking(X509 *issuer, X509 *victim)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    uint8_t serial[20];
    size_t len = 0;
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.root)));
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.inter)));
    cr_assert(rw_ok(rw_sec_cert_serial(victim, serial, sizeof(serial), &len)));
    cr_assert(rw_ok(rw_sec_trust_add_revocation(t, issuer, serial, len, RW_REASON_KEY_COMPROMISE)));
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    return t;
}

Test(sec_verify, revoked_leaf_rejected_with_reason_and_serial)
{
    struct rw_sec_trust *t = trust_revoking(c.inter, c.leaf);
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_ERR_AUTH_REVOKED);
    char hex[48];
    rw_sec_cert_serial_hex(c.leaf, hex, sizeof(hex));
    ASSERT_DETAIL_HAS("revoked (keyCompromise)");
    ASSERT_DETAIL_HAS(hex);
    ASSERT_DETAIL_HAS("CN=alice");
    rw_sec_trust_unref(t);
}

Test(sec_verify, revocation_is_per_issuer)
{
    /* The leaf's serial revoked under another issuer does not touch it. */
    struct rw_sec_trust *t = trust_revoking(c.root, c.leaf);
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_OK, "%s", rw_err_detail());
    rw_sec_trust_unref(t);
}

Test(sec_verify, revoked_intermediate_rejects_its_leaves)
{
    struct rw_sec_trust *t = trust_revoking(c.root, c.inter);
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_ERR_AUTH_REVOKED);
    ASSERT_DETAIL_HAS("Test Intermediate CA");
    ASSERT_DETAIL_HAS("depth 1");
    rw_sec_trust_unref(t);
}

Test(sec_verify, self_signed_anchor_is_not_looked_up)
{
    struct rw_sec_trust *t = trust_revoking(c.root, c.root);
    cr_assert_eq(verify_with(t, c.leaf, NULL, NULL), RW_OK, "%s", rw_err_detail());
    rw_sec_trust_unref(t);
}

Test(sec_verify, server_only_cert_refused_for_client_purpose)
{
    struct tl_cert_opts lo = tl_leaf_opts("srv");
    lo.eku = "serverAuth";
    X509 *leaf = leaf_with(&lo);
    cr_assert_eq(verify_client(leaf), RW_ERR_AUTH_WRONG_USAGE);
    ASSERT_DETAIL_HAS("client");
    X509_free(leaf);
}

Test(sec_verify, client_cert_refused_for_server_purpose)
{
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_SERVER};
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_ERR_AUTH_WRONG_USAGE);
    ASSERT_DETAIL_HAS("server");
    rw_sec_trust_unref(t);
}

static enum rw_err verify_server(X509 *leaf, const char *name)
{
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_SERVER, .name = name,
                                   .principal_src = RW_PRINCIPAL_SAN_DNS};
    enum rw_err e = verify_with(t, leaf, &o, NULL);
    rw_sec_trust_unref(t);
    return e;
}

Test(sec_verify, server_name_matched_by_san_dns_and_ip_only)
{
    struct tl_cert_opts lo = tl_leaf_opts("cn-only.example");
    lo.eku = "serverAuth,clientAuth";
    lo.san = "DNS:broker.example,IP:127.0.0.1,IP:::1";
    X509 *leaf = leaf_with(&lo);
    cr_assert_eq(verify_server(leaf, "broker.example"), RW_OK, "%s", rw_err_detail());
    cr_assert_eq(verify_server(leaf, "BROKER.example"), RW_OK, "%s", rw_err_detail());
    cr_assert_eq(verify_server(leaf, "127.0.0.1"), RW_OK, "%s", rw_err_detail());
    cr_assert_eq(verify_server(leaf, "::1"), RW_OK, "%s", rw_err_detail());
    cr_assert_eq(verify_server(leaf, NULL), RW_OK, "no name, nothing to match");
    cr_assert_eq(verify_server(leaf, "other.example"), RW_ERR_AUTH_NAME_MISMATCH);
    ASSERT_DETAIL_HAS("other.example");
    cr_assert_eq(verify_server(leaf, "127.0.0.2"), RW_ERR_AUTH_NAME_MISMATCH);
    cr_assert_eq(verify_server(leaf, "cn-only.example"), RW_ERR_AUTH_NAME_MISMATCH,
                 "the CN is never used when a SAN exists");
    X509_free(leaf);
}

Test(sec_verify, server_name_never_matched_by_cn)
{
    struct tl_cert_opts lo = tl_leaf_opts("broker.example");
    lo.eku = "serverAuth";
    X509 *leaf = leaf_with(&lo);
    cr_assert_eq(verify_server(leaf, "broker.example"), RW_ERR_AUTH_NAME_MISMATCH);
    X509_free(leaf);
}

Test(sec_verify, max_depth_exceeded)
{
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT, .max_depth = 2};
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_OK, "root + intermediate fit depth 2: %s",
                 rw_err_detail());
    o.max_depth = 1;
    cr_assert_eq(verify_with(t, c.leaf, &o, NULL), RW_ERR_AUTH_INVALID);
    ASSERT_DETAIL_HAS("maximum depth 1");
    /* A leaf issued by the root itself fits depth 1. */
    struct tl_cert_opts lo = tl_leaf_opts("direct");
    X509 *direct = tl_cert(c.leaf_key, c.root, c.root_key, &lo);
    cr_assert_eq(verify_with(t, direct, &o, NULL), RW_OK, "%s", rw_err_detail());
    rw_sec_trust_unref(t);
    X509_free(direct);
}

Test(sec_verify, principal_from_san_uri_and_dns)
{
    struct tl_cert_opts lo = tl_leaf_opts("cn-name");
    lo.san = "URI:ringward:role:consumer,URI:ringward:principal:svc-7,DNS:svc7.example";
    X509 *leaf = leaf_with(&lo);
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT,
                                   .principal_src = RW_PRINCIPAL_SAN_URI};
    struct rw_sec_identity id;
    cr_assert_eq(verify_with(t, leaf, &o, &id), RW_OK, "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "svc-7");
    cr_assert_eq(id.role, RW_ROLE_CONSUMER);
    o.principal_src = RW_PRINCIPAL_SAN_DNS;
    cr_assert_eq(verify_with(t, leaf, &o, &id), RW_OK, "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "svc7.example");
    o.principal_src = RW_PRINCIPAL_CN;
    cr_assert_eq(verify_with(t, leaf, &o, &id), RW_OK, "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "cn-name");
    rw_sec_trust_unref(t);
    X509_free(leaf);
}

Test(sec_verify, missing_principal_rejected)
{
    struct tl_cert_opts lo = tl_leaf_opts("no-san");
    X509 *leaf = leaf_with(&lo);
    struct rw_sec_trust *t = trust(c.root, c.inter);
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT,
                                   .principal_src = RW_PRINCIPAL_SAN_URI};
    struct rw_sec_identity id;
    memset(&id, 0x5a, sizeof(id));
    cr_assert_eq(verify_with(t, leaf, &o, &id), RW_ERR_AUTH_PROFILE);
    ASSERT_DETAIL_HAS("principal");
    cr_assert_eq((unsigned char)id.principal[0], 0x5a, "identity untouched on rejection");
    rw_sec_trust_unref(t);
    X509_free(leaf);
}

Test(sec_verify, no_certificate_and_unfrozen_snapshot)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.root)));
    struct rw_sec_identity id;
    cr_assert_eq(rw_sec_verify(t, NULL, NULL, NULL, &id).err, RW_ERR_AUTH_NO_CERT);
    cr_assert_eq(rw_sec_verify(t, c.leaf, NULL, NULL, &id).err, RW_ERR_STATE);
    rw_sec_trust_unref(t);
}

struct worker {
    struct rw_sec_trust *t;
    X509 *good, *revoked;
    int ok, rejected;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    for (int i = 0; i < 200; i++) {
        struct rw_sec_identity id;
        struct rw_result r = rw_sec_verify(w->t, w->good, NULL, &o, &id);
        w->ok += rw_ok(r) && strcmp(id.principal, "alice") == 0;
        r = rw_sec_verify(w->t, w->revoked, NULL, &o, &id);
        w->rejected += r.err == RW_ERR_AUTH_REVOKED && strstr(rw_err_detail(), "revoked");
    }
    return NULL;
}

Test(sec_verify, concurrent_verification_on_one_snapshot)
{
    struct tl_cert_opts lo = tl_leaf_opts("eve");
    lo.eku = "clientAuth";
    X509 *bad = leaf_with(&lo);
    struct rw_sec_trust *t = trust_revoking(c.inter, bad);
    struct worker w[2] = {{t, c.leaf, bad, 0, 0}, {t, c.leaf, bad, 0, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].ok, 200, "thread %d: %d of 200 accepted", i, w[i].ok);
        cr_assert_eq(w[i].rejected, 200, "thread %d: %d of 200 rejected", i, w[i].rejected);
    }
    rw_sec_trust_unref(t);
    X509_free(bad);
}
