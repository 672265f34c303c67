/* Unit tests: the per-worker expiry heap (order, removal from the middle,
 * back-indices kept exact). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "broker/brk_worker.h"

#define N 200

static struct brk_worker w;

static void setup(void)
{
    memset(&w, 0, sizeof(w));
    w.conns = calloc(N, sizeof(*w.conns));
    w.n_slots = N;
    for (uint32_t i = 0; i < N; i++) {
        w.conns[i].slot = i;
        w.conns[i].exp_idx = BRK_EXP_NONE;
    }
    cr_assert(rw_ok(brk_expiry_init(&w, N)));
}

static void teardown(void)
{
    brk_expiry_cleanup(&w);
    free(w.conns);
}

TestSuite(brk_expiry, .init = setup, .fini = teardown);

static void check_heap(void)
{
    for (uint32_t i = 0; i < w.exp.n; i++) {
        cr_assert_eq(w.conns[w.exp.h[i].slot].exp_idx, i, "back-index of entry %u", i);
        if (i > 0) {
            cr_assert_leq(w.exp.h[(i - 1) / 2].at_ms, w.exp.h[i].at_ms, "heap order at %u", i);
        }
    }
}

Test(brk_expiry, pops_in_order_and_removes_from_the_middle)
{
    srand(7);
    for (uint32_t i = 0; i < N; i++) {
        brk_expiry_add(&w, &w.conns[i], (int64_t)(rand() % 1000));
    }
    check_heap();
    for (uint32_t i = 0; i < N; i += 3) {
        brk_expiry_del(&w, &w.conns[i]);
        cr_assert_eq(w.conns[i].exp_idx, BRK_EXP_NONE);
        check_heap();
    }
    brk_expiry_del(&w, &w.conns[0]); /* absent: nothing happens */
    brk_expiry_add(&w, &w.conns[1], 5000); /* re-adding moves it */
    check_heap();
    int64_t last = -1;
    uint32_t popped = 0;
    while (w.exp.n > 0) {
        struct brk_conn *c = &w.conns[w.exp.h[0].slot];
        cr_assert_geq(w.exp.h[0].at_ms, last);
        last = w.exp.h[0].at_ms;
        brk_expiry_del(&w, c);
        check_heap();
        popped++;
    }
    cr_assert_eq(popped, N - (N + 2) / 3);
    cr_assert_eq(last, 5000);
}
