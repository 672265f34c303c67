/* security/sec_cert.c — building and signing X.509 v3 certificates.
 *
 * Ownership: callers keep every key and certificate they pass in; each
 * rw_sec_cert_make_* returns a new X509 the caller frees (X509_free), and
 * on failure returns nothing and leaks nothing. Extension profiles live in
 * security/sec_cert_ext.c.
 */
#include "security/sec_cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "security/sec_cert_ext.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

#define NAME_MAX_BYTES 64
#define SERIAL_MAX 20

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

struct rw_result rw_sec_serial_random(uint8_t out[RW_SERIAL_LEN])
{
    /* A non-zero first octet keeps the DER INTEGER exactly 16 octets. */
    for (int attempt = 0; attempt < 64; attempt++) {
        if (RAND_bytes(out, RW_SERIAL_LEN) != 1) {
            return ossl_fail(RW_ERR_CRYPTO, "RAND_bytes failed");
        }
        out[0] &= 0x7f;
        if (out[0] != 0) {
            return RW_SUCCESS;
        }
    }
    RW_BAIL_MSG(RW_ERR_CRYPTO, "the random generator keeps returning zero octets");
}

struct rw_result rw_sec_serial_to_asn1(const uint8_t *serial, size_t len, ASN1_INTEGER **out)
{
    RW_ENSURE_MSG(serial && len > 0, RW_ERR_USAGE, "no serial number given");
    while (len > 0 && serial[0] == 0) {
        serial++;
        len--;
    }
    RW_ENSURE_MSG(len > 0, RW_ERR_USAGE, "the serial number is zero");
    RW_ENSURE_MSG(len < SERIAL_MAX || (len == SERIAL_MAX && !(serial[0] & 0x80)), RW_ERR_USAGE,
                  "the serial number does not fit in %d octets", SERIAL_MAX);
    BIGNUM *bn = BN_bin2bn(serial, (int)len, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (!ai) {
        return ossl_fail(RW_ERR_NOMEM, "cannot encode the serial number");
    }
    *out = ai;
    return RW_SUCCESS;
}

struct rw_result rw_sec_principal_check(const char *p)
{
    static const char forbidden[] = "/,+=\"\\<>;";
    RW_ENSURE_MSG(p && p[0], RW_ERR_USAGE, "the principal name is empty");
    size_t n = strlen(p);
    RW_ENSURE_MSG(n <= NAME_MAX_BYTES, RW_ERR_USAGE, "the principal name is longer than %d bytes",
                  NAME_MAX_BYTES);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        RW_ENSURE_MSG(c >= 0x20 && c < 0x7f, RW_ERR_USAGE,
                      "the principal name may hold only printable ASCII (byte %zu is 0x%02x)", i, c);
        RW_ENSURE_MSG(!strchr(forbidden, c), RW_ERR_USAGE,
                      "the principal name may not contain '%c' (nor any of %s)", c, forbidden);
    }
    RW_ENSURE_MSG(p[0] != ' ' && p[n - 1] != ' ', RW_ERR_USAGE,
                  "the principal name may not start or end with a space");
    return RW_SUCCESS;
}

/* CA names: 1..64 bytes, no control characters (UTF-8 checked by OpenSSL). */
static struct rw_result check_text(const char *what, const char *s)
{
    RW_ENSURE_MSG(s && s[0], RW_ERR_USAGE, "the %s is empty", what);
    size_t n = strlen(s);
    RW_ENSURE_MSG(n <= NAME_MAX_BYTES, RW_ERR_USAGE, "the %s is longer than %d bytes", what,
                  NAME_MAX_BYTES);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        RW_ENSURE_MSG(c >= 0x20 && c != 0x7f, RW_ERR_USAGE, "the %s holds a control character", what);
    }
    return RW_SUCCESS;
}

static struct rw_result set_subject(X509 *x, const char *cn, const char *org)
{
    X509_NAME *name = X509_NAME_new();
    RW_ENSURE(name, RW_ERR_NOMEM);
    int ok = 1;
    if (org) {
        ok = X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                        (const unsigned char *)org, -1, -1, 0);
    }
    ok = ok && X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                          (const unsigned char *)cn, -1, -1, 0);
    ok = ok && X509_set_subject_name(x, name);
    X509_NAME_free(name);
    if (!ok) {
        return ossl_fail(RW_ERR_USAGE, "cannot encode the subject name");
    }
    return RW_SUCCESS;
}

struct base_spec {
    const char *cn;
    const char *org;
    int64_t not_before;
    int64_t not_after;
    const uint8_t *serial;
    size_t serial_len;
};

/* A v3 certificate with serial, subject, validity and public key. */
static struct rw_result new_cert(EVP_PKEY *subject_key, const struct base_spec *b, X509 **out)
{
    RW_ENSURE_MSG(b->not_after > b->not_before, RW_ERR_USAGE,
                  "notAfter must be later than notBefore");
    ASN1_INTEGER *sn = NULL;
    RW_GUARD(rw_sec_serial_to_asn1(b->serial, b->serial_len, &sn));
    X509 *x = X509_new();
    struct rw_result r = RW_SUCCESS;
    if (!x || !X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, sn)) {
        r = ossl_fail(RW_ERR_NOMEM, "cannot start a certificate");
        goto out;
    }
    RW_TRY(r, set_subject(x, b->cn, b->org), out);
    if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)b->not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)b->not_after)) {
        r = ossl_fail(RW_ERR_USAGE, "cannot encode the validity period");
        goto out;
    }
    if (!X509_set_pubkey(x, subject_key)) {
        r = ossl_fail(RW_ERR_CRYPTO, "cannot set the subject public key");
        goto out;
    }
out:
    ASN1_INTEGER_free(sn);
    if (rw_ok(r)) {
        *out = x;
    } else {
        X509_free(x);
    }
    return r;
}

/* A key we can certify (subject) or sign with (issuer): RW_ERR_USAGE. */
static struct rw_result check_key(EVP_PKEY *key, const char *what, enum rw_key_alg *alg)
{
    RW_ENSURE_MSG(key, RW_ERR_USAGE, "no %s key given", what);
    struct rw_result r = rw_sec_key_classify(key, alg);
    if (!rw_ok(r)) {
        rw_err_detail_append(" (%s key)", what);
        RW_BAIL(RW_ERR_USAGE);
    }
    return RW_SUCCESS;
}

/* The issuer must be a CA allowed to sign certificates, holding `key`, and
 * (for sub-CAs) not limited to pathlen 0. */
static struct rw_result check_issuer(X509 *issuer, EVP_PKEY *key, bool for_ca)
{
    RW_ENSURE_MSG(issuer, RW_ERR_USAGE, "no issuer certificate given");
    RW_GUARD(check_key(key, "issuer", NULL));
    uint32_t flags = X509_get_extension_flags(issuer);
    RW_ENSURE_MSG((flags & EXFLAG_CA) && !(flags & EXFLAG_INVALID), RW_ERR_USAGE,
                  "the issuer certificate is not a CA");
    RW_ENSURE_MSG(!(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN),
                  RW_ERR_USAGE, "the issuer certificate may not sign certificates (keyUsage)");
    RW_ENSURE_MSG(!for_ca || X509_get_pathlen(issuer) != 0, RW_ERR_USAGE,
                  "the parent CA has pathlen 0 and may not issue sub-CAs");
    if (X509_check_private_key(issuer, key) != 1) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_USAGE, "the issuer key does not match the issuer certificate");
    }
    return RW_SUCCESS;
}

static struct rw_result sign_cert(X509 *x, EVP_PKEY *key)
{
    const EVP_MD *md = NULL;
    RW_GUARD(rw_sec_key_sign_md(key, &md));
    if (X509_sign(x, key, md) <= 0) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot sign the certificate");
    }
    return RW_SUCCESS;
}

/* Shared tail of every make_*: issuer name, profile, signature. */
static struct rw_result finish(X509 *x, X509 *issuer, EVP_PKEY *issuer_key, bool ca, int path_len,
                               const struct rw_sec_leaf_spec *leaf, bool rsa)
{
    if (!X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x))) {
        return ossl_fail(RW_ERR_NOMEM, "cannot set the issuer name");
    }
    if (ca) {
        RW_GUARD(rw_sec_cert_ext_ca(x, issuer ? issuer : x, path_len));
    } else {
        RW_GUARD(rw_sec_cert_ext_leaf(x, issuer, leaf, rsa));
    }
    return sign_cert(x, issuer_key);
}

static struct rw_result make_ca(EVP_PKEY *key, X509 *parent, EVP_PKEY *parent_key,
                                const struct rw_sec_ca_spec *spec, X509 **out)
{
    RW_ENSURE_MSG(spec && out, RW_ERR_USAGE, "no CA spec given");
    RW_GUARD(check_key(key, "CA", NULL));
    if (parent) {
        RW_GUARD(check_issuer(parent, parent_key, true));
    }
    RW_GUARD(check_text("CA common name", spec->cn));
    if (spec->org) {
        RW_GUARD(check_text("organization", spec->org));
    }
    RW_ENSURE_MSG(spec->path_len >= -1, RW_ERR_USAGE, "path length %d is invalid", spec->path_len);
    ERR_clear_error();
    struct base_spec b = {spec->cn, spec->org, spec->not_before, spec->not_after, spec->serial,
                          spec->serial_len};
    X509 *x = NULL;
    RW_GUARD(new_cert(key, &b, &x));
    struct rw_result r = finish(x, parent, parent ? parent_key : key, true, spec->path_len, NULL, false);
    if (!rw_ok(r)) {
        X509_free(x);
        return r;
    }
    *out = x;
    return RW_SUCCESS;
}

struct rw_result rw_sec_cert_make_root(EVP_PKEY *key, const struct rw_sec_ca_spec *spec, X509 **out)
{
    return make_ca(key, NULL, NULL, spec, out);
}

struct rw_result rw_sec_cert_make_intermediate(EVP_PKEY *subject_key, X509 *parent, EVP_PKEY *parent_key,
                                               const struct rw_sec_ca_spec *spec, X509 **out)
{
    RW_ENSURE_MSG(parent, RW_ERR_USAGE, "no parent CA certificate given");
    return make_ca(subject_key, parent, parent_key, spec, out);
}

struct rw_result rw_sec_cert_make_leaf(EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
                                       const struct rw_sec_leaf_spec *spec, X509 **out)
{
    RW_ENSURE_MSG(spec && out, RW_ERR_USAGE, "no certificate spec given");
    RW_GUARD(rw_sec_principal_check(spec->principal));
    RW_ENSURE_MSG(spec->role >= RW_ROLE_BROKER && spec->role <= RW_ROLE_ADMIN, RW_ERR_USAGE,
                  "unknown role %d", (int)spec->role);
    enum rw_key_alg alg;
    RW_GUARD(check_key(subject_key, "subject", &alg));
    RW_GUARD(check_issuer(issuer, issuer_key, false));
    ERR_clear_error();
    struct base_spec b = {spec->principal, NULL, spec->not_before, spec->not_after, spec->serial,
                          spec->serial_len};
    X509 *x = NULL;
    RW_GUARD(new_cert(subject_key, &b, &x));
    struct rw_result r = finish(x, issuer, issuer_key, false, -1, spec, alg == RW_KEY_RSA3072);
    if (!rw_ok(r)) {
        X509_free(x);
        return r;
    }
    *out = x;
    return RW_SUCCESS;
}

struct rw_result rw_sec_cert_append_pem(X509 *cert, char **pem, size_t *len)
{
    RW_ENSURE_MSG(cert && pem && len, RW_ERR_USAGE, "no certificate given");
    size_t have = *pem ? *len : 0;
    BIO *bio = BIO_new(BIO_s_mem());
    RW_ENSURE(bio, RW_ERR_NOMEM);
    struct rw_result r = RW_SUCCESS;
    BUF_MEM *bm = NULL;
    if (PEM_write_bio_X509(bio, cert) != 1) {
        r = ossl_fail(RW_ERR_CRYPTO, "cannot encode the certificate as PEM");
        goto out;
    }
    BIO_get_mem_ptr(bio, &bm);
    char *grown = realloc(*pem, have + bm->length + 1);
    if (!grown) {
        r = RW_ERR(RW_ERR_NOMEM);
        goto out;
    }
    memcpy(grown + have, bm->data, bm->length);
    grown[have + bm->length] = '\0';
    *pem = grown;
    *len = have + bm->length;
out:
    BIO_free(bio);
    return r;
}
