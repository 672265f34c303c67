/* End-to-end: the real `ringward` daemon's handshake policy, checked with
 * openssl s_client and a small TLS client; every rejection must appear in
 * the broker's log with its reason. */
#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_pki.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;

static void setup(void) { cr_assert(tl_broker_init(&b, "brk-tls")); }
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(broker_tls, .init = setup, .fini = teardown, .timeout = 120);

static void write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    fclose(f);
}

/* s_client with the given identity; returns its output (caller frees). */
static char *s_client(const char *cert, const char *key)
{
    char *out = NULL;
    char id[4096] = "";
    if (cert) {
        snprintf(id, sizeof(id), "-cert %s -key %s", cert, key);
    }
    tl_sh(&out, "echo Q | timeout 20 openssl s_client -connect 127.0.0.1:%d %s -CAfile "
                "%s/ca-chain.pem </dev/null",
          b.d.port, id, b.pki);
    return out;
}

/* A frame round trip (Ping -> Pong) as `name` from DATA/pki. */
static bool ping_as(const char *name)
{
    char cert[1200], key[1200], ca[1200];
    snprintf(cert, sizeof(cert), "%s/%s.pem", b.pki, name);
    snprintf(key, sizeof(key), "%s/%s.key", b.pki, name);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    struct tl_wire w;
    if (!tl_wire_connect(&w, b.d.port, cert, key, ca)) {
        return false;
    }
    struct tl_pb m = {0};
    tl_msg_ping(&m, 77);
    bool ok = tl_wire_send(&w, m.data, m.len);
    tl_pb_free(&m);
    uint8_t *body = NULL;
    size_t len = 0;
    struct tl_frame f;
    ok = ok && tl_wire_read_frame(&w, &body, &len) == 1 && tl_frame_parse(body, len, &f) &&
         f.corr == 77 && f.body == 12;
    free(body);
    tl_wire_close(&w);
    return ok;
}

static void expect_rejected(const char *reason, int count)
{
    char needle[128];
    snprintf(needle, sizeof(needle), "event=handshake_rejected");
    cr_assert(tl_daemon_wait_log(&b.d, needle, count, 10000), "no rejection logged");
    snprintf(needle, sizeof(needle), "reason=%s ", reason);
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, needle), "expected %s in the log:\n%s", needle, log);
    cr_assert(strstr(log, "detail=\""), "%s", log);
    free(log);
}

Test(broker_tls, s_client_with_a_valid_certificate_completes_the_handshake)
{
    cr_assert(tl_broker_start(&b, "--log-level debug")); /* conn_established is debug */
    char cert[1200], key[1200];
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.pki);
    char *out = s_client(cert, key);
    cr_assert(strstr(out, "Verify return code: 0 (ok)"), "%s", out);
    cr_assert_null(strstr(out, "alert"), "the server sent an alert:\n%s", out);
    free(out);
    cr_assert(tl_daemon_wait_log(&b.d, "event=conn_established", 1, 10000));
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "principal=producer-1"), "%s", log);
    cr_assert_null(strstr(log, "handshake_rejected"), "%s", log);
    free(log);
    cr_assert(ping_as("consumer-1"), "a frame round trip works");
}

Test(broker_tls, no_client_certificate_is_refused)
{
    cr_assert(tl_broker_start(&b, NULL));
    char ca[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    struct tl_wire w;
    if (tl_wire_connect(&w, b.d.port, NULL, NULL, ca)) {
        uint8_t *body = NULL;
        size_t len;
        struct tl_pb m = {0};
        tl_msg_ping(&m, 1);
        tl_wire_send(&w, m.data, m.len);
        tl_pb_free(&m);
        cr_assert_neq(tl_wire_read_frame(&w, &body, &len), 1, "no frame without a certificate");
        free(body);
        tl_wire_close(&w);
    }
    expect_rejected("AUTH_NO_CERT", 1);
    cr_assert(ping_as("producer-1"), "others keep working");
}

/* A CA made outside the store, trusted through --trust-bundle. */
struct foreign {
    EVP_PKEY *ca_key;
    X509 *ca;
};

static void foreign_ca(struct foreign *f, const char *bundle_path)
{
    f->ca_key = tl_key("p256");
    struct tl_cert_opts o = tl_ca_opts("Bundle Test CA");
    f->ca = tl_cert(f->ca_key, NULL, f->ca_key, &o);
    if (bundle_path) {
        cr_assert(tl_write_pem(bundle_path, f->ca));
    }
}

static void foreign_leaf(struct foreign *f, const char *name, const struct tl_cert_opts *o)
{
    EVP_PKEY *k = tl_key("p256");
    X509 *c = tl_cert(k, f->ca, f->ca_key, o);
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s.pem", b.pki, name);
    cr_assert(tl_write_pem(path, c));
    snprintf(path, sizeof(path), "%s/%s.key", b.pki, name);
    write_key(path, k);
    X509_free(c);
    EVP_PKEY_free(k);
}

static void foreign_free(struct foreign *f)
{
    X509_free(f->ca);
    EVP_PKEY_free(f->ca_key);
}

static void start_with_bundle(struct foreign *f)
{
    char bundle[1200], extra[1300];
    snprintf(bundle, sizeof(bundle), "%s/extra-ca.pem", b.dir);
    foreign_ca(f, bundle);
    snprintf(extra, sizeof(extra), "--trust-bundle %s", bundle);
    cr_assert(tl_broker_start(&b, extra));
}

Test(broker_tls, certificate_from_another_ca_is_refused)
{
    cr_assert(tl_broker_start(&b, NULL));
    struct foreign f;
    foreign_ca(&f, NULL);
    struct tl_cert_opts o = tl_leaf_opts("mallory");
    foreign_leaf(&f, "mallory", &o);
    cr_assert_not(ping_as("mallory"));
    expect_rejected("AUTH_UNKNOWN_CA", 1);
    foreign_free(&f);
    cr_assert(ping_as("producer-1"));
}

Test(broker_tls, trust_bundle_ca_is_accepted)
{
    struct foreign f;
    start_with_bundle(&f);
    struct tl_cert_opts o = tl_leaf_opts("bundled");
    foreign_leaf(&f, "bundled", &o);
    cr_assert(ping_as("bundled"), "a valid leaf of the bundle CA is accepted");
    foreign_free(&f);
}

Test(broker_tls, expired_and_not_yet_valid_are_refused)
{
    struct foreign f;
    start_with_bundle(&f);
    struct tl_cert_opts o = tl_leaf_opts("old");
    o.not_before_offset = -7200;
    o.not_after_offset = -3600;
    foreign_leaf(&f, "old", &o);
    cr_assert_not(ping_as("old"));
    expect_rejected("AUTH_EXPIRED", 1);
    o = tl_leaf_opts("early");
    o.not_before_offset = 3600;
    o.not_after_offset = 7200;
    foreign_leaf(&f, "early", &o);
    cr_assert_not(ping_as("early"));
    expect_rejected("AUTH_NOT_YET_VALID", 2);
    foreign_free(&f);
}

Test(broker_tls, server_only_eku_is_refused)
{
    struct foreign f;
    start_with_bundle(&f);
    struct tl_cert_opts o = tl_leaf_opts("serveronly");
    o.eku = "serverAuth";
    foreign_leaf(&f, "serveronly", &o);
    cr_assert_not(ping_as("serveronly"));
    expect_rejected("AUTH_WRONG_USAGE", 1);
    foreign_free(&f);
}

/* DATA/pki/<to>.pem: DATA/pki/<from>.pem with one signature bit flipped,
 * and <from>'s key as <to>.key (the client can still sign CertificateVerify). */
static void forge_from(const char *from, const char *to)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s.pem", b.pki, from);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    X509 *good = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(good);
    X509 *bad = tl_corrupt_signature(good);
    snprintf(path, sizeof(path), "%s/%s.pem", b.pki, to);
    cr_assert(tl_write_pem(path, bad));
    X509_free(good);
    X509_free(bad);
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "cp %s/%s.key %s/%s.key", b.pki, from, b.pki, to), 0, "%s", out);
    free(out);
}

/* Both ways of reading EC client keys (the built-in EC code, the default,
 * and the OpenSSL 3.0 provider decoder) accept P-256 and P-384 leaves and
 * refuse a leaf whose signature was tampered with. */
Test(broker_tls, ec_fast_path_on_and_off_accept_p256_p384_and_refuse_forged_leaves)
{
    cr_assert(tl_broker_issue(&b, "p384-client", "producer", b.pki, "--key-alg p384"));
    forge_from("producer-1", "forged");
    const char *modes[] = {"--ec-fast-path=false", NULL};
    for (int i = 0; i < 2; i++) {
        cr_assert(tl_broker_start(&b, modes[i]));
        cr_assert(ping_as("producer-1"), "P-256 leaf (%s)", modes[i] ? modes[i] : "default");
        cr_assert(ping_as("p384-client"), "P-384 leaf (%s)", modes[i] ? modes[i] : "default");
        cr_assert_not(ping_as("forged"), "forged leaf (%s)", modes[i] ? modes[i] : "default");
        expect_rejected("AUTH_BAD_SIGNATURE", 1);
        cr_assert(ping_as("consumer-1"), "the broker keeps serving");
        if (i == 0) {
            cr_assert_eq(tl_daemon_stop(&b.d, SIGTERM, 15000), 0);
        }
    }
}

/* The state letter of /proc/PID/stat ('Z' for a zombie), 0 when unreadable. */
static char process_state(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* A test process that dies without its teardown (a crash, an abort) takes
 * its broker with it instead of leaving it running (PR_SET_PDEATHSIG). */
Test(broker_tls, a_broker_dies_with_the_test_process_that_started_it)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        close(fds[0]);
        struct tl_broker orphan;
        if (!tl_broker_init(&orphan, "brk-orphan") || !tl_broker_start(&orphan, NULL)) {
            _exit(2);
        }
        char line[1200];
        int n = snprintf(line, sizeof(line), "%d %s\n", (int)orphan.d.pid, orphan.dir);
        if (write(fds[1], line, (size_t)n) != n) {
            _exit(3);
        }
        abort(); /* no teardown */
    }
    close(fds[1]);
    char line[1200] = "";
    FILE *f = fdopen(fds[0], "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof(line), f), "the child started no broker");
    fclose(f);
    int st = 0;
    cr_assert_eq(waitpid(child, &st, 0), child);
    int pid = 0;
    char dir[1100] = "";
    cr_assert_eq(sscanf(line, "%d %1099s", &pid, dir), 2, "%s", line);
    cr_assert_gt(pid, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = kill(pid, 0) != 0 || process_state(pid) == 'Z'; /* dead, maybe not reaped */
        if (!gone) {
            usleep(50 * 1000);
        }
    }
    if (!gone) {
        kill(pid, SIGKILL);
    }
    tl_rmtree(dir);
    cr_assert(gone, "broker %d outlived the test process that started it", pid);
}

/* The revoked client's live connection is closed (REVOKED) by the event-log
 * follower; SIGHUP also rebuilds trust; nobody else is dropped. */
Test(broker_tls, revoked_then_sighup_refuses_new_handshakes_and_keeps_other_live_ones)
{
    cr_assert(tl_broker_start(&b, NULL));
    char ca[1200], cert[1200], key[1200], ccert[1200], ckey[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.pki);
    snprintf(ccert, sizeof(ccert), "%s/consumer-1.pem", b.pki);
    snprintf(ckey, sizeof(ckey), "%s/consumer-1.key", b.pki);
    struct tl_wire revoked, live;
    cr_assert(tl_wire_connect(&revoked, b.d.port, cert, key, ca));
    cr_assert(tl_wire_connect(&live, b.d.port, ccert, ckey, ca));
    char *out = NULL;
    int rc = tl_broker_admin(&b, &out, "certs revoke %s --reason keyCompromise",
                             tl_cert_serial(cert));
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    cr_assert(tl_daemon_signal(&b.d, SIGHUP));
    cr_assert(tl_daemon_wait_log(&b.d, "event=trust_reloaded cause=sighup", 1, 10000));
    cr_assert_not(ping_as("producer-1"), "a revoked certificate is refused");
    expect_rejected("AUTH_REVOKED", 1);
    uint8_t *body = NULL;
    size_t len;
    struct tl_frame f;
    int code = 0;
    char msg[256];
    cr_assert_eq(tl_wire_read_frame(&revoked, &body, &len), 1);
    cr_assert(tl_frame_parse(body, len, &f) && tl_error_parse(&f, &code, msg, sizeof(msg)));
    cr_assert_eq(code, TL_ERR_REVOKED, "%d %s", code, msg);
    free(body);
    tl_wire_close(&revoked);
    cr_assert(tl_wire_ping(&live, 5), "nobody else was dropped");
    tl_wire_close(&live);
    cr_assert(ping_as("consumer-1"));
}

/* One TLS context for all workers: a session resumes whichever worker the
 * kernel hands the connection to. */
Test(broker_tls, sessions_resume_ten_times_in_a_row_with_two_workers)
{
    cr_assert(tl_broker_start(&b, "--workers 2 --log-level debug")); /* conn_established */
    char ca[1200], cert[1200], key[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/consumer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/consumer-1.key", b.pki);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, ca));
    cr_assert(tl_wire_ping(&w, 1));
    SSL_SESSION *s = tl_wire_session(&w);
    tl_wire_close(&w);
    for (int i = 0; i < 10; i++) {
        cr_assert_not_null(s, "a session to resume (round %d)", i);
        cr_assert(tl_wire_connect_session(&w, b.d.port, cert, key, ca, s));
        cr_assert(tl_wire_resumed(&w), "resumption %d of 10 resumed", i + 1);
        cr_assert(tl_wire_ping(&w, 10 + (uint64_t)i));
        SSL_SESSION_free(s);
        s = tl_wire_session(&w);
        tl_wire_close(&w);
    }
    SSL_SESSION_free(s);
    cr_assert(tl_daemon_wait_log(&b.d, "resumed=true", 10, 10000));
    char *log = tl_daemon_log(&b.d);
    printf("resumed on worker 0: %d, worker 1: %d\n",
           tl_count(log, "resumed=true worker=0"), tl_count(log, "resumed=true worker=1"));
    free(log);
}

/* SIGHUP loads a new server certificate for new connections; a connection
 * made before keeps working on the old one. */
Test(broker_tls, sighup_reloads_the_server_certificate_for_new_connections)
{
    cr_assert(tl_broker_start(&b, NULL));
    char ca[1200], cert[1200], key[1200], dir[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/consumer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/consumer-1.key", b.pki);
    struct tl_wire before, after;
    cr_assert(tl_wire_connect(&before, b.d.port, cert, key, ca));
    X509 *old = SSL_get1_peer_certificate(before.ssl);
    snprintf(dir, sizeof(dir), "%s/newcert", b.dir);
    cr_assert(tl_broker_issue(&b, "broker", "broker", dir, "--san 127.0.0.1 --san localhost"));
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "cp %s/broker.pem %s/broker.pem.new && cp %s/broker.key "
                       "%s/broker.key.new && mv %s/broker.key.new %s/broker.key && mv "
                       "%s/broker.pem.new %s/broker.pem", dir, b.pki, dir, b.pki, b.pki, b.pki,
                       b.pki, b.pki), 0, "%s", out);
    free(out);
    cr_assert(tl_daemon_signal(&b.d, SIGHUP));
    cr_assert(tl_daemon_wait_log(&b.d, "event=server_cert_reloaded", 1, 10000));
    cr_assert(tl_wire_connect(&after, b.d.port, cert, key, ca));
    X509 *now = SSL_get1_peer_certificate(after.ssl);
    cr_assert(old && now && X509_cmp(old, now) != 0, "new connections see the new certificate");
    cr_assert(tl_wire_ping(&after, 1));
    cr_assert(tl_wire_ping(&before, 2), "the old connection keeps working");
    struct tl_wire adm;
    cr_assert(tl_wire_connect(&adm, b.d.admin_port, cert, key, ca), "the admin listener");
    X509 *admin_now = SSL_get1_peer_certificate(adm.ssl);
    cr_assert(admin_now && X509_cmp(admin_now, now) == 0,
              "the admin listener presents the reloaded certificate too");
    X509_free(admin_now);
    tl_wire_close(&adm);
    X509_free(old);
    X509_free(now);
    tl_wire_close(&before);
    tl_wire_close(&after);
}

Test(broker_tls, sigterm_exits_zero_with_clients_connected)
{
    cr_assert(tl_broker_start(&b, NULL));
    char ca[1200], cert[1200], key[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/consumer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/consumer-1.key", b.pki);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, ca));
    cr_assert(ping_as("producer-1"));
    int st = tl_daemon_stop(&b.d, SIGTERM, 15000);
    cr_assert_eq(st, 0, "exit status %d", st);
    uint8_t *body = NULL;
    size_t len;
    cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 0, "the broker sent close_notify");
    tl_wire_close(&w);
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "event=broker_stopped"), "%s", log);
    free(log);
}
