/* Unit tests: the follower thread over a fake event source — events in
 * order, a refused batch offered again, pokes, and stop. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/brk_follow.h"

struct fake {
    struct brk_event_source base;
    _Atomic int64_t last;     /* events 1..last exist */
};

static struct rw_result fake_fetch(struct brk_event_source *s, int64_t since, size_t limit,
                                   struct rw_store_event **ev, size_t *n)
{
    struct fake *f = (struct fake *)s;
    int64_t last = atomic_load(&f->last);
    size_t k = last > since ? (size_t)(last - since) : 0;
    k = limit && k > limit ? limit : k;
    *ev = calloc(k ? k : 1, sizeof(**ev));
    for (size_t i = 0; i < k; i++) {
        (*ev)[i].seq = since + 1 + (int64_t)i;
        (*ev)[i].kind = strdup(i % 2 ? "cert.revoked" : "ca.created");
        (*ev)[i].actor = strdup("t");
        (*ev)[i].object = strdup("o");
        (*ev)[i].payload = strdup("{}");
    }
    *n = k;
    return RW_SUCCESS;
}

static struct rw_result fake_last(struct brk_event_source *s, int64_t *out)
{
    *out = atomic_load(&((struct fake *)s)->last);
    return RW_SUCCESS;
}

static void fake_wait(struct brk_event_source *s, int fd, unsigned max_ms)
{
    (void)s;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, 1, (int)(max_ms < 20 ? max_ms : 20));
}

static void fake_free(struct brk_event_source *s) { free(s); }

static const struct brk_event_source_ops fake_ops = {"fake", fake_fetch, fake_last, fake_wait,
                                                     fake_free};

struct seen {
    _Atomic int64_t next;      /* the seq expected next */
    _Atomic int refusals;      /* batches still to refuse */
    _Atomic int pokes, ticks, out_of_order;
};

static bool on_events(void *arg, const struct rw_store_event *ev, size_t n)
{
    struct seen *s = arg;
    if (atomic_load(&s->refusals) > 0) {
        atomic_fetch_sub(&s->refusals, 1);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (ev[i].seq != atomic_load(&s->next)) {
            atomic_fetch_add(&s->out_of_order, 1);
        }
        atomic_store(&s->next, ev[i].seq + 1);
    }
    return true;
}

static void on_tick(void *arg, bool poked)
{
    struct seen *s = arg;
    atomic_fetch_add(&s->ticks, 1);
    if (poked) {
        atomic_fetch_add(&s->pokes, 1);
    }
}

static bool wait_until(_Atomic int64_t *v, int64_t want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return atomic_load(v) >= want;
}

Test(brk_follow, delivers_in_order_retries_refused_batches_and_stops)
{
    struct fake *src = calloc(1, sizeof(*src));
    src->base.ops = &fake_ops;
    atomic_init(&src->last, 5);
    struct seen s;
    memset(&s, 0, sizeof(s));
    atomic_init(&s.next, 3);
    atomic_init(&s.refusals, 2);
    struct brk_follow_handler h = {on_events, on_tick, &s};
    struct brk_follow *f = NULL;
    cr_assert(rw_ok(brk_follow_start(&src->base, 2, &h, &f)));
    cr_assert(wait_until(&s.next, 6), "events 3..5 (after 2) delivered after two refusals");
    cr_assert_eq(brk_follow_applied_seq(f), 5);
    atomic_store(&src->last, 3000); /* more than one batch */
    cr_assert(wait_until(&s.next, 3001));
    cr_assert_eq(atomic_load(&s.out_of_order), 0);
    cr_assert_eq(brk_follow_store_seq(f), 3000);
    brk_follow_poke(f);
    for (int i = 0; i < 500 && atomic_load(&s.pokes) == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_geq(atomic_load(&s.pokes), 1, "a poke reaches the tick");
    brk_follow_stop(f);
    cr_assert_gt(atomic_load(&s.ticks), 1);
}
