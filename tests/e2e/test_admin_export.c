/* End-to-end: `ringward-admin certs export`, offline on the data directory
 * and remotely over the admin RPC of the real `ringward` daemon: one
 * certificate with its chain (openssl verify accepts it, no key written),
 * an unknown serial writing nothing, the --all archive (its listing, its
 * counts against `certs list` / `ca list`, a revoked status in its index),
 * existing output refused without --force, SERIAL with --all a usage error,
 * a non-admin certificate refused, and CertsExport fetched in several pages. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static struct tl_broker b;
static char offline[2048], remote[2200];

static void setup(void)
{
    unsetenv("RINGWARD_SERVER");
    cr_assert(tl_broker_init(&b, "admin-export"), "init");
    cr_assert(tl_broker_start(&b, NULL), "the broker starts");
    cr_assert_gt(b.d.admin_port, 0, "the ready file names the admin listener");
    snprintf(offline, sizeof(offline), "%s --data-dir %s", tl_bin("ringward-admin"), b.data);
    snprintf(remote, sizeof(remote), "%s --server 127.0.0.1:%d", offline, b.d.admin_port);
}

static void teardown(void)
{
    tl_broker_fini(&b);
}

TestSuite(admin_export, .init = setup, .fini = teardown, .timeout = 180);

/* The serial of `principal`'s first certificate into out (64 bytes). */
static void serial_of(const char *principal, char out[64])
{
    char *text = NULL;
    int rc = tl_sh(&text, "%s certs list --principal %s --json 2>/dev/null", offline, principal);
    cr_assert_eq(rc, 0, "%s", text);
    const char *p = strstr(text, "\"serial\":\"");
    cr_assert(p, "%s", text);
    snprintf(out, 64, "%.*s", (int)strcspn(p + 10, "\""), p + 10);
    free(text);
}

/* The number a shell pipeline prints, or -1 when it fails. */
static long count_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long count_of(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    cr_assert(len > 0 && (size_t)len < sizeof(cmd));
    char *out = NULL;
    int rc = tl_sh(&out, "%s", cmd);
    long n = rc == 0 && out ? strtol(out, NULL, 10) : -1;
    free(out);
    return n;
}

/* ---- one certificate ---- */

static void single_verifies(const char *cli, const char *tag)
{
    char out_dir[1200], *out = NULL;
    snprintf(out_dir, sizeof(out_dir), "%s/single-%s", b.dir, tag);
    char serial[64];
    serial_of("producer-1", serial);
    int rc = tl_sh(&out, "%s certs export %s --out %s --json 2>/dev/null", cli, serial, out_dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"principal\":\"producer-1\"") && strstr(out, "\"private_key\":false") &&
              strstr(out, "\"chain_certificates\":2"), "the JSON summary: %s", out);
    free(out);
    rc = tl_sh(&out, "openssl verify -CAfile %s/root-ca.pem -untrusted %s/ca-chain.pem "
                     "%s/producer-1.pem", b.pki, out_dir, out_dir);
    cr_assert_eq(rc, 0, "openssl accepts the exported chain: %s", out);
    cr_assert(strstr(out, "producer-1.pem: OK"), "%s", out);
    free(out);
    cr_assert_eq(count_of("ls -A %s | wc -l", out_dir), 2, "exactly P.pem and ca-chain.pem");
    cr_assert_eq(count_of("ls %s/*.key 2>/dev/null | wc -l", out_dir), 0, "no key");
    cr_assert_eq(count_of("grep -c PRIVATE %s/producer-1.pem %s/ca-chain.pem | "
                          "awk -F: '{s+=$2} END {print s}'", out_dir, out_dir), 0);
}

Test(admin_export, offline_single_writes_cert_and_chain) { single_verifies(offline, "off"); }
Test(admin_export, remote_single_writes_cert_and_chain) { single_verifies(remote, "rpc"); }

static void unknown_serial(const char *cli, const char *tag)
{
    char out_dir[1200], *out = NULL;
    snprintf(out_dir, sizeof(out_dir), "%s/unknown-%s", b.dir, tag);
    int rc = tl_sh(&out, "%s certs export 0123456789ABCDEF0123456789ABCDEF --out %s", cli,
                   out_dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "no certificate with serial 0123456789ABCDEF0123456789ABCDEF") &&
              strstr(out, "nothing was written"), "a clear message: %s", out);
    free(out);
    cr_assert_eq(tl_file_mode(out_dir), -1, "nothing was created");
}

Test(admin_export, offline_unknown_serial_writes_nothing) { unknown_serial(offline, "off"); }
Test(admin_export, remote_unknown_serial_writes_nothing) { unknown_serial(remote, "rpc"); }

/* ---- every certificate ---- */

static void archive_matches_the_store(const char *cli, const char *tag)
{
    char revoked[64], admin[64], *out = NULL, tgz[1200], x[1200];
    serial_of("consumer-1", revoked);
    serial_of("admin", admin);
    int rc = tl_sh(&out, "%s certs revoke %s --reason keyCompromise", offline, revoked);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    snprintf(tgz, sizeof(tgz), "%s/backup-%s.tar.gz", b.dir, tag);
    snprintf(x, sizeof(x), "%s/x-%s", b.dir, tag);
    rc = tl_sh(&out, "%s certs export --all --output %s --json 2>/dev/null", cli, tgz);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"revoked\":1") && strstr(out, "\"private_keys\":false"), "%s", out);
    free(out);
    cr_assert_eq(tl_file_mode(tgz), 0600, "the archive is owner-only");
    rc = tl_sh(&out, "tar -tzf %s", tgz);
    cr_assert_eq(rc, 0, "tar reads it: %s", out);
    cr_assert(strstr(out, "index.json") && strstr(out, "ca/root-ca.pem") &&
              strstr(out, "ca/intermediate-ca.pem") && !strstr(out, ".key"), "%s", out);
    free(out);
    long listed = count_of("%s certs list --json 2>/dev/null | grep -o '\"serial\"' | wc -l",
                           offline);
    long cas = count_of("%s ca list --json 2>/dev/null | grep -o '\"id\"' | wc -l", offline);
    cr_assert_gt(listed, 0);
    cr_assert_eq(cas, 2);
    rc = tl_sh(&out, "mkdir -p %s && tar -xzf %s -C %s", x, tgz, x);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    long pems = count_of("find %s -name '*.pem' | wc -l", x);
    cr_assert_eq(pems, listed + cas, "every certificate and every CA: %ld != %ld + %ld", pems,
                 listed, cas);
    cr_assert_eq(count_of("ls %s/certs | wc -l", x), listed);
    cr_assert_eq(count_of("grep -c '\"file\":\"certs/' %s/index.json", x), listed);
    char needle[256];
    snprintf(needle, sizeof(needle), "\"serial\":\"%s\",\"principal\":\"consumer-1\"", revoked);
    char path[1300];
    snprintf(path, sizeof(path), "%s/index.json", x);
    char *index = tl_read_file(path, NULL);
    cr_assert(index);
    const char *line = strstr(index, needle);
    cr_assert(line, "the index lists the revoked certificate: %s", index);
    size_t n = strcspn(line, "\n");
    cr_assert(memmem(line, n, "\"status\":\"revoked\"", 18) &&
              memmem(line, n, "\"revocation_reason\":\"keyCompromise\"", 35),
              "its status and reason: %.*s", (int)n, line);
    free(index);
    rc = tl_sh(&out, "openssl verify -CAfile %s/ca/root-ca.pem -untrusted "
                     "%s/ca/intermediate-ca.pem %s/certs/%s.pem", x, x, x, admin);
    cr_assert_eq(rc, 0, "the archive's PEMs verify: %s", out);
    free(out);
}

Test(admin_export, offline_all_archive_matches_the_store) { archive_matches_the_store(offline, "off"); }
Test(admin_export, remote_all_archive_matches_the_store) { archive_matches_the_store(remote, "rpc"); }

/* ---- refusals ---- */

static void existing_output_refused(const char *cli, const char *tag)
{
    char out_dir[1200], cert[1300], tgz[1200], *out = NULL;
    snprintf(out_dir, sizeof(out_dir), "%s/exists-%s", b.dir, tag);
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", out_dir);
    snprintf(tgz, sizeof(tgz), "%s/exists-%s.tar.gz", b.dir, tag);
    char serial[64];
    serial_of("producer-1", serial);
    cr_assert_eq(tl_sh(NULL, "mkdir -p %s", out_dir), 0);
    cr_assert(tl_write_file(cert, "old\n", 4) && tl_write_file(tgz, "old\n", 4));
    int rc = tl_sh(&out, "%s certs export %s --out %s", cli, serial, out_dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "already exists") && strstr(out, "--force"), "%s", out);
    free(out);
    cr_assert_eq(count_of("cat %s | wc -c", cert), 4, "left as it was");
    cr_assert_eq(count_of("ls -A %s | wc -l", out_dir), 1, "nothing else written");
    rc = tl_sh(&out, "%s certs export --all --output %s", cli, tgz);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "already exists"), "%s", out);
    free(out);
    cr_assert_eq(count_of("cat %s | wc -c", tgz), 4, "left as it was");
    cr_assert_eq(count_of("ls -A %s | grep -c '^\\.' || true", b.dir), 0, "no temp file");
    rc = tl_sh(&out, "%s certs export %s --out %s --force && %s certs export %s --out %s",
               cli, serial, out_dir, cli, serial, out_dir);
    cr_assert_eq(rc, 0, "--force replaces; an identical re-run is fine: %s", out);
    cr_assert(strstr(out, "unchanged"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs export --all --output %s --force && tar -tzf %s", cli, tgz, tgz);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "index.json"), "%s", out);
    free(out);
}

Test(admin_export, offline_existing_output_needs_force) { existing_output_refused(offline, "off"); }
Test(admin_export, remote_existing_output_needs_force) { existing_output_refused(remote, "rpc"); }

static void usage_errors(const char *cli, const char *tag)
{
    char tgz[1200], *out = NULL;
    snprintf(tgz, sizeof(tgz), "%s/usage-%s.tar.gz", b.dir, tag);
    char serial[64];
    serial_of("producer-1", serial);
    int rc = tl_sh(&out, "%s certs export %s --all --output %s", cli, serial, tgz);
    cr_assert_eq(rc, 2, "SERIAL with --all: %s", out);
    cr_assert(strstr(out, "not both"), "%s", out);
    free(out);
    cr_assert_eq(tl_sh(NULL, "%s certs export --all", cli), 2, "--all needs --output");
    cr_assert_eq(tl_sh(NULL, "%s certs export %s", cli, serial), 2, "SERIAL needs --out");
    cr_assert_eq(tl_sh(NULL, "%s certs export nothex --out %s/u", cli, b.dir), 2);
    cr_assert_eq(tl_file_mode(tgz), -1, "nothing written");
    rc = tl_sh(&out, "%s certs export --help", cli);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "No private key is ever exported") && strstr(out, "index.json"), "%s",
              out);
    free(out);
}

Test(admin_export, offline_serial_with_all_is_a_usage_error) { usage_errors(offline, "off"); }
Test(admin_export, remote_serial_with_all_is_a_usage_error) { usage_errors(remote, "rpc"); }

Test(admin_export, remote_non_admin_certificate_is_permission_denied)
{
    char tgz[1200], *out = NULL;
    snprintf(tgz, sizeof(tgz), "%s/denied.tar.gz", b.dir);
    int rc = tl_sh(&out, "%s certs export --all --output %s --cert %s/producer-1.pem "
                         "--key %s/producer-1.key", remote, tgz, b.pki, b.pki);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PERMISSION_DENIED") && strstr(out, "CertsExport"), "%s", out);
    free(out);
    cr_assert_eq(tl_file_mode(tgz), -1, "nothing written");
    cr_assert_eq(count_of("ls -A %s | grep -c '^\\.' || true", b.dir), 0, "no temp file");
}

/* ---- pagination ---- */

Test(admin_export, remote_all_fetches_several_pages)
{
    char *out = NULL, pki_out[1200];
    snprintf(pki_out, sizeof(pki_out), "%s/issued", b.dir);
    for (int i = 0; i < 8; i++) {
        char name[32];
        snprintf(name, sizeof(name), "svc-%d", i);
        cr_assert(tl_broker_issue(&b, name, "consumer", pki_out, NULL));
    }
    long listed = count_of("%s certs list --json 2>/dev/null | grep -o '\"serial\"' | wc -l",
                           offline);
    cr_assert_eq(listed, 14, "2 CA certificates, 4 demo identities, 8 more");
    char tgz[1200], off[1200];
    snprintf(tgz, sizeof(tgz), "%s/paged.tar.gz", b.dir);
    snprintf(off, sizeof(off), "%s/offline.tar.gz", b.dir);
    int rc = tl_sh(&out, "%s certs export --all --output %s --page-size 3 --json", remote, tgz);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"certificates\":14") && strstr(out, "\"pages\":5") &&
              strstr(out, "\"cas\":2"), "14 certificates in 5 pages of at most 3: %s", out);
    free(out);
    rc = tl_sh(&out, "%s certs export --all --output %s --json 2>/dev/null", offline, off);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "\"pages\":1"), "%s", out);
    free(out);
    /* The paged remote archive holds what the offline one does. */
    rc = tl_sh(&out, "cd %s && mkdir r o && tar -xzf %s -C r && tar -xzf %s -C o && "
                     "diff -r r/certs o/certs && diff -r r/ca o/ca && sed 1d r/index.json > "
                     "r.idx && sed 1d o/index.json > o.idx && diff r.idx o.idx",
               b.dir, tgz, off);
    cr_assert_eq(rc, 0, "same archive either way: %s", out);
    free(out);
}
