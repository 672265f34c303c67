/* client/cl_pump.c — moving bytes between the connection and the protocol
 * state, and waiting for replies with a deadline. */
#include <string.h>

#include "client/cl_err.h"
#include "client/cl_internal.h"

#define READ_CHUNK 16384
#define READS_PER_TURN 64
#define COMPACT_AT (1u << 20)

/* Writes until everything is out or the socket is full (*blocked_write
 * then says whether it waits for POLLOUT). */
static struct rw_result write_some(struct rw_client *c, bool *blocked_write)
{
    struct rw_buf *out = &c->proto.out;
    *blocked_write = false;
    while (c->out_pos < out->len) {
        size_t n = 0;
        struct rw_result r = rw_cl_conn_write(&c->conn, out->data + c->out_pos,
                                              out->len - c->out_pos, &n, &c->err);
        if (r.err == RW_ERR_BLOCKED) {
            *blocked_write = c->conn.want_write;
            break;
        }
        RW_GUARD(r);
        c->out_pos += n;
        c->last_sent_ms = rw_cl_now_ms();
    }
    if (c->out_pos == out->len) {
        out->len = 0;
        c->out_pos = 0;
    } else if (c->out_pos >= COMPACT_AT) {
        rw_buf_consume(out, c->out_pos);
        c->out_pos = 0;
    }
    return RW_SUCCESS;
}

/* Reads what the socket has into the protocol state, at most
 * READS_PER_TURN chunks (*more then says that more may be waiting). */
static struct rw_result read_some(struct rw_client *c, struct rw_client_error *err, bool *more)
{
    uint8_t buf[READ_CHUNK];
    *more = true;
    for (int i = 0; i < READS_PER_TURN; i++) {
        size_t n = 0;
        struct rw_result r = rw_cl_conn_read(&c->conn, buf, sizeof(buf), &n, err);
        if (r.err == RW_ERR_BLOCKED) {
            *more = false;
            return RW_SUCCESS;
        }
        RW_GUARD(r);
        RW_GUARD(rw_cl_proto_feed(&c->proto, buf, n, err));
    }
    return RW_SUCCESS;
}

/* A write failed (the broker may have closed after telling us why): what
 * is still readable may carry a better reason than the write error. */
static struct rw_result write_failed(struct rw_client *c, struct rw_result r)
{
    struct rw_client_error why = {0};
    bool more;
    struct rw_result rr = read_some(c, &why, &more);
    if (!rw_ok(rr) && (why.code != 0 || c->conn.alert >= 0)) {
        c->err = why;
        r = rr;
    }
    return cl_kill(c, r);
}

static bool done(const struct rw_client *c, enum cl_until until)
{
    switch (until) {
    case CL_UNTIL_SENT:
        return c->out_pos == c->proto.out.len;
    case CL_UNTIL_RESPONSE:
        return rw_cl_proto_responses(&c->proto) > 0;
    case CL_UNTIL_DELIVERY:
        return rw_cl_proto_responses(&c->proto) > 0 || rw_cl_proto_deliveries(&c->proto) > 0;
    }
    return true;
}

struct rw_result cl_pump(struct rw_client *c, int64_t deadline, enum cl_until until)
{
    for (;;) {
        bool want_write = false;
        struct rw_result r = write_some(c, &want_write);
        if (!rw_ok(r)) {
            return write_failed(c, r);
        }
        bool more = false;
        r = read_some(c, &c->err, &more);
        if (!rw_ok(r)) {
            return cl_kill(c, r);
        }
        if (done(c, until)) {
            return RW_SUCCESS;
        }
        if (more) {
            continue;
        }
        want_write = want_write || c->conn.want_write;
        RW_GUARD(rw_cl_conn_wait(&c->conn, want_write, deadline));
    }
}

struct rw_result cl_send_all(struct rw_client *c)
{
    int64_t deadline = cl_deadline(c);
    for (;;) {
        struct rw_result r = cl_pump(c, deadline, CL_UNTIL_SENT);
        if (r.err != RW_ERR_BLOCKED) {
            return r;
        }
        if (rw_cl_remaining(deadline) == 0) {
            rw_cl_err_set(&c->err, 0, "broker %s did not take our data within %d ms",
                          c->conn.peer, c->timeout_ms);
            RW_BAIL(RW_ERR_IO);
        }
    }
}

static struct rw_result timed_out(struct rw_client *c)
{
    rw_cl_err_set(&c->err, 0, "no reply from broker %s within %d ms", c->conn.peer,
                  c->timeout_ms);
    RW_BAIL(RW_ERR_IO);
}

struct rw_result cl_await(struct rw_client *c, uint64_t id, Ringward__Frame **out)
{
    int64_t deadline = cl_deadline(c);
    for (;;) {
        Ringward__Frame *f;
        while ((f = rw_cl_proto_response_pop(&c->proto)) != NULL) {
            if (f->correlation_id == id) {
                *out = f;
                return RW_SUCCESS;
            }
            struct rw_result r;
            if (cl_settle(c, f, &r)) {
                RW_GUARD(r);
            } else {
                rw_frame_free(f); /* a reply nobody waits for any more */
            }
        }
        struct rw_result r = cl_pump(c, deadline, CL_UNTIL_RESPONSE);
        if (r.err == RW_ERR_BLOCKED && rw_cl_remaining(deadline) == 0) {
            return timed_out(c);
        }
        if (r.err != RW_ERR_BLOCKED) {
            RW_GUARD(r);
        }
    }
}

bool cl_settle(struct rw_client *c, Ringward__Frame *f, struct rw_result *r)
{
    size_t i = 0;
    while (i < c->n_inflight && c->inflight[i].id != f->correlation_id) {
        i++;
    }
    if (i == c->n_inflight) {
        return false;
    }
    c->inflight[i] = c->inflight[--c->n_inflight];
    *r = RW_SUCCESS;
    if (f->body_case == RINGWARD__FRAME__BODY_PRODUCE_OK && f->produce_ok) {
        struct rw_client_produce_summary *s = &c->acked;
        uint64_t n = f->produce_ok->count;
        if (n > 0) {
            if (s->records == 0 || f->produce_ok->base_offset < s->first_offset) {
                s->first_offset = f->produce_ok->base_offset;
            }
            uint64_t last = f->produce_ok->base_offset + n - 1;
            s->last_offset = s->records == 0 || last > s->last_offset ? last : s->last_offset;
            s->records += n;
        }
    } else if (f->body_case == RINGWARD__FRAME__BODY_ERROR) {
        *r = rw_cl_err_broker(&c->err, f->error);
    } else {
        rw_cl_err_set(&c->err, 0, "broker answered a produce with something else");
        *r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    rw_frame_free(f);
    return true;
}
