/* tests/unit/security/test_sec_crl.c — v2 CRLs read back and checked by
 * `openssl crl` / `openssl verify -crl_check`. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "security/sec_cert.h"
#include "security/sec_crl.h"
#include "security/sec_key.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("seccrl");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(sec_crl, .init = setup, .fini = teardown, .timeout = 120);

static char *path_in(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *write_cert(X509 *x, const char *name)
{
    char *pem = NULL;
    size_t len = 0;
    cr_assert(rw_ok(rw_sec_cert_append_pem(x, &pem, &len)));
    char *path = path_in(name);
    cr_assert(tl_write_file(path, pem, len));
    free(pem);
    return path;
}

static char *write_crl(X509_CRL *crl, const char *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert_eq(PEM_write_bio_X509_CRL(bio, crl), 1);
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *path = path_in(name);
    cr_assert(tl_write_file(path, data, (size_t)len));
    BIO_free(bio);
    return path;
}

struct pki {
    EVP_PKEY *root_key, *int_key, *leaf_key;
    X509 *root, *inter;
    int64_t now;
};

static void serial_of(int n, uint8_t out[RW_SERIAL_LEN])
{
    memset(out, 0, RW_SERIAL_LEN);
    out[0] = 0x10;
    out[RW_SERIAL_LEN - 1] = (uint8_t)n;
}

static void pki_init(struct pki *p, enum rw_key_alg alg)
{
    p->now = (int64_t)time(NULL);
    cr_assert(rw_ok(rw_sec_key_generate(alg, &p->root_key)));
    cr_assert(rw_ok(rw_sec_key_generate(alg, &p->int_key)));
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &p->leaf_key)));
    uint8_t s[RW_SERIAL_LEN];
    serial_of(200, s);
    struct rw_sec_ca_spec cs = {.cn = "CRL Root", .path_len = -1, .not_before = p->now - 3600,
                                .not_after = p->now + 86400, .serial = s, .serial_len = sizeof(s)};
    cr_assert(rw_ok(rw_sec_cert_make_root(p->root_key, &cs, &p->root)));
    serial_of(201, s);
    cs.cn = "CRL Issuing CA";
    cr_assert(rw_ok(rw_sec_cert_make_intermediate(p->int_key, p->root, p->root_key, &cs, &p->inter)));
}

static void pki_free(struct pki *p)
{
    X509_free(p->root);
    X509_free(p->inter);
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->int_key);
    EVP_PKEY_free(p->leaf_key);
}

static X509 *leaf(struct pki *p, int serial_n)
{
    uint8_t s[RW_SERIAL_LEN];
    serial_of(serial_n, s);
    struct rw_sec_leaf_spec ls = {.principal = "client", .role = RW_ROLE_PRODUCER,
                                  .not_before = p->now - 60, .not_after = p->now + 3600,
                                  .serial = s, .serial_len = sizeof(s)};
    X509 *x = NULL;
    cr_assert(rw_ok(rw_sec_cert_make_leaf(p->leaf_key, p->inter, p->int_key, &ls, &x)));
    return x;
}

static uint8_t sn[3][RW_SERIAL_LEN];

/* Entries for serials 3, 1, 2 (deliberately unsorted). */
static void three_entries(struct rw_sec_crl_entry e[3], int64_t now)
{
    serial_of(3, sn[0]);
    serial_of(1, sn[1]);
    serial_of(2, sn[2]);
    e[0] = (struct rw_sec_crl_entry){sn[0], RW_SERIAL_LEN, now - 300, RW_REASON_KEY_COMPROMISE};
    e[1] = (struct rw_sec_crl_entry){sn[1], RW_SERIAL_LEN, now - 200, RW_REASON_UNSPECIFIED};
    e[2] = (struct rw_sec_crl_entry){sn[2], RW_SERIAL_LEN, now - 100, RW_REASON_SUPERSEDED};
}

static int reason_of(X509_REVOKED *rev)
{
    int crit = 0;
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
    if (!e) {
        cr_assert_eq(crit, -1, "malformed reasonCode");
        return -1;
    }
    cr_assert_eq(crit, 0);
    long v = ASN1_ENUMERATED_get(e);
    ASN1_ENUMERATED_free(e);
    return (int)v;
}

Test(sec_crl, reads_back_as_v2_with_extensions)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256);
    struct rw_sec_crl_entry e[3];
    three_entries(e, p.now);
    X509_CRL *crl = NULL;
    cr_assert(rw_ok(rw_sec_crl_make(p.inter, p.int_key, 42, p.now, p.now + 7200, e, 3, &crl)),
              "%s", rw_err_detail());
    cr_assert_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    cr_assert_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(p.inter)), 0);
    int64_t t;
    cr_assert(rw_ok(rw_sec_time_to_unix(X509_CRL_get0_lastUpdate(crl), &t)));
    cr_assert_eq(t, p.now);
    cr_assert(rw_ok(rw_sec_time_to_unix(X509_CRL_get0_nextUpdate(crl), &t)));
    cr_assert_eq(t, p.now + 7200);
    int crit = 0;
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
    cr_assert(num);
    cr_assert_eq(crit, 0);
    cr_assert_eq(ASN1_INTEGER_get(num), 42);
    ASN1_INTEGER_free(num);
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
    cr_assert(akid && akid->keyid);
    cr_assert_eq(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(p.inter)), 0);
    AUTHORITY_KEYID_free(akid);
    cr_assert_eq(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
    EVP_PKEY *pub = X509_get0_pubkey(p.inter);
    cr_assert_eq(X509_CRL_verify(crl, pub), 1);
    cr_assert_neq(X509_CRL_verify(crl, X509_get0_pubkey(p.root)), 1);

    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
    cr_assert_eq(sk_X509_REVOKED_num(revs), 3);
    const int want_reason[] = {-1, RW_REASON_SUPERSEDED, RW_REASON_KEY_COMPROMISE}; /* serial 1,2,3 */
    const int64_t want_at[] = {p.now - 200, p.now - 100, p.now - 300};
    for (int i = 0; i < 3; i++) {
        X509_REVOKED *rev = sk_X509_REVOKED_value(revs, i);
        uint8_t want_sn[RW_SERIAL_LEN];
        ASN1_INTEGER *ai = NULL;
        serial_of(i + 1, want_sn);
        cr_assert(rw_ok(rw_sec_serial_to_asn1(want_sn, RW_SERIAL_LEN, &ai)));
        cr_assert_eq(ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(rev), ai), 0, "not sorted");
        ASN1_INTEGER_free(ai);
        cr_assert(rw_ok(rw_sec_time_to_unix(X509_REVOKED_get0_revocationDate(rev), &t)));
        cr_assert_eq(t, want_at[i]);
        cr_assert_eq(reason_of(rev), want_reason[i], "entry %d", i);
        cr_assert_eq(X509_REVOKED_get_ext_count(rev), want_reason[i] < 0 ? 0 : 1);
    }
    X509_CRL_free(crl);
    pki_free(&p);
}

Test(sec_crl, openssl_crl_verifies_signature)
{
    const enum rw_key_alg algs[] = {RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072};
    const int nids[] = {NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384, NID_ED25519,
                        NID_sha256WithRSAEncryption};
    for (size_t i = 0; i < 4; i++) {
        struct pki p;
        pki_init(&p, algs[i]);
        struct rw_sec_crl_entry e[3];
        three_entries(e, p.now);
        X509_CRL *crl = NULL;
        cr_assert(rw_ok(rw_sec_crl_make(p.inter, p.int_key, 7, p.now, p.now + 60, e, 3, &crl)));
        cr_assert_eq(X509_CRL_get_signature_nid(crl), nids[i]);
        char *cf = write_crl(crl, "int.crl"), *ca = write_cert(p.inter, "int.pem");
        char *root = write_cert(p.root, "root.pem"), *out = NULL;
        cr_assert_eq(tl_sh(&out, "openssl crl -in '%s' -CAfile '%s' -noout", cf, ca), 0, "%s", out);
        cr_assert(strstr(out, "verify OK"), "%s", out);
        free(out);
        /* The root did not sign it. */
        tl_sh(&out, "openssl crl -in '%s' -CAfile '%s' -noout", cf, root);
        cr_assert_null(strstr(out, "verify OK"), "%s", out);
        free(out);
        cr_assert_eq(tl_sh(&out, "openssl crl -in '%s' -noout -text", cf), 0);
        cr_assert(strstr(out, "Key Compromise") && strstr(out, "Superseded"), "%s", out);
        cr_assert(strstr(out, "X509v3 CRL Number") && strstr(out, "Version 2"), "%s", out);
        free(out);
        free(cf);
        free(ca);
        free(root);
        X509_CRL_free(crl);
        pki_free(&p);
    }
}

Test(sec_crl, openssl_verify_rejects_revoked_leaf)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256);
    X509 *bad = leaf(&p, 2), *good = leaf(&p, 9);
    struct rw_sec_crl_entry e[3];
    three_entries(e, p.now);
    X509_CRL *crl = NULL, *root_crl = NULL;
    cr_assert(rw_ok(rw_sec_crl_make(p.inter, p.int_key, 1, p.now - 10, p.now + 600, e, 3, &crl)));
    cr_assert(rw_ok(rw_sec_crl_make(p.root, p.root_key, 1, p.now - 10, p.now + 600, NULL, 0,
                                    &root_crl)));
    cr_assert_leq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(root_crl)), 0); /* -1: NULL stack */
    char *root = write_cert(p.root, "root.pem"), *inter = write_cert(p.inter, "int.pem");
    char *bf = write_cert(bad, "bad.pem"), *gf = write_cert(good, "good.pem");
    char *cf = write_crl(crl, "int.crl"), *rf = write_crl(root_crl, "root.crl"), *out = NULL;
#define V "openssl verify -x509_strict -crl_check -CRLfile '%s' -CAfile '%s' -untrusted '%s' '%s'"
    cr_assert_neq(tl_sh(&out, V, cf, root, inter, bf), 0, "%s", out);
    cr_assert(strstr(out, "certificate revoked"), "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, V, cf, root, inter, gf), 0, "%s", out);
    free(out);
#undef V
    cr_assert_eq(tl_sh(&out, "openssl verify -crl_check_all -CRLfile '%s' -CRLfile '%s' -CAfile '%s' "
                          "-untrusted '%s' '%s'", cf, rf, root, inter, gf), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "openssl verify -crl_check_all -CRLfile '%s' -CRLfile '%s' -CAfile '%s' "
                           "-untrusted '%s' '%s'", cf, rf, root, inter, bf), 0, "%s", out);
    free(out);
    free(root);
    free(inter);
    free(bf);
    free(gf);
    free(cf);
    free(rf);
    X509_free(bad);
    X509_free(good);
    X509_CRL_free(crl);
    X509_CRL_free(root_crl);
    pki_free(&p);
}

Test(sec_crl, revoked_intermediate_fails_crl_check_all)
{
    struct pki p;
    pki_init(&p, RW_KEY_ED25519);
    X509 *good = leaf(&p, 9);
    uint8_t int_sn[RW_SERIAL_LEN];
    serial_of(201, int_sn);
    struct rw_sec_crl_entry e = {int_sn, RW_SERIAL_LEN, p.now - 5, RW_REASON_CA_COMPROMISE};
    X509_CRL *int_crl = NULL, *root_crl = NULL;
    cr_assert(rw_ok(rw_sec_crl_make(p.inter, p.int_key, 3, p.now - 10, p.now + 600, NULL, 0,
                                    &int_crl)));
    cr_assert(rw_ok(rw_sec_crl_make(p.root, p.root_key, 3, p.now - 10, p.now + 600, &e, 1,
                                    &root_crl)));
    X509_REVOKED *found = NULL;
    ASN1_INTEGER *ai = NULL;
    cr_assert(rw_ok(rw_sec_serial_to_asn1(int_sn, RW_SERIAL_LEN, &ai)));
    cr_assert_eq(X509_CRL_get0_by_serial(root_crl, &found, ai), 1);
    cr_assert_eq(reason_of(found), RW_REASON_CA_COMPROMISE);
    ASN1_INTEGER_free(ai);
    char *root = write_cert(p.root, "root.pem"), *inter = write_cert(p.inter, "int.pem");
    char *gf = write_cert(good, "good.pem"), *out = NULL;
    char *cf = write_crl(int_crl, "int.crl"), *rf = write_crl(root_crl, "root.crl");
    cr_assert_neq(tl_sh(&out, "openssl verify -crl_check_all -CRLfile '%s' -CRLfile '%s' -CAfile '%s' "
                           "-untrusted '%s' '%s'", cf, rf, root, inter, gf), 0, "%s", out);
    cr_assert(strstr(out, "certificate revoked"), "%s", out);
    free(out);
    free(root);
    free(inter);
    free(gf);
    free(cf);
    free(rf);
    X509_free(good);
    X509_CRL_free(int_crl);
    X509_CRL_free(root_crl);
    pki_free(&p);
}

Test(sec_crl, bad_input_rejected)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256);
    X509 *lf = leaf(&p, 5);
    struct rw_sec_crl_entry e[3];
    three_entries(e, p.now);
    X509_CRL *crl = NULL;
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now, e, 3, &crl).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_crl_make(lf, p.leaf_key, 1, p.now, p.now + 9, e, 3, &crl).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "not a CA"), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_crl_make(p.inter, p.root_key, 1, p.now, p.now + 9, e, 3, &crl).err,
                 RW_ERR_USAGE);
    e[1].reason = 7;
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now + 9, e, 3, &crl).err,
                 RW_ERR_USAGE);
    e[1].reason = 11;
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now + 9, e, 3, &crl).err,
                 RW_ERR_USAGE);
    e[1].reason = RW_REASON_AFFILIATION_CHANGED;
    e[1].serial = e[0].serial; /* duplicate */
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now + 9, e, 3, &crl).err,
                 RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "twice"), "%s", rw_err_detail());
    uint8_t zero[4] = {0};
    e[1].serial = zero;
    e[1].serial_len = sizeof(zero);
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now + 9, e, 3, &crl).err,
                 RW_ERR_USAGE);
    cr_assert_eq(rw_sec_crl_make(p.inter, p.int_key, 1, p.now, p.now + 9, NULL, 2, &crl).err,
                 RW_ERR_USAGE);
    cr_assert_null(crl);
    X509_free(lf);
    pki_free(&p);
}
