/* admin/adm_export_file.c — the output files of `certs export`: safe names,
 * the existing-file check, and atomic no-replace writes (a temporary file in
 * the same directory, fsync, rename, fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/adm_export.h"
#include "core/rw_buf.h"

#define SAFE_NAME_MAX 128

bool adm_export_safe_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SAFE_NAME_MAX || s[0] == '.') {
        return false;
    }
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+-") == n;
}

/* True when the file at `path` holds exactly data[0..len). */
static bool same_bytes(const char *path, const void *data, size_t len)
{
    struct rw_buf b;
    rw_buf_init(&b, len + 1);
    bool same = rw_ok(rw_buf_read_file(&b, path)) && b.len == len &&
                (len == 0 || memcmp(b.data, data, len) == 0);
    rw_buf_cleanup(&b);
    return same;
}

struct rw_result adm_export_check(const char *path, const void *data, size_t len, bool force,
                                  bool *same)
{
    *same = false;
    struct stat st;
    if (lstat(path, &st) != 0) {
        RW_ENSURE_MSG(errno == ENOENT, RW_ERR_IO, "cannot check %s: %s", path, strerror(errno));
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(S_ISREG(st.st_mode), RW_ERR_EXISTS, "%s exists and is not a regular file",
                  path);
    if (data && same_bytes(path, data, len)) {
        *same = true;
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(force, RW_ERR_EXISTS,
                  "%s already exists: give --force to replace it (nothing was written)", path);
    return RW_SUCCESS;
}

struct rw_result adm_export_temp(const char *path, char **tmp, int *fd)
{
    char *copy = strdup(path);
    RW_ENSURE(copy, RW_ERR_NOMEM);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dir = dirname(copy);
    size_t cap = strlen(dir) + strlen(base) + 16;
    char *t = malloc(cap);
    if (!t) {
        free(copy);
        RW_BAIL(RW_ERR_NOMEM);
    }
    snprintf(t, cap, "%s/.%s.XXXXXX", dir, base);
    free(copy);
    *fd = mkostemp(t, O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        free(t);
        RW_BAIL_MSG(RW_ERR_IO, "cannot create a temporary file beside %s: %s", path,
                    strerror(e));
    }
    *tmp = t;
    return RW_SUCCESS;
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        return;
    }
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

/* rename(2), or an atomic no-replace move: renameat2(RENAME_NOREPLACE),
 * else link + unlink where the file system lacks it. Sets errno. */
static bool move_into_place(const char *tmp, const char *path, bool force)
{
    if (force) {
        return rename(tmp, path) == 0;
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
        return true;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return false;
    }
    if (link(tmp, path) != 0) {
        return false;
    }
    (void)unlink(tmp);
    return true;
}

struct rw_result adm_export_place(char *tmp, int fd, const char *path, mode_t mode, bool force)
{
    const char *step = "fchmod";
    bool ok = fchmod(fd, mode) == 0;
    if (ok) {
        step = "fsync";
        ok = fsync(fd) == 0;
    }
    int e = errno;
    if (close(fd) != 0 && ok) {
        e = errno;
        step = "close";
        ok = false;
    }
    if (ok) {
        step = "rename";
        ok = move_into_place(tmp, path, force);
        e = errno;
    }
    if (!ok) {
        (void)unlink(tmp);
        free(tmp);
        RW_ENSURE_MSG(e != EEXIST, RW_ERR_EXISTS,
                      "%s appeared meanwhile: give --force to replace it (nothing was written)",
                      path);
        RW_BAIL_MSG(RW_ERR_IO, "cannot write %s (%s): %s", path, step, strerror(e));
    }
    free(tmp);
    fsync_dir_of(path);
    return RW_SUCCESS;
}

struct rw_result adm_export_write(const char *path, const void *data, size_t len, mode_t mode,
                                  bool force)
{
    char *tmp = NULL;
    int fd = -1;
    RW_GUARD(adm_export_temp(path, &tmp, &fd));
    if (!rw_write_all(fd, data, len)) {
        int e = errno;
        close(fd);
        (void)unlink(tmp);
        free(tmp);
        RW_BAIL_MSG(RW_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return adm_export_place(tmp, fd, path, mode, force);
}
