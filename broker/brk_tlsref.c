/* broker/brk_tlsref.c — the server TLS context all workers share, and its
 * replacement on SIGHUP (see struct brk_tls_ref in broker/brk_worker.h). */
#include <stdlib.h>

#include "broker/brk_worker.h"

static struct rw_result ref_new(const struct brk_config *cfg, struct rw_sec_auth *auth,
                                bool admin, struct brk_tls_ref **out)
{
    struct brk_tls_ref *r = calloc(1, sizeof(*r));
    RW_ENSURE(r, RW_ERR_NOMEM);
    struct rw_sec_tls_server_cfg tcfg = {
        .cert_file = cfg->cert, .key_file = cfg->key, .chain_file = cfg->ca_chain,
        .auth = auth, .allow_tls12 = cfg->tls12, .stateless_tickets = cfg->stateless_tickets,
        .client_cert_optional = admin, .cleanse_plaintext = admin,
    };
    struct rw_result res = rw_sec_tls_server_ctx_new(&tcfg, &r->ctx);
    if (!rw_ok(res)) {
        free(r);
        return res;
    }
    atomic_init(&r->refs, 1);
    *out = r;
    return RW_SUCCESS;
}

struct rw_result brk_tls_ref_new(const struct brk_config *cfg, struct rw_sec_auth *auth,
                                 struct brk_tls_ref **out)
{
    return ref_new(cfg, auth, false, out);
}

struct rw_result brk_tls_ref_new_admin(const struct brk_config *cfg, struct rw_sec_auth *auth,
                                       struct brk_tls_ref **out)
{
    return ref_new(cfg, auth, true, out);
}

struct brk_tls_ref *brk_tls_ref_get(struct brk_tls_ref *r)
{
    if (r) {
        atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    }
    return r;
}

void brk_tls_ref_put(struct brk_tls_ref *r)
{
    if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
        rw_sec_tls_ctx_free(r->ctx); /* its last session is gone */
        free(r);
    }
}

void brk_tls_publish(struct brk_shared *sh, struct brk_tls_ref *r)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_tls_ref *old = sh->tls;
    sh->tls = r;
    atomic_fetch_add_explicit(&sh->tls_gen, 1, memory_order_release);
    pthread_mutex_unlock(&sh->pub_mu);
    brk_tls_ref_put(old);
}

void brk_tls_publish_admin(struct brk_shared *sh, struct brk_tls_ref *r)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_tls_ref *old = sh->admin_tls;
    sh->admin_tls = r;
    pthread_mutex_unlock(&sh->pub_mu);
    brk_tls_ref_put(old);
}

struct brk_tls_ref *brk_tls_current_admin(struct brk_shared *sh)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_tls_ref *r = brk_tls_ref_get(sh->admin_tls);
    pthread_mutex_unlock(&sh->pub_mu);
    return r;
}

struct brk_tls_ref *brk_tls_current(struct brk_shared *sh)
{
    pthread_mutex_lock(&sh->pub_mu);
    struct brk_tls_ref *r = brk_tls_ref_get(sh->tls);
    pthread_mutex_unlock(&sh->pub_mu);
    return r;
}
