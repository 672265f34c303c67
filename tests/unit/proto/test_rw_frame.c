#include <criterion/criterion.h>
#include <string.h>

#include "proto/rw_frame.h"

static void produce_frame(struct rw_buf *b, const char *topic, size_t n_records, size_t max)
{
    Ringward__Record recs[4];
    Ringward__Record *ptrs[4];
    for (size_t i = 0; i < n_records; i++) {
        ringward__record__init(&recs[i]);
        recs[i].value.data = (uint8_t *)"hello";
        recs[i].value.len = 5;
        ptrs[i] = &recs[i];
    }
    Ringward__ProduceRequest req = RINGWARD__PRODUCE_REQUEST__INIT;
    req.topic = (char *)topic;
    req.n_records = n_records;
    req.records = ptrs;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 42;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
    f.produce = &req;
    cr_assert(rw_ok(rw_frame_append(b, &f.base, max)));
}

Test(rw_frame, round_trip_and_partial_reads)
{
    struct rw_buf b;
    rw_buf_init(&b, 1 << 20);
    produce_frame(&b, "demo.x", 3, RW_FRAME_DEFAULT_MAX);
    const uint8_t *body;
    size_t body_len, frame_len, need;
    for (size_t cut = 0; cut < b.len; cut++) {
        struct rw_result r = rw_frame_peek(b.data, cut, RW_FRAME_DEFAULT_MAX, &body, &body_len,
                                           &frame_len, &need);
        cr_assert_eq(r.err, RW_ERR_BLOCKED, "a frame cut at %zu is incomplete", cut);
        cr_assert_eq(need, cut < 4 ? 4 : b.len);
    }
    cr_assert(rw_ok(rw_frame_peek(b.data, b.len, RW_FRAME_DEFAULT_MAX, &body, &body_len,
                                  &frame_len, &need)));
    cr_assert_eq(frame_len, b.len);
    Ringward__Frame *f = NULL;
    cr_assert(rw_ok(rw_frame_decode(body, body_len, &f)));
    cr_assert_eq(f->correlation_id, 42);
    cr_assert_eq(f->body_case, RINGWARD__FRAME__BODY_PRODUCE);
    cr_assert_str_eq(f->produce->topic, "demo.x");
    cr_assert_eq(f->produce->n_records, 3);
    cr_assert_eq(f->produce->records[2]->value.len, 5);
    rw_frame_free(f);
    rw_buf_cleanup(&b);
}

Test(rw_frame, oversized_length_is_refused_before_reading_the_body)
{
    const uint8_t hdr[4] = {0x00, 0x10, 0x00, 0x01}; /* 1 MiB + 1 */
    const uint8_t *body;
    size_t body_len, frame_len, need;
    struct rw_result r = rw_frame_peek(hdr, 4, RW_FRAME_DEFAULT_MAX, &body, &body_len, &frame_len,
                                       &need);
    cr_assert_eq(r.err, RW_ERR_PROTO_TOO_LARGE);
    struct rw_buf b;
    rw_buf_init(&b, 1 << 20);
    produce_frame(&b, "t", 1, RW_FRAME_DEFAULT_MAX);
    struct rw_buf small;
    rw_buf_init(&small, 1 << 20);
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    cr_assert(rw_ok(rw_frame_append(&small, &f.base, 8)));
    cr_assert_eq(rw_frame_append(&small, &f.base, 1).err, RW_ERR_LIMIT);
    rw_buf_cleanup(&small);
    rw_buf_cleanup(&b);
}

Test(rw_frame, garbage_and_empty_bodies_are_malformed)
{
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    Ringward__Frame *f = NULL;
    cr_assert_eq(rw_frame_decode(garbage, sizeof(garbage), &f).err, RW_ERR_PROTO_MALFORMED);
    const uint8_t only_id[] = {0x08, 0x01}; /* correlation_id = 1, no body */
    cr_assert_eq(rw_frame_decode(only_id, sizeof(only_id), &f).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_str_eq(rw_frame_code_name(RINGWARD__ERROR_CODE__REVOKED), "REVOKED");
}
