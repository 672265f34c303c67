/* End-to-end: `ringward-admin acl ...` and the rules `init` seeds, on a real
 * data directory, through the real binary. */
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
    dir = tl_tmpdir("admin-acl");
    cr_assert_not_null(dir);
    setenv("RINGWARD_CA_PASSPHRASE", "correct horse battery staple", 1);
    snprintf(adm, sizeof(adm), "%s --data-dir %s/data", tl_bin("ringward-admin"), dir);
    char *out = NULL;
    int rc = tl_sh(&out, "%s init", adm);
    cr_assert_eq(rc, 0, "init failed: %s", out);
    free(out);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(admin_acl, .init = setup, .fini = teardown, .timeout = 120);

static int event_count(void)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s events --json", adm);
    cr_assert_eq(rc, 0, "%s", out);
    int n = tl_count(out, "\"seq\":");
    free(out);
    return n;
}

/* Runs `acl check`; asserts the exit code and that the output has `want`. */
static void check(const char *principal, const char *topic, const char *op, int want_rc,
                  const char *want)
{
    char *out = NULL;
    int rc = tl_sh(&out, "{ %s acl check --principal %s --topic %s --op %s 2>/dev/null; }", adm,
                   principal, topic, op);
    cr_assert_eq(rc, want_rc, "%s %s %s: exit %d: %s", principal, topic, op, rc, out);
    cr_assert(strstr(out, want), "%s %s %s: wanted '%s' in: %s", principal, topic, op, want, out);
    free(out);
}

/* tl_sh merges standard error into the output; `{ ...; }` keeps our
 * 2>/dev/null inside the group so only standard output is captured. */

/* `acl add ...` prints the new id alone on standard output. */
static long add(const char *args)
{
    char *out = NULL;
    int rc = tl_sh(&out, "{ %s acl add %s 2>/dev/null; }", adm, args);
    cr_assert_eq(rc, 0, "acl add %s: %s", args, out);
    char *end = NULL;
    long id = strtol(out, &end, 10);
    cr_assert(id > 0 && *end == '\n', "acl add printed '%s'", out);
    free(out);
    return id;
}

Test(admin_acl, init_seeds_the_demo_rules_each_with_an_event)
{
    char *out = NULL;
    int rc = tl_sh(&out, "{ %s acl list --json 2>/dev/null; }", adm);
    cr_assert_eq(rc, 0, "%s", out);
    const char *want[] = {
        "{\"id\":1,\"principal\":\"producer-1\",\"resource\":\"demo.*\",\"ops\":\"produce\","
        "\"effect\":\"allow\"",
        "{\"id\":2,\"principal\":\"consumer-1\",\"resource\":\"demo.*\",\"ops\":\"consume\","
        "\"effect\":\"allow\"",
        "{\"id\":3,\"principal\":\"admin\",\"resource\":\"*\",\"ops\":\"all\",\"effect\":\"allow\"",
        "{\"id\":4,\"principal\":\"admin\",\"resource\":\"cluster\",\"ops\":\"all\","
        "\"effect\":\"allow\"",
    };
    for (size_t i = 0; i < 4; i++) {
        cr_assert(strstr(out, want[i]), "missing %s in %s", want[i], out);
    }
    cr_assert_eq(tl_count(out, "\"id\":"), 4, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s events --json", adm);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_eq(tl_count(out, "\"kind\":\"acl.added\""), 4, "%s", out);
    cr_assert(strstr(out, "\"actor\":\"local:"), "%s", out);
    free(out);
    rc = tl_sh(&out, "{ %s acl list 2>/dev/null; }", adm);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "ID") && strstr(out, "PRINCIPAL") && strstr(out, "consumer-1"), "%s", out);
    free(out);
}

Test(admin_acl, check_add_remove_changes_the_decision)
{
    check("producer-1", "demo.x", "produce", 0, "ALLOW by rule 1 (allow producer-1 produce demo.*)");
    check("producer-1", "secret.x", "produce", 1, "DENY (no matching rule: default deny)");
    check("consumer-1", "demo.x", "produce", 1, "DENY (no matching rule: default deny)");
    check("consumer-1", "demo.x", "consume", 0, "ALLOW by rule 2");
    check("admin", "cluster", "admin", 0, "ALLOW by rule 4 (allow admin all cluster)");
    check("producer-1", "cluster", "admin", 1, "DENY (no matching rule");
    int before = event_count();
    long id = add("--principal producer-1 --topic secret.x --op produce,describe --allow");
    char want[128];
    snprintf(want, sizeof(want), "ALLOW by rule %ld (allow producer-1 produce,describe secret.x)", id);
    check("producer-1", "secret.x", "produce", 0, want);
    char *out = NULL;
    int rc = tl_sh(&out, "%s acl remove %ld", adm, id);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "removed ACL rule"), "%s", out);
    free(out);
    check("producer-1", "secret.x", "produce", 1, "DENY (no matching rule: default deny)");
    cr_assert_eq(event_count(), before + 2);
    rc = tl_sh(&out, "%s events --json --since %d", adm, before);
    cr_assert_eq(rc, 0, "%s", out);
    char obj[64];
    snprintf(obj, sizeof(obj), "\"object\":\"%ld\"", id);
    cr_assert(strstr(out, "\"kind\":\"acl.added\"") && strstr(out, "\"kind\":\"acl.removed\""),
              "%s", out);
    cr_assert_eq(tl_count(out, obj), 2, "%s", out);
    cr_assert_eq(tl_count(out, "\"actor\":\"local:"), 2, "%s", out);
    cr_assert(strstr(out, "\"resource\":\"secret.x\""), "%s", out);
    free(out);
}

Test(admin_acl, a_deny_rule_wins_over_the_seeded_allow)
{
    long id = add("--principal 'producer-*' --topic demo.secret --op all --deny");
    char want[128];
    snprintf(want, sizeof(want), "DENY by rule %ld (deny producer-* all demo.secret)", id);
    check("producer-1", "demo.secret", "produce", 1, want);
    check("producer-1", "demo.public", "produce", 0, "ALLOW by rule 1");
    check("admin", "demo.secret", "consume", 0, "ALLOW by rule 3");
}

Test(admin_acl, bad_input_exits_2_with_a_clear_message_and_writes_nothing)
{
    int before = event_count();
    static const struct {
        const char *args, *message;
    } bad[] = {
        {"acl add --principal 'a*b' --topic x --op produce --allow", "'*' may only end"},
        {"acl add --principal p --topic 'a/b' --op produce --allow", "not an ACL topic pattern"},
        {"acl add --principal p --topic 'x**' --op produce --allow", "not an ACL topic pattern"},
        {"acl add --principal p --topic x --op fly --allow", "'fly' is not an ACL operation"},
        {"acl add --principal p --topic x --op produce", "exactly one of --allow or --deny"},
        {"acl add --principal p --topic x --op produce --allow --deny", "exactly one of"},
        {"acl add --topic x --op produce --allow", "missing required option --principal"},
        {"acl add --principal p --topic x --op produce --allow --frobnicate", "unknown option"},
        {"acl remove abc", "not an ACL rule id"},
        {"acl remove", "usage: ringward-admin acl remove RULE_ID"},
        {"acl check --principal p --topic 'no/such' --op produce", "is not a topic name"},
        {"acl check --principal p --topic x --op all", "one operation"},
        {"acl check --principal p --topic x", "missing required option --op"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = NULL;
        int rc = tl_sh(&out, "%s %s", adm, bad[i].args);
        cr_assert_eq(rc, 2, "%s: exit %d: %s", bad[i].args, rc, out);
        cr_assert(strstr(out, bad[i].message), "%s: wanted '%s' in: %s", bad[i].args,
                  bad[i].message, out);
        cr_assert(strstr(out, "USAGE"), "%s", out);
        free(out);
    }
    cr_assert_eq(event_count(), before);
}

Test(admin_acl, removing_an_unknown_rule_fails_and_writes_nothing)
{
    int before = event_count();
    char *out = NULL;
    int rc = tl_sh(&out, "%s acl remove 999", adm);
    cr_assert_eq(rc, 1, "%s", out);
    cr_assert(strstr(out, "no ACL rule with id 999"), "%s", out);
    cr_assert(strstr(out, "NOT_FOUND"), "%s", out);
    free(out);
    cr_assert(tl_sh(NULL, "%s acl remove 1", adm) == 0);
    rc = tl_sh(&out, "%s acl remove 1", adm);
    cr_assert_eq(rc, 1, "a removed rule is gone: %s", out);
    free(out);
    cr_assert_eq(event_count(), before + 1);
    check("producer-1", "demo.x", "produce", 1, "default deny");
}

Test(admin_acl, help_describes_every_acl_command)
{
    const char *subs[] = {"add", "remove", "list", "check"};
    for (size_t i = 0; i < 4; i++) {
        char *out = NULL;
        int rc = tl_sh(&out, "%s acl %s --help", tl_bin("ringward-admin"), subs[i]);
        cr_assert_eq(rc, 0, "%s", out);
        char want[64];
        snprintf(want, sizeof(want), "usage: ringward-admin acl %s", subs[i]);
        cr_assert(strstr(out, want), "%s", out);
        free(out);
    }
    char *out = NULL;
    int rc = tl_sh(&out, "%s acl", tl_bin("ringward-admin"));
    cr_assert_eq(rc, 2);
    cr_assert(strstr(out, "acl check") && strstr(out, "acl add"), "%s", out);
    free(out);
    rc = tl_sh(&out, "%s --help", tl_bin("ringward-admin"));
    cr_assert_eq(rc, 0);
    cr_assert(strstr(out, "acl list"), "%s", out);
    free(out);
}
