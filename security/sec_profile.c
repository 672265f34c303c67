/* security/sec_profile.c — the strict certificate profile, one function per
 * rule (see security/sec_profile.h). Nothing here allocates beyond the
 * duration of a call; certificates are borrowed.
 */
#include "security/sec_profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "security/sec_ossl.h"

#define SERIAL_MAX 20
#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256
#define SUBJECT_MAX 200

void rw_sec_name_str(const X509_NAME *name, char *out, size_t cap)
{
    if (cap == 0) {
        return;
    }
    snprintf(out, cap, "(empty name)");
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) {
        return;
    }
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0) {
            snprintf(out, cap, "%.*s", (int)(n > SUBJECT_MAX ? SUBJECT_MAX : n), data);
        }
    }
    BIO_free(bio);
}

void rw_sec_subject_str(const X509 *cert, char *out, size_t cap)
{
    rw_sec_name_str(X509_get_subject_name(cert), out, cap);
}

void rw_sec_time_str(const ASN1_TIME *t, char *out, size_t cap)
{
    int64_t secs;
    struct tm tm;
    time_t tt;
    if (cap == 0) {
        return;
    }
    snprintf(out, cap, "?");
    if (!rw_ok(rw_sec_time_to_unix(t, &secs))) {
        return;
    }
    tt = (time_t)secs;
    if (gmtime_r(&tt, &tm)) {
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
}

/* Fails with `e` and "profile: <rule> (certificate at depth N, <subject>)". */
__attribute__((format(printf, 4, 5))) static struct rw_result violation(enum rw_err e, X509 *cert,
                                                                       int depth, const char *fmt,
                                                                       ...)
{
    char rule[256], subject[SUBJECT_MAX + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof(rule), fmt, ap);
    va_end(ap);
    rw_sec_subject_str(cert, subject, sizeof(subject));
    rw_err_detail_set("profile: %s (certificate at depth %d, %s)", rule, depth, subject);
    return RW_ERR(e);
}

struct rw_result rw_sec_profile_version(X509 *cert, int depth)
{
    long v = X509_get_version(cert);
    if (v != X509_VERSION_3) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "X.509 version %ld, only v3 is accepted",
                         v + 1);
    }
    return RW_SUCCESS;
}

/* Looks at the raw INTEGER: its sign, and its magnitude's octets. */
struct rw_result rw_sec_profile_serial(X509 *cert, int depth)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    if (!sn) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "serial number missing");
    }
    if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "serial number is negative");
    }
    const unsigned char *p = ASN1_STRING_get0_data(sn);
    int n = ASN1_STRING_length(sn);
    while (n > 0 && p[0] == 0) {
        p++;
        n--;
    }
    if (n == 0) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "serial number is zero");
    }
    if (n > SERIAL_MAX) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth,
                         "serial number of %d octets, longer than %d", n, SERIAL_MAX);
    }
    return RW_SUCCESS;
}

/* Names of the digests we refuse; NULL for an acceptable one. */
static const char *weak_digest(int md_nid)
{
    switch (md_nid) {
    case NID_md2: return "MD2";
    case NID_md4: return "MD4";
    case NID_md5: return "MD5";
    case NID_md5_sha1: return "MD5-SHA1";
    case NID_sha1: return "SHA-1";
    case NID_mdc2: return "MDC2";
    case NID_ripemd160: return "RIPEMD-160";
    default: return NULL;
    }
}

struct rw_result rw_sec_profile_signature(X509 *cert, int depth)
{
    int md_nid = NID_undef, pk_nid = NID_undef, secbits = 0;
    uint32_t flags = 0;
    if (X509_get_signature_info(cert, &md_nid, &pk_nid, &secbits, &flags) != 1) {
        ERR_clear_error();
        int sig_nid = X509_get_signature_nid(cert);
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "unknown signature algorithm %s",
                         sig_nid == NID_undef ? "?" : OBJ_nid2ln(sig_nid));
    }
    const char *weak = weak_digest(md_nid);
    if (weak) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth,
                         "signature algorithm uses %s, which is too weak", weak);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_profile_key(X509 *cert, int depth)
{
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    if (!pk) {
        ERR_clear_error();
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "public key unreadable");
    }
    int bits = EVP_PKEY_get_bits(pk);
    if (EVP_PKEY_is_a(pk, "DSA")) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth, "DSA keys are not accepted");
    }
    if ((EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) && bits < RSA_MIN_BITS) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth,
                         "RSA key of %d bits, at least %d required", bits, RSA_MIN_BITS);
    }
    if (EVP_PKEY_is_a(pk, "EC") && bits < EC_MIN_BITS) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth,
                         "EC key of %d bits, at least %d required", bits, EC_MIN_BITS);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_profile_leaf_not_ca(X509 *cert, int depth)
{
    uint32_t flags = X509_get_extension_flags(cert);
    if (X509_check_ca(cert) != 0 || ((flags & EXFLAG_BCONS) && (flags & EXFLAG_CA))) {
        return violation(RW_ERR_AUTH_PROFILE, cert, depth,
                         "the end-entity certificate is a CA certificate");
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_profile_leaf_eku(X509 *cert, int depth, bool client)
{
    uint32_t flags = X509_get_extension_flags(cert);
    uint32_t want = client ? XKU_SSL_CLIENT : XKU_SSL_SERVER;
    const char *name = client ? "clientAuth" : "serverAuth";
    if (!(flags & EXFLAG_XKUSAGE)) {
        return violation(RW_ERR_AUTH_WRONG_USAGE, cert, depth,
                         "extended key usage missing, it must name %s", name);
    }
    if (!(X509_get_extended_key_usage(cert) & want)) {
        return violation(RW_ERR_AUTH_WRONG_USAGE, cert, depth,
                         "extended key usage does not name %s", name);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_profile_check_chain(STACK_OF(X509) *chain, bool client)
{
    int n = sk_X509_num(chain);
    RW_ENSURE_MSG(n > 0, RW_ERR_AUTH_INVALID, "empty certificate chain");
    for (int depth = 0; depth < n; depth++) {
        X509 *cert = sk_X509_value(chain, depth);
        RW_GUARD(rw_sec_profile_version(cert, depth));
        RW_GUARD(rw_sec_profile_serial(cert, depth));
        RW_GUARD(rw_sec_profile_signature(cert, depth));
        RW_GUARD(rw_sec_profile_key(cert, depth));
    }
    X509 *leaf = sk_X509_value(chain, 0);
    RW_GUARD(rw_sec_profile_leaf_not_ca(leaf, 0));
    return rw_sec_profile_leaf_eku(leaf, 0, client);
}
