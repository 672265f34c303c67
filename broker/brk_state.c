/* broker/brk_state.c — the connection state machine as a table of
 * handlers: HANDSHAKE -> ESTABLISHED -> TLS_SHUTDOWN -> DRAINING -> FREE.
 * Every rejected handshake is logged here, once, with its reason (warn);
 * a connection's ordinary life (established, closed by its peer) is debug,
 * so a busy broker logs nothing per healthy connection at info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "proto/rw_frame.h"

#define ULL(x) ((unsigned long long)(x))

const char *brk_log_clean(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++) {
        char ch = s[i];
        out[i] = ch == '"' ? '\'' : (ch < 0x20 || ch == 0x7f) ? ' ' : ch;
    }
    out[i] = '\0';
    return out;
}

static void noop(struct brk_worker *w, struct brk_conn *c)
{
    (void)w;
    (void)c;
}

static void reject(struct brk_worker *w, struct brk_conn *c, const char *reason, const char *detail)
{
    char d[512];
    RW_LOG(RW_LOG_WARN, "handshake_rejected", "conn=%llu peer=%s worker=%u reason=%s detail=\"%s\"",
           ULL(c->id), c->peer, w->id, reason, brk_log_clean(detail, d, sizeof(d)));
}

/* --- HANDSHAKE ------------------------------------------------------- */

static void established_input(struct brk_worker *w, struct brk_conn *c);

static void hs_input(struct brk_worker *w, struct brk_conn *c)
{
    struct rw_result r = rw_sec_tls_handshake(c->tls);
    if (r.err == RW_ERR_BLOCKED) {
        return; /* flush sends what the session queued */
    }
    if (!rw_ok(r)) {
        if (rw_err_category(r.err) != RW_CAT_AUTH) {
            brk_stat_add(&w->sh->stats.hs_tls_failed, 1); /* the auth manager counts its own */
        }
        brk_conn_why(c, BRK_CLOSE_HANDSHAKE_REJECTED);
        reject(w, c, rw_err_name(r.err), rw_err_detail());
        brk_conn_close_after_output(w, c); /* the alert, if any, goes out */
        return;
    }
    const struct rw_sec_identity *id = rw_sec_tls_peer(c->tls);
    c->principal = id ? id->principal : ""; /* lives as long as c->tls */
    brk_app_auth(&c->app, c->id, c->principal); /* every request is authorized for it */
    char p[RW_PRINCIPAL_MAX];
    RW_LOG(RW_LOG_DEBUG, "conn_established", "conn=%llu peer=%s principal=%s resumed=%s worker=%u",
           ULL(c->id), c->peer, brk_log_clean(c->principal, p, sizeof(p)),
           rw_sec_tls_resumed(c->tls) ? "true" : "false", w->id);
    brk_conn_set_state(w, c, BRK_ESTABLISHED);
    if (!brk_sweep_established(w, c)) {
        return; /* revoked or expired since its handshake began */
    }
    established_input(w, c); /* application data may have come with Finished */
}

static void hs_eof(struct brk_worker *w, struct brk_conn *c, int err)
{
    brk_conn_why(c, BRK_CLOSE_HANDSHAKE_ABORTED);
    reject(w, c, err ? "IO" : "CLOSED",
           err ? "the connection failed during the handshake" : "the peer closed during the handshake");
    brk_conn_abort(w, c);
}

static void hs_deadline(struct brk_worker *w, struct brk_conn *c)
{
    char d[96];
    snprintf(d, sizeof(d), "no completed handshake within %u ms", w->sh->cfg->handshake_timeout_ms);
    brk_conn_why(c, BRK_CLOSE_HANDSHAKE_TIMEOUT);
    brk_stat_add(&w->sh->stats.hs_timeout, 1);
    reject(w, c, "HANDSHAKE_TIMEOUT", d);
    brk_conn_abort(w, c);
}

/* --- ESTABLISHED ----------------------------------------------------- */

static void frame_failed(struct brk_worker *w, struct brk_conn *c, struct rw_result r)
{
    char d[256];
    RW_LOG(RW_LOG_WARN, "frame_rejected", "conn=%llu principal=%s reason=%s detail=\"%s\"",
           ULL(c->id), c->principal, rw_err_name(r.err),
           brk_log_clean(rw_err_detail(), d, sizeof(d)));
    brk_conn_why(c, rw_err_category(r.err) == RW_CAT_PROTO ? BRK_CLOSE_PROTOCOL_ERROR
                                                            : BRK_CLOSE_OTHER);
    if (rw_err_category(r.err) == RW_CAT_PROTO) {
        brk_conn_close_graceful(w, c); /* the Error frame goes out first */
    } else {
        brk_conn_abort(w, c);
    }
}

void brk_state_idle_rearm(struct brk_worker *w, struct brk_conn *c)
{
    if (w->sh->cfg->idle_timeout_ms && c->state == BRK_ESTABLISHED && !c->closing) {
        c->deadline_ms = w->now_ms + w->sh->cfg->idle_timeout_ms;
        brk_list_push_tail(&w->idle_list, &c->tlink);
    }
}

/* Room for the rest of the frame whose first `have` bytes are at `data`
 * (at least a TLS record's worth), so a large frame is allocated once. */
static size_t frame_room(const struct brk_worker *w, const uint8_t *data, size_t have)
{
    const uint8_t *body = NULL;
    size_t body_len = 0, frame_len = 0, need = 0, room = BRK_RECV_BUF_SIZE;
    struct rw_result r = rw_frame_peek(data, have, w->sh->cfg->max_frame, &body, &body_len,
                                       &frame_len, &need);
    if (r.err == RW_ERR_BLOCKED && need > have && need - have > room) {
        room = need - have;
    }
    return room;
}

/* Frames in data[0..len) go to the connection's handler; *used is how
 * far it got. */
static struct rw_result dispatch(struct brk_worker *w, struct brk_conn *c, const uint8_t *data,
                                 size_t len, size_t *used, size_t queued)
{
    return c->admin ? brk_admin_input(w, c, data, len, used)
                    : brk_app_input(&w->app, &c->app, data, len, used, &c->pout, queued);
}

/* Plaintext decrypted into the worker's scratch: whole frames are handled
 * from there, only a partial one is kept (in c->in, sized for the whole
 * frame), so a connection exchanging small frames holds no input buffer. */
static struct rw_result input_scratch(struct brk_worker *w, struct brk_conn *c, size_t n,
                                      size_t queued)
{
    size_t used = 0;
    struct rw_result r = dispatch(w, c, w->rscratch, n, &used, queued);
    if (rw_ok(r) && used < n) {
        size_t left = n - used, room = frame_room(w, w->rscratch + used, left);
        RW_GUARD(rw_buf_reserve(&c->in, room > left ? room : left));
        RW_GUARD(rw_buf_append(&c->in, w->rscratch + used, left));
    }
    return r;
}

/* Plaintext decrypted after the partial frame in c->in. */
static struct rw_result input_buffered(struct brk_worker *w, struct brk_conn *c, size_t n,
                                       size_t queued)
{
    c->in.len += n;
    size_t used = 0;
    struct rw_result r = dispatch(w, c, c->in.data, c->in.len, &used, queued);
    rw_buf_consume(&c->in, used);
    return r;
}

/* Where the next plaintext goes: the scratch when no partial frame waits
 * (data connections only: admin frames may carry secrets and stay in the
 * connection's buffer), else the rest of c->in. NULL when out of memory. */
static uint8_t *read_target(struct brk_worker *w, struct brk_conn *c, size_t *cap, bool *scratch)
{
    *scratch = c->in.len == 0 && !c->admin;
    if (*scratch && !w->rscratch) {
        w->rscratch = malloc(BRK_RECV_BUF_SIZE);
    }
    if (*scratch && w->rscratch) {
        *cap = BRK_RECV_BUF_SIZE;
        return w->rscratch;
    }
    *scratch = false;
    size_t room = frame_room(w, c->in.data, c->in.len), left = c->in.max - c->in.len;
    if (!rw_ok(rw_buf_reserve(&c->in, room < left ? room : left))) {
        return NULL;
    }
    *cap = c->in.cap - c->in.len;
    return c->in.data + c->in.len;
}

static void peer_closed(struct brk_worker *w, struct brk_conn *c)
{
    RW_LOG(RW_LOG_DEBUG, "conn_closing", "conn=%llu principal=%s reason=peer_close_notify",
           ULL(c->id), c->principal);
    brk_conn_why(c, BRK_CLOSE_PEER_CLOSED);
    brk_conn_close_graceful(w, c);
}

/* Decrypts and dispatches until the session runs dry or the output cap. */
static void established_input(struct brk_worker *w, struct brk_conn *c)
{
    brk_state_idle_rearm(w, c);
    while (c->state == BRK_ESTABLISHED && !c->closing) {
        size_t queued = brk_conn_out_bytes(c) - c->pout.len;
        if (queued + c->pout.len >= w->app.max_output) {
            c->read_paused = true;
            break;
        }
        c->read_paused = false;
        brk_conn_recv_resume(w, c);
        size_t cap = 0, n = 0, held = c->in.len;
        if (held > 0) { /* whole frames the output cap left waiting go first */
            struct rw_result r = input_buffered(w, c, 0, queued);
            if (!rw_ok(r)) {
                frame_failed(w, c, r);
                return;
            }
            if (c->in.len != held) {
                continue;
            }
        }
        bool scratch = false;
        uint8_t *dst = read_target(w, c, &cap, &scratch);
        if (!dst) {
            frame_failed(w, c, RW_ERR(RW_ERR_NOMEM));
            return;
        }
        struct rw_result r = rw_sec_tls_read(c->tls, dst, cap, &n);
        if (r.err == RW_ERR_BLOCKED) {
            break;
        }
        if (r.err == RW_ERR_CLOSED) {
            peer_closed(w, c);
            return;
        }
        if (rw_ok(r)) {
            r = scratch ? input_scratch(w, c, n, queued) : input_buffered(w, c, n, queued);
        }
        if (!rw_ok(r)) {
            frame_failed(w, c, r);
            return;
        }
    }
    if (c->app.n_subs && !c->slink.next) {
        brk_list_push_tail(&w->sub_list, &c->slink);
    }
    brk_state_pump(w, c);
    brk_conn_mark_dirty(w, c);
}

void brk_state_pump(struct brk_worker *w, struct brk_conn *c)
{
    if (c->state != BRK_ESTABLISHED || c->closing || !c->app.n_subs) {
        return;
    }
    size_t before = c->pout.len;
    bool more = false;
    size_t queued = brk_conn_out_bytes(c) - c->pout.len;
    struct rw_result r = brk_app_pump(&w->app, &c->app, &c->pout, queued, &more);
    if (!rw_ok(r)) {
        frame_failed(w, c, r);
        return;
    }
    if (c->pout.len != before) {
        brk_conn_mark_dirty(w, c);
    }
}

static void est_eof(struct brk_worker *w, struct brk_conn *c, int err)
{
    RW_LOG(RW_LOG_DEBUG, "conn_closed", "conn=%llu principal=%s reason=%s", ULL(c->id),
           c->principal, err ? "reset" : "peer_closed");
    brk_conn_why(c, err ? BRK_CLOSE_RESET : BRK_CLOSE_PEER_CLOSED);
    brk_conn_abort(w, c);
}

static void est_drained(struct brk_worker *w, struct brk_conn *c)
{
    if (c->read_paused) {
        established_input(w, c);
    } else {
        brk_state_pump(w, c);
    }
}

static void est_deadline(struct brk_worker *w, struct brk_conn *c)
{
    if (c->app.n_subs > 0) {
        /* A consumer waiting on a quiet topic is not idle. */
        brk_state_idle_rearm(w, c);
        return;
    }
    RW_LOG(RW_LOG_INFO, "conn_closing", "conn=%llu principal=%s reason=idle_timeout", ULL(c->id),
           c->principal);
    brk_conn_why(c, BRK_CLOSE_IDLE_TIMEOUT);
    brk_conn_close_graceful(w, c);
}

/* --- TLS_SHUTDOWN / DRAINING ----------------------------------------- */

static void closing_eof(struct brk_worker *w, struct brk_conn *c, int err)
{
    (void)err;
    brk_conn_abort(w, c);
}

/* The peer half-closed while our last output (an Error frame, an alert)
 * is still going out: keep sending until drained or the linger ends. */
static void shutdown_eof(struct brk_worker *w, struct brk_conn *c, int err)
{
    if (err) {
        brk_conn_abort(w, c);
    }
}

/* Everything sent: half-close so the peer reads it all before our close. */
static void shutdown_drained(struct brk_worker *w, struct brk_conn *c)
{
    if (c->peer_eof) {
        brk_conn_abort(w, c); /* nothing left to wait for */
        return;
    }
    brk_conn_set_state(w, c, BRK_DRAINING);
    if (!c->fin_sent) {
        c->fin_sent = true;
        (void)shutdown(c->fd, SHUT_WR);
    }
}

static void closing_deadline(struct brk_worker *w, struct brk_conn *c)
{
    brk_conn_abort(w, c);
}

const struct brk_state_ops brk_states[BRK_STATE_COUNT] = {
    [BRK_FREE] = {"free", noop, NULL, NULL, noop},
    [BRK_ACCEPTED] = {"accepted", noop, closing_eof, NULL, closing_deadline},
    [BRK_HANDSHAKE] = {"handshake", hs_input, hs_eof, NULL, hs_deadline},
    [BRK_ESTABLISHED] = {"established", established_input, est_eof, est_drained, est_deadline},
    [BRK_TLS_SHUTDOWN] = {"tls_shutdown", noop, shutdown_eof, shutdown_drained, closing_deadline},
    [BRK_DRAINING] = {"draining", noop, closing_eof, NULL, closing_deadline},
};
