/* The validation cache: LRU order, bounds, generations, concurrency. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "security/sec_vcache.h"

static void key_of(unsigned i, uint8_t key[RW_VCACHE_KEY_LEN])
{
    /* Spread like a digest: every byte depends on i. */
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1;
    for (int b = 0; b < RW_VCACHE_KEY_LEN; b++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        key[b] = (uint8_t)(x >> 56);
    }
}

static struct rw_sec_vcache_val val_of(unsigned i)
{
    struct rw_sec_vcache_val v;
    memset(&v, 0, sizeof(v));
    snprintf(v.id.principal, sizeof(v.id.principal), "p-%u", i);
    v.id.role = RW_ROLE_PRODUCER;
    v.chain.n = 1;
    v.chain.certs[0].serial_len = 1;
    v.chain.certs[0].serial[0] = (uint8_t)i;
    return v;
}

static void put(struct rw_sec_vcache *c, unsigned i, uint64_t gen)
{
    uint8_t key[RW_VCACHE_KEY_LEN];
    key_of(i, key);
    struct rw_sec_vcache_val v = val_of(i);
    cr_assert(rw_ok(rw_sec_vcache_put(c, key, gen, &v)));
}

static bool get(struct rw_sec_vcache *c, unsigned i, uint64_t gen)
{
    uint8_t key[RW_VCACHE_KEY_LEN];
    struct rw_sec_vcache_val v;
    key_of(i, key);
    if (!rw_sec_vcache_get(c, key, gen, &v)) {
        return false;
    }
    char want[32];
    snprintf(want, sizeof(want), "p-%u", i);
    cr_assert_str_eq(v.id.principal, want, "the value belongs to its key");
    return true;
}

TestSuite(sec_vcache, .timeout = 60);

Test(sec_vcache, evicts_the_least_recently_used_at_capacity)
{
    struct rw_sec_vcache *c = NULL;
    cr_assert(rw_ok(rw_sec_vcache_new(4, 1, &c)));
    uint64_t g = rw_sec_vcache_generation(c);
    for (unsigned i = 0; i < 4; i++) {
        put(c, i, g);
    }
    cr_assert_eq(rw_sec_vcache_count(c), 4);
    cr_assert(get(c, 0, g), "touching 0 makes 1 the oldest");
    put(c, 4, g);
    cr_assert_eq(rw_sec_vcache_count(c), 4, "bounded");
    cr_assert_eq(rw_sec_vcache_evictions(c), 1);
    cr_assert_not(get(c, 1, g), "the LRU entry was evicted");
    cr_assert(get(c, 0, g));
    cr_assert(get(c, 2, g));
    cr_assert(get(c, 3, g));
    cr_assert(get(c, 4, g));
    rw_sec_vcache_free(c);
}

Test(sec_vcache, put_replaces_and_remove_drops)
{
    struct rw_sec_vcache *c = NULL;
    cr_assert(rw_ok(rw_sec_vcache_new(8, 1, &c)));
    uint64_t g = rw_sec_vcache_generation(c);
    put(c, 7, g);
    put(c, 7, g);
    cr_assert_eq(rw_sec_vcache_count(c), 1);
    uint8_t key[RW_VCACHE_KEY_LEN];
    key_of(7, key);
    rw_sec_vcache_remove(c, key);
    rw_sec_vcache_remove(c, key);
    cr_assert_not(get(c, 7, g));
    cr_assert_eq(rw_sec_vcache_count(c), 0);
    rw_sec_vcache_free(c);
}

Test(sec_vcache, a_new_generation_serves_nothing_older)
{
    struct rw_sec_vcache *c = NULL;
    cr_assert(rw_ok(rw_sec_vcache_new(64, 0, &c)));
    uint64_t g1 = rw_sec_vcache_generation(c);
    for (unsigned i = 0; i < 10; i++) {
        put(c, i, g1);
    }
    uint64_t g2 = rw_sec_vcache_clear(c);
    cr_assert_neq(g1, g2);
    cr_assert_eq(rw_sec_vcache_count(c), 0);
    cr_assert_not(get(c, 3, g2));
    put(c, 3, g1); /* a verification that started before the swap */
    cr_assert_eq(rw_sec_vcache_count(c), 0, "stale generations are never stored");
    put(c, 3, g2);
    cr_assert(get(c, 3, g2));
    cr_assert_not(get(c, 3, g1), "a reader on the old snapshot misses");
    uint64_t g3 = rw_sec_vcache_invalidate(c);
    cr_assert_not(get(c, 3, g3), "invalidate alone hides old entries");
    cr_assert_eq(rw_sec_vcache_count(c), 0, "and drops them when met");
    rw_sec_vcache_free(c);
}

Test(sec_vcache, automatic_shards_keep_the_total_bound)
{
    struct rw_sec_vcache *c = NULL;
    cr_assert(rw_ok(rw_sec_vcache_new(2048, 0, &c)));
    cr_assert_eq(rw_sec_vcache_capacity(c), 2048);
    uint64_t g = rw_sec_vcache_generation(c);
    for (unsigned i = 0; i < 10000; i++) {
        put(c, i, g);
    }
    size_t n = rw_sec_vcache_count(c);
    cr_assert(n <= 2048 && n > 1900, "count %zu", n);
    cr_assert(get(c, 9999, g), "the newest entry is present");
    rw_sec_vcache_free(c);
}

struct worker {
    struct rw_sec_vcache *c;
    uint64_t gen;
    unsigned seed;
    unsigned hits;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (unsigned i = 0; i < 20000; i++) {
        unsigned k = (w->seed + i * 7919u) % 64; /* fits the cache: hits are certain */
        uint8_t key[RW_VCACHE_KEY_LEN];
        struct rw_sec_vcache_val v;
        key_of(k, key);
        if (rw_sec_vcache_get(w->c, key, w->gen, &v)) {
            char want[32];
            snprintf(want, sizeof(want), "p-%u", k);
            if (strcmp(v.id.principal, want) != 0) {
                return (void *)1;
            }
            w->hits++;
        } else {
            v = val_of(k);
            if (!rw_ok(rw_sec_vcache_put(w->c, key, w->gen, &v))) {
                return (void *)1;
            }
        }
    }
    return NULL;
}

Test(sec_vcache, concurrent_lookups_stay_consistent_and_bounded)
{
    struct rw_sec_vcache *c = NULL;
    cr_assert(rw_ok(rw_sec_vcache_new(128, 4, &c)));
    struct worker w[2] = {{c, rw_sec_vcache_generation(c), 1, 0},
                          {c, rw_sec_vcache_generation(c), 12345, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        cr_assert_null(ret, "worker %d saw a wrong value", i);
    }
    cr_assert(rw_sec_vcache_count(c) <= 128);
    cr_assert_gt(w[0].hits + w[1].hits, 0);
    rw_sec_vcache_free(c);
}
