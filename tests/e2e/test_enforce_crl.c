/* End-to-end: external CRL files (--crl) for a CA trusted through
 * --trust-bundle, all made here with the `openssl` CLI. A CRL that starts
 * listing a connected client disconnects it; a CRL file replaced with
 * garbage keeps the last good set (keep-last) or refuses the issuer's
 * clients, connected ones included (fail-closed). Files are replaced
 * atomically (copy, then rename), as the broker's documentation asks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;
static char x[1100]; /* the external PKI's folder */

static void setup(void) { cr_assert(tl_broker_init(&b, "enf-crl")); }
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(enforce_crl, .init = setup, .fini = teardown, .timeout = 180);

static const char cnf[] =
    "[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = External Test CA\n"
    "[ v3_ca ]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n"
    "[ v3_client ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n"
    "extendedKeyUsage = clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
    "[ ca ]\ndefault_ca = ext\n[ ext ]\ndir = %s\ndatabase = $dir/index.txt\n"
    "new_certs_dir = $dir\ncertificate = $dir/ca.pem\nprivate_key = $dir/ca.key\n"
    "serial = $dir/serial\ncrlnumber = $dir/crlnumber\ndefault_md = sha256\n"
    "default_days = 7\ndefault_crl_days = 7\ncrl_extensions = crl_ext\npolicy = pol\n"
    "unique_subject = no\n[ pol ]\ncommonName = supplied\n"
    "[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n";

static void sh_ok(const char *what, const char *cmd)
{
    char *out = NULL;
    int rc = tl_sh(&out, "( %s )", cmd);
    cr_assert_eq(rc, 0, "%s failed: %s\n%s", what, cmd, out ? out : "");
    free(out);
}

#define SH(what, ...)                                  \
    do {                                               \
        char cmd_[8192];                               \
        snprintf(cmd_, sizeof(cmd_), __VA_ARGS__);     \
        sh_ok(what, cmd_);                             \
    } while (0)

/* X/ca.pem, X/client.pem|key, X/crl-empty.pem, X/crl-revoked.pem (lists
 * the client), X/garbage.pem; X/crl.pem starts as the empty CRL. */
static void external_pki(void)
{
    snprintf(x, sizeof(x), "%s/ext", b.dir);
    char path[1200], text[4096];
    SH("mkdir", "mkdir -p %s && : > %s/index.txt && echo 1000 > %s/serial && echo 01 > "
       "%s/crlnumber", x, x, x, x);
    snprintf(path, sizeof(path), "%s/openssl.cnf", x);
    snprintf(text, sizeof(text), "%s", cnf);
    char *dir = strstr(text, "dir = %s");
    cr_assert_not_null(dir);
    snprintf(dir, sizeof(text) - (size_t)(dir - text), "dir = %s%s", x, strstr(cnf, "\ndatabase"));
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    SH("CA", "cd %s && openssl req -x509 -config openssl.cnf -extensions v3_ca -newkey ec "
       "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30", x);
    SH("client", "cd %s && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
       "-nodes -keyout client.key -out client.csr -subj /CN=ext-client && openssl ca -batch "
       "-config openssl.cnf -extensions v3_client -in client.csr -out client.pem -notext", x);
    SH("CRL", "cd %s && openssl ca -config openssl.cnf -gencrl -out crl-empty.pem && openssl "
       "ca -config openssl.cnf -revoke client.pem -crl_reason keyCompromise && openssl ca "
       "-config openssl.cnf -gencrl -out crl-revoked.pem && cp crl-empty.pem crl.pem", x);
    snprintf(path, sizeof(path), "%s/garbage.pem", x);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n", f);
    fclose(f);
}

static void install_crl(const char *which)
{
    char *out = NULL;
    int rc = tl_sh(&out, "cp %s/%s %s/crl.tmp && mv %s/crl.tmp %s/crl.pem", x, which, x, x, x);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

static void start(const char *policy)
{
    external_pki();
    char extra[4096];
    snprintf(extra, sizeof(extra), "--workers 2 --metrics 127.0.0.1:0 --trust-bundle %s/ca.pem "
             "--crl %s/crl.pem %s", x, x, policy);
    cr_assert(tl_broker_start(&b, extra));
}

static bool connect_ext(struct tl_wire *w)
{
    char cert[1200], key[1200], ca[1200];
    snprintf(cert, sizeof(cert), "%s/client.pem", x);
    snprintf(key, sizeof(key), "%s/client.key", x);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    return tl_wire_connect(w, b.d.port, cert, key, ca) && tl_wire_ping(w, 100);
}

static bool connect_store_client(struct tl_wire *w)
{
    char cert[1200], key[1200], ca[1200];
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.pki);
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    return tl_wire_connect(w, b.d.port, cert, key, ca) && tl_wire_ping(w, 200);
}

/* The next frame must be an Error with `code`, then the connection ends. */
static void expect_kicked(struct tl_wire *w, int code, const char *needle)
{
    uint8_t *body = NULL;
    size_t len = 0;
    struct tl_frame f;
    cr_assert_eq(tl_wire_read_frame(w, &body, &len), 1, "an Error frame arrives");
    cr_assert(tl_frame_parse(body, len, &f));
    int got = 0;
    char msg[512];
    cr_assert(tl_error_parse(&f, &got, msg, sizeof(msg)), "an Error, not body %u", f.body);
    free(body);
    cr_assert_eq(got, code, "code %d expected, got %d (%s)", code, got, msg);
    cr_assert(strstr(msg, needle), "'%s' in: %s", needle, msg);
    cr_assert_eq(tl_wire_read_frame(w, &body, &len), 0, "then close_notify");
}

static long long metric(const char *series)
{
    int status = 0;
    char *text = NULL;
    cr_assert(tl_http_get(b.d.metrics_port, "/metrics", &status, &text));
    long long v = tl_metric(text, series);
    free(text);
    return v;
}

Test(enforce_crl, a_crl_that_starts_listing_a_connected_client_disconnects_it)
{
    start("");
    struct tl_wire w, other;
    cr_assert(connect_ext(&w), "the external CA's client is accepted under its empty CRL");
    cr_assert(connect_store_client(&other));
    install_crl("crl-revoked.pem");
    expect_kicked(&w, TL_ERR_REVOKED, "revoked");
    tl_wire_close(&w);
    cr_assert_not(connect_ext(&w), "its new handshakes are refused");
    tl_wire_close(&w);
    cr_assert(tl_daemon_wait_log(&b.d, "reason=AUTH_REVOKED", 1, 10000));
    cr_assert(tl_wire_ping(&other, 3), "clients of other CAs are untouched");
    tl_wire_close(&other);
}

Test(enforce_crl, keep_last_keeps_the_last_good_crl_when_the_file_turns_to_garbage)
{
    start("--crl-policy keep-last");
    struct tl_wire w;
    cr_assert(connect_ext(&w));
    install_crl("garbage.pem");
    cr_assert(tl_daemon_wait_log(&b.d, "event=crl_failed", 1, 10000));
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "policy=keep-last action=kept_last_good"), "%s", log);
    free(log);
    cr_assert_eq(metric("ringward_crl_failures_total"), 1);
    cr_assert_eq(metric("ringward_crl_files_failing"), 1);
    cr_assert(tl_wire_ping(&w, 5), "the connected client stays");
    struct tl_wire again;
    cr_assert(connect_ext(&again), "and new handshakes still pass: the last good CRL holds");
    tl_wire_close(&again);
    install_crl("crl-revoked.pem");
    expect_kicked(&w, TL_ERR_REVOKED, "revoked");
    tl_wire_close(&w);
    cr_assert(tl_daemon_wait_log(&b.d, "event=crl_recovered", 1, 10000));
    cr_assert_eq(metric("ringward_crl_files_failing"), 0);
}

Test(enforce_crl, fail_closed_refuses_the_issuers_clients_while_its_crl_is_garbage)
{
    start("--crl-policy fail-closed");
    struct tl_wire w, other;
    cr_assert(connect_ext(&w));
    cr_assert(connect_store_client(&other));
    install_crl("garbage.pem");
    expect_kicked(&w, TL_ERR_UNAUTHENTICATED, "fail-closed");
    tl_wire_close(&w);
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "event=crl_failed"), "%s", log);
    cr_assert(strstr(log, "policy=fail-closed action=refusing_issuer"), "%s", log);
    cr_assert(strstr(log, "reason=crl_unavailable"), "%s", log);
    free(log);
    cr_assert_not(connect_ext(&w), "new handshakes under the issuer are refused");
    tl_wire_close(&w);
    cr_assert_eq(metric("ringward_crl_refused_issuers"), 1);
    cr_assert_eq(metric("ringward_live_connections_closed_total{reason=\"crl_unavailable\"}"), 1);
    cr_assert(tl_wire_ping(&other, 6), "clients of other CAs are untouched");
    tl_wire_close(&other);
    install_crl("crl-empty.pem");
    cr_assert(tl_daemon_wait_log(&b.d, "event=crl_recovered", 1, 10000));
    cr_assert(connect_ext(&w), "a good CRL again lets the issuer's clients in");
    tl_wire_close(&w);
}

Test(enforce_crl, an_unusable_crl_at_startup_refuses_to_start)
{
    external_pki();
    install_crl("garbage.pem");
    char extra[4096];
    snprintf(extra, sizeof(extra), "--trust-bundle %s/ca.pem --crl %s/crl.pem "
             "--crl-policy keep-last", x, x);
    cr_assert_not(tl_daemon_start(&b.d, b.data, extra), "never silently open");
    char *log = tl_daemon_log(&b.d);
    cr_assert(strstr(log, "crl.pem"), "the log names the file: %s", log);
    free(log);
}
