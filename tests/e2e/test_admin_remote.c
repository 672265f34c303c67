/* End-to-end: the real ringward-admin binary over the admin RPC (mTLS)
 * against the real `ringward` daemon's admin listener (--admin-listen, the
 * port from its ready file), over the same store. Each command's happy path
 * and its main failure; enrollment with the Caramel exit codes; a
 * revocation over RPC ends a connected client's session. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

#define PASS "correct horse battery staple"

static char *dir;
static char data[4096], offline[8192], remote[8300], ca[4200];
static struct tl_daemon srv;

static void setup(void)
{
    dir = tl_tmpdir("admin-remote");
    cr_assert_not_null(dir);
    setenv("RINGWARD_CA_PASSPHRASE", PASS, 1); /* the daemon inherits it */
    unsetenv("RINGWARD_SERVER");
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(offline, sizeof(offline), "%s --data-dir %s", tl_bin("ringward-admin"), data);
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", offline);
    cr_assert_eq(rc, 0, "init failed: %s", out);
    free(out);
    snprintf(ca, sizeof(ca), "%s/pki/ca-chain.pem", data);
    cr_assert(tl_daemon_start(&srv, data, NULL), "the broker starts");
    cr_assert_gt(srv.admin_port, 0, "the ready file names the admin listener");
    snprintf(remote, sizeof(remote), "%s --server 127.0.0.1:%d", offline, srv.admin_port);
}

static void teardown(void)
{
    if (srv.pid) {
        int st = tl_daemon_stop(&srv, SIGTERM, 15000);
        char *log = tl_daemon_log(&srv);
        if (st != 0 || strstr(log, "Sanitizer")) {
            fprintf(stderr, "%s", log);
        }
        free(log);
        cr_expect_eq(st, 0, "the broker stops cleanly on SIGTERM");
    }
    tl_rmtree(dir);
    free(dir);
}

TestSuite(admin_remote, .init = setup, .fini = teardown, .timeout = 120);


Test(admin_remote, ca_list_is_the_same_over_rpc)
{
    char *a = NULL, *b = NULL;
    cr_assert_eq(tl_sh(&a, "%s ca list 2>/dev/null", offline), 0);
    cr_assert_eq(tl_sh(&b, "%s ca list", remote), 0, "%s", b);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    cr_assert_eq(tl_sh(&b, "%s ca show intermediate-ca", remote), 0, "%s", b);
    cr_assert_eq(tl_count(b, "BEGIN CERTIFICATE"), 2);
    free(b);
    cr_assert_neq(tl_sh(&b, "%s ca show no-such-ca", remote), 0);
    cr_assert(strstr(b, "NOT_FOUND"), "%s", b);
    free(b);
}

Test(admin_remote, issue_writes_the_bundle_and_the_event_names_the_admin)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs issue --principal svc-1 --role producer --out %s/out", remote,
                   dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    char path[4300];
    snprintf(path, sizeof(path), "%s/out/svc-1.key", dir);
    cr_assert_eq(tl_file_mode(path), 0600);
    snprintf(path, sizeof(path), "%s/out/ca-chain.pem", dir);
    cr_assert_neq(tl_file_mode(path), -1);
    rc = tl_sh(&out, "%s events --json", remote);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"actor\":\"admin\",\"kind\":\"cert.issued\""), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs issue --principal svc-2 --role wizard --out %s/out", remote, dir);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(out, "INVALID_ARGUMENT"), "%s", out);
    free(out);
}

Test(admin_remote, producer_certificate_is_permission_denied)
{
    char *out = NULL;
    int rc = tl_sh(&out,
                   "%s certs issue --principal x --role admin --cert %s/pki/producer-1.pem "
                   "--key %s/pki/producer-1.key --out %s/out",
                   remote, data, data, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PERMISSION_DENIED"), "%s", out);
    free(out);
}

static char *first_serial(const char *principal)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs list --principal %s --json", remote, principal);
    cr_assert_eq(rc, 0, "%s", out);
    char *p = strstr(out, "\"serial\":\"");
    cr_assert(p, "%s", out);
    char *s = strndup(p + 10, 32);
    free(out);
    return s;
}

Test(admin_remote, revoke_list_show_and_crl)
{
    char *serial = first_serial("consumer-1");
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs revoke %s --reason keyCompromise", remote, serial);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs revoke %s", remote, serial);
    cr_assert_eq(rc, 1, "revoking twice: %s", out);
    free(out);
    rc = tl_sh(&out, "%s certs list --status revoked", remote);
    cr_assert(strstr(out, serial), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs show %s", remote, serial);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "keyCompromise") && strstr(out, "lineage"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s crl get --ca intermediate-ca", remote);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "BEGIN X509 CRL"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s crl get --ca nope", remote);
    cr_assert_eq(rc, 1, "%s", out);
    free(out);
    free(serial);
}

Test(admin_remote, acl_and_status)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s acl add --principal billing --topic 'orders.*' --op consume --allow",
                   remote);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "{ %s acl check --principal billing --topic orders.eu --op consume 2>&1; }",
               remote);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "ALLOW by rule"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s acl check --principal billing --topic orders.eu --op produce", remote);
    cr_assert_eq(rc, 1, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s acl list", remote);
    cr_assert(strstr(out, "billing"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s status", remote);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "event seq:"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s --server 127.0.0.1:1 status", offline);
    cr_assert_neq(rc, 0, "%s", out);
    free(out);
}

/* A counter's value in `status --json` output, or -1. */
static long long status_value(const char *json, const char *name)
{
    char key[96];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = strstr(json, key);
    return p ? atoll(p + strlen(key)) : -1;
}

Test(admin_remote, status_reports_the_broker_counters)
{
    char cert[4200], key[4200];
    snprintf(cert, sizeof(cert), "%s/pki/producer-1.pem", data);
    snprintf(key, sizeof(key), "%s/pki/producer-1.key", data);
    for (int i = 0; i < 3; i++) {
        struct tl_wire w;
        cr_assert(tl_wire_connect(&w, srv.port, cert, key, ca) && tl_wire_ping(&w, 1));
        tl_wire_close(&w);
    }
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s status --json", remote), 0, "%s", out);
    cr_assert_geq(status_value(out, "connections_accepted"), 3, "%s", out);
    cr_assert_geq(status_value(out, "handshakes_full"), 3, "%s", out);
    cr_assert_geq(status_value(out, "validation_cache_hits"), 2, "the same chain hits: %s", out);
    cr_assert_geq(status_value(out, "validation_cache_hit_rate_pct"), 1, "%s", out);
    cr_assert_geq(status_value(out, "acl_rules"), 4, "init seeds four rules: %s", out);
    cr_assert_geq(status_value(out, "uptime"), 0, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s status", remote), 0, "%s", out);
    cr_assert(strstr(out, "handshakes_full"), "the table lists the counters: %s", out);
    free(out);
}

Test(admin_remote, admin_rate_flag_limits_one_address)
{
    cr_assert_eq(tl_daemon_stop(&srv, SIGTERM, 15000), 0);
    cr_assert(tl_daemon_start(&srv, data, "--admin-rate 1"), "restarts with --admin-rate 1");
    snprintf(remote, sizeof(remote), "%s --server 127.0.0.1:%d", offline, srv.admin_port);
    int exhausted = 0, ok = 0;
    for (int i = 0; i < 6; i++) {
        char *out = NULL;
        int rc = tl_sh(&out, "%s ca list", remote);
        ok += rc == 0;
        exhausted += strstr(out, "RESOURCE_EXHAUSTED") != NULL || strstr(out, "LIMIT") != NULL;
        free(out);
    }
    cr_assert_geq(ok, 1, "the burst is served");
    cr_assert_geq(exhausted, 1, "beyond the burst of 2 (rate 1/s) calls are refused");
    char *out = NULL;
    cr_assert_neq(tl_sh(&out, "%s --data-dir %s --admin-rate 0", tl_bin("ringward"), data), 0);
    cr_assert(strstr(out, "--admin-rate"), "%s", out);
    free(out);
}

/* `certs request` for principal p with extra arguments; the exit code. */
static int request(const char *p, const char *extra, char **out)
{
    return tl_sh(out,
                 "%s certs request --principal %s --role producer --out %s/edge --ca %s "
                 "--poll-interval 1s --max-wait 20s %s",
                 remote, p, dir, ca, extra);
}

static char *token(const char *p)
{
    char *out = NULL;
    int rc = tl_sh(&out, "{ %s tokens create --principal %s --role producer --ttl 1h --json "
                         "2>/dev/null; }", remote, p);
    cr_assert_eq(rc, 0, "%s", out);
    char *t = strstr(out, "\"token\":\"");
    cr_assert(t, "%s", out);
    t = strndup(t + 9, strcspn(t + 9, "\""));
    free(out);
    return t;
}

Test(admin_remote, token_enrollment_once_and_unchanged)
{
    char *t = token("edge-1"), extra[256], *out = NULL;
    snprintf(extra, sizeof(extra), "--token %s", t);
    int rc = request("edge-1", extra, &out);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = request("edge-1", "", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "unchanged"), "%s", out);
    free(out);
    rc = request("edge-2", extra, &out); /* the token is used and bound to edge-1 */
    cr_assert_eq(rc, 127, "%s", out);
    cr_assert(strstr(out, "PERMISSION_DENIED"), "%s", out);
    free(out);
    free(t);
}

static long pending_id(void)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs pending --json", remote);
    cr_assert_eq(rc, 0, "%s", out);
    char *p = strstr(out, "\"id\":");
    cr_assert(p, "%s", out);
    long id = strtol(p + 5, NULL, 10);
    free(out);
    return id;
}

Test(admin_remote, pending_then_approved_keeps_the_key)
{
    char *out = NULL, key[4300];
    int rc = request("edge-3", "--no-wait", &out);
    cr_assert_eq(rc, 69, "%s", out);
    free(out);
    snprintf(key, sizeof(key), "%s/edge/edge-3.key", dir);
    char *k1 = tl_read_file(key, NULL);
    cr_assert_eq(tl_file_mode(key), 0600);
    char req[4300];
    snprintf(req, sizeof(req), "%s/edge/edge-3.req", dir);
    cr_assert_eq(tl_file_mode(req), 0600, "the request id and its poll secret are private");
    rc = request("edge-3", "--no-wait", &out); /* resumes: no new request, same key */
    cr_assert_eq(rc, 69, "%s", out);
    free(out);
    long id = pending_id();
    rc = tl_sh(&out, "%s certs approve %ld", remote, id);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = request("edge-3", "", &out);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    char *k2 = tl_read_file(key, NULL);
    cr_assert_str_eq(k1, k2);
    free(k1);
    free(k2);
    rc = tl_sh(&out, "%s certs approve %ld", remote, id);
    cr_assert_eq(rc, 1, "approving twice: %s", out);
    free(out);
}

Test(admin_remote, rejected_request_removes_key_and_csr)
{
    char *out = NULL, key[4300];
    int rc = request("edge-4", "--no-wait", &out);
    cr_assert_eq(rc, 69, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs reject %ld --reason unknown", remote, pending_id());
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = request("edge-4", "", &out);
    cr_assert_eq(rc, 127, "%s", out);
    cr_assert(strstr(out, "rejected"), "%s", out);
    free(out);
    snprintf(key, sizeof(key), "%s/edge/edge-4.key", dir);
    cr_assert_eq(tl_file_mode(key), -1);
}

Test(admin_remote, concurrent_run_exits_1)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/edge", dir);
    cr_assert_eq(tl_sh(NULL, "mkdir -p %s", path), 0);
    snprintf(path, sizeof(path), "%s/edge/edge-5.key", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    cr_assert(fd >= 0 && flock(fd, LOCK_EX) == 0);
    char *out = NULL;
    int rc = request("edge-5", "--no-wait", &out);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "locked"), "%s", out);
    free(out);
    close(fd);
}

Test(admin_remote, revoke_over_rpc_ends_a_connected_consumer_within_1s)
{
    char cert[4300], key[4300];
    snprintf(cert, sizeof(cert), "%s/pki/consumer-1.pem", data);
    snprintf(key, sizeof(key), "%s/pki/consumer-1.key", data);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, srv.port, cert, key, ca), "consumer-1 connects");
    cr_assert(tl_wire_ping(&w, 1), "its session is established");
    char *serial = first_serial("consumer-1");
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs revoke %s --reason keyCompromise", remote, serial);
    long long done = tl_now_ms(); /* the response follows the commit */
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    uint8_t *body = NULL;
    size_t len = 0;
    cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 1, "an Error frame arrives");
    long long took = tl_now_ms() - done;
    struct tl_frame f;
    cr_assert(tl_frame_parse(body, len, &f));
    cr_assert_eq(f.body, TL_BODY_ERROR);
    int code = 0;
    char msg[512] = "";
    cr_assert(tl_error_parse(&f, &code, msg, sizeof(msg)));
    cr_assert_eq(code, TL_ERR_REVOKED, "code %d: %s", code, msg);
    cr_assert_lt(took, 1000, "REVOKED %lld ms after the RPC returned", took);
    free(body);
    tl_wire_close(&w);
    free(serial);
}

/* The operator commands without --server run the same service in-process on
 * the data directory: same output, events naming the local operator, and a
 * broker following the store serves what they did. */
Test(admin_remote, offline_operator_commands_serve_the_same_enrollment)
{
    char *out = NULL, *remote_list = NULL;
    int rc = tl_sh(&out, "{ %s tokens create --principal edge-7 --role producer --json "
                         "2>/dev/null; }", offline);
    cr_assert_eq(rc, 0, "%s", out);
    char *t = strstr(out, "\"token\":\"");
    cr_assert(t, "%s", out);
    char extra[256];
    snprintf(extra, sizeof(extra), "--token %.*s", (int)strcspn(t + 9, "\""), t + 9);
    free(out);
    cr_assert_eq(request("edge-7", extra, &out), 0, "an offline token works over RPC: %s", out);
    free(out);

    cr_assert_eq(request("edge-8", "--no-wait", &out), 69, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s certs pending --json 2>/dev/null", offline), 0, "%s", out);
    cr_assert_eq(tl_sh(&remote_list, "%s certs pending --json", remote), 0);
    cr_assert_str_eq(out, remote_list, "the same output either way");
    free(out);
    free(remote_list);
    long id = pending_id();
    cr_assert_eq(tl_sh(&out, "%s certs approve %ld", offline, id), 0, "%s", out);
    cr_assert(strstr(out, "approved request"), "%s", out);
    free(out);
    cr_assert_eq(request("edge-8", "", &out), 0, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s certs approve %ld", offline, id), 1, "already approved");
    free(out);
    cr_assert_eq(tl_sh(&out, "%s events --json", offline), 0);
    cr_assert(strstr(out, "\"actor\":\"local:"), "offline mutations name the local operator");
    free(out);
    cr_assert_eq(tl_sh(&out, "%s status", offline), 2, "status needs a broker: %s", out);
    free(out);
}

/* Sends one raw frame body to the admin listener as admin; the Error code
 * of the answer (0 when it is not an Error), -1 when the connection ended. */
static int raw_admin_call(const void *body, size_t len, char *msg, size_t cap)
{
    char cert[4200], key[4200];
    snprintf(cert, sizeof(cert), "%s/pki/admin.pem", data);
    snprintf(key, sizeof(key), "%s/pki/admin.key", data);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, srv.admin_port, cert, key, ca));
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                      (uint8_t)len};
    cr_assert(tl_wire_send(&w, hdr, 4));
    if (len <= (1u << 20)) {
        cr_assert(tl_wire_send(&w, body, len));
    }
    uint8_t *resp = NULL;
    size_t n = 0;
    int code = -1;
    if (tl_wire_read_frame(&w, &resp, &n) == 1) {
        struct tl_pb_field f;
        code = 0;
        if (tl_pb_find(resp, n, 2, &f)) {
            struct tl_frame e = {.body = TL_BODY_ERROR, .p = f.p, .n = f.n};
            cr_assert(tl_error_parse(&e, &code, msg, cap));
        }
    }
    free(resp);
    tl_wire_close(&w);
    return code;
}

Test(admin_remote, malformed_unknown_and_oversized_requests_get_typed_errors)
{
    enum { INVALID_ARGUMENT = 4 };
    char msg[512] = "";
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x07, 0x00, 0x13};
    cr_assert_eq(raw_admin_call(garbage, sizeof(garbage), msg, sizeof(msg)), INVALID_ARGUMENT,
                 "%s", msg);
    cr_assert(strstr(msg, "malformed"), "%s", msg);
    struct tl_pb unknown = {0};
    tl_pb_u64(&unknown, 1, 5);
    tl_pb_bytes(&unknown, 900, "x", 1); /* a field no method uses */
    cr_assert_eq(raw_admin_call(unknown.data, unknown.len, msg, sizeof(msg)), INVALID_ARGUMENT);
    cr_assert(strstr(msg, "unknown method"), "%s", msg);
    tl_pb_free(&unknown);
    int code = raw_admin_call(NULL, (2u << 20), msg, sizeof(msg));
    cr_assert(code == -1 || code == INVALID_ARGUMENT || code == 5,
              "an oversized frame is refused (code %d: %s)", code, msg);
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s ca list", remote), 0, "the broker still serves: %s", out);
    free(out);
}

/* stdout of a --json run: exactly one line, a JSON object. */
static char *json_line(const char *cmd, int want_rc)
{
    char *out = NULL;
    int rc = tl_sh(&out, "{ %s --json 2>/dev/null; }", cmd);
    cr_assert_eq(rc, want_rc, "%s: %s", cmd, out);
    size_t n = strlen(out);
    cr_assert(n > 2 && out[0] == '{' && out[n - 2] == '}' && out[n - 1] == '\n' &&
                  strchr(out, '\n') == out + n - 1,
              "one JSON object on stdout: %s", out);
    return out;
}

Test(admin_remote, every_command_answers_json)
{
    char cmd[9000], *j = NULL;
    snprintf(cmd, sizeof(cmd), "%s certs issue --principal j1 --role producer --out %s/j", remote,
             dir);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "\"ok\":true") && strstr(j, "\"serial\":\"") &&
                  strstr(j, "\"key\":\"") && strstr(j, "\"principal\":\"j1\""), "%s", j);
    char serial[64];
    const char *p = strstr(j, "\"serial\":\"") + 10;
    snprintf(serial, sizeof(serial), "%.*s", (int)strcspn(p, "\""), p);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s certs revoke %s --reason keyCompromise", remote, serial);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "\"reason\":\"keyCompromise\""), "%s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s certs revoke %s", remote, serial);
    j = json_line(cmd, 1);
    cr_assert(strstr(j, "\"ok\":false") && strstr(j, "\"error\":\""), "a failure too: %s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s ca intermediate --parent-ca root-ca --cn 'Json CA'", remote);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "\"id\":\"json-ca\""), "%s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s acl add --principal j1 --topic 'j.*' --op produce --allow",
             offline);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "\"id\":"), "%s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s acl check --principal j1 --topic j.x --op consume", remote);
    j = json_line(cmd, 1);
    cr_assert(strstr(j, "\"allowed\":false"), "%s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s crl get --ca intermediate-ca", remote);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "BEGIN X509 CRL"), "%s", j);
    free(j);
    snprintf(cmd, sizeof(cmd), "%s ca show root-ca", offline);
    j = json_line(cmd, 0);
    cr_assert(strstr(j, "\"chain_pem\":\"-----BEGIN CERTIFICATE"), "%s", j);
    free(j);
    char *out = NULL; /* a list keeps its own form: an array */
    cr_assert_eq(tl_sh(&out, "{ %s certs list --json 2>/dev/null; }", remote), 0);
    cr_assert_eq(out[0], '[', "%s", out);
    free(out);
}

/* The commands not covered above, over the RPC: happy path and main failure. */
Test(admin_remote, disable_sign_csr_acl_remove_expiring_and_follow_over_rpc)
{
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s ca intermediate --parent-ca root-ca --cn 'Spare CA' && "
                             "%s ca disable spare-ca", remote, remote), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "%s certs issue --principal z --role producer --ca-id spare-ca "
                              "--out %s/z", remote, dir), 0, "a disabled CA issues nothing");
    free(out);
    cr_assert_neq(tl_sh(&out, "%s ca disable no-such-ca", remote), 0);
    cr_assert(strstr(out, "NOT_FOUND"), "%s", out);
    free(out);

    cr_assert_eq(tl_sh(&out, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                             "-nodes -keyout %s/c.key -subj /CN=csr-1 -out %s/c.csr 2>&1 && "
                             "%s certs sign-csr %s/c.csr --role consumer --out %s/c.pem && "
                             "openssl verify -CAfile %s/pki/root-ca.pem -untrusted %s %s/c.pem",
                       dir, dir, remote, dir, dir, data, ca, dir), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "head -c 300 /dev/urandom > %s/bad.csr; %s certs sign-csr "
                              "%s/bad.csr --role consumer", dir, remote, dir), 0);
    free(out);

    cr_assert_eq(tl_sh(&out, "{ %s acl add --principal gone --topic 'g.*' --op consume --allow "
                             "2>/dev/null; }", remote), 0, "%s", out);
    long long id = atoll(out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s acl remove %lld", remote, id), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "%s acl remove %lld", remote, id), 0, "removed twice");
    free(out);

    cr_assert_eq(tl_sh(&out, "%s certs issue --principal soon --role producer --ttl 1d --out %s/s "
                             ">/dev/null 2>&1 && %s certs list --expiring-within 2d --json",
                       remote, dir, remote), 0, "%s", out);
    cr_assert(strstr(out, "\"principal\":\"soon\""), "%s", out);
    cr_assert_null(strstr(out, "\"principal\":\"producer-1\""), "90 days is not within 2: %s", out);
    free(out);

    char follow[4300];
    snprintf(follow, sizeof(follow), "%s/follow.out", dir);
    cr_assert_eq(tl_sh(&out, "{ timeout 4 %s events --follow > %s 2>&1 & sleep 1.5; "
                             "%s acl add --principal late --topic l --op produce --allow; wait; } "
                             ">/dev/null 2>&1; grep -c 'acl.added' %s", remote, follow, remote,
                       follow), 0, "%s", out);
    free(out);
    char *seen = tl_read_file(follow, NULL);
    cr_assert(seen && strstr(seen, "\"principal\":\"late\""), "--follow shows the new event: %s",
              seen ? seen : "");
    free(seen);
}
