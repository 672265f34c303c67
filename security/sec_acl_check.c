/* security/sec_acl_check.c — the ACL decision on a compiled snapshot.
 *
 * Read-only over the snapshot (see sec_acl_index.c for its layout); no
 * allocation, no locks. The principal and the topic are each hashed in one
 * pass whose running FNV state also yields every prefix's hash.
 */
#include "security/sec_acl_internal.h"

struct verdict {
    int64_t allow, deny; /* lowest matching rule id; 0 = none */
};

static void take(struct verdict *v, const struct acl_cell *c, unsigned op, unsigned op_i)
{
    if ((c->deny & op) && (v->deny == 0 || c->deny_id[op_i] < v->deny)) {
        v->deny = c->deny_id[op_i];
    }
    if ((c->allow & op) && (v->allow == 0 || c->allow_id[op_i] < v->allow)) {
        v->allow = c->allow_id[op_i];
    }
}

/* A topic query: its bytes and full-length FNV state. */
struct topic_q {
    const char *s;
    size_t len;
    uint64_t state;
    bool cluster;
};

static void visit_group(const struct rw_sec_acl *acl, uint32_t gi, const struct topic_q *t,
                        unsigned op, unsigned op_i, struct verdict *v)
{
    const struct acl_group *g = &acl->groups[gi];
    if (t->cluster) {
        if (g->cluster >= 0) {
            take(v, &acl->cells[g->cluster], op, op_i);
        }
        return;
    }
    if (g->any >= 0) {
        take(v, &acl->cells[g->any], op, op_i);
    }
    int32_t c = -1;
    if (g->has_topics) {
        uint64_t h = acl_hash_final(t->state, K_TOPIC, gi, t->len);
        c = acl_lookup(acl, h, t->s, t->len, K_TOPIC, gi);
    }
    if (c >= 0) {
        take(v, &acl->cells[c], op, op_i);
    }
    uint64_t h = ACL_HASH_INIT;
    size_t max = t->len < g->max_plen ? t->len : g->max_plen;
    for (size_t len = 1; len <= max; len++) {
        h = acl_hash_step(h, (unsigned char)t->s[len - 1]);
        if (!acl_len_has(g->plens, len)) {
            continue;
        }
        c = acl_lookup(acl, acl_hash_final(h, K_TOPIC_PREFIX, gi, len), t->s, len,
                       K_TOPIC_PREFIX, gi);
        if (c >= 0) {
            take(v, &acl->cells[c], op, op_i);
        }
    }
}

/* Visits every group whose principal pattern matches `p`. */
static void visit_principal(const struct rw_sec_acl *acl, const char *p, size_t plen,
                            const struct topic_q *t, unsigned op, unsigned op_i, struct verdict *v)
{
    if (acl->any_group >= 0) {
        visit_group(acl, (uint32_t)acl->any_group, t, op, op_i, v);
    }
    uint64_t h = ACL_HASH_INIT;
    int32_t g;
    for (size_t len = 1; len <= plen; len++) {
        h = acl_hash_step(h, (unsigned char)p[len - 1]);
        if (!acl_len_has(acl->pplens, len)) {
            continue;
        }
        g = acl_lookup(acl, acl_hash_final(h, K_PRINCIPAL_PREFIX, 0, len), p, len,
                       K_PRINCIPAL_PREFIX, 0);
        if (g >= 0) {
            visit_group(acl, (uint32_t)g, t, op, op_i, v);
        }
    }
    g = acl_lookup(acl, acl_hash_final(h, K_PRINCIPAL, 0, plen), p, plen, K_PRINCIPAL, 0);
    if (g >= 0) {
        visit_group(acl, (uint32_t)g, t, op, op_i, v);
    }
}

/* Validates the topic while hashing it; false when it is no topic name. */
static bool topic_query(const char *topic, struct topic_q *t)
{
    uint64_t h = ACL_HASH_INIT;
    size_t n = 0;
    for (; topic[n]; n++) {
        if (n == RW_ACL_TOPIC_MAX || !acl_topic_char((unsigned char)topic[n])) {
            return false;
        }
        h = acl_hash_step(h, (unsigned char)topic[n]);
    }
    *t = (struct topic_q){.s = topic, .len = n, .state = h,
                          .cluster = n == 7 && memcmp(topic, RW_ACL_CLUSTER, 7) == 0};
    return n > 0;
}

enum rw_sec_acl_effect rw_sec_acl_check(const struct rw_sec_acl *acl, const char *principal,
                                        const char *topic, unsigned op, int64_t *rule_id)
{
    if (rule_id) {
        *rule_id = 0;
    }
    struct topic_q t;
    if (!acl || !principal || !topic || op == 0 || (op & (op - 1)) != 0 ||
        (op & ~(unsigned)RW_ACL_ALL) != 0 || !topic_query(topic, &t)) {
        return RW_ACL_DENY;
    }
    size_t plen = strnlen(principal, RW_ACL_PATTERN_MAX);
    if (plen == 0 || plen == RW_ACL_PATTERN_MAX) {
        return RW_ACL_DENY;
    }
    unsigned op_i = (unsigned)__builtin_ctz(op);
    struct verdict v = {0, 0};
    visit_principal(acl, principal, plen, &t, op, op_i, &v);
    if (v.deny) {
        if (rule_id) {
            *rule_id = v.deny;
        }
        return RW_ACL_DENY;
    }
    if (rule_id) {
        *rule_id = v.allow;
    }
    return v.allow ? RW_ACL_ALLOW : RW_ACL_DENY;
}
