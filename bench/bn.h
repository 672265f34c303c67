/* bench/bn.h — ringward-bench: what its files share.
 *
 * bn_main.c parses options and runs one mode; bn_util.c holds clocks, /proc
 * readers, the JSON line and the latency histogram; bn_tls.c the client
 * TLS context and blocking connections with deadlines; bn_wire.c the three
 * application protocols (Ringward frames, MQTT 3.1.1, NATS); bn_handshake.c,
 * bn_flow.c (throughput and latency), bn_idle.c and bn_setup.c (synthetic
 * revocations and CRLs) are the modes. Every loop is bounded by a count and
 * a duration; nothing here listens on a socket.
 */
#ifndef RW_BENCH_BN_H
#define RW_BENCH_BN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

enum bn_proto { BN_NONE, BN_RINGWARD, BN_MQTT, BN_NATS, BN_HTTP };

struct bn_opts {
    const char *mode;
    const char *host;
    int port;
    const char *cert, *key, *ca;  /* client leaf, its key, CA bundle (only used to verify
                                     the server when verify_server) */
    enum bn_proto proto;
    const char *label;       /* free text copied into the JSON line ("peer") */
    pid_t server_pid;        /* 0 = unknown: no CPU or RSS figures */
    int threads;             /* handshake/idle: client threads */
    bool resume;
    bool verify_server;
    double duration_s;       /* upper bound of every measured window */
    long count;              /* upper bound of operations (0 = none besides time) */
    int producers, consumers;
    size_t msg_size;
    size_t batch;            /* records per produce frame (ringward batcher) */
    double rate;             /* latency: records/s paced */
    long connections;        /* idle */
    double hold_s;           /* idle: how long to hold after the last connect */
    const char *topic;
    const char *consumer_cert, *consumer_key;  /* throughput/latency consumers (Ringward) */
    const char *server_name;  /* libringward: name checked in the broker's cert (NULL = host) */
    long revoked;            /* revocation-scale: label of the run */
    long rss_base_kib;       /* revocation-scale: server RSS of the 0-revoked run */
    /* setup helpers */
    const char *data_dir, *issuer_cert, *issuer_key, *out;
    const char *issuer_id;
    int crl_days;
    const char *cert_dir;    /* revoke-latency: the certificates to revoke */
    const char *revoke_cmd;  /* revoke-latency: shell command, %s = the serial */
};

/* ---- bn_util.c ---- */
double bn_now(void);  /* monotonic seconds */
int64_t bn_now_ns(void);
/* utime+stime of a process (all threads), seconds; < 0 when unreadable. */
double bn_proc_cpu_s(pid_t pid);
/* VmRSS in KiB, or -1. */
long bn_proc_rss_kib(pid_t pid);
/* Errors go to stderr prefixed with "ringward-bench: ". */
void bn_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bn_sleep(double s);

/* A JSON object built up key by key, printed as one line on stdout. */
struct bn_json {
    char buf[4096];
    size_t len;
};
void bn_json_begin(struct bn_json *j, const char *mode, const struct bn_opts *o);
void bn_json_num(struct bn_json *j, const char *key, double v);
void bn_json_int(struct bn_json *j, const char *key, long long v);
void bn_json_str(struct bn_json *j, const char *key, const char *v);
void bn_json_end(struct bn_json *j); /* prints it */

/* Log-bucket latency histogram: 16 sub-buckets per power of two of ns
 * (≤ 6.25% relative error), from 1 ns to ~10^3 s. Not thread-safe. */
#define BN_HIST_BUCKETS (40 * 16)
struct bn_hist {
    uint64_t b[BN_HIST_BUCKETS];
    uint64_t n;
    uint64_t max_ns;
};
void bn_hist_add(struct bn_hist *h, uint64_t ns);
void bn_hist_merge(struct bn_hist *into, const struct bn_hist *h);
/* The value at quantile q (0..1), ns; 0 when empty. */
uint64_t bn_hist_quantile(const struct bn_hist *h, double q);

const char *bn_proto_name(enum bn_proto p);

/* ---- bn_tls.c ---- */
/* TLS 1.3 client context: the leaf only (SSL_MODE_NO_AUTO_CHAIN), no server
 * verification unless o->verify_server, a client session cache when resuming. */
SSL_CTX *bn_tls_ctx(const struct bn_opts *o);

struct bn_conn {
    int fd;
    SSL *ssl;
    double deadline;   /* absolute monotonic seconds for every blocking call */
};
/* TCP connect (TCP_NODELAY, blocking with SO_RCVTIMEO/SO_SNDTIMEO). */
bool bn_tcp_connect(struct bn_conn *c, const char *host, int port, double timeout_s);
/* Client handshake over c->fd; sess (may be NULL) is offered for resumption. */
bool bn_tls_start(struct bn_conn *c, SSL_CTX *ctx, SSL_SESSION *sess);
bool bn_write_all(struct bn_conn *c, const void *p, size_t n);
/* Reads up to cap bytes (at least 1): > 0 bytes, 0 closed, < 0 error/timeout. */
long bn_read_some(struct bn_conn *c, void *p, size_t cap);
bool bn_read_exact(struct bn_conn *c, void *p, size_t n);
/* Plaintext reads before TLS (NATS INFO). */
bool bn_raw_read_line(struct bn_conn *c, char *line, size_t cap);
/* close_notify (when TLS) and close; linger0 resets instead of TIME_WAIT. */
void bn_close(struct bn_conn *c, bool linger0);

/* ---- bn_wire.c: one connection opened "as the protocol does it" ---- */
/* Connects, handshakes and completes the protocol's first round trip
 * (ringward Ping/Pong, MQTT CONNECT/CONNACK, NATS INFO+TLS+CONNECT/PING/PONG,
 * HTTP GET; none: waits for the server's first post-handshake message). */
bool bn_open(struct bn_conn *c, SSL_CTX *ctx, const struct bn_opts *o, SSL_SESSION *sess,
             const char *client_id);

bool bn_mqtt_subscribe(struct bn_conn *c, const char *topic);
/* Appends one QoS 0 PUBLISH to buf (cap checked); returns bytes or 0. */
size_t bn_mqtt_publish(uint8_t *buf, size_t cap, const char *topic, const void *p, size_t n);
/* Stream parser: calls on_msg for every PUBLISH payload found in data;
 * returns bytes consumed (the rest is an incomplete packet). */
typedef void (*bn_msg_fn)(void *arg, const uint8_t *p, size_t n);
size_t bn_mqtt_parse(const uint8_t *data, size_t len, bn_msg_fn on_msg, void *arg);

bool bn_nats_subscribe(struct bn_conn *c, const char *subject);
size_t bn_nats_publish(uint8_t *buf, size_t cap, const char *subject, const void *p, size_t n);
/* As bn_mqtt_parse for MSG; *pongs counts PINGs seen (the caller answers). */
size_t bn_nats_parse(const uint8_t *data, size_t len, bn_msg_fn on_msg, void *arg, int *pings);

/* ---- modes ---- */
int bn_mode_handshake(const struct bn_opts *o);
int bn_mode_throughput(const struct bn_opts *o);
int bn_mode_latency(const struct bn_opts *o);
int bn_mode_idle(const struct bn_opts *o);
int bn_mode_revoke_fill(const struct bn_opts *o);
int bn_mode_mkcrl(const struct bn_opts *o);
int bn_mode_revoke_latency(const struct bn_opts *o);

#endif
