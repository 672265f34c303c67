/* client/cl_consume.c — fetch, subscribe and poll; records are lent from
 * the decoded frame until the next call. */
#include <stdlib.h>
#include <string.h>

#include "client/cl_err.h"
#include "client/cl_internal.h"

#define DEFAULT_CREDIT 1000

struct rw_result cl_lend(struct rw_client *c, Ringward__Frame *f, Ringward__Record **records,
                         size_t n, uint64_t base, struct rw_client_batch *out)
{
    if (n > c->recs_cap) {
        struct rw_client_record *recs = realloc(c->recs, n * sizeof(*recs));
        if (!recs) {
            rw_frame_free(f);
            rw_cl_err_set(&c->err, 0, "out of memory");
            RW_BAIL(RW_ERR_NOMEM);
        }
        c->recs = recs;
        c->recs_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const Ringward__Record *r = records[i];
        c->recs[i] = (struct rw_client_record){
            .value = r->value.data, .value_len = r->value.len,
            .key = r->key.len ? r->key.data : NULL, .key_len = r->key.len,
            .offset = base + i, .timestamp_ms = r->timestamp_ms,
        };
    }
    c->lent = f;
    *out = (struct rw_client_batch){.records = c->recs, .n = n, .base_offset = base,
                                    .end_offset = base + n};
    return RW_SUCCESS;
}

static struct rw_result unexpected(struct rw_client *c, Ringward__Frame *f, const char *what)
{
    struct rw_result r;
    if (f->body_case == RINGWARD__FRAME__BODY_ERROR) {
        r = rw_cl_err_broker(&c->err, f->error);
    } else {
        rw_cl_err_set(&c->err, 0, "broker answered a %s with something else", what);
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    rw_frame_free(f);
    return r;
}

struct rw_result rw_client_fetch(struct rw_client *c, const char *topic, uint64_t offset,
                                 uint32_t max_bytes, struct rw_client_batch *out)
{
    memset(out, 0, sizeof(*out));
    RW_GUARD(cl_begin(c));
    RW_GUARD(cl_drain_produce(c));
    Ringward__FetchRequest req = RINGWARD__FETCH_REQUEST__INIT;
    req.topic = (char *)topic;
    req.offset = offset;
    req.max_bytes = max_bytes;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_FETCH;
    f.fetch = &req;
    uint64_t id;
    RW_GUARD(cl_local(c, rw_cl_proto_send(&c->proto, &f, &id), "fetch"));
    Ringward__Frame *reply = NULL;
    RW_GUARD(cl_await(c, id, &reply));
    if (reply->body_case != RINGWARD__FRAME__BODY_FETCH_OK || !reply->fetch_ok) {
        return unexpected(c, reply, "fetch");
    }
    Ringward__FetchResponse *fr = reply->fetch_ok;
    uint64_t end = fr->end_offset;
    RW_GUARD(cl_lend(c, reply, fr->records, fr->n_records, fr->base_offset, out));
    out->end_offset = end;
    return RW_SUCCESS;
}

struct rw_result rw_client_subscribe(struct rw_client *c, const char *topic,
                                     uint64_t from_offset, bool from_end, uint32_t credit,
                                     uint64_t *start_offset)
{
    RW_GUARD(cl_begin(c));
    if (c->proto.sub.id != 0) {
        rw_cl_err_set(&c->err, 0, "this client already has a subscription");
        RW_BAIL(RW_ERR_STATE);
    }
    RW_GUARD(cl_drain_produce(c));
    Ringward__SubscribeRequest req = RINGWARD__SUBSCRIBE_REQUEST__INIT;
    req.topic = (char *)topic;
    req.from_offset = from_offset;
    req.from_end = from_end;
    req.credit = credit ? credit : DEFAULT_CREDIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_SUBSCRIBE;
    f.subscribe = &req;
    uint64_t id;
    RW_GUARD(cl_local(c, rw_cl_proto_send(&c->proto, &f, &id), "subscribe"));
    rw_cl_proto_sub_start(&c->proto, id, req.credit); /* before any push is read */
    Ringward__Frame *reply = NULL;
    struct rw_result r = cl_await(c, id, &reply);
    bool ok = rw_ok(r) && reply->body_case == RINGWARD__FRAME__BODY_SUBSCRIBE_OK &&
              reply->subscribe_ok;
    if (rw_ok(r) && !ok) {
        r = unexpected(c, reply, "subscribe");
        reply = NULL;
    }
    if (!rw_ok(r)) {
        rw_cl_proto_sub_stop(&c->proto);
        return r;
    }
    if (start_offset) {
        *start_offset = reply->subscribe_ok->start_offset;
    }
    rw_frame_free(reply);
    return RW_SUCCESS;
}

/* Handles queued replies while polling: an Error for the subscription ends it. */
static struct rw_result poll_responses(struct rw_client *c)
{
    Ringward__Frame *f;
    while ((f = rw_cl_proto_response_pop(&c->proto)) != NULL) {
        struct rw_result r;
        if (f->correlation_id == c->proto.sub.id) {
            rw_cl_proto_sub_stop(&c->proto);
            return unexpected(c, f, "subscription");
        }
        if (cl_settle(c, f, &r)) {
            RW_GUARD(r);
        } else {
            rw_frame_free(f);
        }
    }
    return RW_SUCCESS;
}

/* Pumps until something arrives or `deadline` passes. A consumer that only
 * waits sends nothing, so a Ping goes out whenever nothing did for
 * c->keepalive_ms (the broker's idle timeout would close it). RW_ERR_BLOCKED
 * when the deadline passed or a signal interrupted the wait. */
static struct rw_result wait_delivery(struct rw_client *c, int64_t deadline)
{
    if (c->keepalive_ms < 0) {
        return cl_pump(c, deadline, CL_UNTIL_DELIVERY);
    }
    for (;;) {
        int64_t due = c->last_sent_ms + c->keepalive_ms;
        if (rw_cl_now_ms() >= due) {
            Ringward__Ping ping = RINGWARD__PING__INIT;
            Ringward__Frame f = RINGWARD__FRAME__INIT;
            f.body_case = RINGWARD__FRAME__BODY_PING;
            f.ping = &ping;
            RW_GUARD(cl_kill(c, cl_local(c, rw_cl_proto_send(&c->proto, &f, NULL), "keepalive")));
            c->last_sent_ms = rw_cl_now_ms(); /* written by the pump below */
            due = c->last_sent_ms + c->keepalive_ms;
        }
        int64_t until = deadline < 0 || deadline > due ? due : deadline;
        struct rw_result r = cl_pump(c, until, CL_UNTIL_DELIVERY);
        if (r.err != RW_ERR_BLOCKED || until == deadline || rw_cl_now_ms() < until) {
            return r; /* something came, the deadline passed, a signal, or a failure */
        }
    }
}

struct rw_result rw_client_poll(struct rw_client *c, int timeout_ms, struct rw_client_batch *out)
{
    memset(out, 0, sizeof(*out));
    RW_GUARD(cl_begin(c));
    if (c->proto.sub.id == 0) {
        rw_cl_err_set(&c->err, 0, "no subscription: call rw_client_subscribe first");
        RW_BAIL(RW_ERR_STATE);
    }
    int64_t deadline = timeout_ms < 0 ? -1 : rw_cl_now_ms() + timeout_ms;
    for (;;) {
        RW_GUARD(poll_responses(c));
        Ringward__Frame *f = NULL;
        struct rw_result r = rw_cl_proto_delivery_pop(&c->proto, &f);
        if (rw_ok(r) && f->delivery && f->delivery->n_records > 0) {
            Ringward__Delivery *d = f->delivery;
            RW_GUARD(cl_lend(c, f, d->records, d->n_records, d->base_offset, out));
            /* Send the credit granted back, if any. The records are the
             * caller's now: a failure here is reported by the next call. */
            if (!rw_ok(cl_send_all(c)) && c->dead == RW_OK) {
                memset(&c->err, 0, sizeof(c->err));
            }
            return RW_SUCCESS;
        }
        if (rw_ok(r)) {
            rw_frame_free(f); /* an empty push */
            continue;
        }
        if (r.err != RW_ERR_BLOCKED) {
            return cl_kill(c, cl_local(c, r, "cannot grant credit"));
        }
        RW_GUARD(wait_delivery(c, deadline));
    }
}
