/* security/store/store_sql.c — SQLite error mapping, binding and column helpers. */
#include <stdlib.h>
#include <string.h>

#include "security/store/store_internal.h"

static enum rw_err map_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
            return RW_ERR_EXISTS;
        }
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
            return RW_ERR_NOT_FOUND; /* a referenced row (e.g. a parent CA) is missing */
        }
        return RW_ERR_STORE;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return RW_ERR_IO_CORRUPT;
    default:
        return RW_ERR_STORE;
    }
}

struct rw_result rw_store_sql_err(sqlite3 *db, int rc, const char *what, const char *file,
                                  int line)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_BUSY) {
        rw_err_detail_set("%s: the store is locked by another process for more than %d ms (%s)",
                          what, RW_STORE_BUSY_MS, msg);
    } else {
        rw_err_detail_set("%s: %s", what, msg);
    }
    return rw_err_make(map_code(rc), file, line);
}

struct rw_result rw_store_sql_prepare(struct rw_store *s, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return STORE_SQL_ERR(s->db, rc, "preparing a store query");
    }
    return RW_SUCCESS;
}

struct rw_result rw_store_sql_exec(struct rw_store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return STORE_SQL_ERR(s->db, sqlite3_extended_errcode(s->db), what);
    }
    return RW_SUCCESS;
}

struct rw_result rw_store_sql_done(struct rw_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        return STORE_SQL_ERR(s->db, rc == SQLITE_ROW ? SQLITE_MISUSE : rc, what);
    }
    return RW_SUCCESS;
}

int rw_store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

int rw_store_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
    if (!p) {
        return sqlite3_bind_null(st, i);
    }
    return sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)len, SQLITE_TRANSIENT);
}

struct rw_result rw_store_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap,
                                   const char *what)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    RW_ENSURE_MSG(n < cap, RW_ERR_IO_CORRUPT,
                  "the store holds a %s of %zu bytes (at most %zu): the file was altered", what, n,
                  cap - 1);
    if (n > 0) {
        memcpy(dst, t, n);
    }
    dst[n] = '\0';
    return RW_SUCCESS;
}

struct rw_result rw_store_col_serial(sqlite3_stmt *st, int col, uint8_t *dst, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    RW_ENSURE_MSG(p && n >= 1 && n <= RW_STORE_SERIAL_MAX, RW_ERR_IO_CORRUPT,
                  "the store holds a serial of %zu octets (1..%d): the file was altered", n,
                  RW_STORE_SERIAL_MAX);
    memcpy(dst, p, n);
    *len = n;
    return RW_SUCCESS;
}

struct rw_result rw_store_col_blob_dup(sqlite3_stmt *st, int col, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!p || n == 0) {
        return RW_SUCCESS;
    }
    *out = malloc(n);
    RW_ENSURE_MSG(*out, RW_ERR_NOMEM, "out of memory reading the store");
    memcpy(*out, p, n);
    *len = n;
    return RW_SUCCESS;
}

struct rw_result rw_store_col_text_dup(sqlite3_stmt *st, int col, bool null_as_empty, char **out)
{
    *out = NULL;
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t && !null_as_empty) {
        return RW_SUCCESS;
    }
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    *out = malloc(n + 1);
    RW_ENSURE_MSG(*out, RW_ERR_NOMEM, "out of memory reading the store");
    if (n > 0) {
        memcpy(*out, t, n);
    }
    (*out)[n] = '\0';
    return RW_SUCCESS;
}

struct rw_result rw_store_check_str(const char *v, size_t cap, bool required, const char *what)
{
    if (!v) {
        RW_ENSURE_MSG(!required, RW_ERR_USAGE, "store: %s is required", what);
        return RW_SUCCESS;
    }
    size_t n = strnlen(v, cap);
    RW_ENSURE_MSG(n < cap, RW_ERR_USAGE, "store: %s is longer than %zu bytes", what, cap - 1);
    RW_ENSURE_MSG(n > 0 || !required, RW_ERR_USAGE, "store: %s is empty", what);
    return RW_SUCCESS;
}

struct rw_result rw_store_check_serial(size_t len)
{
    RW_ENSURE_MSG(len >= 1 && len <= RW_STORE_SERIAL_MAX, RW_ERR_USAGE,
                  "store: a serial has 1..%d octets, not %zu", RW_STORE_SERIAL_MAX, len);
    return RW_SUCCESS;
}

/* Makes room for one more element, doubling; the new slot is zeroed. */
static struct rw_result grow(void **arr, size_t elem_size, size_t n, size_t *cap)
{
    if (n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        RW_ENSURE_MSG(ncap > *cap && ncap <= SIZE_MAX / elem_size, RW_ERR_NOMEM,
                      "store: result list too large");
        void *p = realloc(*arr, ncap * elem_size);
        RW_ENSURE_MSG(p, RW_ERR_NOMEM, "out of memory reading the store");
        *arr = p;
        *cap = ncap;
    }
    memset((char *)*arr + n * elem_size, 0, elem_size);
    return RW_SUCCESS;
}

struct rw_result rw_store_sql_collect(struct rw_store *s, sqlite3_stmt *st, size_t elem_size,
                                      rw_store_row_fn read, rw_store_elem_cleanup_fn cleanup,
                                      void **out, size_t *n, const char *what)
{
    void *arr = NULL;
    size_t len = 0, cap = 0;
    struct rw_result r = RW_SUCCESS;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        RW_TRY(r, grow(&arr, elem_size, len, &cap), fail);
        void *elem = (char *)arr + len * elem_size;
        r = read(st, elem);
        if (!rw_ok(r)) {
            cleanup(elem);
            goto fail;
        }
        len++;
    }
    if (rc != SQLITE_DONE) {
        r = STORE_SQL_ERR(s->db, rc, what);
        goto fail;
    }
    *out = arr;
    *n = len;
    return RW_SUCCESS;
fail:
    for (size_t i = 0; i < len; i++) {
        cleanup((char *)arr + i * elem_size);
    }
    free(arr);
    *out = NULL;
    *n = 0;
    return r;
}
