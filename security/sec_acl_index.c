/* security/sec_acl_index.c — the compiled, immutable ACL snapshot.
 *
 * Layout. Rules are grouped by principal pattern: one group per distinct
 * exact principal, one per distinct principal prefix, one for "*". Inside
 * a group, rules are merged per resource pattern into a `cell` (allow and
 * deny bits, and the lowest rule id behind each bit): one cell for "*",
 * one for "cluster", one per literal topic, one per topic prefix.
 *
 * One open-addressing table (linear probing, load <= 1/2) maps
 *   (exact principal)            -> group
 *   (principal prefix)           -> group
 *   (group, literal topic)       -> cell
 *   (group, topic prefix)        -> cell
 * Prefixes are looked up by length: a bitmap holds the distinct prefix
 * lengths present (per group for topics, globally for principals), and
 * the FNV state of the query after L bytes gives the hash for length L,
 * so a check costs one pass over each string plus a handful of probes.
 *
 * Ownership: the snapshot owns every array below; table keys point into
 * its own copy of the rules. After build nothing is written except the
 * reference count, so any number of threads may read it.
 */
#include <stdlib.h>

#include "security/sec_acl_internal.h"

static atomic_uint_fast64_t next_generation = 1;

static void acl_free(struct rw_sec_acl *acl)
{
    free(acl->rules);
    free(acl->slots);
    free(acl->groups);
    free(acl->cells);
    free(acl);
}

struct rw_sec_acl *rw_sec_acl_ref(struct rw_sec_acl *acl)
{
    if (acl) {
        atomic_fetch_add_explicit(&acl->refs, 1, memory_order_relaxed);
    }
    return acl;
}

void rw_sec_acl_unref(struct rw_sec_acl *acl)
{
    if (acl && atomic_fetch_sub_explicit(&acl->refs, 1, memory_order_acq_rel) == 1) {
        acl_free(acl);
    }
}

uint64_t rw_sec_acl_generation(const struct rw_sec_acl *acl) { return acl ? acl->generation : 0; }

size_t rw_sec_acl_rule_count(const struct rw_sec_acl *acl) { return acl ? acl->n_rules : 0; }

const struct rw_sec_acl_rule *rw_sec_acl_rule_find(const struct rw_sec_acl *acl, int64_t id)
{
    size_t lo = 0, hi = acl ? acl->n_rules : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (acl->rules[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < (acl ? acl->n_rules : 0) && acl->rules[lo].id == id ? &acl->rules[lo] : NULL;
}

static uint64_t hash_of(const char *s, size_t len, unsigned kind, uint32_t group)
{
    uint64_t h = ACL_HASH_INIT;
    for (size_t i = 0; i < len; i++) {
        h = acl_hash_step(h, (unsigned char)s[i]);
    }
    return acl_hash_final(h, kind, group, len);
}

/* ---- Building ---- */

static int cmp_rule_id(const void *a, const void *b)
{
    int64_t x = ((const struct rw_sec_acl_rule *)a)->id;
    int64_t y = ((const struct rw_sec_acl_rule *)b)->id;
    return (x > y) - (x < y);
}

static int32_t new_group(struct rw_sec_acl *acl)
{
    struct acl_group *g = &acl->groups[acl->n_groups];
    memset(g, 0, sizeof(*g));
    g->any = g->cluster = -1;
    return (int32_t)acl->n_groups++;
}

static int32_t new_cell(struct rw_sec_acl *acl)
{
    memset(&acl->cells[acl->n_cells], 0, sizeof(struct acl_cell));
    return (int32_t)acl->n_cells++;
}

/* Finds or creates the table entry; `make` creates its value. */
static uint32_t intern(struct rw_sec_acl *acl, const char *key, size_t len, unsigned kind,
                       uint32_t group, int32_t (*make)(struct rw_sec_acl *))
{
    uint64_t h = hash_of(key, len, kind, group);
    struct acl_slot *s = acl_probe(acl, h, key, len, kind, group);
    if (s->h == 0) {
        *s = (struct acl_slot){.h = h, .key = key, .len = (uint32_t)len, .group = group,
                           .value = (uint32_t)make(acl), .kind = (uint8_t)kind};
    }
    return s->value;
}

static uint32_t group_for(struct rw_sec_acl *acl, const char *principal)
{
    size_t len = 0;
    switch (rw_sec_acl_pat_principal(principal, &len)) {
    case ACL_PAT_ANY:
        if (acl->any_group < 0) {
            acl->any_group = new_group(acl);
        }
        return (uint32_t)acl->any_group;
    case ACL_PAT_PREFIX:
        acl->pplens[len / 64] |= 1ull << (len % 64);
        return intern(acl, principal, len, K_PRINCIPAL_PREFIX, 0, new_group);
    default:
        return intern(acl, principal, len, K_PRINCIPAL, 0, new_group);
    }
}

static uint32_t cell_for(struct rw_sec_acl *acl, uint32_t gi, const char *resource)
{
    size_t len = 0;
    struct acl_group *g = &acl->groups[gi];
    switch (rw_sec_acl_pat_resource(resource, &len)) {
    case ACL_PAT_ANY:
        if (g->any < 0) {
            g->any = new_cell(acl);
        }
        return (uint32_t)g->any;
    case ACL_PAT_CLUSTER:
        if (g->cluster < 0) {
            g->cluster = new_cell(acl);
        }
        return (uint32_t)g->cluster;
    case ACL_PAT_PREFIX:
        g->plens[len / 64] |= 1ull << (len % 64);
        g->max_plen = len > g->max_plen ? (uint16_t)len : g->max_plen;
        return intern(acl, resource, len, K_TOPIC_PREFIX, gi, new_cell);
    default:
        g->has_topics = true;
        return intern(acl, resource, len, K_TOPIC, gi, new_cell);
    }
}

/* Rules arrive in id order, so the first id recorded per bit is the lowest. */
static void cell_add(struct acl_cell *c, const struct rw_sec_acl_rule *r)
{
    for (unsigned i = 0; i < 4; i++) {
        unsigned bit = 1u << i;
        if (!(r->ops & bit)) {
            continue;
        }
        uint8_t *bits = r->effect == RW_ACL_ALLOW ? &c->allow : &c->deny;
        int64_t *ids = r->effect == RW_ACL_ALLOW ? c->allow_id : c->deny_id;
        if (!(*bits & bit)) {
            *bits |= (uint8_t)bit;
            ids[i] = r->id;
        }
    }
}

static struct rw_result alloc_tables(struct rw_sec_acl *acl, size_t n)
{
    size_t cap = 16;
    while (cap < 4 * n) { /* at most 2 keys per rule: load stays <= 1/2 */
        RW_ENSURE_MSG(cap <= SIZE_MAX / 2 / sizeof(struct acl_slot), RW_ERR_LIMIT,
                      "too many ACL rules");
        cap *= 2;
    }
    acl->slots = calloc(cap, sizeof(*acl->slots));
    acl->groups = calloc(n ? n : 1, sizeof(*acl->groups));
    acl->cells = calloc(n ? n : 1, sizeof(*acl->cells));
    acl->rules = calloc(n ? n : 1, sizeof(*acl->rules));
    RW_ENSURE_MSG(acl->slots && acl->groups && acl->cells && acl->rules, RW_ERR_NOMEM,
                  "out of memory compiling %zu ACL rules", n);
    acl->mask = cap - 1;
    return RW_SUCCESS;
}

struct rw_result rw_sec_acl_build_rules(const struct rw_sec_acl_rule *rules, size_t n,
                                        struct rw_sec_acl **out)
{
    RW_ENSURE_MSG(out && (rules || n == 0), RW_ERR_USAGE, "bad rw_sec_acl_build_rules arguments");
    *out = NULL;
    RW_ENSURE_MSG(n <= UINT32_MAX / 4, RW_ERR_LIMIT, "too many ACL rules (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        struct rw_result r = rw_sec_acl_rule_check(&rules[i]);
        if (rw_ok(r) && rules[i].id < 1) {
            rw_err_detail_set("an ACL rule in a snapshot needs an id >= 1, not %lld",
                              (long long)rules[i].id);
            r = RW_ERR(RW_ERR_USAGE);
        }
        if (!rw_ok(r)) {
            rw_err_detail_append(" (ACL rule %lld, #%zu)", (long long)rules[i].id, i + 1);
            return r;
        }
    }
    struct rw_sec_acl *acl = calloc(1, sizeof(*acl));
    RW_ENSURE_MSG(acl, RW_ERR_NOMEM, "out of memory compiling ACL rules");
    atomic_init(&acl->refs, 1);
    acl->any_group = -1;
    struct rw_result r = alloc_tables(acl, n);
    if (!rw_ok(r)) {
        acl_free(acl);
        return r;
    }
    if (n > 0) {
        memcpy(acl->rules, rules, n * sizeof(*rules));
    }
    acl->n_rules = n;
    qsort(acl->rules, n, sizeof(*acl->rules), cmp_rule_id);
    for (size_t i = 0; i < n; i++) {
        const struct rw_sec_acl_rule *rule = &acl->rules[i];
        uint32_t g = group_for(acl, rule->principal);
        cell_add(&acl->cells[cell_for(acl, g, rule->resource)], rule);
    }
    acl->generation = atomic_fetch_add(&next_generation, 1);
    *out = acl;
    return RW_SUCCESS;
}
