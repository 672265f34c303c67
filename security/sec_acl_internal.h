/* security/sec_acl_internal.h — shared by the sec_acl*.c files only.
 *
 * Pattern classification, the hash the snapshot and the cache use, and
 * the snapshot's layout (built by sec_acl_index.c, read by
 * sec_acl_check.c; see the layout comment in sec_acl_index.c). Hashes
 * pick buckets only; every match is confirmed by comparing bytes.
 */
#ifndef RW_SEC_ACL_INTERNAL_H
#define RW_SEC_ACL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "security/sec_acl.h"

enum acl_pat {
    ACL_PAT_EXACT,   /* a literal name */
    ACL_PAT_PREFIX,  /* "name*": the key is "name" */
    ACL_PAT_ANY,     /* "*" */
    ACL_PAT_CLUSTER, /* resource "cluster" */
};

/* Classifies a validated pattern; *key_len is the bytes to match (the
 * pattern without its trailing '*' for a prefix). */
enum acl_pat rw_sec_acl_pat_principal(const char *pattern, size_t *key_len);
enum acl_pat rw_sec_acl_pat_resource(const char *pattern, size_t *key_len);

/* True for [A-Za-z0-9._-]. */
static inline int acl_topic_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* FNV-1a, one byte at a time, so prefixes of every length come for free. */
#define ACL_HASH_INIT 0xcbf29ce484222325ull
static inline uint64_t acl_hash_step(uint64_t h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ull;
}

/* Mixes the running state with what else keys an entry; never 0. */
static inline uint64_t acl_hash_final(uint64_t h, unsigned kind, uint32_t group, size_t len)
{
    h ^= ((uint64_t)kind << 56) ^ ((uint64_t)group << 20) ^ (uint64_t)len;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h ? h : 1;
}

/* ---- The snapshot layout ---- */

#define ACL_LEN_WORDS 4 /* bitmap of lengths 0..255 */

enum { K_PRINCIPAL, K_PRINCIPAL_PREFIX, K_TOPIC, K_TOPIC_PREFIX };

struct acl_cell {
    uint8_t allow, deny;
    int64_t allow_id[4], deny_id[4]; /* per op bit; 0 = none */
};

struct acl_group {
    int32_t any, cluster;          /* cell index, -1 = none */
    bool has_topics;               /* any literal-topic cell */
    uint16_t max_plen;             /* longest topic prefix; 0 = none */
    uint64_t plens[ACL_LEN_WORDS]; /* topic-prefix lengths present */
};

struct acl_slot {
    uint64_t h;                    /* 0 = empty */
    const char *key;               /* borrowed from rules[] */
    uint32_t len, group, value;    /* value: group or cell index */
    uint8_t kind;
};

/* Owns rules, slots, groups and cells (see sec_acl_index.c). */
struct rw_sec_acl {
    atomic_int refs;
    uint64_t generation;
    struct rw_sec_acl_rule *rules; /* sorted by id */
    size_t n_rules;
    struct acl_slot *slots;
    size_t mask;
    struct acl_group *groups;
    size_t n_groups;
    struct acl_cell *cells;
    size_t n_cells;
    int32_t any_group;              /* principal "*", -1 = none */
    uint64_t pplens[ACL_LEN_WORDS]; /* principal-prefix lengths present */
};

/* The slot holding the key, or the empty slot where it belongs. */
static inline struct acl_slot *acl_probe(const struct rw_sec_acl *acl, uint64_t h,
                                         const char *key, size_t len, unsigned kind,
                                         uint32_t group)
{
    for (size_t i = (size_t)h & acl->mask;; i = (i + 1) & acl->mask) {
        struct acl_slot *s = &acl->slots[i];
        if (s->h == 0 || (s->h == h && s->kind == kind && s->group == group && s->len == len &&
                          memcmp(s->key, key, len) == 0)) {
            return s;
        }
    }
}

/* The value (group or cell index) stored under the key, or -1. */
static inline int32_t acl_lookup(const struct rw_sec_acl *acl, uint64_t h, const char *key,
                                 size_t len, unsigned kind, uint32_t group)
{
    const struct acl_slot *s = acl_probe(acl, h, key, len, kind, group);
    return s->h ? (int32_t)s->value : -1;
}

static inline bool acl_len_has(const uint64_t bits[ACL_LEN_WORDS], size_t len)
{
    return (bits[len / 64] >> (len % 64)) & 1u;
}

#endif
