/* broker/brk_acl.c — the broker's ACL snapshot: built from the store (at
 * start, then on the follower thread for acl.* events and SIGHUP),
 * published to the workers like the policy (a reference under pub_mu and
 * a generation counter), and adopted by each worker at a loop turn. A
 * worker reads the generation with one atomic load per turn and takes the
 * lock only when it changed; requests use the worker's own reference, so
 * the hot path neither locks nor counts references. Adopting a snapshot
 * ends the live subscriptions it no longer allows. */
#include "broker/brk_worker.h"
#include "core/rw_log.h"

void brk_acl_publish(struct brk_shared *sh, struct rw_sec_acl *acl)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct rw_sec_acl *old = sh->acl;
    sh->acl = acl;
    atomic_fetch_add_explicit(&sh->acl_gen, 1, memory_order_release);
    pthread_mutex_unlock(&sh->pub_mu);
    rw_sec_acl_unref(old);
    for (unsigned i = 0; i < sh->n_workers; i++) {
        brk_worker_wake(&sh->workers[i]);
    }
}

struct rw_sec_acl *brk_acl_current(struct brk_shared *sh)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct rw_sec_acl *acl = rw_sec_acl_ref(sh->acl);
    pthread_mutex_unlock(&sh->pub_mu);
    return acl;
}

struct rw_result brk_acl_reload(struct brk_shared *sh, struct rw_store *store, const char *cause)
{
    struct rw_sec_acl *acl = NULL;
    struct rw_result r = rw_sec_acl_build(store, &acl);
    if (!rw_ok(r)) {
        char d[512];
        RW_LOG(RW_LOG_ERROR, "acl_reload_failed", "cause=%s reason=%s detail=\"%s\" "
               "kept=previous_acl", cause, rw_err_name(r.err),
               brk_log_clean(rw_err_detail(), d, sizeof(d)));
        brk_stat_add(&sh->stats.acl_reload_failures, 1);
        return r;
    }
    atomic_store(&sh->stats.acl_rules, rw_sec_acl_rule_count(acl));
    brk_stat_add(&sh->stats.acl_reloads, 1);
    RW_LOG(RW_LOG_INFO, "acl_reloaded", "cause=%s rules=%zu generation=%llu", cause,
           rw_sec_acl_rule_count(acl), (unsigned long long)rw_sec_acl_generation(acl));
    brk_acl_publish(sh, acl);
    return RW_SUCCESS;
}

/* Ends the subscriptions of one connection that `w->acl` no longer
 * allows; returns how many. */
static unsigned sweep_conn(struct brk_worker *w, struct brk_conn *c)
{
    if (c->state != BRK_ESTABLISHED || c->closing || c->app.n_subs == 0) {
        return 0;
    }
    unsigned ended = 0;
    struct rw_result r = brk_app_acl_sweep(&w->app, &c->app, &c->pout, &ended);
    if (!rw_ok(r)) {
        /* The subscription is gone; its Error did not fit the output. */
        brk_conn_kick(w, c, BRK_CLOSE_OTHER, RINGWARD__ERROR_CODE__PERMISSION_DENIED,
                      "a subscription was ended by an ACL change and its Error frame did not "
                      "fit the connection's output");
        return ended;
    }
    if (ended > 0) {
        if (c->app.n_subs == 0) {
            brk_list_del(&c->slink);
            brk_state_idle_rearm(w, c); /* idle from now on, not since its last request */
        }
        brk_conn_mark_dirty(w, c);
    }
    return ended;
}

void brk_acl_adopt(struct brk_worker *w)
{
    uint64_t g = atomic_load_explicit(&w->sh->acl_gen, memory_order_acquire);
    if (g == w->acl_gen) {
        return;
    }
    struct rw_sec_acl *acl = brk_acl_current(w->sh);
    struct rw_sec_acl *old = w->acl;
    w->acl = acl;
    w->acl_gen = g;
    w->app.acl = acl;
    rw_sec_acl_unref(old);
    unsigned ended = 0;
    struct brk_link *next;
    for (struct brk_link *l = w->sub_list.next; l != &w->sub_list; l = next) {
        next = l->next; /* sweep_conn may unlink l */
        ended += sweep_conn(w, BRK_CONTAINER(l, struct brk_conn, slink));
    }
    RW_LOG(RW_LOG_DEBUG, "acl_applied", "worker=%u generation=%llu subscriptions_ended=%u", w->id,
           (unsigned long long)rw_sec_acl_generation(acl), ended);
}
