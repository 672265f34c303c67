/* core/rw_buf.h — an owned, growable byte buffer with a hard maximum.
 *
 * The buffer owns `data`; rw_buf_cleanup() frees it. Growth beyond `max`
 * fails with RW_ERR_LIMIT and changes nothing. rw_buf_wipe_cleanup() zeroes
 * the bytes first, for secrets.
 */
#ifndef RW_CORE_BUF_H
#define RW_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

struct rw_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
};

void rw_buf_init(struct rw_buf *b, size_t max);
void rw_buf_cleanup(struct rw_buf *b);
void rw_buf_wipe_cleanup(struct rw_buf *b);

RW_RESULT rw_buf_reserve(struct rw_buf *b, size_t extra);
RW_RESULT rw_buf_append(struct rw_buf *b, const void *p, size_t n);
RW_RESULT rw_buf_append_str(struct rw_buf *b, const char *s);
RW_RESULT rw_buf_append_u32(struct rw_buf *b, uint32_t v);  /* big-endian */
/* Drops the first n bytes (n <= len). */
void rw_buf_consume(struct rw_buf *b, size_t n);
/* Makes data a NUL-terminated string (the NUL is not counted in len). */
RW_RESULT rw_buf_terminate(struct rw_buf *b);
/* Reads a whole file, at most `max` bytes (RW_ERR_LIMIT beyond). */
RW_RESULT rw_buf_read_file(struct rw_buf *b, const char *path);
/* Writes all n bytes to fd (retrying short writes and EINTR); false with
 * errno set on failure. */
bool rw_write_all(int fd, const void *p, size_t n);

#endif
