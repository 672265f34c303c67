/* broker/brk_daemon.c — startup, the signal loop, reload and shutdown. */
#include "broker/brk_daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "broker/brk_admin.h"
#include "broker/brk_enforce.h"
#include "broker/brk_follow.h"
#include "broker/brk_metrics.h"
#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "security/sec_ca.h"
#include "security/sec_ec_fast.h"
#include "security/sec_revset.h"

#define TICKET_ROTATION_S 3600

/* Everything the daemon owns, torn down in reverse by daemon_cleanup. */
struct daemon {
    const struct brk_config *cfg;
    struct rw_store *store;      /* startup, then only the follower thread */
    struct brk_shared sh;
    struct brk_worker *workers;
    unsigned n;
    unsigned started;   /* threads created */
    uint16_t port;
    uint16_t metrics_port;
    uint16_t admin_port;
    struct brk_admin *admin;
    struct brk_enforce *enforce;
    struct brk_follow *follow;
    struct brk_metrics *metrics;
};

static void log_failure(const char *what, struct rw_result r)
{
    fprintf(stderr, "ringward: %s: %s (%s)\n", what, rw_err_detail(), rw_err_name(r.err));
}

static void topic_notify(void *arg, unsigned worker)
{
    struct brk_shared *sh = arg;
    brk_worker_wake(&sh->workers[worker]);
}

static enum rw_sec_principal_src principal_src(enum brk_principal_from f)
{
    switch (f) {
    case BRK_PRINCIPAL_SAN_URI:
        return RW_PRINCIPAL_SAN_URI;
    case BRK_PRINCIPAL_SAN_DNS:
        return RW_PRINCIPAL_SAN_DNS;
    case BRK_PRINCIPAL_CN:
    default:
        return RW_PRINCIPAL_CN;
    }
}

/* The store handle (read only by convention: the broker never writes),
 * the first policy (trust snapshot), the auth manager and the shared TLS
 * context. */
static struct rw_result open_security(struct daemon *d)
{
    RW_GUARD(rw_store_open(d->cfg->data_dir, RW_STORE_OPEN_EXISTING, &d->store));
    if (rw_sec_ca_dev_keys(d->store)) {
        RW_LOG(RW_LOG_WARN, "insecure_dev_keys", "data_dir=%s detail=\"CA keys are stored in "
               "plaintext: a development setup only\"", d->cfg->data_dir);
    }
    struct brk_enforce_cfg ecfg = {.cfg = d->cfg, .sh = &d->sh, .store = d->store};
    RW_GUARD(brk_enforce_new(&ecfg, &d->enforce));
    struct brk_policy *p = brk_policy_current(&d->sh);
    struct rw_sec_auth_cfg acfg = {.principal_src = principal_src(d->cfg->principal_from)};
    struct rw_result r = rw_sec_auth_new(&acfg, p->trust, &d->sh.auth);
    RW_LOG(RW_LOG_INFO, "trust_loaded", "cas=%zu revoked=%zu crls=%u crl_policy=%s "
           "principal_from=%s", rw_sec_trust_ca_count(p->trust),
           rw_sec_revset_count(rw_sec_trust_revset(p->trust)), d->cfg->n_crl,
           d->cfg->crl_policy == BRK_CRL_KEEP_LAST ? "keep-last" : "fail-closed",
           brk_principal_from_name(d->cfg->principal_from));
    brk_policy_unref(p);
    RW_GUARD(r);
    struct brk_tls_ref *tls = NULL;
    RW_GUARD(brk_tls_ref_new(d->cfg, d->sh.auth, &tls));
    brk_tls_publish(&d->sh, tls);
    if (d->cfg->admin) {
        RW_GUARD(brk_tls_ref_new_admin(d->cfg, d->sh.auth, &d->sh.admin_tls));
    }
    return RW_SUCCESS;
}

static struct rw_result make_workers(struct daemon *d)
{
    const struct brk_config *cfg = d->cfg;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    d->n = cfg->workers ? cfg->workers : (unsigned)(cpus > 0 ? (cpus < BRK_MAX_WORKERS ? cpus : BRK_MAX_WORKERS) : 1);
    d->workers = calloc(d->n, sizeof(*d->workers));
    RW_ENSURE(d->workers, RW_ERR_NOMEM);
    for (unsigned i = 0; i < d->n; i++) {
        d->workers[i].listen_fd = d->workers[i].event_fd = d->workers[i].admin_fd = -1;
        brk_admin_outq_init(&d->workers[i].adm_out);
    }
    d->sh.workers = d->workers;
    d->sh.n_workers = d->n;
    int fds[BRK_MAX_WORKERS];
    RW_GUARD(brk_net_listen(cfg->listen_host, cfg->listen_port, d->n, fds, &d->port));
    if (cfg->admin) {
        struct rw_result r = brk_net_listen_plain(cfg->admin_host, cfg->admin_port,
                                                  &d->workers[0].admin_fd, &d->admin_port);
        if (!rw_ok(r)) {
            for (unsigned i = 0; i < d->n; i++) {
                d->workers[i].listen_fd = fds[i];
            }
            return r;
        }
    }
    for (unsigned i = 0; i < d->n; i++) {
        struct brk_worker *w = &d->workers[i];
        w->id = i;
        w->sh = &d->sh;
        w->listen_fd = fds[i];
        w->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        RW_ENSURE_MSG(w->event_fd >= 0, RW_ERR_IO, "eventfd: %s", strerror(errno));
    }
    return RW_SUCCESS;
}

static struct rw_result start_workers(struct daemon *d)
{
    for (unsigned i = 0; i < d->n; i++) {
        int e = pthread_create(&d->workers[i].thread, NULL, brk_worker_main, &d->workers[i]);
        RW_ENSURE_MSG(e == 0, RW_ERR_INTERNAL, "pthread_create: %s", strerror(e));
        d->started++;
    }
    pthread_mutex_lock(&d->sh.mu);
    while (d->sh.reported < d->started) {
        pthread_cond_wait(&d->sh.cv, &d->sh.mu);
    }
    pthread_mutex_unlock(&d->sh.mu);
    for (unsigned i = 0; i < d->n; i++) {
        RW_ENSURE_MSG(rw_ok(d->workers[i].init_result), d->workers[i].init_result.err,
                      "worker %u: %s", i, d->workers[i].init_detail);
    }
    return RW_SUCCESS;
}

static struct rw_result write_ready(struct daemon *d)
{
    const char *f = d->cfg->ready_file;
    if (!f[0]) {
        return RW_SUCCESS;
    }
    char tmp[BRK_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", f);
    FILE *fp = fopen(tmp, "w");
    RW_ENSURE_MSG(fp, RW_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
    int ok = fprintf(fp, "listen=%s:%u", d->cfg->listen_host, d->port) > 0;
    if (d->metrics) {
        ok = fprintf(fp, " metrics=%s:%u", d->cfg->metrics_host, d->metrics_port) > 0 && ok;
    }
    if (d->cfg->admin) {
        ok = fprintf(fp, " admin=%s:%u", d->cfg->admin_host, d->admin_port) > 0 && ok;
    }
    ok = fputc('\n', fp) != EOF && ok;
    ok = (fclose(fp) == 0) && ok;
    RW_ENSURE_MSG(ok && rename(tmp, f) == 0, RW_ERR_IO, "cannot write %s: %s", f, strerror(errno));
    return RW_SUCCESS;
}

/* SIGHUP: a new server context from the certificate and key files (new
 * connections use it; existing ones keep theirs), and a trust rebuild by
 * the follower thread (it owns the store handle and the CRL state). */
static void reload(struct daemon *d)
{
    struct brk_tls_ref *tls = NULL, *admin = NULL;
    struct rw_result r = brk_tls_ref_new(d->cfg, d->sh.auth, &tls);
    if (rw_ok(r) && d->cfg->admin) {
        r = brk_tls_ref_new_admin(d->cfg, d->sh.auth, &admin);
        if (!rw_ok(r)) {
            brk_tls_ref_put(tls);
        }
    }
    if (rw_ok(r)) {
        brk_tls_publish(&d->sh, tls);
        if (admin) {
            brk_tls_publish_admin(&d->sh, admin); /* the admin listener's too */
        }
        RW_LOG(RW_LOG_INFO, "server_cert_reloaded", "cert=%s admin=%s", d->cfg->cert,
               admin ? "yes" : "off");
    } else {
        char det[256];
        RW_LOG(RW_LOG_ERROR, "reload_failed", "what=server_cert reason=%s detail=\"%s\" "
               "kept=previous_cert", rw_err_name(r.err),
               brk_log_clean(rw_err_detail(), det, sizeof(det)));
    }
    brk_follow_poke(d->follow);
}

static void rotate_ticket_keys(struct daemon *d)
{
    struct brk_tls_ref *tls = brk_tls_current(&d->sh);
    struct rw_result r = rw_sec_tls_ctx_rotate_ticket_keys(tls->ctx);
    if (!rw_ok(r)) {
        RW_LOG(RW_LOG_ERROR, "ticket_rotation_failed", "reason=%s", rw_err_name(r.err));
    }
    brk_tls_ref_put(tls);
}

/* Main thread: waits for signals (blocked everywhere) and acts on them;
 * rotates stateless-ticket keys on the hour. */
static void signal_loop(struct daemon *d, const sigset_t *set)
{
    uint64_t next_rotation = brk_now_ms() + TICKET_ROTATION_S * 1000ull;
    for (;;) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGHUP) {
            reload(d);
        } else if (sig == SIGTERM || sig == SIGINT) {
            RW_LOG(RW_LOG_INFO, "broker_stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
            return;
        }
        if (d->cfg->stateless_tickets && brk_now_ms() >= next_rotation) {
            rotate_ticket_keys(d);
            next_rotation = brk_now_ms() + TICKET_ROTATION_S * 1000ull;
        }
    }
}

static void stop_workers(struct daemon *d)
{
    atomic_store(&d->sh.stopping, true);
    for (unsigned i = 0; i < d->started; i++) {
        brk_worker_wake(&d->workers[i]);
    }
    for (unsigned i = 0; i < d->started; i++) {
        pthread_join(d->workers[i].thread, NULL);
    }
    d->started = 0;
}

static void daemon_cleanup(struct daemon *d)
{
    brk_metrics_stop(d->metrics);  /* it reads what the others own */
    brk_follow_stop(d->follow);    /* no more publishing */
    brk_admin_stop(d->admin);      /* no more responses posted */
    d->admin = NULL;
    stop_workers(d);
    for (unsigned i = 0; d->workers && i < d->n; i++) {
        struct brk_worker *w = &d->workers[i];
        if (w->listen_fd >= 0) {
            close(w->listen_fd);
        }
        if (w->event_fd >= 0) {
            close(w->event_fd);
        }
        if (w->admin_fd >= 0) {
            close(w->admin_fd);
        }
        brk_admin_outq_cleanup(&w->adm_out);
    }
    free(d->workers);
    brk_topics_free(d->sh.topics);
    brk_tls_ref_put(d->sh.tls);     /* the last context: before the auth manager */
    brk_tls_ref_put(d->sh.admin_tls);
    brk_policy_unref(d->sh.policy);
    rw_sec_acl_unref(d->sh.acl);
    rw_sec_auth_free(d->sh.auth);
    brk_enforce_free(d->enforce);
    rw_store_close(d->store);
    pthread_mutex_destroy(&d->sh.mu);
    pthread_cond_destroy(&d->sh.cv);
    pthread_mutex_destroy(&d->sh.pub_mu);
}

static struct rw_result start_background(struct daemon *d)
{
    struct brk_event_source *src = NULL;
    RW_GUARD(brk_event_source_poll_new(d->store, d->cfg->follow_interval_ms, &src));
    struct brk_follow_handler h = brk_enforce_handler(d->enforce);
    RW_GUARD(brk_follow_start(src, brk_enforce_start_seq(d->enforce), &h, &d->follow));
    if (d->cfg->metrics) {
        RW_GUARD(brk_metrics_start(d->cfg->metrics_host, d->cfg->metrics_port, &d->sh, d->follow,
                                   &d->metrics, &d->metrics_port));
    }
    return RW_SUCCESS;
}

static struct rw_result startup(struct daemon *d)
{
    RW_GUARD(open_security(d));
    RW_GUARD(make_workers(d));
    struct brk_topics_cfg tc = {.retention_bytes = d->cfg->retention_bytes, .workers = d->n,
                                .notify = topic_notify, .notify_arg = &d->sh};
    RW_GUARD(brk_topics_new(&tc, &d->sh.topics));
    if (d->cfg->admin) {
        RW_GUARD(brk_admin_start(&d->sh, d->cfg->data_dir, d->cfg->passphrase_file, &d->admin));
    }
    RW_GUARD(start_workers(d));
    RW_GUARD(start_background(d));
    return write_ready(d);
}

int brk_daemon_run(const struct brk_config *cfg)
{
    rw_log_set_level(cfg->log_level);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */
    signal(SIGPIPE, SIG_IGN);
    struct daemon d;
    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    d.sh.cfg = cfg;
    pthread_mutex_init(&d.sh.mu, NULL);
    pthread_cond_init(&d.sh.cv, NULL);
    pthread_mutex_init(&d.sh.pub_mu, NULL);
    struct rw_result r = cfg->ec_fast_path ? rw_sec_ec_fast_enable() : RW_SUCCESS;
    if (rw_ok(r)) {
        r = startup(&d);
    }
    if (!rw_ok(r)) {
        log_failure("cannot start", r);
        daemon_cleanup(&d);
        rw_sec_ec_fast_disable();
        return 1;
    }
    RW_LOG(RW_LOG_INFO, "broker_started", "listen=%s:%u workers=%u max_connections=%u "
           "follow=%s/%ums metrics=%s:%u admin=%s:%u", cfg->listen_host, d.port, d.n,
           cfg->max_connections, "store-poll", cfg->follow_interval_ms,
           cfg->metrics ? cfg->metrics_host : "off", d.metrics_port,
           cfg->admin ? cfg->admin_host : "off", d.admin_port);
    signal_loop(&d, &set);
    daemon_cleanup(&d);
    rw_sec_ec_fast_disable();
    RW_LOG(RW_LOG_INFO, "broker_stopped", "status=0");
    return 0;
}
