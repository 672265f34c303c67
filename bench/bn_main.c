/* bench/bn_main.c — `ringward-bench MODE [OPTIONS]`: options and dispatch. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/bn.h"
#include "security/sec_ec_fast.h"

static const char usage[] =
    "usage: ringward-bench MODE [OPTIONS]\n"
    "\n"
    "Load generator for Ringward and its peers (nginx, Mosquitto, nats-server) over\n"
    "mutual TLS 1.3. Every run is bounded by --duration and --count; each prints one\n"
    "human line and one JSON line (starting with '{') on stdout.\n"
    "\n"
    "modes:\n"
    "  handshake         N threads: connect, full (or --resume) mTLS handshake, the\n"
    "                    protocol's first round trip, close. handshakes/s, server CPU\n"
    "                    seconds over the window (--server-pid) and the per-core rate\n"
    "  throughput        P producers, C consumers, one topic: records/s and MB/s at\n"
    "                    consumer receipt\n"
    "  latency           paced --rate records/s: end-to-end p50/p99/p99.9 (log buckets)\n"
    "  idle              open --connections N and hold them: server RSS per connection\n"
    "  revocation-scale  handshake, labelled with --revoked N, plus the server RSS and\n"
    "                    bytes per entry against --rss-base-kib (the 0-revoked run)\n"
    "  revoke-fill       setup: --count N synthetic revocations into --data-dir's store\n"
    "  mkcrl             setup: a CRL of --count N random serials signed by\n"
    "                    --issuer-cert/--issuer-key, written to --out\n"
    "  revoke-latency    for each NAME.pem/NAME.key in --cert-dir (at most --count):\n"
    "                    connect as it, run --revoke-cmd (%s = its serial) and time\n"
    "                    until the broker ends the session (at most --duration each)\n"
    "\n"
    "options:\n"
    "  --target HOST:PORT     server (IPv4 literal; default 127.0.0.1:9443)\n"
    "  --proto P              none | ringward | mqtt | nats | http (default ringward)\n"
    "                         none: handshake, then the server's first post-handshake\n"
    "                         record; ringward: Ping/Pong frames; mqtt: CONNECT/CONNACK;\n"
    "                         nats: INFO, TLS upgrade, CONNECT/PING/PONG; http: GET /\n"
    "  --pki DIR              shorthand: --cert DIR/producer-1.pem --key DIR/producer-1.key\n"
    "                         --ca DIR/ca-chain.pem and the consumer-1 pair for consumers\n"
    "  --cert F --key F --ca F  client leaf (only it is sent), its key, CA bundle\n"
    "  --consumer-cert F --consumer-key F   identity of Ringward consumers\n"
    "  --server-name NAME     name libringward checks in the broker certificate\n"
    "  --verify-server        verify the server chain in handshake/idle (default: off,\n"
    "                         to spend the generator's core on load; still parsed)\n"
    "  --server-pid PID       server process for CPU (/proc/PID/stat) and RSS\n"
    "  --peer LABEL           label copied into the JSON line\n"
    "  --threads N            handshake/idle client threads (default 4)\n"
    "  --resume               resume TLS 1.3 sessions (handshake, revocation-scale)\n"
    "  --duration S           measured window / upper bound in seconds (default 5)\n"
    "  --count N              upper bound of operations (records, handshakes)\n"
    "  --producers P --consumers C --size BYTES --batch B   (default 1 1 100 1000)\n"
    "  --rate R               latency: records/s across producers (default 10000)\n"
    "  --topic NAME           topic/subject (default: a fresh demo.bench.* name, which\n"
    "                         the ACL rules of `ringward-admin init` allow)\n"
    "  --connections N --hold S   idle: how many, how long to hold (default 1000, 2)\n"
    "  --revoked N --rss-base-kib K   revocation-scale labels\n"
    "  --data-dir DIR --issuer-id ID   revoke-fill (default intermediate-ca)\n"
    "  --issuer-cert F --issuer-key F --out F --days D   mkcrl\n"
    "  --cert-dir DIR --revoke-cmd CMD   revoke-latency (label the run with --revoked N)\n"
    "\n"
    "The generator reads the servers' EC certificates with OpenSSL's built-in EC code\n"
    "(as `ringward --ec-fast-path` does), so its one core drives every server harder.\n"
    "\n"
    "exit status: 0 when the run measured something, 1 when it did not, 2 on usage errors\n";

enum {
    O_TARGET = 256, O_PROTO, O_PKI, O_CERT, O_KEY, O_CA, O_CCERT, O_CKEY, O_SNAME, O_VERIFY,
    O_SPID, O_PEER, O_THREADS, O_RESUME, O_DUR, O_COUNT, O_PROD, O_CONS, O_SIZE, O_BATCH,
    O_RATE, O_TOPIC, O_CONNS, O_HOLD, O_REVOKED, O_RSSBASE, O_DATA, O_ISSID, O_ISSCERT,
    O_ISSKEY, O_OUT, O_DAYS, O_CERTDIR, O_REVCMD, O_HELP
};

static const struct option longopts[] = {
    {"target", 1, 0, O_TARGET}, {"proto", 1, 0, O_PROTO}, {"pki", 1, 0, O_PKI},
    {"cert", 1, 0, O_CERT}, {"key", 1, 0, O_KEY}, {"ca", 1, 0, O_CA},
    {"consumer-cert", 1, 0, O_CCERT}, {"consumer-key", 1, 0, O_CKEY},
    {"server-name", 1, 0, O_SNAME}, {"verify-server", 0, 0, O_VERIFY},
    {"server-pid", 1, 0, O_SPID}, {"peer", 1, 0, O_PEER}, {"threads", 1, 0, O_THREADS},
    {"resume", 0, 0, O_RESUME}, {"duration", 1, 0, O_DUR}, {"count", 1, 0, O_COUNT},
    {"producers", 1, 0, O_PROD}, {"consumers", 1, 0, O_CONS}, {"size", 1, 0, O_SIZE},
    {"batch", 1, 0, O_BATCH}, {"rate", 1, 0, O_RATE}, {"topic", 1, 0, O_TOPIC},
    {"connections", 1, 0, O_CONNS}, {"hold", 1, 0, O_HOLD}, {"revoked", 1, 0, O_REVOKED},
    {"rss-base-kib", 1, 0, O_RSSBASE}, {"data-dir", 1, 0, O_DATA}, {"issuer-id", 1, 0, O_ISSID},
    {"issuer-cert", 1, 0, O_ISSCERT}, {"issuer-key", 1, 0, O_ISSKEY}, {"out", 1, 0, O_OUT},
    {"days", 1, 0, O_DAYS}, {"cert-dir", 1, 0, O_CERTDIR}, {"revoke-cmd", 1, 0, O_REVCMD},
    {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (!end || end == s || *end || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static char pki_buf[5][1200];

static bool set_pki(struct bn_opts *o, const char *dir)
{
    const char *names[5] = {"producer-1.pem", "producer-1.key", "ca-chain.pem", "consumer-1.pem",
                            "consumer-1.key"};
    for (int i = 0; i < 5; i++) {
        if (snprintf(pki_buf[i], sizeof(pki_buf[i]), "%s/%s", dir, names[i]) >= 1200) {
            return false;
        }
    }
    o->cert = pki_buf[0];
    o->key = pki_buf[1];
    o->ca = pki_buf[2];
    o->consumer_cert = pki_buf[3];
    o->consumer_key = pki_buf[4];
    return true;
}

static bool parse_target(struct bn_opts *o, char *s)
{
    static char host[64];
    char *colon = strrchr(s, ':');
    double port;
    if (!colon || (size_t)(colon - s) >= sizeof(host) || !num(colon + 1, 1, 65535, &port)) {
        return false;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    o->host = host;
    o->port = (int)port;
    return true;
}

static bool parse_proto(struct bn_opts *o, const char *s)
{
    static const char *names[] = {"none", "ringward", "mqtt", "nats", "http"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) {
            o->proto = (enum bn_proto)i;
            return true;
        }
    }
    return false;
}

/* One option; false on a bad value. */
static bool opt(struct bn_opts *o, int c, char *a)
{
    double v = 0;
    switch (c) {
    case O_TARGET: return parse_target(o, a);
    case O_PROTO: return parse_proto(o, a);
    case O_PKI: return set_pki(o, a);
    case O_CERT: o->cert = a; return true;
    case O_KEY: o->key = a; return true;
    case O_CA: o->ca = a; return true;
    case O_CCERT: o->consumer_cert = a; return true;
    case O_CKEY: o->consumer_key = a; return true;
    case O_SNAME: o->server_name = a; return true;
    case O_VERIFY: o->verify_server = true; return true;
    case O_SPID: return num(a, 1, 1e9, &v) && (o->server_pid = (pid_t)v, true);
    case O_PEER: o->label = a; return true;
    case O_THREADS: return num(a, 1, 1024, &v) && (o->threads = (int)v, true);
    case O_RESUME: o->resume = true; return true;
    case O_DUR: return num(a, 0.01, 3600, &o->duration_s);
    case O_COUNT: return num(a, 0, 1e10, &v) && (o->count = (long)v, true);
    case O_PROD: return num(a, 1, 256, &v) && (o->producers = (int)v, true);
    case O_CONS: return num(a, 1, 256, &v) && (o->consumers = (int)v, true);
    case O_SIZE: return num(a, 8, 1 << 20, &v) && (o->msg_size = (size_t)v, true);
    case O_BATCH: return num(a, 1, 100000, &v) && (o->batch = (size_t)v, true);
    case O_RATE: return num(a, 1, 1e8, &o->rate);
    case O_TOPIC: o->topic = a; return true;
    case O_CONNS: return num(a, 1, 1e6, &v) && (o->connections = (long)v, true);
    case O_HOLD: return num(a, 0, 3600, &o->hold_s);
    case O_REVOKED: return num(a, 0, 1e9, &v) && (o->revoked = (long)v, true);
    case O_RSSBASE: return num(a, 0, 1e12, &v) && (o->rss_base_kib = (long)v, true);
    case O_DATA: o->data_dir = a; return true;
    case O_ISSID: o->issuer_id = a; return true;
    case O_ISSCERT: o->issuer_cert = a; return true;
    case O_ISSKEY: o->issuer_key = a; return true;
    case O_OUT: o->out = a; return true;
    case O_DAYS: return num(a, 1, 3650, &v) && (o->crl_days = (int)v, true);
    case O_CERTDIR: o->cert_dir = a; return true;
    case O_REVCMD: o->revoke_cmd = a; return true;
    default: return false;
    }
}

/* As many descriptors as the hard limit allows (idle holds thousands). */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    struct bn_opts o = {.mode = argv[1], .host = "127.0.0.1", .port = 9443,
                        .proto = BN_RINGWARD, .msg_size = 100, .batch = 1000, .count = -1};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == O_HELP) {
            fputs(usage, stdout);
            return 0;
        }
        if (c == '?' || !opt(&o, c, optarg)) {
            if (c != '?') {
                bn_fail("bad value for --%s: %s", longopts[c - O_TARGET].name, optarg);
            }
            return 2;
        }
    }
    if (optind < argc) {
        bn_fail("unexpected argument %s", argv[optind]);
        return 2;
    }
    bool needs_tls = strcmp(o.mode, "revoke-fill") != 0 && strcmp(o.mode, "mkcrl") != 0;
    if (needs_tls && (!o.cert || !o.key || !o.ca)) {
        bn_fail("%s needs --pki DIR or --cert, --key and --ca", o.mode);
        return 2;
    }
    if (o.count < 0) {
        o.count = 0;
    }
    /* The generator's core is the usual limit: parse the servers' EC
     * certificates with OpenSSL's built-in EC code, for every server alike. */
    if (needs_tls && !rw_ok(rw_sec_ec_fast_enable())) {
        bn_fail("%s", rw_err_detail());
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    if (strcmp(o.mode, "handshake") == 0 || strcmp(o.mode, "revocation-scale") == 0) {
        return bn_mode_handshake(&o);
    }
    if (strcmp(o.mode, "throughput") == 0) {
        return bn_mode_throughput(&o);
    }
    if (strcmp(o.mode, "latency") == 0) {
        return bn_mode_latency(&o);
    }
    if (strcmp(o.mode, "idle") == 0) {
        return bn_mode_idle(&o);
    }
    if (strcmp(o.mode, "revoke-fill") == 0) {
        return bn_mode_revoke_fill(&o);
    }
    if (strcmp(o.mode, "mkcrl") == 0) {
        return bn_mode_mkcrl(&o);
    }
    if (strcmp(o.mode, "revoke-latency") == 0) {
        return bn_mode_revoke_latency(&o);
    }
    bn_fail("unknown mode %s (see --help)", o.mode);
    return 2;
}
