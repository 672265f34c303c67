/* core/rw_cur.c — bounds-checked cursor; failed reads move nothing. */
#include "core/rw_cur.h"

void rw_cur_init(struct rw_cur *c, const uint8_t *data, size_t len)
{
    c->data = data;
    c->len = data ? len : 0;
    c->pos = 0;
}

size_t rw_cur_remaining(const struct rw_cur *c) { return c->len - c->pos; }

static struct rw_result take(struct rw_cur *c, size_t n, const uint8_t **out)
{
    RW_ENSURE(c->len - c->pos >= n, RW_ERR_PROTO_TRUNCATED);
    *out = c->data + c->pos;
    c->pos += n;
    return RW_SUCCESS;
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

struct rw_result rw_cur_read_u8(struct rw_cur *c, uint8_t *out)
{
    const uint8_t *p = NULL;
    RW_GUARD(take(c, 1, &p));
    *out = p[0];
    return RW_SUCCESS;
}

struct rw_result rw_cur_read_u16(struct rw_cur *c, uint16_t *out)
{
    const uint8_t *p = NULL;
    RW_GUARD(take(c, 2, &p));
    *out = (uint16_t)load_be(p, 2);
    return RW_SUCCESS;
}

struct rw_result rw_cur_read_u32(struct rw_cur *c, uint32_t *out)
{
    const uint8_t *p = NULL;
    RW_GUARD(take(c, 4, &p));
    *out = (uint32_t)load_be(p, 4);
    return RW_SUCCESS;
}

struct rw_result rw_cur_read_u64(struct rw_cur *c, uint64_t *out)
{
    const uint8_t *p = NULL;
    RW_GUARD(take(c, 8, &p));
    *out = load_be(p, 8);
    return RW_SUCCESS;
}

struct rw_result rw_cur_read_slice(struct rw_cur *c, size_t n, struct rw_slice *out)
{
    const uint8_t *p = NULL;
    RW_GUARD(take(c, n, &p));
    out->ptr = p;
    out->len = n;
    return RW_SUCCESS;
}

struct rw_result rw_cur_skip(struct rw_cur *c, size_t n)
{
    const uint8_t *p = NULL;
    return take(c, n, &p);
}
