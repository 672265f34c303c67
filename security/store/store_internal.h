/* security/store/store_internal.h — shared by the store's .c files only.
 *
 * The handle, the SQLite-error mapping, and small helpers that bind and
 * read columns. Nothing here is part of the public contract (store.h).
 */
#ifndef RW_STORE_INTERNAL_H
#define RW_STORE_INTERNAL_H

#include <sqlite3.h>

#include "security/store/store.h"

#define RW_STORE_BUSY_MS 5000 /* a CLI and a running broker share the file */

struct rw_store {
    sqlite3 *db; /* owned; closed by rw_store_close */
    char *path;  /* owned: DIR/ringward.db */
};

/* Maps an SQLite result code to an rw_err (see store.h "Errors") and sets
 * the detail to "<what>: <SQLite message>". Use via STORE_SQL_ERR. */
struct rw_result rw_store_sql_err(sqlite3 *db, int rc, const char *what, const char *file,
                                  int line);
#define STORE_SQL_ERR(db, rc, what) rw_store_sql_err((db), (rc), (what), __FILE__, __LINE__)

/* Prepares one statement; *st is NULL on failure. The caller finalizes. */
RW_RESULT rw_store_sql_prepare(struct rw_store *s, const char *sql, sqlite3_stmt **st);
/* Runs parameterless SQL that returns no rows (schema, BEGIN, COMMIT). */
RW_RESULT rw_store_sql_exec(struct rw_store *s, const char *sql, const char *what);
/* Steps a bound statement to SQLITE_DONE; does not finalize it. */
RW_RESULT rw_store_sql_done(struct rw_store *s, sqlite3_stmt *st, const char *what);

/* Binding. Each returns an SQLite code; NULL text or blob binds SQL NULL.
 * Values are copied (SQLITE_TRANSIENT). */
int rw_store_bind_text(sqlite3_stmt *st, int i, const char *v);
int rw_store_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len);

/* Reading columns of the current row. Text into a fixed array: NULL reads
 * as "", longer than cap-1 is RW_ERR_IO_CORRUPT (the file was edited). */
RW_RESULT rw_store_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap, const char *what);
/* A serial of 1..RW_STORE_SERIAL_MAX octets, else RW_ERR_IO_CORRUPT. */
RW_RESULT rw_store_col_serial(sqlite3_stmt *st, int col, uint8_t *dst, size_t *len);
/* Heap copies the caller owns: a blob (NULL/0 for NULL or empty), a
 * NUL-terminated text (NULL for SQL NULL unless null_as_empty). */
RW_RESULT rw_store_col_blob_dup(sqlite3_stmt *st, int col, uint8_t **out, size_t *len);
RW_RESULT rw_store_col_text_dup(sqlite3_stmt *st, int col, bool null_as_empty, char **out);

/* Argument checks that set a USAGE detail: a NUL-terminated string that
 * fits `cap` (and is non-empty when required), a serial length. */
RW_RESULT rw_store_check_str(const char *v, size_t cap, bool required, const char *what);
RW_RESULT rw_store_check_serial(size_t len);

/* Steps `st` and collects one element per row into a heap array of
 * `elem_size` elements (zeroed before `read` fills them). On failure every
 * element already read is passed to `cleanup`, the array is freed, and
 * the outputs are NULL and 0. The caller finalizes `st`. */
typedef struct rw_result (*rw_store_row_fn)(sqlite3_stmt *st, void *elem);
typedef void (*rw_store_elem_cleanup_fn)(void *elem);
RW_RESULT rw_store_sql_collect(struct rw_store *s, sqlite3_stmt *st, size_t elem_size,
                               rw_store_row_fn read, rw_store_elem_cleanup_fn cleanup,
                               void **out, size_t *n, const char *what);

/* Schema (store_schema.c): creates every table in an empty database and
 * sets user_version; checks an existing one (version, tables). */
RW_RESULT rw_store_schema_create(struct rw_store *s);
RW_RESULT rw_store_schema_check(struct rw_store *s);
/* Adds what a compatible newer build wants (indexes) to a checked store. */
RW_RESULT rw_store_schema_upgrade(struct rw_store *s);
/* Per-connection settings: WAL, synchronous=FULL, foreign keys. */
RW_RESULT rw_store_configure(struct rw_store *s);

#endif
