/* tests/unit/security/test_sec_acl.c — ACL rules, the compiled snapshot,
 * the per-connection cache, and rule changes with their events in the store. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/sec_acl.h"
#include "tests/testlib/tl_fs.h"

#define ASSERT_DETAIL_HAS(s) \
    cr_assert(strstr(rw_err_detail(), (s)), "detail '%s' lacks '%s'", rw_err_detail(), (s))

static struct rw_sec_acl_rule mk(int64_t id, const char *principal, const char *resource,
                                 unsigned ops, enum rw_sec_acl_effect effect)
{
    struct rw_sec_acl_rule r;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&r, principal, resource, ops, effect)), "%s: %s %s",
              rw_err_detail(), principal, resource);
    r.id = id;
    return r;
}

static struct rw_sec_acl *compile(const struct rw_sec_acl_rule *rules, size_t n)
{
    struct rw_sec_acl *acl = NULL;
    cr_assert(rw_ok(rw_sec_acl_build_rules(rules, n, &acl)), "%s", rw_err_detail());
    cr_assert_not_null(acl);
    return acl;
}

struct expect {
    const char *principal, *topic;
    unsigned op;
    enum rw_sec_acl_effect want;
    int64_t rule;
};

static void expect_all(const struct rw_sec_acl *acl, const struct expect *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t id = -1;
        enum rw_sec_acl_effect got = rw_sec_acl_check(acl, e[i].principal, e[i].topic, e[i].op, &id);
        cr_assert_eq(got, e[i].want, "case %zu: %s %s op %u: got %d", i, e[i].principal,
                     e[i].topic, e[i].op, got);
        cr_assert_eq(id, e[i].rule, "case %zu: %s %s op %u: rule %lld, want %lld", i,
                     e[i].principal, e[i].topic, e[i].op, (long long)id, (long long)e[i].rule);
    }
}

#define P RW_ACL_PRODUCE
#define C RW_ACL_CONSUME
#define D RW_ACL_DESCRIBE
#define A RW_ACL_ADMIN
#define ALLOW RW_ACL_ALLOW
#define DENY RW_ACL_DENY
#define N(x) (sizeof(x) / sizeof((x)[0]))

TestSuite(sec_acl, .timeout = 60);

Test(sec_acl, matching_matrix_principals_by_resources_by_ops)
{
    const struct rw_sec_acl_rule rules[] = {
        mk(1, "alice", "orders.eu", P, ALLOW),    /* exact x literal */
        mk(2, "svc-*", "logs.*", C, ALLOW),       /* prefix x prefix */
        mk(3, "*", "*", D, ALLOW),                /* any x any */
        mk(4, "ops", "cluster", A, ALLOW),        /* exact x cluster */
        mk(5, "bob", "*", P, ALLOW),              /* exact x any */
        mk(6, "team-*", "team.x", P, ALLOW),      /* prefix x literal */
        mk(7, "*", "public.*", C, ALLOW),         /* any x prefix */
        mk(8, "*", "c*", A, ALLOW),               /* a prefix never covers cluster */
        mk(9, "svc-*", "cluster", D, ALLOW),      /* prefix x cluster */
    };
    struct rw_sec_acl *acl = compile(rules, N(rules));
    const struct expect e[] = {
        {"alice", "orders.eu", P, ALLOW, 1},   {"alice", "orders.eu", C, DENY, 0},
        {"alice", "orders.eu", D, ALLOW, 3},   {"alice", "orders.eux", P, DENY, 0},
        {"alic", "orders.eu", P, DENY, 0},     {"alice2", "orders.eu", P, DENY, 0},
        {"svc-a", "logs.app", C, ALLOW, 2},    {"svc-", "logs.", C, ALLOW, 2},
        {"svc", "logs.app", C, DENY, 0},       {"svc-a", "logs", C, DENY, 0},
        {"svc-a", "logsx.app", C, DENY, 0},    {"svc-a", "logs.app", P, DENY, 0},
        {"anyone", "x", D, ALLOW, 3},          {"anyone", "cluster", D, DENY, 0},
        {"ops", "cluster", A, ALLOW, 4},       {"ops", "cluster", P, DENY, 0},
        {"ops", "orders.eu", A, DENY, 0},      {"bob", "anything", P, ALLOW, 5},
        {"bob", "cluster", P, DENY, 0},        {"bob", "anything", C, DENY, 0},
        {"team-1", "team.x", P, ALLOW, 6},     {"team-1", "team.y", P, DENY, 0},
        {"team", "team.x", P, DENY, 0},        {"zed", "public.news", C, ALLOW, 7},
        {"zed", "public", C, DENY, 0},         {"zed", "cfg", A, ALLOW, 8},
        {"zed", "cluster", A, DENY, 0},        {"svc-x", "cluster", D, ALLOW, 9},
        {"svc-x", "cluster", A, DENY, 0},      {"other", "cluster", D, DENY, 0},
    };
    expect_all(acl, e, N(e));
    rw_sec_acl_unref(acl);
}

Test(sec_acl, deny_overrides_allow_whatever_the_order)
{
    const struct rw_sec_acl_rule rules[] = {
        mk(1, "*", "*", RW_ACL_ALL, ALLOW),
        mk(2, "mallory", "secret.*", P, DENY),
        mk(3, "mallory", "secret.x", P | C, ALLOW), /* later allow does not undo the deny */
        mk(4, "eve*", "orders.eu", C, DENY),        /* a prefix deny beats an exact allow */
        mk(5, "eve", "orders.eu", C, ALLOW),
        mk(6, "mallory", "*", P, DENY),             /* two denies: the lowest id is reported */
    };
    struct rw_sec_acl *acl = compile(rules, N(rules));
    const struct expect e[] = {
        {"mallory", "secret.x", P, DENY, 2},  {"mallory", "secret.x", C, ALLOW, 1},
        {"mallory", "public", P, DENY, 6},    {"someone", "secret.x", P, ALLOW, 1},
        {"eve", "orders.eu", C, DENY, 4},     {"eve", "orders.eu", P, ALLOW, 1},
        {"evelyn", "orders.eu", C, DENY, 4},
    };
    expect_all(acl, e, N(e));
    rw_sec_acl_unref(acl);
}

Test(sec_acl, default_deny_and_fail_closed_inputs)
{
    struct rw_sec_acl *empty = compile(NULL, 0);
    int64_t id = -1;
    cr_assert_eq(rw_sec_acl_check(empty, "admin", "demo.x", P, &id), DENY);
    cr_assert_eq(id, 0);
    cr_assert_eq(rw_sec_acl_check(NULL, "admin", "demo.x", P, &id), DENY);
    rw_sec_acl_unref(empty);
    const struct rw_sec_acl_rule all[] = {mk(1, "*", "*", RW_ACL_ALL, ALLOW)};
    struct rw_sec_acl *acl = compile(all, 1);
    cr_assert_eq(rw_sec_acl_check(acl, "p", "demo.x", P, NULL), ALLOW);
    char long_topic[300];
    memset(long_topic, 'a', sizeof(long_topic) - 1);
    long_topic[sizeof(long_topic) - 1] = '\0';
    const char *bad_topics[] = {"", "a/b", "a b", "demo.*", "caf\xc3\xa9", long_topic};
    for (size_t i = 0; i < N(bad_topics); i++) {
        cr_assert_eq(rw_sec_acl_check(acl, "p", bad_topics[i], P, &id), DENY, "topic %zu", i);
        cr_assert_eq(id, 0);
    }
    long_topic[RW_ACL_TOPIC_MAX] = '\0'; /* exactly 249 bytes is a topic */
    cr_assert_eq(rw_sec_acl_check(acl, "p", long_topic, P, NULL), ALLOW);
    const unsigned bad_ops[] = {0, P | C, RW_ACL_ALL, 16, 1u << 31};
    for (size_t i = 0; i < N(bad_ops); i++) {
        cr_assert_eq(rw_sec_acl_check(acl, "p", "demo.x", bad_ops[i], NULL), DENY, "op %u",
                     bad_ops[i]);
    }
    char long_principal[300];
    memset(long_principal, 'p', sizeof(long_principal) - 1);
    long_principal[sizeof(long_principal) - 1] = '\0';
    cr_assert_eq(rw_sec_acl_check(acl, "", "demo.x", P, NULL), DENY);
    cr_assert_eq(rw_sec_acl_check(acl, NULL, "demo.x", P, NULL), DENY);
    cr_assert_eq(rw_sec_acl_check(acl, long_principal, "demo.x", P, NULL), DENY);
    cr_assert_eq(rw_sec_acl_check(acl, "p", NULL, P, NULL), DENY);
    rw_sec_acl_unref(acl);
}

Test(sec_acl, all_means_every_operation)
{
    unsigned ops = 0;
    cr_assert(rw_ok(rw_sec_acl_ops_parse("all", &ops)));
    cr_assert_eq(ops, RW_ACL_ALL);
    cr_assert(rw_ok(rw_sec_acl_ops_parse("Produce,describe", &ops)));
    cr_assert_eq(ops, P | D);
    char text[RW_ACL_OPS_STR_MAX];
    rw_sec_acl_ops_format(RW_ACL_ALL, text);
    cr_assert_str_eq(text, "all");
    rw_sec_acl_ops_format(C | A, text);
    cr_assert_str_eq(text, "consume,admin");
    const struct rw_sec_acl_rule rules[] = {mk(1, "admin", "*", RW_ACL_ALL, ALLOW),
                                            mk(2, "admin", "cluster", RW_ACL_ALL, ALLOW),
                                            mk(3, "guest", "x", RW_ACL_ALL, DENY),
                                            mk(4, "*", "x", RW_ACL_ALL, ALLOW)};
    struct rw_sec_acl *acl = compile(rules, N(rules));
    for (unsigned op = 1; op <= RW_ACL_ADMIN; op <<= 1) {
        int64_t id = 0;
        cr_assert_eq(rw_sec_acl_check(acl, "admin", "any.topic", op, &id), ALLOW);
        cr_assert_eq(id, 1);
        cr_assert_eq(rw_sec_acl_check(acl, "admin", "cluster", op, &id), ALLOW);
        cr_assert_eq(id, 2);
        cr_assert_eq(rw_sec_acl_check(acl, "guest", "x", op, &id), DENY);
        cr_assert_eq(id, 3);
    }
    rw_sec_acl_unref(acl);
}

Test(sec_acl, invalid_patterns_ops_and_rules_are_usage_errors)
{
    char p256[257], t250[251], t249[250], pre249[251];
    memset(p256, 'p', 256);
    p256[256] = '\0';
    memset(t250, 't', 250);
    t250[250] = '\0';
    memset(t249, 't', 249);
    t249[249] = '\0';
    memset(pre249, 't', 249);
    pre249[249] = '*';
    pre249[250] = '\0';
    const char *bad_principals[] = {"", "a*b", "**", "*a", "line\nbreak", "tab\t", p256};
    for (size_t i = 0; i < N(bad_principals); i++) {
        cr_assert_eq(rw_sec_acl_principal_check(bad_principals[i]).err, RW_ERR_USAGE, "%zu", i);
        cr_assert(rw_err_detail()[0]);
    }
    const char *good_principals[] = {"*", "producer-1", "svc-*", "CN with spaces", "spiffe://x/y"};
    for (size_t i = 0; i < N(good_principals); i++) {
        cr_assert(rw_ok(rw_sec_acl_principal_check(good_principals[i])), "%zu", i);
    }
    const char *bad_resources[] = {"", "a/b", "a b", "*x", "x**", "or*ders", "a.*.b", t250, pre249};
    for (size_t i = 0; i < N(bad_resources); i++) {
        cr_assert_eq(rw_sec_acl_resource_check(bad_resources[i]).err, RW_ERR_USAGE, "%zu", i);
        ASSERT_DETAIL_HAS("topic");
    }
    pre249[248] = '*'; /* a 248-byte prefix plus '*' */
    pre249[249] = '\0';
    const char *good_resources[] = {"*", "cluster", "orders.*", "orders*", "a", t249, pre249};
    for (size_t i = 0; i < N(good_resources); i++) {
        cr_assert(rw_ok(rw_sec_acl_resource_check(good_resources[i])), "%zu", i);
    }
    const char *bad_ops[] = {"", "produce,", ",produce", "fly", "produce,,consume", "all "};
    unsigned ops = 0;
    for (size_t i = 0; i < N(bad_ops); i++) {
        cr_assert_eq(rw_sec_acl_ops_parse(bad_ops[i], &ops).err, RW_ERR_USAGE, "%zu", i);
        ASSERT_DETAIL_HAS("not an ACL operation");
    }
    enum rw_sec_acl_effect e;
    cr_assert(rw_sec_acl_effect_parse("deny", &e) && e == DENY);
    cr_assert(!rw_sec_acl_effect_parse("maybe", &e));
    struct rw_sec_acl_rule r;
    cr_assert_eq(rw_sec_acl_rule_make(&r, "p", "x", 0, ALLOW).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_acl_rule_make(&r, "p", "x", 32, ALLOW).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_acl_rule_make(&r, "p", "x", P, (enum rw_sec_acl_effect)7).err,
                 RW_ERR_USAGE);
    struct rw_sec_acl_rule rules[2] = {mk(1, "p", "x", P, ALLOW), mk(2, "p", "y", P, ALLOW)};
    struct rw_sec_acl *acl = NULL;
    strcpy(rules[1].resource, "bad/topic");
    cr_assert_eq(rw_sec_acl_build_rules(rules, 2, &acl).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("ACL rule 2");
    cr_assert_null(acl);
    rules[1] = mk(0, "p", "y", P, ALLOW);
    cr_assert_eq(rw_sec_acl_build_rules(rules, 2, &acl).err, RW_ERR_USAGE);
    ASSERT_DETAIL_HAS("id >= 1");
}

Test(sec_acl, snapshot_refcount_generation_and_rule_lookup)
{
    const struct rw_sec_acl_rule rules[] = {mk(7, "producer-1", "demo.*", P, ALLOW),
                                            mk(3, "*", "secret.*", RW_ACL_ALL, DENY)};
    struct rw_sec_acl *a = compile(rules, N(rules));
    struct rw_sec_acl *b = compile(rules, N(rules));
    cr_assert_neq(rw_sec_acl_generation(a), 0);
    cr_assert_gt(rw_sec_acl_generation(b), rw_sec_acl_generation(a));
    cr_assert_eq(rw_sec_acl_rule_count(a), 2);
    cr_assert_eq(rw_sec_acl_ref(a), a);
    rw_sec_acl_unref(a); /* one reference left: still readable (ASan would see a free) */
    int64_t id = 0;
    cr_assert_eq(rw_sec_acl_check(a, "producer-1", "demo.x", P, &id), ALLOW);
    const struct rw_sec_acl_rule *r = rw_sec_acl_rule_find(a, id);
    cr_assert_not_null(r);
    char text[RW_ACL_RULE_STR_MAX];
    rw_sec_acl_rule_format(r, text);
    cr_assert_str_eq(text, "allow producer-1 produce demo.*");
    cr_assert_null(rw_sec_acl_rule_find(a, 5));
    cr_assert_str_eq(rw_sec_acl_rule_find(a, 3)->resource, "secret.*");
    rw_sec_acl_unref(a); /* the last one: freed (LeakSanitizer checks) */
    rw_sec_acl_unref(b);
    rw_sec_acl_unref(NULL);
    cr_assert_null(rw_sec_acl_ref(NULL));
}

Test(sec_acl, cache_remembers_per_topic_and_op_and_drops_on_a_new_generation)
{
    const struct rw_sec_acl_rule v1[] = {mk(1, "p", "demo.*", P, ALLOW)};
    const struct rw_sec_acl_rule v2[] = {mk(1, "p", "demo.*", P, ALLOW),
                                         mk(2, "p", "demo.x", P, DENY)};
    struct rw_sec_acl *a1 = compile(v1, 1), *a2 = compile(v2, 2);
    struct rw_sec_acl_cache c;
    rw_sec_acl_cache_init(&c, "p");
    int64_t id = 0;
    cr_assert_eq(rw_sec_acl_cache_check(&c, a1, "demo.x", P, &id), ALLOW);
    cr_assert_eq(id, 1);
    cr_assert_eq(c.misses, 1);
    cr_assert_eq(rw_sec_acl_cache_check(&c, a1, "demo.x", P, &id), ALLOW);
    cr_assert_eq(c.hits, 1);
    cr_assert_eq(rw_sec_acl_cache_check(&c, a1, "demo.x", C, &id), DENY, "op is part of the key");
    cr_assert_eq(id, 0);
    cr_assert_eq(c.misses, 2);
    /* A new generation: the cached allow must not survive the new deny. */
    cr_assert_eq(rw_sec_acl_cache_check(&c, a2, "demo.x", P, &id), DENY);
    cr_assert_eq(id, 2);
    cr_assert_eq(c.misses, 3);
    cr_assert_eq(rw_sec_acl_cache_check(&c, a2, "demo.x", P, &id), DENY);
    cr_assert_eq(c.hits, 2);
    cr_assert_eq(rw_sec_acl_cache_check(&c, a1, "demo.x", P, &id), ALLOW, "back to the old one");
    cr_assert_eq(c.misses, 4);
    rw_sec_acl_unref(a1);
    rw_sec_acl_unref(a2);
}

Test(sec_acl, cache_compares_topics_in_full_and_evicts)
{
    const struct rw_sec_acl_rule rules[] = {mk(1, "p", "ok.*", P, ALLOW)};
    struct rw_sec_acl *acl = compile(rules, 1);
    struct rw_sec_acl_cache c;
    rw_sec_acl_cache_init(&c, "p");
    char longer[120];
    memset(longer, 'k', sizeof(longer) - 1);
    memcpy(longer, "ok.", 3);
    longer[sizeof(longer) - 1] = '\0';
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3 * RW_ACL_CACHE_SLOTS; i++) {
            char topic[32];
            snprintf(topic, sizeof(topic), "%s.%d", i % 2 ? "ok" : "no", i);
            cr_assert_eq(rw_sec_acl_cache_check(&c, acl, topic, P, NULL), i % 2 ? ALLOW : DENY,
                         "%s", topic);
        }
        cr_assert_eq(rw_sec_acl_cache_check(&c, acl, longer, P, NULL), ALLOW);
    }
    uint64_t before = c.misses;
    cr_assert_eq(rw_sec_acl_cache_check(&c, acl, longer, P, NULL), ALLOW);
    cr_assert_eq(c.misses, before + 1, "names over the slot size are never cached");
    struct rw_sec_acl_cache other;
    rw_sec_acl_cache_init(&other, "q");
    cr_assert_eq(rw_sec_acl_cache_check(&other, acl, "ok.1", P, NULL), DENY, "bound to q");
    rw_sec_acl_unref(acl);
}

/* ---- 10,000 rules against a naive reference ---- */

static bool ref_match(const char *pat, const char *name, bool resource)
{
    bool cluster = strcmp(name, "cluster") == 0;
    if (resource && (cluster || strcmp(pat, "cluster") == 0)) {
        return cluster && strcmp(pat, "cluster") == 0;
    }
    size_t n = strlen(pat);
    if (pat[n - 1] == '*') {
        return strncmp(pat, name, n - 1) == 0;
    }
    return strcmp(pat, name) == 0;
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void pick_name(uint32_t *x, bool resource, bool pattern, char *out, size_t cap)
{
    uint32_t k = rnd(x) % 100;
    const char *stem = resource ? "t" : "user";
    if (!pattern && k >= 80) {
        stem = resource ? "other" : "nobody"; /* names only wildcards can match */
    }
    if (pattern && k < 1) {
        snprintf(out, cap, "*");
    } else if (resource && k < 6) {
        snprintf(out, cap, "cluster");
    } else if (pattern && k < 30) {
        snprintf(out, cap, "%s%u%s", stem, rnd(x) % 40, k % 2 ? ".*" : "*");
    } else {
        snprintf(out, cap, "%s%u.%u", stem, rnd(x) % 40, rnd(x) % 8);
    }
}

Test(sec_acl, ten_thousand_rules_decide_like_a_linear_scan)
{
    enum { NR = 10000, NQ = 3000 };
    struct rw_sec_acl_rule *rules = calloc(NR, sizeof(*rules));
    cr_assert_not_null(rules);
    uint32_t x = 2463534242u;
    for (int i = 0; i < NR; i++) {
        char p[64], t[64];
        pick_name(&x, false, true, p, sizeof(p));
        pick_name(&x, true, true, t, sizeof(t));
        rules[i] = mk(i + 1, p, t, 1u + rnd(&x) % RW_ACL_ALL, rnd(&x) % 10 == 0 ? DENY : ALLOW);
    }
    struct rw_sec_acl *acl = compile(rules, NR);
    int allowed = 0, denied_by_rule = 0;
    for (int q = 0; q < NQ; q++) {
        char p[64], t[64];
        pick_name(&x, false, false, p, sizeof(p));
        pick_name(&x, true, false, t, sizeof(t));
        unsigned op = 1u << (rnd(&x) % 4);
        int64_t want_allow = 0, want_deny = 0;
        for (int i = 0; i < NR; i++) {
            const struct rw_sec_acl_rule *r = &rules[i];
            if (!(r->ops & op) || !ref_match(r->principal, p, false) ||
                !ref_match(r->resource, t, true)) {
                continue;
            }
            int64_t *slot = r->effect == DENY ? &want_deny : &want_allow;
            *slot = *slot ? *slot : r->id;
        }
        int64_t id = -1;
        enum rw_sec_acl_effect got = rw_sec_acl_check(acl, p, t, op, &id);
        enum rw_sec_acl_effect want = !want_deny && want_allow ? ALLOW : DENY;
        cr_assert_eq(got, want, "%s %s op %u", p, t, op);
        cr_assert_eq(id, want_deny ? want_deny : want_allow, "%s %s op %u", p, t, op);
        allowed += got == ALLOW;
        denied_by_rule += got == DENY && id != 0;
    }
    /* The workload must exercise all three outcomes to mean anything. */
    cr_assert_gt(allowed, NQ / 10);
    cr_assert_gt(denied_by_rule, NQ / 50);
    cr_assert_lt(allowed + denied_by_rule, NQ);
    rw_sec_acl_unref(acl);
    free(rules);
}

/* ---- Rule changes in the store, each with its event ---- */

static char *g_dir;
static struct rw_store *g_s;

static void store_setup(void)
{
    g_dir = tl_tmpdir("sec-acl");
    cr_assert_not_null(g_dir);
    cr_assert(rw_ok(rw_store_open(g_dir, RW_STORE_CREATE_NEW, &g_s)), "%s", rw_err_detail());
}

static void store_teardown(void)
{
    rw_store_close(g_s);
    tl_rmtree(g_dir);
    free(g_dir);
}

/* Runs SQL on a second connection, as another process (or an attacker) would. */
static void raw_exec(const char *sql)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/" RW_STORE_FILE, g_dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static size_t count_events(void)
{
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    rw_store_event_list_free(ev, n);
    return n;
}

static size_t count_rules(void)
{
    struct rw_sec_acl_rule *rules = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_sec_acl_list(g_s, &rules, &n)), "%s", rw_err_detail());
    free(rules);
    return n;
}

TestSuite(sec_acl_store, .init = store_setup, .fini = store_teardown, .timeout = 60);

Test(sec_acl_store, add_and_remove_write_events_with_the_actor)
{
    struct rw_sec_acl_rule r = mk(0, "producer-1", "demo.*", P | D, ALLOW);
    int64_t id = 0;
    cr_assert(rw_ok(rw_sec_acl_add(g_s, "local:tester", &r, &id)), "%s", rw_err_detail());
    cr_assert_gt(id, 0);
    struct rw_sec_acl_rule gone;
    cr_assert(rw_ok(rw_sec_acl_remove(g_s, "admin:alice", id, &gone)), "%s", rw_err_detail());
    cr_assert_eq(gone.id, id);
    cr_assert_str_eq(gone.resource, "demo.*");
    cr_assert_eq(gone.ops, P | D);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(g_s, 0, 0, &ev, &n)));
    cr_assert_eq(n, 2);
    char obj[24];
    snprintf(obj, sizeof(obj), "%lld", (long long)id);
    const char *payload =
        "{\"principal\":\"producer-1\",\"resource\":\"demo.*\",\"ops\":\"produce,describe\","
        "\"effect\":\"allow\"}";
    cr_assert_str_eq(ev[0].kind, "acl.added");
    cr_assert_str_eq(ev[0].actor, "local:tester");
    cr_assert_str_eq(ev[0].object, obj);
    cr_assert_str_eq(ev[0].payload, payload);
    cr_assert_str_eq(ev[1].kind, "acl.removed");
    cr_assert_str_eq(ev[1].actor, "admin:alice");
    cr_assert_str_eq(ev[1].object, obj);
    cr_assert_str_eq(ev[1].payload, payload);
    rw_store_event_list_free(ev, n);
    cr_assert_eq(count_rules(), 0);
}

Test(sec_acl_store, remove_unknown_is_not_found_and_writes_nothing)
{
    struct rw_sec_acl_rule r = mk(0, "p", "x", P, DENY);
    int64_t id = 0;
    cr_assert(rw_ok(rw_sec_acl_add(g_s, "local:t", &r, &id)));
    cr_assert(rw_ok(rw_sec_acl_remove(g_s, "local:t", id, NULL)));
    size_t before = count_events();
    cr_assert_eq(rw_sec_acl_remove(g_s, "local:t", id, NULL).err, RW_ERR_NOT_FOUND);
    ASSERT_DETAIL_HAS("no ACL rule with id");
    cr_assert_eq(rw_sec_acl_remove(g_s, "local:t", 424242, NULL).err, RW_ERR_NOT_FOUND);
    cr_assert_eq(rw_sec_acl_remove(g_s, "local:t", 0, NULL).err, RW_ERR_USAGE);
    cr_assert_eq(count_events(), before);
}

Test(sec_acl_store, a_failing_insert_leaves_no_event_and_a_failing_event_no_rule)
{
    struct rw_sec_acl_rule r = mk(0, "p", "x", P, ALLOW);
    raw_exec("CREATE TRIGGER acls_fail BEFORE INSERT ON acls"
             " BEGIN SELECT RAISE(ABORT, 'insert refused'); END;");
    cr_assert_neq(rw_sec_acl_add(g_s, "local:t", &r, NULL).err, RW_OK);
    cr_assert_eq(count_events(), 0, "no event without its rule");
    raw_exec("DROP TRIGGER acls_fail;"
             "CREATE TRIGGER events_fail BEFORE INSERT ON events"
             " BEGIN SELECT RAISE(ABORT, 'event refused'); END;");
    cr_assert_neq(rw_sec_acl_add(g_s, "local:t", &r, NULL).err, RW_OK);
    cr_assert_eq(count_rules(), 0, "no rule without its event");
    raw_exec("DROP TRIGGER events_fail;");
    int64_t id = 0;
    cr_assert(rw_ok(rw_sec_acl_add(g_s, "local:t", &r, &id)), "%s", rw_err_detail());
    raw_exec("CREATE TRIGGER events_fail BEFORE INSERT ON events"
             " BEGIN SELECT RAISE(ABORT, 'event refused'); END;");
    cr_assert_neq(rw_sec_acl_remove(g_s, "local:t", id, NULL).err, RW_OK);
    cr_assert_eq(count_rules(), 1, "a removal without its event is rolled back");
    cr_assert_eq(count_events(), 1);
}

Test(sec_acl_store, invalid_rules_are_refused_before_the_store)
{
    struct rw_sec_acl_rule r = mk(0, "p", "x", P, ALLOW);
    strcpy(r.principal, "a*b");
    cr_assert_eq(rw_sec_acl_add(g_s, "local:t", &r, NULL).err, RW_ERR_USAGE);
    r = mk(0, "p", "x", P, ALLOW);
    r.ops = 0;
    cr_assert_eq(rw_sec_acl_add(g_s, "local:t", &r, NULL).err, RW_ERR_USAGE);
    cr_assert_eq(count_events(), 0);
    cr_assert_eq(count_rules(), 0);
}

Test(sec_acl_store, build_from_the_store_and_refuse_an_altered_row)
{
    const struct rw_sec_acl_rule seed[] = {mk(0, "producer-1", "demo.*", P, ALLOW),
                                           mk(0, "consumer-1", "demo.*", C, ALLOW),
                                           mk(0, "*", "demo.secret", RW_ACL_ALL, DENY)};
    int64_t ids[3];
    for (size_t i = 0; i < 3; i++) {
        cr_assert(rw_ok(rw_sec_acl_add(g_s, "local:t", &seed[i], &ids[i])));
    }
    struct rw_sec_acl *acl = NULL;
    cr_assert(rw_ok(rw_sec_acl_build(g_s, &acl)), "%s", rw_err_detail());
    const struct expect e[] = {
        {"producer-1", "demo.x", P, ALLOW, ids[0]}, {"producer-1", "secret.x", P, DENY, 0},
        {"consumer-1", "demo.x", C, ALLOW, ids[1]}, {"producer-1", "demo.secret", P, DENY, ids[2]},
    };
    expect_all(acl, e, N(e));
    rw_sec_acl_unref(acl);
    raw_exec("UPDATE acls SET resource = 'a/b' WHERE id = 2");
    acl = NULL;
    cr_assert_eq(rw_sec_acl_build(g_s, &acl).err, RW_ERR_IO_CORRUPT);
    ASSERT_DETAIL_HAS("ACL rule 2");
    cr_assert_null(acl);
}
