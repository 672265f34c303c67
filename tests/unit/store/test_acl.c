/* tests/unit/store/test_acl.c — the `acls` table: insert, get, remove, list. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/store/store.h"
#include "tests/testlib/tl_fs.h"

static char *g_dir;
static struct rw_store *g_s;

static void setup(void)
{
    g_dir = tl_tmpdir("store-acl");
    cr_assert_not_null(g_dir);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_CREATE_NEW, &g_s)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_store_close(g_s);
    tl_rmtree(g_dir);
    free(g_dir);
}

TestSuite(store_acl, .init = setup, .fini = teardown, .timeout = 30);

static struct rw_store_acl row(const char *principal, const char *resource, const char *ops,
                               const char *effect)
{
    struct rw_store_acl a;
    memset(&a, 0, sizeof(a));
    snprintf(a.principal, sizeof(a.principal), "%s", principal);
    snprintf(a.resource, sizeof(a.resource), "%s", resource);
    snprintf(a.ops, sizeof(a.ops), "%s", ops);
    snprintf(a.effect, sizeof(a.effect), "%s", effect);
    a.created_at = 1700000000;
    return a;
}

static int64_t insert(const char *principal, const char *resource, const char *ops,
                      const char *effect)
{
    struct rw_store_acl a = row(principal, resource, ops, effect);
    int64_t id = 0;
    cr_assert(rw_ok(rw_store_acl_insert(g_s, &a, &id)), "%s", rw_err_detail());
    return id;
}

static void raw_exec(const char *sql)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/" RW_STORE_FILE, g_dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

Test(store_acl, insert_get_and_list_round_trip_oldest_first)
{
    int64_t a = insert("producer-1", "demo.*", "produce", "allow");
    int64_t b = insert("*", "cluster", "all", "deny");
    int64_t c = insert("svc-*", "orders.eu", "consume,describe", "allow");
    cr_assert_gt(a, 0);
    cr_assert_gt(b, a);
    cr_assert_gt(c, b);
    struct rw_store_acl got;
    cr_assert(rw_ok(rw_store_acl_get(g_s, b, &got)));
    cr_assert_eq(got.id, b);
    cr_assert_str_eq(got.principal, "*");
    cr_assert_str_eq(got.resource, "cluster");
    cr_assert_str_eq(got.ops, "all");
    cr_assert_str_eq(got.effect, "deny");
    cr_assert_eq(got.created_at, 1700000000);
    struct rw_store_acl *list = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_acl_list(g_s, &list, &n)));
    cr_assert_eq(n, 3);
    cr_assert_eq(list[0].id, a);
    cr_assert_eq(list[1].id, b);
    cr_assert_eq(list[2].id, c);
    cr_assert_str_eq(list[0].principal, "producer-1");
    cr_assert_str_eq(list[2].ops, "consume,describe");
    rw_store_acl_list_free(list, n);
    rw_store_acl_list_free(NULL, 0);
}

Test(store_acl, empty_list)
{
    struct rw_store_acl *list = (struct rw_store_acl *)1;
    size_t n = 7;
    cr_assert(rw_ok(rw_store_acl_list(g_s, &list, &n)));
    cr_assert_eq(n, 0);
    rw_store_acl_list_free(list, n);
}

Test(store_acl, remove_then_unknown_is_not_found_and_ids_are_not_reused)
{
    int64_t a = insert("p", "x", "produce", "allow");
    int64_t b = insert("q", "y", "consume", "allow");
    cr_assert(rw_ok(rw_store_acl_remove(g_s, b)));
    cr_assert_eq(rw_store_acl_remove(g_s, b).err, RW_ERR_NOT_FOUND);
    cr_assert(strstr(rw_err_detail(), "no ACL rule with id"), "%s", rw_err_detail());
    cr_assert_eq(rw_store_acl_remove(g_s, 9999).err, RW_ERR_NOT_FOUND);
    struct rw_store_acl got;
    cr_assert_eq(rw_store_acl_get(g_s, b, &got).err, RW_ERR_NOT_FOUND);
    int64_t c = insert("r", "z", "admin", "deny");
    cr_assert_gt(c, b, "AUTOINCREMENT: a removed id never names another rule");
    struct rw_store_acl *list = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_acl_list(g_s, &list, &n)));
    cr_assert_eq(n, 2);
    cr_assert_eq(list[0].id, a);
    cr_assert_eq(list[1].id, c);
    rw_store_acl_list_free(list, n);
}

Test(store_acl, rolled_back_insert_leaves_nothing)
{
    cr_assert(rw_ok(rw_store_tx_begin(g_s)));
    insert("p", "x", "produce", "allow");
    rw_store_tx_rollback(g_s);
    struct rw_store_acl *list = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_acl_list(g_s, &list, &n)));
    cr_assert_eq(n, 0);
    rw_store_acl_list_free(list, n);
}

Test(store_acl, bad_arguments_are_usage_errors)
{
    struct rw_store_acl a = row("", "x", "produce", "allow");
    cr_assert_eq(rw_store_acl_insert(g_s, &a, NULL).err, RW_ERR_USAGE);
    a = row("p", "", "produce", "allow");
    cr_assert_eq(rw_store_acl_insert(g_s, &a, NULL).err, RW_ERR_USAGE);
    a = row("p", "x", "", "allow");
    cr_assert_eq(rw_store_acl_insert(g_s, &a, NULL).err, RW_ERR_USAGE);
    a = row("p", "x", "produce", "");
    cr_assert_eq(rw_store_acl_insert(g_s, &a, NULL).err, RW_ERR_USAGE);
    a = row("p", "x", "produce", "allow");
    memset(a.principal, 'p', sizeof(a.principal)); /* unterminated */
    cr_assert_eq(rw_store_acl_insert(g_s, &a, NULL).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_acl_insert(NULL, &a, NULL).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_acl_insert(g_s, NULL, NULL).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_acl_remove(NULL, 1).err, RW_ERR_USAGE);
    struct rw_store_acl *list = NULL;
    size_t n = 0;
    cr_assert_eq(rw_store_acl_list(g_s, NULL, &n).err, RW_ERR_USAGE);
    cr_assert(rw_ok(rw_store_acl_list(g_s, &list, &n)));
    cr_assert_eq(n, 0, "nothing was inserted");
    rw_store_acl_list_free(list, n);
}

Test(store_acl, an_oversized_row_is_corrupt)
{
    insert("p", "x", "produce", "allow");
    raw_exec("UPDATE acls SET principal = hex(zeroblob(150))");
    struct rw_store_acl *list = NULL;
    size_t n = 0;
    cr_assert_eq(rw_store_acl_list(g_s, &list, &n).err, RW_ERR_IO_CORRUPT);
    cr_assert_null(list);
    cr_assert_eq(n, 0);
    struct rw_store_acl got;
    cr_assert_eq(rw_store_acl_get(g_s, 1, &got).err, RW_ERR_IO_CORRUPT);
}
