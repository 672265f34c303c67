/* security/store/store_enroll.c — enrollment tokens (hashed) and CSR requests.
 *
 * The store never sees a token, only its SHA-256 (security/sec_enroll.c
 * hashes). Marking a token used is a single conditional UPDATE, so two
 * concurrent enrollments with one token cannot both succeed. Requests
 * handed out own their CSR bytes; free them with the cleanup functions.
 */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

static struct rw_result step_done(struct rw_store *s, sqlite3_stmt *st, int rc, const char *what)
{
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_token_insert(struct rw_store *s, const struct rw_store_token *t)
{
    RW_ENSURE_MSG(s && t, RW_ERR_USAGE, "store: bad token_insert arguments");
    RW_GUARD(rw_store_check_str(t->principal, sizeof(t->principal), true, "token principal"));
    RW_GUARD(rw_store_check_str(t->role, sizeof(t->role), true, "token role"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO enrollment_tokens(hash, principal, role, expires_at,"
                                  " used_at) VALUES (?1, ?2, ?3, ?4, NULL)",
                                  &st));
    int rc = rw_store_bind_blob(st, 1, t->hash, sizeof(t->hash));
    rc |= rw_store_bind_text(st, 2, t->principal);
    rc |= rw_store_bind_text(st, 3, t->role);
    rc |= sqlite3_bind_int64(st, 4, t->expires_at);
    return step_done(s, st, rc, "storing an enrollment token");
}

struct rw_result rw_store_token_get(struct rw_store *s, const uint8_t hash[RW_STORE_TOKEN_HASH_LEN],
                                    struct rw_store_token *out)
{
    RW_ENSURE_MSG(s && hash && out, RW_ERR_USAGE, "store: bad token_get arguments");
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "SELECT principal, role, expires_at, coalesce(used_at, 0)"
                                  " FROM enrollment_tokens WHERE hash = ?1",
                                  &st));
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_blob(st, 1, hash, RW_STORE_TOKEN_HASH_LEN);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        memcpy(out->hash, hash, RW_STORE_TOKEN_HASH_LEN);
        r = rw_store_col_text(st, 0, out->principal, sizeof(out->principal), "token principal");
        if (rw_ok(r)) {
            r = rw_store_col_text(st, 1, out->role, sizeof(out->role), "token role");
        }
        out->expires_at = sqlite3_column_int64(st, 2);
        out->used_at = sqlite3_column_int64(st, 3);
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("unknown enrollment token");
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading an enrollment token");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_token_use(struct rw_store *s, const uint8_t hash[RW_STORE_TOKEN_HASH_LEN],
                                    int64_t now)
{
    struct rw_store_token t;
    RW_GUARD(rw_store_token_get(s, hash, &t));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "UPDATE enrollment_tokens SET used_at = ?2"
                                  " WHERE hash = ?1 AND used_at IS NULL",
                                  &st));
    int rc = rw_store_bind_blob(st, 1, hash, RW_STORE_TOKEN_HASH_LEN);
    rc |= sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
    RW_GUARD(step_done(s, st, rc, "using an enrollment token"));
    RW_ENSURE_MSG(sqlite3_changes(s->db) == 1, RW_ERR_STATE,
                  "this enrollment token was already used");
    return RW_SUCCESS;
}

#define REQ_COLUMNS "id, principal, role, csr_der, status, created_at, cert_serial"

static struct rw_result read_req(sqlite3_stmt *st, void *elem)
{
    struct rw_store_csr_request *q = elem;
    q->id = sqlite3_column_int64(st, 0);
    RW_GUARD(rw_store_col_text(st, 1, q->principal, sizeof(q->principal), "request principal"));
    RW_GUARD(rw_store_col_text(st, 2, q->role, sizeof(q->role), "request role"));
    RW_GUARD(rw_store_col_blob_dup(st, 3, &q->csr_der, &q->csr_der_len));
    RW_GUARD(rw_store_col_text(st, 4, q->status, sizeof(q->status), "request status"));
    q->created_at = sqlite3_column_int64(st, 5);
    if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
        RW_GUARD(rw_store_col_serial(st, 6, q->cert_serial, &q->cert_serial_len));
    }
    return RW_SUCCESS;
}

static void req_cleanup_elem(void *elem)
{
    rw_store_csr_request_cleanup(elem);
}

struct rw_result rw_store_csr_request_insert(struct rw_store *s, const struct rw_store_csr_request *q,
                                             int64_t *id_out)
{
    RW_ENSURE_MSG(s && q && q->csr_der && q->csr_der_len, RW_ERR_USAGE,
                  "store: bad csr_request_insert arguments");
    RW_GUARD(rw_store_check_str(q->principal, sizeof(q->principal), true, "request principal"));
    RW_GUARD(rw_store_check_str(q->role, sizeof(q->role), true, "request role"));
    RW_GUARD(rw_store_check_str(q->status, sizeof(q->status), true, "request status"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO csr_requests(principal, role, csr_der, status,"
                                  " created_at, cert_serial) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                                  &st));
    int rc = rw_store_bind_text(st, 1, q->principal);
    rc |= rw_store_bind_text(st, 2, q->role);
    rc |= rw_store_bind_blob(st, 3, q->csr_der, q->csr_der_len);
    rc |= rw_store_bind_text(st, 4, q->status);
    rc |= sqlite3_bind_int64(st, 5, q->created_at);
    RW_GUARD(step_done(s, st, rc, "storing a CSR request"));
    if (id_out) {
        *id_out = sqlite3_last_insert_rowid(s->db);
    }
    return RW_SUCCESS;
}

struct rw_result rw_store_csr_request_get(struct rw_store *s, int64_t id,
                                          struct rw_store_csr_request *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad csr_request_get arguments");
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT " REQ_COLUMNS " FROM csr_requests WHERE id = ?1", &st));
    struct rw_result r = RW_SUCCESS;
    int rc = sqlite3_bind_int64(st, 1, id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        r = read_req(st, out);
        if (!rw_ok(r)) {
            rw_store_csr_request_cleanup(out);
        }
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("no certificate request with id %lld", (long long)id);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading a certificate request");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_csr_request_list(struct rw_store *s, const char *status,
                                           struct rw_store_csr_request **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad csr_request_list arguments");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "SELECT " REQ_COLUMNS " FROM csr_requests"
                                  " WHERE ?1 IS NULL OR status = ?1 ORDER BY id",
                                  &st));
    struct rw_result r = RW_SUCCESS;
    if (rw_store_bind_text(st, 1, status) != SQLITE_OK) {
        r = STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), "listing certificate requests");
    } else {
        void *arr = NULL;
        r = rw_store_sql_collect(s, st, sizeof(**out), read_req, req_cleanup_elem, &arr, n,
                                 "listing certificate requests");
        *out = arr;
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_csr_request_count(struct rw_store *s, const char *status, int64_t *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad csr_request_count arguments");
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(
        s, "SELECT count(*) FROM csr_requests WHERE ?1 IS NULL OR status = ?1", &st));
    int rc = rw_store_bind_text(st, 1, status);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    struct rw_result r = RW_SUCCESS;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "counting certificate requests");
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_csr_request_set_status(struct rw_store *s, int64_t id, const char *from,
                                                 const char *to, const uint8_t *serial,
                                                 size_t serial_len)
{
    RW_ENSURE_MSG(s && from && to, RW_ERR_USAGE, "store: bad csr_request_set_status arguments");
    struct rw_store_csr_request cur;
    RW_GUARD(rw_store_csr_request_get(s, id, &cur));
    bool in_from = strcmp(cur.status, from) == 0;
    char was[RW_STORE_STATUS_MAX];
    memcpy(was, cur.status, sizeof(was));
    rw_store_csr_request_cleanup(&cur);
    RW_ENSURE_MSG(in_from, RW_ERR_STATE, "certificate request %lld is %s, not %s", (long long)id,
                  was, from);
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "UPDATE csr_requests SET status = ?3,"
                                  " cert_serial = coalesce(?4, cert_serial)"
                                  " WHERE id = ?1 AND status = ?2",
                                  &st));
    int rc = sqlite3_bind_int64(st, 1, id);
    rc |= rw_store_bind_text(st, 2, from);
    rc |= rw_store_bind_text(st, 3, to);
    rc |= rw_store_bind_blob(st, 4, serial_len ? serial : NULL, serial_len);
    RW_GUARD(step_done(s, st, rc, "updating a certificate request"));
    RW_ENSURE_MSG(sqlite3_changes(s->db) == 1, RW_ERR_STATE,
                  "certificate request %lld changed meanwhile", (long long)id);
    return RW_SUCCESS;
}

void rw_store_csr_request_cleanup(struct rw_store_csr_request *q)
{
    if (q) {
        free(q->csr_der);
        q->csr_der = NULL;
        q->csr_der_len = 0;
    }
}

void rw_store_csr_request_list_free(struct rw_store_csr_request *q, size_t n)
{
    for (size_t i = 0; q && i < n; i++) {
        rw_store_csr_request_cleanup(&q[i]);
    }
    free(q);
}
