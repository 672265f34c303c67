/* tests/unit/store/test_cert.c — certificates, list filters, revocations. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/store/store.h"
#include "tests/testlib/tl_fs.h"

static char *g_dir;
static struct rw_store *g_s;

static void setup(void)
{
    g_dir = tl_tmpdir("store-cert");
    cr_assert_not_null(g_dir);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_CREATE_NEW, &g_s)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_store_close(g_s);
    tl_rmtree(g_dir);
    free(g_dir);
}

TestSuite(store_cert, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(store_revocation, .init = setup, .fini = teardown, .timeout = 30);

#define NOW 1000000

static const uint8_t DER[] = {0x30, 0x03, 0x02, 0x01, 0x05};

static struct rw_store_cert cert(uint8_t tag, const char *principal, const char *role,
                                 const char *issuer, int64_t issued_at, int64_t not_after)
{
    struct rw_store_cert c;
    memset(&c, 0, sizeof(c));
    memset(c.serial, tag, 16);
    c.serial[0] = 0x40;
    c.serial_len = 16;
    snprintf(c.issuer_ca_id, sizeof(c.issuer_ca_id), "%s", issuer);
    snprintf(c.principal, sizeof(c.principal), "%s", principal);
    snprintf(c.role, sizeof(c.role), "%s", role);
    c.is_ca = strcmp(role, "ca") == 0;
    c.not_before = issued_at - 60;
    c.not_after = not_after;
    c.issued_at = issued_at;
    c.der = (uint8_t *)DER;
    c.der_len = sizeof(DER);
    return c;
}

static void insert(const struct rw_store_cert *c)
{
    cr_assert(rw_ok(rw_store_cert_insert(g_s, c)), "%s", rw_err_detail());
}

static void revoke(const struct rw_store_cert *c, int reason, int64_t at)
{
    struct rw_store_revocation r;
    memset(&r, 0, sizeof(r));
    memcpy(r.serial, c->serial, c->serial_len);
    r.serial_len = c->serial_len;
    r.reason = reason;
    r.revoked_at = at;
    cr_assert(rw_ok(rw_store_revocation_insert(g_s, &r)), "%s", rw_err_detail());
}

Test(store_cert, insert_then_get_returns_every_field)
{
    struct rw_store_cert in = cert(1, "orders-api", "producer", "issuing", NOW, NOW + 100);
    insert(&in);
    struct rw_store_cert out;
    cr_assert(rw_ok(rw_store_cert_get(g_s, in.serial, in.serial_len, &out)), "%s", rw_err_detail());
    cr_assert_eq(out.serial_len, 16);
    cr_assert(memcmp(out.serial, in.serial, 16) == 0);
    cr_assert_str_eq(out.issuer_ca_id, "issuing");
    cr_assert(!out.is_ca);
    cr_assert_str_eq(out.principal, "orders-api");
    cr_assert_str_eq(out.role, "producer");
    cr_assert_eq(out.not_before, NOW - 60);
    cr_assert_eq(out.not_after, NOW + 100);
    cr_assert_eq(out.issued_at, NOW);
    cr_assert_eq(out.der_len, sizeof(DER));
    cr_assert(memcmp(out.der, DER, sizeof(DER)) == 0);
    cr_assert(!out.revoked);
    cr_assert_eq(out.revoked_at, 0);
    rw_store_cert_cleanup(&out);
    cr_assert_null(out.der);
}

Test(store_cert, duplicate_serial_is_exists)
{
    struct rw_store_cert a = cert(1, "a", "producer", "issuing", NOW, NOW + 100);
    struct rw_store_cert b = cert(1, "b", "consumer", "other", NOW + 1, NOW + 200);
    insert(&a);
    cr_assert_eq(rw_store_cert_insert(g_s, &b).err, RW_ERR_EXISTS);
    struct rw_store_cert out;
    cr_assert(rw_ok(rw_store_cert_get(g_s, a.serial, a.serial_len, &out)));
    cr_assert_str_eq(out.principal, "a", "the first row is untouched");
    rw_store_cert_cleanup(&out);
}

Test(store_cert, get_unknown_or_bad_serial)
{
    uint8_t serial[16] = {9};
    struct rw_store_cert out;
    memset(&out, 0x55, sizeof(out));
    cr_assert_eq(rw_store_cert_get(g_s, serial, sizeof(serial), &out).err, RW_ERR_NOT_FOUND);
    cr_assert_null(out.der);
    cr_assert_eq(rw_store_cert_get(g_s, serial, 0, &out).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_cert_get(g_s, serial, RW_STORE_SERIAL_MAX + 1, &out).err, RW_ERR_USAGE);
    /* a prefix of a stored serial is another serial */
    struct rw_store_cert a = cert(2, "a", "producer", "issuing", NOW, NOW + 100);
    insert(&a);
    cr_assert_eq(rw_store_cert_get(g_s, a.serial, 15, &out).err, RW_ERR_NOT_FOUND);
}

/* Inserts five certificates covering every filter, returns nothing.
 *   D carol broker   ca2 issued 0   expired, revoked
 *   A alice producer ca1 issued 10  active
 *   B bob   consumer ca1 issued 20  expired
 *   C alice consumer ca2 issued 20  active, revoked   (inserted after B)
 *   E ca1   ca       ca1 issued 30  active */
static void populate(void)
{
    struct rw_store_cert a = cert('A', "alice", "producer", "ca1", 10, NOW + 100);
    struct rw_store_cert b = cert('B', "bob", "consumer", "ca1", 20, NOW - 10);
    struct rw_store_cert c = cert('C', "alice", "consumer", "ca2", 20, NOW + 100);
    struct rw_store_cert d = cert('D', "carol", "broker", "ca2", 0, NOW);
    struct rw_store_cert e = cert('E', "ca1", "ca", "ca1", 30, NOW + 1000);
    insert(&c);
    insert(&e);
    insert(&d);
    insert(&a);
    /* B shares C's issued_at but is inserted later: rowid order puts C first */
    insert(&b);
    revoke(&c, 1, NOW - 5);
    revoke(&d, 4, NOW - 50);
}

/* Lists with `f` and compares the principals' serial tags, in order. */
static void expect(const struct rw_store_cert_filter *f, const char *tags)
{
    struct rw_store_cert *list = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_cert_list(g_s, f, &list, &n)), "%s", rw_err_detail());
    char got[16] = {0};
    for (size_t i = 0; i < n && i < sizeof(got) - 1; i++) {
        got[i] = (char)list[i].serial[1];
    }
    cr_assert_str_eq(got, tags);
    rw_store_cert_list_free(list, n);
}

Test(store_cert, list_filters)
{
    populate();
    expect(NULL, "DACBE");
    struct rw_store_cert_filter f = {.status = RW_STORE_ANY, .now = NOW};
    expect(&f, "DACBE");
    f.principal = "alice";
    expect(&f, "AC");
    f.principal = NULL;
    f.role = "consumer";
    expect(&f, "CB");
    f.role = NULL;
    f.issuer_ca_id = "ca2";
    expect(&f, "DC");
    f.issuer_ca_id = NULL;
    f.status = RW_STORE_ACTIVE;
    expect(&f, "AE");
    f.status = RW_STORE_REVOKED;
    expect(&f, "DC");
    f.status = RW_STORE_EXPIRED; /* not_after <= now, revoked or not */
    expect(&f, "DB");
    f.status = RW_STORE_ACTIVE;
    f.principal = "alice";
    expect(&f, "A");
    f.principal = "nobody";
    expect(&f, "");
    f.principal = NULL;
    f.status = (enum rw_store_cert_status)9;
    struct rw_store_cert *list = NULL;
    size_t n = 0;
    cr_assert_eq(rw_store_cert_list(g_s, &f, &list, &n).err, RW_ERR_USAGE);
}

Test(store_cert, list_reports_revocation_fields)
{
    populate();
    struct rw_store_cert_filter f = {.status = RW_STORE_REVOKED, .now = NOW};
    struct rw_store_cert *list = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_cert_list(g_s, &f, &list, &n)));
    cr_assert_eq(n, 2);
    cr_assert(list[0].revoked && list[1].revoked);
    cr_assert_eq(list[0].reason, 4);
    cr_assert_eq(list[0].revoked_at, NOW - 50);
    cr_assert_eq(list[1].reason, 1);
    cr_assert_eq(list[1].der_len, sizeof(DER));
    rw_store_cert_list_free(list, n);
}

Test(store_revocation, revoke_takes_issuer_from_the_certificate)
{
    struct rw_store_cert c = cert(1, "a", "producer", "issuing", NOW, NOW + 100);
    insert(&c);
    struct rw_store_revocation r;
    memset(&r, 0, sizeof(r));
    memcpy(r.serial, c.serial, 16);
    r.serial_len = 16;
    snprintf(r.issuer_ca_id, sizeof(r.issuer_ca_id), "liar");
    r.reason = 1;
    r.revoked_at = NOW + 5;
    cr_assert(rw_ok(rw_store_revocation_insert(g_s, &r)), "%s", rw_err_detail());
    struct rw_store_cert out;
    cr_assert(rw_ok(rw_store_cert_get(g_s, c.serial, 16, &out)));
    cr_assert(out.revoked);
    cr_assert_eq(out.reason, 1);
    cr_assert_eq(out.revoked_at, NOW + 5);
    rw_store_cert_cleanup(&out);
    struct rw_store_revocation *revs = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_revocation_list(g_s, NULL, &revs, &n)));
    cr_assert_eq(n, 1);
    cr_assert_str_eq(revs[0].issuer_ca_id, "issuing");
    cr_assert(memcmp(revs[0].serial, c.serial, 16) == 0);
    cr_assert_eq(revs[0].serial_len, 16);
    rw_store_revocation_list_free(revs, n);
}

Test(store_revocation, unknown_serial_is_not_found)
{
    struct rw_store_revocation r;
    memset(&r, 0, sizeof(r));
    memset(r.serial, 7, 16);
    r.serial_len = 16;
    r.revoked_at = NOW;
    cr_assert_eq(rw_store_revocation_insert(g_s, &r).err, RW_ERR_NOT_FOUND);
    struct rw_store_revocation *revs = NULL;
    size_t n = 9;
    cr_assert(rw_ok(rw_store_revocation_list(g_s, NULL, &revs, &n)));
    cr_assert_eq(n, 0);
    rw_store_revocation_list_free(revs, n);
    r.serial_len = 0;
    cr_assert_eq(rw_store_revocation_insert(g_s, &r).err, RW_ERR_USAGE);
}

Test(store_revocation, revoking_twice_is_state_and_keeps_the_first)
{
    struct rw_store_cert c = cert(1, "a", "producer", "issuing", NOW, NOW + 100);
    insert(&c);
    revoke(&c, 1, NOW);
    struct rw_store_revocation again;
    memset(&again, 0, sizeof(again));
    memcpy(again.serial, c.serial, 16);
    again.serial_len = 16;
    again.reason = 5;
    again.revoked_at = NOW + 99;
    cr_assert_eq(rw_store_revocation_insert(g_s, &again).err, RW_ERR_STATE);
    struct rw_store_cert out;
    cr_assert(rw_ok(rw_store_cert_get(g_s, c.serial, 16, &out)));
    cr_assert_eq(out.reason, 1);
    cr_assert_eq(out.revoked_at, NOW);
    rw_store_cert_cleanup(&out);
}

Test(store_revocation, list_by_issuer_oldest_first)
{
    populate(); /* C (ca2, NOW-5) and D (ca2, NOW-50) revoked */
    struct rw_store_cert a = cert('A', "alice", "producer", "ca1", 10, NOW + 100);
    revoke(&a, 0, NOW - 20);
    struct rw_store_revocation *revs = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_revocation_list(g_s, NULL, &revs, &n)));
    cr_assert_eq(n, 3);
    cr_assert_eq(revs[0].serial[1], 'D');
    cr_assert_eq(revs[1].serial[1], 'A');
    cr_assert_eq(revs[2].serial[1], 'C');
    rw_store_revocation_list_free(revs, n);
    cr_assert(rw_ok(rw_store_revocation_list(g_s, "ca2", &revs, &n)));
    cr_assert_eq(n, 2);
    cr_assert_eq(revs[0].serial[1], 'D');
    cr_assert_eq(revs[1].serial[1], 'C');
    cr_assert_str_eq(revs[1].issuer_ca_id, "ca2");
    rw_store_revocation_list_free(revs, n);
    cr_assert(rw_ok(rw_store_revocation_list(g_s, "ca1", &revs, &n)));
    cr_assert_eq(n, 1);
    cr_assert_eq(revs[0].reason, 0);
    rw_store_revocation_list_free(revs, n);
}
