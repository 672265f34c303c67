/* client/rw_client.c — connect, close, errors, ping and TLS sessions. */
#include "client/rw_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "client/cl_err.h"
#include "client/cl_internal.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_PIPELINE 8
#define DEFAULT_KEEPALIVE_MS 30000

static void client_free(struct rw_client *c)
{
    rw_cl_conn_close(&c->conn);
    rw_cl_proto_cleanup(&c->proto);
    rw_cl_batch_cleanup(&c->batch);
    rw_frame_free(c->lent);
    free(c->recs);
    free(c->inflight);
    free(c);
}

struct rw_result rw_client_connect(const struct rw_client_opts *o, struct rw_client **out,
                                   struct rw_client_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof(*err));
    if (!o || !o->host || !o->host[0] || o->port == 0) {
        rw_cl_err_set(err, 0, "no broker address given");
        RW_BAIL(RW_ERR_USAGE);
    }
    struct rw_client *c = calloc(1, sizeof(*c));
    unsigned pipeline = o->pipeline ? o->pipeline : DEFAULT_PIPELINE;
    struct cl_inflight *inflight = calloc(pipeline, sizeof(*inflight));
    if (!c || !inflight) {
        free(c);
        free(inflight);
        rw_cl_err_set(err, 0, "out of memory");
        RW_BAIL(RW_ERR_NOMEM);
    }
    c->conn.fd = -1;
    c->inflight = inflight;
    c->pipeline = pipeline;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->keepalive_ms = o->keepalive_ms < 0 ? -1 : o->keepalive_ms;
    c->keepalive_ms = c->keepalive_ms ? c->keepalive_ms : DEFAULT_KEEPALIVE_MS;
    rw_cl_proto_init(&c->proto, o->max_frame);
    rw_cl_batch_init(&c->batch, o->batch_records, o->batch_bytes, c->proto.max_frame);
    struct rw_result r = rw_cl_conn_open(&c->conn, o, cl_deadline(c), err);
    if (!rw_ok(r)) {
        client_free(c);
        return r;
    }
    c->last_sent_ms = rw_cl_now_ms();
    *out = c;
    return RW_SUCCESS;
}

void rw_client_close(struct rw_client *c)
{
    if (c) {
        client_free(c);
    }
}

const struct rw_client_error *rw_client_last_error(const struct rw_client *c)
{
    return &c->err;
}

struct rw_result cl_begin(struct rw_client *c)
{
    rw_frame_free(c->lent);
    c->lent = NULL;
    if (c->dead != RW_OK) {
        return (struct rw_result){c->dead}; /* c->err still says why */
    }
    memset(&c->err, 0, sizeof(c->err));
    return RW_SUCCESS;
}

struct rw_result cl_kill(struct rw_client *c, struct rw_result r)
{
    if (!rw_ok(r) && r.err != RW_ERR_BLOCKED) {
        c->dead = r.err;
    }
    return r;
}

struct rw_result cl_local(struct rw_client *c, struct rw_result r, const char *what)
{
    if (!rw_ok(r) && c->err.message[0] == '\0') {
        const char *d = rw_err_detail();
        rw_cl_err_set(&c->err, 0, "%s: %s", what, d && d[0] ? d : rw_err_str(r.err));
    }
    return r;
}

int64_t cl_deadline(const struct rw_client *c) { return rw_cl_now_ms() + c->timeout_ms; }

struct rw_result rw_client_ping(struct rw_client *c)
{
    RW_GUARD(cl_begin(c));
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    uint64_t id;
    RW_GUARD(cl_local(c, rw_cl_proto_send(&c->proto, &f, &id), "ping"));
    Ringward__Frame *reply = NULL;
    RW_GUARD(cl_await(c, id, &reply));
    struct rw_result r = RW_SUCCESS;
    if (reply->body_case == RINGWARD__FRAME__BODY_ERROR) {
        r = rw_cl_err_broker(&c->err, reply->error);
    } else if (reply->body_case != RINGWARD__FRAME__BODY_PONG) {
        rw_cl_err_set(&c->err, 0, "broker answered a ping with something else");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    rw_frame_free(reply);
    return r;
}

struct rw_result rw_client_session_export(struct rw_client *c, struct rw_buf *out)
{
    RW_GUARD(cl_begin(c));
    SSL_SESSION *s = SSL_get1_session(c->conn.ssl);
    if (!s || !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        rw_cl_err_set(&c->err, 0, "no resumable TLS session yet (make a request first)");
        RW_BAIL(RW_ERR_NOT_FOUND);
    }
    int n = i2d_SSL_SESSION(s, NULL);
    struct rw_result r = n > 0 ? rw_buf_reserve(out, (size_t)n) : RW_ERR(RW_ERR_CRYPTO);
    if (rw_ok(r)) {
        unsigned char *p = out->data + out->len;
        out->len += (size_t)i2d_SSL_SESSION(s, &p);
    }
    SSL_SESSION_free(s);
    ERR_clear_error();
    return cl_local(c, r, "cannot export the TLS session");
}

bool rw_client_session_reused(const struct rw_client *c)
{
    return c->conn.ssl && SSL_session_reused(c->conn.ssl) == 1;
}
