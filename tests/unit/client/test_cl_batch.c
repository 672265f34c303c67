/* Produce batching: frames split at the record, byte and frame limits. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "client/cl_batch.h"

TestSuite(cl_batch, .timeout = 60);

/* Decodes every frame in p->out, checking each against max_frame. */
static size_t frames_of(struct rw_cl_proto *p, Ringward__Frame **frames, size_t max)
{
    size_t n = 0, pos = 0;
    while (pos < p->out.len) {
        const uint8_t *body;
        size_t body_len, frame_len, need;
        cr_assert(rw_ok(rw_frame_peek(p->out.data + pos, p->out.len - pos, p->max_frame, &body,
                                      &body_len, &frame_len, &need)));
        cr_assert_lt(n, max);
        cr_assert(rw_ok(rw_frame_decode(body, body_len, &frames[n++])));
        pos += frame_len;
    }
    p->out.len = 0;
    return n;
}

Test(cl_batch, seals_at_the_record_limit)
{
    struct rw_cl_proto p;
    struct rw_cl_batch b;
    rw_cl_proto_init(&p, 0);
    rw_cl_batch_init(&b, 3, 0, p.max_frame);
    for (int i = 0; i < 3; i++) {
        cr_assert(rw_cl_batch_fits(&b, "t", 1));
        cr_assert(rw_ok(rw_cl_batch_add(&b, "t", "abc" + i, 1)));
    }
    cr_assert_not(rw_cl_batch_fits(&b, "t", 1), "the fourth needs a new frame");
    cr_assert_eq(rw_cl_batch_add(&b, "t", "x", 1).err, RW_ERR_STATE);
    uint64_t id;
    size_t n;
    cr_assert(rw_ok(rw_cl_batch_seal(&b, &p, &id, &n)));
    cr_assert_eq(n, 3);
    cr_assert_eq(id, 1);
    cr_assert(rw_cl_batch_fits(&b, "t", 1), "empty again");
    Ringward__Frame *f[2];
    cr_assert_eq(frames_of(&p, f, 2), 1);
    cr_assert_eq(f[0]->body_case, RINGWARD__FRAME__BODY_PRODUCE);
    cr_assert_str_eq(f[0]->produce->topic, "t");
    cr_assert_eq(f[0]->produce->n_records, 3);
    cr_assert_eq(f[0]->produce->records[2]->value.data[0], 'c');
    rw_frame_free(f[0]);
    rw_cl_batch_cleanup(&b);
    rw_cl_proto_cleanup(&p);
}

Test(cl_batch, a_new_topic_seals_and_an_empty_seal_sends_nothing)
{
    struct rw_cl_proto p;
    struct rw_cl_batch b;
    rw_cl_proto_init(&p, 0);
    rw_cl_batch_init(&b, 0, 0, 0);
    uint64_t id = 9;
    size_t n = 9;
    cr_assert(rw_ok(rw_cl_batch_seal(&b, &p, &id, &n)));
    cr_assert_eq(n, 0);
    cr_assert_eq(id, 0);
    cr_assert_eq(p.out.len, 0);
    cr_assert(rw_ok(rw_cl_batch_add(&b, "a", "1", 1)));
    cr_assert_not(rw_cl_batch_fits(&b, "b", 1));
    cr_assert(rw_cl_batch_fits(&b, "a", 0), "empty records are records");
    rw_cl_batch_cleanup(&b);
    rw_cl_proto_cleanup(&p);
}

Test(cl_batch, splits_by_bytes_and_every_frame_stays_under_its_limits)
{
    struct rw_cl_proto p;
    struct rw_cl_batch b;
    const size_t max_frame = 64 * 1024, max_bytes = 16 * 1024;
    rw_cl_proto_init(&p, max_frame);
    rw_cl_batch_init(&b, 1000, max_bytes, max_frame);
    char value[5000];
    size_t sent = 0;
    for (int i = 0; i < 2000; i++) {
        size_t len = (size_t)(i * 37 % 4000);
        int w = snprintf(value, sizeof(value), "%06d:", i);
        memset(value + w, 'x', len);
        if (!rw_cl_batch_fits(&b, "topic", (size_t)w + len)) {
            uint64_t id;
            size_t n;
            cr_assert(rw_ok(rw_cl_batch_seal(&b, &p, &id, &n)));
            sent += n;
        }
        cr_assert(rw_ok(rw_cl_batch_add(&b, "topic", value, (size_t)w + len)));
    }
    uint64_t id;
    size_t n;
    cr_assert(rw_ok(rw_cl_batch_seal(&b, &p, &id, &n)));
    sent += n;
    cr_assert_eq(sent, 2000);
    static Ringward__Frame *f[1000];
    size_t frames = frames_of(&p, f, 1000);
    cr_assert_gt(frames, 100, "4 MB of records in 16 KiB frames: %zu frames", frames);
    int next = 0;
    for (size_t i = 0; i < frames; i++) {
        size_t packed = protobuf_c_message_get_packed_size(&f[i]->base);
        cr_assert_leq(packed, max_bytes + 4096, "frame %zu is %zu bytes", i, packed);
        for (size_t r = 0; r < f[i]->produce->n_records; r++) {
            int seq = -1;
            cr_assert_eq(sscanf((const char *)f[i]->produce->records[r]->value.data, "%06d:",
                                &seq), 1);
            cr_assert_eq(seq, next++, "records keep their order");
        }
        rw_frame_free(f[i]);
    }
    cr_assert_eq(next, 2000);
    rw_cl_batch_cleanup(&b);
    rw_cl_proto_cleanup(&p);
}

Test(cl_batch, a_record_larger_than_a_frame_is_refused_clearly)
{
    struct rw_cl_proto p;
    struct rw_cl_batch b;
    rw_cl_proto_init(&p, 1024);
    rw_cl_batch_init(&b, 0, 0, 1024);
    static uint8_t big[2048];
    struct rw_result r = rw_cl_batch_add(&b, "t", big, sizeof(big));
    cr_assert_eq(r.err, RW_ERR_LIMIT);
    cr_assert(strstr(rw_err_detail(), "does not fit in a 1024-byte frame"), "%s", rw_err_detail());
    cr_assert_eq(b.n, 0);
    cr_assert(rw_ok(rw_cl_batch_add(&b, "t", big, 900)), "one that fits alone is fine");
    cr_assert_not(rw_cl_batch_fits(&b, "t", 200));

    struct rw_client_record rec = {.value = big, .value_len = sizeof(big)};
    uint64_t id;
    cr_assert_eq(rw_cl_produce_encode(&p, "t", &rec, 1, &id).err, RW_ERR_LIMIT);
    cr_assert_eq(p.out.len, 0, "nothing half-written");
    rw_cl_batch_cleanup(&b);
    rw_cl_proto_cleanup(&p);
}

Test(cl_batch, produce_encode_carries_keys_and_values)
{
    struct rw_cl_proto p;
    rw_cl_proto_init(&p, 0);
    struct rw_client_record recs[2] = {
        {.value = (const uint8_t *)"v1", .value_len = 2, .key = (const uint8_t *)"k", .key_len = 1},
        {.value = (const uint8_t *)"", .value_len = 0},
    };
    uint64_t id;
    cr_assert(rw_ok(rw_cl_produce_encode(&p, "t", recs, 2, &id)));
    Ringward__Frame *f[1];
    cr_assert_eq(frames_of(&p, f, 1), 1);
    cr_assert_eq(f[0]->correlation_id, id);
    cr_assert_eq(f[0]->produce->records[0]->key.len, 1);
    cr_assert_eq(f[0]->produce->records[1]->value.len, 0);
    rw_frame_free(f[0]);
    rw_cl_proto_cleanup(&p);
}
