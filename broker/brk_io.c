/* broker/brk_io.c — completions of a connection's operations, the output
 * path (plaintext -> TLS -> one send in flight), deadlines and shutdown. */
#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"

static void arm_recv_again(struct brk_worker *w, struct brk_conn *c)
{
    if (c->closing || c->recv_armed || c->recv_held || c->fd < 0) {
        return;
    }
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_RECV));
    c->recv_armed = true;
    c->inflight++;
}

/* Output full and input piling up: cancel the multishot recv until
 * brk_conn_recv_resume (the socket buffers fill and TCP holds the client). */
static void hold_recv(struct brk_worker *w, struct brk_conn *c)
{
    if (!c->read_paused || !c->recv_armed || c->recv_held || c->closing ||
        rw_sec_tls_in_pending(c->tls) < BRK_IN_HOLD_BYTES) {
        return;
    }
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_cancel64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_RECV), 0);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_CANCEL));
    c->inflight++;
    c->recv_held = true;
}

void brk_conn_recv_resume(struct brk_worker *w, struct brk_conn *c)
{
    if (c->recv_held) {
        c->recv_held = false;
        arm_recv_again(w, c); /* a no-op until the cancelled recv has ended */
    }
}

static void on_recv(struct brk_worker *w, struct brk_conn *c, const struct io_uring_cqe *cqe)
{
    bool more = cqe->flags & IORING_CQE_F_MORE;
    if (!more) {
        c->recv_armed = false;
        c->inflight--;
    }
    int res = cqe->res;
    if (res > 0) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        struct rw_result r = RW_SUCCESS;
        bool take = !c->closing && c->state != BRK_DRAINING;
        if (take) {
            /* Lent buffer: copy into the session, recycle before anything else. */
            r = rw_sec_tls_feed(c->tls, w->bufs + (size_t)bid * BRK_RECV_BUF_SIZE, (size_t)res);
        }
        brk_buf_recycle(w, bid);
        if (!rw_ok(r)) {
            brk_conn_abort(w, c);
            return;
        }
        if (take) {
            brk_states[c->state].on_input(w, c);
        }
        if (!more) {
            arm_recv_again(w, c);
        } else {
            hold_recv(w, c);
        }
    } else if (res == -ENOBUFS || res == -ECANCELED) {
        if (!more) {
            arm_recv_again(w, c); /* after a hold resumed early; never while closing */
        }
    } else if (!c->closing) {
        c->peer_eof = c->peer_eof || res == 0;
        brk_states[c->state].on_eof(w, c, res);
    }
}

static void on_send(struct brk_worker *w, struct brk_conn *c, int res)
{
    c->send_inflight = false;
    c->inflight--;
    if (res < 0) {
        if (!c->closing) {
            RW_LOG(RW_LOG_DEBUG, "send_failed", "conn=%llu principal=%s err=%s",
                   (unsigned long long)c->id, c->principal, strerror(-res));
            brk_conn_why(c, BRK_CLOSE_RESET);
            brk_conn_abort(w, c);
        }
        return;
    }
    c->sent += (size_t)res;
    if (c->sent == c->cout.len) {
        c->cout.len = c->sent = 0;
    }
}

void brk_conn_on_cqe(struct brk_worker *w, struct brk_conn *c, enum brk_op op,
                     const struct io_uring_cqe *cqe)
{
    switch (op) {
    case BRK_OP_RECV:
        on_recv(w, c, cqe);
        break;
    case BRK_OP_SEND:
        on_send(w, c, cqe->res);
        break;
    case BRK_OP_CLOSE:
        c->fd = -1;
        c->inflight--;
        break;
    case BRK_OP_CANCEL:
        c->inflight--;
        break;
    default:
        break;
    }
    brk_conn_mark_dirty(w, c);
}

/* Starts the one send: what is left of cout, else the session's whole
 * pending ciphertext, taken without a copy (cout's storage goes back to
 * the session for its next output). */
static void start_send(struct brk_worker *w, struct brk_conn *c)
{
    if (c->send_inflight || c->closing || c->abort_output) {
        return;
    }
    if (c->sent == c->cout.len) {
        c->cout.len = c->sent = 0;
        if (rw_sec_tls_out_pending(c->tls) > 0 && !rw_ok(rw_sec_tls_out_swap(c->tls, &c->cout))) {
            return; /* cannot happen: cout is empty */
        }
    }
    if (c->cout.len > c->sent) {
        struct io_uring_sqe *sqe = brk_sqe(w);
        io_uring_prep_send(sqe, c->fd, c->cout.data + c->sent, c->cout.len - c->sent, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, brk_ud_pack(c->slot, c->gen, BRK_OP_SEND));
        c->send_inflight = true;
        c->inflight++;
    }
}

static void flush(struct brk_worker *w, struct brk_conn *c)
{
    if (c->closing || c->abort_output || !c->tls) {
        return;
    }
    if (c->pout.len) {
        struct rw_result r = rw_sec_tls_write(c->tls, c->pout.data, c->pout.len);
        c->pout.len = 0;
        if (!rw_ok(r)) {
            brk_conn_abort(w, c);
            return;
        }
    }
    start_send(w, c);
    if (!c->send_inflight && brk_conn_out_bytes(c) == 0 && brk_states[c->state].on_drained) {
        brk_states[c->state].on_drained(w, c);
    }
}

/* End of a turn: encrypt and send what each touched connection produced,
 * advance closing connections, free those with nothing in flight. */
void brk_conn_flush_dirty(struct brk_worker *w)
{
    while (w->dirty_head) {
        struct brk_conn *c = w->dirty_head;
        w->dirty_head = c->dirty_next;
        c->dirty = false;
        c->dirty_next = NULL;
        if (c->state == BRK_FREE) {
            continue;
        }
        flush(w, c);
        if (c->dirty) {
            continue; /* a handler re-queued it: handled in this same loop */
        }
        if (!c->closing) {
            c->active_ms = w->active_ms = w->now_ms; /* buffers stay while busy */
            brk_list_push_tail(&w->quiet_list, &c->qlink);
        }
        if (c->closing && c->inflight == 0) {
            brk_conn_release(w, c);
        }
    }
}

static void scan(struct brk_worker *w, struct brk_link *list)
{
    while (!brk_list_empty(list)) {
        struct brk_conn *c = BRK_CONTAINER(list->next, struct brk_conn, tlink);
        if (c->deadline_ms > w->now_ms) {
            break;
        }
        brk_list_del(&c->tlink);
        brk_states[c->state].on_deadline(w, c);
        brk_conn_mark_dirty(w, c);
    }
}

/* Connections quiet for BRK_QUIET_MS give their buffers back; the next
 * activity puts them on the list again. Once the whole worker is quiet,
 * the free pages those buffers leave inside the heap go back to the
 * system too (glibc keeps them otherwise): idle connections cost only
 * what they hold. */
static void trim_quiet(struct brk_worker *w)
{
    while (!brk_list_empty(&w->quiet_list)) {
        struct brk_conn *c = BRK_CONTAINER(w->quiet_list.next, struct brk_conn, qlink);
        if (c->active_ms + BRK_QUIET_MS > w->now_ms) {
            return;
        }
        brk_list_del(&c->qlink);
        brk_conn_trim(c);
        w->trimmed++;
    }
#ifdef __GLIBC__
    /* malloc_trim walks every arena: only when this worker is quiet, and
     * at most once per BRK_HEAP_TRIM_MS. */
    if (w->trimmed && w->active_ms + BRK_QUIET_MS <= w->now_ms &&
        w->heap_trim_ms + BRK_HEAP_TRIM_MS <= w->now_ms) {
        w->trimmed = 0;
        w->heap_trim_ms = w->now_ms;
        malloc_trim(0);
    }
#endif
}

void brk_conn_tick(struct brk_worker *w)
{
    brk_expiry_tick(w);
    trim_quiet(w);
    scan(w, &w->hs_list);
    scan(w, &w->idle_list);
    scan(w, &w->linger_list);
}

void brk_conn_pump_subs(struct brk_worker *w)
{
    w->pump_all = false;
    for (struct brk_link *l = w->sub_list.next; l != &w->sub_list; l = l->next) {
        brk_state_pump(w, BRK_CONTAINER(l, struct brk_conn, slink));
    }
}

/* Shutdown: handshakes are dropped, established connections get
 * close_notify; the loop ends once every slot is free. */
void brk_conn_stop_all(struct brk_worker *w)
{
    for (uint32_t i = 0; i < w->n_slots; i++) {
        struct brk_conn *c = &w->conns[i];
        if (c->state == BRK_HANDSHAKE || c->state == BRK_ACCEPTED) {
            brk_conn_why(c, BRK_CLOSE_SHUTDOWN);
            brk_conn_abort(w, c);
        } else if (c->state == BRK_ESTABLISHED) {
            RW_LOG(RW_LOG_DEBUG, "conn_closing", "conn=%llu principal=%s reason=shutdown",
                   (unsigned long long)c->id, c->principal);
            brk_conn_why(c, BRK_CLOSE_SHUTDOWN);
            brk_conn_close_graceful(w, c);
        }
    }
}
