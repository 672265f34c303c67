/* security/store/store_revocation.c — the `revocations` table.
 *
 * A revocation always refers to a stored certificate (foreign key) and
 * takes its issuer from that row; revoking twice is refused by the
 * primary key, so a serial has at most one revocation.
 */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

struct rw_result rw_store_revocation_insert(struct rw_store *s, const struct rw_store_revocation *rv)
{
    RW_ENSURE_MSG(s && rv, RW_ERR_USAGE, "store: bad revocation_insert arguments");
    RW_GUARD(rw_store_check_serial(rv->serial_len));
    sqlite3_stmt *st = NULL;
    /* One statement: the certificate lookup and the insert are atomic. */
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO revocations(serial, issuer_ca_id, reason, revoked_at)"
                                  " SELECT serial, issuer_ca_id, ?2, ?3 FROM certificates"
                                  " WHERE serial = ?1",
                                  &st));
    const char *what = "revoking a certificate";
    int rc = rw_store_bind_blob(st, 1, rv->serial, rv->serial_len);
    rc |= sqlite3_bind_int(st, 2, rv->reason);
    rc |= sqlite3_bind_int64(st, 3, rv->revoked_at);
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (r.err == RW_ERR_EXISTS) {
        rw_err_detail_set("this certificate is already revoked");
        return RW_ERR(RW_ERR_STATE);
    }
    if (rw_ok(r) && sqlite3_changes(s->db) == 0) {
        rw_err_detail_set("no certificate with this serial in the store");
        return RW_ERR(RW_ERR_NOT_FOUND);
    }
    return r;
}

static struct rw_result read_revocation(sqlite3_stmt *st, void *elem)
{
    struct rw_store_revocation *rv = elem;
    RW_GUARD(rw_store_col_serial(st, 0, rv->serial, &rv->serial_len));
    RW_GUARD(rw_store_col_text(st, 1, rv->issuer_ca_id, sizeof(rv->issuer_ca_id), "issuer CA id"));
    rv->reason = sqlite3_column_int(st, 2);
    rv->revoked_at = sqlite3_column_int64(st, 3);
    return RW_SUCCESS;
}

static void revocation_cleanup_elem(void *elem)
{
    (void)elem; /* owns nothing */
}

struct rw_result rw_store_revocation_list(struct rw_store *s, const char *issuer_ca_id,
                                          struct rw_store_revocation **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad revocation_list arguments");
    *out = NULL;
    *n = 0;
    RW_GUARD(rw_store_check_str(issuer_ca_id, RW_STORE_ID_MAX, false, "issuer CA id"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "SELECT serial, issuer_ca_id, reason, revoked_at FROM revocations"
                                  " WHERE ?1 IS NULL OR issuer_ca_id = ?1"
                                  " ORDER BY revoked_at, rowid",
                                  &st));
    const char *what = "listing revocations";
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_text(st, 1, issuer_ca_id);
    if (rc != SQLITE_OK) {
        r = STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    } else {
        void *arr = NULL;
        r = rw_store_sql_collect(s, st, sizeof(**out), read_revocation, revocation_cleanup_elem,
                                 &arr, n, what);
        *out = arr;
    }
    sqlite3_finalize(st);
    return r;
}

void rw_store_revocation_list_free(struct rw_store_revocation *r, size_t n)
{
    (void)n;
    free(r);
}
