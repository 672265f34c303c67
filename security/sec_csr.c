/* security/sec_csr.c — parsing PKCS#10 requests and reading their names.
 *
 * A CSR is untrusted peer input: its size is bounded before anything is
 * parsed, DER must be exact (no trailing bytes), the key and signature must
 * meet the profile, and the self-signature must verify (proof of
 * possession). Only the subject CN and SAN DNS/IP names are ever read out;
 * no other extension is copied anywhere.
 *
 * Ownership: rw_sec_csr_parse returns a new X509_REQ (X509_REQ_free);
 * rw_sec_csr_names fills caller storage released by
 * rw_sec_csr_names_cleanup (safe on a zeroed or already-cleaned struct).
 */
#include "security/sec_csr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "security/sec_key.h"
#include "security/sec_ossl.h"

#define CN_MAX 64
#define DNS_MAX 253

static struct rw_result ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_clear();
    return rw_sec_ossl_fail(e, what);
}

static struct rw_result from_der(const uint8_t *der, size_t len, X509_REQ **out)
{
    const unsigned char *p = der;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    if (!req) {
        return ossl_fail(RW_ERR_PROTO_MALFORMED, "not a DER certificate request");
    }
    if (p != der + len) {
        X509_REQ_free(req);
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "%zu trailing bytes after the DER certificate request",
                    (size_t)(der + len - p));
    }
    *out = req;
    return RW_SUCCESS;
}

/* Only whitespace may follow the END line. */
static bool rest_is_blank(BIO *bio)
{
    char buf[256];
    int n;
    while ((n = BIO_read(bio, buf, sizeof(buf))) > 0) {
        for (int i = 0; i < n; i++) {
            if (!isspace((unsigned char)buf[i])) {
                return false;
            }
        }
    }
    return true;
}

static struct rw_result from_pem(const uint8_t *data, size_t len, X509_REQ **out)
{
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    RW_ENSURE(bio, RW_ERR_NOMEM);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    struct rw_result r = RW_SUCCESS;
    if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1) {
        r = ossl_fail(RW_ERR_PROTO_MALFORMED, "not a PEM certificate request (or truncated)");
    } else if (strcmp(name, PEM_STRING_X509_REQ) != 0 && strcmp(name, PEM_STRING_X509_REQ_OLD) != 0) {
        rw_err_detail_set("PEM block is '%s', not a CERTIFICATE REQUEST", name);
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    } else if (header && header[0]) {
        rw_err_detail_set("PEM certificate request with headers is not accepted");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    } else if (!rest_is_blank(bio)) {
        rw_err_detail_set("trailing data after the PEM certificate request");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    } else {
        r = from_der(der, (size_t)der_len, out);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    return r;
}

/* Strong digests only: SHA-256/384/512, or pure Ed25519. */
static struct rw_result check_sigalg(X509_REQ *req)
{
    int sig_nid = X509_REQ_get_signature_nid(req);
    int md_nid = NID_undef, pk_nid = NID_undef;
    if (!OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid)) {
        RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "unknown CSR signature algorithm %s",
                    sig_nid == NID_undef ? "(unrecognised OID)" : OBJ_nid2sn(sig_nid));
    }
    if (md_nid == NID_sha256 || md_nid == NID_sha384 || md_nid == NID_sha512 ||
        (md_nid == NID_undef && pk_nid == NID_ED25519)) {
        return RW_SUCCESS;
    }
    RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "weak or unsupported CSR signature algorithm %s",
                OBJ_nid2ln(sig_nid));
}

static struct rw_result check_req(X509_REQ *req)
{
    RW_ENSURE_MSG(X509_REQ_get_version(req) == X509_REQ_VERSION_1, RW_ERR_PROTO_MALFORMED,
                  "certificate request version is not v1");
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    if (!pub) {
        return ossl_fail(RW_ERR_PROTO_MALFORMED, "the CSR carries no usable public key");
    }
    struct rw_result r = rw_sec_key_classify(pub, NULL);
    if (!rw_ok(r)) {
        rw_err_detail_append(" (CSR public key)");
        return r;
    }
    RW_GUARD(check_sigalg(req));
    ERR_clear_error();
    if (X509_REQ_verify(req, pub) != 1) {
        return ossl_fail(RW_ERR_AUTH_BAD_SIGNATURE,
                         "CSR signature does not verify (no proof of possession)");
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_csr_parse(const uint8_t *data, size_t len, X509_REQ **out)
{
    RW_ENSURE_MSG(out && (data || len == 0), RW_ERR_USAGE, "no CSR given");
    RW_ENSURE_MSG(len <= RW_CSR_MAX_BYTES, RW_ERR_PROTO_TOO_LARGE,
                  "the CSR is %zu bytes, more than the limit of %d", len, RW_CSR_MAX_BYTES);
    RW_ENSURE_MSG(len > 0, RW_ERR_PROTO_MALFORMED, "the CSR is empty");
    ERR_clear_error();
    X509_REQ *req = NULL;
    /* DER starts with a SEQUENCE tag; anything else is treated as PEM. */
    if (data[0] == 0x30) {
        RW_GUARD(from_der(data, len, &req));
    } else {
        RW_GUARD(from_pem(data, len, &req));
    }
    struct rw_result r = check_req(req);
    if (!rw_ok(r)) {
        X509_REQ_free(req);
        return r;
    }
    *out = req;
    return RW_SUCCESS;
}

static struct rw_result read_cn(X509_REQ *req, char out[CN_MAX + 1])
{
    const X509_NAME *subj = X509_REQ_get_subject_name(req);
    int idx = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
    out[0] = '\0';
    if (idx < 0) {
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(X509_NAME_get_index_by_NID(subj, NID_commonName, idx) < 0, RW_ERR_PROTO_MALFORMED,
                  "the CSR subject has more than one CN");
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    unsigned char *utf8 = NULL;
    int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
    if (n < 0) {
        return ossl_fail(RW_ERR_PROTO_MALFORMED, "the CSR subject CN is not a valid string");
    }
    struct rw_result r = RW_SUCCESS;
    if (n > CN_MAX) {
        rw_err_detail_set("the CSR subject CN is longer than %d bytes", CN_MAX);
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    } else if (memchr(utf8, '\0', (size_t)n)) {
        rw_err_detail_set("the CSR subject CN holds a NUL byte");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    } else {
        memcpy(out, utf8, (size_t)n);
        out[n] = '\0';
    }
    OPENSSL_free(utf8);
    return r;
}

static struct rw_result push_name(char ***list, size_t *n, const char *text, size_t len)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(char *));
    RW_ENSURE(grown, RW_ERR_NOMEM);
    *list = grown;
    char *s = malloc(len + 1);
    RW_ENSURE(s, RW_ERR_NOMEM);
    memcpy(s, text, len);
    s[len] = '\0';
    grown[(*n)++] = s;
    return RW_SUCCESS;
}

/* Copies one requested DNS or IP name; other name types are ignored. */
static struct rw_result take_name(const GENERAL_NAME *gn, struct rw_sec_csr_names *out)
{
    int type = 0;
    const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
    if (type == GEN_DNS) {
        int n = ASN1_STRING_length(v);
        const unsigned char *p = ASN1_STRING_get0_data(v);
        RW_ENSURE_MSG(n > 0 && n <= DNS_MAX && !memchr(p, '\0', (size_t)n), RW_ERR_PROTO_MALFORMED,
                      "the CSR requests an invalid DNS name");
        return push_name(&out->dns, &out->n_dns, (const char *)p, (size_t)n);
    }
    if (type == GEN_IPADD) {
        char text[INET6_ADDRSTRLEN];
        int n = ASN1_STRING_length(v);
        const unsigned char *p = ASN1_STRING_get0_data(v);
        RW_ENSURE_MSG(n == 4 || n == 16, RW_ERR_PROTO_MALFORMED,
                      "the CSR requests an IP address of %d octets", n);
        RW_ENSURE(inet_ntop(n == 4 ? AF_INET : AF_INET6, p, text, sizeof(text)), RW_ERR_INTERNAL);
        return push_name(&out->ips, &out->n_ips, text, strlen(text));
    }
    return RW_SUCCESS;
}

static struct rw_result read_san(X509_REQ *req, struct rw_sec_csr_names *out)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    if (!exts) {
        if (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) >= 0) {
            return ossl_fail(RW_ERR_PROTO_MALFORMED, "the CSR's extension request is malformed");
        }
        ERR_clear_error();
        return RW_SUCCESS;
    }
    int crit = -1;
    GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!gens) {
        RW_ENSURE_MSG(crit != -2, RW_ERR_PROTO_MALFORMED, "the CSR requests subjectAltName twice");
        if (crit >= 0) {
            return ossl_fail(RW_ERR_PROTO_MALFORMED, "the CSR's subjectAltName is malformed");
        }
        return RW_SUCCESS;
    }
    struct rw_result r = RW_SUCCESS;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens) && rw_ok(r); i++) {
        r = take_name(sk_GENERAL_NAME_value(gens, i), out);
    }
    GENERAL_NAMES_free(gens);
    return r;
}

struct rw_result rw_sec_csr_names(X509_REQ *req, struct rw_sec_csr_names *out)
{
    RW_ENSURE_MSG(out, RW_ERR_USAGE, "no output for the CSR names");
    memset(out, 0, sizeof(*out));
    RW_ENSURE_MSG(req, RW_ERR_USAGE, "no CSR given");
    ERR_clear_error();
    struct rw_result r = read_cn(req, out->cn);
    if (rw_ok(r)) {
        r = read_san(req, out);
    }
    if (!rw_ok(r)) {
        rw_sec_csr_names_cleanup(out);
    }
    return r;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}

void rw_sec_csr_names_cleanup(struct rw_sec_csr_names *n)
{
    if (!n) {
        return;
    }
    free_list(n->dns, n->n_dns);
    free_list(n->ips, n->n_ips);
    memset(n, 0, sizeof(*n));
}
