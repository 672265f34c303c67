/* Unit tests: topics — offsets, reads, retention, notification, threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/brk_topic.h"

static struct brk_topics *reg;
static atomic_int notified[4];

static void on_notify(void *arg, unsigned w)
{
    (void)arg;
    atomic_fetch_add(&notified[w], 1);
}

static void make(uint64_t retention, size_t seg)
{
    struct brk_topics_cfg cfg = {.retention_bytes = retention, .segment_bytes = seg, .workers = 4,
                                 .max_topics = 8, .notify = on_notify};
    for (int i = 0; i < 4; i++) {
        atomic_store(&notified[i], 0);
    }
    cr_assert(rw_ok(brk_topics_new(&cfg, &reg)));
}

static void fini(void)
{
    brk_topics_free(reg);
    reg = NULL;
}

TestSuite(brk_topic, .fini = fini, .timeout = 60);

static struct rw_result append_n(struct brk_topic *t, int first, int n, uint64_t *base)
{
    struct brk_rec recs[64];
    char bufs[64][32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(bufs[i], sizeof(bufs[i]), "rec-%d", first + i);
        recs[i] = (struct brk_rec){(const uint8_t *)"k", 1, (const uint8_t *)bufs[i], (size_t)len, 0};
    }
    return brk_topic_append(t, recs, (size_t)n, 1234, base);
}

struct got {
    uint64_t first, end;
    size_t n;
    char vals[64][32];
    int64_t ts[64];
};

static struct rw_result collect(void *arg, uint64_t first, const struct brk_rec *v, size_t n,
                                uint64_t end)
{
    struct got *g = arg;
    g->first = first;
    g->end = end;
    g->n = n;
    for (size_t i = 0; i < n && i < 64; i++) {
        snprintf(g->vals[i], sizeof(g->vals[i]), "%.*s", (int)v[i].value_len, v[i].value);
        g->ts[i] = v[i].timestamp_ms;
    }
    return RW_SUCCESS;
}

static struct got *read_at(struct brk_topic *t, uint64_t from, size_t max_rec, size_t max_bytes)
{
    static struct got g;
    static struct brk_rec views[64];
    memset(&g, 0, sizeof(g));
    cr_assert(rw_ok(brk_topic_read(t, from, max_rec, max_bytes, views, collect, &g)));
    return &g;
}

Test(brk_topic, names_are_checked_and_topics_created_once)
{
    make(1 << 20, 0);
    struct brk_topic *a = NULL, *b = NULL;
    cr_assert_eq(brk_topics_get(reg, "orders", false, &a).err, RW_ERR_NOT_FOUND);
    cr_assert(rw_ok(brk_topics_get(reg, "orders", true, &a)));
    cr_assert(rw_ok(brk_topics_get(reg, "orders", false, &b)));
    cr_assert_eq(a, b);
    cr_assert_str_eq(brk_topic_name(a), "orders");
    cr_assert_eq(brk_topics_get(reg, "", true, &a).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_eq(brk_topics_get(reg, "a/b", true, &a).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_eq(brk_topics_get(reg, "sp ace", true, &a).err, RW_ERR_PROTO_MALFORMED);
    char longname[300];
    memset(longname, 'x', 250);
    longname[250] = '\0';
    cr_assert_eq(brk_topics_get(reg, longname, true, &a).err, RW_ERR_PROTO_MALFORMED);
    for (int i = 0; i < 7; i++) {
        char n[16];
        snprintf(n, sizeof(n), "t%d", i);
        cr_assert(rw_ok(brk_topics_get(reg, n, true, &a)));
    }
    cr_assert_eq(brk_topics_get(reg, "one-too-many", true, &a).err, RW_ERR_LIMIT);
}

Test(brk_topic, offsets_are_dense_and_reads_return_in_order)
{
    make(1 << 20, 0);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base = 99;
    cr_assert(rw_ok(append_n(t, 0, 3, &base)));
    cr_assert_eq(base, 0);
    cr_assert(rw_ok(append_n(t, 3, 5, &base)));
    cr_assert_eq(base, 3);
    cr_assert_eq(brk_topic_end(t), 8);
    cr_assert_eq(brk_topic_start(t), 0);
    struct got *g = read_at(t, 2, 64, 1 << 20);
    cr_assert_eq(g->first, 2);
    cr_assert_eq(g->n, 6);
    cr_assert_eq(g->end, 8);
    cr_assert_str_eq(g->vals[0], "rec-2");
    cr_assert_str_eq(g->vals[5], "rec-7");
    cr_assert_eq(g->ts[0], 1234, "a zero timestamp becomes the broker's");
    g = read_at(t, 8, 64, 1 << 20);
    cr_assert_eq(g->n, 0, "at the end: nothing");
    cr_assert_eq(g->first, 8);
    g = read_at(t, 0, 2, 1 << 20);
    cr_assert_eq(g->n, 2, "max_records holds");
    g = read_at(t, 0, 64, 6);
    cr_assert_eq(g->n, 1, "max_bytes holds but one record always comes");
    g = read_at(t, 0, 64, 12);
    cr_assert_eq(g->n, 2);
}

Test(brk_topic, retention_drops_oldest_segments_and_moves_start)
{
    make(8192, 4096);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base;
    for (int i = 0; i < 2000; i += 50) {
        cr_assert(rw_ok(append_n(t, i, 50, &base)));
        cr_assert_eq(base, (uint64_t)i);
        cr_assert_leq(brk_topic_bytes(t), 8192, "memory stays within retention");
    }
    cr_assert_eq(brk_topic_end(t), 2000);
    uint64_t start = brk_topic_start(t);
    cr_assert_gt(start, 0, "old records were dropped");
    struct got *g = read_at(t, 0, 1, 1 << 20);
    cr_assert_eq(g->first, start, "a read before the start begins at the start");
    char want[32];
    snprintf(want, sizeof(want), "rec-%llu", (unsigned long long)start);
    cr_assert_str_eq(g->vals[0], want);
    struct brk_rec big = {NULL, 0, (const uint8_t *)calloc(1, 9000), 9000, 0};
    cr_assert_eq(brk_topic_append(t, &big, 1, 1, &base).err, RW_ERR_LIMIT,
                 "a batch above the retention is refused");
    free((void *)big.value);
    cr_assert_eq(brk_topic_end(t), 2000, "and changes nothing");
}

Test(brk_topic, large_record_gets_its_own_segment)
{
    make(1 << 20, 4096);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint8_t *v = malloc(100000);
    memset(v, 'z', 100000);
    struct brk_rec r = {NULL, 0, v, 100000, 5};
    uint64_t base;
    cr_assert(rw_ok(append_n(t, 0, 1, &base)));
    cr_assert(rw_ok(brk_topic_append(t, &r, 1, 1, &base)));
    cr_assert_eq(base, 1);
    cr_assert(rw_ok(append_n(t, 2, 1, &base)));
    struct got *g = read_at(t, 0, 64, 1 << 20);
    cr_assert_eq(g->n, 3);
    cr_assert_eq(strlen(g->vals[1]), 31, "truncated copy in the test only");
    cr_assert_str_eq(g->vals[2], "rec-2");
    free(v);
}

Test(brk_topic, notifies_only_workers_with_subscribers)
{
    make(1 << 20, 0);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base;
    cr_assert(rw_ok(append_n(t, 0, 1, &base)));
    cr_assert_eq(atomic_load(&notified[0]) + atomic_load(&notified[1]), 0);
    brk_topic_sub_add(t, 1);
    brk_topic_sub_add(t, 1);
    brk_topic_sub_add(t, 3);
    cr_assert(rw_ok(append_n(t, 1, 2, &base)));
    cr_assert_eq(atomic_load(&notified[0]), 0);
    cr_assert_eq(atomic_load(&notified[1]), 1, "one notification per append and worker");
    cr_assert_eq(atomic_load(&notified[3]), 1);
    brk_topic_sub_del(t, 1);
    brk_topic_sub_del(t, 1);
    cr_assert(rw_ok(append_n(t, 3, 1, &base)));
    cr_assert_eq(atomic_load(&notified[1]), 1);
    cr_assert_eq(atomic_load(&notified[3]), 2);
}

#define THREADS 4
#define PER_THREAD 5000

static void *writer(void *arg)
{
    struct brk_topic *t = arg;
    for (int i = 0; i < PER_THREAD; i += 10) {
        uint64_t base;
        if (!rw_ok(append_n(t, i, 10, &base))) {
            return (void *)1;
        }
    }
    return NULL;
}

static struct rw_result check_dense(void *arg, uint64_t first, const struct brk_rec *v, size_t n,
                                    uint64_t end)
{
    (void)v;
    int *bad = arg;
    if (first + n > end) {
        (*bad)++;
    }
    return RW_SUCCESS;
}

Test(brk_topic, concurrent_appends_stay_dense_and_bounded)
{
    make(64 * 1024, 4096);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(pthread_create(&th[i], NULL, writer, t), 0);
    }
    int bad = 0;
    struct brk_rec views[64];
    uint64_t last_end = 0;
    while (brk_topic_end(t) < THREADS * PER_THREAD) {
        uint64_t end = brk_topic_end(t);
        cr_assert_geq(end, last_end, "the end never moves back");
        last_end = end;
        cr_assert(rw_ok(brk_topic_read(t, end > 100 ? end - 100 : 0, 64, 1 << 20, views,
                                       check_dense, &bad)));
        cr_assert_leq(brk_topic_bytes(t), 64 * 1024);
    }
    for (int i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        cr_assert_null(rv);
    }
    cr_assert_eq(bad, 0);
    cr_assert_eq(brk_topic_end(t), THREADS * PER_THREAD);
    cr_assert_leq(brk_topic_bytes(t), 64 * 1024);
}

static struct rw_result append_sized(struct brk_topic *t, size_t n, size_t len, uint8_t fill,
                                     uint64_t *base)
{
    static uint8_t buf[8][2048];
    struct brk_rec recs[8];
    for (size_t i = 0; i < n; i++) {
        memset(buf[i], fill + (uint8_t)i, len);
        recs[i] = (struct brk_rec){NULL, 0, buf[i], len, 0};
    }
    return brk_topic_append(t, recs, n, 1, base);
}

Test(brk_topic, retention_recycles_segments_instead_of_allocating_new_ones)
{
    make(16384, 4096); /* 4 segments held at most */
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base;
    for (int i = 0; i < 2000; i++) {
        cr_assert(rw_ok(append_sized(t, 2, 1000, (uint8_t)i, &base)));
        cr_assert_leq(brk_topic_bytes(t), 16384, "memory stays within retention");
    }
    /* ~4 MB went through 4 KiB segments: about a thousand turnovers. */
    cr_assert_leq(brk_topic_seg_allocs(t), 4 + 1 + 2, "segments allocated: %llu",
                  (unsigned long long)brk_topic_seg_allocs(t));
    /* A recycled segment holds only its new records. */
    uint64_t start = brk_topic_start(t), end = brk_topic_end(t);
    cr_assert_eq(end, 4000);
    struct brk_rec views[64];
    for (uint64_t off = start; off < end; off++) {
        struct got g;
        memset(&g, 0, sizeof(g));
        cr_assert(rw_ok(brk_topic_read(t, off, 1, 1, views, collect, &g)));
        cr_assert_eq(g.first, off);
        cr_assert_eq(g.n, 1);
        uint8_t want = (uint8_t)((uint8_t)(off / 2) + (uint8_t)(off % 2));
        cr_assert_eq((uint8_t)g.vals[0][0], want, "record %llu", (unsigned long long)off);
    }
}

Test(brk_topic, oversized_segments_are_not_kept_as_spares)
{
    make(16384, 4096);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base;
    uint8_t *v = calloc(1, 6000);
    struct brk_rec big = {NULL, 0, v, 6000, 0};
    for (int i = 0; i < 50; i++) {
        cr_assert(rw_ok(brk_topic_append(t, &big, 1, 1, &base)));
        cr_assert(rw_ok(append_sized(t, 1, 100, 1, &base)));
        cr_assert_leq(brk_topic_bytes(t), 16384);
    }
    free(v);
    /* Each big record needs its own allocation; the small ones reuse spares. */
    cr_assert_geq(brk_topic_seg_allocs(t), 50);
    cr_assert_leq(brk_topic_seg_allocs(t), 50 + 4 + 1 + 2);
}

Test(brk_topic, segments_grow_from_small_to_one_huge_block)
{
    make(256u << 20, 0); /* derived: the standard segment fills a 2 MiB block */
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "t", true, &t)));
    uint64_t base;
    cr_assert(rw_ok(append_n(t, 0, 1, &base)));
    cr_assert_eq(brk_topic_bytes(t), BRK_TOPIC_FIRST_SEG, "a small topic stays small");
    uint64_t allocs = 0;
    for (int i = 0; i < 8000; i++) { /* ~16 MB */
        cr_assert(rw_ok(append_sized(t, 1, 2000, (uint8_t)i, &base)));
    }
    allocs = brk_topic_seg_allocs(t);
    cr_assert_leq(allocs, 6 + 16 / 2 + 1, "64K, 128K, ... then 2 MiB segments: %llu",
                  (unsigned long long)allocs);
    struct got *g = read_at(t, 1 + 7999, 1, 1 << 20);
    cr_assert_eq(g->n, 1);
    cr_assert_eq((uint8_t)g->vals[0][0], (uint8_t)7999);
}

Test(brk_topic, huge_blocks_are_usable_and_freed)
{
    uint8_t *p = brk_topic_block_alloc(BRK_TOPIC_HUGE_BLOCK);
    cr_assert_not_null(p);
    cr_assert_eq((uintptr_t)p % BRK_TOPIC_HUGE_BLOCK, 0, "aligned for one huge page");
    memset(p, 0xab, BRK_TOPIC_HUGE_BLOCK);
    cr_assert_eq(p[BRK_TOPIC_HUGE_BLOCK - 1], 0xab);
    brk_topic_block_free(p, BRK_TOPIC_HUGE_BLOCK);
    uint8_t *q = brk_topic_block_alloc(100);
    cr_assert_not_null(q);
    brk_topic_block_free(q, 100);
    brk_topic_block_free(NULL, 100);
}
