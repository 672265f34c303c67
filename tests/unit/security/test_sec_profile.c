/* tests/unit/security/test_sec_profile.c — one failing chain per strict-
 * profile rule (DESIGN.md security rule 2), through rw_sec_verify so that
 * whatever OpenSSL's path builder lets through is caught by our profile,
 * plus the boundaries that must still pass. */
#include <criterion/criterion.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "security/sec_profile.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"
#include "tests/testlib/tl_pki.h"

static struct tl_chain c;

static void setup(void) { tl_chain_make(&c, NULL, NULL); }
static void teardown(void) { tl_chain_free(&c); }

TestSuite(sec_profile, .init = setup, .fini = teardown, .timeout = 60);

static enum rw_err verify3(X509 *root, X509 *inter, X509 *leaf, enum rw_sec_purpose purpose)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(t);
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, root)), "%s", rw_err_detail());
    if (inter) {
        cr_assert(rw_ok(rw_sec_trust_add_ca(t, inter)), "%s", rw_err_detail());
    }
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    struct rw_sec_verify_opts o = {.purpose = purpose};
    struct rw_sec_identity id;
    rw_err_detail_clear();
    struct rw_result r = rw_sec_verify(t, leaf, NULL, &o, &id);
    rw_sec_trust_unref(t);
    return r.err;
}

/* A leaf under the standard root -> intermediate, with options `o`. */
static enum rw_err verify_leaf(const struct tl_cert_opts *o, const char *alg)
{
    EVP_PKEY *k = alg ? tl_key(alg) : NULL;
    X509 *leaf = tl_cert(k ? k : c.leaf_key, c.inter, c.int_key, o);
    enum rw_err e = verify3(c.root, c.inter, leaf, RW_PURPOSE_CLIENT);
    X509_free(leaf);
    EVP_PKEY_free(k);
    return e;
}

#define ASSERT_DETAIL_HAS(s) \
    cr_assert(strstr(rw_err_detail(), (s)), "detail '%s' lacks '%s'", rw_err_detail(), (s))

Test(sec_profile, happy_path_passes_every_rule)
{
    cr_assert_eq(verify3(c.root, c.inter, c.leaf, RW_PURPOSE_CLIENT), RW_OK, "%s",
                 rw_err_detail());
    STACK_OF(X509) *chain = sk_X509_new_null();
    sk_X509_push(chain, c.leaf);
    sk_X509_push(chain, c.inter);
    sk_X509_push(chain, c.root);
    cr_assert(rw_ok(rw_sec_profile_check_chain(chain, true)), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_profile_check_chain(chain, false).err, RW_ERR_AUTH_WRONG_USAGE);
    sk_X509_free(chain);
}

Test(sec_profile, v1_leaf_rejected)
{
    struct tl_cert_opts o = tl_leaf_opts("v1-leaf");
    o.version = 1;
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE);
    ASSERT_DETAIL_HAS("version 1");
    ASSERT_DETAIL_HAS("depth 0");
    ASSERT_DETAIL_HAS("CN=v1-leaf");
}

Test(sec_profile, v1_intermediate_rejected)
{
    struct tl_cert_opts io = tl_ca_opts("V1 Intermediate");
    io.version = 1;
    EVP_PKEY *k = tl_key("p256");
    X509 *inter = tl_cert(k, c.root, c.root_key, &io);
    struct tl_cert_opts lo = tl_leaf_opts("under-v1");
    X509 *leaf = tl_cert(c.leaf_key, inter, k, &lo);
    /* The snapshot refuses it as a CA... */
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert_eq(rw_sec_trust_add_ca(t, inter).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("not a CA");
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.root)));
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    /* ...and a peer sending it gets the rule named. */
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    cr_assert(sk_X509_push(untrusted, inter));
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    struct rw_sec_identity id;
    cr_assert_eq(rw_sec_verify(t, leaf, untrusted, &o, &id).err, RW_ERR_AUTH_PROFILE, "%s",
                 rw_err_detail());
    ASSERT_DETAIL_HAS("version 1");
    ASSERT_DETAIL_HAS("depth 1");
    sk_X509_free(untrusted);
    rw_sec_trust_unref(t);
    X509_free(leaf);
    X509_free(inter);
    EVP_PKEY_free(k);
}

Test(sec_profile, v1_self_signed_root_rejected)
{
    /* OpenSSL would take a self-signed v1 root as an anchor (outside
     * strict mode); the snapshot refuses it and the rule names it. */
    struct tl_cert_opts ro = tl_ca_opts("V1 Root");
    ro.version = 1;
    EVP_PKEY *k = tl_key("p256");
    X509 *root = tl_cert(k, NULL, NULL, &ro);
    cr_assert_neq(X509_check_ca(root), 0, "OpenSSL calls a self-signed v1 certificate a CA");
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert_eq(rw_sec_trust_add_ca(t, root).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("v1");
    cr_assert_eq(rw_sec_profile_version(root, 2).err, RW_ERR_AUTH_PROFILE);
    ASSERT_DETAIL_HAS("version 1");
    ASSERT_DETAIL_HAS("depth 2");
    rw_sec_trust_unref(t);
    X509_free(root);
    EVP_PKEY_free(k);
}

Test(sec_profile, negative_serial_rejected)
{
    static const unsigned char sn[] = {0x01, 0x02, 0x03};
    struct tl_cert_opts o = tl_leaf_opts("neg");
    o.serial = sn;
    o.serial_len = sizeof(sn);
    o.negative_serial = true;
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("negative");
}

Test(sec_profile, zero_serial_rejected)
{
    static const unsigned char sn[] = {0x00};
    struct tl_cert_opts o = tl_leaf_opts("zero");
    o.serial = sn;
    o.serial_len = sizeof(sn);
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("zero");
}

Test(sec_profile, serial_of_21_octets_rejected_20_accepted)
{
    unsigned char sn[21];
    memset(sn, 0x42, sizeof(sn));
    struct tl_cert_opts o = tl_leaf_opts("long-serial");
    o.serial = sn;
    o.serial_len = 21;
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("21 octets");
    o.serial_len = 20;
    cr_assert_eq(verify_leaf(&o, NULL), RW_OK, "%s", rw_err_detail());
}

Test(sec_profile, sha1_signed_leaf_rejected)
{
    struct tl_cert_opts o = tl_leaf_opts("sha1-leaf");
    o.md = "sha1";
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("SHA-1");
}

Test(sec_profile, sha1_signed_intermediate_rejected)
{
    struct tl_cert_opts io = tl_ca_opts("SHA1 Intermediate");
    io.md = "sha1";
    EVP_PKEY *k = tl_key("p256");
    X509 *inter = tl_cert(k, c.root, c.root_key, &io);
    struct tl_cert_opts lo = tl_leaf_opts("under-sha1");
    X509 *leaf = tl_cert(c.leaf_key, inter, k, &lo);
    cr_assert_eq(verify3(c.root, inter, leaf, RW_PURPOSE_CLIENT), RW_ERR_AUTH_PROFILE);
    ASSERT_DETAIL_HAS("SHA-1");
    ASSERT_DETAIL_HAS("depth 1");
    X509_free(leaf);
    X509_free(inter);
    EVP_PKEY_free(k);
}

Test(sec_profile, md5_signed_leaf_rejected)
{
    /* MD5 only exists with RSA: an RSA intermediate signs the leaf. */
    struct tl_cert_opts io = tl_ca_opts("RSA Intermediate");
    EVP_PKEY *k = tl_key("rsa2048");
    X509 *inter = tl_cert(k, c.root, c.root_key, &io);
    struct tl_cert_opts lo = tl_leaf_opts("md5-leaf");
    lo.md = "md5";
    X509 *leaf = tl_cert(c.leaf_key, inter, k, &lo);
    cr_assert_eq(X509_get_signature_nid(leaf), NID_md5WithRSAEncryption);
    cr_assert_eq(verify3(c.root, inter, leaf, RW_PURPOSE_CLIENT), RW_ERR_AUTH_PROFILE, "%s",
                 rw_err_detail());
    ASSERT_DETAIL_HAS("MD5");
    lo.md = "sha256"; /* the same chain with SHA-256 passes */
    X509 *good = tl_cert(c.leaf_key, inter, k, &lo);
    cr_assert_eq(verify3(c.root, inter, good, RW_PURPOSE_CLIENT), RW_OK, "%s", rw_err_detail());
    X509_free(good);
    X509_free(leaf);
    X509_free(inter);
    EVP_PKEY_free(k);
}

Test(sec_profile, rsa_1024_leaf_rejected_2048_accepted)
{
    struct tl_cert_opts o = tl_leaf_opts("rsa-small");
    cr_assert_eq(verify_leaf(&o, "rsa1024"), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("RSA key of 1024 bits");
    cr_assert_eq(verify_leaf(&o, "rsa2048"), RW_OK, "%s", rw_err_detail());
}

Test(sec_profile, dsa_leaf_rejected)
{
    struct tl_cert_opts o = tl_leaf_opts("dsa-leaf");
    cr_assert_eq(verify_leaf(&o, "dsa"), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("DSA");
}

Test(sec_profile, ed25519_chain_accepted)
{
    struct tl_cert_opts o = tl_leaf_opts("ed-leaf");
    cr_assert_eq(verify_leaf(&o, "ed25519"), RW_OK, "%s", rw_err_detail());
}

Test(sec_profile, leaf_that_is_a_ca_rejected)
{
    struct tl_cert_opts o = tl_leaf_opts("ca-leaf");
    o.ca = true;
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_PROFILE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("is a CA");
}

Test(sec_profile, missing_eku_rejected)
{
    struct tl_cert_opts o = tl_leaf_opts("no-eku");
    o.eku = NULL;
    cr_assert_eq(verify_leaf(&o, NULL), RW_ERR_AUTH_WRONG_USAGE, "%s", rw_err_detail());
    ASSERT_DETAIL_HAS("extended key usage missing");
    ASSERT_DETAIL_HAS("clientAuth");
}

Test(sec_profile, eku_rule_names_the_purpose)
{
    struct tl_cert_opts o = tl_leaf_opts("both");
    o.eku = "serverAuth,clientAuth";
    X509 *both = tl_cert(c.leaf_key, c.inter, c.int_key, &o);
    cr_assert(rw_ok(rw_sec_profile_leaf_eku(both, 0, true)));
    cr_assert(rw_ok(rw_sec_profile_leaf_eku(both, 0, false)));
    cr_assert_eq(rw_sec_profile_leaf_eku(c.leaf, 0, false).err, RW_ERR_AUTH_WRONG_USAGE);
    ASSERT_DETAIL_HAS("serverAuth");
    X509_free(both);
}

Test(sec_profile, rules_pass_a_well_formed_intermediate)
{
    cr_assert(rw_ok(rw_sec_profile_version(c.inter, 1)));
    cr_assert(rw_ok(rw_sec_profile_serial(c.inter, 1)));
    cr_assert(rw_ok(rw_sec_profile_signature(c.inter, 1)));
    cr_assert(rw_ok(rw_sec_profile_key(c.inter, 1)));
    cr_assert_eq(rw_sec_profile_leaf_not_ca(c.inter, 1).err, RW_ERR_AUTH_PROFILE);
    ASSERT_DETAIL_HAS("profile: ");
    ASSERT_DETAIL_HAS("(certificate at depth 1, CN=Test Intermediate CA)");
}
