/* security/sec_acl_rule.c — ACL rule text: validation, parsing, formatting.
 *
 * Pure functions over caller memory; nothing is allocated. Every refusal
 * is RW_ERR_USAGE with a detail that says what a valid value looks like.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "security/sec_acl_internal.h"

#define PRINCIPAL_FORMS "an exact name, '*' (anyone) or 'prefix*'"
#define RESOURCE_FORMS "a topic, 'prefix*', '*' (every topic) or 'cluster'"
#define TOPIC_CHARS "1..249 characters of A-Z a-z 0-9 . _ -"

static const struct {
    const char *name;
    unsigned bit;
} op_names[] = {
    {"produce", RW_ACL_PRODUCE},
    {"consume", RW_ACL_CONSUME},
    {"describe", RW_ACL_DESCRIBE},
    {"admin", RW_ACL_ADMIN},
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

/* Length of s when it is 1..max bytes of topic characters, else 0. */
static size_t topic_chars_len(const char *s, size_t max)
{
    size_t n = 0;
    while (s[n] && n <= max) {
        if (!acl_topic_char((unsigned char)s[n])) {
            return 0;
        }
        n++;
    }
    return n <= max ? n : 0;
}

bool rw_sec_acl_topic_valid(const char *topic)
{
    return topic && topic_chars_len(topic, RW_ACL_TOPIC_MAX) > 0;
}

struct rw_result rw_sec_acl_principal_check(const char *p)
{
    RW_ENSURE_MSG(p && p[0], RW_ERR_USAGE, "an ACL principal is " PRINCIPAL_FORMS ", not empty");
    size_t n = strnlen(p, RW_ACL_PATTERN_MAX);
    RW_ENSURE_MSG(n < RW_ACL_PATTERN_MAX, RW_ERR_USAGE,
                  "ACL principal is longer than %d bytes", RW_ACL_PATTERN_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        RW_ENSURE_MSG(c >= 0x20 && c != 0x7f, RW_ERR_USAGE,
                      "ACL principal has a control character at byte %zu", i);
        RW_ENSURE_MSG(c != '*' || i == n - 1, RW_ERR_USAGE,
                      "ACL principal '%s': '*' may only end a pattern (" PRINCIPAL_FORMS ")", p);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_acl_resource_check(const char *p)
{
    RW_ENSURE_MSG(p && p[0], RW_ERR_USAGE, "an ACL topic is " RESOURCE_FORMS ", not empty");
    if (strcmp(p, "*") == 0 || strcmp(p, RW_ACL_CLUSTER) == 0) {
        return RW_SUCCESS;
    }
    size_t n = strnlen(p, RW_ACL_PATTERN_MAX);
    bool prefix = n < RW_ACL_PATTERN_MAX && p[n - 1] == '*';
    size_t body = prefix ? n - 1 : n;
    size_t max = prefix ? RW_ACL_TOPIC_MAX - 1 : RW_ACL_TOPIC_MAX;
    bool ok = body <= max;
    for (size_t i = 0; ok && i < body; i++) {
        ok = acl_topic_char((unsigned char)p[i]);
    }
    RW_ENSURE_MSG(ok, RW_ERR_USAGE,
                  "'%.*s%s' is not an ACL topic pattern: give " RESOURCE_FORMS
                  "; topic names are " TOPIC_CHARS,
                  n > 64 ? 64 : (int)n, p, n > 64 ? "..." : "");
    return RW_SUCCESS;
}

enum acl_pat rw_sec_acl_pat_principal(const char *p, size_t *key_len)
{
    size_t n = strlen(p);
    if (n == 1 && p[0] == '*') {
        *key_len = 0;
        return ACL_PAT_ANY;
    }
    bool prefix = p[n - 1] == '*';
    *key_len = prefix ? n - 1 : n;
    return prefix ? ACL_PAT_PREFIX : ACL_PAT_EXACT;
}

enum acl_pat rw_sec_acl_pat_resource(const char *p, size_t *key_len)
{
    if (strcmp(p, RW_ACL_CLUSTER) == 0) {
        *key_len = 0;
        return ACL_PAT_CLUSTER;
    }
    return rw_sec_acl_pat_principal(p, key_len); /* same shapes: exact, "*", "x*" */
}

static bool op_lookup(const char *name, size_t len, unsigned *bit)
{
    if (len == 3 && strncasecmp(name, "all", 3) == 0) {
        *bit = RW_ACL_ALL;
        return true;
    }
    for (size_t i = 0; i < N_OPS; i++) {
        if (strlen(op_names[i].name) == len && strncasecmp(name, op_names[i].name, len) == 0) {
            *bit = op_names[i].bit;
            return true;
        }
    }
    return false;
}

struct rw_result rw_sec_acl_ops_parse(const char *text, unsigned *ops)
{
    RW_ENSURE_MSG(text && ops, RW_ERR_USAGE, "no ACL operations given");
    *ops = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        unsigned bit = 0;
        RW_ENSURE_MSG(op_lookup(p, len, &bit), RW_ERR_USAGE,
                      "'%.*s' is not an ACL operation (produce, consume, describe, admin, all)",
                      len > 32 ? 32 : (int)len, p);
        *ops |= bit;
        if (!comma) {
            return RW_SUCCESS;
        }
        p = comma + 1;
    }
}

void rw_sec_acl_ops_format(unsigned ops, char out[RW_ACL_OPS_STR_MAX])
{
    out[0] = '\0';
    if ((ops & RW_ACL_ALL) == RW_ACL_ALL) {
        snprintf(out, RW_ACL_OPS_STR_MAX, "all");
        return;
    }
    size_t len = 0;
    for (size_t i = 0; i < N_OPS; i++) {
        if (ops & op_names[i].bit) {
            int w = snprintf(out + len, RW_ACL_OPS_STR_MAX - len, "%s%s", len ? "," : "",
                             op_names[i].name);
            len += (size_t)w; /* the longest list fits RW_ACL_OPS_STR_MAX */
        }
    }
}

const char *rw_sec_acl_effect_name(enum rw_sec_acl_effect e)
{
    return e == RW_ACL_ALLOW ? "allow" : "deny";
}

bool rw_sec_acl_effect_parse(const char *text, enum rw_sec_acl_effect *out)
{
    if (text && strcmp(text, "allow") == 0) {
        *out = RW_ACL_ALLOW;
        return true;
    }
    if (text && strcmp(text, "deny") == 0) {
        *out = RW_ACL_DENY;
        return true;
    }
    return false;
}

struct rw_result rw_sec_acl_rule_check(const struct rw_sec_acl_rule *r)
{
    RW_ENSURE_MSG(r, RW_ERR_USAGE, "no ACL rule");
    RW_ENSURE_MSG(memchr(r->principal, '\0', sizeof(r->principal)) &&
                      memchr(r->resource, '\0', sizeof(r->resource)),
                  RW_ERR_USAGE, "ACL rule %lld: unterminated pattern", (long long)r->id);
    RW_GUARD(rw_sec_acl_principal_check(r->principal));
    RW_GUARD(rw_sec_acl_resource_check(r->resource));
    RW_ENSURE_MSG(r->ops != 0 && (r->ops & ~(unsigned)RW_ACL_ALL) == 0, RW_ERR_USAGE,
                  "ACL rule %lld: operations 0x%x are not a non-empty set of produce, consume, "
                  "describe, admin", (long long)r->id, r->ops);
    RW_ENSURE_MSG(r->effect == RW_ACL_ALLOW || r->effect == RW_ACL_DENY, RW_ERR_USAGE,
                  "ACL rule %lld: the effect is allow or deny", (long long)r->id);
    return RW_SUCCESS;
}

struct rw_result rw_sec_acl_rule_make(struct rw_sec_acl_rule *out, const char *principal,
                                      const char *resource, unsigned ops,
                                      enum rw_sec_acl_effect effect)
{
    RW_ENSURE_MSG(out, RW_ERR_USAGE, "no ACL rule");
    memset(out, 0, sizeof(*out));
    RW_GUARD(rw_sec_acl_principal_check(principal));
    RW_GUARD(rw_sec_acl_resource_check(resource));
    memcpy(out->principal, principal, strlen(principal) + 1);
    memcpy(out->resource, resource, strlen(resource) + 1);
    out->ops = ops;
    out->effect = effect;
    return rw_sec_acl_rule_check(out);
}

void rw_sec_acl_rule_format(const struct rw_sec_acl_rule *r, char out[RW_ACL_RULE_STR_MAX])
{
    char ops[RW_ACL_OPS_STR_MAX];
    rw_sec_acl_ops_format(r->ops, ops);
    snprintf(out, RW_ACL_RULE_STR_MAX, "%s %.255s %s %.255s", rw_sec_acl_effect_name(r->effect),
             r->principal, ops, r->resource);
}
