/* tests/testlib/tl_pki.c — the test PKI builder (see tl_pki.h). Raw
 * OpenSSL only; every failure aborts with the OpenSSL error queue printed.
 */
#include "tests/testlib/tl_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static void die(const char *what)
{
    fprintf(stderr, "tl_pki: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    abort();
}

#define CHECK(cond, what) do { if (!(cond)) die(what); } while (0)

static EVP_PKEY *dsa_key(int bits)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY *params = NULL, *key = NULL;
    CHECK(pctx && EVP_PKEY_paramgen_init(pctx) == 1, "DSA paramgen init");
    CHECK(EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, bits) == 1, "DSA bits");
    CHECK(EVP_PKEY_paramgen(pctx, &params) == 1, "DSA paramgen");
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
    CHECK(kctx && EVP_PKEY_keygen_init(kctx) == 1, "DSA keygen init");
    CHECK(EVP_PKEY_keygen(kctx, &key) == 1, "DSA keygen");
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(params);
    return key;
}

EVP_PKEY *tl_key(const char *alg)
{
    EVP_PKEY *k = NULL;
    if (!alg || strcmp(alg, "p256") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
    } else if (strcmp(alg, "p384") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
    } else if (strcmp(alg, "rsa1024") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    } else if (strcmp(alg, "rsa2048") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    } else if (strcmp(alg, "ed25519") == 0) {
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else if (strcmp(alg, "dsa") == 0) {
        k = dsa_key(1024);
    }
    CHECK(k, "key generation");
    return k;
}

struct tl_cert_opts tl_leaf_opts(const char *cn)
{
    return (struct tl_cert_opts){.cn = cn, .pathlen = -1, .eku = "clientAuth"};
}

struct tl_cert_opts tl_ca_opts(const char *cn)
{
    return (struct tl_cert_opts){.cn = cn, .ca = true, .pathlen = -1};
}

static void set_serial(X509 *x, const struct tl_cert_opts *o)
{
    unsigned char rnd[16];
    const unsigned char *p = o->serial;
    int n = o->serial_len;
    if (!p) {
        CHECK(RAND_bytes(rnd, sizeof(rnd)) == 1, "RAND_bytes");
        rnd[0] = (unsigned char)((rnd[0] & 0x7f) | 0x01);
        p = rnd;
        n = (int)sizeof(rnd);
    }
    BIGNUM *bn = BN_bin2bn(p, n, NULL);
    CHECK(bn, "BN_bin2bn");
    BN_set_negative(bn, o->negative_serial ? 1 : 0);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    CHECK(ai && X509_set_serialNumber(x, ai) == 1, "serial");
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    CHECK(ext && X509_add_ext(x, ext, -1) == 1, value);
    X509_EXTENSION_free(ext);
}

/* AKI keyid = SHA-1 of the issuer's public key (what SKI "hash" gives),
 * computed here so that issuers without an SKI (v1) work too. */
static void add_akid(X509 *x, X509 *issuer)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
    CHECK(akid && X509_pubkey_digest(issuer, EVP_sha1(), md, &len) == 1, "AKI digest");
    akid->keyid = ASN1_OCTET_STRING_new();
    CHECK(akid->keyid && ASN1_OCTET_STRING_set(akid->keyid, md, (int)len) == 1, "AKI keyid");
    CHECK(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0) == 1, "AKI");
    AUTHORITY_KEYID_free(akid);
}

static void add_exts(X509 *x, X509 *issuer, const struct tl_cert_opts *o)
{
    char bc[64];
    if (o->ca && o->pathlen >= 0) {
        snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", o->pathlen);
    } else {
        snprintf(bc, sizeof(bc), o->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    }
    add_ext(x, issuer, NID_basic_constraints, bc);
    add_ext(x, issuer, NID_key_usage,
            o->ca ? "critical,digitalSignature,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (o->eku) {
        add_ext(x, issuer, NID_ext_key_usage, o->eku);
    }
    if (o->san) {
        add_ext(x, issuer, NID_subject_alt_name, o->san);
    }
    add_ext(x, x, NID_subject_key_identifier, "hash");
    if (issuer != x) {
        add_akid(x, issuer);
    }
}

static const EVP_MD *pick_md(const EVP_PKEY *signer, const char *md)
{
    if (EVP_PKEY_is_a(signer, "ED25519")) {
        return NULL;
    }
    const EVP_MD *m = EVP_get_digestbyname(md ? md : "sha256");
    CHECK(m, "digest lookup");
    return m;
}

X509 *tl_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const struct tl_cert_opts *o)
{
    X509 *x = X509_new();
    CHECK(x, "X509_new");
    CHECK(X509_set_version(x, o->version == 1 ? X509_VERSION_1 : X509_VERSION_3) == 1, "version");
    set_serial(x, o);
    X509_NAME *name = X509_get_subject_name(x);
    if (o->cn) {
        CHECK(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                         (const unsigned char *)o->cn, -1, -1, 0) == 1, "CN");
    }
    CHECK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1, "issuer");
    CHECK(X509_gmtime_adj(X509_getm_notBefore(x),
                          o->not_before_offset ? o->not_before_offset : -3600), "notBefore");
    CHECK(X509_gmtime_adj(X509_getm_notAfter(x),
                          o->not_after_offset ? o->not_after_offset : 30L * 86400), "notAfter");
    CHECK(X509_set_pubkey(x, key) == 1, "pubkey");
    if (o->version != 1) {
        add_exts(x, issuer ? issuer : x, o);
    }
    EVP_PKEY *signer = issuer ? issuer_key : key;
    CHECK(X509_sign(x, signer, pick_md(signer, o->md)) > 0, "X509_sign");
    return x;
}

X509 *tl_corrupt_signature(X509 *cert)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    CHECK(n > 0, "i2d_X509");
    der[n - 1] ^= 0x01;
    const unsigned char *p = der;
    X509 *bad = d2i_X509(NULL, &p, n);
    CHECK(bad, "d2i_X509");
    OPENSSL_free(der);
    return bad;
}

static void add_revoked(X509_CRL *crl, X509 *cert)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *when = X509_gmtime_adj(NULL, -60);
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    CHECK(rev && when && reason, "revoked entry");
    CHECK(X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(cert)) == 1, "serial");
    CHECK(X509_REVOKED_set_revocationDate(rev, when) == 1, "revocationDate");
    CHECK(ASN1_ENUMERATED_set(reason, 1) == 1, "reason");
    CHECK(X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) == 1, "reason ext");
    CHECK(X509_CRL_add0_revoked(crl, rev) == 1, "add revoked");
    ASN1_ENUMERATED_free(reason);
    ASN1_TIME_free(when);
}

X509_CRL *tl_crl(X509 *ca, EVP_PKEY *ca_key, X509 **revoked, int n, long next_update_offset)
{
    X509_CRL *crl = X509_CRL_new();
    CHECK(crl && X509_CRL_set_version(crl, 1) == 1, "CRL version");
    CHECK(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) == 1, "CRL issuer");
    ASN1_TIME *last = X509_gmtime_adj(NULL, -60);
    ASN1_TIME *next = X509_gmtime_adj(NULL, next_update_offset ? next_update_offset : 7L * 86400);
    CHECK(last && next, "CRL times");
    CHECK(X509_CRL_set1_lastUpdate(crl, last) == 1 && X509_CRL_set1_nextUpdate(crl, next) == 1,
          "CRL set times");
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    for (int i = 0; i < n; i++) {
        add_revoked(crl, revoked[i]);
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                              "keyid:always");
    CHECK(ext && X509_CRL_add_ext(crl, ext, -1) == 1, "CRL AKI");
    X509_EXTENSION_free(ext);
    CHECK(X509_CRL_sort(crl) == 1, "CRL sort");
    CHECK(X509_CRL_sign(crl, ca_key, pick_md(ca_key, NULL)) > 0, "CRL sign");
    return crl;
}

static bool pem_out(const char *path, const char *mode, X509 *cert)
{
    FILE *f = fopen(path, mode);
    if (!f) {
        return false;
    }
    bool ok = PEM_write_X509(f, cert) == 1;
    return fclose(f) == 0 && ok;
}

bool tl_write_pem(const char *path, X509 *cert) { return pem_out(path, "w", cert); }
bool tl_append_pem(const char *path, X509 *cert) { return pem_out(path, "a", cert); }

bool tl_write_crl(const char *path, X509_CRL *crl, bool der)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        return false;
    }
    bool ok = der ? i2d_X509_CRL_fp(f, crl) == 1 : PEM_write_X509_CRL(f, crl) == 1;
    return fclose(f) == 0 && ok;
}

void tl_chain_make(struct tl_chain *c, const struct tl_cert_opts *leaf_opts, const char *leaf_alg)
{
    memset(c, 0, sizeof(*c));
    c->root_key = tl_key("p256");
    c->int_key = tl_key("p256");
    c->leaf_key = tl_key(leaf_alg);
    struct tl_cert_opts ro = tl_ca_opts("Test Root CA");
    ro.pathlen = 1;
    c->root = tl_cert(c->root_key, NULL, NULL, &ro);
    struct tl_cert_opts io = tl_ca_opts("Test Intermediate CA");
    io.pathlen = 0;
    c->inter = tl_cert(c->int_key, c->root, c->root_key, &io);
    struct tl_cert_opts lo = tl_leaf_opts("alice");
    lo.san = "URI:ringward:principal:alice,URI:ringward:role:producer";
    c->leaf = tl_cert(c->leaf_key, c->inter, c->int_key, leaf_opts ? leaf_opts : &lo);
}

void tl_chain_free(struct tl_chain *c)
{
    X509_free(c->leaf);
    X509_free(c->inter);
    X509_free(c->root);
    EVP_PKEY_free(c->leaf_key);
    EVP_PKEY_free(c->int_key);
    EVP_PKEY_free(c->root_key);
    memset(c, 0, sizeof(*c));
}
