/* client/cl_proto.c — client protocol state: framing, sorting, credit. */
#include "client/cl_proto.h"

#include <stdlib.h>
#include <string.h>

#include "client/cl_err.h"

/* Output may hold several pipelined frames; input one partial frame plus
 * what one read adds. */
#define OUT_FRAMES 64
#define READ_SLACK (64u * 1024u)

/* ---- fifo of owned frames ---- */

static struct rw_result fifo_push(struct rw_cl_fifo *q, Ringward__Frame *f)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        Ringward__Frame **items = malloc(cap * sizeof(*items));
        RW_ENSURE(items, RW_ERR_NOMEM);
        for (size_t i = 0; i < q->len; i++) {
            items[i] = q->items[(q->head + i) % q->cap];
        }
        free(q->items);
        q->items = items;
        q->head = 0;
        q->cap = cap;
    }
    q->items[(q->head + q->len) % q->cap] = f;
    q->len++;
    return RW_SUCCESS;
}

static Ringward__Frame *fifo_pop(struct rw_cl_fifo *q)
{
    if (q->len == 0) {
        return NULL;
    }
    Ringward__Frame *f = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return f;
}

static void fifo_clear(struct rw_cl_fifo *q)
{
    Ringward__Frame *f;
    while ((f = fifo_pop(q)) != NULL) {
        rw_frame_free(f);
    }
    free(q->items);
    memset(q, 0, sizeof(*q));
}

/* ---- lifecycle ---- */

void rw_cl_proto_init(struct rw_cl_proto *p, size_t max_frame)
{
    memset(p, 0, sizeof(*p));
    p->max_frame = max_frame ? max_frame : RW_FRAME_DEFAULT_MAX;
    p->max_in = p->max_frame + RW_CL_IN_SLACK;
    rw_buf_init(&p->in, p->max_in + RW_FRAME_HEADER + READ_SLACK);
    rw_buf_init(&p->out, (p->max_frame + RW_FRAME_HEADER) * OUT_FRAMES);
}

void rw_cl_proto_cleanup(struct rw_cl_proto *p)
{
    rw_buf_cleanup(&p->in);
    rw_buf_cleanup(&p->out);
    fifo_clear(&p->responses);
    fifo_clear(&p->deliveries);
}

struct rw_result rw_cl_proto_send(struct rw_cl_proto *p, Ringward__Frame *f, uint64_t *id)
{
    RW_ENSURE(p->failed == RW_OK, p->failed);
    f->correlation_id = ++p->next_id;
    RW_GUARD(rw_frame_append(&p->out, &f->base, p->max_frame));
    if (id) {
        *id = f->correlation_id;
    }
    return RW_SUCCESS;
}

/* ---- input ---- */

static struct rw_result fail(struct rw_cl_proto *p, struct rw_result r,
                             struct rw_client_error *err)
{
    p->failed = r.err;
    p->fail_err = *err;
    return r;
}

static struct rw_result on_delivery(struct rw_cl_proto *p, Ringward__Frame *f,
                                    struct rw_client_error *err)
{
    struct rw_cl_sub *s = &p->sub;
    if (s->id == 0 || f->correlation_id != s->id) {
        rw_frame_free(f); /* a push for a subscription we no longer have */
        return RW_SUCCESS;
    }
    uint64_t n = f->delivery ? f->delivery->n_records : 0;
    if (n > s->outstanding) {
        s->overrun += n - s->outstanding;
        s->outstanding = 0;
    } else {
        s->outstanding -= n;
    }
    s->queued += n;
    struct rw_result r = fifo_push(&p->deliveries, f);
    if (!rw_ok(r)) {
        rw_frame_free(f);
        rw_cl_err_set(err, 0, "out of memory queueing a delivery");
        return r;
    }
    if (s->overrun > s->window) {
        rw_cl_err_set(err, 0, "broker pushed %llu records beyond the granted credit",
                      (unsigned long long)s->overrun);
        RW_BAIL(RW_ERR_PROTO_MALFORMED);
    }
    return RW_SUCCESS;
}

static struct rw_result on_ping(struct rw_cl_proto *p, Ringward__Frame *f)
{
    Ringward__Pong pong = RINGWARD__PONG__INIT;
    Ringward__Frame reply = RINGWARD__FRAME__INIT;
    reply.body_case = RINGWARD__FRAME__BODY_PONG;
    reply.pong = &pong;
    reply.correlation_id = f->correlation_id;
    rw_frame_free(f);
    return rw_frame_append(&p->out, &reply.base, p->max_frame);
}

/* Takes ownership of f. */
static struct rw_result dispatch(struct rw_cl_proto *p, Ringward__Frame *f,
                                 struct rw_client_error *err)
{
    switch (f->body_case) {
    case RINGWARD__FRAME__BODY_DELIVERY:
        return on_delivery(p, f, err);
    case RINGWARD__FRAME__BODY_PING:
        return on_ping(p, f);
    case RINGWARD__FRAME__BODY_ERROR:
        if (f->correlation_id == 0) {
            struct rw_result r = rw_cl_err_broker(err, f->error);
            rw_frame_free(f);
            return r;
        }
        break;
    default:
        break;
    }
    struct rw_result r = fifo_push(&p->responses, f);
    if (!rw_ok(r)) {
        rw_frame_free(f);
        rw_cl_err_set(err, 0, "out of memory queueing a response");
    }
    return r;
}

/* Decodes and dispatches every complete frame in `in`. */
static struct rw_result drain(struct rw_cl_proto *p, struct rw_client_error *err)
{
    size_t pos = 0;
    struct rw_result r = RW_SUCCESS;
    for (;;) {
        const uint8_t *body;
        size_t body_len, frame_len, need;
        r = rw_frame_peek(p->in.data + pos, p->in.len - pos, p->max_in, &body, &body_len,
                          &frame_len, &need);
        if (r.err == RW_ERR_BLOCKED) {
            r = RW_SUCCESS;
            break;
        }
        if (!rw_ok(r)) {
            rw_cl_err_set(err, 0, "broker sent a frame larger than the %zu-byte maximum",
                          p->max_in);
            break;
        }
        Ringward__Frame *f = NULL;
        r = rw_frame_decode(body, body_len, &f);
        if (!rw_ok(r)) {
            rw_cl_err_set(err, 0, "broker sent a malformed frame");
            break;
        }
        pos += frame_len;
        r = dispatch(p, f, err);
        if (!rw_ok(r)) {
            break;
        }
    }
    rw_buf_consume(&p->in, pos);
    return r;
}

struct rw_result rw_cl_proto_feed(struct rw_cl_proto *p, const uint8_t *data, size_t len,
                                  struct rw_client_error *err)
{
    if (p->failed != RW_OK) {
        *err = p->fail_err;
        return (struct rw_result){p->failed};
    }
    while (len > 0) {
        size_t room = p->in.max - p->in.len;
        size_t take = len < room ? len : room;
        struct rw_result r = rw_buf_append(&p->in, data, take);
        if (rw_ok(r)) {
            r = drain(p, err);
        } else {
            rw_cl_err_set(err, 0, "out of memory buffering input");
        }
        if (!rw_ok(r)) {
            return fail(p, r, err);
        }
        data += take;
        len -= take;
    }
    return RW_SUCCESS;
}

/* ---- output to the application ---- */

Ringward__Frame *rw_cl_proto_response_pop(struct rw_cl_proto *p)
{
    return fifo_pop(&p->responses);
}

static struct rw_result grant(struct rw_cl_proto *p)
{
    struct rw_cl_sub *s = &p->sub;
    uint64_t half = s->window / 2 ? s->window / 2 : 1;
    if (s->ungranted < half) {
        return RW_SUCCESS;
    }
    uint32_t n = s->ungranted > UINT32_MAX ? UINT32_MAX : (uint32_t)s->ungranted;
    Ringward__Credit credit = RINGWARD__CREDIT__INIT;
    credit.subscription = s->id;
    credit.records = n;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_CREDIT;
    f.credit = &credit;
    RW_GUARD(rw_cl_proto_send(p, &f, NULL));
    s->ungranted -= n;
    s->outstanding += n;
    s->granted += n;
    return RW_SUCCESS;
}

struct rw_result rw_cl_proto_delivery_pop(struct rw_cl_proto *p, Ringward__Frame **out)
{
    Ringward__Frame *f = fifo_pop(&p->deliveries);
    if (!f) {
        return (struct rw_result){RW_ERR_BLOCKED};
    }
    struct rw_cl_sub *s = &p->sub;
    uint64_t n = f->delivery ? f->delivery->n_records : 0;
    n = n > s->queued ? s->queued : n;
    s->queued -= n;
    s->ungranted += n;
    struct rw_result r = grant(p);
    if (!rw_ok(r)) {
        rw_frame_free(f);
        return r;
    }
    *out = f;
    return RW_SUCCESS;
}

size_t rw_cl_proto_deliveries(const struct rw_cl_proto *p) { return p->deliveries.len; }
size_t rw_cl_proto_responses(const struct rw_cl_proto *p) { return p->responses.len; }

void rw_cl_proto_sub_start(struct rw_cl_proto *p, uint64_t id, uint32_t window)
{
    rw_cl_proto_sub_stop(p);
    p->sub.id = id;
    p->sub.window = window;
    p->sub.outstanding = window;
}

void rw_cl_proto_sub_stop(struct rw_cl_proto *p)
{
    Ringward__Frame *f;
    while ((f = fifo_pop(&p->deliveries)) != NULL) {
        rw_frame_free(f);
    }
    memset(&p->sub, 0, sizeof(p->sub));
}
