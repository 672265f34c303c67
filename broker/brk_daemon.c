/* broker/brk_daemon.c — startup, the signal loop, reload and shutdown. */
#include "broker/brk_daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "security/sec_ca.h"

/* Everything the daemon owns, torn down in reverse by daemon_cleanup. */
struct daemon {
    const struct brk_config *cfg;
    struct rw_store *store;
    struct brk_shared sh;
    struct brk_worker *workers;
    unsigned n;
    unsigned started;   /* threads created */
    uint16_t port;
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

static struct rw_result open_security(struct daemon *d)
{
    RW_GUARD(rw_store_open(d->cfg->data_dir, RW_STORE_OPEN_EXISTING, &d->store));
    if (rw_sec_ca_dev_keys(d->store)) {
        RW_LOG(RW_LOG_WARN, "insecure_dev_keys", "data_dir=%s detail=\"CA keys are stored in "
               "plaintext: a development setup only\"", d->cfg->data_dir);
    }
    struct rw_sec_trust *trust = NULL;
    RW_GUARD(brk_trust_build(d->store, d->cfg->trust_bundle, &trust));
    struct rw_sec_auth_cfg acfg = {.principal_src = RW_PRINCIPAL_CN};
    struct rw_result r = rw_sec_auth_new(&acfg, trust, &d->sh.auth);
    RW_LOG(RW_LOG_INFO, "trust_loaded", "cas=%zu", rw_sec_trust_ca_count(trust));
    rw_sec_trust_unref(trust);
    return r;
}

static struct rw_result make_workers(struct daemon *d)
{
    const struct brk_config *cfg = d->cfg;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    d->n = cfg->workers ? cfg->workers : (unsigned)(cpus > 0 ? (cpus < BRK_MAX_WORKERS ? cpus : BRK_MAX_WORKERS) : 1);
    d->workers = calloc(d->n, sizeof(*d->workers));
    RW_ENSURE(d->workers, RW_ERR_NOMEM);
    for (unsigned i = 0; i < d->n; i++) {
        d->workers[i].listen_fd = d->workers[i].event_fd = -1;
    }
    d->sh.workers = d->workers;
    d->sh.n_workers = d->n;
    int fds[BRK_MAX_WORKERS];
    RW_GUARD(brk_net_listen(cfg->listen_host, cfg->listen_port, d->n, fds, &d->port));
    struct rw_sec_tls_server_cfg tcfg = {
        .cert_file = cfg->cert, .key_file = cfg->key, .chain_file = cfg->ca_chain,
        .auth = d->sh.auth, .allow_tls12 = cfg->tls12, .stateless_tickets = cfg->stateless_tickets,
    };
    for (unsigned i = 0; i < d->n; i++) {
        struct brk_worker *w = &d->workers[i];
        w->id = i;
        w->sh = &d->sh;
        w->listen_fd = fds[i];
        w->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        RW_ENSURE_MSG(w->event_fd >= 0, RW_ERR_IO, "eventfd: %s", strerror(errno));
        RW_GUARD(rw_sec_tls_server_ctx_new(&tcfg, &w->tls));
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
    int ok = fprintf(fp, "listen=%s:%u\n", d->cfg->listen_host, d->port) > 0;
    ok = (fclose(fp) == 0) && ok;
    RW_ENSURE_MSG(ok && rename(tmp, f) == 0, RW_ERR_IO, "cannot write %s: %s", f, strerror(errno));
    return RW_SUCCESS;
}

static void reload(struct daemon *d)
{
    struct rw_sec_trust *trust = NULL;
    struct rw_result r = brk_trust_build(d->store, d->cfg->trust_bundle, &trust);
    if (!rw_ok(r)) {
        char det[256];
        RW_LOG(RW_LOG_ERROR, "reload_failed", "reason=%s detail=\"%s\" kept=previous_trust",
               rw_err_name(r.err), brk_log_clean(rw_err_detail(), det, sizeof(det)));
        return;
    }
    rw_sec_auth_set_trust(d->sh.auth, trust);
    RW_LOG(RW_LOG_INFO, "trust_reloaded", "cas=%zu", rw_sec_trust_ca_count(trust));
    rw_sec_trust_unref(trust);
}

/* Main thread: waits for signals (blocked everywhere) and acts on them. */
static void signal_loop(struct daemon *d, const sigset_t *set)
{
    for (;;) {
        int sig = sigwaitinfo(set, NULL);
        if (sig == SIGHUP) {
            reload(d);
        } else if (sig == SIGTERM || sig == SIGINT) {
            RW_LOG(RW_LOG_INFO, "broker_stopping", "signal=%s", sig == SIGTERM ? "TERM" : "INT");
            return;
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
    stop_workers(d);
    for (unsigned i = 0; d->workers && i < d->n; i++) {
        struct brk_worker *w = &d->workers[i];
        rw_sec_tls_ctx_free(w->tls);
        if (w->listen_fd >= 0) {
            close(w->listen_fd);
        }
        if (w->event_fd >= 0) {
            close(w->event_fd);
        }
    }
    free(d->workers);
    brk_topics_free(d->sh.topics);
    rw_sec_auth_free(d->sh.auth);
    rw_store_close(d->store);
    pthread_mutex_destroy(&d->sh.mu);
    pthread_cond_destroy(&d->sh.cv);
}

static struct rw_result startup(struct daemon *d)
{
    RW_GUARD(open_security(d));
    RW_GUARD(make_workers(d));
    struct brk_topics_cfg tc = {.retention_bytes = d->cfg->retention_bytes, .workers = d->n,
                                .notify = topic_notify, .notify_arg = &d->sh};
    RW_GUARD(brk_topics_new(&tc, &d->sh.topics));
    RW_GUARD(start_workers(d));
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
    struct rw_result r = startup(&d);
    if (!rw_ok(r)) {
        log_failure("cannot start", r);
        daemon_cleanup(&d);
        return 1;
    }
    RW_LOG(RW_LOG_INFO, "broker_started", "listen=%s:%u workers=%u max_connections=%u",
           cfg->listen_host, d.port, d.n, cfg->max_connections);
    signal_loop(&d, &set);
    daemon_cleanup(&d);
    RW_LOG(RW_LOG_INFO, "broker_stopped", "status=0");
    return 0;
}
