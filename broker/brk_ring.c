/* broker/brk_ring.c — one io_uring per worker: setup with feature probing,
 * the provided-buffer ring, and the worker-level operations (accept,
 * timer, wakeup read). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "broker/brk_worker.h"

#define SQ_ENTRIES 4096
#define CQ_ENTRIES 16384

static int try_init(struct brk_worker *w, unsigned flags)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = flags | IORING_SETUP_CQSIZE;
    p.cq_entries = CQ_ENTRIES;
    return io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &p);
}

/* Multishot accept (5.19) and multishot recv (6.0) have no probe bit of
 * their own; IORING_OP_SEND_ZC arrived in the same release as multishot
 * recv, so its presence stands for both. */
static struct rw_result probe(struct brk_worker *w)
{
    struct io_uring_probe *pr = io_uring_get_probe_ring(&w->ring);
    RW_ENSURE_MSG(pr, RW_ERR_INTERNAL, "io_uring: cannot probe supported operations");
    static const struct { int op; const char *name; } need[] = {
        {IORING_OP_ACCEPT, "ACCEPT"}, {IORING_OP_RECV, "RECV"}, {IORING_OP_SEND, "SEND"},
        {IORING_OP_CLOSE, "CLOSE"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
        {IORING_OP_TIMEOUT, "TIMEOUT"}, {IORING_OP_READ, "READ"}, {IORING_OP_SHUTDOWN, "SHUTDOWN"},
        {IORING_OP_SEND_ZC, "SEND_ZC (kernel >= 6.0: multishot recv)"},
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!io_uring_opcode_supported(pr, need[i].op)) {
            io_uring_free_probe(pr);
            RW_BAIL_MSG(RW_ERR_INTERNAL, "io_uring: kernel lacks IORING_OP_%s", need[i].name);
        }
    }
    io_uring_free_probe(pr);
    return RW_SUCCESS;
}

static struct rw_result setup_buf_ring(struct brk_worker *w)
{
    size_t ring_size = BRK_RECV_BUFS * sizeof(struct io_uring_buf);
    void *mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    RW_ENSURE_MSG(mem != MAP_FAILED, RW_ERR_NOMEM, "mmap of the buffer ring failed");
    w->br = mem;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uintptr_t)mem;
    reg.ring_entries = BRK_RECV_BUFS;
    reg.bgid = 0;
    int ret = io_uring_register_buf_ring(&w->ring, &reg, 0);
    RW_ENSURE_MSG(ret == 0, RW_ERR_INTERNAL,
                  "io_uring: provided buffer rings unsupported (%s)", strerror(-ret));
    w->bufs = mmap(NULL, (size_t)BRK_RECV_BUFS * BRK_RECV_BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (w->bufs == MAP_FAILED) {
        w->bufs = NULL;
        RW_BAIL_MSG(RW_ERR_NOMEM, "mmap of the receive buffers failed");
    }
    io_uring_buf_ring_init(w->br);
    int mask = io_uring_buf_ring_mask(BRK_RECV_BUFS);
    for (unsigned i = 0; i < BRK_RECV_BUFS; i++) {
        io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * BRK_RECV_BUF_SIZE, BRK_RECV_BUF_SIZE,
                              (unsigned short)i, mask, (int)i);
    }
    io_uring_buf_ring_advance(w->br, BRK_RECV_BUFS);
    return RW_SUCCESS;
}

struct rw_result brk_ring_setup(struct brk_worker *w)
{
    int ret = try_init(w, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (ret == -EINVAL) {
        ret = try_init(w, IORING_SETUP_COOP_TASKRUN);
    }
    if (ret == -EINVAL) {
        ret = try_init(w, 0);
    }
    RW_ENSURE_MSG(ret == 0, RW_ERR_INTERNAL, "io_uring_queue_init: %s", strerror(-ret));
    w->ring_ok = true;
    RW_GUARD(probe(w));
    return setup_buf_ring(w);
}

void brk_ring_teardown(struct brk_worker *w)
{
    if (w->ring_ok) {
        if (w->br) {
            io_uring_unregister_buf_ring(&w->ring, 0);
        }
        io_uring_queue_exit(&w->ring);
        w->ring_ok = false;
    }
    if (w->br) {
        munmap(w->br, BRK_RECV_BUFS * sizeof(struct io_uring_buf));
        w->br = NULL;
    }
    if (w->bufs) {
        munmap(w->bufs, (size_t)BRK_RECV_BUFS * BRK_RECV_BUF_SIZE);
        w->bufs = NULL;
    }
}

/* An SQE; when the queue is full the batch is submitted early (rare: the
 * queue holds 4096). */
struct io_uring_sqe *brk_sqe(struct brk_worker *w)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    while (!sqe) {
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
    }
    return sqe;
}

/* The one place buffers go back to the kernel. */
void brk_buf_recycle(struct brk_worker *w, unsigned bid)
{
    io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * BRK_RECV_BUF_SIZE, BRK_RECV_BUF_SIZE,
                          (unsigned short)bid, io_uring_buf_ring_mask(BRK_RECV_BUFS), 0);
    io_uring_buf_ring_advance(w->br, 1);
}

void brk_arm_accept(struct brk_worker *w)
{
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_multishot_accept(sqe, w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_ACCEPT));
    w->accepting = true;
}

void brk_arm_admin_accept(struct brk_worker *w)
{
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_multishot_accept(sqe, w->admin_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_ADMIN_ACCEPT));
    w->admin_accepting = true;
}

void brk_arm_timer(struct brk_worker *w)
{
    w->tick.tv_sec = 0;
    w->tick.tv_nsec = BRK_TICK_MS * 1000000L;
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_timeout(sqe, &w->tick, 0, 0);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_TIMER));
}

void brk_arm_wake(struct brk_worker *w)
{
    struct io_uring_sqe *sqe = brk_sqe(w);
    io_uring_prep_read(sqe, w->event_fd, &w->event_val, sizeof(w->event_val), 0);
    io_uring_sqe_set_data64(sqe, brk_ud_pack(BRK_UD_WORKER_SLOT, 0, BRK_OP_WAKE));
}
