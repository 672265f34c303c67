/* security/sec_acl_cache.c — a tiny per-connection ACL decision cache.
 *
 * A few slots of (topic, op) -> (effect, rule) for the one principal the
 * cache is bound to, filled from one snapshot generation. The topic bytes
 * are stored and compared in full (the hash only skips slots cheaply), so
 * a crafted topic name can never borrow another topic's decision. Caller
 * storage: the cache owns nothing and holds no snapshot reference.
 */
#include <string.h>

#include "security/sec_acl_internal.h"

void rw_sec_acl_cache_init(struct rw_sec_acl_cache *c, const char *principal)
{
    memset(c, 0, sizeof(*c));
    c->principal = principal;
}

static void drop_all(struct rw_sec_acl_cache *c, uint64_t generation)
{
    for (size_t i = 0; i < RW_ACL_CACHE_SLOTS; i++) {
        c->slots[i].hash = 0;
    }
    c->next = 0;
    c->generation = generation;
}

/* Hash of a topic short enough to cache, else 0 (not cacheable). */
static uint64_t topic_hash(const char *topic, size_t *len)
{
    uint64_t h = ACL_HASH_INIT;
    size_t n = 0;
    for (; topic[n]; n++) {
        if (n == RW_ACL_CACHE_TOPIC_MAX) {
            return 0;
        }
        h = acl_hash_step(h, (unsigned char)topic[n]);
    }
    *len = n;
    return acl_hash_final(h, 0, 0, n);
}

enum rw_sec_acl_effect rw_sec_acl_cache_check(struct rw_sec_acl_cache *c,
                                              const struct rw_sec_acl *acl, const char *topic,
                                              unsigned op, int64_t *rule_id)
{
    uint64_t gen = rw_sec_acl_generation(acl);
    if (!c || !topic || gen == 0) {
        return rw_sec_acl_check(acl, c ? c->principal : NULL, topic, op, rule_id);
    }
    if (c->generation != gen) {
        drop_all(c, gen); /* a rule change: every cached decision may be stale */
    }
    size_t len = 0;
    uint64_t h = topic_hash(topic, &len);
    for (size_t i = 0; h && i < RW_ACL_CACHE_SLOTS; i++) {
        const struct rw_sec_acl_cache_slot *s = &c->slots[i];
        if (s->hash == h && s->op == op && s->len == len && memcmp(s->topic, topic, len) == 0) {
            c->hits++;
            if (rule_id) {
                *rule_id = s->rule_id;
            }
            return (enum rw_sec_acl_effect)s->effect;
        }
    }
    c->misses++;
    int64_t id = 0;
    enum rw_sec_acl_effect e = rw_sec_acl_check(acl, c->principal, topic, op, &id);
    if (rule_id) {
        *rule_id = id;
    }
    /* Decisions are a function of (generation, topic, op): any may be kept,
     * but only for a single operation (the slot stores one bit). */
    bool one_op = op != 0 && (op & (op - 1)) == 0 && (op & ~(unsigned)RW_ACL_ALL) == 0;
    if (h && one_op) {
        struct rw_sec_acl_cache_slot *s = &c->slots[c->next];
        c->next = (c->next + 1) % RW_ACL_CACHE_SLOTS;
        s->hash = h;
        s->rule_id = id;
        s->op = (uint8_t)op;
        s->effect = (uint8_t)e;
        s->len = (uint8_t)len;
        memcpy(s->topic, topic, len);
    }
    return e;
}
