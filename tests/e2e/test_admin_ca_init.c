/* End-to-end: `ringward-admin ca init --cn NAME` — a root CA made offline,
 * in a new store or beside an existing hierarchy; refused over --server
 * and without a passphrase (nothing left behind). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;
static char adm[8192], data[4200];

static void setup(void)
{
    dir = tl_tmpdir("ca-init");
    cr_assert_not_null(dir);
    setenv("RINGWARD_CA_PASSPHRASE", "correct horse battery staple", 1);
    unsetenv("RINGWARD_SERVER");
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(adm, sizeof(adm), "%s --data-dir %s", tl_bin("ringward-admin"), data);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(admin_ca_init, .init = setup, .fini = teardown, .timeout = 60);

Test(admin_ca_init, a_new_store_gets_one_root_that_anchors_an_intermediate_and_a_leaf)
{
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s ca init --cn 'Acme Root' --org Acme --ttl 10y", adm), 0, "%s", out);
    cr_assert(strstr(out, "created root CA 'acme-root'"), "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "openssl x509 -in %s/pki/acme-root.pem -noout -subject -ext "
                             "basicConstraints", data), 0, "%s", out);
    cr_assert(strstr(out, "O = Acme") && strstr(out, "CN = Acme Root"), "%s", out);
    cr_assert(strstr(out, "CA:TRUE"), "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s ca intermediate --parent-ca acme-root --cn 'Issuing CA' && "
                             "%s certs issue --principal p1 --role producer --ca-id issuing-ca "
                             "--out %s/o && openssl verify -CAfile %s/pki/acme-root.pem "
                             "-untrusted %s/o/ca-chain.pem %s/o/p1.pem",
                       adm, adm, dir, data, dir, dir), 0, "%s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s ca list --json", adm), 0);
    cr_assert_eq(tl_count(out, "\"id\""), 2, "%s", out);
    free(out);
}

Test(admin_ca_init, a_second_root_joins_an_existing_store_with_a_unique_id_and_an_event)
{
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s init && %s ca init --cn 'Root CA' --json", adm, adm), 0, "%s", out);
    cr_assert(strstr(out, "{\"id\":\"root-ca-2\""), "the slug is unique: %s", out);
    free(out);
    cr_assert_eq(tl_sh(&out, "%s events", adm), 0);
    cr_assert_eq(tl_count(out, "ca.created"), 3, "%s", out);
    cr_assert(strstr(out, "local:"), "the actor is recorded: %s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "%s ca init --cn other --insecure-dev-keys", adm), 0);
    cr_assert(strstr(out, "new data directory"), "%s", out);
    free(out);
}

Test(admin_ca_init, refused_over_the_rpc_and_without_a_passphrase_and_leaves_nothing)
{
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s ca init --cn x --server 127.0.0.1:9", adm), 2, "%s", out);
    cr_assert(strstr(out, "data directory only"), "%s", out);
    free(out);
    unsetenv("RINGWARD_CA_PASSPHRASE");
    cr_assert_neq(tl_sh(&out, "%s ca init --cn x", adm), 0, "%s", out);
    cr_assert(strstr(out, "passphrase"), "%s", out);
    free(out);
    cr_assert_eq(access(data, F_OK), -1, "no store and no directory left behind");
    cr_assert_eq(tl_sh(&out, "%s ca init", adm), 2, "--cn is required: %s", out);
    cr_assert(strstr(out, "--cn"), "%s", out);
    free(out);
}
