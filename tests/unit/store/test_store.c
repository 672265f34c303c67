/* tests/unit/store/test_store.c — opening, creating, refusing damaged or
 * newer files, file modes, transactions and settings. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "security/store/store.h"
#include "tests/testlib/tl_fs.h"

static char *g_dir;

static void setup(void)
{
    g_dir = tl_tmpdir("store");
    cr_assert_not_null(g_dir);
}

static void teardown(void)
{
    tl_rmtree(g_dir);
    free(g_dir);
}

TestSuite(store_open, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(store_tx, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(store_meta, .init = setup, .fini = teardown, .timeout = 30);

/* "g_dir/name" in a static buffer (one at a time). */
static const char *under(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "%s/%s", g_dir, name);
    return buf;
}

static const char *db_path(void)
{
    return under(RW_STORE_FILE);
}

static struct rw_store *create(void)
{
    struct rw_store *s = NULL;
    struct rw_result r = rw_store_open(g_dir, RW_STORE_CREATE_NEW, &s);
    cr_assert(rw_ok(r), "create: %s", rw_err_detail());
    cr_assert_not_null(s);
    return s;
}

static struct rw_store *reopen(void)
{
    struct rw_store *s = NULL;
    struct rw_result r = rw_store_open(g_dir, RW_STORE_OPEN_EXISTING, &s);
    cr_assert(rw_ok(r), "open: %s", rw_err_detail());
    return s;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Runs SQL on the database file directly, bypassing the store. */
static int raw_exec(const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(db_path(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return rc;
}

/* Opening must fail with `want` and leave the file's bytes as they were. */
static void assert_refused_unchanged(enum rw_err want, const char *detail_has)
{
    size_t before_len = 0, after_len = 0;
    char *before = tl_read_file(db_path(), &before_len);
    cr_assert_not_null(before);
    struct rw_store *s = (struct rw_store *)0x1;
    struct rw_result r = rw_store_open(g_dir, RW_STORE_OPEN_EXISTING, &s);
    cr_assert_eq(r.err, want, "got %s: %s", rw_err_name(r.err), rw_err_detail());
    cr_assert_null(s);
    cr_assert_not_null(strstr(rw_err_detail(), detail_has), "detail: %s", rw_err_detail());
    char *after = tl_read_file(db_path(), &after_len);
    cr_assert_not_null(after);
    cr_assert_eq(after_len, before_len);
    cr_assert(memcmp(before, after, before_len) == 0, "the file was modified");
    cr_assert(!exists(under(RW_STORE_FILE "-wal")), "a WAL file was left behind");
    cr_assert(!exists(under(RW_STORE_FILE "-shm")), "a shared-memory file was left behind");
    free(before);
    free(after);
}

Test(store_open, create_then_reopen_keeps_data)
{
    struct rw_store *s = create();
    cr_assert(rw_ok(rw_store_meta_set(s, "default_ca", "root")));
    rw_store_close(s);
    s = reopen();
    char v[RW_STORE_ID_MAX];
    cr_assert(rw_ok(rw_store_meta_get(s, "default_ca", v, sizeof(v))));
    cr_assert_str_eq(v, "root");
    rw_store_close(s);
}

Test(store_open, create_makes_private_parent_dirs)
{
    umask(0); /* the modes must not depend on the caller's umask */
    const char *nested = under("a/b/data");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", nested);
    struct rw_store *s = NULL;
    cr_assert(rw_ok(rw_store_open(dir, RW_STORE_CREATE_NEW, &s)), "%s", rw_err_detail());
    cr_assert_eq(tl_file_mode(dir), 0700);
    char db[1100];
    snprintf(db, sizeof(db), "%s/%s", dir, RW_STORE_FILE);
    cr_assert_eq(tl_file_mode(db), 0600);
    cr_assert(rw_ok(rw_store_event_append(s, "t", "test.write", "x", "{}", NULL)));
    char side[1200];
    snprintf(side, sizeof(side), "%s-wal", db);
    cr_assert(exists(side), "WAL mode: expected %s while open", side);
    cr_assert_eq(tl_file_mode(side), 0600);
    snprintf(side, sizeof(side), "%s-shm", db);
    cr_assert_eq(tl_file_mode(side), 0600);
    rw_store_close(s);
    cr_assert_eq(tl_file_mode(db), 0600);
}

Test(store_open, missing_store_is_not_found_and_creates_nothing)
{
    const char *absent = under("nope");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", absent);
    struct rw_store *s = NULL;
    struct rw_result r = rw_store_open(dir, RW_STORE_OPEN_EXISTING, &s);
    cr_assert_eq(r.err, RW_ERR_NOT_FOUND);
    cr_assert_null(s);
    cr_assert_not_null(strstr(rw_err_detail(), "ringward-admin init"), "%s", rw_err_detail());
    cr_assert(!exists(dir));
    /* An existing but empty data directory stays empty. */
    r = rw_store_open(g_dir, RW_STORE_OPEN_EXISTING, &s);
    cr_assert_eq(r.err, RW_ERR_NOT_FOUND);
    cr_assert(!exists(db_path()));
    cr_assert(!exists(under(RW_STORE_FILE "-wal")));
}

Test(store_open, create_twice_is_exists_and_keeps_the_store)
{
    struct rw_store *s = create();
    cr_assert(rw_ok(rw_store_meta_set(s, "k", "v1")));
    rw_store_close(s);
    s = (struct rw_store *)0x1;
    struct rw_result r = rw_store_open(g_dir, RW_STORE_CREATE_NEW, &s);
    cr_assert_eq(r.err, RW_ERR_EXISTS);
    cr_assert_null(s);
    s = reopen();
    char v[8];
    cr_assert(rw_ok(rw_store_meta_get(s, "k", v, sizeof(v))));
    cr_assert_str_eq(v, "v1");
    rw_store_close(s);
}

Test(store_open, schema_and_pragmas)
{
    rw_store_close(create());
    /* Only the database is left: no temporary file, no WAL after close. */
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep -v '^%s$')\"", g_dir,
             RW_STORE_FILE);
    cr_assert_eq(system(cmd), 0, "stray files in %s", g_dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(db_path(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), RW_STORE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    static const char *const probes[] = {
        "SELECT key, value FROM meta",
        "SELECT id, cn, parent_id, serial, cert_der, key_pem, key_encrypted, key_alg, path_len,"
        " disabled, crl_number, created_at FROM cas",
        "SELECT serial, issuer_ca_id, is_ca, principal, role, not_before, not_after, issued_at,"
        " der FROM certificates",
        "SELECT serial, issuer_ca_id, reason, revoked_at FROM revocations",
        "SELECT id, principal, resource, ops, effect, created_at FROM acls",
        "SELECT id, principal, role, csr_der, status, created_at, cert_serial FROM csr_requests",
        "SELECT hash, principal, role, expires_at, used_at FROM enrollment_tokens",
        "SELECT seq, at, actor, kind, object, payload FROM events",
    };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        int rc = sqlite3_prepare_v2(db, probes[i], -1, &st, NULL);
        cr_assert_eq(rc, SQLITE_OK, "%s: %s", probes[i], sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

Test(store_open, newer_schema_is_refused_unchanged)
{
    rw_store_close(create());
    cr_assert_eq(raw_exec("PRAGMA user_version = 99"), SQLITE_OK);
    assert_refused_unchanged(RW_ERR_IO_VERSION, "newer");
}

Test(store_open, garbage_file_is_corrupt_unchanged)
{
    uint8_t junk[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    cr_assert(tl_write_file(db_path(), junk, sizeof(junk)));
    assert_refused_unchanged(RW_ERR_IO_CORRUPT, db_path());
}

Test(store_open, truncated_store_is_corrupt_unchanged)
{
    struct rw_store *s = create();
    char payload[2048];
    memset(payload, 'p', sizeof(payload) - 1);
    payload[sizeof(payload) - 1] = '\0';
    for (int i = 0; i < 64; i++) {
        cr_assert(rw_ok(rw_store_event_append(s, "t", "test.fill", "x", payload, NULL)));
    }
    rw_store_close(s);
    size_t len = 0;
    char *bytes = tl_read_file(db_path(), &len);
    cr_assert_not_null(bytes);
    cr_assert_gt(len, 64 * 1024, "the store should span many pages");
    cr_assert_eq(truncate(db_path(), (off_t)(len / 2)), 0);
    free(bytes);
    assert_refused_unchanged(RW_ERR_IO_CORRUPT, "damaged");
}

Test(store_open, foreign_database_and_empty_file_are_corrupt)
{
    cr_assert_eq(raw_exec("CREATE TABLE other(x)"), SQLITE_OK); /* creates the file */
    assert_refused_unchanged(RW_ERR_IO_CORRUPT, "not a Ringward store");
    cr_assert_eq(unlink(db_path()), 0);
    cr_assert(tl_write_file(db_path(), "", 0));
    assert_refused_unchanged(RW_ERR_IO_CORRUPT, "not a Ringward store");
}

Test(store_open, missing_tables_are_corrupt)
{
    rw_store_close(create());
    cr_assert_eq(raw_exec("DROP TABLE acls"), SQLITE_OK);
    assert_refused_unchanged(RW_ERR_IO_CORRUPT, "store tables");
}

Test(store_open, bad_arguments_are_usage)
{
    struct rw_store *s = NULL;
    cr_assert_eq(rw_store_open(NULL, RW_STORE_OPEN_EXISTING, &s).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_open("", RW_STORE_CREATE_NEW, &s).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_open(g_dir, (enum rw_store_mode)7, &s).err, RW_ERR_USAGE);
    cr_assert_null(s);
    rw_store_close(NULL);
}

static struct rw_store_cert sample_cert(uint8_t tag)
{
    struct rw_store_cert c;
    memset(&c, 0, sizeof(c));
    memset(c.serial, tag, 16);
    c.serial_len = 16;
    snprintf(c.issuer_ca_id, sizeof(c.issuer_ca_id), "root");
    snprintf(c.principal, sizeof(c.principal), "svc-%u", tag);
    snprintf(c.role, sizeof(c.role), "producer");
    c.not_before = 1000;
    c.not_after = 2000;
    c.issued_at = 1000;
    return c;
}

Test(store_tx, rollback_leaves_nothing)
{
    struct rw_store *s = create();
    struct rw_store_cert c = sample_cert(1);
    cr_assert(rw_ok(rw_store_tx_begin(s)));
    cr_assert(rw_ok(rw_store_cert_insert(s, &c)));
    cr_assert(rw_ok(rw_store_event_append(s, "admin", "cert.issued", "01", "{}", NULL)));
    rw_store_tx_rollback(s);
    struct rw_store_cert got;
    cr_assert_eq(rw_store_cert_get(s, c.serial, c.serial_len, &got).err, RW_ERR_NOT_FOUND);
    int64_t seq = -1;
    cr_assert(rw_ok(rw_store_event_last_seq(s, &seq)));
    cr_assert_eq(seq, 0);
    rw_store_close(s);
    s = reopen(); /* and nothing reached the file */
    cr_assert_eq(rw_store_cert_get(s, c.serial, c.serial_len, &got).err, RW_ERR_NOT_FOUND);
    cr_assert(rw_ok(rw_store_event_last_seq(s, &seq)));
    cr_assert_eq(seq, 0);
    rw_store_close(s);
}

Test(store_tx, commit_persists_and_close_rolls_back_open_tx)
{
    struct rw_store *s = create();
    struct rw_store_cert a = sample_cert(1), b = sample_cert(2);
    cr_assert(rw_ok(rw_store_tx_begin(s)));
    cr_assert(rw_ok(rw_store_cert_insert(s, &a)));
    cr_assert(rw_ok(rw_store_event_append(s, "admin", "cert.issued", "01", "{}", NULL)));
    cr_assert(rw_ok(rw_store_tx_commit(s)));
    cr_assert(rw_ok(rw_store_tx_begin(s)));
    cr_assert(rw_ok(rw_store_cert_insert(s, &b)));
    rw_store_close(s); /* never committed */
    s = reopen();
    struct rw_store_cert got;
    cr_assert(rw_ok(rw_store_cert_get(s, a.serial, a.serial_len, &got)));
    rw_store_cert_cleanup(&got);
    cr_assert_eq(rw_store_cert_get(s, b.serial, b.serial_len, &got).err, RW_ERR_NOT_FOUND);
    int64_t seq = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(s, &seq)));
    cr_assert_eq(seq, 1);
    rw_store_close(s);
}

Test(store_tx, transactions_do_not_nest)
{
    struct rw_store *s = create();
    cr_assert_eq(rw_store_tx_commit(s).err, RW_ERR_STATE);
    cr_assert(rw_ok(rw_store_tx_begin(s)));
    cr_assert_eq(rw_store_tx_begin(s).err, RW_ERR_STATE);
    cr_assert(rw_ok(rw_store_tx_commit(s)));
    rw_store_tx_rollback(s); /* nothing open: harmless */
    cr_assert(rw_ok(rw_store_tx_begin(s)));
    rw_store_tx_rollback(s);
    rw_store_close(s);
}

Test(store_tx, a_second_handle_reads_committed_state_while_a_writer_is_open)
{
    struct rw_store *w = create();
    struct rw_store *r = reopen();
    struct rw_store_cert c = sample_cert(3);
    cr_assert(rw_ok(rw_store_tx_begin(w)));
    cr_assert(rw_ok(rw_store_cert_insert(w, &c)));
    struct rw_store_cert *list = NULL;
    size_t n = 99;
    cr_assert(rw_ok(rw_store_cert_list(r, NULL, &list, &n)), "%s", rw_err_detail());
    cr_assert_eq(n, 0, "uncommitted rows must be invisible");
    rw_store_cert_list_free(list, n);
    cr_assert(rw_ok(rw_store_tx_commit(w)));
    cr_assert(rw_ok(rw_store_cert_list(r, NULL, &list, &n)));
    cr_assert_eq(n, 1);
    rw_store_cert_list_free(list, n);
    rw_store_close(r);
    rw_store_close(w);
}

Test(store_meta, set_get_overwrite_and_limits)
{
    struct rw_store *s = create();
    char v[8] = "junk";
    cr_assert_eq(rw_store_meta_get(s, "insecure_dev_keys", v, sizeof(v)).err, RW_ERR_NOT_FOUND);
    cr_assert(rw_ok(rw_store_meta_set(s, "insecure_dev_keys", "1")));
    cr_assert(rw_ok(rw_store_meta_get(s, "insecure_dev_keys", v, sizeof(v))));
    cr_assert_str_eq(v, "1");
    cr_assert(rw_ok(rw_store_meta_set(s, "insecure_dev_keys", "0")));
    cr_assert(rw_ok(rw_store_meta_get(s, "insecure_dev_keys", v, sizeof(v))));
    cr_assert_str_eq(v, "0");
    cr_assert(rw_ok(rw_store_meta_set(s, "long", "0123456789")));
    cr_assert_eq(rw_store_meta_get(s, "long", v, sizeof(v)).err, RW_ERR_LIMIT);
    cr_assert_eq(rw_store_meta_set(s, "", "x").err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_meta_set(s, "k", NULL).err, RW_ERR_USAGE);
    rw_store_close(s);
}
