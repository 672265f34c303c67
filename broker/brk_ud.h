/* broker/brk_ud.h — completion tags: {slot, generation, op} in a u64.
 *
 * Every SQE the broker submits carries one of these as user_data, never a
 * bare fd or pointer. A completion whose generation no longer matches its
 * slot belongs to a connection that has since been freed and reused: the
 * loop drops it. Layout (high to low): op 8 bits | generation 24 bits |
 * slot 32 bits. Worker-level operations (accept, timer, wakeup) use slot
 * BRK_UD_WORKER_SLOT and generation 0.
 */
#ifndef RW_BRK_UD_H
#define RW_BRK_UD_H

#include <stdint.h>

enum brk_op {
    BRK_OP_NONE = 0,
    BRK_OP_ACCEPT,   /* multishot accept on the worker's listener */
    BRK_OP_TIMER,    /* the worker's periodic tick */
    BRK_OP_WAKE,     /* read on the worker's eventfd */
    BRK_OP_RECV,     /* multishot recv of a connection */
    BRK_OP_SEND,     /* the one send in flight of a connection */
    BRK_OP_CANCEL,   /* cancel of a connection's recv */
    BRK_OP_CLOSE,    /* close of a connection's fd */
    BRK_OP_IGNORE,   /* fire-and-forget (cancel of worker ops at exit) */
    BRK_OP_ADMIN_ACCEPT, /* multishot accept on the admin listener (worker 0) */
    BRK_OP_MAX
};

#define BRK_UD_GEN_MASK 0xffffffu
#define BRK_UD_WORKER_SLOT 0xffffffffu

struct brk_ud {
    uint32_t slot;
    uint32_t gen; /* 24 bits significant */
    enum brk_op op;
};

static inline uint64_t brk_ud_pack(uint32_t slot, uint32_t gen, enum brk_op op)
{
    return (uint64_t)(op & 0xffu) << 56 | (uint64_t)(gen & BRK_UD_GEN_MASK) << 32 | slot;
}

static inline struct brk_ud brk_ud_unpack(uint64_t ud)
{
    struct brk_ud u;
    u.slot = (uint32_t)ud;
    u.gen = (uint32_t)(ud >> 32) & BRK_UD_GEN_MASK;
    u.op = (enum brk_op)(ud >> 56);
    return u;
}

/* Next generation of a slot: wraps inside 24 bits and never yields 0, so a
 * zeroed slot never matches a live tag. */
static inline uint32_t brk_ud_next_gen(uint32_t gen)
{
    gen = (gen + 1) & BRK_UD_GEN_MASK;
    return gen ? gen : 1;
}

#endif
