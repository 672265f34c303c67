/* security/sec_ident.c — identity out of a certificate (see
 * security/sec_ident.h). Certificates are borrowed; every string is copied
 * into the caller's buffer, and all OpenSSL temporaries are freed here.
 */
#include "security/sec_ident.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define ROLE_PREFIX "ringward:role:"
#define PRINCIPAL_PREFIX "ringward:principal:"

/* True when the bytes hold no NUL, no C0 control and no DEL. */
static bool text_clean(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Copies n bytes and a NUL; PROTO_MALFORMED when they do not fit or are
 * empty or unclean. `what` names the field in the detail. */
static struct rw_result copy_text(const unsigned char *p, size_t n, char *out, size_t cap,
                                  const char *what)
{
    RW_ENSURE_MSG(n > 0, RW_ERR_PROTO_MALFORMED, "%s is empty", what);
    RW_ENSURE_MSG(text_clean(p, n), RW_ERR_PROTO_MALFORMED,
                  "%s holds a NUL or control character", what);
    RW_ENSURE_MSG(n < cap, RW_ERR_PROTO_MALFORMED, "%s is longer than %zu bytes", what,
                  cap ? cap - 1 : 0);
    memcpy(out, p, n);
    out[n] = '\0';
    return RW_SUCCESS;
}

struct rw_result rw_sec_cert_cn(X509 *cert, char *out, size_t cap)
{
    RW_ENSURE(cert && out && cap > 0, RW_ERR_USAGE);
    const X509_NAME *name = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    RW_ENSURE_MSG(idx >= 0, RW_ERR_NOT_FOUND, "the certificate subject has no CN");
    RW_ENSURE_MSG(X509_NAME_get_index_by_NID(name, NID_commonName, idx) < 0,
                  RW_ERR_PROTO_MALFORMED, "the certificate subject has more than one CN");
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n < 0) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "the certificate CN is not a valid string");
    }
    struct rw_result r = copy_text(utf8, (size_t)n, out, cap, "the certificate CN");
    OPENSSL_free(utf8);
    return r;
}

/* Calls `fn` on every SAN entry of `type` until it returns true; the SAN
 * extension is decoded (and freed) here. */
typedef bool (*san_fn)(const ASN1_IA5STRING *s, void *arg);

static void san_each(X509 *cert, int type, san_fn fn, void *arg)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!gens) {
        ERR_clear_error();
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
        int t = -1;
        const ASN1_IA5STRING *s = GENERAL_NAME_get0_value(gn, &t);
        if (t == type && s && fn(s, arg)) {
            break;
        }
    }
    GENERAL_NAMES_free(gens);
}

static bool has_prefix(const ASN1_IA5STRING *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)ASN1_STRING_length(s) >= n && memcmp(ASN1_STRING_get0_data(s), prefix, n) == 0;
}

struct role_scan {
    enum rw_role role;
    int seen;
};

/* The role URIs; two that disagree leave the role NONE. */
static bool role_cb(const ASN1_IA5STRING *s, void *arg)
{
    struct role_scan *rs = arg;
    if (!has_prefix(s, ROLE_PREFIX)) {
        return false;
    }
    char name[32];
    enum rw_role role = RW_ROLE_NONE;
    size_t skip = strlen(ROLE_PREFIX);
    const unsigned char *p = ASN1_STRING_get0_data(s) + skip;
    size_t n = (size_t)ASN1_STRING_length(s) - skip;
    if (!rw_ok(copy_text(p, n, name, sizeof(name), "role")) || !rw_sec_role_parse(name, &role)) {
        role = RW_ROLE_NONE;
    }
    if (rs->seen++ > 0 && rs->role != role) {
        rs->role = RW_ROLE_NONE;
        return true;
    }
    rs->role = role;
    return false;
}

enum rw_role rw_sec_cert_role(X509 *cert)
{
    struct role_scan rs = {RW_ROLE_NONE, 0};
    if (cert) {
        san_each(cert, GEN_URI, role_cb, &rs);
    }
    return rs.role;
}

struct first_scan {
    char *out;
    size_t cap;
    bool uri;
    bool found;
    struct rw_result r;
};

static bool first_cb(const ASN1_IA5STRING *s, void *arg)
{
    struct first_scan *fs = arg;
    const unsigned char *p = ASN1_STRING_get0_data(s);
    size_t n = (size_t)ASN1_STRING_length(s);
    if (fs->uri && has_prefix(s, ROLE_PREFIX)) {
        return false;
    }
    if (fs->uri && has_prefix(s, PRINCIPAL_PREFIX)) {
        p += strlen(PRINCIPAL_PREFIX);
        n -= strlen(PRINCIPAL_PREFIX);
    }
    fs->found = true;
    fs->r = copy_text(p, n, fs->out, fs->cap, fs->uri ? "the SAN URI" : "the SAN DNS name");
    return true;
}

static struct rw_result san_first(X509 *cert, int type, char *out, size_t cap)
{
    RW_ENSURE(cert && out && cap > 0, RW_ERR_USAGE);
    struct first_scan fs = {out, cap, type == GEN_URI, false, RW_SUCCESS};
    san_each(cert, type, first_cb, &fs);
    RW_ENSURE_MSG(fs.found, RW_ERR_NOT_FOUND, "the certificate has no SAN %s",
                  type == GEN_URI ? "URI" : "DNS name");
    return fs.r;
}

struct rw_result rw_sec_cert_san_uri(X509 *cert, char *out, size_t cap)
{
    return san_first(cert, GEN_URI, out, cap);
}

struct rw_result rw_sec_cert_san_dns(X509 *cert, char *out, size_t cap)
{
    return san_first(cert, GEN_DNS, out, cap);
}
