/* Unit tests: frame dispatch, produce/fetch, subscriptions and credit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker/brk_app.h"
#include "proto/rw_frame.h"

static struct brk_topics *reg;
static struct brk_app_ctx ctx;
static struct brk_app app;
static struct rw_buf in, out;
static struct rw_sec_acl *acl; /* allows everything: authorization is test_brk_authz.c's */

static void setup(void)
{
    struct brk_topics_cfg cfg = {.retention_bytes = 1 << 20, .workers = 1};
    cr_assert(rw_ok(brk_topics_new(&cfg, &reg)));
    cr_assert(rw_ok(brk_app_ctx_init(&ctx, reg, 0, 64 * 1024, 256 * 1024)));
    struct rw_sec_acl_rule all;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&all, "*", "*", RW_ACL_ALL, RW_ACL_ALLOW)));
    all.id = 1;
    cr_assert(rw_ok(rw_sec_acl_build_rules(&all, 1, &acl)));
    ctx.acl = acl;
    brk_app_init(&app);
    brk_app_auth(&app, 1, "tester");
    rw_buf_init(&in, 1 << 22);
    rw_buf_init(&out, brk_app_out_max(&ctx));
}

static void teardown(void)
{
    brk_app_cleanup(&ctx, &app);
    brk_app_ctx_cleanup(&ctx);
    rw_sec_acl_unref(acl);
    brk_topics_free(reg);
    rw_buf_cleanup(&in);
    rw_buf_cleanup(&out);
}

TestSuite(brk_app, .init = setup, .fini = teardown, .timeout = 60);

static void put(Ringward__Frame *f)
{
    cr_assert(rw_ok(rw_frame_append(&in, &f->base, 1 << 22)));
}

static void put_produce(uint64_t corr, const char *topic, int first, int n)
{
    Ringward__Record recs[64], *ptrs[64];
    char vals[64][16];
    for (int i = 0; i < n; i++) {
        ringward__record__init(&recs[i]);
        int len = snprintf(vals[i], sizeof(vals[i]), "v%d", first + i);
        recs[i].value = (ProtobufCBinaryData){(size_t)len, (uint8_t *)vals[i]};
        ptrs[i] = &recs[i];
    }
    Ringward__ProduceRequest p = RINGWARD__PRODUCE_REQUEST__INIT;
    p.topic = (char *)topic;
    p.n_records = (size_t)n;
    p.records = ptrs;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
    f.produce = &p;
    put(&f);
}

/* Runs the input; returns the result and checks everything parseable was consumed. */
static struct rw_result run(void)
{
    size_t used = 0;
    struct rw_result r = brk_app_input(&ctx, &app, in.data, in.len, &used, &out, 0);
    rw_buf_consume(&in, used);
    return r;
}

/* Pops the next output frame (the caller frees). */
static Ringward__Frame *pop(void)
{
    const uint8_t *body;
    size_t blen, flen, need;
    cr_assert(rw_ok(rw_frame_peek(out.data, out.len, 1 << 22, &body, &blen, &flen, &need)),
              "no complete frame in the output");
    Ringward__Frame *f = NULL;
    cr_assert(rw_ok(rw_frame_decode(body, blen, &f)));
    rw_buf_consume(&out, flen);
    return f;
}

Test(brk_app, produce_then_fetch_pipelined)
{
    put_produce(1, "t", 0, 3);
    put_produce(2, "t", 3, 2);
    Ringward__FetchRequest fr = RINGWARD__FETCH_REQUEST__INIT;
    fr.topic = "t";
    fr.offset = 1;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 3;
    f.body_case = RINGWARD__FRAME__BODY_FETCH;
    f.fetch = &fr;
    put(&f);
    cr_assert(rw_ok(run()));
    cr_assert_eq(in.len, 0);
    Ringward__Frame *a = pop(), *b = pop(), *c = pop();
    cr_assert_eq(a->correlation_id, 1);
    cr_assert_eq(a->body_case, RINGWARD__FRAME__BODY_PRODUCE_OK);
    cr_assert_eq(a->produce_ok->base_offset, 0);
    cr_assert_eq(a->produce_ok->count, 3);
    cr_assert_eq(b->produce_ok->base_offset, 3);
    cr_assert_eq(c->correlation_id, 3);
    cr_assert_eq(c->body_case, RINGWARD__FRAME__BODY_FETCH_OK);
    cr_assert_eq(c->fetch_ok->base_offset, 1);
    cr_assert_eq(c->fetch_ok->end_offset, 5);
    cr_assert_eq(c->fetch_ok->n_records, 4);
    cr_assert_eq(memcmp(c->fetch_ok->records[0]->value.data, "v1", 2), 0);
    cr_assert_eq(memcmp(c->fetch_ok->records[3]->value.data, "v4", 2), 0);
    cr_assert_gt(c->fetch_ok->records[0]->timestamp_ms, 0);
    rw_frame_free(a);
    rw_frame_free(b);
    rw_frame_free(c);
    cr_assert_eq(out.len, 0);
}

Test(brk_app, fetch_of_unknown_topic_is_empty_and_bad_names_are_errors)
{
    Ringward__FetchRequest fr = RINGWARD__FETCH_REQUEST__INIT;
    fr.topic = "nothing-here";
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 9;
    f.body_case = RINGWARD__FRAME__BODY_FETCH;
    f.fetch = &fr;
    put(&f);
    put_produce(10, "bad topic", 0, 1);
    put_produce(11, "ok", 0, 0);
    cr_assert(rw_ok(run()));
    Ringward__Frame *a = pop(), *b = pop(), *c = pop();
    cr_assert_eq(a->body_case, RINGWARD__FRAME__BODY_FETCH_OK);
    cr_assert_eq(a->fetch_ok->n_records, 0);
    cr_assert_eq(b->body_case, RINGWARD__FRAME__BODY_ERROR);
    cr_assert_eq(b->correlation_id, 10);
    cr_assert_eq(b->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    cr_assert_eq(c->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT, "empty produce");
    rw_frame_free(a);
    rw_frame_free(b);
    rw_frame_free(c);
}

Test(brk_app, unknown_message_type_is_answered_and_the_stream_goes_on)
{
    /* field 15, varint 1: a valid protobuf with no known body. */
    const uint8_t unknown[] = {0, 0, 0, 4, 0x08, 0x07, 0x78, 0x01};
    cr_assert(rw_ok(rw_buf_append(&in, unknown, sizeof(unknown))));
    Ringward__ProduceResponse pr = RINGWARD__PRODUCE_RESPONSE__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 8;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE_OK; /* a response sent to the broker */
    f.produce_ok = &pr;
    put(&f);
    Ringward__Ping ping = RINGWARD__PING__INIT;
    f.correlation_id = 9;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    put(&f);
    cr_assert(rw_ok(run()));
    Ringward__Frame *a = pop(), *b = pop(), *c = pop();
    cr_assert_eq(a->correlation_id, 7);
    cr_assert_eq(a->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    cr_assert_eq(b->correlation_id, 8);
    cr_assert_eq(b->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    cr_assert_eq(c->correlation_id, 9);
    cr_assert_eq(c->body_case, RINGWARD__FRAME__BODY_PONG);
    rw_frame_free(a);
    rw_frame_free(b);
    rw_frame_free(c);
}

Test(brk_app, oversized_length_is_refused_before_reading_the_body)
{
    const uint8_t hdr[] = {0x7f, 0xff, 0xff, 0xff};
    cr_assert(rw_ok(rw_buf_append(&in, hdr, sizeof(hdr))));
    struct rw_result r = run();
    cr_assert_eq(r.err, RW_ERR_PROTO_TOO_LARGE);
    Ringward__Frame *a = pop();
    cr_assert_eq(a->error->code, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED);
    rw_frame_free(a);
}

Test(brk_app, garbage_body_is_fatal_with_an_error_frame)
{
    const uint8_t junk[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
    cr_assert(rw_ok(rw_buf_append(&in, junk, sizeof(junk))));
    cr_assert_eq(run().err, RW_ERR_PROTO_MALFORMED);
    Ringward__Frame *a = pop();
    cr_assert_eq(a->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    rw_frame_free(a);
}

Test(brk_app, truncated_frame_waits_for_more)
{
    put_produce(1, "t", 0, 1);
    size_t full = in.len;
    in.len = full - 2;
    cr_assert(rw_ok(run()));
    cr_assert_eq(in.len, full - 2, "nothing consumed");
    cr_assert_eq(out.len, 0);
    in.len = full;
    cr_assert(rw_ok(run()));
    Ringward__Frame *a = pop();
    cr_assert_eq(a->body_case, RINGWARD__FRAME__BODY_PRODUCE_OK);
    rw_frame_free(a);
}

static void put_subscribe(uint64_t corr, const char *topic, uint64_t from, uint32_t credit)
{
    Ringward__SubscribeRequest s = RINGWARD__SUBSCRIBE_REQUEST__INIT;
    s.topic = (char *)topic;
    s.from_offset = from;
    s.credit = credit;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_SUBSCRIBE;
    f.subscribe = &s;
    put(&f);
}

static void put_credit(uint64_t sub, uint32_t n)
{
    Ringward__Credit c = RINGWARD__CREDIT__INIT;
    c.subscription = sub;
    c.records = n;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 100;
    f.body_case = RINGWARD__FRAME__BODY_CREDIT;
    f.credit = &c;
    put(&f);
}

Test(brk_app, subscription_pushes_within_credit)
{
    put_produce(1, "s", 0, 10);
    put_subscribe(42, "s", 2, 3);
    cr_assert(rw_ok(run()));
    rw_frame_free(pop());
    Ringward__Frame *ok = pop();
    cr_assert_eq(ok->body_case, RINGWARD__FRAME__BODY_SUBSCRIBE_OK);
    cr_assert_eq(ok->subscribe_ok->start_offset, 2);
    rw_frame_free(ok);
    bool more = true;
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    cr_assert_not(more);
    Ringward__Frame *d = pop();
    cr_assert_eq(d->correlation_id, 42);
    cr_assert_eq(d->delivery->base_offset, 2);
    cr_assert_eq(d->delivery->n_records, 3, "credit caps the push");
    rw_frame_free(d);
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    cr_assert_eq(out.len, 0, "no credit, no push");
    put_credit(42, 100);
    put_credit(77, 1);
    cr_assert(rw_ok(run()));
    Ringward__Frame *e = pop();
    cr_assert_eq(e->error->code, RINGWARD__ERROR_CODE__NOT_FOUND, "credit for an unknown sub");
    rw_frame_free(e);
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    d = pop();
    cr_assert_eq(d->delivery->base_offset, 5);
    cr_assert_eq(d->delivery->n_records, 5);
    rw_frame_free(d);
    put_produce(2, "s", 10, 1);
    cr_assert(rw_ok(run()));
    rw_frame_free(pop());
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    d = pop();
    cr_assert_eq(d->delivery->base_offset, 10);
    cr_assert_eq(memcmp(d->delivery->records[0]->value.data, "v10", 3), 0);
    rw_frame_free(d);
}

Test(brk_app, slow_consumer_output_is_capped)
{
    for (int i = 0; i < 60; i++) {
        put_produce(1, "big", i * 50, 50);
        cr_assert(rw_ok(run()));
        rw_buf_consume(&out, out.len);
    }
    /* Bigger records so the output cap is reached. */
    static uint8_t blob[30000];
    Ringward__Record r = RINGWARD__RECORD__INIT, *rp = &r;
    r.value = (ProtobufCBinaryData){sizeof(blob), blob};
    Ringward__ProduceRequest p = RINGWARD__PRODUCE_REQUEST__INIT;
    p.topic = "big";
    p.n_records = 1;
    p.records = &rp;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
    f.produce = &p;
    for (int i = 0; i < 20; i++) {
        put(&f);
        cr_assert(rw_ok(run()));
        rw_buf_consume(&out, out.len);
    }
    put_subscribe(5, "big", 0, 1000000);
    cr_assert(rw_ok(run()));
    bool more = false;
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    cr_assert(more, "stopped by the cap with records left");
    cr_assert_leq(out.len, ctx.max_output + ctx.max_frame + BRK_APP_FRAME_SLACK);
    size_t before = out.len;
    cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
    cr_assert_eq(out.len, before, "a full output takes nothing more");
    rw_buf_consume(&out, out.len);
    while (more) {
        cr_assert(rw_ok(brk_app_pump(&ctx, &app, &out, 0, &more)));
        rw_buf_consume(&out, out.len);
    }
}

Test(brk_app, subscription_limits)
{
    for (int i = 0; i < BRK_APP_MAX_SUBS; i++) {
        put_subscribe((uint64_t)i + 1, "x", 0, 1);
    }
    put_subscribe(1, "x", 0, 1);
    put_subscribe(999, "x", 0, 1);
    cr_assert(rw_ok(run()));
    for (int i = 0; i < BRK_APP_MAX_SUBS; i++) {
        rw_frame_free(pop());
    }
    Ringward__Frame *dup = pop(), *many = pop();
    cr_assert_eq(dup->error->code, RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    cr_assert_eq(many->error->code, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED);
    rw_frame_free(dup);
    rw_frame_free(many);
}

/* Frames are decoded into the worker's arena: big frames grow it, every
 * frame's records still land intact, one after the other. */
Test(brk_app, big_batches_decode_one_after_another)
{
    enum { N = 3000 };
    static Ringward__Record recs[N];
    static Ringward__Record *ptrs[N];
    static char vals[N][16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            ringward__record__init(&recs[i]);
            int len = snprintf(vals[i], sizeof(vals[i]), "r%d-%d", round, i);
            recs[i].value = (ProtobufCBinaryData){(size_t)len, (uint8_t *)vals[i]};
            ptrs[i] = &recs[i];
        }
        Ringward__ProduceRequest p = RINGWARD__PRODUCE_REQUEST__INIT;
        p.topic = "big";
        p.n_records = N;
        p.records = ptrs;
        Ringward__Frame f = RINGWARD__FRAME__INIT;
        f.correlation_id = (uint64_t)round + 1;
        f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
        f.produce = &p;
        put(&f);
        cr_assert(rw_ok(run()));
        Ringward__Frame *ok = pop();
        cr_assert_eq(ok->produce_ok->base_offset, (uint64_t)round * N);
        cr_assert_eq(ok->produce_ok->count, N);
        rw_frame_free(ok);
    }
    struct brk_topic *t = NULL;
    cr_assert(rw_ok(brk_topics_get(reg, "big", false, &t)));
    cr_assert_eq(brk_topic_end(t), 3 * N);
    Ringward__FetchRequest fr = RINGWARD__FETCH_REQUEST__INIT;
    fr.topic = "big";
    fr.offset = 2 * N + N - 1;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 9;
    f.body_case = RINGWARD__FRAME__BODY_FETCH;
    f.fetch = &fr;
    put(&f);
    cr_assert(rw_ok(run()));
    Ringward__Frame *got = pop();
    cr_assert_eq(got->fetch_ok->n_records, 1);
    char want[16];
    int len = snprintf(want, sizeof(want), "r2-%d", N - 1);
    cr_assert_eq(got->fetch_ok->records[0]->value.len, (size_t)len);
    cr_assert_eq(memcmp(got->fetch_ok->records[0]->value.data, want, (size_t)len), 0);
    rw_frame_free(got);
}
