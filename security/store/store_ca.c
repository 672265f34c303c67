/* security/store/store_ca.c — the `cas` table: CA rows with their
 * certificate and (normally encrypted) key PEM.
 *
 * Rows handed out own cert_der and key_pem; rw_store_ca_cleanup() frees
 * them and wipes the key text first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

#define CA_COLUMNS                                                                          \
    "id, cn, parent_id, serial, cert_der, key_pem, key_encrypted, key_alg, path_len, disabled," \
    " crl_number, created_at"

static struct rw_result check_ca(const struct rw_store_ca *ca)
{
    RW_GUARD(rw_store_check_str(ca->id, sizeof(ca->id), true, "CA id"));
    RW_GUARD(rw_store_check_str(ca->cn, sizeof(ca->cn), true, "CA common name"));
    RW_GUARD(rw_store_check_str(ca->parent_id, sizeof(ca->parent_id), false, "parent CA id"));
    RW_GUARD(rw_store_check_str(ca->key_alg, sizeof(ca->key_alg), false, "key algorithm"));
    RW_GUARD(rw_store_check_serial(ca->serial_len));
    RW_ENSURE_MSG(ca->crl_number <= (uint64_t)INT64_MAX, RW_ERR_USAGE,
                  "store: CRL number out of range");
    return RW_SUCCESS;
}

static int bind_ca(sqlite3_stmt *st, const struct rw_store_ca *ca)
{
    int rc = rw_store_bind_text(st, 1, ca->id);
    rc |= rw_store_bind_text(st, 2, ca->cn);
    rc |= rw_store_bind_text(st, 3, ca->parent_id[0] ? ca->parent_id : NULL);
    rc |= rw_store_bind_blob(st, 4, ca->serial, ca->serial_len);
    rc |= rw_store_bind_blob(st, 5, ca->cert_der, ca->cert_der_len);
    rc |= rw_store_bind_text(st, 6, ca->key_pem);
    rc |= sqlite3_bind_int(st, 7, ca->key_encrypted ? 1 : 0);
    rc |= rw_store_bind_text(st, 8, ca->key_alg);
    rc |= sqlite3_bind_int(st, 9, ca->path_len);
    rc |= sqlite3_bind_int(st, 10, ca->disabled ? 1 : 0);
    rc |= sqlite3_bind_int64(st, 11, (sqlite3_int64)ca->crl_number);
    rc |= sqlite3_bind_int64(st, 12, ca->created_at);
    return rc;
}

struct rw_result rw_store_ca_insert(struct rw_store *s, const struct rw_store_ca *ca)
{
    RW_ENSURE_MSG(s && ca, RW_ERR_USAGE, "store: bad ca_insert arguments");
    RW_GUARD(check_ca(ca));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(
        s, "INSERT INTO cas(" CA_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)", &st));
    char what[RW_STORE_ID_MAX + 32];
    snprintf(what, sizeof(what), "inserting CA '%s'", ca->id);
    int rc = bind_ca(st, ca);
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (r.err == RW_ERR_NOT_FOUND) {
        rw_err_detail_set("inserting CA '%s': its parent CA '%s' is not in the store", ca->id,
                          ca->parent_id);
    }
    return r;
}

/* Fills `out` (zeroed by the caller) from a row selected with CA_COLUMNS. */
static struct rw_result read_ca(sqlite3_stmt *st, void *elem)
{
    struct rw_store_ca *ca = elem;
    RW_GUARD(rw_store_col_text(st, 0, ca->id, sizeof(ca->id), "CA id"));
    RW_GUARD(rw_store_col_text(st, 1, ca->cn, sizeof(ca->cn), "CA common name"));
    RW_GUARD(rw_store_col_text(st, 2, ca->parent_id, sizeof(ca->parent_id), "parent CA id"));
    RW_GUARD(rw_store_col_serial(st, 3, ca->serial, &ca->serial_len));
    RW_GUARD(rw_store_col_blob_dup(st, 4, &ca->cert_der, &ca->cert_der_len));
    RW_GUARD(rw_store_col_text_dup(st, 5, false, &ca->key_pem));
    ca->key_encrypted = sqlite3_column_int(st, 6) != 0;
    RW_GUARD(rw_store_col_text(st, 7, ca->key_alg, sizeof(ca->key_alg), "key algorithm"));
    ca->path_len = sqlite3_column_int(st, 8);
    ca->disabled = sqlite3_column_int(st, 9) != 0;
    ca->crl_number = (uint64_t)sqlite3_column_int64(st, 10);
    ca->created_at = sqlite3_column_int64(st, 11);
    return RW_SUCCESS;
}

static void ca_cleanup_elem(void *elem)
{
    rw_store_ca_cleanup(elem);
}

struct rw_result rw_store_ca_get(struct rw_store *s, const char *id, struct rw_store_ca *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad ca_get arguments");
    memset(out, 0, sizeof(*out));
    RW_GUARD(rw_store_check_str(id, RW_STORE_ID_MAX, true, "CA id"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT " CA_COLUMNS " FROM cas WHERE id = ?1", &st));
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_text(st, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        r = read_ca(st, out);
        if (!rw_ok(r)) {
            rw_store_ca_cleanup(out);
        }
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("no CA with id '%s' in the store", id);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading a CA");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_ca_list(struct rw_store *s, struct rw_store_ca **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad ca_list arguments");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(
        s, "SELECT " CA_COLUMNS " FROM cas ORDER BY created_at, rowid", &st));
    void *arr = NULL;
    struct rw_result r = rw_store_sql_collect(s, st, sizeof(**out), read_ca, ca_cleanup_elem,
                                              &arr, n, "listing CAs");
    sqlite3_finalize(st);
    *out = arr;
    return r;
}

/* Runs an UPDATE on the CA bound as ?1 (and `v` as ?2 if the statement has
 * it); NOT_FOUND when no row matched. */
static struct rw_result update_ca(struct rw_store *s, const char *sql, const char *id,
                                  sqlite3_int64 v)
{
    RW_GUARD(rw_store_check_str(id, RW_STORE_ID_MAX, true, "CA id"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, sql, &st));
    int rc = rw_store_bind_text(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2) {
        rc |= sqlite3_bind_int64(st, 2, v);
    }
    struct rw_result r = rc == SQLITE_OK
                             ? rw_store_sql_done(s, st, "updating a CA")
                             : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), "updating a CA");
    sqlite3_finalize(st);
    if (rw_ok(r) && sqlite3_changes(s->db) == 0) {
        rw_err_detail_set("no CA with id '%s' in the store", id);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    }
    return r;
}

struct rw_result rw_store_ca_set_disabled(struct rw_store *s, const char *id, bool disabled)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    return update_ca(s, "UPDATE cas SET disabled = ?2 WHERE id = ?1", id, disabled ? 1 : 0);
}

/* Reads a CA's crl_number (after the increment, inside the same savepoint). */
static struct rw_result read_crl_number(struct rw_store *s, const char *id, uint64_t *out)
{
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT crl_number FROM cas WHERE id = ?1", &st));
    int rc = rw_store_bind_text(st, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    struct rw_result r = RW_SUCCESS;
    if (rc == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    } else {
        r = STORE_SQL_ERR(s->db, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "reading a CRL number");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_ca_next_crl_number(struct rw_store *s, const char *id, uint64_t *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad ca_next_crl_number arguments");
    /* Increment-and-read must be atomic: inside the caller's transaction a
     * savepoint suffices; otherwise take the write lock up front. */
    bool own = sqlite3_get_autocommit(s->db) != 0;
    RW_GUARD(rw_store_sql_exec(s, own ? "BEGIN IMMEDIATE" : "SAVEPOINT crl_number",
                               "numbering a CRL"));
    struct rw_result r =
        update_ca(s, "UPDATE cas SET crl_number = crl_number + 1 WHERE id = ?1", id, 0);
    if (rw_ok(r)) {
        r = read_crl_number(s, id, out);
    }
    if (rw_ok(r)) {
        r = rw_store_sql_exec(s, own ? "COMMIT" : "RELEASE crl_number", "numbering a CRL");
    }
    if (!rw_ok(r)) {
        sqlite3_exec(s->db, own ? "ROLLBACK" : "ROLLBACK TO crl_number; RELEASE crl_number", NULL,
                     NULL, NULL);
    }
    return r;
}

void rw_store_ca_cleanup(struct rw_store_ca *ca)
{
    if (!ca) {
        return;
    }
    if (ca->key_pem) {
        explicit_bzero(ca->key_pem, strlen(ca->key_pem));
        free(ca->key_pem);
    }
    free(ca->cert_der);
    memset(ca, 0, sizeof(*ca));
}

void rw_store_ca_list_free(struct rw_store_ca *cas, size_t n)
{
    for (size_t i = 0; cas && i < n; i++) {
        rw_store_ca_cleanup(&cas[i]);
    }
    free(cas);
}
