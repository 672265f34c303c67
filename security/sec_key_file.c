/* security/sec_key_file.c — writing secret/public files atomically, and
 * loading the CA passphrase (declared in security/sec_key.h).
 *
 * Files are written to a temp file in the target's directory (created
 * O_EXCL with mode 0600, then fchmod'ed to the final mode so the umask
 * never matters), fsync'ed and renamed over the target; the directory is
 * fsync'ed afterwards. Passphrases are malloc'ed strings the caller frees
 * with rw_sec_secret_free; every intermediate copy is wiped.
 */
#include "security/sec_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/rw_buf.h"

#define PASSPHRASE_FILE_MAX 4096
#define PASSPHRASE_ENV "RINGWARD_CA_PASSPHRASE"

void rw_sec_secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* Creates a fresh temp file next to `path`; *tmp_out is malloc'ed. */
static struct rw_result open_temp(const char *path, char **tmp_out, int *fd_out)
{
    size_t cap = strlen(path) + 40;
    char *tmp = malloc(cap);
    RW_ENSURE(tmp, RW_ERR_NOMEM);
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned int rnd = 0;
        if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1) {
            rnd = (unsigned int)attempt;
        }
        snprintf(tmp, cap, "%s.tmp-%ld-%08x", path, (long)getpid(), rnd);
        int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return RW_SUCCESS;
        }
        if (errno != EEXIST) {
            break;
        }
    }
    int e = errno;
    free(tmp);
    RW_BAIL_MSG(RW_ERR_IO, "cannot create a temporary file next to %s: %s", path, strerror(e));
}

/* Best effort: makes the rename durable. */
static void fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else if ((size_t)(slash - path) < sizeof(dir)) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    } else {
        return;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static struct rw_result write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    RW_ENSURE_MSG(path && path[0], RW_ERR_USAGE, "no output file given");
    RW_ENSURE_MSG(data || len == 0, RW_ERR_USAGE, "no data to write to %s", path);
    char *tmp = NULL;
    int fd = -1;
    RW_GUARD(open_temp(path, &tmp, &fd));
    const char *step = "fchmod";
    bool ok = fchmod(fd, mode) == 0;
    if (ok) {
        step = "write";
        ok = rw_write_all(fd, data, len);
    }
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
        ok = rename(tmp, path) == 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        RW_BAIL_MSG(RW_ERR_IO, "cannot write %s (%s): %s", path, step, strerror(e));
    }
    free(tmp);
    fsync_parent(path);
    return RW_SUCCESS;
}

struct rw_result rw_sec_secret_write_file(const char *path, const char *pem)
{
    RW_ENSURE_MSG(pem, RW_ERR_USAGE, "no secret to write");
    return write_atomic(path, pem, strlen(pem), 0600);
}

struct rw_result rw_sec_public_write_file(const char *path, const void *data, size_t len)
{
    return write_atomic(path, data, len, 0644);
}

/* Reads at most PASSPHRASE_FILE_MAX + 1 bytes into buf (which has room for
 * that many); *n is what was read. */
static struct rw_result read_small(const char *file, char *buf, size_t *n)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        RW_BAIL_MSG(e == ENOENT ? RW_ERR_NOT_FOUND : RW_ERR_IO, "cannot open passphrase file %s: %s",
                    file, strerror(e));
    }
    size_t got = 0;
    while (got < PASSPHRASE_FILE_MAX + 1) {
        ssize_t r = read(fd, buf + got, PASSPHRASE_FILE_MAX + 1 - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            close(fd);
            RW_BAIL_MSG(RW_ERR_IO, "cannot read passphrase file %s: %s", file, strerror(e));
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *n = got;
    return RW_SUCCESS;
}

static struct rw_result passphrase_from_file(const char *file, char **out)
{
    RW_ENSURE_MSG(file[0], RW_ERR_USAGE, "the passphrase file name is empty");
    char buf[PASSPHRASE_FILE_MAX + 1];
    size_t n = 0;
    struct rw_result r = read_small(file, buf, &n);
    if (rw_ok(r) && n > PASSPHRASE_FILE_MAX) {
        rw_err_detail_set("passphrase file %s is larger than %d bytes", file, PASSPHRASE_FILE_MAX);
        r = RW_ERR(RW_ERR_USAGE);
    }
    if (rw_ok(r)) {
        if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n') {
            n -= 2;
        } else if (n >= 1 && buf[n - 1] == '\n') {
            n -= 1;
        }
        if (n == 0) {
            rw_err_detail_set("passphrase file %s is empty", file);
            r = RW_ERR(RW_ERR_USAGE);
        } else if (memchr(buf, '\0', n)) {
            rw_err_detail_set("passphrase file %s holds a NUL byte", file);
            r = RW_ERR(RW_ERR_USAGE);
        }
    }
    if (rw_ok(r)) {
        char *s = malloc(n + 1);
        if (s) {
            memcpy(s, buf, n);
            s[n] = '\0';
            *out = s;
        } else {
            r = RW_ERR(RW_ERR_NOMEM);
        }
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    return r;
}

struct rw_result rw_sec_passphrase_load(const char *file, char **out)
{
    RW_ENSURE_MSG(out, RW_ERR_USAGE, "no output for the passphrase");
    *out = NULL;
    if (file) {
        return passphrase_from_file(file, out);
    }
    const char *env = getenv(PASSPHRASE_ENV);
    RW_ENSURE_MSG(env, RW_ERR_NOT_FOUND,
                  "no CA passphrase: give a passphrase file or set " PASSPHRASE_ENV);
    RW_ENSURE_MSG(env[0], RW_ERR_USAGE, PASSPHRASE_ENV " is set but empty");
    char *s = strdup(env);
    RW_ENSURE(s, RW_ERR_NOMEM);
    *out = s;
    return RW_SUCCESS;
}
