/* security/store/store_tx.c — transactions and the `meta` settings table. */
#include <string.h>

#include "security/store/store_internal.h"

struct rw_result rw_store_tx_begin(struct rw_store *s)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    RW_ENSURE_MSG(sqlite3_get_autocommit(s->db), RW_ERR_STATE,
                  "store: a transaction is already open (they do not nest)");
    /* IMMEDIATE takes the write lock now (waiting up to the busy timeout),
     * so a later write in the transaction cannot fail with BUSY. */
    return rw_store_sql_exec(s, "BEGIN IMMEDIATE", "starting a store transaction");
}

struct rw_result rw_store_tx_commit(struct rw_store *s)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    RW_ENSURE_MSG(!sqlite3_get_autocommit(s->db), RW_ERR_STATE,
                  "store: no transaction to commit");
    struct rw_result r = rw_store_sql_exec(s, "COMMIT", "committing a store transaction");
    if (!rw_ok(r)) {
        rw_store_tx_rollback(s); /* a failed COMMIT may leave it open: nothing changes */
    }
    return r;
}

void rw_store_tx_rollback(struct rw_store *s)
{
    if (s && !sqlite3_get_autocommit(s->db)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

struct rw_result rw_store_meta_get(struct rw_store *s, const char *key, char *out, size_t cap)
{
    RW_ENSURE_MSG(s && out && cap > 0, RW_ERR_USAGE, "store: bad meta_get arguments");
    RW_GUARD(rw_store_check_str(key, RW_STORE_NAME_MAX, true, "setting name"));
    out[0] = '\0';
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT value FROM meta WHERE key = ?1", &st));
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_text(st, 1, key);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        size_t n = v ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        if (n >= cap) {
            rw_err_detail_set("store: setting '%s' has %zu bytes, more than the %zu expected", key,
                              n, cap - 1);
            r = RW_ERR(RW_ERR_LIMIT);
        } else {
            memcpy(out, v ? (const char *)v : "", n);
            out[n] = '\0';
        }
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("store: no setting '%s'", key);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading a setting");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_meta_set(struct rw_store *s, const char *key, const char *value)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    RW_GUARD(rw_store_check_str(key, RW_STORE_NAME_MAX, true, "setting name"));
    RW_ENSURE_MSG(value, RW_ERR_USAGE, "store: setting '%s' needs a value", key);
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                                  " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                  &st));
    int rc = rw_store_bind_text(st, 1, key);
    if (rc == SQLITE_OK) {
        rc = rw_store_bind_text(st, 2, value);
    }
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, "writing a setting")
                                         : STORE_SQL_ERR(s->db, rc, "writing a setting");
    sqlite3_finalize(st);
    return r;
}
