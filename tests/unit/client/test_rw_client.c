/* libringward and ringward-client against an in-process stand-in broker
 * (tl_echo_broker + the mini broker below): produce, batching, fetch,
 * subscribe with credit, broker errors, and the CLI end to end. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "client/rw_client.h"
#include "proto/rw_frame.h"
#include "tests/testlib/tl_echo_broker.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

/* ---- a mini broker: one topic log per name, one subscription ---- */

#define MAX_RECS 20000

struct mini {
    char topic[64];
    struct rw_buf vals[MAX_RECS];
    size_t n;
    uint64_t sub_id, sub_next, credit;
    int produce_frames, credit_frames, pings;
    uint64_t pushed_beyond_credit;
};

static struct mini mb;

static int send_frame(struct rw_buf *reply, Ringward__Frame *f, uint64_t id)
{
    f->correlation_id = id;
    return rw_ok(rw_frame_append(reply, &f->base, RW_FRAME_DEFAULT_MAX)) ? 0 : 1;
}

static int send_error(struct rw_buf *reply, uint64_t id, Ringward__ErrorCode code, const char *m)
{
    Ringward__Error e = RINGWARD__ERROR__INIT;
    e.code = code;
    e.message = (char *)m;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_ERROR;
    f.error = &e;
    return send_frame(reply, &f, id);
}

/* Pushes stored records to the subscriber while it has credit, 7 a frame. */
static int push(struct rw_buf *reply)
{
    while (mb.sub_id && mb.credit > 0 && mb.sub_next < mb.n) {
        Ringward__Record recs[7], *ptrs[7];
        size_t k = 0;
        while (k < 7 && k < mb.credit && mb.sub_next + k < mb.n) {
            ringward__record__init(&recs[k]);
            recs[k].value.data = mb.vals[mb.sub_next + k].data;
            recs[k].value.len = mb.vals[mb.sub_next + k].len;
            ptrs[k] = &recs[k];
            k++;
        }
        Ringward__Delivery d = RINGWARD__DELIVERY__INIT;
        d.base_offset = mb.sub_next;
        d.n_records = k;
        d.records = ptrs;
        Ringward__Frame f = RINGWARD__FRAME__INIT;
        f.body_case = RINGWARD__FRAME__BODY_DELIVERY;
        f.delivery = &d;
        if (send_frame(reply, &f, mb.sub_id)) {
            return 1;
        }
        mb.sub_next += k;
        mb.credit -= k;
    }
    return 0;
}

static int on_produce(const Ringward__Frame *in, struct rw_buf *reply)
{
    const Ringward__ProduceRequest *p = in->produce;
    if (strcmp(p->topic, "forbidden") == 0) {
        return send_error(reply, in->correlation_id, RINGWARD__ERROR_CODE__PERMISSION_DENIED,
                          "producer-1 may not produce to forbidden");
    }
    if (strcmp(p->topic, "revoke-me") == 0) {
        send_error(reply, 0, RINGWARD__ERROR_CODE__REVOKED, "certificate revoked (keyCompromise)");
        return 1;
    }
    mb.produce_frames++;
    Ringward__ProduceResponse r = RINGWARD__PRODUCE_RESPONSE__INIT;
    r.base_offset = mb.n;
    r.count = (uint32_t)p->n_records;
    for (size_t i = 0; i < p->n_records && mb.n < MAX_RECS; i++) {
        rw_buf_init(&mb.vals[mb.n], 1 << 20);
        if (!rw_ok(rw_buf_append(&mb.vals[mb.n], p->records[i]->value.data,
                                 p->records[i]->value.len))) {
            return 1;
        }
        mb.n++;
    }
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE_OK;
    f.produce_ok = &r;
    return send_frame(reply, &f, in->correlation_id) || push(reply);
}

static int on_fetch(const Ringward__Frame *in, struct rw_buf *reply)
{
    static Ringward__Record recs[MAX_RECS];
    static Ringward__Record *ptrs[MAX_RECS];
    const Ringward__FetchRequest *q = in->fetch;
    size_t k = 0, bytes = 0;
    for (uint64_t o = q->offset; o < mb.n; o++, k++) {
        if (k > 0 && bytes + mb.vals[o].len > q->max_bytes) {
            break;
        }
        ringward__record__init(&recs[k]);
        recs[k].value.data = mb.vals[o].data;
        recs[k].value.len = mb.vals[o].len;
        ptrs[k] = &recs[k];
        bytes += mb.vals[o].len;
    }
    Ringward__FetchResponse r = RINGWARD__FETCH_RESPONSE__INIT;
    r.base_offset = q->offset;
    r.n_records = k;
    r.records = ptrs;
    r.end_offset = mb.n;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_FETCH_OK;
    f.fetch_ok = &r;
    return send_frame(reply, &f, in->correlation_id);
}

static int on_subscribe(const Ringward__Frame *in, struct rw_buf *reply)
{
    const Ringward__SubscribeRequest *s = in->subscribe;
    mb.sub_id = in->correlation_id;
    mb.sub_next = s->from_end ? mb.n : s->from_offset;
    mb.credit = s->credit;
    Ringward__SubscribeResponse r = RINGWARD__SUBSCRIBE_RESPONSE__INIT;
    r.start_offset = mb.sub_next;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_SUBSCRIBE_OK;
    f.subscribe_ok = &r;
    return send_frame(reply, &f, in->correlation_id) || push(reply);
}

static int mini_frame(void *ctx, const uint8_t *body, size_t len, struct rw_buf *reply)
{
    (void)ctx;
    Ringward__Frame *f = NULL;
    if (!rw_ok(rw_frame_decode(body, len, &f))) {
        return 1;
    }
    int rc = 0;
    switch (f->body_case) {
    case RINGWARD__FRAME__BODY_PRODUCE: rc = on_produce(f, reply); break;
    case RINGWARD__FRAME__BODY_FETCH: rc = on_fetch(f, reply); break;
    case RINGWARD__FRAME__BODY_SUBSCRIBE: rc = on_subscribe(f, reply); break;
    case RINGWARD__FRAME__BODY_CREDIT:
        mb.credit_frames++;
        if (f->credit->subscription == mb.sub_id) {
            mb.credit += f->credit->records;
        }
        rc = push(reply);
        break;
    case RINGWARD__FRAME__BODY_PING: {
        mb.pings++;
        Ringward__Pong p = RINGWARD__PONG__INIT;
        Ringward__Frame r = RINGWARD__FRAME__INIT;
        r.body_case = RINGWARD__FRAME__BODY_PONG;
        r.pong = &p;
        rc = send_frame(reply, &r, f->correlation_id);
        break;
    }
    default:
        rc = send_error(reply, f->correlation_id, RINGWARD__ERROR_CODE__INVALID_ARGUMENT, "?");
    }
    rw_frame_free(f);
    return rc;
}

/* ---- fixture: PKI + stand-in broker ---- */

static char *tmp;
static char pki[600];
static struct tl_echo *echo;
static uint16_t port;

static const char *file(const char *name)
{
    static char bufs[8][700];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof(bufs[0]), "%s/pki/%s", pki, name);
    return p;
}

static void start(int reject)
{
    tmp = tl_tmpdir("client");
    cr_assert_not_null(tmp);
    snprintf(pki, sizeof(pki), "%s/data", tmp);
    char *out = NULL;
    int rc = tl_sh(&out, "%s init --insecure-dev-keys --data-dir %s", tl_bin("ringward-admin"),
                   pki);
    cr_assert_eq(rc, 0, "init: %s", out ? out : "");
    free(out);
    memset(&mb, 0, sizeof(mb));
    struct tl_echo_opts o = {.mode = TL_ECHO_TLS, .cert = file("broker.pem"),
                             .key = file("broker.key"), .ca = file("ca-chain.pem"),
                             .reject_verify = reject, .on_frame = mini_frame};
    echo = tl_echo_start(&o, &port);
    cr_assert_not_null(echo);
}

static void setup(void) { start(0); }

static void teardown(void)
{
    tl_echo_stop(echo);
    for (size_t i = 0; i < mb.n; i++) {
        rw_buf_cleanup(&mb.vals[i]);
    }
    tl_rmtree(tmp);
    free(tmp);
}

TestSuite(rw_client, .init = setup, .fini = teardown, .timeout = 120);

static struct rw_client *connect_as(const char *who, size_t batch_records, unsigned pipeline)
{
    char cert[64], key[64];
    snprintf(cert, sizeof(cert), "%s.pem", who);
    snprintf(key, sizeof(key), "%s.key", who);
    struct rw_client_opts o = {.host = "127.0.0.1", .port = port, .cert_file = file(cert),
                               .key_file = file(key), .ca_file = file("ca-chain.pem"),
                               .timeout_ms = 10000, .batch_records = batch_records,
                               .pipeline = pipeline};
    struct rw_client *c = NULL;
    struct rw_client_error err;
    cr_assert(rw_ok(rw_client_connect(&o, &c, &err)), "%s", err.message);
    return c;
}

/* ---- library ---- */

Test(rw_client, produce_then_fetch_round_trip)
{
    struct rw_client *c = connect_as("producer-1", 0, 0);
    struct rw_client_record recs[3] = {
        {.value = (const uint8_t *)"one", .value_len = 3},
        {.value = (const uint8_t *)"", .value_len = 0},
        {.value = (const uint8_t *)"three\n", .value_len = 6},
    };
    uint64_t base = 99;
    cr_assert(rw_ok(rw_client_produce(c, "t", recs, 3, &base)), "%s",
              rw_client_last_error(c)->message);
    cr_assert_eq(base, 0);
    cr_assert(rw_ok(rw_client_produce(c, "t", recs, 2, &base)));
    cr_assert_eq(base, 3);
    struct rw_client_batch b;
    cr_assert(rw_ok(rw_client_fetch(c, "t", 1, 1 << 20, &b)));
    cr_assert_eq(b.n, 4);
    cr_assert_eq(b.base_offset, 1);
    cr_assert_eq(b.end_offset, 5);
    cr_assert_eq(b.records[0].value_len, 0);
    cr_assert_eq(b.records[1].offset, 2);
    cr_assert_eq(memcmp(b.records[1].value, "three\n", 6), 0);
    cr_assert_eq(memcmp(b.records[2].value, "one", 3), 0);
    cr_assert(rw_ok(rw_client_fetch(c, "t", 4, 1, &b)));
    cr_assert_eq(b.n, 1, "at least one record, whatever max_bytes");
    rw_client_close(c);
}

Test(rw_client, batcher_groups_records_into_frames_and_keeps_order)
{
    struct rw_client *c = connect_as("producer-1", 100, 4);
    char line[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(line, sizeof(line), "record-%d", i);
        cr_assert(rw_ok(rw_client_produce_add(c, "t", line, (size_t)n)), "%s",
                  rw_client_last_error(c)->message);
    }
    struct rw_client_produce_summary s;
    cr_assert(rw_ok(rw_client_flush(c, &s)), "%s", rw_client_last_error(c)->message);
    cr_assert_eq(s.records, 1000);
    cr_assert_eq(s.first_offset, 0);
    cr_assert_eq(s.last_offset, 999);
    cr_assert_eq(mb.produce_frames, 10, "100 records a frame");
    cr_assert(rw_ok(rw_client_flush(c, &s)));
    cr_assert_eq(s.records, 0, "a summary covers one flush");
    uint64_t next = 0;
    while (next < 1000) {
        struct rw_client_batch b;
        cr_assert(rw_ok(rw_client_fetch(c, "t", next, 1000, &b)));
        cr_assert_gt(b.n, 0);
        for (size_t i = 0; i < b.n; i++, next++) {
            int n = snprintf(line, sizeof(line), "record-%llu", (unsigned long long)next);
            cr_assert_eq(b.records[i].value_len, (size_t)n);
            cr_assert_eq(memcmp(b.records[i].value, line, (size_t)n), 0);
        }
    }
    rw_client_close(c);
}

Test(rw_client, subscribe_polls_everything_granting_credit_as_it_goes)
{
    struct rw_client *p = connect_as("producer-1", 0, 0);
    char line[32];
    for (int i = 0; i < 95; i++) {
        int n = snprintf(line, sizeof(line), "m%d", i);
        cr_assert(rw_ok(rw_client_produce_add(p, "t", line, (size_t)n)));
    }
    cr_assert(rw_ok(rw_client_flush(p, NULL)));
    rw_client_close(p);

    struct rw_client *c = connect_as("consumer-1", 0, 0);
    uint64_t start = 99;
    cr_assert(rw_ok(rw_client_subscribe(c, "t", 0, false, 10, &start)), "%s",
              rw_client_last_error(c)->message);
    cr_assert_eq(start, 0);
    cr_assert_eq(rw_client_subscribe(c, "t", 0, false, 10, NULL).err, RW_ERR_STATE);
    uint64_t got = 0;
    while (got < 95) {
        struct rw_client_batch b;
        struct rw_result r = rw_client_poll(c, 5000, &b);
        cr_assert(rw_ok(r), "stalled at %llu: %s", (unsigned long long)got,
                  rw_client_last_error(c)->message);
        for (size_t i = 0; i < b.n; i++, got++) {
            int n = snprintf(line, sizeof(line), "m%llu", (unsigned long long)got);
            cr_assert_eq(b.records[i].offset, got);
            cr_assert_eq(memcmp(b.records[i].value, line, (size_t)n), 0);
        }
    }
    struct rw_client_batch b;
    cr_assert_eq(rw_client_poll(c, 100, &b).err, RW_ERR_BLOCKED);
    cr_assert_eq(b.n, 0);
    cr_assert_geq(mb.credit_frames, 95 / 10, "credit came back in steps of about half");
    cr_assert_leq(mb.credit, 10, "never more than the window granted");
    rw_client_close(c);
}

Test(rw_client, subscribe_from_the_end_sees_only_new_records)
{
    struct rw_client *c = connect_as("producer-1", 0, 0);
    struct rw_client_record r = {.value = (const uint8_t *)"old", .value_len = 3};
    uint64_t base;
    cr_assert(rw_ok(rw_client_produce(c, "t", &r, 1, &base)));
    uint64_t start = 0;
    cr_assert(rw_ok(rw_client_subscribe(c, "t", 0, true, 0, &start)));
    cr_assert_eq(start, 1);
    struct rw_client_batch b;
    cr_assert_eq(rw_client_poll(c, 50, &b).err, RW_ERR_BLOCKED);
    r.value = (const uint8_t *)"new";
    cr_assert(rw_ok(rw_client_produce(c, "t", &r, 1, &base)), "%s",
              rw_client_last_error(c)->message);
    cr_assert(rw_ok(rw_client_poll(c, 5000, &b)));
    cr_assert_eq(b.n, 1);
    cr_assert_eq(b.base_offset, 1);
    cr_assert_eq(memcmp(b.records[0].value, "new", 3), 0);
    rw_client_close(c);
}

Test(rw_client, a_waiting_consumer_sends_keepalive_pings)
{
    struct rw_client_opts o = {.host = "127.0.0.1", .port = port,
                               .cert_file = file("consumer-1.pem"),
                               .key_file = file("consumer-1.key"),
                               .ca_file = file("ca-chain.pem"), .keepalive_ms = 100};
    struct rw_client *c = NULL;
    struct rw_client_error err;
    cr_assert(rw_ok(rw_client_connect(&o, &c, &err)), "%s", err.message);
    cr_assert(rw_ok(rw_client_subscribe(c, "t", 0, true, 0, NULL)));
    struct rw_client_batch b;
    cr_assert_eq(rw_client_poll(c, 450, &b).err, RW_ERR_BLOCKED);
    cr_assert_eq(b.n, 0);
    cr_assert(rw_ok(rw_client_ping(c)), "Pongs of keepalives were dropped quietly");
    cr_assert_geq(mb.pings, 3, "pings: %d", mb.pings);
    cr_assert_leq(mb.pings, 6, "pings: %d", mb.pings);
    rw_client_close(c);
}

Test(rw_client, a_request_error_carries_code_and_message_and_the_connection_lives)
{
    struct rw_client *c = connect_as("producer-1", 0, 0);
    struct rw_client_record r = {.value = (const uint8_t *)"x", .value_len = 1};
    uint64_t base;
    struct rw_result res = rw_client_produce(c, "forbidden", &r, 1, &base);
    cr_assert_eq(res.err, RW_ERR_AUTH_INVALID);
    cr_assert_eq(rw_client_last_error(c)->code, RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    cr_assert_str_eq(rw_client_last_error(c)->message, "producer-1 may not produce to forbidden");
    cr_assert(rw_ok(rw_client_ping(c)));
    cr_assert_eq(rw_client_last_error(c)->code, 0, "cleared by the next call");
    cr_assert(rw_ok(rw_client_produce_add(c, "forbidden", "y", 1)));
    cr_assert_not(rw_ok(rw_client_flush(c, NULL)), "a batched produce fails at flush");
    cr_assert_eq(rw_client_last_error(c)->code, RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    struct rw_client_batch b;
    cr_assert_eq(rw_client_poll(c, 0, &b).err, RW_ERR_STATE, "no subscription");
    rw_client_close(c);
}

Test(rw_client, a_connection_level_error_ends_the_connection)
{
    struct rw_client *c = connect_as("producer-1", 0, 0);
    cr_assert(rw_ok(rw_client_produce_add(c, "revoke-me", "x", 1)));
    cr_assert_eq(rw_client_flush(c, NULL).err, RW_ERR_AUTH_REVOKED);
    const struct rw_client_error *e = rw_client_last_error(c);
    cr_assert_eq(e->code, RINGWARD__ERROR_CODE__REVOKED);
    cr_assert_str_eq(e->message, "certificate revoked (keyCompromise)");
    cr_assert_eq(rw_client_ping(c).err, RW_ERR_AUTH_REVOKED, "dead for good");
    cr_assert_str_eq(rw_client_last_error(c)->message, "certificate revoked (keyCompromise)");
    rw_client_close(c);
}

/* ---- CLI ---- */

/* Runs a shell command, capturing stdout+stderr; no sanitizer report allowed. */
static int cli(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cli(char **out, const char *fmt, ...)
{
    char cmd[8000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char *o = NULL;
    int rc = tl_sh(&o, "%s", cmd);
    cr_assert_not_null(o);
    cr_assert_eq(tl_count(o, "Sanitizer"), 0, "%s", o);
    cr_assert_eq(tl_count(o, "runtime error"), 0, "%s", o);
    *out = o;
    return rc;
}

static const char *conn_args(const char *who)
{
    static char buf[3000];
    snprintf(buf, sizeof(buf), "--broker 127.0.0.1:%u --cert %s/pki/%s.pem --key %s/pki/%s.key "
             "--ca %s/pki/ca-chain.pem", (unsigned)port, pki, who, pki, who, pki);
    return buf;
}

#define CLIENT tl_bin("ringward-client")

Test(rw_client, cli_produces_stdin_lines_and_consumes_them_back)
{
    char *out = NULL;
    int rc = cli(&out, "seq 1 3000 | sed 's/^/line /' | %s produce --topic demo %s "
                       "--batch-records 500", CLIENT, conn_args("producer-1"));
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_str_eq(out, "produced 3000 records to demo (offsets 0..2999)\n");
    cr_assert_eq(mb.produce_frames, 6);
    free(out);

    rc = cli(&out, "%s consume --topic demo --from-beginning -n 3000 %s > %s/out.txt", CLIENT,
             conn_args("consumer-1"), tmp);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_str_eq(out, "", "nothing on stderr");
    free(out);
    rc = tl_sh(&out, "seq 1 3000 | sed 's/^/line /' | cmp - %s/out.txt", tmp);
    cr_assert_eq(rc, 0, "byte-identical and in order: %s", out);
    free(out);
}

Test(rw_client, cli_consume_stops_after_n_and_waits_for_new_records)
{
    char *out = NULL;
    cr_assert_eq(cli(&out, "printf 'a\\n\\nc' | %s produce --topic t %s", CLIENT,
                     conn_args("producer-1")), 0, "%s", out);
    cr_assert(strstr(out, "produced 3 records to t (offsets 0..2)"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "%s consume --topic t --offset 1 -n 2 %s", CLIENT,
                     conn_args("consumer-1")), 0, "%s", out);
    cr_assert_str_eq(out, "\nc\n", "an empty record, and the last line without newline");
    free(out);
    cr_assert_eq(cli(&out, "%s consume --topic t --wait 300 %s", CLIENT,
                     conn_args("consumer-1")), 1, "%s", out);
    cr_assert(strstr(out, "no record for 300 ms"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "timeout --preserve-status -s INT 1 %s consume --topic t %s", CLIENT,
                     conn_args("consumer-1")), 0, "SIGINT ends a consume cleanly: %s", out);
    cr_assert_str_eq(out, "");
    free(out);
}

Test(rw_client, cli_prints_the_broker_error_code_and_message)
{
    char *out = NULL;
    cr_assert_eq(cli(&out, "echo x | %s produce --topic revoke-me %s", CLIENT,
                     conn_args("producer-1")), 1, "%s", out);
    cr_assert_str_eq(out, "ringward-client: REVOKED: certificate revoked (keyCompromise)\n");
    free(out);
    cr_assert_eq(cli(&out, "echo x | %s produce --topic forbidden %s", CLIENT,
                     conn_args("producer-1")), 1, "%s", out);
    cr_assert(strstr(out, "PERMISSION_DENIED: producer-1 may not produce to forbidden"), "%s",
              out);
    free(out);
}

Test(rw_client, cli_usage_help_version_and_local_failures)
{
    char *out = NULL;
    cr_assert_eq(cli(&out, "%s produce", CLIENT), 2, "%s", out);
    cr_assert(strstr(out, "--topic is required"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "%s consume --topic t --bogus", CLIENT), 2);
    free(out);
    cr_assert_eq(cli(&out, "%s produce --topic t --from-beginning", CLIENT), 2);
    free(out);
    cr_assert_eq(cli(&out, "%s frobnicate", CLIENT), 2);
    free(out);
    cr_assert_eq(cli(&out, "%s", CLIENT), 2);
    free(out);
    cr_assert_eq(cli(&out, "%s consume --help", CLIENT), 0);
    cr_assert(strstr(out, "SYNOPSIS") && strstr(out, "--from-beginning") &&
              strstr(out, "EXIT STATUS"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "%s produce --help", CLIENT), 0);
    cr_assert(strstr(out, "--batch-records"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "%s --version", CLIENT), 0);
    cr_assert(strstr(out, "ringward-client 0.1.0"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "mkdir -p %s/empty && cd %s/empty && %s consume --topic t", tmp, tmp,
                     CLIENT), 1, "%s", out);
    cr_assert(strstr(out, "cannot read client certificate file ./data/pki/consumer-1.pem"),
              "defaults are ./data/pki: %s", out);
    free(out);
    /* In the directory holding data/pki, the defaults load; nobody listens on port 1. */
    cr_assert_eq(cli(&out, "cd %s && %s consume --topic t --broker 127.0.0.1:1", tmp, CLIENT), 1,
                 "%s", out);
    cr_assert(strstr(out, "ringward-client: connect to 127.0.0.1:1 failed: Connection refused"),
              "%s", out);
    free(out);
}

/* A broker that refuses the certificate at the TLS level: the CLI prints
 * the alert as a code and reason. */
static void setup_revoking(void) { start(X509_V_ERR_CERT_REVOKED); }

TestSuite(rw_client_revoking, .init = setup_revoking, .fini = teardown, .timeout = 120);

Test(rw_client_revoking, cli_revoked_at_handshake_prints_certificate_revoked)
{
    char *out = NULL;
    cr_assert_eq(cli(&out, "%s consume --topic t %s", CLIENT, conn_args("consumer-1")), 1, "%s",
                 out);
    cr_assert(strstr(out, "ringward-client: REVOKED: "), "%s", out);
    cr_assert(strstr(out, "certificate revoked"), "%s", out);
    free(out);
    cr_assert_eq(cli(&out, "echo x | %s produce --topic t %s", CLIENT, conn_args("producer-1")),
                 1, "%s", out);
    cr_assert(strstr(out, "REVOKED: ") && strstr(out, "certificate revoked"), "%s", out);
    free(out);
}
