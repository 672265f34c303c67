/* tests/unit/store/test_event.c — the append-only events log. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/store/store.h"
#include "tests/testlib/tl_fs.h"

static char *g_dir;
static struct rw_store *g_s;

static void setup(void)
{
    g_dir = tl_tmpdir("store-event");
    cr_assert_not_null(g_dir);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_CREATE_NEW, &g_s)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_store_close(g_s);
    tl_rmtree(g_dir);
    free(g_dir);
}

TestSuite(store_event, .init = setup, .fini = teardown, .timeout = 30);

static int64_t append(const char *kind, const char *object)
{
    int64_t seq = -1;
    cr_assert(rw_ok(rw_store_event_append(g_s, "admin:alice", kind, object, "{\"k\":1}", &seq)),
              "%s", rw_err_detail());
    return seq;
}

Test(store_event, append_and_list_round_trip)
{
    int64_t before = (int64_t)time(NULL);
    int64_t s1 = append("ca.created", "root");
    int64_t s2 = append("cert.issued", "4001");
    int64_t s3 = append("cert.revoked", "4001");
    int64_t after = (int64_t)time(NULL);
    cr_assert_gt(s1, 0);
    cr_assert_gt(s2, s1);
    cr_assert_gt(s3, s2);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    cr_assert_eq(n, 3);
    cr_assert_eq(ev[0].seq, s1);
    cr_assert_eq(ev[2].seq, s3);
    cr_assert_str_eq(ev[0].actor, "admin:alice");
    cr_assert_str_eq(ev[0].kind, "ca.created");
    cr_assert_str_eq(ev[0].object, "root");
    cr_assert_str_eq(ev[0].payload, "{\"k\":1}");
    cr_assert_str_eq(ev[1].kind, "cert.issued");
    cr_assert_str_eq(ev[2].kind, "cert.revoked");
    cr_assert(ev[1].at >= before && ev[1].at <= after, "at=%lld", (long long)ev[1].at);
    rw_store_event_list_free(ev, n);
    rw_store_event_list_free(NULL, 0);
}

Test(store_event, since_and_limit)
{
    int64_t seq[5];
    for (int i = 0; i < 5; i++) {
        seq[i] = append("test.n", "x");
    }
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, seq[1], 0, &ev, &n)));
    cr_assert_eq(n, 3);
    cr_assert_eq(ev[0].seq, seq[2]);
    cr_assert_eq(ev[2].seq, seq[4]);
    rw_store_event_list_free(ev, n);
    cr_assert(rw_ok(rw_store_event_list(g_s, seq[1], 2, &ev, &n)));
    cr_assert_eq(n, 2);
    cr_assert_eq(ev[0].seq, seq[2]);
    cr_assert_eq(ev[1].seq, seq[3]);
    rw_store_event_list_free(ev, n);
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 1, &ev, &n)));
    cr_assert_eq(n, 1);
    cr_assert_eq(ev[0].seq, seq[0]);
    rw_store_event_list_free(ev, n);
    cr_assert(rw_ok(rw_store_event_list(g_s, seq[4], 0, &ev, &n)));
    cr_assert_eq(n, 0);
    cr_assert_null(ev);
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, SIZE_MAX, &ev, &n)));
    cr_assert_eq(n, 5);
    rw_store_event_list_free(ev, n);
}

Test(store_event, last_seq)
{
    int64_t last = -1;
    cr_assert(rw_ok(rw_store_event_last_seq(g_s, &last)));
    cr_assert_eq(last, 0);
    append("test.a", "x");
    int64_t s2 = append("test.b", "x");
    cr_assert(rw_ok(rw_store_event_last_seq(g_s, &last)));
    cr_assert_eq(last, s2);
}

Test(store_event, absent_fields_read_back_empty)
{
    int64_t seq = 0;
    cr_assert(rw_ok(rw_store_event_append(g_s, NULL, "test.bare", NULL, NULL, &seq)));
    cr_assert(rw_ok(rw_store_event_append(g_s, "a", "test.noseq", "o", "{}", NULL)));
    cr_assert_eq(rw_store_event_append(g_s, "a", NULL, "o", "{}", NULL).err, RW_ERR_USAGE);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    cr_assert_eq(n, 2);
    cr_assert_eq(ev[0].seq, seq);
    cr_assert_str_eq(ev[0].actor, "");
    cr_assert_str_eq(ev[0].object, "");
    cr_assert_str_eq(ev[0].payload, "{}");
    rw_store_event_list_free(ev, n);
}

/* Runs one statement on the file directly; returns the SQLite result. */
static int raw_exec(const char *sql, char *msg, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", g_dir, RW_STORE_FILE);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        snprintf(msg, cap, "%s", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return rc;
}

Test(store_event, update_and_delete_are_refused_by_the_file_itself)
{
    append("ca.created", "root");
    append("cert.issued", "4001");
    char msg[256];
    int rc = raw_exec("UPDATE events SET kind = 'forged' WHERE seq = 1", msg, sizeof(msg));
    cr_assert_eq(rc, SQLITE_CONSTRAINT, "rc=%d %s", rc, msg);
    cr_assert_not_null(strstr(msg, "append-only"), "%s", msg);
    rc = raw_exec("DELETE FROM events", msg, sizeof(msg));
    cr_assert_eq(rc, SQLITE_CONSTRAINT, "rc=%d %s", rc, msg);
    rc = raw_exec("INSERT INTO events(at, actor, kind, object, payload)"
                  " VALUES (1, 'x', 'test.raw', 'o', '{}')",
                  msg, sizeof(msg));
    cr_assert_eq(rc, SQLITE_OK, "appending stays allowed: %s", msg);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    cr_assert_eq(n, 3);
    cr_assert_str_eq(ev[0].kind, "ca.created");
    cr_assert_str_eq(ev[2].kind, "test.raw");
    rw_store_event_list_free(ev, n);
}

Test(store_event, rolled_back_events_vanish)
{
    append("test.kept", "x");
    cr_assert(rw_ok(rw_store_tx_begin(g_s)));
    append("test.dropped", "y");
    rw_store_tx_rollback(g_s);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ev[0].kind, "test.kept");
    rw_store_event_list_free(ev, n);
    int64_t last = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(g_s, &last)));
    cr_assert_eq(last, 1);
}

Test(store_event, latest_by_kind_and_object)
{
    append("cert.superseded", "AA");
    cr_assert(rw_ok(rw_store_event_append(g_s, "x", "cert.superseded", "AA", "{\"by\":\"CC\"}",
                                          NULL)));
    append("cert.revoked", "AA");
    append("cert.superseded", "BB");
    struct rw_store_event e;
    cr_assert(rw_ok(rw_store_event_latest(g_s, "cert.superseded", "AA", &e)), "%s",
              rw_err_detail());
    cr_assert_str_eq(e.payload, "{\"by\":\"CC\"}", "the newest of its kind and object");
    cr_assert_str_eq(e.actor, "x");
    rw_store_event_cleanup(&e);
    cr_assert_eq(rw_store_event_latest(g_s, "cert.superseded", "DD", &e).err, RW_ERR_NOT_FOUND);
    cr_assert_eq(rw_store_event_latest(g_s, "ca.created", "AA", &e).err, RW_ERR_NOT_FOUND);
}

Test(store_event, an_older_store_gets_the_event_index_when_opened)
{
    rw_store_close(g_s);
    g_s = NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/ringward.db", g_dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "DROP INDEX events_kind_object", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_OPEN_EXISTING, &g_s)), "%s", rw_err_detail());
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                        " AND name = 'events_kind_object'", -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 1, "re-created at open");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
