/* Client protocol state without a socket: framing, sorting, credit, errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "client/cl_err.h"
#include "client/cl_proto.h"

static struct rw_buf wire;

static void setup(void) { rw_buf_init(&wire, 8u << 20); }
static void teardown(void) { rw_buf_cleanup(&wire); }

TestSuite(cl_proto, .init = setup, .fini = teardown, .timeout = 30);

static void put(Ringward__Frame *f, uint64_t id)
{
    f->correlation_id = id;
    cr_assert(rw_ok(rw_frame_append(&wire, &f->base, RW_FRAME_DEFAULT_MAX)));
}

static void put_delivery(uint64_t id, uint64_t base, size_t n)
{
    Ringward__Record recs[64], *ptrs[64];
    cr_assert(n <= 64);
    for (size_t i = 0; i < n; i++) {
        ringward__record__init(&recs[i]);
        recs[i].value.data = (uint8_t *)"v";
        recs[i].value.len = 1;
        ptrs[i] = &recs[i];
    }
    Ringward__Delivery d = RINGWARD__DELIVERY__INIT;
    d.base_offset = base;
    d.n_records = n;
    d.records = ptrs;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_DELIVERY;
    f.delivery = &d;
    put(&f, id);
}

static void put_error(uint64_t id, Ringward__ErrorCode code, const char *msg)
{
    Ringward__Error e = RINGWARD__ERROR__INIT;
    e.code = code;
    e.message = (char *)msg;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_ERROR;
    f.error = &e;
    put(&f, id);
}

static void put_produce_ok(uint64_t id, uint64_t base, uint32_t count)
{
    Ringward__ProduceResponse r = RINGWARD__PRODUCE_RESPONSE__INIT;
    r.base_offset = base;
    r.count = count;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE_OK;
    f.produce_ok = &r;
    put(&f, id);
}

static struct rw_result feed_all(struct rw_cl_proto *p, struct rw_client_error *err)
{
    struct rw_result r = rw_cl_proto_feed(p, wire.data, wire.len, err);
    wire.len = 0;
    return r;
}

/* Decodes the frames the proto wants to send. */
static size_t take_out(struct rw_cl_proto *p, Ringward__Frame **frames, size_t max)
{
    size_t n = 0, pos = 0;
    while (pos < p->out.len && n < max) {
        const uint8_t *body;
        size_t body_len, frame_len, need;
        cr_assert(rw_ok(rw_frame_peek(p->out.data + pos, p->out.len - pos, p->max_frame, &body,
                                      &body_len, &frame_len, &need)));
        cr_assert(rw_ok(rw_frame_decode(body, body_len, &frames[n++])));
        pos += frame_len;
    }
    p->out.len = 0;
    return n;
}

Test(cl_proto, send_numbers_requests_and_responses_arrive_byte_by_byte)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    uint64_t a = 0, b = 0;
    cr_assert(rw_ok(rw_cl_proto_send(&p, &f, &a)));
    cr_assert(rw_ok(rw_cl_proto_send(&p, &f, &b)));
    cr_assert_eq(a, 1);
    cr_assert_eq(b, 2);
    Ringward__Frame *out[4];
    cr_assert_eq(take_out(&p, out, 4), 2);
    cr_assert_eq(out[1]->correlation_id, 2);
    rw_frame_free(out[0]);
    rw_frame_free(out[1]);

    put_produce_ok(2, 40, 3);
    struct rw_client_error err = {0};
    for (size_t i = 0; i < wire.len; i++) {
        cr_assert_null(rw_cl_proto_response_pop(&p), "nothing before byte %zu", i);
        cr_assert(rw_ok(rw_cl_proto_feed(&p, wire.data + i, 1, &err)));
    }
    wire.len = 0;
    Ringward__Frame *r = rw_cl_proto_response_pop(&p);
    cr_assert_not_null(r);
    cr_assert_eq(r->correlation_id, 2);
    cr_assert_eq(r->produce_ok->base_offset, 40);
    cr_assert_eq(p.in.len, 0, "no bytes left behind");
    rw_frame_free(r);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, deliveries_are_counted_and_credit_is_granted_at_half_the_window)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    rw_cl_proto_sub_start(&p, 7, 10);
    put_delivery(7, 0, 4);
    put_delivery(7, 4, 4);
    put_produce_ok(3, 0, 1); /* a response between pushes stays a response */
    cr_assert(rw_ok(feed_all(&p, &err)));
    cr_assert_eq(rw_cl_proto_deliveries(&p), 2);
    cr_assert_eq(rw_cl_proto_responses(&p), 1);
    cr_assert_eq(p.sub.outstanding, 2);
    cr_assert_eq(p.sub.queued, 8);

    Ringward__Frame *d = NULL;
    cr_assert(rw_ok(rw_cl_proto_delivery_pop(&p, &d)));
    cr_assert_eq(d->delivery->base_offset, 0);
    rw_frame_free(d);
    cr_assert_eq(p.out.len, 0, "4 of 10 consumed: no credit yet");
    cr_assert(rw_ok(rw_cl_proto_delivery_pop(&p, &d)));
    rw_frame_free(d);
    Ringward__Frame *out[4];
    cr_assert_eq(take_out(&p, out, 4), 1, "8 of 10 consumed: one Credit frame");
    cr_assert_eq(out[0]->body_case, RINGWARD__FRAME__BODY_CREDIT);
    cr_assert_eq(out[0]->credit->subscription, 7);
    cr_assert_eq(out[0]->credit->records, 8);
    rw_frame_free(out[0]);
    cr_assert_eq(p.sub.outstanding + p.sub.queued + p.sub.ungranted, 10, "window is whole again");
    cr_assert_eq(rw_cl_proto_delivery_pop(&p, &d).err, RW_ERR_BLOCKED);
    rw_frame_free(rw_cl_proto_response_pop(&p));
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, window_of_one_grants_after_every_record)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    rw_cl_proto_sub_start(&p, 1, 1);
    for (int i = 0; i < 3; i++) {
        put_delivery(1, (uint64_t)i, 1);
        cr_assert(rw_ok(feed_all(&p, &err)));
        Ringward__Frame *d = NULL;
        cr_assert(rw_ok(rw_cl_proto_delivery_pop(&p, &d)));
        rw_frame_free(d);
        Ringward__Frame *out[2];
        cr_assert_eq(take_out(&p, out, 2), 1);
        cr_assert_eq(out[0]->credit->records, 1);
        rw_frame_free(out[0]);
    }
    cr_assert_eq(p.sub.granted, 3);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, pushes_for_other_subscriptions_are_dropped)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    put_delivery(9, 0, 2);
    cr_assert(rw_ok(feed_all(&p, &err)), "no subscription: ignored");
    rw_cl_proto_sub_start(&p, 5, 4);
    put_delivery(9, 0, 2);
    cr_assert(rw_ok(feed_all(&p, &err)));
    cr_assert_eq(rw_cl_proto_deliveries(&p), 0);
    cr_assert_eq(p.sub.outstanding, 4);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, a_broker_ignoring_credit_fails_the_connection)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    rw_cl_proto_sub_start(&p, 5, 2);
    put_delivery(5, 0, 3);
    cr_assert(rw_ok(feed_all(&p, &err)), "a small overrun is tolerated");
    cr_assert_eq(p.sub.overrun, 1);
    put_delivery(5, 3, 5);
    struct rw_result r = feed_all(&p, &err);
    cr_assert_eq(r.err, RW_ERR_PROTO_MALFORMED);
    cr_assert(strstr(err.message, "beyond the granted credit"), "%s", err.message);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, connection_level_error_is_sticky_and_carries_code_and_message)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    put_produce_ok(1, 0, 1);
    put_error(0, RINGWARD__ERROR_CODE__REVOKED, "certificate revoked (keyCompromise)");
    put_produce_ok(2, 1, 1); /* after the error: never seen */
    struct rw_result r = feed_all(&p, &err);
    cr_assert_eq(r.err, RW_ERR_AUTH_REVOKED);
    cr_assert_eq(err.code, RINGWARD__ERROR_CODE__REVOKED);
    cr_assert_str_eq(err.message, "certificate revoked (keyCompromise)");
    cr_assert_eq(rw_cl_proto_responses(&p), 1, "frames before the error are kept");
    struct rw_client_error again = {0};
    const uint8_t byte = 0;
    cr_assert_eq(rw_cl_proto_feed(&p, &byte, 1, &again).err, RW_ERR_AUTH_REVOKED);
    cr_assert_str_eq(again.message, "certificate revoked (keyCompromise)");
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    cr_assert_eq(rw_cl_proto_send(&p, &f, NULL).err, RW_ERR_AUTH_REVOKED);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, request_errors_are_responses_with_sanitized_messages)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    put_error(4, RINGWARD__ERROR_CODE__PERMISSION_DENIED, "no\x1b[31m");
    cr_assert(rw_ok(feed_all(&p, &err)));
    Ringward__Frame *f = rw_cl_proto_response_pop(&p);
    cr_assert_not_null(f);
    cr_assert_eq(f->body_case, RINGWARD__FRAME__BODY_ERROR);
    struct rw_client_error e = {0};
    cr_assert_eq(rw_cl_err_broker(&e, f->error).err, RW_ERR_AUTH_INVALID);
    cr_assert_eq(e.code, RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    cr_assert_str_eq(e.message, "no?[31m", "control characters never reach a terminal");
    rw_frame_free(f);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, oversized_and_malformed_frames_fail_before_allocating)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 1024);
    struct rw_client_error err = {0};
    const uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
    cr_assert_eq(rw_cl_proto_feed(&p, huge, 4, &err).err, RW_ERR_PROTO_TOO_LARGE);
    cr_assert(strstr(err.message, "larger than the 263168-byte maximum"), "%s", err.message);
    cr_assert_leq(p.in.cap, 4096, "nothing sized by the peer's length");
    rw_cl_proto_cleanup(&p);

    rw_cl_proto_init(&p, 0);
    const uint8_t junk[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
    cr_assert_eq(rw_cl_proto_feed(&p, junk, sizeof(junk), &err).err, RW_ERR_PROTO_MALFORMED);
    cr_assert(strstr(err.message, "malformed"), "%s", err.message);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, ping_is_answered_with_pong)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    put(&f, 77);
    cr_assert(rw_ok(feed_all(&p, &err)));
    cr_assert_eq(rw_cl_proto_responses(&p), 0);
    Ringward__Frame *out[2];
    cr_assert_eq(take_out(&p, out, 2), 1);
    cr_assert_eq(out[0]->body_case, RINGWARD__FRAME__BODY_PONG);
    cr_assert_eq(out[0]->correlation_id, 77);
    rw_frame_free(out[0]);
    rw_cl_proto_cleanup(&p);
}

Test(cl_proto, many_frames_in_one_large_read)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_error err = {0};
    rw_cl_proto_sub_start(&p, 2, 100000);
    for (int i = 0; i < 3000; i++) {
        put_delivery(2, (uint64_t)i * 30, 30);
    }
    cr_assert_gt(wire.len, 65536 * 2, "larger than the input slack");
    cr_assert(rw_ok(feed_all(&p, &err)));
    cr_assert_eq(rw_cl_proto_deliveries(&p), 3000);
    cr_assert_eq(p.sub.queued, 90000);
    rw_cl_proto_cleanup(&p);
}
