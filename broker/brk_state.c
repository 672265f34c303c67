/* broker/brk_state.c — the connection state machine as a table of
 * handlers: HANDSHAKE -> ESTABLISHED -> TLS_SHUTDOWN -> DRAINING -> FREE.
 * Every rejected handshake is logged here, once, with its reason. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"

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
    snprintf(c->principal, sizeof(c->principal), "%s", id ? id->principal : "");
    brk_app_auth(&c->app, c->id, c->principal); /* every request is authorized for it */
    char p[RW_PRINCIPAL_MAX];
    RW_LOG(RW_LOG_INFO, "conn_established", "conn=%llu peer=%s principal=%s resumed=%s worker=%u",
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

/* Decrypts and dispatches until the session runs dry or the output cap. */
void brk_state_idle_rearm(struct brk_worker *w, struct brk_conn *c)
{
    if (w->sh->cfg->idle_timeout_ms && c->state == BRK_ESTABLISHED && !c->closing) {
        c->deadline_ms = w->now_ms + w->sh->cfg->idle_timeout_ms;
        brk_list_push_tail(&w->idle_list, &c->tlink);
    }
}

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
        if (!rw_ok(rw_buf_reserve(&c->in, BRK_RECV_BUF_SIZE))) {
            frame_failed(w, c, RW_ERR(RW_ERR_NOMEM));
            return;
        }
        size_t n = 0;
        struct rw_result r = rw_sec_tls_read(c->tls, c->in.data + c->in.len, c->in.cap - c->in.len, &n);
        if (r.err == RW_ERR_BLOCKED) {
            break;
        }
        if (r.err == RW_ERR_CLOSED) {
            RW_LOG(RW_LOG_INFO, "conn_closing", "conn=%llu principal=%s reason=peer_close_notify",
                   ULL(c->id), c->principal);
            brk_conn_why(c, BRK_CLOSE_PEER_CLOSED);
            brk_conn_close_graceful(w, c);
            return;
        }
        if (!rw_ok(r)) {
            frame_failed(w, c, r);
            return;
        }
        c->in.len += n;
        size_t used = 0;
        r = c->admin ? brk_admin_input(w, c, c->in.data, c->in.len, &used)
                     : brk_app_input(&w->app, &c->app, c->in.data, c->in.len, &used, &c->pout,
                                     queued);
        rw_buf_consume(&c->in, used);
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
    RW_LOG(RW_LOG_INFO, "conn_closed", "conn=%llu principal=%s reason=%s", ULL(c->id),
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
