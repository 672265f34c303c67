/* bench/bn_handshake.c — `handshake` and `revocation-scale`: N threads,
 * each connecting, completing a full (or resumed) mTLS handshake and the
 * protocol's first round trip, then closing; the rate over a measured
 * window and the server's CPU seconds over the same window. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bn.h"

struct hs_shared {
    const struct bn_opts *o;
    SSL_CTX *ctx;
    atomic_bool stop;
    atomic_long done;      /* successful connections (all, warm-up included) */
    atomic_long failed;
    atomic_long resumed;
    atomic_int ready;      /* threads past their warm-up connection */
};

struct hs_thread {
    struct hs_shared *s;
    int id;
    pthread_t t;
};

static void *hs_run(void *arg)
{
    struct hs_thread *me = arg;
    struct hs_shared *s = me->s;
    const struct bn_opts *o = s->o;
    SSL_SESSION *sess = NULL;
    char id[64];
    bool warm = false;
    for (long i = 0; !atomic_load(&s->stop); i++) {
        snprintf(id, sizeof(id), "bench-%d-%d-%ld", (int)getpid(), me->id, i);
        struct bn_conn c = {.fd = -1};
        bool ok = bn_open(&c, s->ctx, o, o->resume ? sess : NULL, id);
        if (ok) {
            if (SSL_session_reused(c.ssl)) {
                atomic_fetch_add(&s->resumed, 1);
            }
            if (o->resume) {
                SSL_SESSION *n = SSL_get1_session(c.ssl);
                if (n && SSL_SESSION_is_resumable(n)) {
                    SSL_SESSION_free(sess);
                    sess = n;
                } else {
                    SSL_SESSION_free(n);
                }
            }
            long d = atomic_fetch_add(&s->done, 1) + 1;
            if (o->count > 0 && d >= o->count) {
                atomic_store(&s->stop, true);
            }
        } else {
            atomic_fetch_add(&s->failed, 1);
        }
        bn_close(&c, false);
        if (!warm) {
            warm = true;
            atomic_fetch_add(&s->ready, 1);
        }
    }
    SSL_SESSION_free(sess);
    return NULL;
}

int bn_mode_handshake(const struct bn_opts *o)
{
    bool revscale = strcmp(o->mode, "revocation-scale") == 0;
    struct hs_shared s = {.o = o};
    long rss_start = bn_proc_rss_kib(o->server_pid); /* before any load: revocations loaded */
    s.ctx = bn_tls_ctx(o);
    if (!s.ctx) {
        return 1;
    }
    int n = o->threads > 0 ? o->threads : 4;
    struct hs_thread *th = calloc((size_t)n, sizeof(*th));
    if (!th) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        th[i] = (struct hs_thread){.s = &s, .id = i};
        if (pthread_create(&th[i].t, NULL, hs_run, &th[i]) != 0) {
            bn_fail("cannot start thread %d", i);
            atomic_store(&s.stop, true);
            n = i;
            break;
        }
    }
    /* Warm-up: every thread has finished one connection (at most 10 s). */
    double t_warm = bn_now() + 10.0;
    while (atomic_load(&s.ready) < n && bn_now() < t_warm && !atomic_load(&s.stop)) {
        bn_sleep(0.002);
    }
    long d0 = atomic_load(&s.done), f0 = atomic_load(&s.failed), r0 = atomic_load(&s.resumed);
    double cpu0 = bn_proc_cpu_s(o->server_pid), t0 = bn_now();
    double dur = o->duration_s > 0 ? o->duration_s : 5.0;
    while (bn_now() - t0 < dur && !atomic_load(&s.stop)) {
        bn_sleep(0.01);
    }
    long d1 = atomic_load(&s.done), f1 = atomic_load(&s.failed), r1 = atomic_load(&s.resumed);
    double cpu1 = bn_proc_cpu_s(o->server_pid), t1 = bn_now();
    long rss = bn_proc_rss_kib(o->server_pid);
    atomic_store(&s.stop, true);
    for (int i = 0; i < n; i++) {
        pthread_join(th[i].t, NULL);
    }
    free(th);
    SSL_CTX_free(s.ctx);

    double secs = t1 - t0, hs = (double)(d1 - d0), cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    double rate = secs > 0 ? hs / secs : 0;
    double per_core = cpu > 0 ? hs / cpu : rate;
    printf("%s %s%s: %.0f handshakes/s over %.2f s (%ld ok, %ld failed, %ld resumed), server CPU "
           "%.2f s => %.0f per server core\n",
           o->mode, bn_proto_name(o->proto), o->resume ? " resumed" : "", rate, secs, d1 - d0,
           f1 - f0, r1 - r0, cpu, per_core);
    struct bn_json j;
    bn_json_begin(&j, o->mode, o);
    bn_json_int(&j, "resume", o->resume);
    bn_json_int(&j, "threads", n);
    bn_json_num(&j, "seconds", secs);
    bn_json_int(&j, "handshakes", d1 - d0);
    bn_json_int(&j, "failed", f1 - f0);
    bn_json_int(&j, "resumed", r1 - r0);
    bn_json_num(&j, "rate", rate);
    bn_json_num(&j, "server_cpu_s", cpu);
    bn_json_num(&j, "per_core_rate", per_core);
    bn_json_int(&j, "server_rss_kib", rss);
    if (revscale) {
        bn_json_int(&j, "revoked", o->revoked);
        bn_json_int(&j, "server_rss_start_kib", rss_start);
        if (o->rss_base_kib > 0 && o->revoked > 0 && rss_start > 0) {
            /* Both read before any load: a fresh server with 0 revocations vs N. */
            bn_json_num(&j, "bytes_per_entry",
                        (double)(rss_start - o->rss_base_kib) * 1024.0 / (double)o->revoked);
        }
    }
    bn_json_end(&j);
    return d1 - d0 > 0 ? 0 : 1;
}
