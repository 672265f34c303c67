/* security/sec_vcache.c — the validation cache (see security/sec_vcache.h).
 *
 * Each shard is a chained hash table (keys are SHA-256 digests, so their
 * first 8 bytes are a good hash; bytes 8..15 pick the shard) threaded on a
 * doubly-linked LRU list. The shard owns every node it ever allocated:
 * those in the table (reachable through the LRU list) and those on its free
 * list (recycled by eviction and clear, freed only by rw_sec_vcache_free).
 */
#include "security/sec_vcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS_AUTO 16
#define SHARDS_MAX 256
#define MIN_PER_SHARD 64

struct link {
    struct link *prev, *next;
};

/* One cached verification; `lru` stays first so a link casts back. */
struct node {
    struct link lru;
    struct node *hnext; /* bucket chain, or the free list */
    uint64_t gen;
    uint8_t key[RW_VCACHE_KEY_LEN];
    struct rw_sec_vcache_val val;
};

struct shard {
    _Alignas(64) pthread_mutex_t mu;
    struct node **buckets; /* owned: mask + 1 chain heads */
    size_t mask;
    struct link lru;       /* sentinel: lru.next is the most recently used */
    struct node *free;     /* owned recycled nodes */
    size_t count, cap;
    uint64_t evictions;
};

struct rw_sec_vcache {
    atomic_uint_fast64_t gen;
    size_t capacity;
    unsigned nshards; /* a power of two */
    struct shard *shards;
};

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static struct shard *shard_of(struct rw_sec_vcache *c, const uint8_t *key)
{
    return &c->shards[load64(key + 8) & (c->nshards - 1)];
}

/* The node for `key` and the pointer that links it into its chain. */
static struct node *find(struct shard *s, const uint8_t *key, struct node ***slot)
{
    struct node **p = &s->buckets[load64(key) & s->mask];
    while (*p && memcmp((*p)->key, key, RW_VCACHE_KEY_LEN) != 0) {
        p = &(*p)->hnext;
    }
    *slot = p;
    return *p;
}

static void lru_unlink(struct node *n)
{
    n->lru.prev->next = n->lru.next;
    n->lru.next->prev = n->lru.prev;
}

static void lru_push_front(struct shard *s, struct node *n)
{
    n->lru.prev = &s->lru;
    n->lru.next = s->lru.next;
    s->lru.next->prev = &n->lru;
    s->lru.next = &n->lru;
}

/* Takes a node out of the table (it stays owned by the shard). */
static void unlink_node(struct shard *s, struct node **slot)
{
    struct node *n = *slot;
    *slot = n->hnext;
    lru_unlink(n);
    s->count--;
}

static void drop_node(struct shard *s, struct node **slot)
{
    struct node *n = *slot;
    unlink_node(s, slot);
    n->hnext = s->free;
    s->free = n;
}

/* A node for a new key: the LRU victim when full, else a recycled or new one. */
static struct node *take_node(struct shard *s)
{
    if (s->count >= s->cap) {
        struct node *victim = (struct node *)s->lru.prev, **slot;
        find(s, victim->key, &slot);
        unlink_node(s, slot);
        s->evictions++;
        return victim;
    }
    if (s->free) {
        struct node *n = s->free;
        s->free = n->hnext;
        return n;
    }
    return malloc(sizeof(struct node));
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

static unsigned pick_shards(size_t capacity, unsigned want)
{
    unsigned p = 1;
    unsigned limit = want ? want : SHARDS_AUTO;
    while (p * 2 <= limit && p * 2 <= SHARDS_MAX && p * 2 <= capacity) {
        p *= 2;
    }
    while (!want && p > 1 && capacity / p < MIN_PER_SHARD) {
        p /= 2;
    }
    return p;
}

static void shard_cleanup(struct shard *s)
{
    struct link *l = s->lru.next;
    while (l && l != &s->lru) {
        struct link *next = l->next;
        free(l);
        l = next;
    }
    while (s->free) {
        struct node *n = s->free;
        s->free = n->hnext;
        free(n);
    }
    free(s->buckets);
    pthread_mutex_destroy(&s->mu);
}

static bool shard_init(struct shard *s, size_t cap)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL); /* cannot fail with default attributes */
    s->cap = cap;
    s->lru.prev = s->lru.next = &s->lru;
    size_t nb = pow2_at_least(cap ? cap : 1);
    s->mask = nb - 1;
    s->buckets = calloc(nb, sizeof(*s->buckets));
    return s->buckets != NULL;
}

struct rw_result rw_sec_vcache_new(size_t capacity, unsigned shards, struct rw_sec_vcache **out)
{
    RW_ENSURE(out, RW_ERR_USAGE);
    *out = NULL;
    struct rw_sec_vcache *c = calloc(1, sizeof(*c));
    RW_ENSURE(c, RW_ERR_NOMEM);
    c->capacity = capacity ? capacity : RW_VCACHE_DEFAULT_CAPACITY;
    c->nshards = pick_shards(c->capacity, shards);
    atomic_init(&c->gen, 1);
    c->shards = aligned_alloc(64, c->nshards * sizeof(struct shard));
    if (!c->shards) {
        free(c);
        RW_BAIL(RW_ERR_NOMEM);
    }
    for (unsigned i = 0; i < c->nshards; i++) {
        size_t cap = c->capacity / c->nshards + (i < c->capacity % c->nshards ? 1 : 0);
        if (!shard_init(&c->shards[i], cap)) {
            c->nshards = i + 1; /* clean up what was initialised */
            rw_sec_vcache_free(c);
            RW_BAIL(RW_ERR_NOMEM);
        }
    }
    *out = c;
    return RW_SUCCESS;
}

void rw_sec_vcache_free(struct rw_sec_vcache *c)
{
    if (!c) {
        return;
    }
    for (unsigned i = 0; i < c->nshards; i++) {
        shard_cleanup(&c->shards[i]);
    }
    free(c->shards);
    free(c);
}

uint64_t rw_sec_vcache_generation(const struct rw_sec_vcache *c)
{
    return atomic_load_explicit(&((struct rw_sec_vcache *)c)->gen, memory_order_acquire);
}

uint64_t rw_sec_vcache_invalidate(struct rw_sec_vcache *c)
{
    return atomic_fetch_add_explicit(&c->gen, 1, memory_order_acq_rel) + 1;
}

void rw_sec_vcache_sweep(struct rw_sec_vcache *c)
{
    uint64_t gen = rw_sec_vcache_generation(c);
    for (unsigned i = 0; i < c->nshards; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        struct link *l = s->lru.next;
        while (l != &s->lru) {
            struct node *n = (struct node *)l, **slot;
            l = l->next;
            if (n->gen != gen) {
                find(s, n->key, &slot);
                drop_node(s, slot);
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
}

uint64_t rw_sec_vcache_clear(struct rw_sec_vcache *c)
{
    /* New generation first: a put racing with the sweep is then dropped. */
    uint64_t gen = rw_sec_vcache_invalidate(c);
    rw_sec_vcache_sweep(c);
    return gen;
}

bool rw_sec_vcache_get(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN],
                       uint64_t gen, struct rw_sec_vcache_val *out)
{
    struct shard *s = shard_of(c, key);
    struct node **slot;
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    struct node *n = find(s, key, &slot);
    if (n && n->gen == gen) {
        *out = n->val;
        lru_unlink(n);
        lru_push_front(s, n);
        hit = true;
    } else if (n && n->gen < gen) {
        drop_node(s, slot);
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

struct rw_result rw_sec_vcache_put(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN],
                                   uint64_t gen, const struct rw_sec_vcache_val *val)
{
    struct shard *s = shard_of(c, key);
    struct node **slot;
    pthread_mutex_lock(&s->mu);
    if (gen != atomic_load_explicit(&c->gen, memory_order_acquire) || s->cap == 0) {
        pthread_mutex_unlock(&s->mu);
        return RW_SUCCESS; /* verified under an older snapshot: never served */
    }
    struct node *n = find(s, key, &slot);
    if (n) {
        lru_unlink(n);
    } else {
        n = take_node(s);
        if (!n) {
            pthread_mutex_unlock(&s->mu);
            RW_BAIL(RW_ERR_NOMEM);
        }
        memcpy(n->key, key, RW_VCACHE_KEY_LEN);
        find(s, key, &slot); /* the victim may have shared the chain */
        n->hnext = NULL;
        *slot = n;
        s->count++;
    }
    n->gen = gen;
    n->val = *val;
    lru_push_front(s, n);
    pthread_mutex_unlock(&s->mu);
    return RW_SUCCESS;
}

void rw_sec_vcache_remove(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN])
{
    struct shard *s = shard_of(c, key);
    struct node **slot;
    pthread_mutex_lock(&s->mu);
    if (find(s, key, &slot)) {
        drop_node(s, slot);
    }
    pthread_mutex_unlock(&s->mu);
}

size_t rw_sec_vcache_count(struct rw_sec_vcache *c)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->nshards; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        n += c->shards[i].count;
        pthread_mutex_unlock(&c->shards[i].mu);
    }
    return n;
}

size_t rw_sec_vcache_capacity(const struct rw_sec_vcache *c) { return c->capacity; }

uint64_t rw_sec_vcache_evictions(struct rw_sec_vcache *c)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < c->nshards; i++) {
        pthread_mutex_lock(&c->shards[i].mu);
        n += c->shards[i].evictions;
        pthread_mutex_unlock(&c->shards[i].mu);
    }
    return n;
}
