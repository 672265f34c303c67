/* tests/unit/security/test_sec_trust.c — building, freezing and sharing a
 * trust snapshot; CRLs verified once and loaded into the revocation set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/sec_names.h"
#include "security/sec_ossl.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_pki.h"

static struct tl_chain c;
static char *dir;

static void setup(void)
{
    tl_chain_make(&c, NULL, NULL);
    dir = tl_tmpdir("sec-trust");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_chain_free(&c);
    tl_rmtree(dir);
    free(dir);
}

TestSuite(sec_trust, .init = setup, .fini = teardown, .timeout = 60);

static const char *path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

static struct rw_sec_trust *build(void)
{
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(t);
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.root)));
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.inter)));
    return t;
}

static size_t revoked(const struct rw_sec_trust *t)
{
    return rw_sec_revset_count(rw_sec_trust_revset(t));
}

#define ASSERT_DETAIL_HAS(s) \
    cr_assert(strstr(rw_err_detail(), (s)), "detail '%s' lacks '%s'", rw_err_detail(), (s))

Test(sec_trust, only_cas_are_added_once_each)
{
    struct rw_sec_trust *t = build();
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, c.root)), "a duplicate is harmless");
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    cr_assert_eq(rw_sec_trust_add_ca(t, c.leaf).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("CN=alice");
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    rw_sec_trust_unref(t);
}

Test(sec_trust, bundle_file_is_all_or_nothing)
{
    cr_assert(tl_write_pem(path("ok.pem"), c.root));
    cr_assert(tl_append_pem(path("ok.pem"), c.inter));
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_bundle_file(t, path("ok.pem"))), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    rw_sec_trust_unref(t);

    cr_assert(tl_write_pem(path("bad.pem"), c.root));
    cr_assert(tl_append_pem(path("bad.pem"), c.leaf));
    t = rw_sec_trust_new();
    cr_assert_eq(rw_sec_trust_add_bundle_file(t, path("bad.pem")).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("bad.pem");
    cr_assert_eq(rw_sec_trust_ca_count(t), 0);
    cr_assert_neq(rw_sec_trust_add_bundle_file(t, path("missing.pem")).err, RW_OK);
    rw_sec_trust_unref(t);
}

Test(sec_trust, good_crl_revokes_its_entries)
{
    X509 *victims[] = {c.leaf};
    X509_CRL *crl = tl_crl(c.inter, c.int_key, victims, 1, 0);
    struct rw_sec_trust *t = build();
    cr_assert(rw_ok(rw_sec_trust_add_crl(t, crl, (int64_t)time(NULL))), "%s", rw_err_detail());
    cr_assert_eq(revoked(t), 1);
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    struct rw_sec_identity id;
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    cr_assert_eq(rw_sec_verify(t, c.leaf, NULL, &o, &id).err, RW_ERR_AUTH_REVOKED);
    ASSERT_DETAIL_HAS("revoked (keyCompromise)");
    /* The CRL never reaches OpenSSL: no CRL objects, no CRL flags. */
    X509_STORE *store = rw_sec_trust_store(t);
    unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store));
    cr_assert_eq(flags & (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL), 0);
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        cr_assert_neq(X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)), X509_LU_CRL);
    }
    rw_sec_trust_unref(t);
    X509_CRL_free(crl);
}

Test(sec_trust, crl_with_bad_signature_refused)
{
    EVP_PKEY *wrong = tl_key("p256");
    X509 *victims[] = {c.leaf};
    X509_CRL *crl = tl_crl(c.inter, wrong, victims, 1, 0);
    struct rw_sec_trust *t = build();
    cr_assert_eq(rw_sec_trust_add_crl(t, crl, (int64_t)time(NULL)).err, RW_ERR_AUTH_BAD_SIGNATURE);
    ASSERT_DETAIL_HAS("signature");
    cr_assert_eq(revoked(t), 0, "nothing added");
    rw_sec_trust_unref(t);
    X509_CRL_free(crl);
    EVP_PKEY_free(wrong);
}

Test(sec_trust, crl_from_unknown_issuer_refused)
{
    struct tl_chain other;
    tl_chain_make(&other, NULL, NULL);
    X509 *victims[] = {c.leaf};
    /* Same issuer name as ours ("Test Intermediate CA"), other key: the
     * AKI tells them apart. */
    X509_CRL *crl = tl_crl(other.inter, other.int_key, victims, 1, 0);
    struct rw_sec_trust *t = build();
    cr_assert_eq(rw_sec_trust_add_crl(t, crl, (int64_t)time(NULL)).err, RW_ERR_AUTH_UNKNOWN_CA);
    X509_CRL_free(crl);
    struct tl_cert_opts o = tl_ca_opts("Stranger CA");
    X509 *stranger = tl_cert(other.int_key, NULL, NULL, &o);
    crl = tl_crl(stranger, other.int_key, victims, 1, 0);
    cr_assert_eq(rw_sec_trust_add_crl(t, crl, (int64_t)time(NULL)).err, RW_ERR_AUTH_UNKNOWN_CA);
    ASSERT_DETAIL_HAS("Stranger CA");
    cr_assert_eq(revoked(t), 0);
    rw_sec_trust_unref(t);
    X509_CRL_free(crl);
    X509_free(stranger);
    tl_chain_free(&other);
}

Test(sec_trust, expired_crl_refused)
{
    X509 *victims[] = {c.leaf};
    X509_CRL *crl = tl_crl(c.inter, c.int_key, victims, 1, -3600);
    struct rw_sec_trust *t = build();
    int64_t now = (int64_t)time(NULL);
    cr_assert_eq(rw_sec_trust_add_crl(t, crl, now).err, RW_ERR_AUTH_EXPIRED);
    ASSERT_DETAIL_HAS("CRL expired at 20");
    cr_assert_eq(revoked(t), 0);
    cr_assert(rw_ok(rw_sec_trust_add_crl(t, crl, now - 7200)), "fresh at an earlier time");
    cr_assert_eq(revoked(t), 1);
    rw_sec_trust_unref(t);
    X509_CRL_free(crl);
}

Test(sec_trust, crl_files_pem_several_and_der)
{
    X509 *leaves[] = {c.leaf};
    X509 *inters[] = {c.inter};
    X509_CRL *by_int = tl_crl(c.inter, c.int_key, leaves, 1, 0);
    X509_CRL *by_root = tl_crl(c.root, c.root_key, inters, 1, 0);
    int64_t now = (int64_t)time(NULL);
    cr_assert(tl_write_crl(path("two.pem"), by_int, false));
    cr_assert(tl_write_crl(path("two.pem"), by_root, false));
    cr_assert(tl_write_crl(path("one.der"), by_int, true));
    struct rw_sec_trust *t = build();
    cr_assert(rw_ok(rw_sec_trust_add_crl_file(t, path("two.pem"), now)), "%s", rw_err_detail());
    cr_assert_eq(revoked(t), 2);
    rw_sec_trust_unref(t);
    t = build();
    cr_assert(rw_ok(rw_sec_trust_add_crl_file(t, path("one.der"), now)), "%s", rw_err_detail());
    cr_assert_eq(revoked(t), 1);
    rw_sec_trust_unref(t);
    X509_CRL_free(by_int);
    X509_CRL_free(by_root);
}

Test(sec_trust, crl_file_with_one_bad_crl_adds_nothing)
{
    EVP_PKEY *wrong = tl_key("p256");
    X509 *leaves[] = {c.leaf};
    X509_CRL *good = tl_crl(c.inter, c.int_key, leaves, 1, 0);
    X509_CRL *bad = tl_crl(c.root, wrong, leaves, 1, 0);
    cr_assert(tl_write_crl(path("mixed.pem"), good, false));
    cr_assert(tl_write_crl(path("mixed.pem"), bad, false));
    cr_assert(tl_write_file(path("junk.crl"), "not a crl at all", 16));
    struct rw_sec_trust *t = build();
    int64_t now = (int64_t)time(NULL);
    cr_assert_eq(rw_sec_trust_add_crl_file(t, path("mixed.pem"), now).err,
                 RW_ERR_AUTH_BAD_SIGNATURE);
    ASSERT_DETAIL_HAS("mixed.pem");
    cr_assert_eq(revoked(t), 0);
    cr_assert_eq(rw_sec_trust_add_crl_file(t, path("junk.crl"), now).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_eq(revoked(t), 0);
    rw_sec_trust_unref(t);
    X509_CRL_free(good);
    X509_CRL_free(bad);
    EVP_PKEY_free(wrong);
}

Test(sec_trust, frozen_snapshot_refuses_changes)
{
    struct rw_sec_trust *t = build();
    X509 *victims[] = {c.leaf};
    X509_CRL *crl = tl_crl(c.inter, c.int_key, victims, 1, 0);
    const uint8_t sn[] = {1};
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    cr_assert(rw_sec_trust_frozen(t));
    cr_assert_eq(rw_sec_trust_add_ca(t, c.root).err, RW_ERR_STATE);
    cr_assert_eq(rw_sec_trust_add_revocation(t, c.inter, sn, 1, 0).err, RW_ERR_STATE);
    cr_assert_eq(rw_sec_trust_add_crl(t, crl, (int64_t)time(NULL)).err, RW_ERR_STATE);
    cr_assert_eq(rw_sec_trust_add_bundle_file(t, path("x.pem")).err, RW_ERR_STATE);
    cr_assert_eq(rw_sec_trust_add_crl_file(t, path("x.crl"), 0).err, RW_ERR_STATE);
    cr_assert_eq(rw_sec_trust_freeze(t).err, RW_ERR_STATE);
    cr_assert_eq(revoked(t), 0);
    rw_sec_trust_unref(t);
    X509_CRL_free(crl);
}

Test(sec_trust, reference_counting_keeps_the_snapshot_alive)
{
    struct rw_sec_trust *t = build();
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    struct rw_sec_trust *held = rw_sec_trust_ref(t);
    cr_assert_eq(held, t);
    rw_sec_trust_unref(t); /* the builder lets go; a verifier still holds it */
    cr_assert_eq(rw_sec_trust_ca_count(held), 2);
    struct rw_sec_identity id;
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    cr_assert(rw_ok(rw_sec_verify(held, c.leaf, NULL, &o, &id)), "%s", rw_err_detail());
    rw_sec_trust_unref(held); /* last reference: freed (LeakSanitizer checks) */
    rw_sec_trust_unref(NULL);
    cr_assert_null(rw_sec_trust_ref(NULL));
}

Test(sec_trust, an_extended_snapshot_shares_the_cas_and_adds_revocations)
{
    struct rw_sec_trust *base = build();
    cr_assert(rw_ok(rw_sec_trust_add_revocation(base, c.inter, (const uint8_t *)"\x01", 1, 1)));
    struct rw_sec_trust *early = NULL;
    cr_assert_eq(rw_sec_trust_extend(base, 1, &early).err, RW_ERR_USAGE, "only a frozen base");
    cr_assert(rw_ok(rw_sec_trust_freeze(base)));
    struct rw_sec_trust *t = NULL;
    cr_assert(rw_ok(rw_sec_trust_extend(base, 1, &t)), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_trust_store(t), rw_sec_trust_store(base), "the CA set is shared");
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    cr_assert_eq(revoked(t), 1, "the base's revocations are kept");
    cr_assert_eq(rw_sec_trust_add_ca(t, c.root).err, RW_ERR_STATE, "no CA joins a shared set");
    uint64_t issuer = 0;
    cr_assert(rw_ok(rw_sec_revset_issuer_id(X509_get_issuer_name(c.leaf), &issuer)));
    const ASN1_INTEGER *sn = X509_get0_serialNumber(c.leaf);
    cr_assert(rw_ok(rw_sec_trust_add_revocation_id(t, issuer, sn->data, (size_t)sn->length, 1)));
    cr_assert(rw_ok(rw_sec_trust_freeze(t)));
    cr_assert(rw_sec_revset_contains(rw_sec_trust_revset(t), c.leaf, NULL), "the leaf is revoked");
    cr_assert_not(rw_sec_revset_contains(rw_sec_trust_revset(base), c.leaf, NULL),
                  "the base snapshot is unchanged");
    rw_sec_trust_unref(base); /* the extension keeps the shared store alive */
    cr_assert_eq(rw_sec_trust_ca_count(t), 2);
    cr_assert_not_null(rw_sec_trust_store(t));
    rw_sec_trust_unref(t);
}
