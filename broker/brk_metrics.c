/* broker/brk_metrics.c — the metrics thread and the exposition text (see
 * broker/brk_metrics.h). */
#include "broker/brk_metrics.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/brk_daemon.h"
#include "broker/brk_worker.h"
#include "core/rw_log.h"

#define REQUEST_MAX 4096
#define REQUEST_MS 2000
#define BODY_MAX (1u << 20)

static const char *const close_names[BRK_CLOSE_COUNT] = {
    "other", "peer_closed", "reset", "idle_timeout", "handshake_rejected", "handshake_timeout",
    "handshake_aborted", "protocol_error", "revoked", "expired", "crl_unavailable", "shutdown",
};

const char *brk_close_reason_name(enum brk_close_reason r)
{
    return r < BRK_CLOSE_COUNT ? close_names[r] : "other";
}

struct brk_metrics {
    struct brk_shared *sh;
    const struct brk_follow *follow;
    int listen_fd;
    int stop_fd;
    pthread_t thread;
};

/* --- rendering ------------------------------------------------------- */

static struct rw_result put(struct rw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct rw_result put(struct rw_buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    RW_ENSURE(n >= 0 && (size_t)n < sizeof(line), RW_ERR_INTERNAL);
    return rw_buf_append(b, line, (size_t)n);
}

static struct rw_result head(struct rw_buf *b, const char *name, const char *type,
                             const char *help)
{
    return put(b, "# HELP ringward_%s %s\n# TYPE ringward_%s %s\n", name, help, name, type);
}

static struct rw_result one(struct rw_buf *b, const char *name, const char *type,
                            const char *help, unsigned long long v)
{
    RW_GUARD(head(b, name, type, help));
    return put(b, "ringward_%s %llu\n", name, v);
}

#define G(x) ((unsigned long long)brk_stat_get(&(x)))

static struct rw_result connections(struct brk_shared *sh, struct rw_buf *b)
{
    struct brk_stats *s = &sh->stats;
    RW_GUARD(one(b, "connections", "gauge", "Open client connections.",
                 (unsigned long long)atomic_load(&sh->conns)));
    RW_GUARD(one(b, "connections_accepted_total", "counter", "Connections accepted.",
                 G(s->accepted)));
    RW_GUARD(one(b, "connections_refused_total", "counter",
                 "Connections closed at accept (connection limit, stopping).", G(s->refused)));
    RW_GUARD(head(b, "connections_closed_total", "counter", "Connections ended, by reason."));
    for (int i = 0; i < BRK_CLOSE_COUNT; i++) {
        RW_GUARD(put(b, "ringward_connections_closed_total{reason=\"%s\"} %llu\n", close_names[i],
                     G(s->closed[i])));
    }
    RW_GUARD(head(b, "live_connections_closed_total", "counter",
                  "Established connections closed by live enforcement, by reason."));
    static const enum brk_close_reason live[] = {BRK_CLOSE_REVOKED, BRK_CLOSE_EXPIRED,
                                                 BRK_CLOSE_CRL_UNAVAILABLE};
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        RW_GUARD(put(b, "ringward_live_connections_closed_total{reason=\"%s\"} %llu\n",
                     close_names[live[i]], G(s->live_closed[live[i]])));
    }
    return RW_SUCCESS;
}

static struct rw_result handshakes(struct brk_shared *sh, struct rw_buf *b)
{
    struct rw_sec_auth_stats a;
    rw_sec_auth_stats_get(sh->auth, &a);
    RW_GUARD(head(b, "handshakes_total", "counter", "Client authentications accepted."));
    RW_GUARD(put(b, "ringward_handshakes_total{type=\"full\"} %llu\n",
                 (unsigned long long)a.accepted_full));
    RW_GUARD(put(b, "ringward_handshakes_total{type=\"resumed\"} %llu\n",
                 (unsigned long long)a.accepted_resumed));
    RW_GUARD(head(b, "handshakes_failed_total", "counter", "Handshakes refused, by reason."));
    for (int i = 0; i < RW_AUTH_R_COUNT; i++) {
        RW_GUARD(put(b, "ringward_handshakes_failed_total{reason=\"%s\"} %llu\n",
                     rw_sec_auth_reason_name((enum rw_sec_auth_reason)i),
                     (unsigned long long)a.rejected[i]));
    }
    RW_GUARD(put(b, "ringward_handshakes_failed_total{reason=\"tls\"} %llu\n",
                 G(sh->stats.hs_tls_failed)));
    RW_GUARD(put(b, "ringward_handshakes_failed_total{reason=\"timeout\"} %llu\n",
                 G(sh->stats.hs_timeout)));
    RW_GUARD(one(b, "validation_cache_hits_total", "counter", "Validation cache hits.",
                 (unsigned long long)a.cache_hits));
    return one(b, "validation_cache_misses_total", "counter", "Validation cache misses.",
               (unsigned long long)a.cache_misses);
}

static struct rw_result trust(struct brk_shared *sh, const struct brk_follow *f, struct rw_buf *b)
{
    struct brk_stats *s = &sh->stats;
    RW_GUARD(one(b, "revocations_applied_total", "counter",
                 "Revocations applied from the event log.", G(s->revocations_applied)));
    RW_GUARD(one(b, "revoked_serials", "gauge", "Entries in the current revocation set.",
                 G(s->revoked_serials)));
    RW_GUARD(one(b, "trust_reloads_total", "counter", "Trust snapshots installed.",
                 G(s->trust_reloads)));
    RW_GUARD(one(b, "trust_reload_failures_total", "counter",
                 "Trust rebuilds that failed (the previous snapshot stayed).",
                 G(s->trust_reload_failures)));
    RW_GUARD(one(b, "crl_failures_total", "counter", "External CRL files found unusable.",
                 G(s->crl_failures)));
    RW_GUARD(one(b, "crl_files_failing", "gauge", "External CRL files unusable now.",
                 G(s->crl_failing)));
    RW_GUARD(one(b, "crl_refused_issuers", "gauge",
                 "Issuers refused because their CRL is unusable (fail-closed).",
                 G(s->crl_blocked_issuers)));
    long long last = brk_follow_store_seq(f), applied = brk_follow_applied_seq(f);
    RW_GUARD(one(b, "event_log_last_seq", "gauge", "Newest seq seen in the store's event log.",
                 (unsigned long long)last));
    RW_GUARD(one(b, "event_log_applied_seq", "gauge", "Last seq applied by this broker.",
                 (unsigned long long)applied));
    return one(b, "event_log_lag", "gauge", "Events in the store not yet applied.",
               (unsigned long long)(last > applied ? last - applied : 0));
}

static struct rw_result acl(struct brk_shared *sh, struct rw_buf *b)
{
    struct brk_stats *s = &sh->stats;
    unsigned long long produce = 0, consume = 0, ended = 0;
    for (unsigned i = 0; i < sh->n_workers; i++) {
        struct brk_app_counters *c = &sh->workers[i].app.counters;
        produce += G(c->acl_denied_produce);
        consume += G(c->acl_denied_consume);
        ended += G(c->acl_subs_ended);
    }
    RW_GUARD(head(b, "acl_denials_total", "counter",
                  "Requests refused by the ACL (and live subscriptions ended), by operation."));
    RW_GUARD(put(b, "ringward_acl_denials_total{op=\"produce\"} %llu\n", produce));
    RW_GUARD(put(b, "ringward_acl_denials_total{op=\"consume\"} %llu\n", consume));
    RW_GUARD(one(b, "acl_subscriptions_ended_total", "counter",
                 "Live subscriptions ended because an ACL change no longer allows them.", ended));
    RW_GUARD(one(b, "acl_reloads_total", "counter", "ACL snapshots installed.",
                 G(s->acl_reloads)));
    RW_GUARD(one(b, "acl_reload_failures_total", "counter",
                 "ACL rebuilds that failed (the previous rules stayed; retried).",
                 G(s->acl_reload_failures)));
    return one(b, "acl_rules", "gauge", "Rules in the current ACL snapshot.", G(s->acl_rules));
}

static struct rw_result data_plane(struct brk_shared *sh, struct rw_buf *b)
{
    unsigned long long v[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < sh->n_workers; i++) {
        struct brk_app_counters *c = &sh->workers[i].app.counters;
        v[0] += G(c->produce_records);
        v[1] += G(c->produce_bytes);
        v[2] += G(c->consume_records);
        v[3] += G(c->consume_bytes);
    }
    RW_GUARD(one(b, "produce_records_total", "counter", "Records produced.", v[0]));
    RW_GUARD(one(b, "produce_bytes_total", "counter", "Key and value bytes produced.", v[1]));
    RW_GUARD(one(b, "consume_records_total", "counter", "Records sent to consumers.", v[2]));
    return one(b, "consume_bytes_total", "counter", "Key and value bytes sent to consumers.",
               v[3]);
}

struct rw_result brk_metrics_render(struct brk_shared *sh, const struct brk_follow *follow,
                                    struct rw_buf *out)
{
    RW_GUARD(connections(sh, out));
    RW_GUARD(handshakes(sh, out));
    RW_GUARD(trust(sh, follow, out));
    RW_GUARD(acl(sh, out));
    return data_plane(sh, out);
}

/* --- HTTP ------------------------------------------------------------ */

/* Reads the request head (bounded in size and time); true when complete. */
static bool read_request(int fd, char *req, size_t cap)
{
    size_t len = 0;
    int64_t end = (int64_t)brk_now_ms() + REQUEST_MS;
    while (len + 1 < cap) {
        int64_t left = end - (int64_t)brk_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            return false;
        }
        ssize_t n = recv(fd, req + len, cap - 1 - len, 0);
        if (n <= 0) {
            return false;
        }
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) {
            return true;
        }
    }
    return false;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) {
            return; /* the send timeout ends a stuck client */
        }
        c += k;
        n -= (size_t)k;
    }
}

static void respond(int fd, const char *status, const void *body, size_t len)
{
    char h[256];
    int n = snprintf(h, sizeof(h), "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; "
                     "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, len);
    send_all(fd, h, (size_t)n);
    send_all(fd, body, len);
}

static void serve(struct brk_metrics *m, int fd)
{
    struct timeval tv = {REQUEST_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    char req[REQUEST_MAX];
    if (!read_request(fd, req, sizeof(req))) {
        respond(fd, "400 Bad Request", "bad request\n", 12);
        return;
    }
    bool get = strncmp(req, "GET ", 4) == 0;
    const char *path = req + 4;
    size_t plen = strcspn(path, " ?\r\n");
    if (!get || plen != 8 || strncmp(path, "/metrics", 8) != 0) {
        respond(fd, "404 Not Found", "not found: GET /metrics\n", 24);
        return;
    }
    struct rw_buf b;
    rw_buf_init(&b, BODY_MAX);
    if (rw_ok(brk_metrics_render(m->sh, m->follow, &b))) {
        respond(fd, "200 OK", b.data, b.len);
    } else {
        respond(fd, "500 Internal Server Error", "metrics unavailable\n", 20);
    }
    rw_buf_cleanup(&b);
}

static void *metrics_main(void *arg)
{
    struct brk_metrics *m = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = m->listen_fd, .events = POLLIN},
                              {.fd = m->stop_fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            break;
        }
        if (p[1].revents) {
            break;
        }
        if (!(p[0].revents & POLLIN)) {
            continue;
        }
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            serve(m, fd);
            close(fd);
        }
    }
    return NULL;
}

struct rw_result brk_metrics_start(const char *host, uint16_t port, struct brk_shared *sh,
                                   const struct brk_follow *follow, struct brk_metrics **out,
                                   uint16_t *bound)
{
    struct brk_metrics *m = calloc(1, sizeof(*m));
    RW_ENSURE(m, RW_ERR_NOMEM);
    m->sh = sh;
    m->follow = follow;
    m->stop_fd = eventfd(0, EFD_CLOEXEC);
    struct rw_result r = m->stop_fd >= 0 ? brk_net_listen_plain(host, port, &m->listen_fd, bound)
                                         : RW_ERR(RW_ERR_IO);
    int e = rw_ok(r) ? pthread_create(&m->thread, NULL, metrics_main, m) : 0;
    if (!rw_ok(r) || e != 0) {
        if (rw_ok(r)) {
            close(m->listen_fd);
            rw_err_detail_set("metrics: pthread_create: %s", strerror(e));
            r = RW_ERR(RW_ERR_INTERNAL);
        }
        if (m->stop_fd >= 0) {
            close(m->stop_fd);
        }
        free(m);
        return r;
    }
    *out = m;
    return RW_SUCCESS;
}

void brk_metrics_stop(struct brk_metrics *m)
{
    if (!m) {
        return;
    }
    uint64_t one = 1;
    ssize_t n = write(m->stop_fd, &one, sizeof(one));
    (void)n;
    pthread_join(m->thread, NULL);
    close(m->listen_fd);
    close(m->stop_fd);
    free(m);
}
