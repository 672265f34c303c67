/* broker/brk_enforce.c — policies and the follower handler that rebuilds
 * them (see broker/brk_enforce.h). Runs on the follower thread, except
 * brk_enforce_new (startup) and the policy accessors (any thread). */
#include "broker/brk_enforce.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "security/sec_revset.h"

struct brk_policy *brk_policy_new(void)
{
    struct brk_policy *p = calloc(1, sizeof(*p));
    if (p) {
        atomic_init(&p->refs, 1);
    }
    return p;
}

struct brk_policy *brk_policy_ref(struct brk_policy *p)
{
    if (p) {
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    }
    return p;
}

void brk_policy_unref(struct brk_policy *p)
{
    if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
        rw_sec_trust_unref(p->trust);
        free(p);
    }
}

void brk_policy_publish(struct brk_shared *sh, struct brk_policy *p)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_policy *old = sh->policy;
    sh->policy = p;
    atomic_fetch_add_explicit(&sh->policy_gen, 1, memory_order_release);
    pthread_mutex_unlock(&sh->pub_mu);
    brk_policy_unref(old);
    for (unsigned i = 0; i < sh->n_workers; i++) {
        brk_worker_wake(&sh->workers[i]);
    }
}

struct brk_policy *brk_policy_current(struct brk_shared *sh)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_policy *p = brk_policy_ref(sh->policy);
    pthread_mutex_unlock(&sh->pub_mu);
    return p;
}

bool brk_policy_blocks(const struct brk_policy *p, const struct rw_sec_chain_ids *ids)
{
    for (int i = 0; p && i < ids->n; i++) {
        for (size_t j = 0; j < p->n_blocked; j++) {
            if (ids->certs[i].issuer_id == p->blocked[j]) {
                return true;
            }
        }
    }
    return false;
}

/* --- the enforcer ---------------------------------------------------- */

struct brk_enforce {
    const struct brk_config *cfg;
    struct brk_shared *sh;
    struct rw_store *store;      /* borrowed */
    struct brk_crls *crls;       /* owned */
    int64_t start_seq;
    bool retry;                  /* the last rebuild failed */
};

static void publish_gauges(struct brk_shared *sh, const struct brk_policy *p,
                           const struct brk_crls *crls)
{
    atomic_store(&sh->stats.revoked_serials, rw_sec_revset_count(rw_sec_trust_revset(p->trust)));
    atomic_store(&sh->stats.crl_blocked_issuers, p->n_blocked);
    atomic_store(&sh->stats.crl_failing, brk_crls_failing(crls));
}

/* The current policy plus the revocations of `ev` (NULL: none to apply
 * that way, or it failed and a full rebuild follows). */
static struct brk_policy *extended(struct brk_enforce *e, const struct rw_store_event *ev,
                                   size_t n)
{
    struct brk_policy *cur = ev && !e->retry ? brk_policy_current(e->sh) : NULL;
    struct brk_policy *p = cur ? brk_policy_new() : NULL;
    struct rw_result r = p ? brk_trust_extend(e->store, cur, ev, n, p) : RW_ERR(RW_ERR_STATE);
    brk_policy_unref(cur);
    if (!rw_ok(r) && p) {
        char d[512];
        RW_LOG(RW_LOG_WARN, "trust_extend_failed", "reason=%s detail=\"%s\" then=rebuild",
               rw_err_name(r.err), brk_log_clean(rw_err_detail(), d, sizeof(d)));
    }
    if (!rw_ok(r)) {
        brk_policy_unref(p);
        return NULL;
    }
    return p;
}

/* A new policy, installed then published: the current one extended when
 * `ev` (may be NULL) only revokes, else rebuilt from the store, bundle and
 * CRLs. */
static bool rebuild(struct brk_enforce *e, const char *cause, const struct rw_store_event *ev,
                    size_t n)
{
    struct brk_policy *p = extended(e, ev, n);
    struct rw_result r = RW_SUCCESS;
    if (p) {
        cause = "revocation";
    } else {
        p = brk_policy_new();
        r = p ? brk_trust_build(e->store, e->cfg->trust_bundle, e->crls, (int64_t)time(NULL),
                                false, p)
              : RW_ERR(RW_ERR_NOMEM);
    }
    if (!rw_ok(r)) {
        char d[512];
        RW_LOG(RW_LOG_ERROR, "trust_reload_failed", "cause=%s reason=%s detail=\"%s\" "
               "kept=previous_trust", cause, rw_err_name(r.err),
               brk_log_clean(rw_err_detail(), d, sizeof(d)));
        brk_stat_add(&e->sh->stats.trust_reload_failures, 1);
        brk_policy_unref(p);
        e->retry = true;
        return false;
    }
    e->retry = false;
    rw_sec_auth_set_trust(e->sh->auth, p->trust); /* new handshakes first */
    publish_gauges(e->sh, p, e->crls);
    RW_LOG(RW_LOG_INFO, "trust_reloaded", "cause=%s cas=%zu revoked=%zu refused_issuers=%zu",
           cause, rw_sec_trust_ca_count(p->trust),
           rw_sec_revset_count(rw_sec_trust_revset(p->trust)), p->n_blocked);
    brk_stat_add(&e->sh->stats.trust_reloads, 1);
    brk_policy_publish(e->sh, p); /* then every live connection */
    return true;
}

static bool prefixed(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* CA changes and revocations change trust; issuance and the rest do not. */
static bool trust_kind(const char *kind)
{
    if (prefixed(kind, "ca.")) {
        return true;
    }
    return prefixed(kind, "cert.") && strcmp(kind, "cert.issued") != 0 &&
           strcmp(kind, "cert.signed") != 0 && strcmp(kind, "cert.renewed") != 0;
}

static bool on_events(void *arg, const struct rw_store_event *ev, size_t n)
{
    struct brk_enforce *e = arg;
    bool trust = false, acl = false, only_revocations = true;
    for (size_t i = 0; i < n; i++) {
        bool t = trust_kind(ev[i].kind);
        trust = trust || t;
        only_revocations = only_revocations && (!t || strcmp(ev[i].kind, "cert.revoked") == 0);
        acl = acl || prefixed(ev[i].kind, "acl.");
    }
    if (trust && !rebuild(e, "events", only_revocations ? ev : NULL, n)) {
        return false; /* offered again next round */
    }
    if (acl && !rw_ok(brk_acl_reload(e->sh, e->store, "events"))) {
        return false; /* the previous rules stay until a rebuild succeeds */
    }
    for (size_t i = 0; i < n; i++) {
        char o[128];
        if (strcmp(ev[i].kind, "cert.revoked") == 0) {
            brk_stat_add(&e->sh->stats.revocations_applied, 1);
            RW_LOG(RW_LOG_INFO, "revocation_applied", "seq=%lld serial=%s actor=%s",
                   (long long)ev[i].seq, brk_log_clean(ev[i].object, o, sizeof(o)),
                   ev[i].actor);
        } else if (prefixed(ev[i].kind, "acl.")) {
            char a[128];
            RW_LOG(RW_LOG_INFO, "acl_change_applied", "seq=%lld kind=%s rule=%s actor=%s",
                   (long long)ev[i].seq, ev[i].kind, brk_log_clean(ev[i].object, o, sizeof(o)),
                   brk_log_clean(ev[i].actor, a, sizeof(a)));
        } else if (trust_kind(ev[i].kind)) {
            RW_LOG(RW_LOG_INFO, "ca_change_applied", "seq=%lld kind=%s object=%s",
                   (long long)ev[i].seq, ev[i].kind, brk_log_clean(ev[i].object, o, sizeof(o)));
        }
    }
    return true;
}

static void on_tick(void *arg, bool poked)
{
    struct brk_enforce *e = arg;
    bool crl_due = brk_crls_due(e->crls, (int64_t)time(NULL));
    if (poked || crl_due || e->retry) {
        (void)rebuild(e, poked ? "sighup" : crl_due ? "crl_file" : "retry", NULL, 0);
    }
    if (poked) {
        struct rw_result r = brk_acl_reload(e->sh, e->store, "sighup");
        (void)r; /* logged and counted; the previous rules stay */
    }
}

struct brk_follow_handler brk_enforce_handler(struct brk_enforce *e)
{
    return (struct brk_follow_handler){on_events, on_tick, e};
}

int64_t brk_enforce_start_seq(const struct brk_enforce *e) { return e->start_seq; }

struct rw_result brk_enforce_new(const struct brk_enforce_cfg *c, struct brk_enforce **out)
{
    struct brk_enforce *e = calloc(1, sizeof(*e));
    RW_ENSURE(e, RW_ERR_NOMEM);
    e->cfg = c->cfg;
    e->sh = c->sh;
    e->store = c->store;
    struct brk_policy *p = brk_policy_new();
    struct rw_result r = p ? brk_crls_new(c->cfg, &c->sh->stats, &e->crls) : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        /* Read the log's position first: a change racing with the build
         * is then applied again by the follower, never missed. */
        r = rw_store_event_last_seq(e->store, &e->start_seq);
    }
    if (rw_ok(r)) {
        r = brk_trust_build(e->store, c->cfg->trust_bundle, e->crls, (int64_t)time(NULL), true, p);
    }
    if (rw_ok(r)) {
        r = brk_acl_reload(e->sh, e->store, "startup");
    }
    if (!rw_ok(r)) {
        brk_policy_unref(p);
        brk_enforce_free(e);
        return r;
    }
    publish_gauges(e->sh, p, e->crls);
    brk_policy_publish(e->sh, p);
    *out = e;
    return RW_SUCCESS;
}

void brk_enforce_free(struct brk_enforce *e)
{
    if (e) {
        brk_crls_free(e->crls);
        free(e);
    }
}
