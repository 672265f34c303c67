/* admin/adm_acl.c — `acl add|remove|list|check` (offline, on the data dir).
 *
 * Each mutation goes through security/sec_acl.c, which writes the rule and
 * its event (with adm_actor()) in one transaction. `acl check` compiles
 * the same snapshot a broker would and asks it, so what it prints is what
 * a broker following this store decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "core/rw_json.h"
#include "security/sec_acl.h"

static struct rw_result rule_from_args(const struct adm_args *a, struct rw_sec_acl_rule *rule)
{
    const char *principal = NULL, *topic = NULL, *ops_text = NULL;
    RW_ENSURE_MSG(a->n_pos == 0, RW_ERR_USAGE, "unexpected argument '%s' (see --help)", a->pos[0]);
    RW_GUARD(adm_require(a, "principal", &principal));
    RW_GUARD(adm_require(a, "topic", &topic));
    RW_GUARD(adm_require(a, "op", &ops_text));
    bool allow = adm_flag(a, "allow"), deny = adm_flag(a, "deny");
    RW_ENSURE_MSG(allow != deny, RW_ERR_USAGE, "give exactly one of --allow or --deny");
    unsigned ops = 0;
    RW_GUARD(rw_sec_acl_ops_parse(ops_text, &ops));
    return rw_sec_acl_rule_make(rule, principal, topic, ops, allow ? RW_ACL_ALLOW : RW_ACL_DENY);
}

static struct rw_result add(const struct adm_args *a, struct rw_store *s)
{
    struct rw_sec_acl_rule rule;
    RW_GUARD(rule_from_args(a, &rule));
    int64_t id = 0;
    RW_GUARD(rw_sec_acl_add(s, adm_actor(), &rule, &id));
    char text[RW_ACL_RULE_STR_MAX];
    rw_sec_acl_rule_format(&rule, text);
    printf("%lld\n", (long long)id);
    adm_result_int("id", id);
    fprintf(stderr, "added ACL rule %lld: %s\n", (long long)id, text);
    return RW_SUCCESS;
}

int adm_cmd_acl_add(const struct adm_args *a)
{
    /* Validate before touching the store: a usage error needs no data dir. */
    struct rw_sec_acl_rule rule;
    struct rw_result r = rule_from_args(a, &rule);
    return rw_ok(r) ? adm_with_store(a, add) : adm_report(r);
}

static struct rw_result parse_id(const struct adm_args *a, int64_t *id)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "usage: ringward-admin acl remove RULE_ID");
    struct rw_result r = adm_parse_int(a->pos[0], 1, INT64_MAX, id);
    RW_ENSURE_MSG(rw_ok(r), RW_ERR_USAGE,
                  "'%s' is not an ACL rule id (a whole number >= 1, see `ringward-admin acl list`)",
                  a->pos[0]);
    return RW_SUCCESS;
}

static struct rw_result remove_rule(const struct adm_args *a, struct rw_store *s)
{
    int64_t id = 0;
    RW_GUARD(parse_id(a, &id));
    struct rw_sec_acl_rule gone;
    RW_GUARD(rw_sec_acl_remove(s, adm_actor(), id, &gone));
    char text[RW_ACL_RULE_STR_MAX];
    rw_sec_acl_rule_format(&gone, text);
    printf("removed ACL rule %lld (%s)\n", (long long)id, text);
    adm_result_int("id", id);
    return RW_SUCCESS;
}

int adm_cmd_acl_remove(const struct adm_args *a)
{
    int64_t id = 0;
    struct rw_result r = parse_id(a, &id);
    return rw_ok(r) ? adm_with_store(a, remove_rule) : adm_report(r);
}

static struct rw_result rule_json(struct rw_buf *b, const struct rw_sec_acl_rule *r, bool first)
{
    char ops[RW_ACL_OPS_STR_MAX];
    rw_sec_acl_ops_format(r->ops, ops);
    RW_GUARD(rw_buf_append_str(b, first ? "{" : ",{"));
    RW_GUARD(rw_json_kv_int(b, true, "id", r->id));
    RW_GUARD(rw_json_kv_str(b, false, "principal", r->principal));
    RW_GUARD(rw_json_kv_str(b, false, "resource", r->resource));
    RW_GUARD(rw_json_kv_str(b, false, "ops", ops));
    RW_GUARD(rw_json_kv_str(b, false, "effect", rw_sec_acl_effect_name(r->effect)));
    RW_GUARD(rw_json_kv_int(b, false, "created_at", r->created_at));
    return rw_buf_append_str(b, "}");
}

static struct rw_result print_json(const struct rw_sec_acl_rule *rules, size_t n)
{
    struct rw_buf b;
    rw_buf_init(&b, 1u << 30);
    struct rw_result r = rw_buf_append_str(&b, "[");
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = rule_json(&b, &rules[i], i == 0);
    }
    if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "]\n"))) {
        fwrite(b.data, 1, b.len, stdout);
    }
    rw_buf_cleanup(&b);
    return r;
}

static struct rw_result list(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 0, RW_ERR_USAGE, "unexpected argument '%s' (see --help)", a->pos[0]);
    struct rw_sec_acl_rule *rules = NULL;
    size_t n = 0;
    RW_GUARD(rw_sec_acl_list(s, &rules, &n));
    struct rw_result r = RW_SUCCESS;
    if (adm_flag(a, "json")) {
        r = print_json(rules, n);
    } else {
        printf("%-6s %-6s %-24s %-31s %-24s %s\n", "ID", "EFFECT", "PRINCIPAL", "OPERATIONS",
               "TOPIC", "CREATED");
        for (size_t i = 0; i < n; i++) {
            char ops[RW_ACL_OPS_STR_MAX], at[32];
            rw_sec_acl_ops_format(rules[i].ops, ops);
            adm_fmt_time(rules[i].created_at, at, sizeof(at));
            printf("%-6lld %-6s %-24s %-31s %-24s %s\n", (long long)rules[i].id,
                   rw_sec_acl_effect_name(rules[i].effect), rules[i].principal, ops,
                   rules[i].resource, at);
        }
    }
    free(rules);
    return r;
}

int adm_cmd_acl_list(const struct adm_args *a) { return adm_with_store(a, list); }

/* The query of `acl check`: one principal, one topic (or cluster), one op. */
struct check_q {
    const char *principal, *topic;
    unsigned op;
};

static struct rw_result check_args(const struct adm_args *a, struct check_q *q)
{
    const char *ops_text = NULL;
    RW_ENSURE_MSG(a->n_pos == 0, RW_ERR_USAGE, "unexpected argument '%s' (see --help)", a->pos[0]);
    RW_GUARD(adm_require(a, "principal", &q->principal));
    RW_GUARD(adm_require(a, "topic", &q->topic));
    RW_GUARD(adm_require(a, "op", &ops_text));
    RW_ENSURE_MSG(strlen(q->principal) < RW_ACL_PATTERN_MAX, RW_ERR_USAGE,
                  "a principal has at most %d bytes", RW_ACL_PATTERN_MAX - 1);
    RW_ENSURE_MSG(rw_sec_acl_topic_valid(q->topic), RW_ERR_USAGE,
                  "'%.64s' is not a topic name (1..249 characters of A-Z a-z 0-9 . _ -) nor "
                  "'cluster'", q->topic);
    RW_GUARD(rw_sec_acl_ops_parse(ops_text, &q->op));
    RW_ENSURE_MSG(q->op && (q->op & (q->op - 1)) == 0, RW_ERR_USAGE,
                  "acl check asks about one operation (produce, consume, describe or admin), "
                  "not '%s'", ops_text);
    return RW_SUCCESS;
}

static struct rw_result decide(const struct adm_args *a, struct rw_store *s, bool *allowed)
{
    struct check_q q;
    RW_GUARD(check_args(a, &q));
    struct rw_sec_acl *acl = NULL;
    RW_GUARD(rw_sec_acl_build(s, &acl));
    int64_t id = 0;
    enum rw_sec_acl_effect e = rw_sec_acl_check(acl, q.principal, q.topic, q.op, &id);
    const struct rw_sec_acl_rule *rule = rw_sec_acl_rule_find(acl, id);
    *allowed = e == RW_ACL_ALLOW;
    const char *verdict = *allowed ? "ALLOW" : "DENY";
    adm_result_bool("allowed", *allowed);
    adm_result_int("rule", rule ? id : 0);
    if (rule) {
        char text[RW_ACL_RULE_STR_MAX];
        rw_sec_acl_rule_format(rule, text);
        printf("%s by rule %lld (%s)\n", verdict, (long long)id, text);
    } else {
        printf("%s (no matching rule: default deny)\n", verdict);
    }
    rw_sec_acl_unref(acl);
    return RW_SUCCESS;
}

int adm_cmd_acl_check(const struct adm_args *a)
{
    struct check_q q;
    struct rw_result r = check_args(a, &q);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    struct rw_store *s = NULL;
    bool allowed = false;
    r = adm_store_open(a, &s);
    if (rw_ok(r)) {
        r = decide(a, s, &allowed);
    }
    rw_store_close(s);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    return allowed ? ADM_EXIT_OK : ADM_EXIT_FAIL;
}
