/* bench/bn_idle.c — `idle`: open N mTLS connections (each completing the
 * protocol's first round trip), hold them, and report how much the
 * server's resident set grew per connection. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/bn.h"

struct idle_shared {
    const struct bn_opts *o;
    SSL_CTX *ctx;
    struct bn_conn *conns;
    long n;
    atomic_long next;     /* next slot to open */
    atomic_long opened;
    atomic_long failed;
    double deadline;      /* stop opening after this */
};

static void *idle_run(void *arg)
{
    struct idle_shared *s = arg;
    char id[64];
    for (;;) {
        long i = atomic_fetch_add(&s->next, 1);
        if (i >= s->n || bn_now() > s->deadline) {
            return NULL;
        }
        snprintf(id, sizeof(id), "bench-idle-%d-%ld", (int)getpid(), i);
        struct bn_conn *c = &s->conns[i];
        if (bn_open(c, s->ctx, s->o, NULL, id)) {
            /* Held connections keep no read/write buffers on our side. */
            SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
            atomic_fetch_add(&s->opened, 1);
        } else {
            bn_close(c, true);
            atomic_fetch_add(&s->failed, 1);
            if (atomic_load(&s->failed) > 100 && atomic_load(&s->opened) == 0) {
                return NULL;
            }
        }
    }
}

int bn_mode_idle(const struct bn_opts *o)
{
    struct idle_shared s = {.o = o, .n = o->connections > 0 ? o->connections : 1000};
    s.ctx = bn_tls_ctx(o);
    s.conns = calloc((size_t)s.n, sizeof(*s.conns));
    if (!s.ctx || !s.conns) {
        return 1;
    }
    for (long i = 0; i < s.n; i++) {
        s.conns[i].fd = -1;
    }
    double dur = o->duration_s > 0 ? o->duration_s : 60;
    s.deadline = bn_now() + dur;
    long rss0 = bn_proc_rss_kib(o->server_pid);
    double t0 = bn_now();
    int nt = o->threads > 0 ? o->threads : 4;
    pthread_t *th = calloc((size_t)nt, sizeof(*th));
    for (int i = 0; i < nt; i++) {
        pthread_create(&th[i], NULL, idle_run, &s);
    }
    for (int i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
    }
    double t_open = bn_now() - t0;
    /* Let the server settle, then read its RSS while every connection is held. */
    double cpu0 = bn_proc_cpu_s(o->server_pid);
    bn_sleep(o->hold_s > 0 ? o->hold_s : 2.0);
    double cpu1 = bn_proc_cpu_s(o->server_pid);
    long rss1 = bn_proc_rss_kib(o->server_pid);
    long opened = atomic_load(&s.opened), failed = atomic_load(&s.failed);
    for (long i = 0; i < s.n; i++) {
        bn_close(&s.conns[i], true);
    }
    free(th);
    free(s.conns);
    SSL_CTX_free(s.ctx);
    double per = opened > 0 && rss0 > 0 && rss1 > 0 ? (double)(rss1 - rss0) * 1024.0 / (double)opened
                                                     : -1;
    printf("idle %s: %ld connections held (%ld failed, opened in %.1f s), server RSS %ld -> %ld "
           "KiB => %.0f bytes per connection; idle server CPU %.3f s over the hold\n",
           bn_proto_name(o->proto), opened, failed, t_open, rss0, rss1, per, cpu1 - cpu0);
    struct bn_json j;
    bn_json_begin(&j, "idle", o);
    bn_json_int(&j, "connections", opened);
    bn_json_int(&j, "failed", failed);
    bn_json_num(&j, "open_seconds", t_open);
    bn_json_int(&j, "rss_before_kib", rss0);
    bn_json_int(&j, "rss_after_kib", rss1);
    bn_json_num(&j, "bytes_per_conn", per);
    bn_json_num(&j, "hold_cpu_s", cpu1 - cpu0);
    bn_json_end(&j);
    return opened > 0 ? 0 : 1;
}
