/* bench/bn_flow.c — `throughput` and `latency`: start C consumers, wait
 * until they are subscribed, start P producers, measure at consumer
 * receipt, stop the producers, let the consumers drain (bounded), report.
 *
 * The wall rate is the window's receipts over its seconds. The per-core
 * rate counts every record received from the window's start to the end of
 * the drain over the server's CPU seconds across the same span: when the
 * producers outrun the consumers (a fast broker acknowledges before the
 * single generator core can consume), the server's work on records that
 * arrive after the window is still counted against them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bn_flow.h"

static uint64_t received(struct bn_flow_cons *k, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++) {
        s += atomic_load(&k[i].recv_pub);
    }
    return s;
}

static long sent_total(struct bn_flow_prod *p, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) {
        s += atomic_load(&p[i].sent_pub);
    }
    return s;
}

struct window {
    double t0, t1, cpu0, cpu1, cpu2; /* cpu2, r2: when the drain ended */
    uint64_t r0, r1, r2;
};

static void run_window(struct bn_flow *f, struct bn_flow_cons *k, int nc, struct bn_flow_prod *p,
                       int np, struct window *w)
{
    const struct bn_opts *o = f->o;
    double dur = o->duration_s > 0 ? o->duration_s : 5.0;
    /* Throughput: skip the first fifth (at most 1 s) as warm-up. */
    double warm = f->latency ? 0 : (dur / 5 < 1.0 ? dur / 5 : 1.0);
    double start = bn_now();
    while (bn_now() - start < warm && !atomic_load(&f->stop_prod)) {
        bn_sleep(0.005);
    }
    w->t0 = bn_now();
    w->r0 = received(k, nc);
    w->cpu0 = bn_proc_cpu_s(o->server_pid);
    for (;;) {
        bn_sleep(0.005);
        bool all_done = true;
        for (int i = 0; i < np; i++) {
            long s = atomic_load(&p[i].sent_pub);
            if (!p[i].failed && (f->per_producer <= 0 || s < f->per_producer)) {
                all_done = false;
            }
        }
        if (bn_now() - start >= dur || all_done) {
            break;
        }
    }
    w->t1 = bn_now();
    w->r1 = received(k, nc);
    w->cpu1 = bn_proc_cpu_s(o->server_pid);
}

static void drain(struct bn_flow *f, struct bn_flow_cons *k, int nc, struct bn_flow_prod *p,
                  int np, struct window *w)
{
    atomic_store(&f->stop_prod, true);
    for (int i = 0; i < np; i++) {
        pthread_join(p[i].t, NULL);
    }
    /* Every consumer should see every record: wait (at most 3 s) for it. */
    uint64_t want = (uint64_t)sent_total(p, np) * (uint64_t)nc, last = 0;
    double t_end = bn_now() + 3.0, t_prog = bn_now();
    while (bn_now() < t_end) {
        uint64_t r = received(k, nc);
        if (r >= want) {
            break;
        }
        if (r != last) {
            last = r;
            t_prog = bn_now();
        } else if (bn_now() - t_prog > 0.5) {
            break; /* nothing more is coming (dropped by the server) */
        }
        bn_sleep(0.005);
    }
    w->r2 = received(k, nc);
    w->cpu2 = bn_proc_cpu_s(f->o->server_pid);
    atomic_store(&f->stop_cons, true);
    for (int i = 0; i < nc; i++) {
        pthread_join(k[i].t, NULL);
    }
}

static void report(struct bn_flow *f, struct bn_flow_cons *k, int nc, struct bn_flow_prod *p,
                   int np, const struct window *w)
{
    const struct bn_opts *o = f->o;
    double secs = w->t1 - w->t0, recs = (double)(w->r1 - w->r0);
    double rate = secs > 0 ? recs / secs : 0;
    double mbs = rate * (double)o->msg_size / 1e6;
    double cpu = w->cpu0 >= 0 && w->cpu2 >= 0 ? w->cpu2 - w->cpu0 : -1;
    double per_core = cpu > 0 ? (double)(w->r2 - w->r0) / cpu : rate;
    long sent = sent_total(p, np);
    uint64_t total = received(k, nc);
    bool failed = false;
    for (int i = 0; i < np; i++) {
        failed = failed || p[i].failed;
    }
    for (int i = 0; i < nc; i++) {
        failed = failed || k[i].failed;
    }
    struct bn_hist h = {0};
    for (int i = 0; i < nc; i++) {
        bn_hist_merge(&h, &k[i].hist);
    }
    const char *mode = f->latency ? "latency" : "throughput";
    struct bn_json j;
    bn_json_begin(&j, mode, o);
    bn_json_int(&j, "producers", np);
    bn_json_int(&j, "consumers", nc);
    bn_json_int(&j, "msg_size", (long long)o->msg_size);
    bn_json_int(&j, "batch", (long long)o->batch);
    bn_json_num(&j, "seconds", secs);
    bn_json_int(&j, "records", (long long)(w->r1 - w->r0));
    bn_json_int(&j, "sent", sent);
    bn_json_int(&j, "received", (long long)total);
    bn_json_num(&j, "rate", rate);
    bn_json_num(&j, "mb_s", mbs);
    bn_json_int(&j, "records_to_drain_end", (long long)(w->r2 - w->r0));
    bn_json_num(&j, "server_cpu_s", cpu);
    bn_json_num(&j, "per_core_rate", per_core);
    bn_json_num(&j, "per_core_mb_s", per_core * (double)o->msg_size / 1e6);
    bn_json_int(&j, "errors", failed);
    if (f->latency) {
        bn_json_num(&j, "target_rate", o->rate);
        bn_json_int(&j, "samples", (long long)h.n);
        bn_json_num(&j, "p50_us", (double)bn_hist_quantile(&h, 0.50) / 1e3);
        bn_json_num(&j, "p99_us", (double)bn_hist_quantile(&h, 0.99) / 1e3);
        bn_json_num(&j, "p999_us", (double)bn_hist_quantile(&h, 0.999) / 1e3);
        bn_json_num(&j, "max_us", (double)h.max_ns / 1e3);
        printf("latency %s: %.0f rec/s paced (%zu B), %llu samples: p50 %.1f us, p99 %.1f us, "
               "p99.9 %.1f us, max %.1f us\n",
               bn_proto_name(o->proto), rate, o->msg_size, (unsigned long long)h.n,
               (double)bn_hist_quantile(&h, 0.50) / 1e3, (double)bn_hist_quantile(&h, 0.99) / 1e3,
               (double)bn_hist_quantile(&h, 0.999) / 1e3, (double)h.max_ns / 1e3);
    } else {
        printf("throughput %s: %.0f records/s, %.1f MB/s at consumer receipt (%d producers, %d "
               "consumers, %zu B, batch %zu), server CPU %.2f s => %.0f records/s per server "
               "core; sent %ld received %llu%s\n",
               bn_proto_name(o->proto), rate, mbs, np, nc, o->msg_size, o->batch, cpu, per_core,
               sent, (unsigned long long)total, failed ? " (errors)" : "");
    }
    bn_json_end(&j);
}

static int flow(const struct bn_opts *o, bool latency)
{
    struct bn_flow f = {.o = o, .latency = latency};
    char topic[128];
    if (o->topic) {
        snprintf(topic, sizeof(topic), "%s", o->topic);
    } else {
        snprintf(topic, sizeof(topic), "demo.bench.%s.%d.%lld", latency ? "lat" : "tp", (int)getpid(),
                 (long long)(bn_now_ns() % 1000000000));
    }
    f.topic = topic;
    f.ccert = o->consumer_cert;
    f.ckey = o->consumer_key;
    f.server_name = o->server_name;
    int np = o->producers > 0 ? o->producers : 1, nc = o->consumers > 0 ? o->consumers : 1;
    f.rate_per_producer = (o->rate > 0 ? o->rate : 10000) / np;
    f.per_producer = o->count > 0 ? (o->count + np - 1) / np : 0;
    if (o->proto != BN_RINGWARD && !(f.ctx = bn_tls_ctx(o))) {
        return 1;
    }
    struct bn_flow_cons *k = calloc((size_t)nc, sizeof(*k));
    struct bn_flow_prod *p = calloc((size_t)np, sizeof(*p));
    if (!k || !p) {
        return 1;
    }
    for (int i = 0; i < nc; i++) {
        k[i].f = &f;
        k[i].id = i;
        pthread_create(&k[i].t, NULL, bn_flow_consumer, &k[i]);
    }
    double t_ready = bn_now() + 15;
    while (atomic_load(&f.ready) < nc && bn_now() < t_ready) {
        bn_sleep(0.002);
    }
    f.t_start = bn_now();
    f.warm_ns = bn_now_ns() + (latency ? 200000000LL : 0); /* 0.2 s of warm-up */
    for (int i = 0; i < np; i++) {
        p[i].f = &f;
        p[i].id = i;
        pthread_create(&p[i].t, NULL, bn_flow_producer, &p[i]);
    }
    struct window w;
    run_window(&f, k, nc, p, np, &w);
    drain(&f, k, nc, p, np, &w);
    report(&f, k, nc, p, np, &w);
    int rc = w.r1 > w.r0 ? 0 : 1;
    free(k);
    free(p);
    SSL_CTX_free(f.ctx);
    return rc;
}

int bn_mode_throughput(const struct bn_opts *o) { return flow(o, false); }
int bn_mode_latency(const struct bn_opts *o) { return flow(o, true); }
