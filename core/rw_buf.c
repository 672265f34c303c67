/* core/rw_buf.c — owned buffer with a hard cap. */
#include "core/rw_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rw_buf_init(struct rw_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void rw_buf_cleanup(struct rw_buf *b)
{
    free(b->data);
    rw_buf_init(b, b->max);
}

void rw_buf_wipe_cleanup(struct rw_buf *b)
{
    if (b->data) {
        explicit_bzero(b->data, b->cap);
    }
    rw_buf_cleanup(b);
}

struct rw_result rw_buf_reserve(struct rw_buf *b, size_t extra)
{
    RW_ENSURE(b->max - b->len >= extra, RW_ERR_LIMIT);
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return RW_SUCCESS;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > b->max) {
        cap = b->max;
    }
    uint8_t *p = malloc(cap);
    RW_ENSURE(p, RW_ERR_NOMEM);
    if (b->data) {
        memcpy(p, b->data, b->len);
        explicit_bzero(b->data, b->cap);
        free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return RW_SUCCESS;
}

struct rw_result rw_buf_append(struct rw_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return RW_SUCCESS;
    }
    RW_GUARD(rw_buf_reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return RW_SUCCESS;
}

struct rw_result rw_buf_append_str(struct rw_buf *b, const char *s)
{
    return rw_buf_append(b, s, strlen(s));
}

struct rw_result rw_buf_append_u32(struct rw_buf *b, uint32_t v)
{
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return rw_buf_append(b, be, sizeof(be));
}

void rw_buf_consume(struct rw_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

struct rw_result rw_buf_terminate(struct rw_buf *b)
{
    RW_GUARD(rw_buf_reserve(b, 1));
    b->data[b->len] = '\0';
    return RW_SUCCESS;
}

struct rw_result rw_buf_read_file(struct rw_buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    RW_ENSURE_MSG(f, errno == ENOENT ? RW_ERR_NOT_FOUND : RW_ERR_IO, "cannot open %s: %s", path,
                  strerror(errno));
    struct rw_result r = RW_SUCCESS;
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        r = rw_buf_append(b, chunk, n);
        if (!rw_ok(r)) {
            rw_err_detail_set("%s is larger than %zu bytes", path, b->max);
            break;
        }
    }
    if (rw_ok(r) && ferror(f)) {
        rw_err_detail_set("cannot read %s", path);
        r = RW_ERR(RW_ERR_IO);
    }
    explicit_bzero(chunk, sizeof(chunk));
    fclose(f);
    if (rw_ok(r)) {
        r = rw_buf_terminate(b);
    }
    return r;
}

bool rw_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *at = p;
    while (n > 0) {
        ssize_t w = write(fd, at, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        at += w;
        n -= (size_t)w;
    }
    return true;
}
