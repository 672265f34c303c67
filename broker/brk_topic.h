/* broker/brk_topic.h — topics: append-only in-memory logs with offsets.
 *
 * DURABILITY: an acknowledged record lives only in this process's memory.
 * It is lost when the broker stops or when retention drops it; persistence
 * comes later.
 *
 * A topic stores records in segments (bump-allocated blocks). When the
 * bytes held exceed the retention limit, whole segments are dropped from
 * the oldest end (never the one being written). Offsets are dense and
 * never reused; the first offset still held is the topic's start.
 * A new topic's segments start at BRK_TOPIC_FIRST_SEG and double up to
 * the standard size, so a small topic stays small. A dropped segment of the
 * standard size is kept as a spare (at most BRK_TOPIC_SPARE_SEGS per topic,
 * not counted in brk_topic_bytes) and reused for the next one: a topic at
 * its retention allocates nothing. A standard segment fills one 2 MiB
 * block, mapped and populated as a huge page (brk_topic_mem.c).
 *
 * Threading: the registry and each topic are shared by all workers. A topic
 * has a rwlock: appends take it for writing, reads for reading; the end
 * offset is also published atomically so pollers need no lock. After an
 * append the registry's notify callback is called once for each worker
 * that has subscribers on the topic (brk_topic_sub_add/del count them).
 *
 * Ownership: the registry owns its topics; a topic pointer stays valid
 * until brk_topics_free. Record views handed to brk_topic_read's callback
 * point into segment memory and are valid only during the callback.
 */
#ifndef RW_BRK_TOPIC_H
#define RW_BRK_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

#define BRK_TOPIC_NAME_MAX 249
#define BRK_TOPIC_SPARE_SEGS 2 /* recycled segments kept per topic */
#define BRK_TOPIC_FIRST_SEG (64u << 10) /* a topic's segments grow from this to the standard size */
#define BRK_TOPIC_HUGE_BLOCK (2u << 20) /* a standard segment's block when the size allows it */

struct brk_topics;
struct brk_topic;

struct brk_rec {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    int64_t timestamp_ms;
};

/* Called after an append, on the appending thread, for each worker with
 * subscribers on the topic. Must not block. */
typedef void (*brk_topic_notify_fn)(void *arg, unsigned worker);

struct brk_topics_cfg {
    uint64_t retention_bytes;   /* per topic */
    size_t segment_bytes;       /* 0 = derived from retention (4K..2M, one huge page) */
    unsigned workers;           /* for subscriber counts; >= 1 */
    size_t max_topics;          /* 0 = 65536 */
    brk_topic_notify_fn notify; /* may be NULL */
    void *notify_arg;
};

RW_RESULT brk_topics_new(const struct brk_topics_cfg *cfg, struct brk_topics **out);
void brk_topics_free(struct brk_topics *r); /* NULL is fine */

/* True when `name` is 1..249 characters of [A-Za-z0-9._-]. */
bool brk_topic_name_valid(const char *name, size_t len);

/* Finds a topic; creates it when `create` (NOT_FOUND otherwise,
 * PROTO_MALFORMED for a bad name, LIMIT beyond max_topics). */
RW_RESULT brk_topics_get(struct brk_topics *r, const char *name, bool create,
                         struct brk_topic **out);

const char *brk_topic_name(const struct brk_topic *t);

/* Appends n records (copied) as one batch; *base is the first offset.
 * A timestamp of 0 becomes now_ms. LIMIT when the batch alone exceeds the
 * retention. */
RW_RESULT brk_topic_append(struct brk_topic *t, const struct brk_rec *recs, size_t n,
                           int64_t now_ms, uint64_t *base);

/* Next offset to be written (lock-free) and the oldest offset held. */
uint64_t brk_topic_end(const struct brk_topic *t);
uint64_t brk_topic_start(struct brk_topic *t);
uint64_t brk_topic_bytes(struct brk_topic *t);
/* Segments allocated over the topic's life (retention recycles dropped
 * segments instead of freeing them; see BRK_TOPIC_SPARE_SEGS). */
uint64_t brk_topic_seg_allocs(struct brk_topic *t);

/* Visits records from `from` (moved up to the start when retention dropped
 * it): at most max_records, and at most max_bytes of key+value bytes, but
 * at least one record when one exists. Under the read lock it fills
 * views[0..n) and calls fn(arg, first_offset, views, n, end) once (n may be
 * 0). The callback's result is returned. */
typedef struct rw_result (*brk_topic_read_fn)(void *arg, uint64_t first, const struct brk_rec *views,
                                              size_t n, uint64_t end);
RW_RESULT brk_topic_read(struct brk_topic *t, uint64_t from, size_t max_records, size_t max_bytes,
                         struct brk_rec *views, brk_topic_read_fn fn, void *arg);

/* Subscriber bookkeeping per worker (atomic counters). */
void brk_topic_sub_add(struct brk_topic *t, unsigned worker);
void brk_topic_sub_del(struct brk_topic *t, unsigned worker);

/* brk_topic_mem.c: segment memory. A block of exactly
 * BRK_TOPIC_HUGE_BLOCK bytes is its own aligned mapping, advised for huge
 * pages and populated; others come from malloc. Not zeroed; NULL when out
 * of memory. Free with the size it was allocated with. */
void *brk_topic_block_alloc(size_t size);
void brk_topic_block_free(void *p, size_t size);

#endif
