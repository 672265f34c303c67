/* security/sec_cert_ext.c — the X.509 v3 extension profiles for CA and leaf
 * certificates (see security/sec_cert_ext.h).
 *
 * Ownership: the functions add extensions to the caller's X509 and keep no
 * reference; every temporary OpenSSL object is freed on every path.
 * Fixed extensions are built from constant config strings; the SAN is built
 * structurally so no user text is ever parsed as extension config.
 */
#include "security/sec_cert_ext.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "security/sec_ossl.h"

#define MAX_SAN_NAMES 100
#define DNS_MAX 253
#define LABEL_MAX 63

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

/* One extension from a constant config value, e.g. "critical,CA:TRUE". */
static struct rw_result add_conf(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    memset(&ctx, 0, sizeof(ctx));
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot build a certificate extension");
    }
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1) {
        return ossl_fail(RW_ERR_CRYPTO, "cannot add a certificate extension");
    }
    return RW_SUCCESS;
}

/* SKI (hash of the subject public key) and, for a non-self-issued
 * certificate, AKI with the issuer's SKI. */
static struct rw_result add_key_ids(X509 *cert, X509 *issuer)
{
    RW_GUARD(add_conf(cert, cert, NID_subject_key_identifier, "hash"));
    if (issuer == cert) {
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(X509_get0_subject_key_id(issuer) != NULL, RW_ERR_USAGE,
                  "the issuer certificate has no subjectKeyIdentifier");
    return add_conf(cert, issuer, NID_authority_key_identifier, "keyid:always");
}

struct rw_result rw_sec_cert_ext_ca(X509 *cert, X509 *issuer, int path_len)
{
    char bc[48];
    RW_ENSURE_MSG(path_len >= -1, RW_ERR_USAGE, "path length %d is invalid (-1 for none)", path_len);
    if (path_len >= 0) {
        snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", path_len);
    } else {
        snprintf(bc, sizeof(bc), "critical,CA:TRUE");
    }
    RW_GUARD(add_conf(cert, issuer, NID_basic_constraints, bc));
    RW_GUARD(add_conf(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign"));
    return add_key_ids(cert, issuer);
}

/* A DNS name: dot-separated LDH labels of 1..63 bytes, not starting or
 * ending with '-', at most 253 bytes; the first label may be "*". */
static bool dns_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > DNS_MAX) {
        return false;
    }
    const char *p = name;
    if (strncmp(p, "*.", 2) == 0) {
        p += 2;
    }
    for (;;) {
        size_t n = 0;
        while (p[n] && p[n] != '.') {
            unsigned char c = (unsigned char)p[n];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
            if (!ok) {
                return false;
            }
            n++;
        }
        if (n == 0 || n > LABEL_MAX || p[0] == '-' || p[n - 1] == '-') {
            return false;
        }
        if (p[n] == '\0') {
            return true;
        }
        p += n + 1;
    }
}

/* Appends an IA5String name (URI or DNS). */
static struct rw_result push_ia5(GENERAL_NAMES *gens, int type, const char *text)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    if (!gn || !s || !ASN1_STRING_set(s, text, (int)strlen(text))) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(s);
        RW_BAIL(RW_ERR_NOMEM);
    }
    GENERAL_NAME_set0_value(gn, type, s);
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        RW_BAIL(RW_ERR_NOMEM);
    }
    return RW_SUCCESS;
}

/* Appends an iPAddress name from strict textual IPv4 / IPv6. */
static struct rw_result push_ip(GENERAL_NAMES *gens, const char *text)
{
    unsigned char addr[16];
    int n = 0;
    if (inet_pton(AF_INET, text, addr) == 1) {
        n = 4;
    } else if (inet_pton(AF_INET6, text, addr) == 1) {
        n = 16;
    }
    RW_ENSURE_MSG(n > 0, RW_ERR_USAGE, "'%s' is not an IPv4 or IPv6 address", text);
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();
    if (!gn || !o || !ASN1_OCTET_STRING_set(o, addr, n)) {
        GENERAL_NAME_free(gn);
        ASN1_OCTET_STRING_free(o);
        RW_BAIL(RW_ERR_NOMEM);
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, o);
    if (!sk_GENERAL_NAME_push(gens, gn)) {
        GENERAL_NAME_free(gn);
        RW_BAIL(RW_ERR_NOMEM);
    }
    return RW_SUCCESS;
}

static struct rw_result fill_san(GENERAL_NAMES *gens, const struct rw_sec_leaf_spec *spec)
{
    char uri[128];
    snprintf(uri, sizeof(uri), "ringward:principal:%s", spec->principal);
    RW_GUARD(push_ia5(gens, GEN_URI, uri));
    snprintf(uri, sizeof(uri), "ringward:role:%s", rw_sec_role_name(spec->role));
    RW_GUARD(push_ia5(gens, GEN_URI, uri));
    for (size_t i = 0; i < spec->n_dns; i++) {
        const char *d = spec->dns[i];
        RW_ENSURE_MSG(d && dns_valid(d), RW_ERR_USAGE, "'%s' is not a valid DNS name",
                      d ? d : "(null)");
        RW_GUARD(push_ia5(gens, GEN_DNS, d));
    }
    for (size_t i = 0; i < spec->n_ips; i++) {
        RW_ENSURE_MSG(spec->ips[i], RW_ERR_USAGE, "missing IP address");
        RW_GUARD(push_ip(gens, spec->ips[i]));
    }
    return RW_SUCCESS;
}

static struct rw_result add_san(X509 *cert, const struct rw_sec_leaf_spec *spec)
{
    RW_ENSURE_MSG(spec->n_dns <= MAX_SAN_NAMES && spec->n_ips <= MAX_SAN_NAMES, RW_ERR_USAGE,
                  "too many DNS or IP names (at most %d each)", MAX_SAN_NAMES);
    RW_ENSURE_MSG((spec->n_dns == 0 || spec->dns) && (spec->n_ips == 0 || spec->ips), RW_ERR_USAGE,
                  "DNS/IP name counts given without the names");
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    RW_ENSURE(gens, RW_ERR_NOMEM);
    struct rw_result r = fill_san(gens, spec);
    if (rw_ok(r) && X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1) {
        r = ossl_fail(RW_ERR_CRYPTO, "cannot add the subjectAltName extension");
    }
    GENERAL_NAMES_free(gens);
    return r;
}

struct rw_result rw_sec_cert_ext_leaf(X509 *cert, X509 *issuer, const struct rw_sec_leaf_spec *spec,
                                      bool rsa)
{
    RW_GUARD(add_conf(cert, issuer, NID_basic_constraints, "critical,CA:FALSE"));
    RW_GUARD(add_conf(cert, issuer, NID_key_usage,
                      rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
    RW_GUARD(add_conf(cert, issuer, NID_ext_key_usage,
                      spec->role == RW_ROLE_BROKER ? "serverAuth,clientAuth" : "clientAuth"));
    RW_GUARD(add_san(cert, spec));
    return add_key_ids(cert, issuer);
}
