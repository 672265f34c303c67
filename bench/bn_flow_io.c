/* bench/bn_flow_io.c — one producer and one consumer per protocol for the
 * throughput and latency modes: Ringward through libringward (batcher,
 * subscribe/poll), MQTT 3.1.1 QoS 0 and NATS through the generator's own
 * minimal clients. Every payload starts with the send time (monotonic ns,
 * 8 bytes, host order: producer and consumer share the machine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench/bn_flow.h"
#include "client/rw_client.h"

#define IO_BUF (2u << 20)

static void stamp(uint8_t *p, size_t n)
{
    if (n >= 8) {
        int64_t t = bn_now_ns();
        memcpy(p, &t, 8);
    }
}

void bn_flow_record(struct bn_flow_cons *k, const uint8_t *p, size_t n)
{
    k->recv++;
    k->bytes += n;
    if (k->f->latency && n >= 8) {
        int64_t t, now = bn_now_ns();
        memcpy(&t, p, 8);
        if (t >= k->f->warm_ns && now >= t) {
            bn_hist_add(&k->hist, (uint64_t)(now - t));
        }
    }
    if ((k->recv & 63) == 0) {
        atomic_store(&k->recv_pub, k->recv);
    }
}

static void on_msg(void *arg, const uint8_t *p, size_t n) { bn_flow_record(arg, p, n); }

static struct rw_client *rw_open(const struct bn_flow *f, bool consumer)
{
    const struct bn_opts *o = f->o;
    struct rw_client_opts co = {0};
    co.host = o->host;
    co.port = (uint16_t)o->port;
    co.cert_file = consumer && f->ccert ? f->ccert : o->cert;
    co.key_file = consumer && f->ckey ? f->ckey : o->key;
    co.ca_file = o->ca;
    co.server_name = f->server_name;
    co.timeout_ms = 10000;
    co.keepalive_ms = -1;
    size_t b = o->batch ? o->batch : 1000;
    co.batch_records = b;
    size_t bytes = b * (o->msg_size + 16);
    co.batch_bytes = bytes > (900u << 10) ? (900u << 10) : bytes;
    co.pipeline = 8;
    struct rw_client *c = NULL;
    struct rw_client_error err;
    if (!rw_ok(rw_client_connect(&co, &c, &err))) {
        bn_fail("connect to ringward: %s", err.message);
        return NULL;
    }
    return c;
}

/* ---- consumers ---- */
static void rw_consume(struct bn_flow_cons *k)
{
    struct bn_flow *f = k->f;
    struct rw_client *c = rw_open(f, true);
    if (!c || !rw_ok(rw_client_subscribe(c, f->topic, 0, false, 20000, NULL))) {
        if (c) {
            bn_fail("subscribe: %s", rw_client_last_error(c)->message);
        }
        rw_client_close(c);
        k->failed = true;
        atomic_fetch_add(&f->ready, 1);
        return;
    }
    atomic_fetch_add(&f->ready, 1);
    while (!atomic_load(&f->stop_cons)) {
        struct rw_client_batch b;
        struct rw_result r = rw_client_poll(c, 50, &b);
        if (!rw_ok(r) && r.err != RW_ERR_BLOCKED) {
            bn_fail("poll: %s", rw_client_last_error(c)->message);
            k->failed = true;
            break;
        }
        for (size_t i = 0; i < b.n; i++) {
            bn_flow_record(k, b.records[i].value, b.records[i].value_len);
        }
    }
    atomic_store(&k->recv_pub, k->recv);
    rw_client_close(c);
}

static bool raw_open(struct bn_flow *f, struct bn_conn *c, const char *role, int id)
{
    char name[96];
    snprintf(name, sizeof(name), "bench-%s-%d-%d", role, (int)getpid(), id);
    if (!bn_open(c, f->ctx, f->o, NULL, name)) {
        bn_fail("%s %d: cannot connect to %s:%d (%s)", role, id, f->o->host, f->o->port,
                bn_proto_name(f->o->proto));
        bn_close(c, true);
        return false;
    }
    c->deadline = 1e18;
    return true;
}

static void raw_consume(struct bn_flow_cons *k)
{
    struct bn_flow *f = k->f;
    struct bn_conn c = {.fd = -1};
    bool nats = f->o->proto == BN_NATS;
    uint8_t *buf = malloc(IO_BUF);
    bool ok = buf && raw_open(f, &c, "consumer", k->id) &&
              (nats ? bn_nats_subscribe(&c, f->topic) : bn_mqtt_subscribe(&c, f->topic));
    k->failed = !ok;
    atomic_fetch_add(&f->ready, 1);
    struct timeval tv = {0, 50000};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t have = 0;
    while (ok && !atomic_load(&f->stop_cons)) {
        c.deadline = bn_now() + 0.05;
        long r = bn_read_some(&c, buf + have, IO_BUF - have);
        if (r == 0) {
            bn_fail("consumer %d: the server closed the connection", k->id);
            k->failed = true;
            break;
        }
        if (r < 0) {
            continue; /* nothing within 50 ms */
        }
        have += (size_t)r;
        int pings = 0;
        size_t used = nats ? bn_nats_parse(buf, have, on_msg, k, &pings)
                           : bn_mqtt_parse(buf, have, on_msg, k);
        memmove(buf, buf + used, have - used);
        have -= used;
        c.deadline = bn_now() + 10;
        for (; pings > 0; pings--) {
            bn_write_all(&c, "PONG\r\n", 6);
        }
    }
    atomic_store(&k->recv_pub, k->recv);
    bn_close(&c, true);
    free(buf);
}

void *bn_flow_consumer(void *arg)
{
    struct bn_flow_cons *k = arg;
    if (k->f->o->proto == BN_RINGWARD) {
        rw_consume(k);
    } else {
        raw_consume(k);
    }
    return NULL;
}

/* ---- producers ---- */
/* How many records this producer may send now: unbounded (a chunk) for
 * throughput; for latency, those due by the paced schedule. */
static long due(struct bn_flow_prod *p, long sent)
{
    struct bn_flow *f = p->f;
    if (!f->latency) {
        return 1 << 20;
    }
    double per = f->rate_per_producer;
    long want = (long)((bn_now() - f->t_start) * per) + 1;
    if (want <= sent) {
        double next = f->t_start + (double)sent / per;
        bn_sleep(next - bn_now());
        return 0;
    }
    return want - sent;
}

static void rw_produce(struct bn_flow_prod *p)
{
    struct bn_flow *f = p->f;
    size_t sz = f->o->msg_size;
    uint8_t *val = calloc(1, sz + 8);
    struct rw_client *c = rw_open(f, false);
    struct rw_client_record *recs = calloc(100, sizeof(*recs));
    uint8_t *vals = calloc(100, sz + 8);
    long sent = 0;
    while (c && val && recs && vals && !atomic_load(&f->stop_prod) &&
           (f->per_producer <= 0 || sent < f->per_producer)) {
        long n = due(p, sent);
        if (f->latency) {
            /* Paced: what is due goes out now, one frame, acknowledged. */
            n = n > 100 ? 100 : n;
            for (long i = 0; i < n; i++) {
                recs[i] = (struct rw_client_record){.value = vals + (size_t)i * (sz + 8),
                                                    .value_len = sz};
                stamp(vals + (size_t)i * (sz + 8), sz);
            }
            if (n > 0 && !rw_ok(rw_client_produce(c, f->topic, recs, (size_t)n, NULL))) {
                bn_fail("produce: %s", rw_client_last_error(c)->message);
                p->failed = true;
                break;
            }
            sent += n;
            continue;
        }
        for (int i = 0; i < 64; i++) {
            stamp(val, sz);
            if (!rw_ok(rw_client_produce_add(c, f->topic, val, sz))) {
                bn_fail("produce: %s", rw_client_last_error(c)->message);
                p->failed = true;
                goto out;
            }
        }
        sent += 64;
        atomic_store(&p->sent_pub, sent);
    }
out:
    if (c && !p->failed && !rw_ok(rw_client_flush(c, NULL))) {
        bn_fail("flush: %s", rw_client_last_error(c)->message);
        p->failed = true;
    }
    p->failed = p->failed || !c;
    atomic_store(&p->sent_pub, sent);
    rw_client_close(c);
    free(val);
    free(recs);
    free(vals);
}

static void raw_produce(struct bn_flow_prod *p)
{
    struct bn_flow *f = p->f;
    const struct bn_opts *o = f->o;
    size_t sz = o->msg_size, b = f->latency ? 1 : (o->batch ? o->batch : 100);
    size_t cap = b * (sz + 512) + 1024;
    uint8_t *buf = malloc(cap), *val = calloc(1, sz + 8);
    struct bn_conn c = {.fd = -1};
    bool nats = o->proto == BN_NATS;
    long sent = 0;
    bool ok = buf && val && raw_open(f, &c, "producer", p->id);
    while (ok && !atomic_load(&f->stop_prod) && (f->per_producer <= 0 || sent < f->per_producer)) {
        long n = due(p, sent);
        if (n <= 0) {
            continue;
        }
        size_t len = 0;
        for (long i = 0; i < n && (size_t)i < b; i++) {
            stamp(val, sz);
            size_t w = nats ? bn_nats_publish(buf + len, cap - len, f->topic, val, sz)
                            : bn_mqtt_publish(buf + len, cap - len, f->topic, val, sz);
            if (w == 0) {
                break;
            }
            len += w;
            sent++;
        }
        c.deadline = bn_now() + 10;
        if (!bn_write_all(&c, buf, len)) {
            bn_fail("producer %d: write failed", p->id);
            p->failed = true;
            break;
        }
        atomic_store(&p->sent_pub, sent);
    }
    p->failed = p->failed || !ok;
    atomic_store(&p->sent_pub, sent);
    bn_close(&c, false);
    free(buf);
    free(val);
}

void *bn_flow_producer(void *arg)
{
    struct bn_flow_prod *p = arg;
    if (p->f->o->proto == BN_RINGWARD) {
        rw_produce(p);
    } else {
        raw_produce(p);
    }
    return NULL;
}
