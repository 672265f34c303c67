/* security/sec_key_file.c — writing secret/public files atomically, and
 * loading the CA passphrase (declared in security/sec_key.h).
 *
 * Files are written atomically by core/rw_file.h (a 0600 temporary file
 * beside the target, fchmod'ed, fsync'ed, renamed over it, the directory
 * fsync'ed). Passphrases are malloc'ed strings the caller frees
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

#include "core/rw_buf.h"
#include "core/rw_file.h"

#define PASSPHRASE_FILE_MAX 4096
#define PASSPHRASE_ENV "RINGWARD_CA_PASSPHRASE"

void rw_sec_secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

struct rw_result rw_sec_secret_write_file(const char *path, const char *pem)
{
    RW_ENSURE_MSG(pem, RW_ERR_USAGE, "no secret to write");
    return rw_file_write_atomic(path, pem, strlen(pem), 0600, true);
}

struct rw_result rw_sec_public_write_file(const char *path, const void *data, size_t len)
{
    return rw_file_write_atomic(path, data, len, 0644, true);
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
