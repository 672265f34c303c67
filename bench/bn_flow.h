/* bench/bn_flow.h — the shared state of the throughput and latency modes:
 * consumers subscribe first, then producers send (flat out, or paced);
 * records are counted where consumers receive them. */
#ifndef RW_BENCH_BN_FLOW_H
#define RW_BENCH_BN_FLOW_H

#include <pthread.h>

#include "bench/bn.h"

struct bn_flow {
    const struct bn_opts *o;
    SSL_CTX *ctx;            /* MQTT/NATS connections */
    const char *topic;
    const char *ccert, *ckey;  /* consumer identity (Ringward: consumer-1) */
    const char *server_name;
    bool latency;
    double rate_per_producer;  /* latency: records/s */
    long per_producer;         /* bound on records per producer (0 = time only) */
    double t_start;            /* producers' schedule origin (monotonic s) */
    int64_t warm_ns;           /* latency: records sent before this are not counted */
    atomic_bool stop_prod, stop_cons;
    atomic_int ready;          /* consumers subscribed (or failed) */
};

struct bn_flow_cons {
    struct bn_flow *f;
    int id;
    pthread_t t;
    bool failed;
    uint64_t recv, bytes;      /* owned by the thread */
    atomic_ullong recv_pub;    /* recv, published every 64 records */
    struct bn_hist hist;
};

struct bn_flow_prod {
    struct bn_flow *f;
    int id;
    pthread_t t;
    bool failed;
    atomic_long sent_pub;
};

void *bn_flow_consumer(void *arg);
void *bn_flow_producer(void *arg);
void bn_flow_record(struct bn_flow_cons *k, const uint8_t *p, size_t n);

#endif
