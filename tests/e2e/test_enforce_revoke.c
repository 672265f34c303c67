/* End-to-end: live enforcement of revocations by the real `ringward`
 * daemon, driven by the real `ringward-admin` on the same data directory.
 *
 * Latency is measured from the moment the revocation is visible in the
 * store (a test thread polls the event log every millisecond while the
 * admin command runs) to the moment the consumer reads the REVOKED Error
 * frame, on the monotonic clock. The admin process's exit is recorded too
 * (an upper bound for the commit). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "security/store/store.h"
#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

#define RUNS 20
#define LIMIT_MS 1000

static struct tl_broker b;

/* producer-1 produces to enf.live; every consumer of these tests reads it. */
static void setup(void)
{
    cr_assert(tl_broker_init(&b, "enf-revoke"));
    cr_assert_gt(tl_broker_acl_add(&b, "producer-1", "enf.live", "produce", true), 0);
    cr_assert_gt(tl_broker_acl_add(&b, "*", "enf.live", "consume", true), 0);
}
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(enforce_revoke, .init = setup, .fini = teardown, .timeout = 300);

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void paths(const char *dir, const char *who, char *cert, char *key, size_t cap)
{
    cr_assert((size_t)snprintf(cert, cap, "%s/%s.pem", dir, who) < cap, "path fits");
    cr_assert((size_t)snprintf(key, cap, "%s/%s.key", dir, who) < cap, "path fits");
}

static bool connect_as(struct tl_wire *w, const char *dir, const char *who)
{
    char cert[1200], key[1200], ca[1200];
    paths(dir, who, cert, key, sizeof(cert));
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    return tl_wire_connect(w, b.d.port, cert, key, ca);
}

/* --- a producer that keeps producing on its own connection ------------ */

struct producer {
    struct tl_wire w;
    pthread_t thread;
    _Atomic bool stop;
    _Atomic long ok, failed;
};

static void *produce_loop(void *arg)
{
    struct producer *p = arg;
    for (uint64_t corr = 1; !atomic_load(&p->stop); corr++) {
        const char *val = "tick";
        struct tl_pb m = {0};
        tl_msg_produce(&m, corr, "enf.live", &val, NULL, 1);
        bool ok = tl_wire_send(&p->w, m.data, m.len);
        tl_pb_free(&m);
        uint8_t *body = NULL;
        size_t len = 0;
        struct tl_frame f;
        ok = ok && tl_wire_read_frame(&p->w, &body, &len) == 1 && tl_frame_parse(body, len, &f) &&
             f.body == TL_BODY_PRODUCE_OK && f.corr == corr;
        free(body);
        atomic_fetch_add(ok ? &p->ok : &p->failed, 1);
        if (!ok) {
            break;
        }
        nap_ms(5);
    }
    return NULL;
}

static void producer_start(struct producer *p)
{
    memset(p, 0, sizeof(*p));
    cr_assert(connect_as(&p->w, b.pki, "producer-1"));
    cr_assert_eq(pthread_create(&p->thread, NULL, produce_loop, p), 0);
}

static void producer_stop(struct producer *p)
{
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    tl_wire_close(&p->w);
}

static void wait_produced(struct producer *p, long more)
{
    long target = atomic_load(&p->ok) + more;
    long long end = tl_now_ms() + 10000;
    while (atomic_load(&p->ok) < target && atomic_load(&p->failed) == 0 && tl_now_ms() < end) {
        nap_ms(2);
    }
    cr_assert_eq(atomic_load(&p->failed), 0, "the producer's requests keep succeeding");
    cr_assert_geq(atomic_load(&p->ok), target, "the producer keeps producing");
}

/* --- a subscribed consumer read by its own thread --------------------- */

struct consumer {
    struct tl_wire w;
    pthread_t thread;
    _Atomic long deliveries;
    _Atomic long long t_error;   /* monotonic ms of the Error frame; 0 = none */
    int code;
    uint64_t corr;
    char msg[512];
    _Atomic long long t_closed;  /* when the connection ended */
    bool clean_close;            /* close_notify (not a reset or timeout) */
};

static void *consume_loop(void *arg)
{
    struct consumer *c = arg;
    for (;;) {
        uint8_t *body = NULL;
        size_t len = 0;
        int r = tl_wire_read_frame(&c->w, &body, &len);
        if (r != 1) {
            c->clean_close = r == 0;
            atomic_store(&c->t_closed, tl_now_ms());
            return NULL;
        }
        struct tl_frame f;
        if (tl_frame_parse(body, len, &f)) {
            if (f.body == TL_BODY_DELIVERY) {
                atomic_fetch_add(&c->deliveries, 1);
            } else if (f.body == TL_BODY_ERROR && atomic_load(&c->t_error) == 0) {
                long long t = tl_now_ms();
                tl_error_parse(&f, &c->code, c->msg, sizeof(c->msg));
                c->corr = f.corr;
                atomic_store(&c->t_error, t);
            }
        }
        free(body);
    }
}

static void consumer_start(struct consumer *c, const char *dir, const char *who)
{
    memset(c, 0, sizeof(*c));
    cr_assert(connect_as(&c->w, dir, who), "%s connects", who);
    struct tl_pb m = {0};
    tl_msg_subscribe(&m, 9, "enf.live", true, 1000000);
    cr_assert(tl_wire_send(&c->w, m.data, m.len));
    tl_pb_free(&m);
    cr_assert_eq(pthread_create(&c->thread, NULL, consume_loop, c), 0);
    long long end = tl_now_ms() + 10000;
    while (atomic_load(&c->deliveries) == 0 && tl_now_ms() < end) {
        nap_ms(2);
    }
    cr_assert_gt(atomic_load(&c->deliveries), 0, "%s receives records", who);
}

static void consumer_finish(struct consumer *c)
{
    pthread_join(c->thread, NULL); /* bounded: 10 s receive timeout */
    tl_wire_close(&c->w);
}

/* --- revocation with a commit watcher ---------------------------------- */

struct timing {
    long long start, commit, admin_exit;
};

static pid_t spawn_revoke(const char *serial)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "exec %s --data-dir %s certs revoke %s --reason keyCompromise "
             ">/dev/null 2>&1", tl_bin("ringward-admin"), b.data, serial);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Revokes `serial`; returns when the admin command exited and the event
 * is in the log, with the times. */
static struct timing revoke_serial(const char *serial)
{
    struct rw_store *s = NULL;
    cr_assert(rw_ok(rw_store_open(b.data, RW_STORE_OPEN_EXISTING, &s)));
    int64_t before = 0, now = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(s, &before)));
    struct timing t = {tl_now_ms(), 0, 0};
    pid_t pid = spawn_revoke(serial);
    cr_assert_gt(pid, 0);
    int status = 0;
    long long end = t.start + 20000;
    while ((t.commit == 0 || t.admin_exit == 0) && tl_now_ms() < end) {
        if (t.commit == 0 && rw_ok(rw_store_event_last_seq(s, &now)) && now > before) {
            t.commit = tl_now_ms();
        }
        if (t.admin_exit == 0 && waitpid(pid, &status, WNOHANG) == pid) {
            t.admin_exit = tl_now_ms();
        }
        nap_ms(1);
    }
    rw_store_close(s);
    if (t.admin_exit == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    cr_assert(t.admin_exit && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "ringward-admin certs revoke %s succeeded", serial);
    cr_assert_neq(t.commit, 0, "the revocation reached the event log");
    return t;
}

static int cmp_ll(const void *a, const void *b2)
{
    long long x = *(const long long *)a, y = *(const long long *)b2;
    return x < y ? -1 : x > y;
}

static void expect_revoked(struct consumer *c, const struct timing *t, long long *latency)
{
    long long end = tl_now_ms() + 5000;
    while (atomic_load(&c->t_error) == 0 && atomic_load(&c->t_closed) == 0 && tl_now_ms() < end) {
        nap_ms(1);
    }
    long long te = atomic_load(&c->t_error);
    cr_assert_neq(te, 0, "the consumer received an Error frame");
    cr_assert_eq(c->code, TL_ERR_REVOKED, "code REVOKED, got %d (%s)", c->code, c->msg);
    cr_assert_eq(c->corr, 0u, "the Error has correlation_id 0");
    cr_assert(strstr(c->msg, "revoked"), "the message gives the reason: %s", c->msg);
    consumer_finish(c);
    cr_assert(c->clean_close, "the broker closed with close_notify");
    cr_assert_lt(atomic_load(&c->t_closed) - te, LIMIT_MS, "disconnected right after the Error");
    *latency = te - t->commit;
    cr_assert_lt(*latency, LIMIT_MS, "revocation to REVOKED took %lld ms", *latency);
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

static long long wait_metric(const char *series, long long at_least)
{
    long long end = tl_now_ms() + 10000, v;
    while ((v = metric(series)) < at_least && tl_now_ms() < end) {
        nap_ms(20);
    }
    cr_assert_geq(v, at_least, "%s reached %lld (is %lld)", series, at_least, v);
    return v;
}

Test(enforce_revoke, consumer_revoked_while_receiving_gets_REVOKED_within_a_second_20_times)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s/consumers", b.dir);
    char names[RUNS][32];
    for (int i = 0; i < RUNS; i++) {
        snprintf(names[i], sizeof(names[i]), "consumer-r%02d", i);
        cr_assert(tl_broker_issue(&b, names[i], "consumer", dir, NULL));
    }
    cr_assert(tl_broker_start(&b, "--workers 2 --metrics 127.0.0.1:0"));
    cr_assert_gt(b.d.metrics_port, 0, "the ready file reports the metrics port");
    struct producer p;
    producer_start(&p);
    wait_produced(&p, 20);
    long long lat[RUNS], admin[RUNS];
    for (int i = 0; i < RUNS; i++) {
        struct consumer c;
        consumer_start(&c, dir, names[i]);
        char cert[1200], key[1200];
        paths(dir, names[i], cert, key, sizeof(cert));
        struct timing t = revoke_serial(tl_cert_serial(cert));
        expect_revoked(&c, &t, &lat[i]);
        admin[i] = atomic_load(&c.t_error) - t.start;
        wait_produced(&p, 10); /* the other certificate is untouched */
    }
    long long sorted[RUNS];
    memcpy(sorted, lat, sizeof(lat));
    qsort(sorted, RUNS, sizeof(sorted[0]), cmp_ll);
    long long median = (sorted[RUNS / 2 - 1] + sorted[RUNS / 2]) / 2;
    printf("revocation committed -> REVOKED received, %d runs: median %lld ms, worst %lld ms, "
           "best %lld ms\n", RUNS, median, sorted[RUNS - 1], sorted[0]);
    qsort(admin, RUNS, sizeof(admin[0]), cmp_ll);
    printf("`ringward-admin certs revoke` started -> REVOKED received: median %lld ms, worst "
           "%lld ms\n", (admin[RUNS / 2 - 1] + admin[RUNS / 2]) / 2, admin[RUNS - 1]);
    fflush(stdout);
    producer_stop(&p);
    cr_assert_geq(metric("ringward_revocations_applied_total"), RUNS);
    wait_metric("ringward_live_connections_closed_total{reason=\"revoked\"}", RUNS);
    wait_metric("ringward_connections_closed_total{reason=\"revoked\"}", RUNS);
    cr_assert_geq(metric("ringward_connections_accepted_total"), RUNS + 1);
    cr_assert_eq(metric("ringward_event_log_lag"), 0);
    /* Each revocation extended the current snapshot (no reload of the set). */
    cr_assert(tl_daemon_wait_log(&b.d, "event=trust_reloaded cause=revocation", RUNS, 1000));
}

/* An intermediate: clients under it go, clients under the other stay. */
Test(enforce_revoke, revoking_an_intermediate_disconnects_every_client_under_it_and_nobody_else)
{
    char *out = NULL;
    cr_assert_eq(tl_broker_admin(&b, &out, "ca intermediate --parent-ca root-ca --cn 'Second CA'"),
                 0, "%s", out);
    free(out);
    char dir2[1200], dir1[1200];
    snprintf(dir2, sizeof(dir2), "%s/second", b.dir);
    snprintf(dir1, sizeof(dir1), "%s/first", b.dir);
    cr_assert(tl_broker_issue(&b, "s-cons-1", "consumer", dir2, "--ca-id second-ca"));
    cr_assert(tl_broker_issue(&b, "s-cons-2", "consumer", dir2, "--ca-id second-ca"));
    cr_assert(tl_broker_issue(&b, "f-cons-1", "consumer", dir1, NULL));
    cr_assert(tl_broker_start(&b, "--workers 2"));
    struct producer p;
    producer_start(&p);
    struct consumer s1, s2, f1;
    consumer_start(&s1, dir2, "s-cons-1");
    consumer_start(&s2, dir2, "s-cons-2");
    consumer_start(&f1, dir1, "f-cons-1");
    struct tl_wire other;
    cr_assert(connect_as(&other, b.pki, "consumer-1"));
    char *json = NULL;
    cr_assert_eq(tl_broker_admin(&b, &json, "ca list --json"), 0);
    const char *at = strstr(json, "\"id\":\"second-ca\"");
    cr_assert_not_null(at, "%s", json);
    const char *ser = strstr(at, "\"serial\":\"");
    cr_assert_not_null(ser);
    char serial[64] = "";
    sscanf(ser + 10, "%63[0-9A-Fa-f]", serial);
    free(json);
    struct timing t = revoke_serial(serial);
    long long l1, l2;
    expect_revoked(&s1, &t, &l1);
    expect_revoked(&s2, &t, &l2);
    printf("intermediate revoked -> REVOKED: %lld ms and %lld ms\n", l1, l2);
    cr_assert(tl_wire_ping(&other, 41), "a client of the other intermediate stays connected");
    wait_produced(&p, 10);
    cr_assert_eq(atomic_load(&f1.t_error), 0, "nobody else got an Error");
    cr_assert_eq(atomic_load(&f1.t_closed), 0, "nobody else was disconnected");
    struct tl_wire again;
    cr_assert_not(connect_as(&again, dir2, "s-cons-1") && tl_wire_ping(&again, 1),
                  "a new handshake under the revoked intermediate is refused");
    tl_wire_close(&again);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=AUTH_REVOKED", 1, 10000));
    tl_wire_close(&other);
    producer_stop(&p);
    tl_daemon_stop(&b.d, SIGTERM, 15000); /* ends f1's reader with close_notify */
    consumer_finish(&f1);
}

/* A session saved before the revocation cannot be resumed after it. */
Test(enforce_revoke, resumed_session_of_a_revoked_certificate_is_refused)
{
    char dir[1200], cert[1200], key[1200], ca[1200];
    snprintf(dir, sizeof(dir), "%s/res", b.dir);
    cr_assert(tl_broker_issue(&b, "resumer", "consumer", dir, NULL));
    paths(dir, "resumer", cert, key, sizeof(cert));
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    cr_assert(tl_broker_start(&b, "--workers 1 --log-level debug")); /* conn_established */
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, ca));
    cr_assert(tl_wire_ping(&w, 1));
    SSL_SESSION *s1 = tl_wire_session(&w);
    tl_wire_close(&w);
    cr_assert_not_null(s1, "a resumable session");
    cr_assert(tl_wire_connect_session(&w, b.d.port, cert, key, ca, s1));
    cr_assert(tl_wire_resumed(&w), "the saved session resumes before the revocation");
    cr_assert(tl_wire_ping(&w, 2));
    SSL_SESSION *s2 = tl_wire_session(&w);
    tl_wire_close(&w);
    SSL_SESSION_free(s1);
    cr_assert_not_null(s2);
    (void)revoke_serial(tl_cert_serial(cert));
    cr_assert(tl_daemon_wait_log(&b.d, "event=revocation_applied", 1, 10000));
    bool up = tl_wire_connect_session(&w, b.d.port, cert, key, ca, s2);
    bool served = up && tl_wire_ping(&w, 3);
    tl_wire_close(&w);
    SSL_SESSION_free(s2);
    cr_assert_not(served, "the resumed session of a revoked certificate is refused");
    cr_assert(tl_daemon_wait_log(&b.d, "reason=AUTH_REVOKED", 1, 10000));
    cr_assert(tl_daemon_wait_log(&b.d, "principal=resumer resumed=true", 1, 1000),
              "the earlier resumption really resumed");
}
