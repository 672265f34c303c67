/* broker/brk_loop.c — a worker thread: its ring, its turn loop (one
 * submit_and_wait and one cq_advance per turn) and the dispatch of
 * completions by their {slot, generation, op} tag. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"

static _Thread_local struct brk_worker *tl_self;

uint64_t brk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void brk_worker_wake(struct brk_worker *w)
{
    if (w == tl_self) {
        w->pump_all = true; /* our own thread: no syscall needed */
        return;
    }
    if (!atomic_exchange(&w->wake_pending, true)) {
        uint64_t one = 1;
        ssize_t n = write(w->event_fd, &one, sizeof(one));
        (void)n; /* EAGAIN means the counter is already non-zero: awake anyway */
    }
}

static void begin_stop(struct brk_worker *w)
{
    w->stopping = true;
    if (w->accepting) {
        struct io_uring_sqe *sqe = brk_sqe(w);
        io_uring_prep_cancel64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_ACCEPT), 0);
        io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_IGNORE));
    }
    if (w->admin_accepting) {
        struct io_uring_sqe *sqe = brk_sqe(w);
        io_uring_prep_cancel64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_ADMIN_ACCEPT), 0);
        io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_IGNORE));
    }
    brk_conn_stop_all(w);
}

static void on_accept(struct brk_worker *w, const struct io_uring_cqe *cqe)
{
    if (cqe->res >= 0) {
        brk_conn_accept(w, cqe->res);
    } else if (cqe->res != -ECANCELED) {
        RW_LOG(RW_LOG_WARN, "accept_failed", "worker=%u err=\"%s\"", w->id, strerror(-cqe->res));
    }
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        w->accepting = false;
        if (!w->stopping) {
            brk_arm_accept(w);
        } else if (w->listen_fd >= 0) {
            close(w->listen_fd);
            w->listen_fd = -1;
        }
    }
}

static void on_admin_accept(struct brk_worker *w, const struct io_uring_cqe *cqe)
{
    if (cqe->res >= 0) {
        brk_conn_accept_admin(w, cqe->res);
    } else if (cqe->res != -ECANCELED) {
        RW_LOG(RW_LOG_WARN, "accept_failed", "worker=%u listener=admin err=\"%s\"", w->id,
               strerror(-cqe->res));
    }
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        w->admin_accepting = false;
        if (!w->stopping) {
            brk_arm_admin_accept(w);
        } else if (w->admin_fd >= 0) {
            close(w->admin_fd);
            w->admin_fd = -1;
        }
    }
}

static void on_tick(struct brk_worker *w)
{
    brk_conn_tick(w);
    brk_arm_timer(w);
}

static void on_wake(struct brk_worker *w)
{
    atomic_store(&w->wake_pending, false);
    if (atomic_load(&w->sh->stopping) && !w->stopping) {
        begin_stop(w);
    }
    w->pump_all = true;
    brk_arm_wake(w);
}

static void on_cqe(struct brk_worker *w, const struct io_uring_cqe *cqe)
{
    struct brk_ud u = brk_ud_unpack(io_uring_cqe_get_data64(cqe));
    switch (u.op) {
    case BRK_OP_ACCEPT:
        on_accept(w, cqe);
        return;
    case BRK_OP_ADMIN_ACCEPT:
        on_admin_accept(w, cqe);
        return;
    case BRK_OP_TIMER:
        on_tick(w);
        return;
    case BRK_OP_WAKE:
        on_wake(w);
        return;
    case BRK_OP_IGNORE:
    case BRK_OP_NONE:
    case BRK_OP_MAX:
        return;
    default:
        break;
    }
    struct brk_conn *c = brk_conn_lookup(w, u);
    if (c) {
        brk_conn_on_cqe(w, c, u.op, cqe);
    } else if (u.op == BRK_OP_RECV && cqe->res > 0) {
        /* Stale tag (cannot happen while slots wait for in-flight ops);
         * never leak a lent buffer. */
        brk_buf_recycle(w, cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    }
}

static void run(struct brk_worker *w)
{
    w->now_ms = brk_now_ms();
    brk_worker_refresh(w); /* the TLS context and policy before any accept */
    brk_arm_accept(w);
    if (w->admin_fd >= 0) {
        brk_arm_admin_accept(w);
    }
    brk_arm_timer(w);
    brk_arm_wake(w);
    for (;;) {
        w->now_ms = brk_now_ms();
        unsigned head, count = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&w->ring, head, cqe)
        {
            on_cqe(w, cqe);
            count++;
        }
        io_uring_cq_advance(&w->ring, count);
        brk_worker_refresh(w); /* a new policy sweeps before this turn's flush */
        brk_admin_deliver(w);
        if (w->pump_all) {
            brk_conn_pump_subs(w);
        }
        brk_conn_flush_dirty(w);
        if (w->stopping && w->live == 0 && !w->accepting && !w->admin_accepting) {
            break;
        }
        int ret = io_uring_submit_and_wait(&w->ring, 1);
        if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
            RW_LOG(RW_LOG_ERROR, "ring_failed", "worker=%u err=\"%s\"", w->id, strerror(-ret));
            break;
        }
    }
}

static struct rw_result worker_init(struct brk_worker *w)
{
    brk_list_init(&w->hs_list);
    brk_list_init(&w->idle_list);
    brk_list_init(&w->linger_list);
    brk_list_init(&w->sub_list);
    RW_GUARD(brk_ring_setup(w));
    RW_GUARD(brk_conn_table_init(w, w->sh->cfg->max_connections));
    RW_GUARD(brk_expiry_init(w, w->sh->cfg->max_connections));
    return brk_app_ctx_init(&w->app, w->sh->topics, w->id, w->sh->cfg->max_frame,
                            w->sh->cfg->max_output);
}

static void report(struct brk_worker *w, struct rw_result r)
{
    pthread_mutex_lock(&w->sh->mu);
    w->init_result = r;
    snprintf(w->init_detail, sizeof(w->init_detail), "%s", rw_ok(r) ? "" : rw_err_detail());
    w->sh->reported++;
    pthread_cond_broadcast(&w->sh->cv);
    pthread_mutex_unlock(&w->sh->mu);
}

void *brk_worker_main(void *arg)
{
    struct brk_worker *w = arg;
    tl_self = w;
    struct rw_result r = worker_init(w);
    report(w, r);
    if (rw_ok(r)) {
        run(w);
    }
    brk_conn_table_free(w);
    brk_expiry_cleanup(w);
    brk_app_ctx_cleanup(&w->app);
    brk_tls_ref_put(w->tls);
    w->tls = NULL;
    brk_policy_unref(w->policy);
    w->policy = NULL;
    w->app.acl = NULL;
    rw_sec_acl_unref(w->acl);
    w->acl = NULL;
    brk_ring_teardown(w);
    return NULL;
}
