/* tests/testlib/tl_tls_pki.c — a small PKI for TLS and auth tests (see
 * tests/testlib/tl_tls.h): a store-backed root and intermediate, and a
 * foreign root with leaves made by raw OpenSSL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "security/sec_cert.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_tls.h"

#define DAY 86400

static bool fail(const char *what)
{
    fprintf(stderr, "tl_pki: %s: %s\n", what, rw_err_detail());
    return false;
}

bool tl_write_cert(const char *path, X509 *cert, X509 *extra)
{
    char *pem = NULL;
    size_t len = 0;
    bool ok = rw_ok(rw_sec_cert_append_pem(cert, &pem, &len)) &&
              (!extra || rw_ok(rw_sec_cert_append_pem(extra, &pem, &len))) &&
              rw_ok(rw_sec_public_write_file(path, pem, len));
    free(pem);
    return ok || fail(path);
}

bool tl_write_key(const char *path, EVP_PKEY *key)
{
    char *pem = NULL;
    bool ok = rw_ok(rw_sec_key_to_pem(key, NULL, &pem)) &&
              rw_ok(rw_sec_secret_write_file(path, pem));
    rw_sec_secret_free(pem);
    return ok || fail(path);
}

void tl_pki_path(const struct tl_pki *p, const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", p->dir, file);
}

struct tl_pki *tl_pki_new(const char *tag)
{
    struct tl_pki *p = calloc(1, sizeof(*p));
    char sdir[600];
    if (!p || !(p->dir = tl_tmpdir(tag))) {
        free(p);
        return NULL;
    }
    tl_pki_path(p, "store", sdir, sizeof(sdir));
    if (!rw_ok(rw_store_open(sdir, RW_STORE_CREATE_NEW, &p->store))) {
        fail("store");
        tl_pki_free(p);
        return NULL;
    }
    p->ca = (struct rw_sec_ca){.store = p->store, .passphrase = "pw", .actor = "test:tls",
                               .now = (int64_t)time(NULL) - DAY};
    struct rw_sec_ca_opts root = {.cn = "Test Root", .alg = RW_KEY_P256, .path_len = 1};
    struct rw_sec_ca_opts mid = {.cn = "Test Issuing", .parent_id = p->root_id,
                                 .alg = RW_KEY_P256, .path_len = 0};
    if (!rw_ok(rw_sec_ca_create(&p->ca, &root, p->root_id)) ||
        !rw_ok(rw_sec_ca_create(&p->ca, &mid, p->int_id))) {
        fail("CA");
        tl_pki_free(p);
        return NULL;
    }
    p->ca.now = 0;
    return p;
}

void tl_pki_free(struct tl_pki *p)
{
    if (p) {
        rw_store_close(p->store);
        tl_rmtree(p->dir);
        free(p->dir);
        free(p);
    }
}

static X509 *load_ca(struct tl_pki *p, const char *id)
{
    struct rw_store_ca row;
    X509 *x = NULL;
    if (!rw_ok(rw_store_ca_get(p->store, id, &row))) {
        return NULL;
    }
    if (!rw_ok(rw_sec_x509_from_der(row.cert_der, row.cert_der_len, &x))) {
        x = NULL;
    }
    rw_store_ca_cleanup(&row);
    return x;
}

X509 *tl_pki_issue(struct tl_pki *p, const char *name, enum rw_role role, int64_t ttl)
{
    static const char *const dns[] = {"localhost"};
    struct rw_sec_issue_opts o = {.ca_id = p->int_id, .principal = name, .role = role,
                                  .ttl = ttl, .alg = RW_KEY_P256};
    if (role == RW_ROLE_BROKER) {
        o.dns = dns;
        o.n_dns = 1;
    }
    X509 *cert = NULL, *mid = NULL;
    EVP_PKEY *key = NULL;
    char path[700], file[200];
    bool ok = rw_ok(rw_sec_ca_issue(&p->ca, &o, &cert, &key)) || fail("issue");
    ok = ok && (mid = load_ca(p, p->int_id)) != NULL;
    snprintf(file, sizeof(file), "%s.crt", name);
    tl_pki_path(p, file, path, sizeof(path));
    ok = ok && tl_write_cert(path, cert, NULL);
    snprintf(file, sizeof(file), "%s-chain.crt", name);
    tl_pki_path(p, file, path, sizeof(path));
    ok = ok && tl_write_cert(path, cert, mid);
    snprintf(file, sizeof(file), "%s.key", name);
    tl_pki_path(p, file, path, sizeof(path));
    ok = ok && tl_write_key(path, key);
    EVP_PKEY_free(key);
    X509_free(mid);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

bool tl_pki_write_ca_bundle(struct tl_pki *p)
{
    X509 *root = load_ca(p, p->root_id), *mid = load_ca(p, p->int_id);
    char path[700];
    tl_pki_path(p, "ca.crt", path, sizeof(path));
    bool ok = root && mid && tl_write_cert(path, root, mid);
    X509_free(root);
    X509_free(mid);
    return ok;
}

struct rw_sec_trust *tl_pki_trust(struct tl_pki *p)
{
    struct rw_sec_trust *t = NULL;
    if (!rw_ok(rw_sec_ca_trust_build(p->store, &t))) {
        fail("trust");
        return NULL;
    }
    return t;
}

bool tl_pki_revoke(struct tl_pki *p, X509 *cert, int reason)
{
    uint8_t serial[20];
    size_t len = 0;
    return (rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &len)) &&
            rw_ok(rw_sec_ca_revoke(&p->ca, serial, len, reason))) ||
           fail("revoke");
}

bool tl_pki_revoke_ca(struct tl_pki *p, const char *ca_id, int reason)
{
    struct rw_store_ca row;
    if (!rw_ok(rw_store_ca_get(p->store, ca_id, &row))) {
        return fail("CA lookup");
    }
    bool ok = rw_ok(rw_sec_ca_revoke(&p->ca, row.serial, row.serial_len, reason));
    rw_store_ca_cleanup(&row);
    return ok || fail("revoke CA");
}

bool tl_foreign_root(const char *cn, X509 **cert, EVP_PKEY **key)
{
    uint8_t serial[RW_SERIAL_LEN];
    int64_t now = (int64_t)time(NULL);
    struct rw_sec_ca_spec spec = {.cn = cn, .path_len = -1, .not_before = now - DAY,
                                  .not_after = now + 30 * DAY, .serial = serial,
                                  .serial_len = sizeof(serial)};
    *cert = NULL;
    return (rw_ok(rw_sec_serial_random(serial)) && rw_ok(rw_sec_key_generate(RW_KEY_P256, key)) &&
            rw_ok(rw_sec_cert_make_root(*key, &spec, cert))) ||
           fail("foreign root");
}

static bool add_ext(X509 *leaf, X509 *root, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, root, leaf, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    bool ok = ext && X509_add_ext(leaf, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static bool leaf_fill(X509 *leaf, X509 *root, EVP_PKEY *key, const char *name, const char *eku)
{
    uint8_t serial[RW_SERIAL_LEN];
    ASN1_INTEGER *sn = NULL;
    X509_NAME *subject = X509_NAME_new();
    bool ok = subject && rw_ok(rw_sec_serial_random(serial)) &&
              rw_ok(rw_sec_serial_to_asn1(serial, sizeof(serial), &sn)) &&
              X509_set_version(leaf, X509_VERSION_3) == 1 &&
              X509_set_serialNumber(leaf, sn) == 1 &&
              X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                         (const unsigned char *)name, -1, -1, 0) == 1 &&
              X509_set_subject_name(leaf, subject) == 1 &&
              X509_set_issuer_name(leaf, X509_get_subject_name(root)) == 1 &&
              X509_gmtime_adj(X509_getm_notBefore(leaf), -3600) &&
              X509_gmtime_adj(X509_getm_notAfter(leaf), 7 * DAY) &&
              X509_set_pubkey(leaf, key) == 1;
    ASN1_INTEGER_free(sn);
    X509_NAME_free(subject);
    return ok && add_ext(leaf, root, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(leaf, root, NID_key_usage, "critical,digitalSignature") &&
           add_ext(leaf, root, NID_ext_key_usage, eku) &&
           add_ext(leaf, root, NID_subject_alt_name, "URI:ringward:role:producer") &&
           add_ext(leaf, root, NID_subject_key_identifier, "hash") &&
           add_ext(leaf, root, NID_authority_key_identifier, "keyid");
}

X509 *tl_foreign_leaf(struct tl_pki *p, X509 *root, EVP_PKEY *root_key, const char *name,
                      const char *eku)
{
    EVP_PKEY *key = NULL;
    X509 *leaf = X509_new();
    char path[700], file[200];
    bool ok = leaf && rw_ok(rw_sec_key_generate(RW_KEY_P256, &key)) &&
              leaf_fill(leaf, root, key, name, eku) &&
              X509_sign(leaf, root_key, EVP_sha256()) > 0;
    if (ok && p) {
        snprintf(file, sizeof(file), "%s.crt", name);
        tl_pki_path(p, file, path, sizeof(path));
        ok = tl_write_cert(path, leaf, NULL);
        snprintf(file, sizeof(file), "%s.key", name);
        tl_pki_path(p, file, path, sizeof(path));
        ok = ok && tl_write_key(path, key);
    }
    EVP_PKEY_free(key);
    if (!ok) {
        fail("foreign leaf");
        X509_free(leaf);
        return NULL;
    }
    return leaf;
}
