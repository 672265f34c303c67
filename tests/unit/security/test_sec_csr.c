/* tests/unit/security/test_sec_csr.c — CSR parsing, proof of possession,
 * profile checks and names, on requests made by the real openssl CLI. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "security/sec_cert.h"
#include "security/sec_csr.h"
#include "security/sec_key.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("seccsr");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(sec_csr, .init = setup, .fini = teardown, .timeout = 120);

/* `openssl req -new <args>` into dir/<name>; returns the file's bytes. */
static char *make_csr(const char *name, const char *args, size_t *len)
{
    char *out = NULL;
    int rc = tl_sh(&out, "cd '%s' && openssl req -new -nodes -keyout '%s.key' -out '%s' %s", dir, name,
                name, args);
    cr_assert_eq(rc, 0, "openssl req %s: %s", args, out);
    free(out);
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *data = tl_read_file(path, len);
    cr_assert(data);
    return data;
}

#define P256 "-newkey ec -pkeyopt ec_paramgen_curve:P-256 "

static X509_REQ *parse_ok(const char *data, size_t len)
{
    X509_REQ *req = NULL;
    struct rw_result r = rw_sec_csr_parse((const uint8_t *)data, len, &req);
    cr_assert(rw_ok(r), "%s: %s", rw_err_name(r.err), rw_err_detail());
    cr_assert(req);
    return req;
}

static void parse_fails(const void *data, size_t len, enum rw_err want, const char *why)
{
    X509_REQ *req = NULL;
    struct rw_result r = rw_sec_csr_parse(data, len, &req);
    cr_assert_eq(r.err, want, "%s: got %s (%s)", why, rw_err_name(r.err), rw_err_detail());
    cr_assert_null(req);
    cr_assert_neq(rw_err_detail()[0], '\0', "%s: no detail", why);
}

static unsigned char *to_der(X509_REQ *req, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_X509_REQ(req, &der);
    cr_assert_gt(n, 0);
    *len = (size_t)n;
    return der;
}

Test(sec_csr, openssl_csr_parses_and_names_read_back)
{
    size_t len;
    char *pem = make_csr("a.csr", P256 "-subj /CN=x -addext subjectAltName=DNS:a.example", &len);
    X509_REQ *req = parse_ok(pem, len);
    struct rw_sec_csr_names n;
    cr_assert(rw_ok(rw_sec_csr_names(req, &n)), "%s", rw_err_detail());
    cr_assert_str_eq(n.cn, "x");
    cr_assert_eq(n.n_dns, 1);
    cr_assert_str_eq(n.dns[0], "a.example");
    cr_assert_eq(n.n_ips, 0);
    rw_sec_csr_names_cleanup(&n);
    rw_sec_csr_names_cleanup(&n); /* twice is fine */
    cr_assert_null(n.dns);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, names_take_dns_and_ip_only)
{
    size_t len;
    char *pem = make_csr("b.csr", P256 "-subj /O=Org/CN=broker-7 -addext "
                                       "subjectAltName=DNS:b1.example,IP:10.0.0.7,"
                                       "URI:ringward:role:admin,email:x@y.example,IP:fe80::1,"
                                       "DNS:b2.example", &len);
    X509_REQ *req = parse_ok(pem, len);
    struct rw_sec_csr_names n;
    cr_assert(rw_ok(rw_sec_csr_names(req, &n)), "%s", rw_err_detail());
    cr_assert_str_eq(n.cn, "broker-7");
    cr_assert_eq(n.n_dns, 2);
    cr_assert_str_eq(n.dns[0], "b1.example");
    cr_assert_str_eq(n.dns[1], "b2.example");
    cr_assert_eq(n.n_ips, 2);
    cr_assert_str_eq(n.ips[0], "10.0.0.7");
    cr_assert_str_eq(n.ips[1], "fe80::1");
    rw_sec_csr_names_cleanup(&n);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, no_cn_and_no_san)
{
    size_t len;
    char *pem = make_csr("c.csr", P256 "-subj /O=only-org", &len);
    X509_REQ *req = parse_ok(pem, len);
    struct rw_sec_csr_names n;
    cr_assert(rw_ok(rw_sec_csr_names(req, &n)));
    cr_assert_str_eq(n.cn, "");
    cr_assert_eq(n.n_dns + n.n_ips, 0);
    rw_sec_csr_names_cleanup(&n);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, two_cns_are_ambiguous)
{
    size_t len;
    char *pem = make_csr("d.csr", P256 "-subj /CN=alice/CN=admin", &len);
    X509_REQ *req = parse_ok(pem, len);
    struct rw_sec_csr_names n;
    cr_assert_eq(rw_sec_csr_names(req, &n).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_null(n.dns);
    rw_sec_csr_names_cleanup(&n);
    X509_REQ_free(req);
    free(pem);
}

/* Requested extensions are parsed but never reach a certificate. */
Test(sec_csr, extra_extensions_are_ignored)
{
    size_t len;
    char *pem = make_csr("e.csr", P256 "-subj /CN=sneaky -addext basicConstraints=critical,CA:TRUE "
                                       "-addext keyUsage=critical,keyCertSign "
                                       "-addext subjectAltName=DNS:s.example", &len);
    X509_REQ *req = parse_ok(pem, len);
    struct rw_sec_csr_names n;
    cr_assert(rw_ok(rw_sec_csr_names(req, &n)));
    cr_assert_str_eq(n.cn, "sneaky");
    cr_assert_eq(n.n_dns, 1);
    cr_assert_str_eq(n.dns[0], "s.example");

    EVP_PKEY *ca_key = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &ca_key)));
    uint8_t serial[RW_SERIAL_LEN];
    cr_assert(rw_ok(rw_sec_serial_random(serial)));
    int64_t now = (int64_t)time(NULL);
    struct rw_sec_ca_spec cs = {.cn = "CA", .path_len = -1, .not_before = now - 60,
                                .not_after = now + 3600, .serial = serial, .serial_len = 16};
    X509 *ca = NULL, *leaf = NULL;
    cr_assert(rw_ok(rw_sec_cert_make_root(ca_key, &cs, &ca)));
    struct rw_sec_leaf_spec ls = {.principal = n.cn, .role = RW_ROLE_PRODUCER,
                                  .not_before = now - 60, .not_after = now + 600,
                                  .serial = serial, .serial_len = 16};
    cr_assert(rw_ok(rw_sec_cert_make_leaf(X509_REQ_get0_pubkey(req), ca, ca_key, &ls, &leaf)));
    cr_assert_not(X509_get_extension_flags(leaf) & EXFLAG_CA);
    cr_assert_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    rw_sec_csr_names_cleanup(&n);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, der_and_old_pem_header_accepted)
{
    size_t len, dlen;
    char *pem = make_csr("f.csr", "-newkey ed25519 -subj /CN=edwards", &len);
    X509_REQ *req = parse_ok(pem, len);
    unsigned char *der = to_der(req, &dlen);
    X509_REQ *back = parse_ok((const char *)der, dlen);
    cr_assert_eq(X509_REQ_get_signature_nid(back), NID_ED25519);
    X509_REQ_free(back);
    /* DER with one trailing byte is not a CSR. */
    unsigned char *more = malloc(dlen + 1);
    memcpy(more, der, dlen);
    more[dlen] = 0;
    parse_fails(more, dlen + 1, RW_ERR_PROTO_MALFORMED, "DER + trailing byte");
    parse_fails(der, dlen - 1, RW_ERR_PROTO_MALFORMED, "DER - last byte");
    free(more);
    /* "NEW CERTIFICATE REQUEST" (old Netscape header). */
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert_gt(PEM_write_bio(bio, "NEW CERTIFICATE REQUEST", "", der, (long)dlen), 0);
    char *old;
    long olen = BIO_get_mem_data(bio, &old);
    cr_assert(memmem(old, (size_t)olen, "BEGIN NEW CERTIFICATE REQUEST", 29));
    back = parse_ok(old, (size_t)olen);
    X509_REQ_free(back);
    BIO_free(bio);
    OPENSSL_free(der);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, flipped_signature_is_bad_signature)
{
    size_t len, dlen;
    char *pem = make_csr("g.csr", P256 "-subj /CN=flip", &len);
    X509_REQ *req = parse_ok(pem, len);
    unsigned char *der = to_der(req, &dlen);
    der[dlen - 1] ^= 0x01; /* last octet of the ECDSA signature */
    parse_fails(der, dlen, RW_ERR_AUTH_BAD_SIGNATURE, "flipped DER");
    cr_assert(strstr(rw_err_detail(), "proof of possession"), "%s", rw_err_detail());
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert_gt(PEM_write_bio(bio, "CERTIFICATE REQUEST", "", der, (long)dlen), 0);
    char *text;
    long tlen = BIO_get_mem_data(bio, &text);
    parse_fails(text, (size_t)tlen, RW_ERR_AUTH_BAD_SIGNATURE, "flipped PEM");
    BIO_free(bio);
    OPENSSL_free(der);
    X509_REQ_free(req);
    free(pem);
}

Test(sec_csr, damaged_input_is_malformed)
{
    size_t len;
    char *pem = make_csr("h.csr", P256 "-subj /CN=cut", &len);
    parse_fails(pem, len / 2, RW_ERR_PROTO_MALFORMED, "truncated PEM");
    parse_fails(pem, len - 20, RW_ERR_PROTO_MALFORMED, "PEM without END line");
    parse_fails("", 0, RW_ERR_PROTO_MALFORMED, "empty");
    parse_fails("hello", 5, RW_ERR_PROTO_MALFORMED, "text");
    parse_fails("\x30\x03\x02\x01\x00", 5, RW_ERR_PROTO_MALFORMED, "tiny DER");
    char *more = malloc(len + 16);
    memcpy(more, pem, len);
    memcpy(more + len, "garbage\n", 8);
    parse_fails(more, len + 8, RW_ERR_PROTO_MALFORMED, "trailing garbage");
    memcpy(more + len, "\n  \r\n\t", 6);
    X509_REQ *req = parse_ok(more, len + 6); /* trailing whitespace is fine */
    X509_REQ_free(req);
    free(more);
    const char cert[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    parse_fails(cert, sizeof(cert) - 1, RW_ERR_PROTO_MALFORMED, "certificate PEM");
    free(pem);
}

Test(sec_csr, size_limit_checked_before_parsing)
{
    size_t len;
    char *pem = make_csr("i.csr", P256 "-subj /CN=big", &len);
    char *big = malloc(RW_CSR_MAX_BYTES + 1);
    memcpy(big, pem, len);
    memset(big + len, '\n', RW_CSR_MAX_BYTES + 1 - len);
    X509_REQ *req = parse_ok(big, RW_CSR_MAX_BYTES); /* exactly at the limit */
    X509_REQ_free(req);
    parse_fails(big, RW_CSR_MAX_BYTES + 1, RW_ERR_PROTO_TOO_LARGE, "limit + 1");
    memset(big, 0xff, RW_CSR_MAX_BYTES + 1);
    parse_fails(big, RW_CSR_MAX_BYTES + 1, RW_ERR_PROTO_TOO_LARGE, "garbage limit + 1");
    free(big);
    free(pem);
}

Test(sec_csr, weak_keys_rejected)
{
    size_t len;
    char *pem = make_csr("j.csr", "-newkey rsa:1024 -subj /CN=weak", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "RSA-1024");
    cr_assert(strstr(rw_err_detail(), "1024"), "%s", rw_err_detail());
    free(pem);
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "cd '%s' && openssl genpkey -genparam -algorithm DSA "
                          "-pkeyopt dsa_paramgen_bits:2048 -out dsa.param", dir), 0, "%s", out);
    free(out);
    pem = make_csr("k.csr", "-newkey dsa:dsa.param -subj /CN=dsa", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "DSA");
    cr_assert(strstr(rw_err_detail(), "DSA"), "%s", rw_err_detail());
    free(pem);
    pem = make_csr("l.csr", "-newkey ec -pkeyopt ec_paramgen_curve:P-521 -subj /CN=p521", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "P-521");
    free(pem);
}

Test(sec_csr, weak_signatures_rejected)
{
    size_t len;
    char *pem = make_csr("m.csr", P256 "-sha1 -subj /CN=sha1", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "ecdsa-with-SHA1");
    cr_assert(strstr(rw_err_detail(), "SHA1"), "%s", rw_err_detail());
    free(pem);
    pem = make_csr("n.csr", "-newkey rsa:2048 -md5 -subj /CN=md5", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "md5WithRSA");
    free(pem);
    pem = make_csr("o.csr", "-newkey rsa:2048 -sha1 -subj /CN=sha1rsa", &len);
    parse_fails(pem, len, RW_ERR_AUTH_PROFILE, "sha1WithRSA");
    free(pem);
}

Test(sec_csr, strong_requests_accepted)
{
    const char *args[] = {
        "-newkey rsa:2048 -sha256 -subj /CN=rsa2048",
        "-newkey ec -pkeyopt ec_paramgen_curve:P-384 -sha384 -subj /CN=p384",
        P256 "-sha512 -subj /CN=p256-512",
    };
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        size_t len;
        char name[16];
        snprintf(name, sizeof(name), "ok%zu.csr", i);
        char *pem = make_csr(name, args[i], &len);
        X509_REQ *req = parse_ok(pem, len);
        X509_REQ_free(req);
        free(pem);
    }
}
