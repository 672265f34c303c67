/* End-to-end: the real ringward-admin binary on a real data directory, with
 * the openssl CLI as a second opinion. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;
static char adm[8192];

static void setup(void)
{
    dir = tl_tmpdir("admin");
    cr_assert_not_null(dir);
    setenv("RINGWARD_CA_PASSPHRASE", "correct horse battery staple", 1);
    snprintf(adm, sizeof(adm), "%s --data-dir %s/data", tl_bin("ringward-admin"), dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

static void init_ok(void)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", adm);
    cr_assert_eq(rc, 0, "init failed: %s", out);
    free(out);
}

/* Number of events in the log: a store that "changed nothing" keeps it. */
static int event_count(void)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s events --json", adm);
    cr_assert_eq(rc, 0, "%s", out);
    int n = tl_count(out, "\"seq\":");
    free(out);
    return n;
}

static char *serial_of(const char *pem_path)
{
    char *out = NULL;
    int rc = tl_sh(&out, "openssl x509 -in %s -noout -serial | cut -d= -f2 | tr -d '\\n'", pem_path);
    cr_assert_eq(rc, 0, "%s", out);
    return out;
}

TestSuite(admin_cli, .init = setup, .fini = teardown, .timeout = 120);

Test(admin_cli, init_writes_exactly_the_documented_files)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", adm);
    cr_assert_eq(rc, 0, "%s", out);
    const char *names[] = {"root-ca.pem", "intermediate-ca.pem", "ca-chain.pem", "broker.pem",
                           "broker.key", "admin.pem", "admin.key", "producer-1.pem",
                           "producer-1.key", "consumer-1.pem", "consumer-1.key"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/data/pki/%s", dir, names[i]);
        cr_assert(strstr(out, path), "init did not print %s:\n%s", path, out);
        int mode = tl_file_mode(path);
        bool key = strstr(names[i], ".key") != NULL;
        cr_assert_eq(mode, key ? 0600 : 0644, "%s has mode %o", names[i], mode);
    }
    free(out);
    char *listing = NULL;
    tl_sh(&listing, "ls %s/data/pki | wc -l", dir);
    cr_assert_eq(atoi(listing), 11, "pki holds exactly 11 files, got %s", listing);
    free(listing);
}

Test(admin_cli, second_init_refuses_and_changes_nothing)
{
    init_ok();
    int before = event_count();
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", adm);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(out, "already initialised"), "%s", out);
    free(out);
    cr_assert_eq(event_count(), before);
}

Test(admin_cli, init_without_passphrase_refuses_and_creates_nothing)
{
    unsetenv("RINGWARD_CA_PASSPHRASE");
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", adm);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(out, "passphrase"), "%s", out);
    free(out);
    char path[4096];
    snprintf(path, sizeof(path), "%s/data/ringward.db", dir);
    cr_assert_eq(tl_file_mode(path), -1, "no store may be created");
}

Test(admin_cli, ca_keys_are_encrypted_at_rest)
{
    init_ok();
    char path[4096];
    snprintf(path, sizeof(path), "%s/data/ringward.db", dir);
    char *out = NULL;
    /* Checkpoint-independent: look at the db and its WAL together. */
    tl_sh(&out, "cat %s %s-wal 2>/dev/null | grep -a -c 'BEGIN ENCRYPTED PRIVATE KEY'", path, path);
    cr_assert(atoi(out) >= 2, "both CA keys are encrypted PKCS#8: %s", out);
    free(out);
    tl_sh(&out, "cat %s %s-wal 2>/dev/null | grep -a -c -- '-----BEGIN PRIVATE KEY'", path, path);
    cr_assert_eq(atoi(out), 0, "no plaintext key in the store");
    free(out);
}

Test(admin_cli, wrong_passphrase_is_refused_and_changes_nothing)
{
    init_ok();
    int before = event_count();
    setenv("RINGWARD_CA_PASSPHRASE", "wrong", 1);
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs issue --principal p9 --role producer --out %s/o", adm, dir);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "wrong passphrase"), "%s", out);
    free(out);
    cr_assert_eq(event_count(), before);
}

Test(admin_cli, openssl_verifies_every_chain_from_init)
{
    init_ok();
    const char *leaves[] = {"broker", "admin", "producer-1", "consumer-1"};
    for (size_t i = 0; i < 4; i++) {
        char *out = NULL;
        int rc = tl_sh(&out,
                       "openssl verify -purpose sslclient -CAfile %s/data/pki/root-ca.pem "
                       "-untrusted %s/data/pki/intermediate-ca.pem %s/data/pki/%s.pem",
                       dir, dir, dir, leaves[i]);
        cr_assert_eq(rc, 0, "%s: %s", leaves[i], out);
        free(out);
    }
    char *out = NULL;
    int rc = tl_sh(&out,
                   "openssl verify -purpose sslserver -verify_hostname localhost -CAfile "
                   "%s/data/pki/root-ca.pem -untrusted %s/data/pki/intermediate-ca.pem "
                   "%s/data/pki/broker.pem", dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "openssl verify -CAfile %s/data/pki/root-ca.pem -untrusted "
                     "%s/data/pki/ca-chain.pem %s/data/pki/producer-1.pem", dir, dir, dir);
    cr_assert_eq(rc, 0, "ca-chain.pem completes the chain: %s", out);
    free(out);
}

Test(admin_cli, our_verify_accepts_and_names_the_principal)
{
    init_ok();
    char *out = NULL;
    int rc = tl_sh(&out, "%s verify --ca %s/data/pki/root-ca.pem --untrusted "
                         "%s/data/pki/intermediate-ca.pem --cert %s/data/pki/producer-1.pem",
                   tl_bin("ringward-admin"), dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "principal=producer-1 role=producer"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s verify --purpose server --name 127.0.0.1 --ca %s/data/pki/root-ca.pem "
                     "--untrusted %s/data/pki/intermediate-ca.pem --cert %s/data/pki/broker.pem",
               tl_bin("ringward-admin"), dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s verify --purpose server --ca %s/data/pki/root-ca.pem "
                     "--untrusted %s/data/pki/intermediate-ca.pem --cert %s/data/pki/producer-1.pem",
               tl_bin("ringward-admin"), dir, dir, dir);
    cr_assert_eq(rc, 1, "a client-only certificate is no server: %s", out);
    cr_assert(strstr(out, "AUTH_WRONG_USAGE"), "%s", out);
    free(out);
}

Test(admin_cli, revoke_then_both_verifiers_reject_with_the_crl)
{
    init_ok();
    char cert[4096];
    snprintf(cert, sizeof(cert), "%s/data/pki/consumer-1.pem", dir);
    char *serial = serial_of(cert);
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs revoke %s --reason keyCompromise", adm, serial);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s crl export --out %s/crls.pem", adm, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "openssl verify -crl_check -CAfile %s/data/pki/root-ca.pem -untrusted "
                     "%s/data/pki/intermediate-ca.pem -CRLfile %s/crls.pem %s",
               dir, dir, dir, cert);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(out, "certificate revoked"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s verify --ca %s/data/pki/root-ca.pem --untrusted "
                     "%s/data/pki/intermediate-ca.pem --cert %s --crl %s/crls.pem",
               tl_bin("ringward-admin"), dir, dir, cert, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "revoked"), "%s", out);
    free(out);
    /* The producer is still fine with the same CRL. */
    rc = tl_sh(&out, "openssl verify -crl_check -CAfile %s/data/pki/root-ca.pem -untrusted "
                     "%s/data/pki/intermediate-ca.pem -CRLfile %s/crls.pem %s/data/pki/producer-1.pem",
               dir, dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs list --status revoked --json", adm);
    cr_assert(strstr(out, serial) && strstr(out, "keyCompromise"), "%s", out);
    free(out);
    free(serial);
}

Test(admin_cli, revoke_twice_and_unknown_serial_are_errors)
{
    init_ok();
    char cert[4096];
    snprintf(cert, sizeof(cert), "%s/data/pki/admin.pem", dir);
    char *serial = serial_of(cert);
    char *out = NULL;
    cr_assert_eq(tl_sh(NULL, "%s certs revoke %s", adm, serial), 0);
    int before = event_count();
    int rc = tl_sh(&out, "%s certs revoke %s --reason superseded", adm, serial);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "already revoked"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs revoke 0123456789ABCDEF", adm);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "no certificate with serial"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs revoke %s --reason notAReason", adm, serial);
    cr_assert_eq(rc, 2, "%s", out);
    free(out);
    cr_assert_eq(event_count(), before);
    free(serial);
}

Test(admin_cli, openssl_csr_is_signed_with_profile_extensions_only)
{
    init_ok();
    char *out = NULL;
    int rc = tl_sh(&out,
                   "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout %s/m.key -out %s/m.csr -subj /CN=machine-7 "
                   "-addext basicConstraints=critical,CA:TRUE", dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs sign-csr %s/m.csr --role producer --out %s/m.pem", adm, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "openssl verify -purpose sslclient -CAfile %s/data/pki/root-ca.pem "
                     "-untrusted %s/data/pki/intermediate-ca.pem %s/m.pem", dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "openssl x509 -in %s/m.pem -noout -text", dir);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "CA:FALSE"), "the request's CA:TRUE is ignored: %s", out);
    cr_assert(strstr(out, "CN = machine-7"), "%s", out);
    cr_assert(strstr(out, "URI:ringward:principal:machine-7"), "%s", out);
    free(out);
    /* The certificate matches the CSR's key (proof the key never left). */
    rc = tl_sh(&out, "test \"$(openssl x509 -in %s/m.pem -noout -pubkey)\" = "
                     "\"$(openssl pkey -in %s/m.key -pubout)\"", dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

Test(admin_cli, bad_csrs_are_rejected_with_a_reason_and_change_nothing)
{
    init_ok();
    int before = event_count();
    char *out = NULL;
    /* Malformed. */
    cr_assert_eq(tl_sh(NULL, "echo 'not a csr' > %s/bad.csr", dir), 0);
    int rc = tl_sh(&out, "%s certs sign-csr %s/bad.csr --role producer", adm, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PROTO_MALFORMED"), "%s", out);
    free(out);
    /* Oversized. */
    cr_assert_eq(tl_sh(NULL, "head -c 20000 /dev/zero > %s/big.csr", dir), 0);
    rc = tl_sh(&out, "%s certs sign-csr %s/big.csr --role producer", adm, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PROTO_TOO_LARGE"), "%s", out);
    free(out);
    /* Badly signed: same request, one bit of the signature flipped (DER). */
    rc = tl_sh(&out,
               "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
               "-keyout %s/s.key -subj /CN=sig-test -outform DER -out %s/s.der && "
               "size=$(stat -c %%s %s/s.der) && "
               "last=$(od -An -tx1 -j $((size-1)) -N1 %s/s.der | tr -d ' ') && "
               "printf \"\\\\$(printf %%03o $((0x$last ^ 1)))\" | "
               "dd of=%s/s.der bs=1 seek=$((size-1)) conv=notrunc 2>/dev/null",
               dir, dir, dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs sign-csr %s/s.der --role producer", adm, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "AUTH_BAD_SIGNATURE"), "%s", out);
    free(out);
    /* Truncated PEM. */
    rc = tl_sh(&out, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                     "-keyout %s/t.key -subj /CN=t -out %s/t.csr && head -n 4 %s/t.csr > %s/tt.csr",
               dir, dir, dir, dir);
    free(out);
    rc = tl_sh(&out, "%s certs sign-csr %s/tt.csr --role producer", adm, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PROTO_MALFORMED"), "%s", out);
    free(out);
    cr_assert_eq(event_count(), before, "no rejected CSR leaves a trace in the store");
}

Test(admin_cli, unknown_ca_id_and_path_length_are_clear_errors)
{
    init_ok();
    int before = event_count();
    char *out = NULL;
    int rc = tl_sh(&out, "%s certs issue --principal x --role producer --ca-id nope --out %s/o",
                   adm, dir);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "unknown CA id 'nope'"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s ca intermediate --parent-ca intermediate-ca --cn 'Too Deep'", adm);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "path length 0"), "%s", out);
    free(out);
    cr_assert_eq(event_count(), before);
}

Test(admin_cli, new_intermediate_issues_chains_openssl_accepts)
{
    init_ok();
    char *out = NULL;
    int rc = tl_sh(&out, "%s ca intermediate --parent-ca root-ca --cn 'Production CA'", adm);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "production-ca"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s certs issue --principal svc-a --role consumer --ca-id production-ca "
                     "--ttl 2d --out %s/o", adm, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    char key[4096];
    snprintf(key, sizeof(key), "%s/o/svc-a.key", dir);
    cr_assert_eq(tl_file_mode(key), 0600);
    rc = tl_sh(&out, "openssl verify -CAfile %s/data/pki/root-ca.pem -untrusted %s/o/ca-chain.pem "
                     "%s/o/svc-a.pem", dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s ca list --json", adm);
    cr_assert(strstr(out, "\"id\":\"production-ca\"") && strstr(out, "\"parent\":\"root-ca\""),
              "%s", out);
    free(out);
}

Test(admin_cli, revoking_an_intermediate_rejects_chains_through_it)
{
    init_ok();
    char *serial = NULL, *out = NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/data/pki/intermediate-ca.pem", dir);
    serial = serial_of(path);
    int rc = tl_sh(&out, "%s certs revoke %s --reason cACompromise", adm, serial);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s crl export --out %s/crls.pem", adm, dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s verify --ca %s/data/pki/root-ca.pem --untrusted %s --cert "
                     "%s/data/pki/producer-1.pem --crl %s/crls.pem",
               tl_bin("ringward-admin"), dir, path, dir, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "revoked"), "%s", out);
    free(out);
    free(serial);
}

Test(admin_cli, corrupted_store_gives_a_clear_error_and_is_left_alone)
{
    char *out = NULL;
    cr_assert_eq(tl_sh(NULL, "mkdir -p %s/data && head -c 8192 /dev/urandom > %s/data/ringward.db",
                       dir, dir), 0);
    char *before = NULL;
    tl_sh(&before, "sha256sum < %s/data/ringward.db", dir);
    int rc = tl_sh(&out, "%s certs list", adm);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "IO_CORRUPT"), "%s", out);
    free(out);
    char *after = NULL;
    tl_sh(&after, "sha256sum < %s/data/ringward.db", dir);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
}

Test(admin_cli, missing_store_says_how_to_create_one)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s ca list", adm);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(out, "init"), "%s", out);
    free(out);
}

Test(admin_cli, truncated_pem_is_rejected_by_verify)
{
    init_ok();
    char *out = NULL;
    cr_assert_eq(tl_sh(NULL, "head -n 5 %s/data/pki/producer-1.pem > %s/trunc.pem", dir, dir), 0);
    int rc = tl_sh(&out, "%s verify --ca %s/data/pki/root-ca.pem --cert %s/trunc.pem",
                   tl_bin("ringward-admin"), dir, dir);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "PROTO_MALFORMED"), "%s", out);
    free(out);
}

Test(admin_cli, events_record_every_mutation_with_its_actor)
{
    init_ok();
    char *out = NULL;
    int rc = tl_sh(&out, "%s events --json", adm);
    cr_assert_eq(rc, 0);
    cr_assert_eq(tl_count(out, "\"kind\":\"ca.created\""), 2, "%s", out);
    cr_assert_eq(tl_count(out, "\"kind\":\"cert.issued\""), 4, "%s", out);
    cr_assert(strstr(out, "\"actor\":\"local:"), "%s", out);
    free(out);
}

Test(admin_cli, every_command_has_help)
{
    const char *cmds[] = {"init", "ca list", "ca intermediate", "ca show", "ca disable",
                          "certs issue", "certs sign-csr", "certs revoke", "certs list",
                          "certs show", "crl export", "events", "verify"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *out = NULL;
        int rc = tl_sh(&out, "%s %s --help", tl_bin("ringward-admin"), cmds[i]);
        cr_assert_eq(rc, 0, "%s: %s", cmds[i], out);
        cr_assert(strstr(out, "usage: ringward-admin"), "%s: %s", cmds[i], out);
        free(out);
    }
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s certs frobnicate", tl_bin("ringward-admin")), 2);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s ca list --bogus", adm), 2);
    cr_assert(strstr(out, "unknown option --bogus"), "%s", out);
    free(out);
}
