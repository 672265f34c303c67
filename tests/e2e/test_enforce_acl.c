/* End-to-end: authorization by the real `ringward` daemon, with rules
 * changed by the real `ringward-admin acl add|remove` (offline, on the
 * same data directory) while clients stay connected. A change reaches the
 * broker through the event log: tests wait for it by polling, with a
 * bound, never by sleeping a fixed time. */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_pki.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

#define CHANGE_MS 5000 /* a rule change must be applied within this */

static struct tl_broker b;

static void setup(void) { cr_assert(tl_broker_init(&b, "enf-acl")); }
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(enforce_acl, .init = setup, .fini = teardown, .timeout = 180);

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void connect_as(struct tl_wire *w, const char *who)
{
    char cert[1200], key[1200], ca[1200];
    snprintf(cert, sizeof(cert), "%s/%s.pem", b.pki, who);
    snprintf(key, sizeof(key), "%s/%s.key", b.pki, who);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    cr_assert(tl_wire_connect(w, b.d.port, cert, key, ca), "%s connects", who);
}

/* One reply frame (the caller frees *body). */
static struct tl_frame reply(struct tl_wire *w, uint8_t **body)
{
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(w, body, &len), 1, "a reply frame");
    struct tl_frame f;
    cr_assert(tl_frame_parse(*body, len, &f), "a parseable frame");
    return f;
}

/* The code of an Error frame (0 for any other frame); its message to msg. */
static int error_of(const struct tl_frame *f, char *msg, size_t cap)
{
    int code = 0;
    msg[0] = '\0';
    if (f->body != TL_BODY_ERROR) {
        return 0;
    }
    cr_assert(tl_error_parse(f, &code, msg, cap));
    return code;
}

/* Produces one record; 0 when acknowledged, else the Error code. */
static int produce(struct tl_wire *w, uint64_t corr, const char *topic, char *msg, size_t cap)
{
    const char *val = "v";
    struct tl_pb m = {0};
    tl_msg_produce(&m, corr, topic, &val, NULL, 1);
    cr_assert(tl_wire_send(w, m.data, m.len));
    tl_pb_free(&m);
    uint8_t *body = NULL;
    struct tl_frame f = reply(w, &body);
    cr_assert_eq(f.corr, corr, "the reply echoes the correlation id");
    int code = error_of(&f, msg, cap);
    cr_assert(code != 0 || f.body == TL_BODY_PRODUCE_OK, "ProduceResponse or Error, got %u",
              f.body);
    free(body);
    return code;
}

/* Produces until the outcome is `want_code` (0 = acknowledged), at most
 * CHANGE_MS; returns how long it took. */
static long long produce_until(struct tl_wire *w, uint64_t *corr, const char *topic,
                               int want_code)
{
    long long start = tl_now_ms();
    char msg[512];
    int code;
    while ((code = produce(w, ++*corr, topic, msg, sizeof(msg))) != want_code &&
           tl_now_ms() - start < CHANGE_MS) {
        nap_ms(10);
    }
    cr_assert_eq(code, want_code, "producing to %s: code %d (%s), wanted %d within %d ms", topic,
                 code, msg, want_code, CHANGE_MS);
    return tl_now_ms() - start;
}

static long long metric(const char *series)
{
    int status = 0;
    char *text = NULL;
    cr_assert(tl_http_get(b.d.metrics_port, "/metrics", &status, &text));
    cr_assert_eq(status, 200);
    long long v = tl_metric(text, series);
    free(text);
    return v;
}

#define DENIED_PRODUCE "ringward_acl_denials_total{op=\"produce\"}"
#define DENIED_CONSUME "ringward_acl_denials_total{op=\"consume\"}"

Test(enforce_acl, producer_denied_then_allowed_then_denied_again_without_reconnecting)
{
    cr_assert(tl_broker_start(&b, "--workers 2 --metrics 127.0.0.1:0"));
    struct tl_wire p;
    connect_as(&p, "producer-1");
    char msg[512];
    uint64_t corr = 1;
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0, "demo.x works: %s", msg);
    cr_assert_eq(produce(&p, corr++, "secret.x", msg, sizeof(msg)), TL_ERR_PERMISSION_DENIED);
    cr_assert_str_eq(msg, "principal producer-1 may not produce to secret.x");
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0,
                 "demo.x still works on the same connection: %s", msg);
    cr_assert_eq(metric(DENIED_PRODUCE), 1, "the denial is counted");
    cr_assert(tl_daemon_wait_log(&b.d, "event=acl_denied conn=1 principal=producer-1 "
                                       "op=produce topic=secret.x rule=0", 1, 5000));

    long long id = tl_broker_acl_add(&b, "producer-1", "secret.*", "produce", true);
    cr_assert_gt(id, 0);
    long long took = produce_until(&p, &corr, "secret.x", 0);
    printf("acl add -> produce to secret.x allowed after %lld ms\n", took);
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0);

    cr_assert(tl_broker_acl_remove(&b, id));
    took = produce_until(&p, &corr, "secret.x", TL_ERR_PERMISSION_DENIED);
    printf("acl remove -> produce to secret.x denied after %lld ms\n", took);
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0, "demo.x unaffected");
    cr_assert_geq(metric(DENIED_PRODUCE), 2, "the metric moves");
    cr_assert_eq(metric("ringward_connections_accepted_total"), 1, "one connection throughout");
    cr_assert_geq(metric("ringward_acl_reloads_total"), 3, "startup, add and remove");
    cr_assert(tl_daemon_wait_log(&b.d, "event=acl_change_applied", 2, 5000));
    tl_wire_close(&p);
}

/* A subscriber read on the test thread: subscribes and returns once the
 * SubscribeResponse arrived. */
static void subscribe(struct tl_wire *w, uint64_t corr, const char *topic)
{
    struct tl_pb m = {0};
    tl_msg_subscribe(&m, corr, topic, true, 1000000);
    cr_assert(tl_wire_send(w, m.data, m.len));
    tl_pb_free(&m);
    uint8_t *body = NULL;
    struct tl_frame f = reply(w, &body);
    char msg[512];
    cr_assert_eq(f.body, TL_BODY_SUBSCRIBE_OK, "subscribed to %s (error %d: %s)", topic,
                 error_of(&f, msg, sizeof(msg)), msg);
    cr_assert_eq(f.corr, corr);
    free(body);
}

/* Reads until a Delivery for subscription `corr` arrives. */
static void expect_delivery(struct tl_wire *w, uint64_t corr)
{
    for (;;) {
        uint8_t *body = NULL;
        struct tl_frame f = reply(w, &body); /* bounded: 10 s receive timeout */
        bool done = f.body == TL_BODY_DELIVERY && f.corr == corr;
        cr_assert(f.body == TL_BODY_DELIVERY || f.body == TL_BODY_PONG, "unexpected frame %u",
                  f.body);
        free(body);
        if (done) {
            return;
        }
    }
}

/* Reads until an Error arrives (skipping deliveries); returns it. */
static struct tl_frame expect_error(struct tl_wire *w, uint8_t **body, int *code, char *msg,
                                    size_t cap)
{
    for (;;) {
        struct tl_frame f = reply(w, body); /* bounded: 10 s receive timeout */
        if (f.body == TL_BODY_ERROR) {
            *code = error_of(&f, msg, cap);
            return f;
        }
        cr_assert_eq(f.body, TL_BODY_DELIVERY, "unexpected frame %u", f.body);
        free(*body);
    }
}

/* The subscription `corr` is ended with PERMISSION_DENIED within CHANGE_MS
 * of `since`; the connection stays usable. */
static void expect_ended(struct tl_wire *c, uint64_t corr, const char *topic, long long since)
{
    uint8_t *body = NULL;
    int code = 0;
    char msg[512], want[512];
    struct tl_frame f = expect_error(c, &body, &code, msg, sizeof(msg));
    long long took = tl_now_ms() - since;
    free(body);
    cr_assert_eq(code, TL_ERR_PERMISSION_DENIED, "code %d: %s", code, msg);
    cr_assert_eq(f.corr, corr, "the Error carries the Subscribe's correlation id");
    snprintf(want, sizeof(want), "principal consumer-1 may not consume from %s", topic);
    cr_assert_str_eq(msg, want);
    cr_assert_lt(took, CHANGE_MS, "ended %lld ms after the change", took);
    printf("rule change -> subscription to %s ended after %lld ms\n", topic, took);
    cr_assert(tl_wire_ping(c, 900 + corr), "the connection stays usable");
}

Test(enforce_acl, deny_rule_ends_a_live_subscription_and_the_connection_stays_open)
{
    cr_assert(tl_broker_start(&b, "--workers 2 --metrics 127.0.0.1:0"));
    struct tl_wire p, c;
    connect_as(&p, "producer-1");
    connect_as(&c, "consumer-1");
    subscribe(&c, 77, "demo.x");
    char msg[512];
    uint64_t corr = 1;
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0, "%s", msg);
    expect_delivery(&c, 77);

    long long t0 = tl_now_ms();
    cr_assert_gt(tl_broker_acl_add(&b, "consumer-1", "demo.*", "consume", false), 0);
    expect_ended(&c, 77, "demo.x", t0);

    /* Records produced now are not delivered; new requests are denied. */
    cr_assert_eq(produce(&p, corr++, "demo.x", msg, sizeof(msg)), 0, "%s", msg);
    struct tl_pb m = {0};
    tl_msg_fetch(&m, 78, "demo.x", 0, 0);
    cr_assert(tl_wire_send(&c, m.data, m.len));
    tl_pb_free(&m);
    tl_msg_subscribe(&m, 79, "demo.x", false, 100);
    cr_assert(tl_wire_send(&c, m.data, m.len));
    tl_pb_free(&m);
    for (uint64_t want = 78; want <= 79; want++) {
        uint8_t *body = NULL;
        struct tl_frame f = reply(&c, &body);
        cr_assert_eq(f.corr, want, "no delivery after the end: frame %u for %llu", f.body,
                     (unsigned long long)f.corr);
        cr_assert_eq(error_of(&f, msg, sizeof(msg)), TL_ERR_PERMISSION_DENIED, "%s", msg);
        free(body);
    }
    cr_assert(tl_wire_ping(&c, 80), "still open after the denials");
    cr_assert_eq(metric("ringward_acl_subscriptions_ended_total"), 1);
    cr_assert_eq(metric(DENIED_CONSUME), 3, "the end, the Fetch and the Subscribe");
    cr_assert_eq(metric("ringward_connections_accepted_total"), 2);
    cr_assert_eq(metric("ringward_connections"), 2, "nobody was disconnected");
    cr_assert(tl_daemon_wait_log(&b.d, "event=subscription_ended", 1, 5000));
    tl_wire_close(&p);
    tl_wire_close(&c);
}

Test(enforce_acl, removing_the_allow_rule_ends_the_subscription_it_allowed)
{
    long long id = tl_broker_acl_add(&b, "consumer-1", "secret.*", "consume", true);
    cr_assert_gt(id, 0);
    cr_assert_gt(tl_broker_acl_add(&b, "producer-1", "secret.*", "produce", true), 0);
    cr_assert(tl_broker_start(&b, "--workers 1"));
    struct tl_wire p, c;
    connect_as(&p, "producer-1");
    connect_as(&c, "consumer-1");
    subscribe(&c, 5, "secret.y");
    subscribe(&c, 6, "demo.y");
    char msg[512];
    cr_assert_eq(produce(&p, 1, "secret.y", msg, sizeof(msg)), 0, "%s", msg);
    expect_delivery(&c, 5);
    long long t0 = tl_now_ms();
    cr_assert(tl_broker_acl_remove(&b, id));
    expect_ended(&c, 5, "secret.y", t0);
    cr_assert_eq(produce(&p, 2, "demo.y", msg, sizeof(msg)), 0, "%s", msg);
    expect_delivery(&c, 6); /* the other subscription goes on */
    tl_wire_close(&p);
    tl_wire_close(&c);
}

/* --- --principal-from san-uri -------------------------------------------- */

static void write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    fclose(f);
}

#define SPIFFE "spiffe://example.org/ns/demo/sa/writer"

/* An external CA (trusted with --trust-bundle) and a client whose CN and
 * SAN URI differ: DIR/ext-ca.pem, DIR/app.pem, DIR/app.key. */
static void san_client(char *ca, char *cert, char *key, size_t cap)
{
    snprintf(ca, cap, "%s/ext-ca.pem", b.dir);
    snprintf(cert, cap, "%s/app.pem", b.dir);
    snprintf(key, cap, "%s/app.key", b.dir);
    EVP_PKEY *ck = tl_key(NULL), *lk = tl_key(NULL);
    struct tl_cert_opts co = tl_ca_opts("External SAN CA");
    X509 *cax = tl_cert(ck, NULL, ck, &co);
    struct tl_cert_opts lo = tl_leaf_opts("app-by-cn");
    lo.san = "URI:" SPIFFE;
    X509 *leaf = tl_cert(lk, cax, ck, &lo);
    cr_assert(tl_write_pem(ca, cax));
    cr_assert(tl_write_pem(cert, leaf));
    write_key(key, lk);
    struct tl_cert_opts no = tl_leaf_opts("no-uri"); /* DIR/no-uri.pem: a CN, no SAN */
    no.san = NULL;
    X509 *bare = tl_cert(lk, cax, ck, &no);
    char path[1200];
    snprintf(path, sizeof(path), "%s/no-uri.pem", b.dir);
    cr_assert(tl_write_pem(path, bare));
    X509_free(bare);
    X509_free(leaf);
    X509_free(cax);
    EVP_PKEY_free(lk);
    EVP_PKEY_free(ck);
}

Test(enforce_acl, principal_from_san_uri_names_the_client_by_its_san_uri)
{
    char ca[1200], cert[1200], key[1200], bca[1200], extra[1400];
    san_client(ca, cert, key, sizeof(ca));
    snprintf(bca, sizeof(bca), "%s/ca-chain.pem", b.pki);
    cr_assert_gt(tl_broker_acl_add(&b, SPIFFE, "demo.*", "produce", true), 0);
    snprintf(extra, sizeof(extra), /* conn_established is debug */
             "--workers 1 --log-level debug --principal-from san-uri --trust-bundle %s", ca);
    cr_assert(tl_broker_start(&b, extra));
    cr_assert(tl_daemon_wait_log(&b.d, "principal_from=san-uri", 1, 5000));
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, bca));
    char msg[512];
    cr_assert_eq(produce(&w, 1, "demo.z", msg, sizeof(msg)), 0, "the SAN URI's rule: %s", msg);
    cr_assert_eq(produce(&w, 2, "other.z", msg, sizeof(msg)), TL_ERR_PERMISSION_DENIED);
    cr_assert_str_eq(msg, "principal " SPIFFE " may not produce to other.z");
    cr_assert(tl_daemon_wait_log(&b.d, "principal=" SPIFFE " resumed=false", 1, 5000),
              "the log names the client by its SAN URI");
    char *log = tl_daemon_log(&b.d);
    cr_assert_null(strstr(log, "principal=app-by-cn"), "not by its CN");
    free(log);
    tl_wire_close(&w);
    /* A certificate without a SAN URI names nobody: refused. */
    char bare[1200];
    snprintf(bare, sizeof(bare), "%s/no-uri.pem", b.dir);
    cr_assert_not(tl_wire_connect(&w, b.d.port, bare, key, bca) && tl_wire_ping(&w, 9),
                  "a certificate without a SAN URI is refused");
    tl_wire_close(&w);
    cr_assert(tl_daemon_wait_log(&b.d, "event=handshake_rejected", 1, 5000));
    /* Certificates from `init` carry URI:ringward:principal:NAME. */
    struct tl_wire p;
    connect_as(&p, "producer-1");
    cr_assert_eq(produce(&p, 3, "demo.z", msg, sizeof(msg)), 0, "%s", msg);
    cr_assert(tl_daemon_wait_log(&b.d, "principal=producer-1 resumed=false", 1, 5000));
    tl_wire_close(&p);
}

Test(enforce_acl, principal_from_cn_by_default)
{
    char ca[1200], cert[1200], key[1200], bca[1200], extra[1400];
    san_client(ca, cert, key, sizeof(ca));
    snprintf(bca, sizeof(bca), "%s/ca-chain.pem", b.pki);
    snprintf(extra, sizeof(extra), "--workers 1 --log-level debug --trust-bundle %s", ca);
    cr_assert(tl_broker_start(&b, extra));
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, bca));
    char msg[512];
    cr_assert_eq(produce(&w, 1, "demo.z", msg, sizeof(msg)), TL_ERR_PERMISSION_DENIED);
    cr_assert_str_eq(msg, "principal app-by-cn may not produce to demo.z");
    cr_assert(tl_daemon_wait_log(&b.d, "principal=app-by-cn resumed=false", 1, 5000));
    tl_wire_close(&w);
}
