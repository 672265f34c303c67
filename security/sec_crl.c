/* security/sec_crl.c — building and signing X.509 v2 CRLs.
 *
 * Ownership: the caller keeps `ca`, `ca_key` and `entries`; on success
 * *out is a new X509_CRL the caller frees (X509_CRL_free); on failure
 * nothing is returned and nothing leaks.
 */
#include "security/sec_crl.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "security/sec_cert.h"
#include "security/sec_key.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

/* The CA must be allowed to sign CRLs and hold `key`. */
static struct rw_result check_ca(X509 *ca, EVP_PKEY *key)
{
    RW_ENSURE_MSG(ca && key, RW_ERR_USAGE, "no CA certificate or key given");
    struct rw_result r = rw_sec_key_classify(key, NULL);
    if (!rw_ok(r)) {
        rw_err_detail_append(" (CA key)");
        RW_BAIL(RW_ERR_USAGE);
    }
    uint32_t flags = X509_get_extension_flags(ca);
    RW_ENSURE_MSG((flags & EXFLAG_CA) && !(flags & EXFLAG_INVALID), RW_ERR_USAGE,
                  "the CRL issuer is not a CA");
    RW_ENSURE_MSG(!(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(ca) & KU_CRL_SIGN), RW_ERR_USAGE,
                  "the CA certificate may not sign CRLs (keyUsage)");
    RW_ENSURE_MSG(X509_get0_subject_key_id(ca) != NULL, RW_ERR_USAGE,
                  "the CA certificate has no subjectKeyIdentifier");
    if (X509_check_private_key(ca, key) != 1) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_USAGE, "the CA key does not match the CA certificate");
    }
    return RW_SUCCESS;
}

static struct rw_result set_time(X509_CRL *crl, int64_t t, bool next)
{
    ASN1_TIME *at = ASN1_TIME_set(NULL, (time_t)t);
    if (!at) {
        return ossl_fail(RW_ERR_USAGE, "cannot encode a CRL time");
    }
    int ok = next ? X509_CRL_set1_nextUpdate(crl, at) : X509_CRL_set1_lastUpdate(crl, at);
    ASN1_TIME_free(at);
    RW_ENSURE(ok == 1, RW_ERR_NOMEM);
    return RW_SUCCESS;
}

static struct rw_result add_reason(X509_REVOKED *rev, int reason)
{
    ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
    int ok = e && ASN1_ENUMERATED_set(e, reason) == 1 &&
             X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, 0) == 1;
    ASN1_ENUMERATED_free(e);
    if (!ok) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot add a reasonCode extension");
    }
    return RW_SUCCESS;
}

/* One revokedCertificates entry, handed to the CRL. */
static struct rw_result add_entry(X509_CRL *crl, const struct rw_sec_crl_entry *e)
{
    RW_ENSURE_MSG(strcmp(rw_sec_reason_name(e->reason), "unknown") != 0, RW_ERR_USAGE,
                  "%d is not a CRL reason code", e->reason);
    ASN1_INTEGER *sn = NULL;
    RW_GUARD(rw_sec_serial_to_asn1(e->serial, e->serial_len, &sn));
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *at = ASN1_TIME_set(NULL, (time_t)e->revoked_at);
    struct rw_result r = RW_SUCCESS;
    if (!rev || !at || X509_REVOKED_set_serialNumber(rev, sn) != 1 ||
        X509_REVOKED_set_revocationDate(rev, at) != 1) {
        r = ossl_fail(RW_ERR_CRYPTO, "cannot build a CRL entry");
    } else if (e->reason != RW_REASON_UNSPECIFIED) {
        r = add_reason(rev, e->reason);
    }
    if (rw_ok(r)) {
        if (X509_CRL_add0_revoked(crl, rev) == 1) {
            rev = NULL;
        } else {
            r = ossl_fail(RW_ERR_NOMEM, "cannot add a CRL entry");
        }
    }
    X509_REVOKED_free(rev);
    ASN1_TIME_free(at);
    ASN1_INTEGER_free(sn);
    return r;
}

/* Sorts the entries by serial and refuses duplicates. */
static struct rw_result sort_entries(X509_CRL *crl)
{
    RW_ENSURE(X509_CRL_sort(crl) == 1, RW_ERR_NOMEM);
    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
    for (int i = 1; i < sk_X509_REVOKED_num(revs); i++) {
        const ASN1_INTEGER *a = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i - 1));
        const ASN1_INTEGER *b = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revs, i));
        RW_ENSURE_MSG(ASN1_INTEGER_cmp(a, b) != 0, RW_ERR_USAGE,
                      "the same serial number is listed twice in the CRL");
    }
    return RW_SUCCESS;
}

/* CRL number and AKI (keyid of the CA's SKI). */
static struct rw_result add_crl_exts(X509_CRL *crl, X509 *ca, uint64_t number)
{
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = num && ASN1_INTEGER_set_uint64(num, number) == 1 &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
    ASN1_INTEGER_free(num);
    if (!ok) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot add the CRL number");
    }
    X509V3_CTX ctx;
    memset(&ctx, 0, sizeof(ctx));
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    ok = ext && X509_CRL_add_ext(crl, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    if (!ok) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot add the CRL authorityKeyIdentifier");
    }
    return RW_SUCCESS;
}

static struct rw_result build(X509_CRL *crl, X509 *ca, EVP_PKEY *ca_key, uint64_t number,
                              int64_t this_update, int64_t next_update,
                              const struct rw_sec_crl_entry *entries, size_t n)
{
    if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1) {
        return ossl_fail(RW_ERR_NOMEM, "cannot start the CRL");
    }
    RW_GUARD(set_time(crl, this_update, false));
    RW_GUARD(set_time(crl, next_update, true));
    for (size_t i = 0; i < n; i++) {
        RW_GUARD(add_entry(crl, &entries[i]));
    }
    RW_GUARD(sort_entries(crl));
    RW_GUARD(add_crl_exts(crl, ca, number));
    const EVP_MD *md = NULL;
    RW_GUARD(rw_sec_key_sign_md(ca_key, &md));
    if (X509_CRL_sign(crl, ca_key, md) <= 0) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot sign the CRL");
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_crl_make(X509 *ca, EVP_PKEY *ca_key, uint64_t crl_number, int64_t this_update,
                                 int64_t next_update, const struct rw_sec_crl_entry *entries, size_t n,
                                 X509_CRL **out)
{
    RW_ENSURE_MSG(out && (entries || n == 0), RW_ERR_USAGE, "no CRL entries or output given");
    RW_ENSURE_MSG(next_update > this_update, RW_ERR_USAGE,
                  "nextUpdate must be later than thisUpdate");
    RW_GUARD(check_ca(ca, ca_key));
    ERR_clear_error();
    X509_CRL *crl = X509_CRL_new();
    RW_ENSURE(crl, RW_ERR_NOMEM);
    struct rw_result r = build(crl, ca, ca_key, crl_number, this_update, next_update, entries, n);
    if (!rw_ok(r)) {
        X509_CRL_free(crl);
        return r;
    }
    *out = crl;
    return RW_SUCCESS;
}
