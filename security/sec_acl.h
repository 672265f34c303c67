/* security/sec_acl.h — authorization: may this principal do this on that topic?
 *
 * A rule is (principal pattern, resource pattern, operations, effect):
 *   principal  exact name | "*" (anyone) | "name*" (every principal that
 *              starts with "name", "name" itself included). 1..255 bytes,
 *              no control characters; '*' may only end a pattern.
 *   resource   topic name | "prefix*" (every topic that starts with
 *              "prefix", the prefix itself included; "orders.*" matches
 *              "orders.eu") | "*" (every topic) | "cluster" (the cluster
 *              itself, for admin operations). Topic names are 1..249
 *              bytes of [A-Za-z0-9._-]. The name "cluster" always means
 *              the cluster: "*" and prefixes never match it, so it is only
 *              reached by rules that name it.
 *   operations produce | consume | describe | admin | all (a bitmask).
 *   effect     allow | deny.
 * Decision: a matching deny wins over any allow; no matching allow is a
 * deny (default deny). The rule reported is the lowest-id matching deny,
 * else the lowest-id matching allow, else 0 (the default).
 *
 * Three layers:
 *   - rule text: validation, parsing and formatting (sec_acl_rule.c);
 *   - the store: rw_sec_acl_add/remove write the rule change and its event
 *     (acl.added / acl.removed, with the actor) in one transaction
 *     (sec_acl.c);
 *   - the compiled snapshot `struct rw_sec_acl` (sec_acl_index.c): built
 *     once, then immutable; rw_sec_acl_check() decides in a few hash
 *     lookups (well under a microsecond) and allocates nothing. A
 *     snapshot is shared across threads through rw_sec_acl_ref/unref
 *     (atomic count); a rule change builds a new snapshot, with a new,
 *     process-unique generation, and swaps it in.
 *   - a per-connection decision cache `struct rw_sec_acl_cache` (caller
 *     storage, sec_acl_cache.c) remembering a few (topic, op) decisions
 *     for one principal; a snapshot of another generation empties it.
 */
#ifndef RW_SEC_ACL_H
#define RW_SEC_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"
#include "security/store/store.h"

#define RW_ACL_TOPIC_MAX 249    /* bytes of a topic name */
#define RW_ACL_PATTERN_MAX 256  /* a principal or resource pattern, NUL included */
#define RW_ACL_OPS_STR_MAX 40   /* "produce,consume,describe,admin", NUL included */
#define RW_ACL_RULE_STR_MAX 600 /* rw_sec_acl_rule_format output, NUL included */
#define RW_ACL_CLUSTER "cluster"

enum rw_sec_acl_op {
    RW_ACL_PRODUCE = 1u << 0,
    RW_ACL_CONSUME = 1u << 1,
    RW_ACL_DESCRIBE = 1u << 2,
    RW_ACL_ADMIN = 1u << 3,
    RW_ACL_ALL = 0xfu,
};

/* A rule's effect and a decision. Zero is deny, so zeroed memory denies. */
enum rw_sec_acl_effect { RW_ACL_DENY = 0, RW_ACL_ALLOW = 1 };

struct rw_sec_acl_rule {
    int64_t id;                          /* store id (>= 1); 0 before it is stored */
    char principal[RW_ACL_PATTERN_MAX];
    char resource[RW_ACL_PATTERN_MAX];
    unsigned ops;                        /* RW_ACL_* bits, at least one */
    enum rw_sec_acl_effect effect;
    int64_t created_at;                  /* Unix seconds; 0 = now, when added */
};

/* ---- Rule text (pure functions; USAGE errors set rw_err_detail()) ---- */

/* 1..249 bytes of [A-Za-z0-9._-] ("cluster" included: it names the cluster). */
bool rw_sec_acl_topic_valid(const char *topic);
RW_RESULT rw_sec_acl_principal_check(const char *pattern);
RW_RESULT rw_sec_acl_resource_check(const char *pattern);
/* "produce,consume" or "all" (case-insensitive; no empty items). */
RW_RESULT rw_sec_acl_ops_parse(const char *text, unsigned *ops);
/* "all" for RW_ACL_ALL, else the names in a fixed order joined by ','. */
void rw_sec_acl_ops_format(unsigned ops, char out[RW_ACL_OPS_STR_MAX]);
/* "allow" / "deny"; parse is false for anything else. */
const char *rw_sec_acl_effect_name(enum rw_sec_acl_effect e);
bool rw_sec_acl_effect_parse(const char *text, enum rw_sec_acl_effect *out);
/* Validates and fills a rule (id 0, created_at 0). */
RW_RESULT rw_sec_acl_rule_make(struct rw_sec_acl_rule *out, const char *principal,
                               const char *resource, unsigned ops, enum rw_sec_acl_effect effect);
/* Validates every field of a rule (also NUL termination of the arrays). */
RW_RESULT rw_sec_acl_rule_check(const struct rw_sec_acl_rule *r);
/* "allow producer-1 produce demo.*" (effect, principal, ops, resource). */
void rw_sec_acl_rule_format(const struct rw_sec_acl_rule *r, char out[RW_ACL_RULE_STR_MAX]);

/* ---- The store (each mutation and its event in one transaction) ---- */

/* Validates `rule`, inserts it and appends the event "acl.added" (object:
 * the id in decimal; payload: principal, resource, ops, effect) with
 * `actor`, in one transaction; the new id goes to *id_out (may be NULL).
 * On any failure nothing is written. `rule` is borrowed. */
RW_RESULT rw_sec_acl_add(struct rw_store *s, const char *actor, const struct rw_sec_acl_rule *rule,
                         int64_t *id_out);
/* Deletes rule `id` and appends "acl.removed" (same payload) in one
 * transaction. NOT_FOUND (nothing written) for an unknown id. The removed
 * rule is copied to *removed when it is not NULL. */
RW_RESULT rw_sec_acl_remove(struct rw_store *s, const char *actor, int64_t id,
                            struct rw_sec_acl_rule *removed);
/* Every stored rule, oldest first, parsed and validated (IO_CORRUPT for a
 * row that is not a valid rule). The caller frees *out with free(). */
RW_RESULT rw_sec_acl_list(struct rw_store *s, struct rw_sec_acl_rule **out, size_t *n);

/* ---- The compiled snapshot ---- */

struct rw_sec_acl;

/* Compiles every rule of the store (see rw_sec_acl_list). The caller owns
 * the one reference in *out. */
RW_RESULT rw_sec_acl_build(struct rw_store *s, struct rw_sec_acl **out);
/* Compiles an array of rules (copied; the caller keeps `rules`). Each is
 * validated (USAGE naming the offending rule) and needs an id >= 1; ids
 * are reported back by rw_sec_acl_check, so give distinct ones (store ids
 * are). n may be 0: a snapshot that denies everything. */
RW_RESULT rw_sec_acl_build_rules(const struct rw_sec_acl_rule *rules, size_t n,
                                 struct rw_sec_acl **out);
struct rw_sec_acl *rw_sec_acl_ref(struct rw_sec_acl *acl); /* returns acl; NULL is fine */
void rw_sec_acl_unref(struct rw_sec_acl *acl);             /* NULL is fine */

/* Process-unique, increasing, never 0: two snapshots never share one. */
uint64_t rw_sec_acl_generation(const struct rw_sec_acl *acl);
size_t rw_sec_acl_rule_count(const struct rw_sec_acl *acl);
/* The rule with this id, or NULL; valid while a reference is held. */
const struct rw_sec_acl_rule *rw_sec_acl_rule_find(const struct rw_sec_acl *acl, int64_t id);

/* The decision for one operation (exactly one RW_ACL_* bit) by `principal`
 * on `topic` (a topic name, or RW_ACL_CLUSTER for the cluster). The
 * deciding rule's id (0 for the default deny) goes to *rule_id (may be
 * NULL). Fails closed: a NULL snapshot, an empty or over-long principal,
 * a topic that is not a valid name, or an op that is not one operation is
 * RW_ACL_DENY with rule 0. Read-only: any number of threads may call it
 * on one snapshot at once. */
enum rw_sec_acl_effect rw_sec_acl_check(const struct rw_sec_acl *acl, const char *principal,
                                        const char *topic, unsigned op, int64_t *rule_id);

/* ---- The per-connection decision cache (caller storage) ---- */

#define RW_ACL_CACHE_SLOTS 4
#define RW_ACL_CACHE_TOPIC_MAX 64 /* longer topic names are decided, not cached */

struct rw_sec_acl_cache_slot {
    uint64_t hash;    /* of the topic; 0 = empty */
    int64_t rule_id;
    uint8_t op;       /* one RW_ACL_* bit */
    uint8_t effect;
    uint8_t len;
    char topic[RW_ACL_CACHE_TOPIC_MAX]; /* compared in full: a hash never decides */
};

struct rw_sec_acl_cache {
    const char *principal; /* borrowed: must outlive the cache (the connection owns both) */
    uint64_t generation;   /* of the snapshot the slots were filled from; 0 = none */
    unsigned next;         /* round-robin victim */
    uint64_t hits, misses; /* for metrics and tests */
    struct rw_sec_acl_cache_slot slots[RW_ACL_CACHE_SLOTS];
};

/* Empties the cache and binds it to one principal (borrowed). Owns
 * nothing, so there is no cleanup. Not thread-safe: one connection's. */
void rw_sec_acl_cache_init(struct rw_sec_acl_cache *c, const char *principal);
/* rw_sec_acl_check for the cache's principal, remembered per (topic, op).
 * When `acl` has another generation than the cached decisions, they are
 * all dropped first, so a rule change is seen on the very next call. The
 * cache holds no reference to `acl`. */
enum rw_sec_acl_effect rw_sec_acl_cache_check(struct rw_sec_acl_cache *c,
                                              const struct rw_sec_acl *acl, const char *topic,
                                              unsigned op, int64_t *rule_id);

#endif
