/* security/store/store_acl.c — the `acls` table: authorization rules.
 *
 * The store keeps rule text as security/sec_acl.c wrote it and checks only
 * sizes; interpreting patterns is not its business. Rows handed out own
 * nothing (fixed arrays), so rw_store_acl_list_free() is a plain free.
 */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

#define ACL_COLUMNS "id, principal, resource, ops, effect, created_at"

static struct rw_result check_acl(const struct rw_store_acl *a)
{
    RW_GUARD(rw_store_check_str(a->principal, sizeof(a->principal), true, "ACL principal"));
    RW_GUARD(rw_store_check_str(a->resource, sizeof(a->resource), true, "ACL resource"));
    RW_GUARD(rw_store_check_str(a->ops, sizeof(a->ops), true, "ACL operations"));
    RW_GUARD(rw_store_check_str(a->effect, sizeof(a->effect), true, "ACL effect"));
    return RW_SUCCESS;
}

struct rw_result rw_store_acl_insert(struct rw_store *s, const struct rw_store_acl *a,
                                     int64_t *id_out)
{
    RW_ENSURE_MSG(s && a, RW_ERR_USAGE, "store: bad acl_insert arguments");
    RW_GUARD(check_acl(a));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO acls(principal, resource, ops, effect, created_at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                                  &st));
    const char *what = "inserting an ACL rule";
    int rc = rw_store_bind_text(st, 1, a->principal);
    rc |= rw_store_bind_text(st, 2, a->resource);
    rc |= rw_store_bind_text(st, 3, a->ops);
    rc |= rw_store_bind_text(st, 4, a->effect);
    rc |= sqlite3_bind_int64(st, 5, a->created_at);
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (rw_ok(r) && id_out) {
        *id_out = sqlite3_last_insert_rowid(s->db);
    }
    return r;
}

/* Fills `elem` (zeroed by the caller) from a row selected with ACL_COLUMNS. */
static struct rw_result read_acl(sqlite3_stmt *st, void *elem)
{
    struct rw_store_acl *a = elem;
    a->id = sqlite3_column_int64(st, 0);
    RW_GUARD(rw_store_col_text(st, 1, a->principal, sizeof(a->principal), "ACL principal"));
    RW_GUARD(rw_store_col_text(st, 2, a->resource, sizeof(a->resource), "ACL resource"));
    RW_GUARD(rw_store_col_text(st, 3, a->ops, sizeof(a->ops), "ACL operation list"));
    RW_GUARD(rw_store_col_text(st, 4, a->effect, sizeof(a->effect), "ACL effect"));
    a->created_at = sqlite3_column_int64(st, 5);
    return RW_SUCCESS;
}

static void acl_cleanup_elem(void *elem)
{
    (void)elem; /* owns nothing */
}

struct rw_result rw_store_acl_get(struct rw_store *s, int64_t id, struct rw_store_acl *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad acl_get arguments");
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT " ACL_COLUMNS " FROM acls WHERE id = ?1", &st));
    struct rw_result r = RW_SUCCESS;
    int rc = sqlite3_bind_int64(st, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        r = read_acl(st, out);
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("no ACL rule with id %lld (see `ringward-admin acl list`)",
                          (long long)id);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading an ACL rule");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_acl_remove(struct rw_store *s, int64_t id)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "DELETE FROM acls WHERE id = ?1", &st));
    const char *what = "removing an ACL rule";
    int rc = sqlite3_bind_int64(st, 1, id);
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (rw_ok(r) && sqlite3_changes(s->db) == 0) {
        rw_err_detail_set("no ACL rule with id %lld (see `ringward-admin acl list`)",
                          (long long)id);
        return RW_ERR(RW_ERR_NOT_FOUND);
    }
    return r;
}

struct rw_result rw_store_acl_list(struct rw_store *s, struct rw_store_acl **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad acl_list arguments");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT " ACL_COLUMNS " FROM acls ORDER BY id", &st));
    void *arr = NULL;
    struct rw_result r = rw_store_sql_collect(s, st, sizeof(**out), read_acl, acl_cleanup_elem,
                                              &arr, n, "listing ACL rules");
    *out = arr;
    sqlite3_finalize(st);
    return r;
}

void rw_store_acl_list_free(struct rw_store_acl *a, size_t n)
{
    (void)n;
    free(a);
}
