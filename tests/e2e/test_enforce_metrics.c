/* End-to-end: the Prometheus endpoint (--metrics) of the real daemon:
 * only GET /metrics answers, and the counters move with what happens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;

static void setup(void)
{
    cr_assert(tl_broker_init(&b, "enf-metrics"));
    cr_assert(tl_broker_start(&b, "--workers 2 --metrics 127.0.0.1:0"));
    cr_assert_gt(b.d.metrics_port, 0);
}

static void teardown(void) { tl_broker_fini(&b); }

TestSuite(enforce_metrics, .init = setup, .fini = teardown, .timeout = 120);

static char *scrape(void)
{
    int status = 0;
    char *text = NULL;
    cr_assert(tl_http_get(b.d.metrics_port, "/metrics", &status, &text));
    cr_assert_eq(status, 200);
    return text;
}

static long long metric(const char *series)
{
    char *text = scrape();
    long long v = tl_metric(text, series);
    free(text);
    return v;
}

static bool connect_as(struct tl_wire *w, const char *who)
{
    char cert[1200], key[1200], ca[1200];
    snprintf(cert, sizeof(cert), "%s/%s.pem", b.pki, who);
    snprintf(key, sizeof(key), "%s/%s.key", b.pki, who);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    return tl_wire_connect(w, b.d.port, cert, key, ca);
}

Test(enforce_metrics, only_get_metrics_is_served)
{
    int status = 0;
    char *body = NULL;
    cr_assert(tl_http_get(b.d.metrics_port, "/", &status, &body));
    cr_assert_eq(status, 404);
    free(body);
    cr_assert(tl_http_get(b.d.metrics_port, "/metricsx", &status, NULL));
    cr_assert_eq(status, 404);
    int fd = tl_tcp_connect(b.d.metrics_port);
    cr_assert_geq(fd, 0);
    const char req[] = "POST /metrics HTTP/1.0\r\n\r\n";
    cr_assert_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
    char buf[64] = "";
    cr_assert_gt(recv(fd, buf, sizeof(buf) - 1, 0), 12);
    cr_assert(strncmp(buf, "HTTP/1.0 404", 12) == 0, "%s", buf);
    close(fd);
    /* An endless request line is cut off at the size bound. */
    fd = tl_tcp_connect(b.d.metrics_port);
    char junk[8192];
    memset(junk, 'a', sizeof(junk));
    (void)send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
    memset(buf, 0, sizeof(buf));
    cr_assert_gt(recv(fd, buf, sizeof(buf) - 1, 0), 12);
    cr_assert(strncmp(buf, "HTTP/1.0 400", 12) == 0, "%s", buf);
    close(fd);
    char *text = scrape();
    cr_assert(strstr(text, "# TYPE ringward_connections gauge"), "%s", text);
    cr_assert(strstr(text, "ringward_handshakes_failed_total{reason=\"revoked\"} "), "%s", text);
    cr_assert(strstr(text, "ringward_event_log_lag 0"), "%s", text);
    free(text);
}

Test(enforce_metrics, counters_move_with_connections_records_and_handshakes)
{
    long long accepted = metric("ringward_connections_accepted_total");
    struct tl_wire p, c;
    cr_assert(connect_as(&p, "producer-1"));
    cr_assert(connect_as(&c, "consumer-1"));
    const char *vals[] = {"hello", "world!"};
    struct tl_pb m = {0};
    tl_msg_produce(&m, 1, "demo.m-t", vals, NULL, 2);
    cr_assert(tl_wire_send(&p, m.data, m.len));
    tl_pb_free(&m);
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(&p, &body, &len), 1);
    free(body);
    tl_msg_fetch(&m, 2, "demo.m-t", 0, 0);
    cr_assert(tl_wire_send(&c, m.data, m.len));
    tl_pb_free(&m);
    cr_assert_eq(tl_wire_read_frame(&c, &body, &len), 1);
    free(body);
    char *text = scrape();
    cr_assert_eq(tl_metric(text, "ringward_connections_accepted_total"), accepted + 2, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_connections"), 2, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_produce_records_total"), 2, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_produce_bytes_total"), 11, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_consume_records_total"), 2, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_consume_bytes_total"), 11, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_handshakes_total{type=\"full\"}"), 2, "%s", text);
    cr_assert_eq(tl_metric(text, "ringward_validation_cache_misses_total") +
                     tl_metric(text, "ringward_validation_cache_hits_total"), 2, "%s", text);
    free(text);
    tl_wire_close(&p);
    tl_wire_close(&c);
    long long end = tl_now_ms() + 10000;
    while (metric("ringward_connections_closed_total{reason=\"peer_closed\"}") < 2 &&
           tl_now_ms() < end) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(metric("ringward_connections_closed_total{reason=\"peer_closed\"}"), 2);
    cr_assert_eq(metric("ringward_connections"), 0);
}
