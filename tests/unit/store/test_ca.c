/* tests/unit/store/test_ca.c — the `cas` table. */
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
    g_dir = tl_tmpdir("store-ca");
    cr_assert_not_null(g_dir);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_CREATE_NEW, &g_s)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_store_close(g_s);
    tl_rmtree(g_dir);
    free(g_dir);
}

TestSuite(store_ca, .init = setup, .fini = teardown, .timeout = 30);

static const uint8_t DER[] = {0x30, 0x82, 0x00, 0x03, 0x01, 0x00, 0x02};
static const char KEY[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";

/* A CA row borrowing static DER and key text (insert copies them). */
static struct rw_store_ca sample(const char *id, const char *parent, uint8_t tag, int64_t at)
{
    struct rw_store_ca ca;
    memset(&ca, 0, sizeof(ca));
    snprintf(ca.id, sizeof(ca.id), "%s", id);
    snprintf(ca.cn, sizeof(ca.cn), "%s CA", id);
    snprintf(ca.parent_id, sizeof(ca.parent_id), "%s", parent);
    memset(ca.serial, tag, 16);
    ca.serial[0] = 0x7f;
    ca.serial_len = 16;
    ca.cert_der = (uint8_t *)DER;
    ca.cert_der_len = sizeof(DER);
    ca.key_pem = (char *)KEY;
    ca.key_encrypted = true;
    snprintf(ca.key_alg, sizeof(ca.key_alg), "ec-p256");
    ca.path_len = parent[0] ? 0 : -1;
    ca.created_at = at;
    return ca;
}

static size_t count_cas(void)
{
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_ca_list(g_s, &cas, &n)));
    rw_store_ca_list_free(cas, n);
    return n;
}

Test(store_ca, insert_then_get_returns_every_field)
{
    struct rw_store_ca in = sample("root", "", 1, 1700000000);
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &in)), "%s", rw_err_detail());
    struct rw_store_ca out;
    cr_assert(rw_ok(rw_store_ca_get(g_s, "root", &out)), "%s", rw_err_detail());
    cr_assert_str_eq(out.id, "root");
    cr_assert_str_eq(out.cn, "root CA");
    cr_assert_str_eq(out.parent_id, "");
    cr_assert_eq(out.serial_len, 16);
    cr_assert(memcmp(out.serial, in.serial, 16) == 0);
    cr_assert_eq(out.cert_der_len, sizeof(DER));
    cr_assert(memcmp(out.cert_der, DER, sizeof(DER)) == 0);
    cr_assert(out.cert_der != DER, "the row must own a copy");
    cr_assert_str_eq(out.key_pem, KEY);
    cr_assert(out.key_encrypted);
    cr_assert_str_eq(out.key_alg, "ec-p256");
    cr_assert_eq(out.path_len, -1);
    cr_assert(!out.disabled);
    cr_assert_eq(out.crl_number, 0);
    cr_assert_eq(out.created_at, 1700000000);
    rw_store_ca_cleanup(&out);
    cr_assert_null(out.key_pem);
    cr_assert_null(out.cert_der);
    rw_store_ca_cleanup(&out); /* twice is harmless */
}

Test(store_ca, child_records_parent_and_plain_key)
{
    struct rw_store_ca root = sample("root", "", 1, 10);
    struct rw_store_ca sub = sample("issuing", "root", 2, 20);
    sub.key_encrypted = false;
    sub.key_pem = NULL; /* e.g. a CA whose key lives elsewhere */
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &root)));
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &sub)), "%s", rw_err_detail());
    struct rw_store_ca out;
    cr_assert(rw_ok(rw_store_ca_get(g_s, "issuing", &out)));
    cr_assert_str_eq(out.parent_id, "root");
    cr_assert_null(out.key_pem);
    cr_assert(!out.key_encrypted);
    cr_assert_eq(out.path_len, 0);
    rw_store_ca_cleanup(&out);
}

Test(store_ca, unknown_parent_is_not_found)
{
    struct rw_store_ca sub = sample("issuing", "ghost", 2, 20);
    struct rw_result r = rw_store_ca_insert(g_s, &sub);
    cr_assert_eq(r.err, RW_ERR_NOT_FOUND, "%s", rw_err_name(r.err));
    cr_assert_not_null(strstr(rw_err_detail(), "ghost"));
    cr_assert_eq(count_cas(), 0);
}

Test(store_ca, duplicate_id_or_serial_is_exists)
{
    struct rw_store_ca a = sample("root", "", 1, 10);
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &a)));
    struct rw_store_ca same_id = sample("root", "", 2, 20);
    cr_assert_eq(rw_store_ca_insert(g_s, &same_id).err, RW_ERR_EXISTS);
    struct rw_store_ca same_serial = sample("other", "", 1, 30);
    cr_assert_eq(rw_store_ca_insert(g_s, &same_serial).err, RW_ERR_EXISTS);
    cr_assert_not_null(strstr(rw_err_detail(), "cas.serial"), "%s", rw_err_detail());
    cr_assert_eq(count_cas(), 1);
}

Test(store_ca, get_unknown_is_not_found_and_zeroed)
{
    struct rw_store_ca out;
    memset(&out, 0xAA, sizeof(out));
    cr_assert_eq(rw_store_ca_get(g_s, "nope", &out).err, RW_ERR_NOT_FOUND);
    cr_assert_null(out.key_pem);
    cr_assert_null(out.cert_der);
    rw_store_ca_cleanup(&out);
}

Test(store_ca, list_is_oldest_first)
{
    struct rw_store_ca b = sample("b", "", 2, 30);
    struct rw_store_ca a = sample("a", "", 1, 10);
    struct rw_store_ca c = sample("c", "", 3, 20);
    struct rw_store_ca d = sample("d", "", 4, 20); /* same time: insertion order */
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &b)));
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &a)));
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &c)));
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &d)));
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_ca_list(g_s, &cas, &n)));
    cr_assert_eq(n, 4);
    cr_assert_str_eq(cas[0].id, "a");
    cr_assert_str_eq(cas[1].id, "c");
    cr_assert_str_eq(cas[2].id, "d");
    cr_assert_str_eq(cas[3].id, "b");
    cr_assert_str_eq(cas[3].key_pem, KEY);
    rw_store_ca_list_free(cas, n);
    rw_store_ca_list_free(NULL, 0);
}

Test(store_ca, set_disabled_round_trips)
{
    struct rw_store_ca a = sample("root", "", 1, 10);
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &a)));
    cr_assert(rw_ok(rw_store_ca_set_disabled(g_s, "root", true)));
    struct rw_store_ca out;
    cr_assert(rw_ok(rw_store_ca_get(g_s, "root", &out)));
    cr_assert(out.disabled);
    rw_store_ca_cleanup(&out);
    cr_assert(rw_ok(rw_store_ca_set_disabled(g_s, "root", false)));
    cr_assert(rw_ok(rw_store_ca_get(g_s, "root", &out)));
    cr_assert(!out.disabled);
    rw_store_ca_cleanup(&out);
    cr_assert_eq(rw_store_ca_set_disabled(g_s, "nope", true).err, RW_ERR_NOT_FOUND);
}

Test(store_ca, crl_number_increments_and_rolls_back)
{
    struct rw_store_ca a = sample("root", "", 1, 10);
    cr_assert(rw_ok(rw_store_ca_insert(g_s, &a)));
    uint64_t v = 0;
    cr_assert(rw_ok(rw_store_ca_next_crl_number(g_s, "root", &v)), "%s", rw_err_detail());
    cr_assert_eq(v, 1);
    cr_assert(rw_ok(rw_store_ca_next_crl_number(g_s, "root", &v)));
    cr_assert_eq(v, 2);
    cr_assert(rw_ok(rw_store_tx_begin(g_s)));
    cr_assert(rw_ok(rw_store_ca_next_crl_number(g_s, "root", &v)));
    cr_assert_eq(v, 3);
    rw_store_tx_rollback(g_s);
    cr_assert(rw_ok(rw_store_ca_next_crl_number(g_s, "root", &v)));
    cr_assert_eq(v, 3, "the rolled-back number is issued again");
    struct rw_store_ca out;
    cr_assert(rw_ok(rw_store_ca_get(g_s, "root", &out)));
    cr_assert_eq(out.crl_number, 3);
    rw_store_ca_cleanup(&out);
    cr_assert_eq(rw_store_ca_next_crl_number(g_s, "nope", &v).err, RW_ERR_NOT_FOUND);
    cr_assert(rw_ok(rw_store_tx_begin(g_s)), "a failed numbering must leave no transaction");
    /* inside a transaction a failure keeps the caller's transaction usable */
    cr_assert_eq(rw_store_ca_next_crl_number(g_s, "nope", &v).err, RW_ERR_NOT_FOUND);
    cr_assert(rw_ok(rw_store_ca_next_crl_number(g_s, "root", &v)));
    cr_assert_eq(v, 4);
    cr_assert(rw_ok(rw_store_tx_commit(g_s)), "%s", rw_err_detail());
    cr_assert(rw_ok(rw_store_ca_get(g_s, "root", &out)));
    cr_assert_eq(out.crl_number, 4);
    rw_store_ca_cleanup(&out);
}

Test(store_ca, malformed_rows_are_usage)
{
    struct rw_store_ca a = sample("root", "", 1, 10);
    a.serial_len = 0;
    cr_assert_eq(rw_store_ca_insert(g_s, &a).err, RW_ERR_USAGE);
    a.serial_len = RW_STORE_SERIAL_MAX + 1;
    cr_assert_eq(rw_store_ca_insert(g_s, &a).err, RW_ERR_USAGE);
    a = sample("", "", 1, 10);
    cr_assert_eq(rw_store_ca_insert(g_s, &a).err, RW_ERR_USAGE);
    a = sample("root", "", 1, 10);
    memset(a.id, 'x', sizeof(a.id)); /* not terminated */
    cr_assert_eq(rw_store_ca_insert(g_s, &a).err, RW_ERR_USAGE);
    cr_assert_eq(count_cas(), 0);
}
