/* broker/brk_sub.c — subscriptions: Subscribe, Credit and Delivery pushes
 * with credit-based flow control. */
#include "broker/brk_app.h"

#include <stdlib.h>
#include <string.h>

#include "proto/rw_frame.h"

#define ERR_CODE(x) RINGWARD__ERROR_CODE__##x

void brk_app_init(struct brk_app *a) { memset(a, 0, sizeof(*a)); }

void brk_app_cleanup(struct brk_app_ctx *w, struct brk_app *a)
{
    for (unsigned i = 0; i < a->n_subs; i++) {
        brk_topic_sub_del(a->subs[i].topic, w->worker);
    }
    a->n_subs = 0;
    free(a->subs);
    a->subs = NULL;
}

static struct brk_sub *find_sub(struct brk_app *a, uint64_t id)
{
    for (unsigned i = 0; i < a->n_subs; i++) {
        if (a->subs[i].id == id) {
            return &a->subs[i];
        }
    }
    return NULL;
}

struct rw_result brk_app_subscribe(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                                   const Ringward__SubscribeRequest *req, struct rw_buf *out)
{
    if (find_sub(a, corr)) {
        return brk_app_error(w, out, corr, ERR_CODE(INVALID_ARGUMENT),
                             "a subscription with this correlation_id exists");
    }
    if (a->n_subs == BRK_APP_MAX_SUBS) {
        return brk_app_error(w, out, corr, ERR_CODE(RESOURCE_EXHAUSTED),
                             "too many subscriptions on this connection");
    }
    if (!a->subs) { /* most connections never subscribe: no table until one does */
        a->subs = calloc(BRK_APP_MAX_SUBS, sizeof(*a->subs));
        RW_ENSURE(a->subs, RW_ERR_NOMEM);
    }
    bool allowed = false; /* decided before the topic is created */
    RW_GUARD(brk_app_authorize(w, a, corr, req->topic, RW_ACL_CONSUME, out, &allowed));
    if (!allowed) {
        return RW_SUCCESS;
    }
    struct brk_topic *t = NULL;
    struct rw_result r = brk_topics_get(w->topics, req->topic, true, &t);
    if (!rw_ok(r)) {
        int code = r.err == RW_ERR_LIMIT ? ERR_CODE(RESOURCE_EXHAUSTED) : ERR_CODE(INVALID_ARGUMENT);
        return brk_app_error(w, out, corr, code, rw_err_detail());
    }
    /* Count the subscriber before looking at the end offset, so an append
     * racing with us either is seen here or notifies our worker. */
    brk_topic_sub_add(t, w->worker);
    uint64_t end = brk_topic_end(t), start = brk_topic_start(t);
    uint64_t from = req->from_end ? end : req->from_offset;
    from = from < start ? start : from > end ? end : from;
    struct brk_sub *s = &a->subs[a->n_subs++];
    *s = (struct brk_sub){corr, t, from, req->credit};
    Ringward__SubscribeResponse ok = RINGWARD__SUBSCRIBE_RESPONSE__INIT;
    ok.start_offset = from;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_SUBSCRIBE_OK;
    f.subscribe_ok = &ok;
    return rw_frame_append(out, &f.base, w->max_frame + BRK_APP_FRAME_SLACK);
}

struct rw_result brk_app_credit(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                                const Ringward__Credit *c, struct rw_buf *out)
{
    struct brk_sub *s = find_sub(a, c->subscription);
    if (!s) {
        return brk_app_error(w, out, corr, ERR_CODE(NOT_FOUND), "no such subscription");
    }
    s->credit = s->credit > UINT64_MAX - c->records ? UINT64_MAX : s->credit + c->records;
    return RW_SUCCESS;
}

struct push_arg {
    struct brk_app_ctx *w;
    struct brk_sub *s;
    struct rw_buf *out;
};

static struct rw_result push_emit(void *arg, uint64_t first, const struct brk_rec *v, size_t n,
                                  uint64_t end)
{
    (void)end;
    struct push_arg *p = arg;
    if (n == 0) {
        return RW_SUCCESS;
    }
    for (size_t i = 0; i < n; i++) {
        Ringward__Record *r = &p->w->pb[i];
        ringward__record__init(r);
        r->key = (ProtobufCBinaryData){v[i].key_len, (uint8_t *)v[i].key};
        r->value = (ProtobufCBinaryData){v[i].value_len, (uint8_t *)v[i].value};
        r->timestamp_ms = v[i].timestamp_ms;
        p->w->pbp[i] = r;
    }
    Ringward__Delivery d = RINGWARD__DELIVERY__INIT;
    d.base_offset = first;
    d.n_records = n;
    d.records = p->w->pbp;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = p->s->id;
    f.body_case = RINGWARD__FRAME__BODY_DELIVERY;
    f.delivery = &d;
    RW_GUARD(rw_frame_append(p->out, &f.base, p->w->max_frame + BRK_APP_FRAME_SLACK));
    brk_app_count_consumed(p->w, v, n);
    p->s->next = first + n;
    p->s->credit -= n;
    return RW_SUCCESS;
}

/* Pushes one Delivery for `s` when it has credit and records; *pushed. */
static struct rw_result push_one(struct brk_app_ctx *w, struct brk_sub *s, struct rw_buf *out,
                                 bool *pushed)
{
    *pushed = false;
    if (s->credit == 0 || s->next >= brk_topic_end(s->topic)) {
        return RW_SUCCESS;
    }
    size_t max_rec = s->credit < BRK_APP_MAX_BATCH ? (size_t)s->credit : BRK_APP_MAX_BATCH;
    struct push_arg p = {w, s, out};
    uint64_t before = s->next;
    RW_GUARD(brk_topic_read(s->topic, s->next, max_rec, w->max_frame / 2, w->views, push_emit, &p));
    *pushed = s->next != before;
    return RW_SUCCESS;
}

struct rw_result brk_app_pump(struct brk_app_ctx *w, struct brk_app *a, struct rw_buf *out,
                              size_t queued, bool *more)
{
    *more = false;
    bool progress = true;
    while (progress) {
        progress = false;
        for (unsigned i = 0; i < a->n_subs; i++) {
            if (queued + out->len >= w->max_output) {
                struct brk_sub *s = &a->subs[i];
                *more = *more || (s->credit > 0 && s->next < brk_topic_end(s->topic));
                continue;
            }
            bool pushed = false;
            RW_GUARD(push_one(w, &a->subs[i], out, &pushed));
            progress = progress || pushed;
        }
    }
    return RW_SUCCESS;
}
