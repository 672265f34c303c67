/* core/rw_file.c — atomic file writes (see core/rw_file.h). */
#include "core/rw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rw_buf.h"

/* Length of the directory part of `path` ("" for none, "/" kept). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
}

struct rw_result rw_file_tmp_open(const char *target, struct rw_file_tmp *t)
{
    t->path = NULL;
    t->fd = -1;
    RW_ENSURE_MSG(target && target[0], RW_ERR_USAGE, "no output file given");
    size_t dl = dir_len(target);
    const char *base = target + dl + (dl > 0 && target[dl] == '/');
    size_t cap = strlen(target) + 16;
    char *p = malloc(cap);
    RW_ENSURE(p, RW_ERR_NOMEM);
    snprintf(p, cap, "%.*s%s.%s.XXXXXX", (int)dl, target, dl ? "/" : "", base);
    int fd = mkostemp(p, O_CLOEXEC); /* O_EXCL, mode 0600 */
    if (fd < 0) {
        int e = errno;
        free(p);
        RW_BAIL_MSG(RW_ERR_IO, "cannot create a temporary file beside %s: %s", target,
                    strerror(e));
    }
    t->path = p;
    t->fd = fd;
    return RW_SUCCESS;
}

void rw_file_tmp_abort(struct rw_file_tmp *t)
{
    if (t->fd >= 0) {
        close(t->fd);
    }
    if (t->path) {
        (void)unlink(t->path);
        free(t->path);
    }
    t->path = NULL;
    t->fd = -1;
}

/* Best effort: makes the move durable. */
static void fsync_dir_of(const char *path)
{
    char dir[4096];
    size_t dl = dir_len(path);
    if (dl >= sizeof(dir)) {
        return;
    }
    if (dl == 0) {
        snprintf(dir, sizeof(dir), ".");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int)dl, path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* rename(2), or a no-replace move; sets errno. */
static bool move_into_place(const char *tmp, const char *target, bool replace)
{
    if (replace) {
        return rename(tmp, target) == 0;
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) == 0) {
        return true;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return false;
    }
    if (link(tmp, target) != 0) {
        return false;
    }
    (void)unlink(tmp);
    return true;
}

struct rw_result rw_file_tmp_place(struct rw_file_tmp *t, const char *target, mode_t mode,
                                   bool replace)
{
    const char *step = "fchmod";
    bool ok = fchmod(t->fd, mode) == 0;
    if (ok) {
        step = "fsync";
        ok = fsync(t->fd) == 0;
    }
    int e = errno;
    if (close(t->fd) != 0 && ok) {
        e = errno;
        step = "close";
        ok = false;
    }
    t->fd = -1;
    if (ok) {
        step = "rename";
        ok = move_into_place(t->path, target, replace);
        e = errno;
    }
    if (!ok) {
        rw_file_tmp_abort(t);
        RW_ENSURE_MSG(e != EEXIST, RW_ERR_EXISTS, "%s appeared meanwhile (nothing was written)",
                      target);
        RW_BAIL_MSG(RW_ERR_IO, "cannot write %s (%s): %s", target, step, strerror(e));
    }
    free(t->path);
    t->path = NULL;
    fsync_dir_of(target);
    return RW_SUCCESS;
}

struct rw_result rw_file_write_atomic(const char *target, const void *data, size_t len,
                                      mode_t mode, bool replace)
{
    RW_ENSURE_MSG(data || len == 0, RW_ERR_USAGE, "no data to write to %s", target);
    struct rw_file_tmp t;
    RW_GUARD(rw_file_tmp_open(target, &t));
    if (!rw_write_all(t.fd, data, len)) {
        int e = errno;
        rw_file_tmp_abort(&t);
        RW_BAIL_MSG(RW_ERR_IO, "cannot write %s (write): %s", target, strerror(e));
    }
    return rw_file_tmp_place(&t, target, mode, replace);
}
