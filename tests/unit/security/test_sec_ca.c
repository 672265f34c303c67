/* The CA service over a real store: creation, issuance, revocation, CRLs and
 * the trust snapshot built from the store. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "security/sec_ca.h"
#include "security/sec_cert.h"
#include "security/sec_ossl.h"
#include "security/sec_verify.h"
#include "tests/testlib/tl_fs.h"

static char *dir;
static struct rw_store *store;
static struct rw_sec_ca ca;
static char root_id[RW_STORE_ID_MAX], int_id[RW_STORE_ID_MAX];

static void setup(void)
{
    dir = tl_tmpdir("sec-ca");
    cr_assert(rw_ok(rw_store_open(dir, RW_STORE_CREATE_NEW, &store)));
    ca = (struct rw_sec_ca){.store = store, .passphrase = "pw", .actor = "test:unit"};
    struct rw_sec_ca_opts root = {.cn = "Root CA", .alg = RW_KEY_P256, .path_len = 1};
    cr_assert(rw_ok(rw_sec_ca_create(&ca, &root, root_id)), "%s", rw_err_detail());
    struct rw_sec_ca_opts mid = {.cn = "Intermediate CA", .parent_id = root_id,
                                 .alg = RW_KEY_P256, .path_len = 0};
    cr_assert(rw_ok(rw_sec_ca_create(&ca, &mid, int_id)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_store_close(store);
    tl_rmtree(dir);
    free(dir);
}

static int64_t events(void)
{
    int64_t seq = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(store, &seq)));
    return seq;
}

static X509 *issue(const char *principal, enum rw_role role)
{
    struct rw_sec_issue_opts o = {.ca_id = int_id, .principal = principal, .role = role};
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    cr_assert(rw_ok(rw_sec_ca_issue(&ca, &o, &cert, &key)), "%s", rw_err_detail());
    EVP_PKEY_free(key);
    return cert;
}

static struct rw_result verify_now(X509 *leaf, struct rw_sec_identity *id)
{
    struct rw_sec_trust *t = NULL;
    cr_assert(rw_ok(rw_sec_ca_trust_build(store, &t)), "%s", rw_err_detail());
    struct rw_sec_verify_opts o = {.purpose = RW_PURPOSE_CLIENT};
    struct rw_result r = rw_sec_verify(t, leaf, NULL, &o, id);
    rw_sec_trust_unref(t);
    return r;
}

TestSuite(sec_ca, .init = setup, .fini = teardown, .timeout = 60);

Test(sec_ca, ids_are_slugs_of_the_cn_and_unique)
{
    cr_assert_str_eq(root_id, "root-ca");
    cr_assert_str_eq(int_id, "intermediate-ca");
    char id[RW_STORE_ID_MAX];
    struct rw_sec_ca_opts again = {.cn = "Root  CA!", .alg = RW_KEY_P256, .path_len = -1};
    cr_assert(rw_ok(rw_sec_ca_create(&ca, &again, id)));
    cr_assert_str_eq(id, "root-ca-2");
}

Test(sec_ca, issued_certificate_verifies_from_the_store_snapshot)
{
    X509 *cert = issue("producer-9", RW_ROLE_PRODUCER);
    struct rw_sec_identity id;
    cr_assert(rw_ok(verify_now(cert, &id)), "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "producer-9");
    cr_assert_eq(id.role, RW_ROLE_PRODUCER);
    cr_assert_eq(id.chain_len, 3);
    uint8_t serial[20];
    size_t len;
    cr_assert(rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &len)));
    cr_assert_eq(len, 16, "serials are 16 octets");
    cr_assert_eq(serial[0] & 0x80, 0, "top bit clear");
    struct rw_store_cert row;
    cr_assert(rw_ok(rw_store_cert_get(store, serial, len, &row)));
    cr_assert_str_eq(row.role, "producer");
    cr_assert_str_eq(row.issuer_ca_id, "intermediate-ca");
    rw_store_cert_cleanup(&row);
    X509_free(cert);
}

Test(sec_ca, revocation_reaches_the_next_snapshot)
{
    X509 *cert = issue("consumer-9", RW_ROLE_CONSUMER);
    uint8_t serial[20];
    size_t len;
    cr_assert(rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &len)));
    cr_assert(rw_ok(rw_sec_ca_revoke(&ca, serial, len, RW_REASON_KEY_COMPROMISE)));
    struct rw_sec_identity id;
    struct rw_result r = verify_now(cert, &id);
    cr_assert_eq(r.err, RW_ERR_AUTH_REVOKED, "%s", rw_err_name(r.err));
    cr_assert(strstr(rw_err_detail(), "keyCompromise"), "%s", rw_err_detail());
    int64_t before = events();
    cr_assert_eq(rw_sec_ca_revoke(&ca, serial, len, 0).err, RW_ERR_STATE);
    cr_assert_eq(events(), before, "a refused revoke writes no event");
    X509_free(cert);
}

Test(sec_ca, revoking_the_intermediate_rejects_its_leaves)
{
    X509 *cert = issue("consumer-8", RW_ROLE_CONSUMER);
    struct rw_store_ca row;
    cr_assert(rw_ok(rw_store_ca_get(store, int_id, &row)));
    cr_assert(rw_ok(rw_sec_ca_revoke(&ca, row.serial, row.serial_len, RW_REASON_CA_COMPROMISE)));
    rw_store_ca_cleanup(&row);
    struct rw_sec_identity id;
    cr_assert_eq(verify_now(cert, &id).err, RW_ERR_AUTH_REVOKED);
    X509_free(cert);
}

Test(sec_ca, root_cannot_be_revoked)
{
    struct rw_store_ca row;
    cr_assert(rw_ok(rw_store_ca_get(store, root_id, &row)));
    cr_assert_eq(rw_sec_ca_revoke(&ca, row.serial, row.serial_len, 0).err, RW_ERR_STATE);
    rw_store_ca_cleanup(&row);
}

Test(sec_ca, wrong_passphrase_changes_nothing)
{
    int64_t before = events();
    struct rw_sec_ca bad = ca;
    bad.passphrase = "not it";
    struct rw_sec_issue_opts o = {.ca_id = int_id, .principal = "x", .role = RW_ROLE_ADMIN};
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    cr_assert_eq(rw_sec_ca_issue(&bad, &o, &cert, &key).err, RW_ERR_AUTH_PASSPHRASE);
    cr_assert_null(cert);
    cr_assert_eq(events(), before);
}

Test(sec_ca, plaintext_keys_need_the_dev_flag)
{
    struct rw_sec_ca dev = ca;
    dev.passphrase = NULL;
    char id[RW_STORE_ID_MAX];
    struct rw_sec_ca_opts o = {.cn = "Dev Root", .alg = RW_KEY_P256, .path_len = -1};
    cr_assert(rw_ok(rw_sec_ca_create(&dev, &o, id)));
    struct rw_sec_issue_opts io = {.ca_id = id, .principal = "x", .role = RW_ROLE_ADMIN};
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    cr_assert_eq(rw_sec_ca_issue(&dev, &io, &cert, &key).err, RW_ERR_AUTH_PASSPHRASE,
                 "a plaintext CA key is refused without --insecure-dev-keys");
    cr_assert(rw_ok(rw_store_meta_set(store, "insecure_dev_keys", "1")));
    cr_assert(rw_ok(rw_sec_ca_issue(&dev, &io, &cert, &key)), "%s", rw_err_detail());
    X509_free(cert);
    EVP_PKEY_free(key);
}

Test(sec_ca, disabled_ca_issues_nothing_but_stays_trusted)
{
    X509 *before = issue("early", RW_ROLE_PRODUCER);
    cr_assert(rw_ok(rw_sec_ca_disable(&ca, int_id)));
    struct rw_sec_issue_opts o = {.ca_id = int_id, .principal = "late", .role = RW_ROLE_PRODUCER};
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    cr_assert_eq(rw_sec_ca_issue(&ca, &o, &cert, &key).err, RW_ERR_STATE);
    struct rw_sec_identity id;
    cr_assert(rw_ok(verify_now(before, &id)), "%s", rw_err_detail());
    X509_free(before);
}

Test(sec_ca, crl_numbers_increase_and_list_revocations)
{
    X509 *cert = issue("gone", RW_ROLE_CONSUMER);
    uint8_t serial[20];
    size_t len;
    cr_assert(rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &len)));
    cr_assert(rw_ok(rw_sec_ca_revoke(&ca, serial, len, RW_REASON_SUPERSEDED)));
    X509_CRL *a = NULL, *b = NULL;
    cr_assert(rw_ok(rw_sec_ca_crl(&ca, int_id, &a)), "%s", rw_err_detail());
    cr_assert(rw_ok(rw_sec_ca_crl(&ca, int_id, &b)));
    ASN1_INTEGER *na = X509_CRL_get_ext_d2i(a, NID_crl_number, NULL, NULL);
    ASN1_INTEGER *nb = X509_CRL_get_ext_d2i(b, NID_crl_number, NULL, NULL);
    cr_assert_eq(ASN1_INTEGER_get(na) + 1, ASN1_INTEGER_get(nb));
    cr_assert_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(b)), 1);
    X509_REVOKED *rev = NULL;
    cr_assert_eq(X509_CRL_get0_by_cert(b, &rev, cert), 1, "the CRL lists the revoked certificate");
    ASN1_INTEGER_free(na);
    ASN1_INTEGER_free(nb);
    X509_CRL_free(a);
    X509_CRL_free(b);
    X509_free(cert);
}

Test(sec_ca, csr_principal_must_match_and_names_only_for_brokers)
{
    EVP_PKEY *key = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &key)));
    X509_REQ *req = X509_REQ_new();
    X509_REQ_set_pubkey(req, key);
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                               (const unsigned char *)"edge-1", -1, -1, 0);
    cr_assert(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509_REQ(req, &der);
    struct rw_sec_issue_opts o = {.ca_id = int_id, .principal = "other", .role = RW_ROLE_PRODUCER};
    X509 *cert = NULL;
    cr_assert_eq(rw_sec_ca_sign_csr(&ca, der, (size_t)len, &o, &cert).err, RW_ERR_USAGE);
    o.principal = NULL;
    cr_assert(rw_ok(rw_sec_ca_sign_csr(&ca, der, (size_t)len, &o, &cert)), "%s", rw_err_detail());
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    cr_assert_eq(EVP_PKEY_eq(pub, key), 1, "the CSR's key is certified");
    X509_free(cert);
    OPENSSL_free(der);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}

static size_t cert_count(void)
{
    struct rw_store_cert *certs = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_cert_list(store, NULL, &certs, &n)));
    rw_store_cert_list_free(certs, n);
    return n;
}

static int hook_calls;

static struct rw_result failing_hook(void *arg, X509 *cert)
{
    (void)arg;
    cr_assert_not_null(cert, "the hook sees the new certificate");
    hook_calls++;
    /* It runs inside the transaction: its own write is rolled back too. */
    RW_GUARD(rw_store_event_append(store, "test", "test.hook", "x", "{}", NULL));
    RW_BAIL_MSG(RW_ERR_STATE, "the hook refused");
}

static struct rw_result passing_hook(void *arg, X509 *cert)
{
    (void)cert;
    hook_calls++;
    return rw_store_event_append(store, "test", "test.hook", (const char *)arg, "{}", NULL);
}

Test(sec_ca, an_in_transaction_hook_lands_with_the_certificate_or_not_at_all)
{
    int64_t seq = events();
    size_t n = cert_count();
    struct rw_sec_issue_opts o = {.ca_id = int_id, .principal = "p", .role = RW_ROLE_PRODUCER,
                                  .in_tx = failing_hook};
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    cr_assert_eq(rw_sec_ca_issue(&ca, &o, &cert, &key).err, RW_ERR_STATE);
    cr_assert_eq(hook_calls, 1);
    cr_assert_null(cert);
    cr_assert_null(key);
    cr_assert_eq(cert_count(), n, "no certificate recorded");
    cr_assert_eq(events(), seq, "no cert.issued and no hook event");
    o.in_tx = passing_hook;
    o.in_tx_arg = "y";
    cr_assert(rw_ok(rw_sec_ca_issue(&ca, &o, &cert, &key)), "%s", rw_err_detail());
    cr_assert_eq(hook_calls, 2);
    cr_assert_eq(cert_count(), n + 1);
    cr_assert_eq(events(), seq + 2, "cert.issued and the hook's event, together");
    X509_free(cert);
    EVP_PKEY_free(key);
}
