/* security/store/store_cert.c — the `certificates` table (leaves and CA
 * certificates), read together with their revocation, if any.
 *
 * Rows handed out own `der`; rw_store_cert_cleanup() frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

/* Certificate columns, then revocation columns (NULL when not revoked). */
#define CERT_SELECT                                                                       \
    "SELECT c.serial, c.issuer_ca_id, c.is_ca, c.principal, c.role, c.not_before,"        \
    " c.not_after, c.issued_at, c.der, r.serial IS NOT NULL, r.reason, r.revoked_at"       \
    " FROM certificates c LEFT JOIN revocations r ON r.serial = c.serial"

/* Filters are bound, never spliced: a NULL parameter matches anything.
 * ?4 is the status: ANY, ACTIVE (not revoked, not_after > now), REVOKED,
 * EXPIRED (not_after <= now, revoked or not). */
#define CERT_WHERE                                                                        \
    " WHERE (?1 IS NULL OR c.principal = ?1) AND (?2 IS NULL OR c.role = ?2)"             \
    " AND (?3 IS NULL OR c.issuer_ca_id = ?3)"                                            \
    " AND (?4 = 0 OR (?4 = 1 AND r.serial IS NULL AND c.not_after > ?5)"                  \
    "  OR (?4 = 2 AND r.serial IS NOT NULL) OR (?4 = 3 AND c.not_after <= ?5))"           \
    " ORDER BY c.issued_at, c.rowid"

static struct rw_result check_cert(const struct rw_store_cert *c)
{
    RW_GUARD(rw_store_check_serial(c->serial_len));
    RW_GUARD(rw_store_check_str(c->issuer_ca_id, sizeof(c->issuer_ca_id), true, "issuer CA id"));
    RW_GUARD(rw_store_check_str(c->principal, sizeof(c->principal), true, "principal"));
    RW_GUARD(rw_store_check_str(c->role, sizeof(c->role), true, "role"));
    return RW_SUCCESS;
}

struct rw_result rw_store_cert_insert(struct rw_store *s, const struct rw_store_cert *c)
{
    RW_ENSURE_MSG(s && c, RW_ERR_USAGE, "store: bad cert_insert arguments");
    RW_GUARD(check_cert(c));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO certificates(serial, issuer_ca_id, is_ca, principal,"
                                  " role, not_before, not_after, issued_at, der)"
                                  " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                                  &st));
    int rc = rw_store_bind_blob(st, 1, c->serial, c->serial_len);
    rc |= rw_store_bind_text(st, 2, c->issuer_ca_id);
    rc |= sqlite3_bind_int(st, 3, c->is_ca ? 1 : 0);
    rc |= rw_store_bind_text(st, 4, c->principal);
    rc |= rw_store_bind_text(st, 5, c->role);
    rc |= sqlite3_bind_int64(st, 6, c->not_before);
    rc |= sqlite3_bind_int64(st, 7, c->not_after);
    rc |= sqlite3_bind_int64(st, 8, c->issued_at);
    rc |= rw_store_bind_blob(st, 9, c->der, c->der_len);
    const char *what = "inserting a certificate";
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (r.err == RW_ERR_EXISTS) {
        rw_err_detail_set("a certificate with this serial is already in the store "
                          "(serials are never reused)");
    }
    return r;
}

/* Fills a zeroed `elem` from a CERT_SELECT row. */
static struct rw_result read_cert(sqlite3_stmt *st, void *elem)
{
    struct rw_store_cert *c = elem;
    RW_GUARD(rw_store_col_serial(st, 0, c->serial, &c->serial_len));
    RW_GUARD(rw_store_col_text(st, 1, c->issuer_ca_id, sizeof(c->issuer_ca_id), "issuer CA id"));
    c->is_ca = sqlite3_column_int(st, 2) != 0;
    RW_GUARD(rw_store_col_text(st, 3, c->principal, sizeof(c->principal), "principal"));
    RW_GUARD(rw_store_col_text(st, 4, c->role, sizeof(c->role), "role"));
    c->not_before = sqlite3_column_int64(st, 5);
    c->not_after = sqlite3_column_int64(st, 6);
    c->issued_at = sqlite3_column_int64(st, 7);
    RW_GUARD(rw_store_col_blob_dup(st, 8, &c->der, &c->der_len));
    c->revoked = sqlite3_column_int(st, 9) != 0;
    c->reason = c->revoked ? sqlite3_column_int(st, 10) : 0;
    c->revoked_at = c->revoked ? sqlite3_column_int64(st, 11) : 0;
    return RW_SUCCESS;
}

static void cert_cleanup_elem(void *elem)
{
    rw_store_cert_cleanup(elem);
}

struct rw_result rw_store_cert_get(struct rw_store *s, const uint8_t *serial, size_t serial_len,
                                   struct rw_store_cert *out)
{
    RW_ENSURE_MSG(s && serial && out, RW_ERR_USAGE, "store: bad cert_get arguments");
    memset(out, 0, sizeof(*out));
    RW_GUARD(rw_store_check_serial(serial_len));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, CERT_SELECT " WHERE c.serial = ?1", &st));
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_blob(st, 1, serial, serial_len);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        r = read_cert(st, out);
        if (!rw_ok(r)) {
            rw_store_cert_cleanup(out);
        }
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("no certificate with this serial in the store");
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading a certificate");
    }
    sqlite3_finalize(st);
    return r;
}

static int bind_filter(sqlite3_stmt *st, const struct rw_store_cert_filter *f)
{
    int rc = rw_store_bind_text(st, 1, f ? f->principal : NULL);
    rc |= rw_store_bind_text(st, 2, f ? f->role : NULL);
    rc |= rw_store_bind_text(st, 3, f ? f->issuer_ca_id : NULL);
    rc |= sqlite3_bind_int(st, 4, f ? (int)f->status : (int)RW_STORE_ANY);
    rc |= sqlite3_bind_int64(st, 5, f ? f->now : 0);
    return rc;
}

struct rw_result rw_store_cert_list(struct rw_store *s, const struct rw_store_cert_filter *f,
                                    struct rw_store_cert **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad cert_list arguments");
    *out = NULL;
    *n = 0;
    RW_ENSURE_MSG(!f || (unsigned)f->status <= (unsigned)RW_STORE_EXPIRED,
                  RW_ERR_USAGE, "store: unknown certificate status filter %d",
                  f ? (int)f->status : 0);
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, CERT_SELECT CERT_WHERE, &st));
    const char *what = "listing certificates";
    struct rw_result r = RW_SUCCESS;
    int rc = bind_filter(st, f);
    if (rc != SQLITE_OK) {
        r = STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    } else {
        void *arr = NULL;
        r = rw_store_sql_collect(s, st, sizeof(**out), read_cert, cert_cleanup_elem, &arr, n,
                                 what);
        *out = arr;
    }
    sqlite3_finalize(st);
    return r;
}

void rw_store_cert_cleanup(struct rw_store_cert *c)
{
    if (!c) {
        return;
    }
    free(c->der);
    memset(c, 0, sizeof(*c));
}

void rw_store_cert_list_free(struct rw_store_cert *certs, size_t n)
{
    for (size_t i = 0; certs && i < n; i++) {
        rw_store_cert_cleanup(&certs[i]);
    }
    free(certs);
}
