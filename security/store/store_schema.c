/* security/store/store_schema.c — the tables, the version check and the
 * per-connection settings.
 *
 * An existing file is only read until it has been recognised as a Ringward
 * store of a version we understand; only then does rw_store_configure()
 * run the pragmas that may write (journal_mode=WAL).
 */
#include <string.h>

#include "security/store/store_internal.h"

/* Events by kind and object (a certificate's supersession, lineage). A
 * store made before the index existed gets it at its next open
 * (rw_store_schema_upgrade): no data changes and older builds ignore it. */
#define EVENTS_BY_OBJECT \
    "CREATE INDEX IF NOT EXISTS events_kind_object ON events(kind, object)"

/* Every table of schema version 1; run in one transaction on an empty file. */
static const char SCHEMA_V1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE cas("
    " id TEXT PRIMARY KEY, cn TEXT NOT NULL,"
    " parent_id TEXT NULL REFERENCES cas(id),"
    " serial BLOB NOT NULL UNIQUE, cert_der BLOB, key_pem TEXT,"
    " key_encrypted INT NOT NULL, key_alg TEXT NOT NULL,"
    " path_len INT NOT NULL DEFAULT -1, disabled INT NOT NULL DEFAULT 0,"
    " crl_number INT NOT NULL DEFAULT 0, created_at INT NOT NULL);"
    "CREATE TABLE certificates("
    " serial BLOB PRIMARY KEY, issuer_ca_id TEXT NOT NULL, is_ca INT NOT NULL,"
    " principal TEXT NOT NULL, role TEXT NOT NULL, not_before INT NOT NULL,"
    " not_after INT NOT NULL, issued_at INT NOT NULL, der BLOB);"
    "CREATE INDEX certificates_principal ON certificates(principal);"
    "CREATE INDEX certificates_issuer ON certificates(issuer_ca_id);"
    "CREATE TABLE revocations("
    " serial BLOB PRIMARY KEY REFERENCES certificates(serial),"
    " issuer_ca_id TEXT NOT NULL, reason INT NOT NULL, revoked_at INT NOT NULL);"
    "CREATE INDEX revocations_issuer ON revocations(issuer_ca_id);"
    "CREATE TABLE acls(id INTEGER PRIMARY KEY AUTOINCREMENT, principal TEXT,"
    " resource TEXT, ops TEXT, effect TEXT, created_at INT);"
    "CREATE TABLE csr_requests(id INTEGER PRIMARY KEY AUTOINCREMENT, principal TEXT,"
    " role TEXT, csr_der BLOB, status TEXT, created_at INT, cert_serial BLOB);"
    "CREATE TABLE enrollment_tokens(hash BLOB PRIMARY KEY, principal TEXT, role TEXT,"
    " expires_at INT, used_at INT);"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, at INT NOT NULL,"
    " actor TEXT NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL, payload TEXT NOT NULL);"
    EVENTS_BY_OBJECT ";"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;";

/* The tables schema_check insists on (the count below must match). */
static const char COUNT_TABLES[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
    " ('meta','cas','certificates','revocations','acls','csr_requests',"
    "  'enrollment_tokens','events')";
#define N_TABLES 8

struct rw_result rw_store_schema_create(struct rw_store *s)
{
    RW_GUARD(rw_store_sql_exec(s, "BEGIN IMMEDIATE", "creating the store"));
    struct rw_result r = rw_store_sql_exec(s, SCHEMA_V1, "creating the store's tables");
    if (rw_ok(r)) {
        /* PRAGMA takes no parameters; the value is a compile-time constant. */
#define STR2(x) #x
#define STR(x) STR2(x)
        r = rw_store_sql_exec(s, "PRAGMA user_version = " STR(RW_STORE_SCHEMA_VERSION),
                              "setting the store's version");
    }
    if (rw_ok(r)) {
        r = rw_store_sql_exec(s, "COMMIT", "creating the store");
    }
    if (!rw_ok(r) && !sqlite3_get_autocommit(s->db)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return r;
}

/* Runs a query returning one integer. The first read of the file happens
 * here, so "not a database" and "damaged" surface as IO_CORRUPT. */
static struct rw_result read_int(struct rw_store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return RW_SUCCESS;
    }
    struct rw_result r = STORE_SQL_ERR(s->db, rc, s->path);
    if (r.err == RW_ERR_IO_CORRUPT) {
        rw_err_detail_set("%s is not a Ringward store or is damaged (%s); nothing was changed: "
                          "restore it from a backup",
                          s->path, sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_schema_check(struct rw_store *s)
{
    int64_t version = 0, tables = 0;
    RW_GUARD(read_int(s, "PRAGMA user_version", &version));
    RW_ENSURE_MSG(version <= RW_STORE_SCHEMA_VERSION, RW_ERR_IO_VERSION,
                  "%s was written by a newer Ringward (store schema %lld, this build knows %d): "
                  "upgrade ringward; nothing was changed",
                  s->path, (long long)version, RW_STORE_SCHEMA_VERSION);
    RW_ENSURE_MSG(version >= 1, RW_ERR_IO_CORRUPT,
                  "%s is not a Ringward store (no schema version; an interrupted init or another "
                  "program's file); nothing was changed",
                  s->path);
    RW_GUARD(read_int(s, COUNT_TABLES, &tables));
    RW_ENSURE_MSG(tables == N_TABLES, RW_ERR_IO_CORRUPT,
                  "%s is damaged: %lld of the %d store tables are present; nothing was changed",
                  s->path, (long long)tables, N_TABLES);
    return RW_SUCCESS;
}

struct rw_result rw_store_schema_upgrade(struct rw_store *s)
{
    return rw_store_sql_exec(s, EVENTS_BY_OBJECT, "indexing the event log");
}

struct rw_result rw_store_configure(struct rw_store *s)
{
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "PRAGMA journal_mode = WAL", &st));
    int rc = sqlite3_step(st);
    const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    bool wal = mode && strcmp((const char *)mode, "wal") == 0;
    struct rw_result r = RW_SUCCESS;
    if (rc != SQLITE_ROW) {
        r = STORE_SQL_ERR(s->db, rc, "enabling WAL mode");
    } else if (!wal) {
        rw_err_detail_set("%s: could not enable WAL mode (the journal mode stays '%s')", s->path,
                          mode ? (const char *)mode : "?");
        r = RW_ERR(RW_ERR_STORE);
    }
    sqlite3_finalize(st);
    RW_GUARD(r);
    RW_GUARD(rw_store_sql_exec(s, "PRAGMA synchronous = FULL", "setting synchronous=FULL"));
    RW_GUARD(rw_store_sql_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
    return RW_SUCCESS;
}
