/* Unit tests: the ACL gate in front of Produce, Fetch and Subscribe, and
 * the sweep that ends live subscriptions a new snapshot no longer allows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker/brk_app.h"
#include "proto/rw_frame.h"

#define CODE(x) RINGWARD__ERROR_CODE__##x

static struct brk_topics *reg;
static struct brk_app_ctx ctx;
static struct brk_app app;
static struct rw_buf in, out;
static struct rw_sec_acl *acl;

/* alice: produce and consume demo.*; consume on secret.* only by rule 3
 * (tests replace the snapshot to change that). */
static const struct {
    const char *principal, *resource;
    unsigned ops;
    enum rw_sec_acl_effect effect;
} base_rules[] = {
    {"alice", "demo.*", RW_ACL_PRODUCE | RW_ACL_CONSUME, RW_ACL_ALLOW},
    {"bob", "*", RW_ACL_ALL, RW_ACL_ALLOW},
    {"alice", "secret.*", RW_ACL_CONSUME, RW_ACL_ALLOW},
};

/* A snapshot of the first n base rules plus `extra` (may be NULL). */
static struct rw_sec_acl *snapshot(size_t n, const struct rw_sec_acl_rule *extra)
{
    struct rw_sec_acl_rule r[8];
    for (size_t i = 0; i < n; i++) {
        cr_assert(rw_ok(rw_sec_acl_rule_make(&r[i], base_rules[i].principal,
                                             base_rules[i].resource, base_rules[i].ops,
                                             base_rules[i].effect)));
        r[i].id = (int64_t)i + 1;
    }
    if (extra) {
        r[n] = *extra;
        r[n].id = 100;
        n++;
    }
    struct rw_sec_acl *a = NULL;
    cr_assert(rw_ok(rw_sec_acl_build_rules(r, n, &a)));
    return a;
}

static void install(struct rw_sec_acl *a)
{
    rw_sec_acl_unref(acl);
    acl = a;
    ctx.acl = a;
}

static void setup(void)
{
    struct brk_topics_cfg cfg = {.retention_bytes = 1 << 20, .workers = 1};
    cr_assert(rw_ok(brk_topics_new(&cfg, &reg)));
    cr_assert(rw_ok(brk_app_ctx_init(&ctx, reg, 0, 64 * 1024, 256 * 1024)));
    install(snapshot(3, NULL));
    brk_app_init(&app);
    brk_app_auth(&app, 7, "alice");
    rw_buf_init(&in, 1 << 20);
    rw_buf_init(&out, brk_app_out_max(&ctx));
}

static void teardown(void)
{
    brk_app_cleanup(&ctx, &app);
    brk_app_ctx_cleanup(&ctx);
    brk_topics_free(reg);
    rw_sec_acl_unref(acl);
    acl = NULL;
    rw_buf_cleanup(&in);
    rw_buf_cleanup(&out);
}

TestSuite(brk_authz, .init = setup, .fini = teardown, .timeout = 60);

static void put(Ringward__Frame *f) { cr_assert(rw_ok(rw_frame_append(&in, &f->base, 1 << 20))); }

static void put_produce(uint64_t corr, const char *topic)
{
    Ringward__Record rec = RINGWARD__RECORD__INIT, *p = &rec;
    rec.value = (ProtobufCBinaryData){2, (uint8_t *)"hi"};
    Ringward__ProduceRequest pr = RINGWARD__PRODUCE_REQUEST__INIT;
    pr.topic = (char *)topic;
    pr.n_records = 1;
    pr.records = &p;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
    f.produce = &pr;
    put(&f);
}

static void put_fetch(uint64_t corr, const char *topic)
{
    Ringward__FetchRequest fr = RINGWARD__FETCH_REQUEST__INIT;
    fr.topic = (char *)topic;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_FETCH;
    f.fetch = &fr;
    put(&f);
}

static void put_subscribe(uint64_t corr, const char *topic)
{
    Ringward__SubscribeRequest sr = RINGWARD__SUBSCRIBE_REQUEST__INIT;
    sr.topic = (char *)topic;
    sr.credit = 100;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_SUBSCRIBE;
    f.subscribe = &sr;
    put(&f);
}

static void run(void)
{
    size_t used = 0;
    cr_assert(rw_ok(brk_app_input(&ctx, &app, in.data, in.len, &used, &out, 0)));
    rw_buf_consume(&in, used);
    cr_assert_eq(in.len, 0, "every frame was processed");
}

static Ringward__Frame *pop(void)
{
    const uint8_t *body;
    size_t blen, flen, need;
    cr_assert(rw_ok(rw_frame_peek(out.data, out.len, 1 << 20, &body, &blen, &flen, &need)),
              "no complete frame in the output");
    Ringward__Frame *f = NULL;
    cr_assert(rw_ok(rw_frame_decode(body, blen, &f)));
    rw_buf_consume(&out, flen);
    return f;
}

static void expect_error(uint64_t corr, int code, const char *msg)
{
    Ringward__Frame *f = pop();
    cr_assert_eq(f->body_case, RINGWARD__FRAME__BODY_ERROR, "an Error for %llu, got body %d",
                 (unsigned long long)corr, f->body_case);
    cr_assert_eq(f->correlation_id, corr);
    cr_assert_eq(f->error->code, code, "code %d for %llu", f->error->code,
                 (unsigned long long)corr);
    if (msg) {
        cr_assert_str_eq(f->error->message, msg);
    }
    rw_frame_free(f);
}

static void expect_body(uint64_t corr, int body)
{
    Ringward__Frame *f = pop();
    cr_assert_eq(f->correlation_id, corr);
    cr_assert_eq(f->body_case, body, "body %d for %llu (error: %s)", f->body_case,
                 (unsigned long long)corr,
                 f->body_case == RINGWARD__FRAME__BODY_ERROR ? f->error->message : "-");
    rw_frame_free(f);
}

static bool topic_exists(const char *name)
{
    struct brk_topic *t = NULL;
    return rw_ok(brk_topics_get(reg, name, false, &t));
}

Test(brk_authz, denied_produce_is_PERMISSION_DENIED_and_the_next_request_still_runs)
{
    put_produce(1, "demo.x");
    put_produce(2, "secret.x");
    put_produce(3, "demo.x");
    run();
    expect_body(1, RINGWARD__FRAME__BODY_PRODUCE_OK);
    expect_error(2, CODE(PERMISSION_DENIED), "principal alice may not produce to secret.x");
    expect_body(3, RINGWARD__FRAME__BODY_PRODUCE_OK);
    cr_assert_eq(out.len, 0);
    cr_assert_not(topic_exists("secret.x"), "a denied produce creates no topic");
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_produce), 1);
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_consume), 0);
    cr_assert_eq(brk_stat_get(&ctx.counters.produce_records), 2);
}

Test(brk_authz, fetch_and_subscribe_need_consume)
{
    install(snapshot(1, NULL)); /* alice: demo.* only */
    put_fetch(1, "other.t");
    put_subscribe(2, "other.t");
    put_fetch(3, "demo.t");
    put_subscribe(4, "demo.t");
    run();
    expect_error(1, CODE(PERMISSION_DENIED), "principal alice may not consume from other.t");
    expect_error(2, CODE(PERMISSION_DENIED), "principal alice may not consume from other.t");
    expect_body(3, RINGWARD__FRAME__BODY_FETCH_OK);
    expect_body(4, RINGWARD__FRAME__BODY_SUBSCRIBE_OK);
    cr_assert_eq(app.n_subs, 1, "only the allowed subscription exists");
    cr_assert_not(topic_exists("other.t"), "a denied subscribe creates no topic");
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_consume), 2);
}

Test(brk_authz, bad_topic_names_are_INVALID_ARGUMENT_not_denials)
{
    put_produce(1, "bad topic");
    put_fetch(2, "");
    run();
    expect_error(1, CODE(INVALID_ARGUMENT), NULL);
    expect_error(2, CODE(INVALID_ARGUMENT), NULL);
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_produce), 0);
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_consume), 0);
}

Test(brk_authz, fails_closed_without_a_principal_or_a_snapshot)
{
    struct brk_app anon;
    brk_app_init(&anon); /* not authenticated yet */
    bool ok = true;
    cr_assert(rw_ok(brk_app_authorize(&ctx, &anon, 1, "demo.x", RW_ACL_PRODUCE, &out, &ok)));
    cr_assert_not(ok);
    expect_error(1, CODE(PERMISSION_DENIED), NULL);
    ctx.acl = NULL;
    put_produce(2, "demo.x");
    run();
    expect_error(2, CODE(PERMISSION_DENIED), "principal alice may not produce to demo.x");
}

Test(brk_authz, a_new_snapshot_is_seen_by_the_very_next_request)
{
    put_produce(1, "secret.x");
    run();
    expect_error(1, CODE(PERMISSION_DENIED), NULL);
    struct rw_sec_acl_rule allow;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&allow, "alice", "secret.*", RW_ACL_PRODUCE,
                                         RW_ACL_ALLOW)));
    install(snapshot(3, &allow));
    put_produce(2, "secret.x");
    run();
    expect_body(2, RINGWARD__FRAME__BODY_PRODUCE_OK);
    install(snapshot(3, NULL)); /* the allow rule removed */
    put_produce(3, "secret.x");
    run();
    expect_error(3, CODE(PERMISSION_DENIED), NULL);
    struct rw_sec_acl_rule deny;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&deny, "alice", "demo.x", RW_ACL_PRODUCE, RW_ACL_DENY)));
    install(snapshot(3, &deny));
    put_produce(4, "demo.x");
    put_produce(5, "demo.y");
    run();
    expect_error(4, CODE(PERMISSION_DENIED), NULL);
    expect_body(5, RINGWARD__FRAME__BODY_PRODUCE_OK);
}

Test(brk_authz, sweep_ends_exactly_the_subscriptions_no_longer_allowed)
{
    put_subscribe(11, "demo.a");
    put_subscribe(12, "secret.b");
    put_subscribe(13, "demo.c");
    run();
    for (uint64_t c = 11; c <= 13; c++) {
        expect_body(c, RINGWARD__FRAME__BODY_SUBSCRIBE_OK);
    }
    unsigned ended = 9;
    cr_assert(rw_ok(brk_app_acl_sweep(&ctx, &app, &out, &ended)));
    cr_assert_eq(ended, 0, "the same snapshot ends nothing");
    cr_assert_eq(out.len, 0);

    install(snapshot(2, NULL)); /* rule 3 (alice consume secret.*) removed */
    cr_assert(rw_ok(brk_app_acl_sweep(&ctx, &app, &out, &ended)));
    cr_assert_eq(ended, 1);
    expect_error(12, CODE(PERMISSION_DENIED), "principal alice may not consume from secret.b");
    cr_assert_eq(out.len, 0);
    cr_assert_eq(app.n_subs, 2);
    cr_assert_eq(app.subs[0].id, 11, "the others keep their order");
    cr_assert_eq(app.subs[1].id, 13);
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_subs_ended), 1);
    cr_assert_eq(brk_stat_get(&ctx.counters.acl_denied_consume), 1);

    /* Credit for the ended subscription: it no longer exists. */
    Ringward__Credit cr = RINGWARD__CREDIT__INIT;
    cr.subscription = 12;
    cr.records = 5;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 20;
    f.body_case = RINGWARD__FRAME__BODY_CREDIT;
    f.credit = &cr;
    put(&f);
    run();
    expect_error(20, CODE(NOT_FOUND), NULL);

    struct rw_sec_acl_rule deny;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&deny, "alice", "demo.*", RW_ACL_CONSUME, RW_ACL_DENY)));
    install(snapshot(2, &deny));
    cr_assert(rw_ok(brk_app_acl_sweep(&ctx, &app, &out, &ended)));
    cr_assert_eq(ended, 2);
    expect_error(11, CODE(PERMISSION_DENIED), NULL);
    expect_error(13, CODE(PERMISSION_DENIED), NULL);
    cr_assert_eq(app.n_subs, 0);
}

Test(brk_authz, pushes_stop_for_an_ended_subscription)
{
    put_subscribe(5, "secret.s");
    run();
    expect_body(5, RINGWARD__FRAME__BODY_SUBSCRIBE_OK);
    install(snapshot(2, NULL));
    unsigned ended = 0;
    cr_assert(rw_ok(brk_app_acl_sweep(&ctx, &app, &out, &ended)));
    cr_assert_eq(ended, 1);
    expect_error(5, CODE(PERMISSION_DENIED), NULL);
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "secret.s", false, &t)));
    struct brk_rec r = {NULL, 0, (const uint8_t *)"x", 1, 0};
    uint64_t base = 0;
    cr_assert(rw_ok(brk_topic_append(t, &r, 1, 1, &base)));
    bool more = true;
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    cr_assert_eq(out.len, 0, "nothing is delivered after the end");
    cr_assert_not(more);
}
