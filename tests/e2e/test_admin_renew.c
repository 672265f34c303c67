/* End-to-end: `ringward-admin certs renew` (RenewSelf) against the real
 * `ringward` daemon's admin listener: in place and with --out, --before
 * 2/3, --revoke-old, the lineage, a revoked certificate refused, a second
 * run locked out, an interrupted run completed; and, over a raw admin
 * frame, a CSR for another subject refused and a CSR asking for another
 * role still certified with the caller's. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;
static char offline[8192], remote[8300], ca[4200], cert[4200], key[4200];

/* The shared broker fixture (development CA keys: renewals sign without a
 * passphrase) with producer-1's pair copied to the test folder. */
static void setup(void)
{
    unsetenv("RINGWARD_SERVER");
    cr_assert(tl_broker_init(&b, "admin-renew"));
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "cp %s/producer-1.pem %s/producer-1.key %s/", b.pki, b.pki, b.dir),
                 0, "%s", out);
    free(out);
    snprintf(offline, sizeof(offline), "%s --data-dir %s", tl_bin("ringward-admin"), b.data);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.dir);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.dir);
    cr_assert(tl_broker_start(&b, NULL), "the broker starts");
    snprintf(remote, sizeof(remote), "%s --server 127.0.0.1:%d", offline, b.d.admin_port);
}

static void teardown(void) { tl_broker_fini(&b); }

TestSuite(admin_renew, .init = setup, .fini = teardown, .timeout = 120);

static char *slurp(const char *path)
{
    char *s = tl_read_file(path, NULL);
    cr_assert_not_null(s, "%s is readable", path);
    return s;
}

static int renew(char **out, const char *extra)
{
    return tl_sh(out, "%s certs renew --cert %s --key %s %s", remote, cert, key, extra);
}

/* Connects with the pair and completes a Ping round trip. */
static bool connects(const char *c, const char *k)
{
    struct tl_wire w;
    bool ok = tl_wire_connect(&w, b.d.port, c, k, ca) && tl_wire_ping(&w, 7);
    tl_wire_close(&w);
    return ok;
}

Test(admin_renew, in_place_supersedes_and_the_new_certificate_connects)
{
    char *old_serial = strdup(tl_cert_serial(cert)), *old_key = slurp(key), *out = NULL;
    cr_assert_eq(renew(&out, ""), 0, "%s", out);
    cr_assert(strstr(out, "superseded"), "%s", out);
    free(out);
    char *new_key = slurp(key);
    cr_assert_str_neq(old_key, new_key, "a new key");
    cr_assert_eq(tl_file_mode(key), 0600);
    cr_assert_str_neq(tl_cert_serial(cert), old_serial);
    cr_assert_eq(tl_sh(&out, "openssl verify -CAfile %s/root-ca.pem -untrusted %s/ca-chain.pem "
                             "%s", b.pki, b.dir, cert), 0, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "openssl x509 -in %s -noout -ext subjectAltName", cert), 0);
    cr_assert(strstr(out, "ringward:role:producer"), "the role stays: %s", out);
    free(out);
    cr_assert(connects(cert, key), "the renewed pair authenticates");
    cr_assert_eq(tl_sh(&out, "%s certs show %s", remote, tl_cert_serial(cert)), 0, "%s", out);
    char *line = strstr(out, old_serial);
    cr_assert(line && strstr(line, "superseded"), "the lineage lists the old one: %s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s events", offline), 0);
    cr_assert(strstr(out, "cert.superseded"), "%s", out);
    free(out);
    free(old_serial);
    free(old_key);
    free(new_key);
}

Test(admin_renew, before_two_thirds_leaves_a_fresh_certificate_alone)
{
    char *before = slurp(cert), *events = NULL, *after_events = NULL, *out = NULL;
    cr_assert_eq(tl_sh(&events, "%s events --json", offline), 0);
    cr_assert_eq(renew(&out, "--before 2/3"), 0, "%s", out);
    cr_assert(strstr(out, "not due for renewal until"), "%s", out);
    free(out);
    char *after = slurp(cert);
    cr_assert_str_eq(before, after, "unchanged");
    cr_assert_eq(tl_sh(&after_events, "%s events --json", offline), 0);
    cr_assert_str_eq(events, after_events, "nothing recorded");
    cr_assert_eq(renew(&out, "--before 3/2"), 127, "a fraction above 1 is refused: %s", out);
    cr_assert(strstr(out, "fraction"), "%s", out);
    free(out);
    free(before);
    free(after);
    free(events);
    free(after_events);
}

Test(admin_renew, revoke_old_with_out_dir_ends_the_old_certificate)
{
    char *out = NULL, newdir[4300], nc[4400], nk[4400];
    snprintf(newdir, sizeof(newdir), "%s/next", b.dir);
    snprintf(nc, sizeof(nc), "%s/producer-1.pem", newdir);
    snprintf(nk, sizeof(nk), "%s/producer-1.key", newdir);
    char *extra = NULL;
    cr_assert(asprintf(&extra, "--out %s --revoke-old --key-alg ed25519", newdir) > 0);
    cr_assert_eq(renew(&out, extra), 0, "%s", out);
    free(out);
    free(extra);
    cr_assert_eq(tl_file_mode(nk), 0600);
    cr_assert(connects(nc, nk), "the new pair authenticates");
    bool refused = false;
    for (long long end = tl_now_ms() + 3000; !refused && tl_now_ms() < end;) {
        refused = !connects(cert, key);
    }
    cr_assert(refused, "the old certificate is revoked (superseded) and refused");
}

Test(admin_renew, a_revoked_certificate_cannot_renew)
{
    char *out = NULL, *before = slurp(key);
    cr_assert_eq(tl_sh(&out, "%s certs revoke %s --reason keyCompromise", remote,
                       tl_cert_serial(cert)), 0, "%s", out);
    free(out);
    cr_assert_eq(renew(&out, ""), 127, "%s", out);
    cr_assert(strstr(out, "revoked"), "says why: %s", out);
    free(out);
    char *after = slurp(key);
    cr_assert_str_eq(before, after, "the key is untouched");
    free(before);
    free(after);
}

Test(admin_renew, a_second_run_is_locked_out)
{
    char lock[4300];
    snprintf(lock, sizeof(lock), "%s.lock", key);
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    char *out = NULL, *before = slurp(cert);
    cr_assert_eq(renew(&out, ""), 1, "%s", out);
    cr_assert(strstr(out, "locked"), "%s", out);
    free(out);
    close(fd);
    char *after = slurp(cert);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
}

Test(admin_renew, an_interrupted_run_is_completed_by_the_next)
{
    /* The state a crash between the two renames leaves: the new key in
     * place, the new certificate still at CERT.new. */
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s certs renew --cert %s --key %s --out %s/n && "
                             "cp %s/n/producer-1.key %s && cp %s/n/producer-1.pem %s.new",
                       remote, cert, key, b.dir, b.dir, key, b.dir, cert), 0, "%s", out);
    free(out);
    cr_assert_eq(renew(&out, "--before 2/3"), 0, "%s", out);
    cr_assert(strstr(out, "completed an interrupted renewal"), "%s", out);
    free(out);
    char nc[4300];
    snprintf(nc, sizeof(nc), "%s.new", cert);
    cr_assert_eq(access(nc, F_OK), -1, "no leftover");
    cr_assert(connects(cert, key), "the completed pair authenticates");
}

/* A RenewSelf AdminFrame (field 52) with a CSR made by openssl req. */
static int raw_renew(const char *csr_args, char *msg, size_t cap, char **cert_pem)
{
    char *out = NULL, csr[4300];
    snprintf(csr, sizeof(csr), "%s/x.csr", b.dir);
    cr_assert_eq(tl_sh(&out, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                             "-keyout %s/x.key -outform DER -out %s %s", b.dir, csr, csr_args),
                 0, "%s", out);
    free(out);
    size_t len = 0;
    char *der = tl_read_file(csr, &len);
    struct tl_pb req = {0}, frame = {0}, out_frame = {0};
    tl_pb_bytes(&req, 1, der, len);
    tl_pb_u64(&frame, 1, 9);
    tl_pb_bytes(&frame, 52, req.data, req.len);
    tl_pb_frame(&out_frame, &frame);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.admin_port, cert, key, ca));
    cr_assert(tl_wire_send(&w, out_frame.data, out_frame.len));
    uint8_t *body = NULL;
    size_t blen = 0;
    cr_assert_eq(tl_wire_read_frame(&w, &body, &blen), 1);
    struct tl_pb_field f;
    int code = 0;
    if (tl_pb_find(body, blen, 2, &f)) {
        struct tl_frame e = {.body = TL_BODY_ERROR, .p = f.p, .n = f.n};
        cr_assert(tl_error_parse(&e, &code, msg, cap));
    } else {
        cr_assert(tl_pb_find(body, blen, 53, &f), "an error or a RenewSelfResponse");
        struct tl_pb_field pem;
        cr_assert(tl_pb_find(f.p, f.n, 3, &pem));
        *cert_pem = malloc(pem.n + 1); /* protobuf bytes: not a C string */
        memcpy(*cert_pem, pem.p, pem.n);
        (*cert_pem)[pem.n] = '\0';
    }
    tl_wire_close(&w);
    free(body);
    free(der);
    tl_pb_free(&req);
    tl_pb_free(&frame);
    tl_pb_free(&out_frame);
    return code;
}

Test(admin_renew, renew_self_cannot_change_the_subject_or_the_role)
{
    char msg[512] = "", *pem = NULL;
    int code = raw_renew("-subj /CN=consumer-1", msg, sizeof(msg), &pem);
    cr_assert_eq(code, TL_ERR_PERMISSION_DENIED, "another subject is refused: %d %s", code, msg);
    cr_assert(strstr(msg, "renews only the caller"), "%s", msg);
    cr_assert_null(pem);
    code = raw_renew("-subj /CN=producer-1 -addext subjectAltName=URI:ringward:role:admin", msg,
                     sizeof(msg), &pem);
    cr_assert_eq(code, 0, "%s", msg);
    cr_assert_not_null(pem);
    char path[4300], *out = NULL;
    snprintf(path, sizeof(path), "%s/raw.pem", b.dir);
    cr_assert(tl_write_file(path, pem, strlen(pem)));
    cr_assert_eq(tl_sh(&out, "openssl x509 -in %s -noout -ext subjectAltName", path), 0);
    cr_assert(strstr(out, "ringward:role:producer"), "%s", out);
    cr_assert_null(strstr(out, "role:admin"), "the CSR's role is ignored: %s", out);
    free(out);
    free(pem);
}
