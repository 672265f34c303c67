/* admin/adm_rpc_acl.c — AclAdd/Remove/List/Check over RPC (same semantics
 * as the offline `acl` commands: security/sec_acl.c validates, writes the
 * rule and its event with the caller as actor). */
#include <stdlib.h>
#include <string.h>

#include "admin/adm_rpc_internal.h"

static struct rw_result rule_msg(struct adm_call *c, const struct rw_sec_acl_rule *r,
                                 Ringward__Admin__AclRule **out)
{
    Ringward__Admin__AclRule init = RINGWARD__ADMIN__ACL_RULE__INIT;
    Ringward__Admin__AclRule *m = ADM_NEW(c, *m, init);
    RW_ENSURE(m, RW_ERR_NOMEM);
    char ops[RW_ACL_OPS_STR_MAX];
    rw_sec_acl_ops_format(r->ops, ops);
    m->id = r->id;
    m->principal = adm_strdup(c, r->principal);
    m->resource = adm_strdup(c, r->resource);
    m->ops = adm_strdup(c, ops);
    m->effect = adm_strdup(c, rw_sec_acl_effect_name(r->effect));
    m->created_at = r->created_at;
    *out = m;
    return RW_SUCCESS;
}

struct rw_result adm_h_acl_add(struct adm_call *c)
{
    const Ringward__Admin__AclRule *q = c->req->acl_add->rule;
    RW_ENSURE_MSG(q, RW_ERR_USAGE, "AclAdd needs a rule");
    unsigned ops = 0;
    enum rw_sec_acl_effect effect;
    RW_GUARD(rw_sec_acl_ops_parse(q->ops, &ops));
    RW_ENSURE_MSG(rw_sec_acl_effect_parse(q->effect, &effect), RW_ERR_USAGE,
                  "an ACL effect is allow or deny, not '%s'", q->effect);
    struct rw_sec_acl_rule rule;
    RW_GUARD(rw_sec_acl_rule_make(&rule, q->principal, q->resource, ops, effect));
    int64_t id = 0;
    RW_GUARD(rw_sec_acl_add(c->svc->store, c->actor, &rule, &id));
    Ringward__Admin__AclAddResponse init = RINGWARD__ADMIN__ACL_ADD_RESPONSE__INIT;
    Ringward__Admin__AclAddResponse *resp = ADM_NEW(c, *resp, init);
    if (resp) {
        resp->id = id;
    }
    ADM_RESPOND(c, ACL_ADD_OK, acl_add_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_acl_remove(struct adm_call *c)
{
    int64_t id = c->req->acl_remove->id;
    RW_ENSURE_MSG(id >= 1, RW_ERR_USAGE, "an ACL rule id is a whole number >= 1");
    struct rw_sec_acl_rule gone;
    RW_GUARD(rw_sec_acl_remove(c->svc->store, c->actor, id, &gone));
    Ringward__Admin__AclRemoveResponse init = RINGWARD__ADMIN__ACL_REMOVE_RESPONSE__INIT;
    Ringward__Admin__AclRemoveResponse *resp = ADM_NEW(c, *resp, init);
    RW_ENSURE(resp, RW_ERR_NOMEM);
    RW_GUARD(rule_msg(c, &gone, &resp->removed));
    ADM_RESPOND(c, ACL_REMOVE_OK, acl_remove_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_acl_list(struct adm_call *c)
{
    struct rw_sec_acl_rule *rules = NULL;
    size_t n = 0;
    RW_GUARD(rw_sec_acl_list(c->svc->store, &rules, &n));
    Ringward__Admin__AclListResponse init = RINGWARD__ADMIN__ACL_LIST_RESPONSE__INIT;
    Ringward__Admin__AclListResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->rules = (Ringward__Admin__AclRule **)adm_alloc_ptrs(c, n);
        r = resp->rules ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = rule_msg(c, &rules[i], &resp->rules[i]);
        resp->n_rules = i + 1;
    }
    free(rules);
    RW_GUARD(r);
    ADM_RESPOND(c, ACL_LIST_OK, acl_list_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_acl_check(struct adm_call *c)
{
    const Ringward__Admin__AclCheckRequest *q = c->req->acl_check;
    RW_ENSURE_MSG(q->principal[0] && strlen(q->principal) < RW_ACL_PATTERN_MAX, RW_ERR_USAGE,
                  "a principal has 1 to %d bytes", RW_ACL_PATTERN_MAX - 1);
    RW_ENSURE_MSG(rw_sec_acl_topic_valid(q->topic), RW_ERR_USAGE,
                  "'%.64s' is not a topic name nor 'cluster'", q->topic);
    unsigned op = 0;
    RW_GUARD(rw_sec_acl_ops_parse(q->op, &op));
    RW_ENSURE_MSG(op && (op & (op - 1)) == 0, RW_ERR_USAGE,
                  "acl check asks about one operation, not '%s'", q->op);
    struct rw_sec_acl *acl = NULL;
    RW_GUARD(rw_sec_acl_build(c->svc->store, &acl));
    int64_t id = 0;
    enum rw_sec_acl_effect e = rw_sec_acl_check(acl, q->principal, q->topic, op, &id);
    const struct rw_sec_acl_rule *rule = rw_sec_acl_rule_find(acl, id);
    Ringward__Admin__AclCheckResponse init = RINGWARD__ADMIN__ACL_CHECK_RESPONSE__INIT;
    Ringward__Admin__AclCheckResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->allowed = e == RW_ACL_ALLOW;
        resp->rule_id = id;
        if (rule) {
            r = rule_msg(c, rule, &resp->rule);
        }
    }
    rw_sec_acl_unref(acl);
    RW_GUARD(r);
    ADM_RESPOND(c, ACL_CHECK_OK, acl_check_ok, resp);
    return RW_SUCCESS;
}
