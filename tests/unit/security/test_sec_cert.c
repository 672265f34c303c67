/* tests/unit/security/test_sec_cert.c — root, intermediate and leaf
 * certificates: extensions read back, and `openssl verify` as a second
 * opinion. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "security/sec_cert.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("seccert");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(sec_cert, .init = setup, .fini = teardown, .timeout = 180);

static EVP_PKEY *gen(enum rw_key_alg alg)
{
    EVP_PKEY *k = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(alg, &k)), "%s", rw_err_detail());
    return k;
}

/* Writes a certificate as PEM to dir/name; returns the heap path. */
static char *write_cert(X509 *x, const char *name)
{
    char *pem = NULL;
    size_t len = 0;
    cr_assert(rw_ok(rw_sec_cert_append_pem(x, &pem, &len)));
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    cr_assert(tl_write_file(path, pem, len));
    free(pem);
    return path;
}

struct pki {
    EVP_PKEY *root_key, *int_key;
    X509 *root, *inter;
    uint8_t serial[RW_SERIAL_LEN];
};

static struct rw_sec_ca_spec ca_spec(struct pki *p, const char *cn, int path_len)
{
    cr_assert(rw_ok(rw_sec_serial_random(p->serial)));
    int64_t now = (int64_t)time(NULL);
    return (struct rw_sec_ca_spec){.cn = cn, .org = "Ringward Test", .path_len = path_len,
                                   .not_before = now - 3600, .not_after = now + 86400 * 365,
                                   .serial = p->serial, .serial_len = RW_SERIAL_LEN};
}

static void pki_init(struct pki *p, enum rw_key_alg root_alg, enum rw_key_alg int_alg)
{
    memset(p, 0, sizeof(*p));
    p->root_key = gen(root_alg);
    p->int_key = gen(int_alg);
    struct rw_sec_ca_spec s = ca_spec(p, "Test Root", 1);
    cr_assert(rw_ok(rw_sec_cert_make_root(p->root_key, &s, &p->root)), "%s", rw_err_detail());
    s = ca_spec(p, "Test Issuing CA", 0);
    cr_assert(rw_ok(rw_sec_cert_make_intermediate(p->int_key, p->root, p->root_key, &s, &p->inter)),
              "%s", rw_err_detail());
}

static void pki_free(struct pki *p)
{
    X509_free(p->root);
    X509_free(p->inter);
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->int_key);
}

static struct rw_result leaf_with(struct pki *p, EVP_PKEY *key, const struct rw_sec_leaf_spec *s,
                                  X509 **out)
{
    return rw_sec_cert_make_leaf(key, p->inter, p->int_key, s, out);
}

static X509 *make_leaf(struct pki *p, EVP_PKEY *key, enum rw_role role, const char *principal)
{
    static const char *const dns[] = {"broker-1.example", "*.brokers.example"};
    static const char *const ips[] = {"127.0.0.1", "::1"};
    uint8_t serial[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(serial)));
    int64_t now = (int64_t)time(NULL);
    bool broker = role == RW_ROLE_BROKER;
    struct rw_sec_leaf_spec s = {.principal = principal, .role = role, .dns = broker ? dns : NULL,
                                 .n_dns = broker ? 2 : 0, .ips = broker ? ips : NULL,
                                 .n_ips = broker ? 2 : 0, .not_before = now - 60,
                                 .not_after = now + 86400, .serial = serial,
                                 .serial_len = sizeof(serial)};
    X509 *x = NULL;
    struct rw_result r = leaf_with(p, key, &s, &x);
    cr_assert(rw_ok(r), "%s: %s", rw_err_name(r.err), rw_err_detail());
    return x;
}

static int ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    cr_assert_geq(i, 0, "extension %s missing", OBJ_nid2sn(nid));
    cr_assert_lt(X509_get_ext_by_NID(x, nid, i), 0, "extension %s twice", OBJ_nid2sn(nid));
    return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* SAN as "URI:a|DNS:b|IP:c|" for easy comparison. */
static void san_text(X509 *x, char *out, size_t cap)
{
    int crit = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    cr_assert(gens, "no SAN");
    cr_assert_eq(crit, 0, "SAN should not be critical (subject is not empty)");
    out[0] = '\0';
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        int type;
        ASN1_STRING *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
        char item[300];
        if (type == GEN_IPADD) {
            char ip[INET6_ADDRSTRLEN];
            inet_ntop(ASN1_STRING_length(v) == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(v), ip,
                      sizeof(ip));
            snprintf(item, sizeof(item), "IP:%s|", ip);
        } else {
            snprintf(item, sizeof(item), "%s:%.*s|", type == GEN_URI ? "URI" : type == GEN_DNS ? "DNS" : "?",
                     ASN1_STRING_length(v), (const char *)ASN1_STRING_get0_data(v));
        }
        strncat(out, item, cap - strlen(out) - 1);
    }
    GENERAL_NAMES_free(gens);
}

static void assert_serial_16(X509 *x)
{
    uint8_t s[20];
    size_t n = 0;
    cr_assert(rw_ok(rw_sec_cert_serial(x, s, sizeof(s), &n)));
    cr_assert_eq(n, RW_SERIAL_LEN);
    cr_assert_eq(s[0] & 0x80, 0);
    cr_assert_eq(ASN1_STRING_length(X509_get0_serialNumber(x)), RW_SERIAL_LEN);
}

static void assert_ca_profile(X509 *x, X509 *issuer, long pathlen)
{
    cr_assert_eq(X509_get_version(x), X509_VERSION_3);
    cr_assert_eq(ext_critical(x, NID_basic_constraints), 1);
    cr_assert_eq(ext_critical(x, NID_key_usage), 1);
    cr_assert(X509_get_extension_flags(x) & EXFLAG_CA);
    cr_assert_eq(X509_get_pathlen(x), pathlen);
    cr_assert_eq(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    cr_assert_eq(ext_critical(x, NID_subject_key_identifier), 0);
    cr_assert_lt(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), 0, "CA with EKU");
    cr_assert_lt(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), 0, "CA with SAN");
    assert_serial_16(x);
    if (issuer == x) {
        cr_assert_lt(X509_get_ext_by_NID(x, NID_authority_key_identifier, -1), 0, "root with AKI");
    } else {
        cr_assert_eq(ext_critical(x, NID_authority_key_identifier), 0);
        cr_assert_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
                                           X509_get0_subject_key_id(issuer)), 0);
        cr_assert_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(issuer)), 0);
    }
}

static const enum rw_key_alg all_algs[] = {RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072};
static const int sig_nids[] = {NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384, NID_ED25519,
                               NID_sha256WithRSAEncryption};

Test(sec_cert, serial_random_is_16_positive_octets)
{
    uint8_t a[RW_SERIAL_LEN], b[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(b)));
    for (int i = 0; i < 200; i++) {
        cr_assert(rw_ok(rw_sec_serial_random(a)));
        cr_assert_eq(a[0] & 0x80, 0);
        cr_assert_neq(a[0], 0);
        cr_assert_neq(memcmp(a, b, sizeof(a)), 0);
        memcpy(b, a, sizeof(a));
    }
}

Test(sec_cert, serial_encoding_limits)
{
    uint8_t s[21] = {0};
    ASN1_INTEGER *ai = NULL;
    cr_assert_eq(rw_sec_serial_to_asn1(s, 0, &ai).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_serial_to_asn1(s, 5, &ai).err, RW_ERR_USAGE); /* zero */
    memset(s, 0x11, sizeof(s));
    cr_assert_eq(rw_sec_serial_to_asn1(s, 21, &ai).err, RW_ERR_USAGE);
    s[0] = 0x80;
    cr_assert_eq(rw_sec_serial_to_asn1(s, 20, &ai).err, RW_ERR_USAGE); /* 21 octets in DER */
    cr_assert_null(ai);
    s[0] = 0x7f;
    cr_assert(rw_ok(rw_sec_serial_to_asn1(s, 20, &ai)));
    cr_assert_eq(ASN1_STRING_length(ai), 20);
    ASN1_INTEGER_free(ai);
    uint8_t lead[] = {0, 0, 0x01, 0x02};
    cr_assert(rw_ok(rw_sec_serial_to_asn1(lead, sizeof(lead), &ai)));
    cr_assert_eq(ASN1_INTEGER_get(ai), 0x0102);
    ASN1_INTEGER_free(ai);
}

Test(sec_cert, root_for_each_alg)
{
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY *k = gen(all_algs[i]);
        struct pki p;
        struct rw_sec_ca_spec s = ca_spec(&p, "Root é", i == 0 ? -1 : (int)i);
        X509 *x = NULL;
        cr_assert(rw_ok(rw_sec_cert_make_root(k, &s, &x)), "%s", rw_err_detail());
        assert_ca_profile(x, x, i == 0 ? -1 : (long)i);
        cr_assert_eq(X509_get_signature_nid(x), sig_nids[i], "alg %zu", i);
        cr_assert_eq(X509_verify(x, k), 1);
        cr_assert_eq(X509_check_issued(x, x), X509_V_OK);
        char buf[128];
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof(buf));
        cr_assert_str_eq(buf, "Root é");
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, buf, sizeof(buf));
        cr_assert_str_eq(buf, "Ringward Test");
        int64_t nb, na;
        cr_assert(rw_ok(rw_sec_time_to_unix(X509_get0_notBefore(x), &nb)));
        cr_assert(rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(x), &na)));
        cr_assert_eq(nb, s.not_before);
        cr_assert_eq(na, s.not_after);
        uint8_t sn[20];
        size_t n;
        cr_assert(rw_ok(rw_sec_cert_serial(x, sn, sizeof(sn), &n)));
        cr_assert_eq(memcmp(sn, p.serial, RW_SERIAL_LEN), 0);
        X509_free(x);
        EVP_PKEY_free(k);
    }
}

static void check_leaf(X509 *leaf, X509 *issuer, enum rw_role role, bool rsa, const char *san)
{
    cr_assert_eq(X509_get_version(leaf), X509_VERSION_3);
    cr_assert_eq(ext_critical(leaf, NID_basic_constraints), 1);
    cr_assert_not(X509_get_extension_flags(leaf) & EXFLAG_CA);
    cr_assert_eq(X509_check_ca(leaf), 0);
    cr_assert_eq(ext_critical(leaf, NID_key_usage), 1);
    cr_assert_eq(X509_get_key_usage(leaf),
                 rsa ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT) : KU_DIGITAL_SIGNATURE);
    cr_assert_eq(ext_critical(leaf, NID_ext_key_usage), 0);
    cr_assert_eq(X509_get_extended_key_usage(leaf),
                 role == RW_ROLE_BROKER ? (XKU_SSL_SERVER | XKU_SSL_CLIENT) : XKU_SSL_CLIENT);
    char text[1024];
    san_text(leaf, text, sizeof(text));
    cr_assert_str_eq(text, san);
    cr_assert(X509_get0_subject_key_id(leaf));
    cr_assert_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                       X509_get0_subject_key_id(issuer)), 0);
    cr_assert_eq(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(issuer)), 0);
    assert_serial_16(leaf);
}

static void chain_for(enum rw_key_alg alg)
{
    struct pki p;
    pki_init(&p, alg, alg);
    assert_ca_profile(p.inter, p.root, 0);
    char *root = write_cert(p.root, "root.pem"), *inter = write_cert(p.inter, "int.pem");
    const enum rw_role roles[] = {RW_ROLE_BROKER, RW_ROLE_PRODUCER, RW_ROLE_CONSUMER, RW_ROLE_ADMIN};
    const char *sans[] = {
        ("URI:ringward:principal:node-1|URI:ringward:role:broker|DNS:broker-1.example|"
         "DNS:*.brokers.example|IP:127.0.0.1|IP:::1|"),
        "URI:ringward:principal:node-1|URI:ringward:role:producer|",
        "URI:ringward:principal:node-1|URI:ringward:role:consumer|",
        "URI:ringward:principal:node-1|URI:ringward:role:admin|",
    };
    EVP_PKEY *lk = gen(alg);
    for (size_t i = 0; i < 4; i++) {
        X509 *leaf = make_leaf(&p, lk, roles[i], "node-1");
        check_leaf(leaf, p.inter, roles[i], alg == RW_KEY_RSA3072, sans[i]);
        char *lf = write_cert(leaf, "leaf.pem"), *out = NULL;
        int rc = tl_sh(&out, "openssl verify -x509_strict -CAfile '%s' -untrusted '%s' '%s'", root,
                    inter, lf);
        cr_assert_eq(rc, 0, "alg %s role %zu: %s", rw_sec_key_alg_name(alg), i, out);
        free(out);
        free(lf);
        X509_free(leaf);
    }
    EVP_PKEY_free(lk);
    free(root);
    free(inter);
    pki_free(&p);
}

Test(sec_cert, chain_p256)
{
    chain_for(RW_KEY_P256);
}

Test(sec_cert, chain_p384)
{
    chain_for(RW_KEY_P384);
}

Test(sec_cert, chain_ed25519)
{
    chain_for(RW_KEY_ED25519);
}

Test(sec_cert, chain_rsa3072)
{
    chain_for(RW_KEY_RSA3072);
}

Test(sec_cert, digest_follows_the_issuer_key)
{
    struct pki p;
    pki_init(&p, RW_KEY_ED25519, RW_KEY_P384);
    cr_assert_eq(X509_get_signature_nid(p.root), NID_ED25519);
    cr_assert_eq(X509_get_signature_nid(p.inter), NID_ED25519);
    EVP_PKEY *lk = gen(RW_KEY_P256);
    X509 *leaf = make_leaf(&p, lk, RW_ROLE_CONSUMER, "c1");
    cr_assert_eq(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA384);
    cr_assert_eq(X509_verify(leaf, p.int_key), 1);
    X509_free(leaf);
    EVP_PKEY_free(lk);
    pki_free(&p);
}

Test(sec_cert, openssl_purpose_per_role)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256, RW_KEY_P256);
    EVP_PKEY *lk = gen(RW_KEY_P256);
    X509 *prod = make_leaf(&p, lk, RW_ROLE_PRODUCER, "producer-1");
    X509 *brk = make_leaf(&p, lk, RW_ROLE_BROKER, "broker-1");
    char *root = write_cert(p.root, "root.pem"), *inter = write_cert(p.inter, "int.pem");
    char *pf = write_cert(prod, "producer.pem"), *bf = write_cert(brk, "broker.pem"), *out = NULL;
#define V "openssl verify -x509_strict -CAfile '%s' -untrusted '%s' -purpose %s '%s'"
    cr_assert_eq(tl_sh(&out, V, root, inter, "sslclient", pf), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, V, root, inter, "sslserver", pf), 0, "%s", out);
    cr_assert(strstr(out, "unsuitable certificate purpose"), "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, V, root, inter, "sslserver", bf), 0, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, V, root, inter, "sslclient", bf), 0, "%s", out);
    free(out);
    /* Without the intermediate there is no path. */
    cr_assert_neq(tl_sh(&out, "openssl verify -CAfile '%s' '%s'", root, pf), 0, "%s", out);
    free(out);
#undef V
    free(root);
    free(inter);
    free(pf);
    free(bf);
    X509_free(prod);
    X509_free(brk);
    EVP_PKEY_free(lk);
    pki_free(&p);
}

Test(sec_cert, principal_names_checked)
{
    const char *bad[] = {"", "a/b", "a,b", "a+b", "a=b", "a\"b", "a\\b", "a<b", "a>b", "a;b",
                         " lead", "trail ", "tab\there", "nl\n", "caf\xc3\xa9", "del\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(rw_sec_principal_check(bad[i]).err, RW_ERR_USAGE, "'%s' accepted", bad[i]);
    }
    cr_assert_eq(rw_sec_principal_check(NULL).err, RW_ERR_USAGE);
    char name[66];
    memset(name, 'n', sizeof(name));
    name[65] = '\0';
    cr_assert_eq(rw_sec_principal_check(name).err, RW_ERR_USAGE);
    name[64] = '\0';
    cr_assert(rw_ok(rw_sec_principal_check(name)));
    cr_assert(rw_ok(rw_sec_principal_check("alice.smith-01_x@example.com")));
    cr_assert(rw_ok(rw_sec_principal_check("svc orders (eu)")));

    struct pki p;
    pki_init(&p, RW_KEY_P256, RW_KEY_P256);
    EVP_PKEY *lk = gen(RW_KEY_P256);
    uint8_t serial[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(serial)));
    struct rw_sec_leaf_spec s = {.principal = "evil,CN=admin", .role = RW_ROLE_ADMIN,
                                 .not_before = 0, .not_after = 4000000000,
                                 .serial = serial, .serial_len = sizeof(serial)};
    X509 *x = NULL;
    cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "','"), "%s", rw_err_detail());
    s.principal = name; /* 64 bytes: fine as a leaf too */
    cr_assert(rw_ok(leaf_with(&p, lk, &s, &x)), "%s", rw_err_detail());
    X509_free(x);
    EVP_PKEY_free(lk);
    pki_free(&p);
}

Test(sec_cert, bad_dns_and_ip_rejected)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256, RW_KEY_P256);
    EVP_PKEY *lk = gen(RW_KEY_P256);
    uint8_t serial[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(serial)));
    const char *bad_ips[] = {"1.2.3.4x", "300.1.1.1", "1.2.3", "::g", "", "localhost"};
    const char *bad_dns[] = {"bad name", "-a.example", "a-.example", "a..b", "*.*.x", "a.example.",
                             "", "x_y.example", "a,DNS:b"};
    struct rw_sec_leaf_spec s = {.principal = "b1", .role = RW_ROLE_BROKER, .not_before = 0,
                                 .not_after = 4000000000, .serial = serial,
                                 .serial_len = sizeof(serial)};
    X509 *x = NULL;
    for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
        s.ips = &bad_ips[i];
        s.n_ips = 1;
        cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE, "ip '%s' accepted", bad_ips[i]);
    }
    s.n_ips = 0;
    for (size_t i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++) {
        s.dns = &bad_dns[i];
        s.n_dns = 1;
        cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE, "dns '%s' accepted", bad_dns[i]);
    }
    cr_assert_null(x);
    EVP_PKEY_free(lk);
    pki_free(&p);
}

Test(sec_cert, issuer_and_spec_checked)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256, RW_KEY_P256);
    EVP_PKEY *lk = gen(RW_KEY_P256), *other = gen(RW_KEY_P256);
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    X509 *leaf = make_leaf(&p, lk, RW_ROLE_PRODUCER, "p1");
    uint8_t serial[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(serial)));
    struct rw_sec_leaf_spec s = {.principal = "p2", .role = RW_ROLE_PRODUCER, .not_before = 1000,
                                 .not_after = 4000000000, .serial = serial,
                                 .serial_len = sizeof(serial)};
    X509 *x = NULL;
    cr_assert_eq(rw_sec_cert_make_leaf(lk, leaf, lk, &s, &x).err, RW_ERR_USAGE); /* not a CA */
    cr_assert(strstr(rw_err_detail(), "not a CA"), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_cert_make_leaf(lk, p.inter, other, &s, &x).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_cert_make_leaf(weak, p.inter, p.int_key, &s, &x).err, RW_ERR_USAGE);
    s.role = RW_ROLE_NONE;
    cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE);
    s.role = RW_ROLE_ADMIN;
    s.not_after = s.not_before;
    cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE);
    s.not_after = 4000000000;
    uint8_t zero[RW_SERIAL_LEN] = {0};
    s.serial = zero;
    cr_assert_eq(leaf_with(&p, lk, &s, &x).err, RW_ERR_USAGE);
    cr_assert_null(x);
    /* The intermediate has pathlen 0: it may not issue another CA. */
    struct rw_sec_ca_spec cs = ca_spec(&p, "Sub", -1);
    cr_assert_eq(rw_sec_cert_make_intermediate(other, p.inter, p.int_key, &cs, &x).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "pathlen 0"), "%s", rw_err_detail());
    cs.cn = "";
    cr_assert_eq(rw_sec_cert_make_root(other, &cs, &x).err, RW_ERR_USAGE);
    cs.cn = "Root";
    cs.path_len = -2;
    cr_assert_eq(rw_sec_cert_make_root(other, &cs, &x).err, RW_ERR_USAGE);
    cr_assert_null(x);
    X509_free(leaf);
    EVP_PKEY_free(lk);
    EVP_PKEY_free(other);
    EVP_PKEY_free(weak);
    pki_free(&p);
}

Test(sec_cert, leaf_from_public_key_only)
{
    struct pki p;
    pki_init(&p, RW_KEY_P256, RW_KEY_P256);
    EVP_PKEY *full = gen(RW_KEY_RSA3072);
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(full, &der);
    cr_assert_gt(n, 0);
    const unsigned char *q = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &q, n);
    cr_assert(pub);
    X509 *leaf = make_leaf(&p, pub, RW_ROLE_ADMIN, "ops");
    check_leaf(leaf, p.inter, RW_ROLE_ADMIN, true,
               "URI:ringward:principal:ops|URI:ringward:role:admin|");
    cr_assert_eq(X509_check_private_key(leaf, full), 1);
    X509_free(leaf);
    OPENSSL_free(der);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(full);
    pki_free(&p);
}

Test(sec_cert, append_pem_builds_a_bundle)
{
    struct pki p;
    pki_init(&p, RW_KEY_ED25519, RW_KEY_ED25519);
    char *pem = NULL;
    size_t len = 0;
    cr_assert(rw_ok(rw_sec_cert_append_pem(p.inter, &pem, &len)));
    size_t first = len;
    cr_assert_eq(strlen(pem), len);
    cr_assert(rw_ok(rw_sec_cert_append_pem(p.root, &pem, &len)));
    cr_assert_gt(len, first);
    cr_assert_eq(strlen(pem), len);
    STACK_OF(X509) *sk = NULL;
    cr_assert(rw_ok(rw_sec_x509_stack_from_pem(pem, len, &sk)));
    cr_assert_eq(sk_X509_num(sk), 2);
    cr_assert_eq(X509_cmp(sk_X509_value(sk, 0), p.inter), 0);
    cr_assert_eq(X509_cmp(sk_X509_value(sk, 1), p.root), 0);
    sk_X509_pop_free(sk, X509_free);
    free(pem);
    pki_free(&p);
}
