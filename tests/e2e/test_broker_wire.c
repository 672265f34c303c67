/* End-to-end: bad input on the wire closes only the offending connection;
 * a well-behaved client on the same broker keeps working throughout. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;
static char ca[1200], cert[1200], key[1200];

static void setup(void)
{
    cr_assert(tl_broker_init(&b, "brk-wire"));
    /* The well-behaved client writes and reads back its own topic. */
    cr_assert_gt(tl_broker_acl_add(&b, "producer-1", "health", "produce,consume", true), 0);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.pki);
}

static void teardown(void) { tl_broker_fini(&b); }

TestSuite(broker_wire, .init = setup, .fini = teardown, .timeout = 180);

static void connect_ok(struct tl_wire *w)
{
    cr_assert(tl_wire_connect(w, b.d.port, cert, key, ca), "TLS connect failed");
}

/* Sends a whole frame message and reads one reply frame. */
static struct tl_frame roundtrip(struct tl_wire *w, struct tl_pb *m, uint8_t **body)
{
    cr_assert(tl_wire_send(w, m->data, m->len));
    tl_pb_free(m);
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(w, body, &len), 1, "no reply frame");
    struct tl_frame f;
    cr_assert(tl_frame_parse(*body, len, &f), "unparseable reply");
    return f;
}

/* The well-behaved client: produce one record and fetch it back. */
static void healthy(struct tl_wire *w, int i)
{
    char val[32];
    snprintf(val, sizeof(val), "healthy-%d", i);
    const char *vals[] = {val};
    struct tl_pb m = {0};
    tl_msg_produce(&m, (uint64_t)i, "health", vals, NULL, 1);
    uint8_t *body = NULL;
    struct tl_frame f = roundtrip(w, &m, &body);
    cr_assert_eq(f.body, 4, "ProduceResponse expected, got field %u", f.body);
    struct tl_pb_field off;
    uint64_t base = tl_pb_find(f.p, f.n, 1, &off) ? off.v : 0;
    free(body);
    tl_msg_fetch(&m, (uint64_t)i + 1000000, "health", base, 0);
    f = roundtrip(w, &m, &body);
    cr_assert_eq(f.body, 6);
    struct tl_pb_field rec, v;
    cr_assert(tl_pb_find(f.p, f.n, 2, &rec));
    cr_assert(tl_pb_find(rec.p, rec.n, 1, &v));
    cr_assert_eq(v.n, strlen(val));
    cr_assert_eq(memcmp(v.p, val, v.n), 0);
    free(body);
}

/* Reads until the broker closes; true when it did within the socket timeout. */
static bool raw_closed(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return true;
        }
        if (n < 0) {
            return false; /* timeout */
        }
    }
}

Test(broker_wire, garbage_before_the_handshake)
{
    cr_assert(tl_broker_start(&b, NULL));
    struct tl_wire good;
    connect_ok(&good);
    healthy(&good, 1);
    int fd = tl_tcp_connect(b.d.port);
    cr_assert_geq(fd, 0);
    const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(send(fd, junk, sizeof(junk) - 1, 0), (ssize_t)sizeof(junk) - 1);
    cr_assert(raw_closed(fd), "the broker closed the garbage connection");
    close(fd);
    cr_assert(tl_daemon_wait_log(&b.d, "event=handshake_rejected", 1, 10000));
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "reason=TLS"), "%s", log);
    free(log);
    healthy(&good, 2);
    tl_wire_close(&good);
}

Test(broker_wire, stalled_handshake_times_out)
{
    cr_assert(tl_broker_start(&b, "--handshake-timeout 500ms"));
    struct tl_wire good;
    connect_ok(&good);
    int fd = tl_tcp_connect(b.d.port);
    cr_assert_geq(fd, 0);
    const unsigned char partial[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}; /* half a ClientHello */
    cr_assert_eq(send(fd, partial, sizeof(partial), 0), (ssize_t)sizeof(partial));
    long long t0 = tl_now_ms();
    cr_assert(raw_closed(fd));
    long long waited = tl_now_ms() - t0;
    close(fd);
    cr_assert_lt(waited, 8000, "closed after %lld ms", waited);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=HANDSHAKE_TIMEOUT", 1, 10000));
    healthy(&good, 1);
    tl_wire_close(&good);
}

static void expect_error_then_close(struct tl_wire *w, uint64_t code)
{
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(w, &body, &len), 1, "an Error frame comes first");
    struct tl_frame f;
    cr_assert(tl_frame_parse(body, len, &f));
    cr_assert_eq(f.body, 2, "Error expected, got field %u", f.body);
    struct tl_pb_field c;
    cr_assert(tl_pb_find(f.p, f.n, 1, &c));
    cr_assert_eq(c.v, code);
    free(body);
    body = NULL;
    cr_assert_neq(tl_wire_read_frame(w, &body, &len), 1, "then the connection closes");
    free(body);
}

Test(broker_wire, oversized_frame_length)
{
    cr_assert(tl_broker_start(&b, "--max-frame-size 64K"));
    struct tl_wire good, bad;
    connect_ok(&good);
    connect_ok(&bad);
    const uint8_t hdr[] = {0x00, 0x01, 0x00, 0x01}; /* 64 KiB + 1 */
    cr_assert(tl_wire_send(&bad, hdr, sizeof(hdr)));
    expect_error_then_close(&bad, 5 /* RESOURCE_EXHAUSTED */);
    tl_wire_close(&bad);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=PROTO_TOO_LARGE", 1, 10000));
    healthy(&good, 1);
    tl_wire_close(&good);
}

Test(broker_wire, malformed_frame_body)
{
    cr_assert(tl_broker_start(&b, NULL));
    struct tl_wire good, bad;
    connect_ok(&good);
    connect_ok(&bad);
    const uint8_t junk[] = {0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff};
    cr_assert(tl_wire_send(&bad, junk, sizeof(junk)));
    expect_error_then_close(&bad, 4 /* INVALID_ARGUMENT */);
    tl_wire_close(&bad);
    healthy(&good, 1);
    tl_wire_close(&good);
}

Test(broker_wire, truncated_frame_then_close)
{
    cr_assert(tl_broker_start(&b, "--log-level debug")); /* peer_close_notify is debug */
    struct tl_wire good, bad;
    connect_ok(&good);
    connect_ok(&bad);
    const uint8_t part[] = {0, 0, 0, 100, 0x08, 0x01, 0x1a};
    cr_assert(tl_wire_send(&bad, part, sizeof(part)));
    tl_wire_close(&bad);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=peer_close_notify", 1, 10000));
    healthy(&good, 1);
    /* Truncated and left hanging: the broker waits for the rest, others go on. */
    connect_ok(&bad);
    cr_assert(tl_wire_send(&bad, part, sizeof(part)));
    healthy(&good, 2);
    tl_wire_close(&bad);
    tl_wire_close(&good);
}

/* Requests the output cap left waiting are served once the output drains,
 * with nothing more arriving from the client. */
Test(broker_wire, pipelined_fetches_beyond_the_output_cap_are_all_answered)
{
    cr_assert(tl_broker_start(&b, "--workers 1 --max-output-bytes 64K"));
    struct tl_wire w;
    connect_ok(&w);
    static char big[30000];
    memset(big, 'x', sizeof(big));
    const char *vals[8];
    size_t lens[8];
    for (int i = 0; i < 8; i++) {
        vals[i] = big;
        lens[i] = sizeof(big);
    }
    struct tl_pb m = {0};
    tl_msg_produce(&m, 1, "health", vals, lens, 8);
    uint8_t *body = NULL;
    struct tl_frame f = roundtrip(&w, &m, &body);
    cr_assert_eq(f.body, 4, "ProduceResponse expected, got field %u", f.body);
    free(body);
    /* Twenty Fetch frames in one write (one TLS record): each answer
     * (~240 KB) fills the 64K output cap, the rest wait in the broker. */
    uint8_t batch[4096];
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        tl_msg_fetch(&m, 100 + (uint64_t)i, "health", 0, 1 << 20);
        cr_assert_leq(n + m.len, sizeof(batch));
        memcpy(batch + n, m.data, m.len);
        n += m.len;
        tl_pb_free(&m);
    }
    cr_assert(tl_wire_send(&w, batch, n));
    for (int i = 0; i < 20; i++) {
        size_t len = 0;
        cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 1, "answer %d of 20", i + 1);
        cr_assert(tl_frame_parse(body, len, &f));
        cr_assert_eq(f.body, 6, "FetchResponse expected, got field %u", f.body);
        free(body);
    }
    tl_wire_close(&w);
}

#define FLOOD_FETCHES 100
#define FLOOD_FRAMES 2000 /* of 60 KB: 120 MB */

/* A client that writes without ever reading: once its output is full and
 * BRK_IN_HOLD_BYTES wait unread, the broker stops reading it, so TCP holds
 * the client back instead of the broker buffering 120 MB; others are served
 * meanwhile, and every frame the client got out is answered once it reads
 * (reading resumes when the output drains). */
Test(broker_wire, a_client_that_never_reads_is_held_back_by_tcp_not_broker_memory)
{
    cr_assert(tl_broker_start(&b, "--workers 1 --max-output-bytes 64K"));
    struct tl_wire w;
    connect_ok(&w);
    static char big[60000];
    memset(big, 'x', sizeof(big));
    const char *vals[4] = {big, big, big, big};
    size_t lens[4] = {30000, 30000, 30000, 30000};
    struct tl_pb m = {0};
    tl_msg_produce(&m, 1, "health", vals, lens, 4);
    uint8_t *reply = NULL;
    struct tl_frame f = roundtrip(&w, &m, &reply);
    cr_assert_eq(f.body, 4, "ProduceResponse expected, got field %u", f.body);
    free(reply);
    /* 100 answers of ~120 KB the client does not read fill the socket
     * buffers and then the 64K output cap. */
    for (int i = 0; i < FLOOD_FETCHES; i++) {
        tl_msg_fetch(&m, 2, "health", 0, 1 << 20);
        cr_assert(tl_wire_send(&w, m.data, m.len));
        tl_pb_free(&m);
    }

    struct timeval tv = {.tv_sec = 1};
    cr_assert_eq(setsockopt(w.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
    struct tl_pb body = {0}, junk = {0};
    tl_pb_u64(&body, 1, 3);
    tl_pb_bytes(&body, 15, big, sizeof(big)); /* answered INVALID_ARGUMENT */
    tl_pb_frame(&junk, &body);
    tl_pb_free(&body);
    int sent = 0;
    while (sent < FLOOD_FRAMES && tl_wire_send(&w, junk.data, junk.len)) {
        sent++;
    }
    tl_pb_free(&junk);
    /* What got out is what the socket buffers hold (tcp_rmem's maximum is
     * 32 MB here, tcp_wmem's 4 MB) plus BRK_IN_HOLD_BYTES; without the hold
     * the broker reads all 120 MB into memory. (RSS is no measure under
     * ASan's quarantine.) */
    cr_assert_lt(sent, FLOOD_FRAMES * 6 / 10, "the broker took %d of %d frames (%d MB) instead "
                 "of holding the client back", sent, FLOOD_FRAMES, sent * 60 / 1000);

    struct tl_wire good;
    connect_ok(&good);
    healthy(&good, 1);
    tl_wire_close(&good);

    /* Reading now: the fetch answers, then one answer per frame sent whole. */
    int fetches = 0, errors = 0;
    for (int i = 0; i < sent + FLOOD_FETCHES; i++) {
        size_t len = 0;
        cr_assert_eq(tl_wire_read_frame(&w, &reply, &len), 1, "answer %d of %d", i + 1,
                     sent + FLOOD_FETCHES);
        cr_assert(tl_frame_parse(reply, len, &f));
        fetches += f.body == 6;
        errors += f.body == 2 && f.corr == 3;
        free(reply);
    }
    cr_assert_eq(fetches, FLOOD_FETCHES);
    cr_assert_eq(errors, sent, "every frame is answered, nothing lost");
    tl_wire_close(&w);
}

Test(broker_wire, unknown_message_type_keeps_the_connection)
{
    cr_assert(tl_broker_start(&b, NULL));
    struct tl_wire w;
    connect_ok(&w);
    struct tl_pb body = {0}, m = {0};
    tl_pb_u64(&body, 1, 33);
    tl_pb_bytes(&body, 15, "", 0); /* a body field this broker does not know */
    tl_pb_frame(&m, &body);
    tl_pb_free(&body);
    uint8_t *reply = NULL;
    struct tl_frame f = roundtrip(&w, &m, &reply);
    cr_assert_eq(f.corr, 33);
    cr_assert_eq(f.body, 2);
    struct tl_pb_field c;
    cr_assert(tl_pb_find(f.p, f.n, 1, &c));
    cr_assert_eq(c.v, 4, "INVALID_ARGUMENT");
    free(reply);
    healthy(&w, 1);
    tl_wire_close(&w);
}

Test(broker_wire, max_connections_refuses_beyond_the_limit)
{
    cr_assert(tl_broker_start(&b, "--max-connections 3 --workers 1"));
    struct tl_wire a, c;
    connect_ok(&a);
    connect_ok(&c);
    int fd = tl_tcp_connect(b.d.port);
    cr_assert_geq(fd, 0);
    int extra = tl_tcp_connect(b.d.port);
    cr_assert_geq(extra, 0);
    cr_assert(raw_closed(extra), "the fourth connection is closed at once");
    close(extra);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=max_connections", 1, 10000));
    close(fd);
    healthy(&a, 1);
    tl_wire_close(&a);
    tl_wire_close(&c);
}

/* A consumer waiting on a quiet topic is not idle: the idle timeout closes
 * a silent connection without a subscription (waited for, bounded by the
 * socket timeout) and leaves the subscriber, silent longer, open. */
Test(broker_wire, idle_timeout_spares_a_connection_with_a_live_subscription)
{
    cr_assert(tl_broker_start(&b, "--idle-timeout 1s --workers 1"));
    struct tl_wire sub, idle, prod;
    connect_ok(&sub);
    struct tl_pb m = {0};
    tl_msg_subscribe(&m, 55, "health", true, 1000);
    uint8_t *reply = NULL;
    struct tl_frame f = roundtrip(&sub, &m, &reply);
    cr_assert_eq(f.body, TL_BODY_SUBSCRIBE_OK);
    free(reply);
    connect_ok(&idle); /* silent from after the subscriber's last request */
    cr_assert(tl_wire_ping(&idle, 1));
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(&idle, &reply, &len), 0,
                 "the silent connection is closed (close_notify) by the idle timeout");
    tl_wire_close(&idle);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=idle_timeout", 1, 5000));
    cr_assert(tl_wire_ping(&sub, 2), "the subscriber, silent for longer, is still open");
    connect_ok(&prod);
    healthy(&prod, 1);
    bool delivered = false;
    while (!delivered) { /* bounded: 10 s receive timeout */
        cr_assert_eq(tl_wire_read_frame(&sub, &reply, &len), 1, "the subscription still pushes");
        cr_assert(tl_frame_parse(reply, len, &f));
        delivered = f.body == TL_BODY_DELIVERY && f.corr == 55;
        free(reply);
    }
    tl_wire_close(&prod);
    tl_wire_close(&sub);
}

#define ABANDONED 500

Test(broker_wire, five_hundred_abandoned_connections)
{
    cr_assert(tl_broker_start(&b, "--handshake-timeout 1s"));
    struct tl_wire good;
    connect_ok(&good);
    healthy(&good, 0);
    long base_rss = tl_daemon_rss_kib(&b.d);
    int fds[ABANDONED];
    for (int i = 0; i < ABANDONED; i++) {
        fds[i] = tl_tcp_connect(b.d.port);
        cr_assert_geq(fds[i], 0, "connect %d", i);
        if (i % 2) {
            const unsigned char partial[] = {0x16, 0x03, 0x01, 0x02, 0x00};
            send(fds[i], partial, sizeof(partial), 0);
        }
        if (i % 50 == 0) {
            healthy(&good, i + 1);
        }
    }
    for (int i = 0; i < ABANDONED; i += 2) {
        close(fds[i]); /* half go away at once, half are left to time out */
        fds[i] = -1;
    }
    healthy(&good, 1000);
    cr_assert(tl_daemon_wait_log(&b.d, "event=handshake_rejected", ABANDONED, 30000),
              "each abandoned connection is closed and logged once");
    char *log = tl_daemon_log(&b.d);
    cr_assert_geq(tl_count(log, "reason=HANDSHAKE_TIMEOUT"), ABANDONED / 2);
    free(log);
    for (int i = 1; i < ABANDONED; i += 2) {
        close(fds[i]);
    }
    healthy(&good, 1001);
    long rss = tl_daemon_rss_kib(&b.d);
    cr_assert_lt(rss, base_rss + 32 * 1024, "memory back near baseline: %ld KiB vs %ld KiB", rss,
                 base_rss);
    tl_wire_close(&good);
}
