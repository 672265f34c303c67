/* security/store/store_event.c — the append-only `events` log.
 *
 * Triggers refuse UPDATE and DELETE, so rows only ever get added. Callers
 * append inside the transaction of the change an event records. Events
 * handed out own their strings; rw_store_event_list_free() frees them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/store/store_internal.h"

#define EVENT_KIND_MAX 64

struct rw_result rw_store_event_append(struct rw_store *s, const char *actor, const char *kind,
                                       const char *object, const char *payload, int64_t *seq_out)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "store: no handle");
    RW_GUARD(rw_store_check_str(kind, EVENT_KIND_MAX, true, "event kind"));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "INSERT INTO events(at, actor, kind, object, payload)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                                  &st));
    /* Absent strings are stored as "" (and the payload as an empty object),
     * so readers never meet NULL. */
    int rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    rc |= rw_store_bind_text(st, 2, actor ? actor : "");
    rc |= rw_store_bind_text(st, 3, kind);
    rc |= rw_store_bind_text(st, 4, object ? object : "");
    rc |= rw_store_bind_text(st, 5, payload ? payload : "{}");
    const char *what = "recording an event";
    struct rw_result r = rc == SQLITE_OK ? rw_store_sql_done(s, st, what)
                                         : STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    sqlite3_finalize(st);
    if (rw_ok(r) && seq_out) {
        *seq_out = sqlite3_last_insert_rowid(s->db);
    }
    return r;
}

static void event_cleanup(struct rw_store_event *e);

static struct rw_result read_event(sqlite3_stmt *st, void *elem)
{
    struct rw_store_event *e = elem;
    e->seq = sqlite3_column_int64(st, 0);
    e->at = sqlite3_column_int64(st, 1);
    RW_GUARD(rw_store_col_text_dup(st, 2, true, &e->actor));
    RW_GUARD(rw_store_col_text_dup(st, 3, true, &e->kind));
    RW_GUARD(rw_store_col_text_dup(st, 4, true, &e->object));
    RW_GUARD(rw_store_col_text_dup(st, 5, true, &e->payload));
    return RW_SUCCESS;
}

void rw_store_event_cleanup(struct rw_store_event *e)
{
    event_cleanup(e);
}

static void event_cleanup(struct rw_store_event *e)
{
    free(e->actor);
    free(e->kind);
    free(e->object);
    free(e->payload);
    memset(e, 0, sizeof(*e));
}

static void event_cleanup_elem(void *elem)
{
    event_cleanup(elem);
}

struct rw_result rw_store_event_list(struct rw_store *s, int64_t since, size_t limit,
                                     struct rw_store_event **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "store: bad event_list arguments");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "SELECT seq, at, actor, kind, object, payload FROM events"
                                  " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                                  &st));
    /* A negative LIMIT means none in SQLite. */
    sqlite3_int64 lim = (limit == 0 || limit > (size_t)INT64_MAX) ? -1 : (sqlite3_int64)limit;
    const char *what = "listing events";
    struct rw_result r = RW_SUCCESS;
    int rc = sqlite3_bind_int64(st, 1, since) | sqlite3_bind_int64(st, 2, lim);
    if (rc != SQLITE_OK) {
        r = STORE_SQL_ERR(s->db, sqlite3_errcode(s->db), what);
    } else {
        void *arr = NULL;
        r = rw_store_sql_collect(s, st, sizeof(**out), read_event, event_cleanup_elem, &arr, n,
                                 what);
        *out = arr;
    }
    sqlite3_finalize(st);
    return r;
}

struct rw_result rw_store_event_last_seq(struct rw_store *s, int64_t *out)
{
    RW_ENSURE_MSG(s && out, RW_ERR_USAGE, "store: bad event_last_seq arguments");
    *out = 0;
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s, "SELECT coalesce(max(seq), 0) FROM events", &st));
    int rc = sqlite3_step(st);
    struct rw_result r = RW_SUCCESS;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else {
        r = STORE_SQL_ERR(s->db, rc, "reading the last event number");
    }
    sqlite3_finalize(st);
    return r;
}

void rw_store_event_list_free(struct rw_store_event *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        event_cleanup(&e[i]);
    }
    free(e);
}

struct rw_result rw_store_event_latest(struct rw_store *s, const char *kind, const char *object,
                                       struct rw_store_event *out)
{
    RW_ENSURE_MSG(s && kind && object && out, RW_ERR_USAGE, "store: bad event_latest arguments");
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    RW_GUARD(rw_store_sql_prepare(s,
                                  "SELECT seq, at, actor, kind, object, payload FROM events"
                                  " WHERE kind = ?1 AND object = ?2 ORDER BY seq DESC LIMIT 1",
                                  &st));
    const char *what = "finding an event";
    struct rw_result r = RW_SUCCESS;
    int rc = rw_store_bind_text(st, 1, kind) | rw_store_bind_text(st, 2, object);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        r = read_event(st, out);
        if (!rw_ok(r)) {
            event_cleanup(out);
        }
    } else if (rc == SQLITE_DONE) {
        rw_err_detail_set("no %s event for %s", kind, object);
        r = RW_ERR(RW_ERR_NOT_FOUND);
    } else {
        r = STORE_SQL_ERR(s->db, rc, what);
    }
    sqlite3_finalize(st);
    return r;
}
