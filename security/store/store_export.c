/* security/store/store_export.c — walking the whole `certificates` table a
 * page at a time (backups: `certs export --all`, offline and over RPC).
 *
 * A page is a list of keys (position, serial); callers read each row with
 * rw_store_cert_get, so a page costs one range scan on the rowid plus one
 * primary-key lookup per certificate, and memory stays bounded by the page.
 * The position is the row's rowid: certificates are never deleted, so
 * rowids only grow and a position handed to a client stays a valid resume
 * point while others keep issuing (new certificates land on later pages).
 */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

#define KEYS_SQL "SELECT rowid, serial FROM certificates WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"

static struct rw_result read_key(sqlite3_stmt *st, void *elem)
{
    struct rw_store_cert_key *k = elem;
    k->pos = sqlite3_column_int64(st, 0);
    return rw_store_col_serial(st, 1, k->serial, &k->serial_len);
}

static void key_cleanup(void *elem)
{
    (void)elem; /* nothing owned */
}

struct rw_result rw_store_cert_keys_after(struct rw_store *s, int64_t after, size_t limit,
                                          struct rw_store_cert_key **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad cert_keys_after arguments");
    *out = NULL;
    *n = 0;
    RW_ENSURE_MSG(after >= 0 && limit >= 1 && limit <= RW_STORE_KEYS_PAGE_MAX, RW_ERR_USAGE,
                  "store: a page starts at a position >= 0 and holds 1..%d keys",
                  RW_STORE_KEYS_PAGE_MAX);
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, KEYS_SQL, &st));
    const char *what = "listing certificates for an export";
    struct rw_result r = RW_SUCCESS;
    int rc = sqlite3_bind_int64(st, 1, after);
    rc |= sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    if (rc != SQLITE_OK) {
        r = STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    } else {
        void *arr = NULL;
        r = rw_store_sql_collect(s, st, sizeof(**out), read_key, key_cleanup, &arr, n, what);
        *out = arr;
    }
    sqlite3_finalize(st);
    return r;
}
