/* End-to-end: a connected client whose certificate expires is closed with
 * an EXPIRED Error frame at its notAfter (never before, soon after). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

#define AFTER_MAX_MS 1500

static struct tl_broker b;

static void setup(void) { cr_assert(tl_broker_init(&b, "enf-expiry")); }
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(enforce_expiry, .init = setup, .fini = teardown, .timeout = 120);

Test(enforce_expiry, three_second_certificate_is_disconnected_with_EXPIRED_at_its_notAfter)
{
    cr_assert(tl_broker_start(&b, "--workers 2 --metrics 127.0.0.1:0"));
    char dir[1100], cert[1200], key[1200], ca[1200];
    snprintf(dir, sizeof(dir), "%s/short", b.dir);
    snprintf(cert, sizeof(cert), "%s/shortlived.pem", dir);
    snprintf(key, sizeof(key), "%s/shortlived.key", dir);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    cr_assert(tl_broker_issue(&b, "shortlived", "consumer", dir, "--ttl 3s"));
    long long not_after = tl_cert_not_after(cert);
    cr_assert_gt(not_after, 0);
    struct tl_wire w, other;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, ca), "connects before its notAfter");
    cr_assert(tl_wire_ping(&w, 1));
    char pcert[1200], pkey[1200];
    snprintf(pcert, sizeof(pcert), "%s/producer-1.pem", b.pki);
    snprintf(pkey, sizeof(pkey), "%s/producer-1.key", b.pki);
    cr_assert(tl_wire_connect(&other, b.d.port, pcert, pkey, ca));
    /* Blocks (10 s receive timeout) until the broker speaks. */
    uint8_t *body = NULL;
    size_t len = 0;
    struct tl_frame f;
    cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 1, "an Error frame arrives");
    long long at = tl_wall_ms();
    cr_assert(tl_frame_parse(body, len, &f));
    int code = 0;
    char msg[512];
    cr_assert(tl_error_parse(&f, &code, msg, sizeof(msg)), "body %u", f.body);
    free(body);
    cr_assert_eq(code, TL_ERR_EXPIRED, "code EXPIRED, got %d (%s)", code, msg);
    cr_assert(strstr(msg, "expired"), "%s", msg);
    long long delta = at - not_after * 1000;
    printf("notAfter %lld, EXPIRED received %+lld ms from it\n", not_after, delta);
    fflush(stdout);
    cr_assert_geq(delta, 0, "not before notAfter (%lld ms early)", -delta);
    cr_assert_leq(delta, AFTER_MAX_MS, "within %d ms of notAfter (%lld ms)", AFTER_MAX_MS, delta);
    cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 0, "then close_notify");
    tl_wire_close(&w);
    cr_assert(tl_wire_ping(&other, 2), "a valid certificate stays connected");
    tl_wire_close(&other);
    cr_assert_not(tl_wire_connect(&w, b.d.port, cert, key, ca) && tl_wire_ping(&w, 3),
                  "the expired certificate cannot connect again");
    tl_wire_close(&w);
    int status = 0;
    char *text = NULL;
    cr_assert(tl_http_get(b.d.metrics_port, "/metrics", &status, &text));
    /* 1, or 2 when the refused reconnect fell in the notAfter second (the
     * handshake passes, notAfter being inclusive; the connection is closed
     * with EXPIRED at once). */
    cr_assert_geq(tl_metric(text, "ringward_live_connections_closed_total{reason=\"expired\"}"),
                  1, "%s", text);
    free(text);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=expired", 1, 5000));
}
