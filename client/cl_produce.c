/* client/cl_produce.c — produce: one frame at a time, or batched and
 * pipelined (at most c->pipeline unanswered frames). */
#include <string.h>

#include "client/cl_err.h"
#include "client/cl_internal.h"

/* Waits until at most `max` Produce frames are unanswered. */
static struct rw_result wait_inflight(struct rw_client *c, size_t max)
{
    int64_t deadline = cl_deadline(c);
    while (c->n_inflight > max) {
        Ringward__Frame *f = rw_cl_proto_response_pop(&c->proto);
        if (f) {
            struct rw_result r;
            if (cl_settle(c, f, &r)) {
                RW_GUARD(r);
                deadline = cl_deadline(c);
            } else {
                rw_frame_free(f);
            }
            continue;
        }
        struct rw_result r = cl_pump(c, deadline, CL_UNTIL_RESPONSE);
        if (r.err == RW_ERR_BLOCKED && rw_cl_remaining(deadline) == 0) {
            rw_cl_err_set(&c->err, 0, "no reply to a produce from broker %s within %d ms",
                          c->conn.peer, c->timeout_ms);
            RW_BAIL(RW_ERR_IO);
        }
        if (r.err != RW_ERR_BLOCKED) {
            RW_GUARD(r);
        }
    }
    return RW_SUCCESS;
}

/* Seals the open batch into a frame and writes it (after making room in
 * the pipeline). */
static struct rw_result seal_and_send(struct rw_client *c)
{
    if (c->batch.n == 0) {
        return RW_SUCCESS;
    }
    RW_GUARD(wait_inflight(c, c->pipeline - 1));
    uint64_t id = 0;
    size_t n = 0;
    RW_GUARD(cl_local(c, rw_cl_batch_seal(&c->batch, &c->proto, &id, &n), "produce"));
    c->inflight[c->n_inflight++] = (struct cl_inflight){.id = id, .n = n};
    return cl_send_all(c);
}

struct rw_result cl_drain_produce(struct rw_client *c)
{
    RW_GUARD(seal_and_send(c));
    return wait_inflight(c, 0);
}

struct rw_result rw_client_produce_add(struct rw_client *c, const char *topic, const void *value,
                                       size_t len)
{
    RW_GUARD(cl_begin(c));
    if (!rw_cl_batch_fits(&c->batch, topic, len)) {
        RW_GUARD(seal_and_send(c));
    }
    return cl_local(c, rw_cl_batch_add(&c->batch, topic, value, len), "produce");
}

struct rw_result rw_client_flush(struct rw_client *c, struct rw_client_produce_summary *sum)
{
    RW_GUARD(cl_begin(c));
    struct rw_result r = cl_drain_produce(c);
    if (sum) {
        *sum = c->acked;
    }
    memset(&c->acked, 0, sizeof(c->acked));
    return r;
}

struct rw_result rw_client_produce(struct rw_client *c, const char *topic,
                                   const struct rw_client_record *records, size_t n,
                                   uint64_t *base_offset)
{
    RW_GUARD(cl_begin(c));
    RW_GUARD(cl_drain_produce(c)); /* keep the order of batched records */
    uint64_t id = 0;
    RW_GUARD(cl_local(c, rw_cl_produce_encode(&c->proto, topic, records, n, &id), "produce"));
    Ringward__Frame *f = NULL;
    RW_GUARD(cl_await(c, id, &f));
    struct rw_result r = RW_SUCCESS;
    if (f->body_case == RINGWARD__FRAME__BODY_PRODUCE_OK && f->produce_ok) {
        if (base_offset) {
            *base_offset = f->produce_ok->base_offset;
        }
    } else if (f->body_case == RINGWARD__FRAME__BODY_ERROR) {
        r = rw_cl_err_broker(&c->err, f->error);
    } else {
        rw_cl_err_set(&c->err, 0, "broker answered a produce with something else");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    rw_frame_free(f);
    return r;
}
