/* broker/brk_sweep.c — live enforcement on a worker: adopting what other
 * threads published (the TLS context, the ACL snapshot: brk_acl.c, the
 * policy), re-checking every
 * established connection against a new policy, and closing a connection
 * with an Error frame (REVOKED, EXPIRED, UNAUTHENTICATED) and close_notify.
 * Nothing here allocates or locks on the per-connection path. */
#include <stdio.h>
#include <string.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "proto/broker.pb-c.h"

#define ERR_CODE(x) RINGWARD__ERROR_CODE__##x

void brk_conn_kick(struct brk_worker *w, struct brk_conn *c, enum brk_close_reason why, int code,
                   const char *detail)
{
    char p[RW_PRINCIPAL_MAX], d[512];
    RW_LOG(RW_LOG_INFO, "conn_closing", "conn=%llu principal=%s worker=%u reason=%s detail=\"%s\"",
           (unsigned long long)c->id, brk_log_clean(c->principal, p, sizeof(p)), w->id,
           brk_close_reason_name(why), brk_log_clean(detail, d, sizeof(d)));
    brk_conn_why(c, why);
    brk_stat_add(&w->sh->stats.live_closed[why], 1);
    /* Records not yet encrypted are not for a client we no longer trust. */
    c->pout.len = 0;
    struct rw_result r = brk_app_error(&w->app, &c->pout, 0, code, detail);
    (void)r; /* no room for the Error frame: close_notify still goes out */
    brk_conn_close_graceful(w, c);
    brk_conn_mark_dirty(w, c);
}

/* False when the connection was closed. */
static bool check_conn(struct brk_worker *w, struct brk_conn *c, const struct brk_policy *p)
{
    if (!p || c->state != BRK_ESTABLISHED || c->closing) {
        return true;
    }
    struct rw_result r = rw_sec_tls_recheck(c->tls, p->trust, 0);
    if (!rw_ok(r)) {
        char d[512];
        snprintf(d, sizeof(d), "%s", rw_err_detail());
        if (r.err == RW_ERR_AUTH_REVOKED) {
            brk_conn_kick(w, c, BRK_CLOSE_REVOKED, ERR_CODE(REVOKED), d);
        } else if (r.err == RW_ERR_AUTH_EXPIRED) {
            brk_conn_kick(w, c, BRK_CLOSE_EXPIRED, ERR_CODE(EXPIRED), d);
        } else {
            brk_conn_kick(w, c, BRK_CLOSE_OTHER, ERR_CODE(UNAUTHENTICATED), d);
        }
        return false;
    }
    const struct rw_sec_chain_ids *ids = rw_sec_tls_peer_chain(c->tls);
    if (ids && brk_policy_blocks(p, ids)) {
        char d[384];
        snprintf(d, sizeof(d), "revocation status unknown: a CRL of an issuer of this chain is "
                 "unusable and the broker's CRL policy is fail-closed (principal %s)", c->principal);
        brk_conn_kick(w, c, BRK_CLOSE_CRL_UNAVAILABLE, ERR_CODE(UNAUTHENTICATED), d);
        return false;
    }
    return true;
}

bool brk_sweep_established(struct brk_worker *w, struct brk_conn *c)
{
    if (!check_conn(w, c, w->policy)) {
        return false;
    }
    const struct rw_sec_chain_ids *ids = rw_sec_tls_peer_chain(c->tls);
    if (ids && ids->n > 0) {
        int64_t at = ids->not_after > INT64_MAX / 1000 ? INT64_MAX : ids->not_after * 1000;
        if (at <= brk_wall_ms()) {
            /* Within the notAfter second: the handshake still passes
             * (notAfter is inclusive), the connection does not. */
            brk_expiry_kick(w, c, at);
            return false;
        }
        brk_expiry_add(w, c, at);
    }
    return true;
}

static void adopt_tls(struct brk_worker *w)
{
    uint64_t g = atomic_load_explicit(&w->sh->tls_gen, memory_order_acquire);
    if (g != w->tls_gen) {
        struct brk_tls_ref *r = brk_tls_current(w->sh);
        brk_tls_ref_put(w->tls);
        w->tls = r;
        w->tls_gen = g;
    }
}

void brk_worker_refresh(struct brk_worker *w)
{
    adopt_tls(w);
    brk_acl_adopt(w);
    uint64_t g = atomic_load_explicit(&w->sh->policy_gen, memory_order_acquire);
    if (g == w->policy_gen) {
        return;
    }
    struct brk_policy *p = brk_policy_current(w->sh);
    brk_policy_unref(w->policy);
    w->policy = p;
    w->policy_gen = g;
    unsigned checked = 0, closed = 0;
    for (uint32_t i = 0; p && i < w->n_slots; i++) {
        struct brk_conn *c = &w->conns[i];
        if (c->state == BRK_ESTABLISHED && !c->closing) {
            checked++;
            closed += !check_conn(w, c, p);
        }
    }
    RW_LOG(RW_LOG_DEBUG, "policy_applied", "worker=%u checked=%u closed=%u", w->id, checked, closed);
}
