/* broker/brk_topic.c — topic registry and segmented in-memory logs.
 * (Records live only in memory: see brk_topic.h.) */
#include "broker/brk_topic.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024u
#define REC_HDR 16u /* int64 timestamp, u32 key_len, u32 value_len */

/* A block of records; owned by its topic. */
struct seg {
    struct seg *next;
    uint64_t base;   /* offset of the first record */
    uint32_t count;
    uint32_t idx_cap;
    uint32_t *idx;   /* owned: position of each record in mem */
    size_t used;
    size_t cap;
    uint8_t mem[];
};

struct brk_topic {
    pthread_rwlock_t lock;
    struct seg *head;        /* oldest */
    struct seg *tail;        /* being written */
    struct seg *spare;       /* dropped segments kept for reuse (standard size) */
    unsigned n_spare;        /* <= BRK_TOPIC_SPARE_SEGS */
    _Atomic uint64_t end;    /* next offset */
    uint64_t bytes;          /* segment memory held */
    uint64_t seg_allocs;     /* segments ever allocated */
    struct brk_topics *reg;  /* borrowed: the owner */
    _Atomic uint32_t *subs;  /* owned: subscriber count per worker */
    struct brk_topic *hnext;
    size_t name_len;
    char name[];
};

struct brk_topics {
    struct brk_topics_cfg cfg;
    pthread_rwlock_t lock;
    size_t count;
    struct brk_topic *buckets[NBUCKETS];
};

static size_t rec_size(size_t klen, size_t vlen)
{
    return (REC_HDR + klen + vlen + 7u) & ~(size_t)7u;
}

struct rw_result brk_topics_new(const struct brk_topics_cfg *cfg, struct brk_topics **out)
{
    RW_ENSURE(cfg->workers >= 1 && cfg->retention_bytes >= 4096, RW_ERR_USAGE);
    struct brk_topics *r = calloc(1, sizeof(*r));
    RW_ENSURE(r, RW_ERR_NOMEM);
    r->cfg = *cfg;
    if (!r->cfg.segment_bytes) {
        uint64_t s = cfg->retention_bytes / 8, max = BRK_TOPIC_HUGE_BLOCK - sizeof(struct seg);
        r->cfg.segment_bytes = s < 4096 ? 4096 : s > max ? (size_t)max : (size_t)s;
    }
    if (!r->cfg.max_topics) {
        r->cfg.max_topics = 65536;
    }
    pthread_rwlock_init(&r->lock, NULL);
    *out = r;
    return RW_SUCCESS;
}

static void seg_free(struct seg *s)
{
    if (s) {
        free(s->idx);
        brk_topic_block_free(s, sizeof(*s) + s->cap);
    }
}

static void seg_list_free(struct seg *s)
{
    while (s) {
        struct seg *n = s->next;
        seg_free(s);
        s = n;
    }
}

static void topic_free(struct brk_topic *t)
{
    seg_list_free(t->head);
    seg_list_free(t->spare);
    pthread_rwlock_destroy(&t->lock);
    free((void *)t->subs);
    free(t);
}

void brk_topics_free(struct brk_topics *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < NBUCKETS; i++) {
        struct brk_topic *t = r->buckets[i];
        while (t) {
            struct brk_topic *n = t->hnext;
            topic_free(t);
            t = n;
        }
    }
    pthread_rwlock_destroy(&r->lock);
    free(r);
}

bool brk_topic_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > BRK_TOPIC_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h;
}

static struct brk_topic *lookup(struct brk_topics *r, const char *name, size_t n, uint32_t h)
{
    for (struct brk_topic *t = r->buckets[h % NBUCKETS]; t; t = t->hnext) {
        if (t->name_len == n && memcmp(t->name, name, n) == 0) {
            return t;
        }
    }
    return NULL;
}

static struct rw_result topic_create(struct brk_topics *r, const char *name, size_t n, uint32_t h,
                                     struct brk_topic **out)
{
    RW_ENSURE_MSG(r->count < r->cfg.max_topics, RW_ERR_LIMIT, "too many topics (%zu)",
                  r->cfg.max_topics);
    struct brk_topic *t = calloc(1, sizeof(*t) + n + 1);
    RW_ENSURE(t, RW_ERR_NOMEM);
    t->subs = calloc(r->cfg.workers, sizeof(*t->subs));
    if (!t->subs) {
        free(t);
        RW_BAIL(RW_ERR_NOMEM);
    }
    pthread_rwlock_init(&t->lock, NULL);
    t->reg = r;
    t->name_len = n;
    memcpy(t->name, name, n);
    t->hnext = r->buckets[h % NBUCKETS];
    r->buckets[h % NBUCKETS] = t;
    r->count++;
    *out = t;
    return RW_SUCCESS;
}

struct rw_result brk_topics_get(struct brk_topics *r, const char *name, bool create,
                                struct brk_topic **out)
{
    size_t n = strlen(name);
    RW_ENSURE_MSG(brk_topic_name_valid(name, n), RW_ERR_PROTO_MALFORMED,
                  "topic names are 1..249 characters of A-Z a-z 0-9 . _ -");
    uint32_t h = hash_name(name, n);
    pthread_rwlock_rdlock(&r->lock);
    struct brk_topic *t = lookup(r, name, n, h);
    pthread_rwlock_unlock(&r->lock);
    if (t) {
        *out = t;
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(create, RW_ERR_NOT_FOUND, "no topic '%s'", name);
    pthread_rwlock_wrlock(&r->lock);
    struct rw_result res = RW_SUCCESS;
    t = lookup(r, name, n, h);
    if (!t) {
        res = topic_create(r, name, n, h, &t);
    }
    pthread_rwlock_unlock(&r->lock);
    if (rw_ok(res)) {
        *out = t;
    }
    return res;
}

const char *brk_topic_name(const struct brk_topic *t) { return t->name; }

uint64_t brk_topic_end(const struct brk_topic *t)
{
    return atomic_load_explicit(&t->end, memory_order_acquire);
}

uint64_t brk_topic_start(struct brk_topic *t)
{
    pthread_rwlock_rdlock(&t->lock);
    uint64_t s = t->head ? t->head->base : brk_topic_end(t);
    pthread_rwlock_unlock(&t->lock);
    return s;
}

uint64_t brk_topic_bytes(struct brk_topic *t)
{
    pthread_rwlock_rdlock(&t->lock);
    uint64_t b = t->bytes;
    pthread_rwlock_unlock(&t->lock);
    return b;
}

uint64_t brk_topic_seg_allocs(struct brk_topic *t)
{
    pthread_rwlock_rdlock(&t->lock);
    uint64_t n = t->seg_allocs;
    pthread_rwlock_unlock(&t->lock);
    return n;
}

/* A segment of `cap` bytes: a spare when one fits, else a new one (not
 * zeroed: records are written before they are read). */
static struct seg *seg_take(struct brk_topic *t, size_t cap)
{
    if (cap == t->reg->cfg.segment_bytes && t->spare) {
        struct seg *s = t->spare;
        t->spare = s->next;
        t->n_spare--;
        return s;
    }
    struct seg *s = brk_topic_block_alloc(sizeof(*s) + cap);
    if (s) {
        t->seg_allocs++;
        s->idx = NULL;
        s->idx_cap = 0;
        s->cap = cap;
    }
    return s;
}

/* A new tail segment able to hold at least `need` bytes. Caller holds the
 * write lock. */
static struct rw_result seg_push(struct brk_topic *t, size_t need, uint64_t base)
{
    size_t std = t->reg->cfg.segment_bytes, cap = BRK_TOPIC_FIRST_SEG;
    if (t->tail && t->tail->cap <= std / 2) {
        cap = 2 * t->tail->cap; /* growing towards the standard size */
    } else if (t->tail) {
        cap = std;
    }
    cap = cap < std ? cap : std;
    cap = cap > need ? cap : need;
    struct seg *s = seg_take(t, cap);
    RW_ENSURE(s, RW_ERR_NOMEM);
    s->next = NULL;
    s->base = base;
    s->count = 0;
    s->used = 0;
    if (t->tail) {
        t->tail->next = s;
    } else {
        t->head = s;
    }
    t->tail = s;
    t->bytes += cap;
    return RW_SUCCESS;
}

/* A segment retention dropped: kept as a spare when it has the standard
 * size and there is room, else freed. */
static void seg_retire(struct brk_topic *t, struct seg *s)
{
    if (s->cap == t->reg->cfg.segment_bytes && t->n_spare < BRK_TOPIC_SPARE_SEGS) {
        s->next = t->spare;
        t->spare = s;
        t->n_spare++;
        return;
    }
    seg_free(s);
}

static struct rw_result seg_put(struct seg *s, const struct brk_rec *r, int64_t now_ms)
{
    if (s->count == s->idx_cap) {
        uint32_t ncap = s->idx_cap ? s->idx_cap * 2 : 64;
        uint32_t *idx = realloc(s->idx, ncap * sizeof(*idx));
        RW_ENSURE(idx, RW_ERR_NOMEM);
        s->idx = idx;
        s->idx_cap = ncap;
    }
    uint8_t *p = s->mem + s->used;
    int64_t ts = r->timestamp_ms ? r->timestamp_ms : now_ms;
    uint32_t kl = (uint32_t)r->key_len, vl = (uint32_t)r->value_len;
    memcpy(p, &ts, 8);
    memcpy(p + 8, &kl, 4);
    memcpy(p + 12, &vl, 4);
    if (kl) {
        memcpy(p + REC_HDR, r->key, kl);
    }
    if (vl) {
        memcpy(p + REC_HDR + kl, r->value, vl);
    }
    s->idx[s->count++] = (uint32_t)s->used;
    s->used += rec_size(kl, vl);
    return RW_SUCCESS;
}

/* Drops the oldest segments beyond retention. Caller holds the write lock. */
static void enforce_retention(struct brk_topic *t)
{
    while (t->head && t->head != t->tail && t->bytes > t->reg->cfg.retention_bytes) {
        struct seg *s = t->head;
        t->head = s->next;
        t->bytes -= s->cap;
        seg_retire(t, s);
    }
}

static struct rw_result append_locked(struct brk_topic *t, const struct brk_rec *recs, size_t n,
                                      int64_t now_ms, uint64_t *base)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        RW_ENSURE_MSG(recs[i].key_len <= UINT32_MAX / 4 && recs[i].value_len <= UINT32_MAX / 4,
                      RW_ERR_LIMIT, "record too large");
        total += rec_size(recs[i].key_len, recs[i].value_len);
    }
    RW_ENSURE_MSG(total <= t->reg->cfg.retention_bytes, RW_ERR_LIMIT,
                  "batch of %llu bytes exceeds the topic retention", (unsigned long long)total);
    uint64_t off = atomic_load_explicit(&t->end, memory_order_relaxed);
    *base = off;
    for (size_t i = 0; i < n; i++) {
        size_t need = rec_size(recs[i].key_len, recs[i].value_len);
        if (!t->tail || t->tail->cap - t->tail->used < need || t->tail->count == UINT32_MAX) {
            RW_GUARD(seg_push(t, need, off + i));
        }
        RW_GUARD(seg_put(t->tail, &recs[i], now_ms));
        /* Publish each record as it lands: a failure midway keeps the
         * offsets dense and everything before it readable. */
        atomic_store_explicit(&t->end, off + i + 1, memory_order_release);
    }
    enforce_retention(t);
    return RW_SUCCESS;
}

struct rw_result brk_topic_append(struct brk_topic *t, const struct brk_rec *recs, size_t n,
                                  int64_t now_ms, uint64_t *base)
{
    RW_ENSURE(n > 0, RW_ERR_USAGE);
    pthread_rwlock_wrlock(&t->lock);
    struct rw_result r = append_locked(t, recs, n, now_ms, base);
    pthread_rwlock_unlock(&t->lock);
    RW_GUARD(r);
    /* Pairs with the fence in brk_topic_sub_add: either the subscriber sees
     * the new end, or we see its count and notify its worker. */
    atomic_thread_fence(memory_order_seq_cst);
    const struct brk_topics_cfg *c = &t->reg->cfg;
    for (unsigned w = 0; c->notify && w < c->workers; w++) {
        if (atomic_load_explicit(&t->subs[w], memory_order_relaxed) > 0) {
            c->notify(c->notify_arg, w);
        }
    }
    return RW_SUCCESS;
}

static void view_at(const struct seg *s, uint32_t i, struct brk_rec *v)
{
    const uint8_t *p = s->mem + s->idx[i];
    uint32_t kl, vl;
    memcpy(&v->timestamp_ms, p, 8);
    memcpy(&kl, p + 8, 4);
    memcpy(&vl, p + 12, 4);
    v->key = p + REC_HDR;
    v->key_len = kl;
    v->value = p + REC_HDR + kl;
    v->value_len = vl;
}

struct rw_result brk_topic_read(struct brk_topic *t, uint64_t from, size_t max_records,
                                size_t max_bytes, struct brk_rec *views, brk_topic_read_fn fn,
                                void *arg)
{
    pthread_rwlock_rdlock(&t->lock);
    uint64_t end = atomic_load_explicit(&t->end, memory_order_relaxed);
    const struct seg *s = t->head;
    if (s && from < s->base) {
        from = s->base;
    }
    while (s && from >= s->base + s->count) {
        s = s->next;
    }
    size_t n = 0, bytes = 0;
    uint64_t first = s ? from : (from < end ? end : from);
    for (uint64_t off = from; s && n < max_records; off++) {
        if (off >= s->base + s->count) {
            s = s->next;
            if (!s) {
                break;
            }
        }
        view_at(s, (uint32_t)(off - s->base), &views[n]);
        size_t rb = views[n].key_len + views[n].value_len;
        if (n > 0 && bytes + rb > max_bytes) {
            break;
        }
        bytes += rb;
        n++;
    }
    struct rw_result r = fn(arg, first, views, n, end);
    pthread_rwlock_unlock(&t->lock);
    return r;
}

void brk_topic_sub_add(struct brk_topic *t, unsigned worker)
{
    atomic_fetch_add_explicit(&t->subs[worker], 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
}

void brk_topic_sub_del(struct brk_topic *t, unsigned worker)
{
    atomic_fetch_sub_explicit(&t->subs[worker], 1, memory_order_relaxed);
}
