/* broker/brk_worker.h — internals shared by the loop files: the worker (one
 * thread, one ring), its connection table and the connection state machine.
 *
 * Ownership: the daemon owns the workers array and everything in
 * brk_shared; a worker owns its ring, listener fd, eventfd, buffer ring,
 * connection table and each connection's TLS session and buffers. Only
 * the worker's own thread touches its ring and connections; other threads
 * only call brk_worker_wake().
 */
#ifndef RW_BRK_WORKER_H
#define RW_BRK_WORKER_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/brk_admin.h"
#include "broker/brk_app.h"
#include "broker/brk_config.h"
#include "broker/brk_enforce.h"
#include "broker/brk_stats.h"
#include "broker/brk_ud.h"
#include "security/sec_acl.h"
#include "security/sec_auth.h"
#include "security/sec_tls.h"

#define BRK_RECV_BUFS 256        /* provided buffers per worker (power of 2) */
#define BRK_RECV_BUF_SIZE 16384
#define BRK_TICK_MS 100
#define BRK_LINGER_MS 2000       /* how long a closing connection may take */
#define BRK_QUIET_MS 100         /* no activity this long: a connection's buffers are freed */
/* A connection whose output is full stops reading once this much ciphertext
 * waits unread: TCP then pushes back on the client instead of our memory. */
#define BRK_IN_HOLD_BYTES (256u << 10)
#define BRK_HEAP_TRIM_MS 1000    /* at most one malloc_trim per worker this often */

struct brk_worker;

/* The server TLS context shared by every worker (OpenSSL's SSL_CTX is
 * thread-safe for SSL_new and its session cache, so a session resumes on
 * any worker). Reference-counted: the daemon holds the current one, each
 * worker the one it hands out, each connection the one it was made with;
 * a SIGHUP replaces the current one and the old context is freed with its
 * last session. */
struct brk_tls_ref {
    struct rw_sec_tls_ctx *ctx;      /* owned */
    _Atomic unsigned refs;
};

/* State shared by all workers; owned by the daemon. */
struct brk_shared {
    const struct brk_config *cfg;
    struct brk_topics *topics;
    struct rw_sec_auth *auth;
    struct brk_worker *workers;
    unsigned n_workers;
    _Atomic unsigned conns;          /* open connections, all workers */
    _Atomic uint64_t next_conn_id;   /* for logs */
    _Atomic bool stopping;
    pthread_mutex_t mu;              /* startup reports */
    pthread_cond_t cv;
    unsigned reported;
    struct brk_stats stats;
    /* Published by other threads, picked up by workers at a loop turn. */
    pthread_mutex_t pub_mu;          /* guards `policy` and `tls` */
    struct brk_policy *policy;       /* one reference; NULL before the first */
    _Atomic uint64_t policy_gen;
    struct brk_tls_ref *tls;         /* one reference */
    _Atomic uint64_t tls_gen;
    struct rw_sec_acl *acl;          /* one reference; guarded by pub_mu */
    _Atomic uint64_t acl_gen;
    /* The admin listener's context (client certificate optional); one
     * reference, guarded by pub_mu (SIGHUP replaces it with the server
     * context; brk_tls_publish_admin). NULL: off. */
    struct brk_tls_ref *admin_tls;
};

enum brk_state {
    BRK_FREE = 0,
    BRK_ACCEPTED,     /* slot taken, session being set up */
    BRK_HANDSHAKE,    /* TLS handshake; on the handshake deadline list */
    BRK_ESTABLISHED,  /* frames flow; on the idle list */
    BRK_TLS_SHUTDOWN, /* close_notify queued, output flushing */
    BRK_DRAINING,     /* FIN sent; discarding input until EOF or linger end */
    BRK_STATE_COUNT
};

/* Intrusive doubly linked list node / head. */
struct brk_link {
    struct brk_link *prev, *next;
};

struct brk_conn {
    uint32_t slot;
    uint32_t gen;
    enum brk_state state;
    int fd;
    uint64_t id;                 /* connection number in logs */
    char peer[64];               /* "ip:port" */
    const char *principal;       /* borrowed: the session's identity once established, else "" */
    struct rw_sec_tls *tls;      /* owned */
    struct rw_buf in;            /* owned: decrypted bytes not yet a whole frame */
    struct rw_buf pout;          /* owned: plaintext frames to encrypt */
    struct rw_buf cout;          /* owned: ciphertext; [sent, len) still to send */
    size_t sent;
    unsigned inflight;           /* SQEs submitted and not yet finished */
    bool recv_armed;             /* multishot recv active */
    bool send_inflight;
    bool closing;                /* cancel+close submitted */
    bool abort_output;           /* drop unsent output when closing */
    bool read_paused;            /* output full: decrypted input waits */
    bool recv_held;              /* paused with BRK_IN_HOLD_BYTES unread: recv cancelled */
    bool dirty;                  /* on the worker's flush list */
    bool fin_sent;
    bool peer_eof;               /* the peer's FIN arrived */
    struct brk_conn *dirty_next;
    struct brk_link tlink;       /* on one deadline list, by state */
    struct brk_link slink;       /* on the subscriber list when it has subs */
    struct brk_link qlink;       /* on the quiet list, by last activity */
    uint64_t active_ms;          /* monotonic: last turn it was flushed */
    uint64_t deadline_ms;        /* monotonic */
    struct brk_app app;
    uint32_t free_next;          /* free-list link while FREE */
    struct brk_tls_ref *tls_ref; /* one reference: the context of `tls` */
    enum brk_close_reason close_reason; /* first decided; OTHER = none yet */
    uint32_t exp_idx;            /* position in the expiry heap; BRK_EXP_NONE */
    bool admin;                  /* accepted on the admin listener: frames go to the admin thread */
};

#define BRK_EXP_NONE UINT32_MAX

/* Established connections by the earliest notAfter of their chain: a
 * binary min-heap with back-indices (brk_conn.exp_idx), so a freed
 * connection leaves it at once. Capacity: the worker's slots. */
struct brk_exp_ent {
    int64_t at_ms;               /* wall clock, Unix milliseconds */
    uint32_t slot;
};
struct brk_expiry {
    struct brk_exp_ent *h;       /* owned */
    uint32_t n, cap;
};

struct brk_worker {
    unsigned id;
    struct brk_shared *sh;
    pthread_t thread;
    struct io_uring ring;
    bool ring_ok;
    int listen_fd;               /* owned */
    int event_fd;                /* owned; other threads write to wake us */
    uint64_t event_val;          /* read target of the pending eventfd read */
    _Atomic bool wake_pending;
    bool pump_all;               /* subscriptions may have new records */
    bool accepting;
    bool stopping;
    struct brk_tls_ref *tls;     /* one reference: new connections' context */
    uint64_t tls_gen;
    struct brk_policy *policy;   /* one reference; NULL until the first */
    uint64_t policy_gen;
    struct rw_sec_acl *acl;      /* one reference (app.acl borrows it); NULL denies all */
    uint64_t acl_gen;
    struct brk_expiry exp;
    struct brk_app_ctx app;
    struct io_uring_buf_ring *br;
    uint8_t *bufs;               /* BRK_RECV_BUFS * BRK_RECV_BUF_SIZE */
    struct brk_conn *conns;      /* slot table */
    uint32_t n_slots;
    uint32_t free_head;          /* UINT32_MAX = none */
    uint32_t live;               /* slots in use */
    struct brk_link hs_list, idle_list, linger_list, sub_list;
    struct brk_link quiet_list;  /* connections that may hold buffers, oldest activity first */
    uint32_t trimmed;            /* connections trimmed since the heap was last trimmed */
    uint64_t active_ms;          /* monotonic: last turn any connection was flushed */
    uint64_t heap_trim_ms;       /* monotonic: last malloc_trim */
    uint8_t *rscratch;           /* owned: BRK_RECV_BUF_SIZE, decrypted input (brk_state.c) */
    struct brk_conn *dirty_head;
    struct __kernel_timespec tick;
    uint64_t now_ms;             /* monotonic, refreshed each turn */
    int admin_fd;                /* owned; the admin listener (worker 0 only), else -1 */
    bool admin_accepting;
    struct brk_admin_outq adm_out; /* admin responses for this worker's connections */
    /* startup report to the daemon */
    struct rw_result init_result;
    char init_detail[256];
};

/* brk_ring.c */
RW_RESULT brk_ring_setup(struct brk_worker *w);
void brk_ring_teardown(struct brk_worker *w);
struct io_uring_sqe *brk_sqe(struct brk_worker *w);
void brk_buf_recycle(struct brk_worker *w, unsigned bid);
void brk_arm_accept(struct brk_worker *w);
void brk_arm_timer(struct brk_worker *w);
void brk_arm_wake(struct brk_worker *w);
void brk_arm_admin_accept(struct brk_worker *w);

/* brk_conn.c */
void brk_conn_accept(struct brk_worker *w, int fd);
/* A connection on the admin listener (sh->admin_tls). */
void brk_conn_accept_admin(struct brk_worker *w, int fd);
void brk_conn_on_cqe(struct brk_worker *w, struct brk_conn *c, enum brk_op op,
                     const struct io_uring_cqe *cqe);
void brk_conn_flush_dirty(struct brk_worker *w);
void brk_conn_tick(struct brk_worker *w);
void brk_conn_pump_subs(struct brk_worker *w);
void brk_conn_stop_all(struct brk_worker *w);
/* Frees the buffers a connection holds without using them (empty input,
 * plaintext and ciphertext buffers, the session's); they come back on
 * demand. Called for connections quiet for BRK_QUIET_MS. */
void brk_conn_trim(struct brk_conn *c);
RW_RESULT brk_conn_table_init(struct brk_worker *w, uint32_t n);
void brk_conn_table_free(struct brk_worker *w);
struct brk_conn *brk_conn_lookup(struct brk_worker *w, struct brk_ud u);

/* brk_conn.c: transitions shared with the state handlers (brk_state.c). */
void brk_conn_set_state(struct brk_worker *w, struct brk_conn *c, enum brk_state s);
void brk_conn_mark_dirty(struct brk_worker *w, struct brk_conn *c);
size_t brk_conn_out_bytes(const struct brk_conn *c);
/* Queues close_notify, flushes, then drains and closes. */
void brk_conn_close_graceful(struct brk_worker *w, struct brk_conn *c);
/* Flushes what is pending (e.g. an alert), then drains and closes. */
void brk_conn_close_after_output(struct brk_worker *w, struct brk_conn *c);
/* Returns a slot with nothing in flight to the free list. */
void brk_conn_release(struct brk_worker *w, struct brk_conn *c);
/* Drops unsent output, cancels and closes at once. */
void brk_conn_abort(struct brk_worker *w, struct brk_conn *c);
/* brk_io.c: reading resumes after a hold (the output drained). */
void brk_conn_recv_resume(struct brk_worker *w, struct brk_conn *c);

/* brk_state.c: one handler set per state. */
struct brk_state_ops {
    const char *name;
    void (*on_input)(struct brk_worker *w, struct brk_conn *c);   /* ciphertext was fed */
    void (*on_eof)(struct brk_worker *w, struct brk_conn *c, int err); /* 0 = FIN */
    void (*on_drained)(struct brk_worker *w, struct brk_conn *c); /* all output sent */
    void (*on_deadline)(struct brk_worker *w, struct brk_conn *c);
};
extern const struct brk_state_ops brk_states[BRK_STATE_COUNT];
/* Runs this connection's subscriptions into its output. */
void brk_state_pump(struct brk_worker *w, struct brk_conn *c);

/* Records why a connection ends (the first reason decided wins). */
static inline void brk_conn_why(struct brk_conn *c, enum brk_close_reason r)
{
    if (c->close_reason == BRK_CLOSE_OTHER) {
        c->close_reason = r;
    }
}

/* brk_tlsref.c: the shared TLS context. */
RW_RESULT brk_tls_ref_new(const struct brk_config *cfg, struct rw_sec_auth *auth,
                          struct brk_tls_ref **out);
/* The admin listener's context: the same certificate, client certificate optional. */
RW_RESULT brk_tls_ref_new_admin(const struct brk_config *cfg, struct rw_sec_auth *auth,
                                struct brk_tls_ref **out);
struct brk_tls_ref *brk_tls_ref_get(struct brk_tls_ref *r);
void brk_tls_ref_put(struct brk_tls_ref *r); /* NULL is fine */
/* Makes `r` current (takes the caller's reference). */
void brk_tls_publish(struct brk_shared *sh, struct brk_tls_ref *r);
/* The current context, referenced. */
struct brk_tls_ref *brk_tls_current(struct brk_shared *sh);
/* The same for the admin listener's context (NULL when it is off). */
void brk_tls_publish_admin(struct brk_shared *sh, struct brk_tls_ref *r);
struct brk_tls_ref *brk_tls_current_admin(struct brk_shared *sh);

/* brk_expiry.c */
RW_RESULT brk_expiry_init(struct brk_worker *w, uint32_t cap);
void brk_expiry_cleanup(struct brk_worker *w);
void brk_expiry_add(struct brk_worker *w, struct brk_conn *c, int64_t at_ms);
void brk_expiry_del(struct brk_worker *w, struct brk_conn *c); /* safe when absent */
/* Closes (EXPIRED) every connection whose time has come. */
void brk_expiry_tick(struct brk_worker *w);
/* Closes one connection with EXPIRED (its chain ended at at_ms). */
void brk_expiry_kick(struct brk_worker *w, struct brk_conn *c, int64_t at_ms);
int64_t brk_wall_ms(void);

/* brk_sweep.c: live enforcement on a worker. */
/* At each loop turn: adopts a newly published TLS context, ACL snapshot
 * and policy; a new policy re-checks every established connection, a new
 * ACL snapshot every live subscription. */
void brk_worker_refresh(struct brk_worker *w);
/* A connection just became established: re-checked against the worker's
 * policy (its handshake may have used an older snapshot) and entered in
 * the expiry heap. False when it was closed. */
bool brk_sweep_established(struct brk_worker *w, struct brk_conn *c);
/* Sends Error{correlation_id 0, code, detail} and closes with
 * close_notify; counted as a live close for `why`. */
void brk_conn_kick(struct brk_worker *w, struct brk_conn *c, enum brk_close_reason why, int code,
                   const char *detail);

/* brk_acl.c: the ACL snapshot, published like the policy. */
/* Any thread: makes `acl` current (takes the caller's reference) and wakes
 * every worker that runs. */
void brk_acl_publish(struct brk_shared *sh, struct rw_sec_acl *acl);
/* The current snapshot, referenced; NULL before the first publish. */
struct rw_sec_acl *brk_acl_current(struct brk_shared *sh);
/* Builds a snapshot from the store and publishes it (logged and counted);
 * on failure the previous snapshot stays. `cause` is for the log. */
RW_RESULT brk_acl_reload(struct brk_shared *sh, struct rw_store *store, const char *cause);
/* At each loop turn: adopts a newly published snapshot and ends the live
 * subscriptions it no longer allows (Error PERMISSION_DENIED each). */
void brk_acl_adopt(struct brk_worker *w);

/* brk_state.c: the idle deadline. A connection with a live subscription is
 * never idle: its deadline is pushed on instead of closing it. */
void brk_state_idle_rearm(struct brk_worker *w, struct brk_conn *c);

/* brk_list.c */
void brk_list_init(struct brk_link *head);
bool brk_list_empty(const struct brk_link *head);
void brk_list_push_tail(struct brk_link *head, struct brk_link *n);
void brk_list_del(struct brk_link *n); /* safe on an unlinked node */

/* brk_loop.c */
void *brk_worker_main(void *arg);
/* Any thread: make worker `w` look at its subscriptions / the stop flag. */
void brk_worker_wake(struct brk_worker *w);
uint64_t brk_now_ms(void);

#define BRK_CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
