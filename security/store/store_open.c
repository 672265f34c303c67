/* security/store/store_open.c — creating, opening and closing the store.
 *
 * Creation is atomic: the database is built in a private temporary file
 * (mode 0600, WAL, full schema, committed and checkpointed), then
 * hard-linked to DIR/ringward.db, which fails if a store appeared
 * meanwhile. A crash leaves either no store or a complete one (and at
 * worst a stray DIR/.ringward.db.new-* file), never an empty database.
 *
 * Opening reads the file (header, user_version, table list) before any
 * statement that could write, so a newer or damaged file is left as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "security/store/store_internal.h"

/* Returns "dir/name" on the heap (caller frees), NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
}

/* mkdir -p; directories it creates get mode 0700. */
static struct rw_result make_dirs(const char *dir)
{
    char *p = strdup(dir);
    RW_ENSURE_MSG(p, RW_ERR_NOMEM, "out of memory");
    int err = 0;
    for (char *c = p + 1; err == 0; c++) {
        if (*c != '/' && *c != '\0') {
            continue;
        }
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            err = errno;
        }
        *c = saved;
        if (saved == '\0') {
            break;
        }
    }
    free(p);
    RW_ENSURE_MSG(err == 0, RW_ERR_IO, "cannot create the data directory %s: %s", dir,
                  strerror(err));
    struct stat st;
    RW_ENSURE_MSG(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), RW_ERR_IO,
                  "%s is not a directory", dir);
    return RW_SUCCESS;
}

/* Removes a database file and the journal files SQLite may leave beside it. */
static void remove_db_files(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char buf[4096];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if ((size_t)snprintf(buf, sizeof(buf), "%s%s", path, suffixes[i]) < sizeof(buf)) {
            unlink(buf);
        }
    }
    unlink(path);
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static struct rw_result open_db(const char *path, int flags, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        struct rw_result r = STORE_SQL_ERR(db, rc, path);
        sqlite3_close(db);
        return r;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, RW_STORE_BUSY_MS);
    /* No writable_schema tricks; schema-held SQL may not call unsafe functions. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    *out = db;
    return RW_SUCCESS;
}

/* Builds a complete store in `tmp` (an empty 0600 file). */
static struct rw_result build(const char *tmp)
{
    struct rw_store t = {.db = NULL, .path = (char *)tmp};
    RW_GUARD(open_db(tmp, SQLITE_OPEN_READWRITE, &t.db));
    struct rw_result r = rw_store_configure(&t);
    if (rw_ok(r)) {
        r = rw_store_schema_create(&t);
    }
    int rc = sqlite3_close(t.db); /* checkpoints the WAL into the file */
    if (rw_ok(r) && rc != SQLITE_OK) {
        r = STORE_SQL_ERR(NULL, rc, "closing the new store");
    }
    return r;
}

static struct rw_result create_store(const char *dir, const char *path)
{
    RW_GUARD(make_dirs(dir));
    struct stat st;
    RW_ENSURE_MSG(lstat(path, &st) != 0 && errno == ENOENT, RW_ERR_EXISTS,
                  "a Ringward store already exists in %s", dir);
    char *tmp = join(dir, ".ringward.db.new-XXXXXX");
    RW_ENSURE_MSG(tmp, RW_ERR_NOMEM, "out of memory");
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        int e = errno;
        free(tmp);
        RW_BAIL_MSG(RW_ERR_IO, "cannot create a file in %s: %s", dir, strerror(e));
    }
    struct rw_result r = RW_SUCCESS;
    if (fchmod(fd, 0600) != 0) {
        rw_err_detail_set("cannot set the mode of %s: %s", tmp, strerror(errno));
        r = RW_ERR(RW_ERR_IO);
    }
    close(fd);
    if (rw_ok(r)) {
        r = build(tmp);
    }
    if (rw_ok(r) && link(tmp, path) != 0) {
        int e = errno;
        if (e == EEXIST) {
            rw_err_detail_set("a Ringward store already exists in %s", dir);
            r = RW_ERR(RW_ERR_EXISTS);
        } else {
            rw_err_detail_set("cannot create %s: %s", path, strerror(e));
            r = RW_ERR(RW_ERR_IO);
        }
    }
    remove_db_files(tmp);
    if (rw_ok(r)) {
        fsync_dir(dir);
    }
    free(tmp);
    return r;
}

static struct rw_result open_existing(struct rw_store *s, const char *dir)
{
    struct stat st;
    if (lstat(s->path, &st) != 0) {
        int e = errno;
        RW_ENSURE_MSG(e != ENOENT && e != ENOTDIR, RW_ERR_NOT_FOUND,
                      "no Ringward store in %s (run `ringward-admin init`)", dir);
        RW_BAIL_MSG(RW_ERR_IO, "cannot access %s: %s", s->path, strerror(e));
    }
    RW_ENSURE_MSG(S_ISREG(st.st_mode), RW_ERR_IO_CORRUPT,
                  "%s is not a regular file (symbolic links are refused)", s->path);
    RW_GUARD(open_db(s->path, SQLITE_OPEN_READWRITE, &s->db));
    RW_GUARD(rw_store_schema_check(s));
    RW_GUARD(rw_store_configure(s));
    return rw_store_schema_upgrade(s);
}

struct rw_result rw_store_open(const char *dir, enum rw_store_mode mode, struct rw_store **out)
{
    RW_ENSURE_MSG(out, RW_ERR_USAGE, "store: no output handle");
    *out = NULL;
    RW_ENSURE_MSG(dir && dir[0], RW_ERR_USAGE, "store: a data directory is required");
    RW_ENSURE_MSG(mode == RW_STORE_OPEN_EXISTING || mode == RW_STORE_CREATE_NEW, RW_ERR_USAGE,
                  "store: unknown open mode %d", (int)mode);
    struct rw_store *s = calloc(1, sizeof(*s));
    RW_ENSURE_MSG(s, RW_ERR_NOMEM, "out of memory");
    struct rw_result r = RW_SUCCESS;
    s->path = join(dir, RW_STORE_FILE);
    if (!s->path) {
        RW_FAIL(r, RW_ERR_NOMEM, fail, "out of memory");
    }
    if (mode == RW_STORE_CREATE_NEW) {
        RW_TRY(r, create_store(dir, s->path), fail);
    }
    RW_TRY(r, open_existing(s, dir), fail);
    *out = s;
    return RW_SUCCESS;
fail:
    rw_store_close(s);
    return r;
}

void rw_store_close(struct rw_store *s)
{
    if (!s) {
        return;
    }
    sqlite3_close_v2(s->db); /* rolls back an open transaction; NULL is fine */
    free(s->path);
    free(s);
}
