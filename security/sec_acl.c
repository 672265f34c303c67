/* security/sec_acl.c — ACL rules in the store, each change with its event.
 *
 * rw_sec_acl_add / rw_sec_acl_remove run the row change and the event
 * (acl.added / acl.removed: actor, object = rule id, payload = the rule)
 * in one store transaction: either both are written or neither. Reading
 * converts rows to validated rules; a row that is not a rule means the
 * file was edited behind our back (IO_CORRUPT), never a silent allow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rw_json.h"
#include "security/sec_acl_internal.h"

static struct rw_result rule_to_row(const struct rw_sec_acl_rule *r, struct rw_store_acl *row)
{
    memset(row, 0, sizeof(*row));
    RW_ENSURE_MSG(strlen(r->principal) < sizeof(row->principal) &&
                      strlen(r->resource) < sizeof(row->resource),
                  RW_ERR_USAGE, "ACL pattern too long for the store");
    memcpy(row->principal, r->principal, strlen(r->principal) + 1);
    memcpy(row->resource, r->resource, strlen(r->resource) + 1);
    rw_sec_acl_ops_format(r->ops, row->ops);
    snprintf(row->effect, sizeof(row->effect), "%s", rw_sec_acl_effect_name(r->effect));
    row->created_at = r->created_at ? r->created_at : (int64_t)time(NULL);
    return RW_SUCCESS;
}

static struct rw_result row_to_rule(const struct rw_store_acl *row, struct rw_sec_acl_rule *r)
{
    memset(r, 0, sizeof(*r));
    unsigned ops = 0;
    enum rw_sec_acl_effect effect = RW_ACL_DENY;
    struct rw_result res = rw_sec_acl_ops_parse(row->ops, &ops);
    if (rw_ok(res) && !rw_sec_acl_effect_parse(row->effect, &effect)) {
        rw_err_detail_set("effect '%s' is neither allow nor deny", row->effect);
        res = RW_ERR(RW_ERR_USAGE);
    }
    if (rw_ok(res)) {
        res = rw_sec_acl_rule_make(r, row->principal, row->resource, ops, effect);
    }
    if (!rw_ok(res)) {
        char why[512];
        snprintf(why, sizeof(why), "%s", rw_err_detail());
        rw_err_detail_set("the store holds ACL rule %lld that is not a valid rule (%s): the file "
                          "was altered; remove the rule", (long long)row->id, why);
        return RW_ERR(RW_ERR_IO_CORRUPT);
    }
    r->id = row->id;
    r->created_at = row->created_at;
    return RW_SUCCESS;
}

/* Appends the event for `row` (kind acl.added / acl.removed) in the
 * caller's transaction. */
static struct rw_result acl_event(struct rw_store *s, const char *actor, const char *kind,
                                  const struct rw_store_acl *row)
{
    char object[24];
    snprintf(object, sizeof(object), "%lld", (long long)row->id);
    struct rw_buf b;
    rw_buf_init(&b, 4096);
    struct rw_result r = rw_buf_append_str(&b, "{");
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, true, "principal", row->principal);
    }
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, false, "resource", row->resource);
    }
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, false, "ops", row->ops);
    }
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, false, "effect", row->effect);
    }
    if (rw_ok(r)) {
        r = rw_buf_append_str(&b, "}");
    }
    if (rw_ok(r)) {
        r = rw_buf_terminate(&b);
    }
    if (rw_ok(r)) {
        r = rw_store_event_append(s, actor ? actor : "unknown", kind, object,
                                  (const char *)b.data, NULL);
    }
    rw_buf_cleanup(&b);
    return r;
}

static struct rw_result tx_end(struct rw_store *s, struct rw_result r)
{
    if (rw_ok(r)) {
        return rw_store_tx_commit(s);
    }
    rw_store_tx_rollback(s);
    return r;
}

struct rw_result rw_sec_acl_add(struct rw_store *s, const char *actor,
                                const struct rw_sec_acl_rule *rule, int64_t *id_out)
{
    RW_ENSURE_MSG(s && rule, RW_ERR_USAGE, "bad rw_sec_acl_add arguments");
    RW_GUARD(rw_sec_acl_rule_check(rule));
    struct rw_store_acl row;
    RW_GUARD(rule_to_row(rule, &row));
    RW_GUARD(rw_store_tx_begin(s));
    struct rw_result r = rw_store_acl_insert(s, &row, &row.id);
    if (rw_ok(r)) {
        r = acl_event(s, actor, "acl.added", &row);
    }
    r = tx_end(s, r);
    if (rw_ok(r) && id_out) {
        *id_out = row.id;
    }
    return r;
}

struct rw_result rw_sec_acl_remove(struct rw_store *s, const char *actor, int64_t id,
                                   struct rw_sec_acl_rule *removed)
{
    RW_ENSURE_MSG(s, RW_ERR_USAGE, "bad rw_sec_acl_remove arguments");
    RW_ENSURE_MSG(id >= 1, RW_ERR_USAGE, "ACL rule ids start at 1, not %lld", (long long)id);
    struct rw_store_acl row;
    RW_GUARD(rw_store_tx_begin(s));
    struct rw_result r = rw_store_acl_get(s, id, &row);
    if (rw_ok(r)) {
        r = rw_store_acl_remove(s, id);
    }
    if (rw_ok(r)) {
        r = acl_event(s, actor, "acl.removed", &row);
    }
    r = tx_end(s, r);
    if (rw_ok(r) && removed && !rw_ok(row_to_rule(&row, removed))) {
        /* Removed a row that was not a valid rule: report its raw text. */
        memset(removed, 0, sizeof(*removed));
        removed->id = id;
        snprintf(removed->principal, sizeof(removed->principal), "%s", row.principal);
        snprintf(removed->resource, sizeof(removed->resource), "%s", row.resource);
        rw_err_detail_clear();
    }
    return r;
}

struct rw_result rw_sec_acl_list(struct rw_store *s, struct rw_sec_acl_rule **out, size_t *n)
{
    RW_ENSURE_MSG(s && out && n, RW_ERR_USAGE, "bad rw_sec_acl_list arguments");
    *out = NULL;
    *n = 0;
    struct rw_store_acl *rows = NULL;
    size_t count = 0;
    RW_GUARD(rw_store_acl_list(s, &rows, &count));
    struct rw_sec_acl_rule *rules = calloc(count ? count : 1, sizeof(*rules));
    struct rw_result r = rules ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    for (size_t i = 0; i < count && rw_ok(r); i++) {
        r = row_to_rule(&rows[i], &rules[i]);
    }
    rw_store_acl_list_free(rows, count);
    if (!rw_ok(r)) {
        free(rules);
        return r;
    }
    *out = rules;
    *n = count;
    return RW_SUCCESS;
}

struct rw_result rw_sec_acl_build(struct rw_store *s, struct rw_sec_acl **out)
{
    RW_ENSURE_MSG(out, RW_ERR_USAGE, "bad rw_sec_acl_build arguments");
    *out = NULL;
    struct rw_sec_acl_rule *rules = NULL;
    size_t n = 0;
    RW_GUARD(rw_sec_acl_list(s, &rules, &n));
    struct rw_result r = rw_sec_acl_build_rules(rules, n, out);
    free(rules);
    return r;
}
