/* broker/brk_app.c — frame input loop, dispatch, Produce, Fetch, Ping (each
 * Produce and Fetch passes the ACL gate of brk_authz.c first). */
#include "broker/brk_app.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/rw_frame.h"

#define ERR_CODE(x) RINGWARD__ERROR_CODE__##x

int64_t brk_app_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rw_result brk_app_ctx_init(struct brk_app_ctx *w, struct brk_topics *topics, unsigned worker,
                                  size_t max_frame, size_t max_output)
{
    memset(w, 0, sizeof(*w));
    w->topics = topics;
    w->worker = worker;
    w->max_frame = max_frame;
    w->max_output = max_output;
    w->views = calloc(BRK_APP_MAX_BATCH, sizeof(*w->views));
    w->pb = calloc(BRK_APP_MAX_BATCH, sizeof(*w->pb));
    w->pbp = calloc(BRK_APP_MAX_BATCH, sizeof(*w->pbp));
    if (!w->views || !w->pb || !w->pbp) {
        brk_app_ctx_cleanup(w);
        RW_BAIL(RW_ERR_NOMEM);
    }
    return RW_SUCCESS;
}

/* ---- the decode arena: protobuf-c allocates every record of a frame;
 * from a bump arena that is reset after the frame, that is no malloc and
 * no free per record. The newest block (the largest) is kept when it is
 * at most ARENA_KEEP bytes, so steady traffic reuses it. ---- */

#define ARENA_FIRST (64u << 10)
#define ARENA_KEEP (4u << 20)
#define ARENA_ALIGN 16u

struct brk_arena_blk {
    struct brk_arena_blk *next; /* older, smaller blocks */
    size_t used, cap, pad;      /* pad: mem stays 16-byte aligned */
    uint8_t mem[];
};

static void *arena_alloc(void *data, size_t size)
{
    struct brk_app_ctx *w = data;
    if (size > SIZE_MAX / 4) {
        return NULL;
    }
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct brk_arena_blk *b = w->arena;
    if (!b || b->cap - b->used < size) {
        size_t cap = b ? 2 * b->cap : ARENA_FIRST;
        cap = cap < size ? size : cap;
        struct brk_arena_blk *n = malloc(sizeof(*n) + cap);
        if (!n) {
            return NULL;
        }
        *n = (struct brk_arena_blk){b, 0, cap, 0};
        w->arena = b = n;
    }
    void *p = b->mem + b->used;
    b->used += size;
    return p;
}

static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p; /* everything goes at arena_release */
}

/* Frees the arena's blocks but the newest one when `keep_one` and it is
 * small enough, which is emptied for the next frame. */
static void arena_release(struct brk_app_ctx *w, bool keep_one)
{
    struct brk_arena_blk *keep = w->arena, *rest = keep ? keep->next : NULL;
    if (keep && (!keep_one || keep->cap > ARENA_KEEP)) {
        rest = keep;
        keep = NULL;
    }
    while (rest) {
        struct brk_arena_blk *n = rest->next;
        free(rest);
        rest = n;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    w->arena = keep;
}

void brk_app_ctx_cleanup(struct brk_app_ctx *w)
{
    arena_release(w, false);
    free(w->views);
    free(w->pb);
    free(w->pbp);
    free(w->in);
    memset(w, 0, sizeof(*w));
}

size_t brk_app_out_max(const struct brk_app_ctx *w)
{
    return w->max_output + w->max_frame + 2 * BRK_APP_FRAME_SLACK;
}

static struct rw_result send_frame(const struct brk_app_ctx *w, struct rw_buf *out,
                                   Ringward__Frame *f)
{
    return rw_frame_append(out, &f->base, w->max_frame + BRK_APP_FRAME_SLACK);
}

struct rw_result brk_app_error(const struct brk_app_ctx *w, struct rw_buf *out, uint64_t corr,
                               int code, const char *msg)
{
    Ringward__Error e = RINGWARD__ERROR__INIT;
    e.code = (Ringward__ErrorCode)code;
    e.message = (char *)msg;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_ERROR;
    f.error = &e;
    return send_frame(w, out, &f);
}

static struct rw_result grow_in(struct brk_app_ctx *w, size_t n)
{
    if (n <= w->in_cap) {
        return RW_SUCCESS;
    }
    size_t cap = w->in_cap ? w->in_cap : 64;
    while (cap < n) {
        cap *= 2;
    }
    struct brk_rec *p = realloc(w->in, cap * sizeof(*p));
    RW_ENSURE(p, RW_ERR_NOMEM);
    w->in = p;
    w->in_cap = cap;
    return RW_SUCCESS;
}

static struct rw_result produce(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                                const Ringward__ProduceRequest *req, struct rw_buf *out)
{
    bool allowed = false; /* decided before the topic is created */
    RW_GUARD(brk_app_authorize(w, a, corr, req->topic, RW_ACL_PRODUCE, out, &allowed));
    if (!allowed) {
        return RW_SUCCESS;
    }
    struct brk_topic *t = NULL;
    struct rw_result r = brk_topics_get(w->topics, req->topic, true, &t);
    if (!rw_ok(r)) {
        int code = r.err == RW_ERR_LIMIT ? ERR_CODE(RESOURCE_EXHAUSTED) : ERR_CODE(INVALID_ARGUMENT);
        return brk_app_error(w, out, corr, code, rw_err_detail());
    }
    if (req->n_records == 0) {
        return brk_app_error(w, out, corr, ERR_CODE(INVALID_ARGUMENT), "a produce needs records");
    }
    RW_GUARD(grow_in(w, req->n_records));
    for (size_t i = 0; i < req->n_records; i++) {
        const Ringward__Record *rec = req->records[i];
        w->in[i] = (struct brk_rec){rec->key.data, rec->key.len, rec->value.data, rec->value.len,
                                    rec->timestamp_ms};
    }
    uint64_t base = 0;
    r = brk_topic_append(t, w->in, req->n_records, brk_app_now_ms(), &base);
    if (!rw_ok(r)) {
        int code = r.err == RW_ERR_NOMEM || r.err == RW_ERR_LIMIT ? ERR_CODE(RESOURCE_EXHAUSTED)
                                                                  : ERR_CODE(INTERNAL);
        return brk_app_error(w, out, corr, code, rw_err_detail());
    }
    size_t bytes = 0;
    for (size_t i = 0; i < req->n_records; i++) {
        bytes += w->in[i].key_len + w->in[i].value_len;
    }
    brk_stat_bump(&w->counters.produce_records, req->n_records);
    brk_stat_bump(&w->counters.produce_bytes, bytes);
    Ringward__ProduceResponse ok = RINGWARD__PRODUCE_RESPONSE__INIT;
    ok.base_offset = base;
    ok.count = (uint32_t)req->n_records;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_PRODUCE_OK;
    f.produce_ok = &ok;
    return send_frame(w, out, &f);
}

/* Points the worker's protobuf scratch records at the views. */
static void fill_pb(struct brk_app_ctx *w, const struct brk_rec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Ringward__Record *p = &w->pb[i];
        ringward__record__init(p);
        p->key.data = (uint8_t *)v[i].key;
        p->key.len = v[i].key_len;
        p->value.data = (uint8_t *)v[i].value;
        p->value.len = v[i].value_len;
        p->timestamp_ms = v[i].timestamp_ms;
        w->pbp[i] = p;
    }
}

struct fetch_arg {
    struct brk_app_ctx *w;
    struct rw_buf *out;
    uint64_t corr;
};

void brk_app_count_consumed(struct brk_app_ctx *w, const struct brk_rec *v, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += v[i].key_len + v[i].value_len;
    }
    brk_stat_bump(&w->counters.consume_records, n);
    brk_stat_bump(&w->counters.consume_bytes, bytes);
}

static struct rw_result fetch_emit(void *arg, uint64_t first, const struct brk_rec *v, size_t n,
                                   uint64_t end)
{
    struct fetch_arg *a = arg;
    brk_app_count_consumed(a->w, v, n);
    fill_pb(a->w, v, n);
    Ringward__FetchResponse ok = RINGWARD__FETCH_RESPONSE__INIT;
    ok.base_offset = first;
    ok.n_records = n;
    ok.records = a->w->pbp;
    ok.end_offset = end;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = a->corr;
    f.body_case = RINGWARD__FRAME__BODY_FETCH_OK;
    f.fetch_ok = &ok;
    return send_frame(a->w, a->out, &f);
}

/* Bytes of record data one response may carry (leaves room for framing). */
static size_t batch_bytes(const struct brk_app_ctx *w, size_t asked)
{
    size_t cap = w->max_frame / 2;
    return asked && asked < cap ? asked : cap;
}

static struct rw_result fetch(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                              const Ringward__FetchRequest *req, struct rw_buf *out)
{
    bool allowed = false;
    RW_GUARD(brk_app_authorize(w, a, corr, req->topic, RW_ACL_CONSUME, out, &allowed));
    if (!allowed) {
        return RW_SUCCESS;
    }
    struct brk_topic *t = NULL;
    struct rw_result r = brk_topics_get(w->topics, req->topic, false, &t);
    struct fetch_arg fa = {w, out, corr};
    if (r.err == RW_ERR_NOT_FOUND) {
        return fetch_emit(&fa, req->offset, NULL, 0, 0); /* nothing yet: empty */
    }
    if (!rw_ok(r)) {
        return brk_app_error(w, out, corr, ERR_CODE(INVALID_ARGUMENT), rw_err_detail());
    }
    return brk_topic_read(t, req->offset, BRK_APP_MAX_BATCH, batch_bytes(w, req->max_bytes),
                          w->views, fetch_emit, &fa);
}

static struct rw_result pong(struct brk_app_ctx *w, uint64_t corr, struct rw_buf *out)
{
    Ringward__Pong p = RINGWARD__PONG__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__FRAME__BODY_PONG;
    f.pong = &p;
    return send_frame(w, out, &f);
}

struct rw_result brk_app_dispatch(struct brk_app_ctx *w, struct brk_app *a, const Ringward__Frame *f,
                                  struct rw_buf *out)
{
    uint64_t corr = f->correlation_id;
    switch (f->body_case) {
    case RINGWARD__FRAME__BODY_PRODUCE:
        return produce(w, a, corr, f->produce, out);
    case RINGWARD__FRAME__BODY_FETCH:
        return fetch(w, a, corr, f->fetch, out);
    case RINGWARD__FRAME__BODY_SUBSCRIBE:
        return brk_app_subscribe(w, a, corr, f->subscribe, out);
    case RINGWARD__FRAME__BODY_CREDIT:
        return brk_app_credit(w, a, corr, f->credit, out);
    case RINGWARD__FRAME__BODY_PING:
        return pong(w, corr, out);
    default:
        return brk_app_error(w, out, corr, ERR_CODE(INVALID_ARGUMENT),
                             "the broker does not serve this message type");
    }
}

/* One frame body: unknown message types are answered, not fatal. */
static struct rw_result one_frame(struct brk_app_ctx *w, struct brk_app *a, const uint8_t *body,
                                  size_t len, struct rw_buf *out)
{
    ProtobufCAllocator arena = {arena_alloc, arena_free, w};
    Ringward__Frame *f = ringward__frame__unpack(&arena, len, body);
    if (!f) {
        arena_release(w, true);
        RW_GUARD(brk_app_error(w, out, 0, ERR_CODE(INVALID_ARGUMENT), "malformed frame"));
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "frame is not a valid protobuf message");
    }
    struct rw_result r = brk_app_dispatch(w, a, f, out);
    arena_release(w, true); /* frees f and everything in it */
    return r;
}

struct rw_result brk_app_input(struct brk_app_ctx *w, struct brk_app *a, const uint8_t *data,
                               size_t len, size_t *consumed, struct rw_buf *out, size_t queued)
{
    size_t pos = 0;
    struct rw_result r = RW_SUCCESS;
    while (queued + out->len < w->max_output) {
        const uint8_t *body = NULL;
        size_t body_len = 0, frame_len = 0, need = 0;
        r = rw_frame_peek(data + pos, len - pos, w->max_frame, &body, &body_len, &frame_len, &need);
        if (r.err == RW_ERR_BLOCKED) {
            r = RW_SUCCESS;
            break;
        }
        if (r.err == RW_ERR_PROTO_TOO_LARGE) {
            struct rw_result e =
                brk_app_error(w, out, 0, ERR_CODE(RESOURCE_EXHAUSTED), "frame length above the maximum");
            r = rw_ok(e) ? r : e;
            break;
        }
        RW_TRY(r, one_frame(w, a, body, body_len, out), done);
        pos += frame_len;
    }
done:
    *consumed = pos;
    return r;
}
