/* core/rw_cur.h — a bounds-checked read cursor over borrowed bytes.
 *
 * A failed read never moves the cursor. Bounds are checked subtractively
 * (len - pos >= n) so no addition can overflow. The cursor never owns the
 * bytes it reads; the caller keeps them alive.
 */
#ifndef RW_CORE_CUR_H
#define RW_CORE_CUR_H

#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

struct rw_slice {
    const uint8_t *ptr;
    size_t len;
};

struct rw_cur {
    const uint8_t *data;
    size_t len;
    size_t pos;
};

void rw_cur_init(struct rw_cur *c, const uint8_t *data, size_t len);
size_t rw_cur_remaining(const struct rw_cur *c);

RW_RESULT rw_cur_read_u8(struct rw_cur *c, uint8_t *out);
RW_RESULT rw_cur_read_u16(struct rw_cur *c, uint16_t *out);  /* big-endian */
RW_RESULT rw_cur_read_u32(struct rw_cur *c, uint32_t *out);  /* big-endian */
RW_RESULT rw_cur_read_u64(struct rw_cur *c, uint64_t *out);  /* big-endian */
/* Lends the next n bytes as a slice into the cursor's data. */
RW_RESULT rw_cur_read_slice(struct rw_cur *c, size_t n, struct rw_slice *out);
RW_RESULT rw_cur_skip(struct rw_cur *c, size_t n);

#endif
