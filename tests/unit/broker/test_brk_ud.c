/* Unit tests: completion tags {slot, generation, op}. */
#include <criterion/criterion.h>

#include "broker/brk_ud.h"

Test(brk_ud, round_trips_every_field)
{
    uint32_t slots[] = {0, 1, 4242, 0x7fffffff, BRK_UD_WORKER_SLOT};
    uint32_t gens[] = {1, 2, 0x123456, BRK_UD_GEN_MASK};
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
        for (size_t j = 0; j < sizeof(gens) / sizeof(gens[0]); j++) {
            for (int op = BRK_OP_NONE; op < BRK_OP_MAX; op++) {
                struct brk_ud u = brk_ud_unpack(brk_ud_pack(slots[i], gens[j], (enum brk_op)op));
                cr_assert_eq(u.slot, slots[i]);
                cr_assert_eq(u.gen, gens[j]);
                cr_assert_eq(u.op, op);
            }
        }
    }
}

Test(brk_ud, generation_is_masked_and_never_zero)
{
    cr_assert_eq(brk_ud_next_gen(0), 1);
    cr_assert_eq(brk_ud_next_gen(5), 6);
    cr_assert_eq(brk_ud_next_gen(BRK_UD_GEN_MASK), 1, "wraps past zero");
    struct brk_ud u = brk_ud_unpack(brk_ud_pack(7, 0x1000001, BRK_OP_SEND));
    cr_assert_eq(u.gen, 1, "only 24 bits of generation are kept");
    cr_assert_eq(u.slot, 7);
    cr_assert_eq(u.op, BRK_OP_SEND);
}

Test(brk_ud, stale_generation_differs)
{
    uint64_t a = brk_ud_pack(3, 10, BRK_OP_RECV);
    uint64_t b = brk_ud_pack(3, brk_ud_next_gen(10), BRK_OP_RECV);
    cr_assert_neq(a, b);
    cr_assert_neq(brk_ud_pack(3, 10, BRK_OP_RECV), brk_ud_pack(3, 10, BRK_OP_SEND));
}
