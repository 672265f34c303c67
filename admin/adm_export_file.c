/* admin/adm_export_file.c — the output files of `certs export`: safe names,
 * the existing-file check, and atomic no-replace writes (core/rw_file.h). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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

/* The core writer's EXISTS, told the way the CLI fixes it. */
static struct rw_result with_force_hint(struct rw_result r, const char *path)
{
    if (r.err == RW_ERR_EXISTS) {
        rw_err_detail_set("%s appeared meanwhile: give --force to replace it (nothing was "
                          "written)", path);
    }
    return r;
}

struct rw_result adm_export_place(struct rw_file_tmp *t, const char *path, mode_t mode,
                                  bool force)
{
    return with_force_hint(rw_file_tmp_place(t, path, mode, force), path);
}

struct rw_result adm_export_write(const char *path, const void *data, size_t len, mode_t mode,
                                  bool force)
{
    return with_force_hint(rw_file_write_atomic(path, data, len, mode, force), path);
}
