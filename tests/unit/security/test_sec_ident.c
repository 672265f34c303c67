/* tests/unit/security/test_sec_ident.c — CN, role and SAN extraction. */
#include <criterion/criterion.h>
#include <string.h>

#include "security/sec_ident.h"
#include "tests/testlib/tl_pki.h"

static EVP_PKEY *key;

static void setup(void) { key = tl_key("p256"); }
static void teardown(void) { EVP_PKEY_free(key); }

TestSuite(sec_ident, .init = setup, .fini = teardown, .timeout = 30);

static X509 *cert_with(const char *cn, const char *san)
{
    struct tl_cert_opts o = tl_leaf_opts(cn);
    o.san = san;
    return tl_cert(key, NULL, NULL, &o);
}

/* A certificate whose subject gets one more CN entry of raw bytes (the
 * signature no longer matches; identity reading does not care). */
static X509 *cert_with_raw_cn(const char *first_cn, const unsigned char *bytes, int len)
{
    X509 *x = cert_with(first_cn, NULL);
    X509_NAME *name = X509_get_subject_name(x);
    cr_assert(X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING, bytes, len, -1,
                                         0));
    return x;
}

Test(sec_ident, cn_read_as_utf8)
{
    X509 *x = cert_with("Zo\xc3\xab-producer", NULL);
    char out[64];
    cr_assert(rw_ok(rw_sec_cert_cn(x, out, sizeof(out))), "%s", rw_err_detail());
    cr_assert_str_eq(out, "Zo\xc3\xab-producer");
    X509_free(x);
}

Test(sec_ident, cn_absent_is_not_found)
{
    X509 *x = cert_with(NULL, "DNS:only.example");
    char out[64];
    cr_assert_eq(rw_sec_cert_cn(x, out, sizeof(out)).err, RW_ERR_NOT_FOUND);
    X509_free(x);
}

Test(sec_ident, cn_with_nul_or_control_rejected)
{
    static const unsigned char nul[] = {'a', 'd', 'm', 0, 'x'};
    X509 *x = cert_with_raw_cn(NULL, nul, sizeof(nul));
    char out[64];
    cr_assert_eq(rw_sec_cert_cn(x, out, sizeof(out)).err, RW_ERR_PROTO_MALFORMED);
    X509_free(x);
    static const unsigned char ctl[] = {'a', '\n', 'b'};
    x = cert_with_raw_cn(NULL, ctl, sizeof(ctl));
    cr_assert_eq(rw_sec_cert_cn(x, out, sizeof(out)).err, RW_ERR_PROTO_MALFORMED);
    cr_assert(strstr(rw_err_detail(), "control"), "%s", rw_err_detail());
    X509_free(x);
}

Test(sec_ident, two_cns_are_ambiguous)
{
    static const unsigned char admin[] = "admin";
    X509 *x = cert_with_raw_cn("alice", admin, 5);
    char out[64];
    cr_assert_eq(rw_sec_cert_cn(x, out, sizeof(out)).err, RW_ERR_PROTO_MALFORMED);
    X509_free(x);
}

Test(sec_ident, cn_that_does_not_fit_rejected)
{
    X509 *x = cert_with("exactly-16-bytes", NULL);
    char out[17];
    cr_assert(rw_ok(rw_sec_cert_cn(x, out, 17)));
    cr_assert_eq(rw_sec_cert_cn(x, out, 16).err, RW_ERR_PROTO_MALFORMED);
    X509_free(x);
}

Test(sec_ident, role_from_san_uri)
{
    X509 *x = cert_with("a", "URI:ringward:principal:a,URI:ringward:role:admin");
    cr_assert_eq(rw_sec_cert_role(x), RW_ROLE_ADMIN);
    X509_free(x);
    x = cert_with("b", "URI:ringward:role:broker,DNS:b.example");
    cr_assert_eq(rw_sec_cert_role(x), RW_ROLE_BROKER);
    X509_free(x);
}

Test(sec_ident, role_absent_unknown_or_conflicting_is_none)
{
    const char *sans[] = {NULL, "DNS:x.example", "URI:ringward:role:superuser",
                          "URI:ringward:role:admin,URI:ringward:role:producer",
                          "URI:ringward:role:", "URI:spiffe://ringward/role/admin"};
    for (size_t i = 0; i < sizeof(sans) / sizeof(sans[0]); i++) {
        X509 *x = cert_with("n", sans[i]);
        cr_assert_eq(rw_sec_cert_role(x), RW_ROLE_NONE, "SAN %s", sans[i] ? sans[i] : "(none)");
        X509_free(x);
    }
    cr_assert_eq(rw_sec_cert_role(NULL), RW_ROLE_NONE);
}

Test(sec_ident, san_uri_skips_roles_and_strips_the_prefix)
{
    char out[128];
    X509 *x = cert_with("a", "URI:ringward:role:producer,URI:ringward:principal:svc-1");
    cr_assert(rw_ok(rw_sec_cert_san_uri(x, out, sizeof(out))), "%s", rw_err_detail());
    cr_assert_str_eq(out, "svc-1");
    X509_free(x);
    x = cert_with("a", "DNS:d.example,URI:spiffe://example.org/ns/prod/sa/web");
    cr_assert(rw_ok(rw_sec_cert_san_uri(x, out, sizeof(out))));
    cr_assert_str_eq(out, "spiffe://example.org/ns/prod/sa/web");
    X509_free(x);
    x = cert_with("a", "URI:ringward:role:producer");
    cr_assert_eq(rw_sec_cert_san_uri(x, out, sizeof(out)).err, RW_ERR_NOT_FOUND);
    X509_free(x);
    x = cert_with("a", "URI:ringward:principal:");
    cr_assert_eq(rw_sec_cert_san_uri(x, out, sizeof(out)).err, RW_ERR_PROTO_MALFORMED);
    X509_free(x);
}

Test(sec_ident, san_dns_first_name)
{
    char out[128];
    X509 *x = cert_with("a", "URI:ringward:role:broker,DNS:one.example,DNS:two.example");
    cr_assert(rw_ok(rw_sec_cert_san_dns(x, out, sizeof(out))));
    cr_assert_str_eq(out, "one.example");
    cr_assert_eq(rw_sec_cert_san_dns(x, out, 5).err, RW_ERR_PROTO_MALFORMED);
    X509_free(x);
    x = cert_with("a", NULL);
    cr_assert_eq(rw_sec_cert_san_dns(x, out, sizeof(out)).err, RW_ERR_NOT_FOUND);
    X509_free(x);
}
