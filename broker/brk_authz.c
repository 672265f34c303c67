/* broker/brk_authz.c — authorization of data-plane requests: the ACL gate
 * in front of Produce, Fetch and Subscribe, and the sweep that ends live
 * subscriptions a new ACL snapshot no longer allows (see broker/brk_app.h).
 * Nothing here allocates or locks: decisions come from the connection's
 * cache over the worker's immutable snapshot. */
#include <stdio.h>
#include <string.h>

#include "broker/brk_app.h"
#include "core/rw_log.h"

#define ERR_CODE(x) RINGWARD__ERROR_CODE__##x
#define PRINCIPAL_CAP RW_ACL_PATTERN_MAX /* a principal, NUL included */
#define DENY_MSG_MAX (PRINCIPAL_CAP + RW_ACL_TOPIC_MAX + 64)

void brk_app_auth(struct brk_app *a, uint64_t conn_id, const char *principal)
{
    a->conn_id = conn_id;
    rw_sec_acl_cache_init(&a->acl, principal);
}

static const char *op_name(unsigned op) { return op == RW_ACL_PRODUCE ? "produce" : "consume"; }

/* "principal P may not produce to T" / "... may not consume from T". */
static void deny_message(const struct brk_app *a, const char *topic, unsigned op, char *out,
                         size_t cap)
{
    snprintf(out, cap, "principal %s may not %s %s", a->acl.principal ? a->acl.principal : "",
             op == RW_ACL_PRODUCE ? "produce to" : "consume from", topic);
}

static void log_denied(const struct brk_app *a, const char *what, const char *topic, unsigned op,
                       int64_t rule)
{
    char p[PRINCIPAL_CAP];
    RW_LOG(RW_LOG_INFO, what, "conn=%llu principal=%s op=%s topic=%s rule=%lld",
           (unsigned long long)a->conn_id, brk_log_clean(a->acl.principal, p, sizeof(p)),
           op_name(op), topic, (long long)rule);
}

static void count_denied(struct brk_app_ctx *w, unsigned op)
{
    brk_stat_bump(op == RW_ACL_PRODUCE ? &w->counters.acl_denied_produce
                                       : &w->counters.acl_denied_consume, 1);
}

struct rw_result brk_app_authorize(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                                   const char *topic, unsigned op, struct rw_buf *out,
                                   bool *allowed)
{
    *allowed = false;
    if (!topic || !brk_topic_name_valid(topic, strlen(topic))) {
        return brk_app_error(w, out, corr, ERR_CODE(INVALID_ARGUMENT),
                             "topic names are 1..249 characters of A-Z a-z 0-9 . _ -");
    }
    uint64_t misses = a->acl.misses;
    int64_t rule = 0;
    enum rw_sec_acl_effect e = w->acl && a->acl.principal
                                   ? rw_sec_acl_cache_check(&a->acl, w->acl, topic, op, &rule)
                                   : RW_ACL_DENY;
    if (e == RW_ACL_ALLOW) {
        *allowed = true;
        return RW_SUCCESS;
    }
    count_denied(w, op);
    if (a->acl.misses != misses) {
        log_denied(a, "acl_denied", topic, op, rule); /* once per cached decision */
    }
    char msg[DENY_MSG_MAX];
    deny_message(a, topic, op, msg, sizeof(msg));
    return brk_app_error(w, out, corr, ERR_CODE(PERMISSION_DENIED), msg);
}

/* Drops subscription i (its slot is refilled by the ones after it). */
static void sub_drop(struct brk_app_ctx *w, struct brk_app *a, unsigned i)
{
    brk_topic_sub_del(a->subs[i].topic, w->worker);
    memmove(&a->subs[i], &a->subs[i + 1], (a->n_subs - i - 1) * sizeof(a->subs[0]));
    a->n_subs--;
}

struct rw_result brk_app_acl_sweep(struct brk_app_ctx *w, struct brk_app *a, struct rw_buf *out,
                                   unsigned *ended)
{
    *ended = 0;
    struct rw_result r = RW_SUCCESS;
    unsigned i = 0;
    while (i < a->n_subs) {
        const char *topic = brk_topic_name(a->subs[i].topic);
        int64_t rule = 0;
        enum rw_sec_acl_effect e =
            w->acl && a->acl.principal
                ? rw_sec_acl_cache_check(&a->acl, w->acl, topic, RW_ACL_CONSUME, &rule)
                : RW_ACL_DENY;
        if (e == RW_ACL_ALLOW) {
            i++;
            continue;
        }
        uint64_t corr = a->subs[i].id;
        sub_drop(w, a, i);
        (*ended)++;
        count_denied(w, RW_ACL_CONSUME);
        brk_stat_bump(&w->counters.acl_subs_ended, 1);
        log_denied(a, "subscription_ended", topic, RW_ACL_CONSUME, rule);
        char msg[DENY_MSG_MAX];
        deny_message(a, topic, RW_ACL_CONSUME, msg, sizeof(msg));
        struct rw_result e2 = brk_app_error(w, out, corr, ERR_CODE(PERMISSION_DENIED), msg);
        r = rw_ok(r) ? e2 : r;
    }
    return r;
}
