/* tests/unit/security/test_sec_enroll.c — enrollment tokens and CSR requests. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "security/sec_enroll.h"
#include "security/sec_key.h"
#include "security/store/store.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_tls.h"

static struct tl_pki *pki;

static void setup(void)
{
    pki = tl_pki_new("sec-enroll");
    cr_assert(pki);
}

static void teardown(void)
{
    tl_pki_free(pki);
}

TestSuite(sec_enroll, .init = setup, .fini = teardown, .timeout = 60);

static void csr_der(const char *cn, uint8_t **der, size_t *len)
{
    EVP_PKEY *key = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &key)));
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_REQ_get_subject_name(req);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_REQ_set_pubkey(req, key);
    cr_assert(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    unsigned char *p = NULL;
    int n = i2d_X509_REQ(req, &p);
    cr_assert(n > 0);
    *der = p;
    *len = (size_t)n;
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}

static int64_t count_kind(const char *kind)
{
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(pki->store, 0, 0, &ev, &n)));
    int64_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += strcmp(ev[i].kind, kind) == 0;
    }
    rw_store_event_list_free(ev, n);
    return k;
}

Test(sec_enroll, token_is_stored_hashed_and_works_once)
{
    char token[RW_ENROLL_TOKEN_TEXT];
    int64_t exp = 0;
    cr_assert(rw_ok(rw_sec_enroll_token_create(pki->store, "ops", "edge-1", RW_ROLE_PRODUCER, 60,
                                               0, token, &exp)));
    cr_assert(strncmp(token, "rwt_", 4) == 0 && strlen(token) == 47, "%s", token);
    cr_assert(exp > (int64_t)time(NULL));
    const char *files[] = {"store/ringward.db", "store/ringward.db-wal"};
    for (size_t f = 0; f < 2; f++) {
        char path[512];
        tl_pki_path(pki, files[f], path, sizeof(path));
        size_t len = 0;
        char *db = tl_read_file(path, &len);
        cr_assert(db || f == 1, "%s", path);
        cr_assert(!db || !memmem(db, len, token + 4, strlen(token) - 4), "the token is stored");
        free(db);
    }
    cr_assert(rw_ok(rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-1", RW_ROLE_PRODUCER, 0)));
    struct rw_result r = rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-1",
                                                    RW_ROLE_PRODUCER, 0);
    cr_assert_eq(r.err, RW_ERR_AUTH_INVALID);
    cr_assert_eq(count_kind("token.created"), 1);
    cr_assert_eq(count_kind("token.used"), 1);
}

Test(sec_enroll, wrong_principal_or_expired_does_not_burn_the_token)
{
    char token[RW_ENROLL_TOKEN_TEXT];
    cr_assert(rw_ok(rw_sec_enroll_token_create(pki->store, "ops", "edge-2", RW_ROLE_CONSUMER, 60,
                                               0, token, NULL)));
    struct rw_result r = rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-3",
                                                    RW_ROLE_CONSUMER, 0);
    cr_assert_eq(r.err, RW_ERR_AUTH_NAME_MISMATCH);
    r = rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-2", RW_ROLE_PRODUCER, 0);
    cr_assert_eq(r.err, RW_ERR_AUTH_NAME_MISMATCH);
    r = rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-2", RW_ROLE_CONSUMER,
                                   (int64_t)time(NULL) + 61);
    cr_assert_eq(r.err, RW_ERR_AUTH_EXPIRED);
    r = rw_sec_enroll_token_redeem(pki->store, "x", "rwt_nope", "edge-2", RW_ROLE_CONSUMER, 0);
    cr_assert_eq(r.err, RW_ERR_AUTH_INVALID);
    cr_assert(rw_ok(rw_sec_enroll_token_redeem(pki->store, "x", token, "edge-2", RW_ROLE_CONSUMER, 0)));
}

Test(sec_enroll, requests_pending_approved_rejected_and_capped)
{
    uint8_t *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    csr_der("m-1", &a, &la);
    csr_der("m-2", &b, &lb);
    int64_t ida = 0, idb = 0;
    cr_assert(rw_ok(rw_sec_enroll_request_submit(pki->store, "enroll:m-1", a, la, RW_ROLE_PRODUCER,
                                                 2, &ida)));
    cr_assert(rw_ok(rw_sec_enroll_request_submit(pki->store, "enroll:m-2", b, lb, RW_ROLE_PRODUCER,
                                                 2, &idb)));
    int64_t idc = 0;
    struct rw_result r = rw_sec_enroll_request_submit(pki->store, "enroll:m-1", a, la,
                                                      RW_ROLE_PRODUCER, 2, &idc);
    cr_assert_eq(r.err, RW_ERR_LIMIT, "a third pending request over the cap");
    X509 *cert = NULL;
    cr_assert(rw_ok(rw_sec_enroll_request_approve(&pki->ca, ida, 0, &cert)), "%s", rw_err_detail());
    cr_assert(cert);
    X509_free(cert);
    r = rw_sec_enroll_request_approve(&pki->ca, ida, 0, NULL);
    cr_assert_eq(r.err, RW_ERR_STATE);
    cr_assert(rw_ok(rw_sec_enroll_request_reject(pki->store, "ops", idb, "unknown")));
    r = rw_sec_enroll_request_reject(pki->store, "ops", idb, "again");
    cr_assert_eq(r.err, RW_ERR_STATE);
    struct rw_store_csr_request q;
    cr_assert(rw_ok(rw_store_csr_request_get(pki->store, ida, &q)));
    cr_assert_str_eq(q.status, "approved");
    cr_assert_gt(q.cert_serial_len, 0);
    rw_store_csr_request_cleanup(&q);
    cr_assert_eq(count_kind("csr.requested"), 2);
    cr_assert_eq(count_kind("csr.approved"), 1);
    cr_assert_eq(count_kind("csr.rejected"), 1);
    OPENSSL_free(a);
    OPENSSL_free(b);
}
