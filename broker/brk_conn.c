/* broker/brk_conn.c — the connection table and a connection's I/O: accept,
 * recv into the TLS session, batched sends, and closing (cancel + close;
 * a slot is freed only when nothing is in flight). The per-state logic is
 * in brk_state.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "proto/rw_frame.h"

#define NO_SLOT UINT32_MAX

struct rw_result brk_conn_table_init(struct brk_worker *w, uint32_t n)
{
    w->conns = calloc(n, sizeof(*w->conns));
    RW_ENSURE_MSG(w->conns, RW_ERR_NOMEM, "cannot allocate %u connection slots", n);
    w->n_slots = n;
    brk_list_init(&w->quiet_list);
    for (uint32_t i = 0; i < n; i++) {
        w->conns[i].slot = i;
        w->conns[i].fd = -1;
        w->conns[i].exp_idx = BRK_EXP_NONE;
        w->conns[i].free_next = i + 1 < n ? i + 1 : NO_SLOT;
    }
    w->free_head = n ? 0 : NO_SLOT;
    return RW_SUCCESS;
}

/* Plaintext buffers of admin connections may hold keys and tokens. */
static void plain_free(const struct brk_conn *c, struct rw_buf *b)
{
    if (c->admin) {
        rw_buf_wipe_cleanup(b);
    } else {
        rw_buf_cleanup(b);
    }
}

/* Frees what a live slot owns (final teardown and normal release). */
static void conn_resources_free(struct brk_worker *w, struct brk_conn *c)
{
    brk_app_cleanup(&w->app, &c->app); /* it borrows the principal */
    c->principal = "";
    rw_sec_tls_free(c->tls); /* before its context's reference goes */
    c->tls = NULL;
    brk_tls_ref_put(c->tls_ref);
    c->tls_ref = NULL;
    brk_expiry_del(w, c);
    plain_free(c, &c->in);
    plain_free(c, &c->pout);
    rw_buf_cleanup(&c->cout);
    brk_list_del(&c->tlink);
    brk_list_del(&c->slink);
    brk_list_del(&c->qlink);
}

void brk_conn_trim(struct brk_conn *c)
{
    if (c->in.len == 0) {
        plain_free(c, &c->in);
    }
    if (c->pout.len == 0) {
        plain_free(c, &c->pout);
    }
    if (!c->send_inflight && c->sent == c->cout.len) {
        rw_buf_cleanup(&c->cout);
        c->sent = 0;
    }
    rw_sec_tls_trim(c->tls);
}

void brk_conn_table_free(struct brk_worker *w)
{
    for (uint32_t i = 0; w->conns && i < w->n_slots; i++) {
        struct brk_conn *c = &w->conns[i];
        if (c->state != BRK_FREE) {
            conn_resources_free(w, c);
            if (c->fd >= 0) {
                close(c->fd);
            }
        }
    }
    free(w->conns);
    w->conns = NULL;
    free(w->rscratch);
    w->rscratch = NULL;
}

struct brk_conn *brk_conn_lookup(struct brk_worker *w, struct brk_ud u)
{
    if (u.slot >= w->n_slots) {
        return NULL;
    }
    struct brk_conn *c = &w->conns[u.slot];
    return c->state != BRK_FREE && c->gen == u.gen ? c : NULL;
}

void brk_conn_release(struct brk_worker *w, struct brk_conn *c)
{
    RW_LOG(RW_LOG_DEBUG, "conn_freed", "conn=%llu reason=%s", (unsigned long long)c->id,
           brk_close_reason_name(c->close_reason));
    brk_stat_add(&w->sh->stats.closed[c->close_reason], 1);
    conn_resources_free(w, c);
    c->state = BRK_FREE;
    c->gen = brk_ud_next_gen(c->gen);
    c->fd = -1;
    c->free_next = w->free_head;
    w->free_head = c->slot;
    w->live--;
    atomic_fetch_sub(&w->sh->conns, 1);
}

void brk_conn_mark_dirty(struct brk_worker *w, struct brk_conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->dirty_next = w->dirty_head;
        w->dirty_head = c;
    }
}

size_t brk_conn_out_bytes(const struct brk_conn *c)
{
    size_t tls = c->tls ? rw_sec_tls_out_pending(c->tls) : 0;
    return c->pout.len + (c->cout.len - c->sent) + tls;
}

void brk_conn_set_state(struct brk_worker *w, struct brk_conn *c, enum brk_state s)
{
    const struct brk_config *cfg = w->sh->cfg;
    c->state = s;
    brk_list_del(&c->tlink);
    if (s == BRK_HANDSHAKE) {
        c->deadline_ms = w->now_ms + cfg->handshake_timeout_ms;
        brk_list_push_tail(&w->hs_list, &c->tlink);
    } else if (s == BRK_ESTABLISHED && cfg->idle_timeout_ms) {
        c->deadline_ms = w->now_ms + cfg->idle_timeout_ms;
        brk_list_push_tail(&w->idle_list, &c->tlink);
    } else if (s == BRK_TLS_SHUTDOWN || s == BRK_DRAINING) {
        c->deadline_ms = w->now_ms + BRK_LINGER_MS;
        brk_list_push_tail(&w->linger_list, &c->tlink);
    }
    brk_conn_mark_dirty(w, c);
}

static void arm_recv(struct brk_worker *w, struct brk_conn *c)
{
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_RECV));
    c->recv_armed = true;
    c->inflight++;
}

static void close_fd_async(struct brk_worker *w, int fd)
{
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_close(sqe, fd);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_IGNORE));
}

static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(out, cap, "%s:%u", host, port);
}

/* Takes a free slot and counts the connection; NULL when over a limit. */
static struct brk_conn *slot_take(struct brk_worker *w)
{
    unsigned max = w->sh->cfg->max_connections;
    if (w->free_head == NO_SLOT || atomic_fetch_add(&w->sh->conns, 1) >= max) {
        if (w->free_head != NO_SLOT) {
            atomic_fetch_sub(&w->sh->conns, 1);
        }
        return NULL;
    }
    struct brk_conn *c = &w->conns[w->free_head];
    w->free_head = c->free_next;
    w->live++;
    return c;
}

static void conn_init(struct brk_worker *w, struct brk_conn *c, int fd)
{
    size_t out_max = brk_app_out_max(&w->app);
    c->fd = fd;
    c->id = atomic_fetch_add(&w->sh->next_conn_id, 1) + 1;
    c->principal = "";
    c->sent = 0;
    c->inflight = 0;
    c->recv_armed = c->send_inflight = c->closing = c->abort_output = false;
    c->read_paused = c->recv_held = c->fin_sent = c->peer_eof = false;
    c->close_reason = BRK_CLOSE_OTHER;
    c->exp_idx = BRK_EXP_NONE;
    c->admin = false;
    rw_buf_init(&c->in, w->sh->cfg->max_frame + RW_FRAME_HEADER + BRK_RECV_BUF_SIZE);
    rw_buf_init(&c->pout, out_max);
    rw_buf_init(&c->cout, 2 * out_max + 65536);
    brk_app_init(&c->app);
    peer_name(fd, c->peer, sizeof(c->peer));
}

static void accept_with(struct brk_worker *w, int fd, struct brk_tls_ref *ref, bool admin)
{
    struct brk_conn *c = w->stopping ? NULL : slot_take(w);
    if (!c) {
        RW_LOG(RW_LOG_WARN, "conn_refused", "worker=%u reason=%s", w->id,
               w->stopping ? "stopping" : "max_connections");
        brk_stat_add(&w->sh->stats.refused, 1);
        close_fd_async(w, fd);
        return;
    }
    brk_stat_add(&w->sh->stats.accepted, 1);
    conn_init(w, c, fd);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->admin = admin;
    c->tls_ref = brk_tls_ref_get(ref);
    struct rw_result r = rw_sec_tls_new(ref->ctx, &c->tls);
    c->state = BRK_ACCEPTED;
    RW_LOG(RW_LOG_DEBUG, "conn_accepted", "conn=%llu peer=%s worker=%u admin=%s",
           (unsigned long long)c->id, c->peer, w->id, admin ? "true" : "false");
    if (!rw_ok(r)) {
        char d[256];
        RW_LOG(RW_LOG_ERROR, "conn_failed", "conn=%llu peer=%s reason=%s detail=\"%s\"",
               (unsigned long long)c->id, c->peer, rw_err_name(r.err),
               brk_log_clean(rw_err_detail(), d, sizeof(d)));
        brk_conn_abort(w, c);
        return;
    }
    brk_conn_set_state(w, c, BRK_HANDSHAKE);
    arm_recv(w, c);
}

void brk_conn_accept(struct brk_worker *w, int fd)
{
    accept_with(w, fd, w->tls, false);
}

void brk_conn_accept_admin(struct brk_worker *w, int fd)
{
    struct brk_tls_ref *ref = brk_tls_current_admin(w->sh); /* rare: a lock is fine */
    accept_with(w, fd, ref, true);
    brk_tls_ref_put(ref);
}

/* Cancel everything on the fd, then close it (hard-linked, so the close
 * runs whatever the cancel found). */
static void start_close(struct brk_worker *w, struct brk_conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    brk_list_del(&c->tlink);
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
    sqe->flags |= IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_CANCEL));
    sqe = brk_sqe(w);
    io_uring_prep_close(sqe, c->fd);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_CLOSE));
    c->inflight += 2;
    brk_conn_mark_dirty(w, c);
}

void brk_conn_abort(struct brk_worker *w, struct brk_conn *c)
{
    c->abort_output = true;
    if (c->state != BRK_DRAINING) {
        brk_conn_set_state(w, c, BRK_DRAINING);
    }
    start_close(w, c);
}

void brk_conn_close_after_output(struct brk_worker *w, struct brk_conn *c)
{
    if (c->state < BRK_TLS_SHUTDOWN) {
        brk_conn_set_state(w, c, BRK_TLS_SHUTDOWN);
    }
}

void brk_conn_close_graceful(struct brk_worker *w, struct brk_conn *c)
{
    if (c->state == BRK_ESTABLISHED) {
        /* Frames already produced (an Error) go before close_notify. */
        struct rw_result r = c->pout.len ? rw_sec_tls_write(c->tls, c->pout.data, c->pout.len)
                                         : RW_SUCCESS;
        c->pout.len = 0;
        if (!rw_ok(r) || !rw_ok(rw_sec_tls_shutdown(c->tls))) {
            brk_conn_abort(w, c);
            return;
        }
    }
    brk_conn_close_after_output(w, c);
}
