/* broker/brk_app.h — the data protocol over decrypted bytes: frames in,
 * responses and pushes out. Knows nothing about sockets, rings or TLS, so
 * the unit tests drive it directly.
 *
 * brk_app_ctx is per worker (scratch arrays reused for every message, and
 * an arena the frames are decoded into, so the steady path does not
 * allocate per record); brk_app is per connection (its subscriptions).
 * Responses are appended as frames to a caller-owned plaintext buffer; the
 * caller encrypts and sends it.
 *
 * Subscriptions: Subscribe(topic, from, credit) answers SubscribeResponse
 * then Delivery pushes carrying the Subscribe's correlation_id. At most
 * `credit` records are pushed until Credit grants more; pushes stop while
 * the output buffer holds max_output bytes, so a slow consumer bounds
 * what the broker buffers for it.
 *
 * Authorization: every Produce (op produce), Fetch and Subscribe (op
 * consume) is decided by the worker's ACL snapshot (brk_app_ctx.acl) for
 * the connection's principal, through the connection's decision cache
 * (brk_app.acl). A denial is an Error {the request's correlation_id,
 * PERMISSION_DENIED, "principal P may not produce to T"} and processing
 * goes on: the connection stays open. A connection not yet bound to a
 * principal (brk_app_auth), or a context without a snapshot, is denied
 * everything. brk_app_acl_sweep ends the subscriptions a new snapshot no
 * longer allows.
 */
#ifndef RW_BRK_APP_H
#define RW_BRK_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/brk_stats.h"
#include "broker/brk_topic.h"
#include "core/rw_buf.h"
#include "core/rw_result.h"
#include "proto/broker.pb-c.h"
#include "security/sec_acl.h"

#define BRK_APP_MAX_SUBS 16      /* per connection */
#define BRK_APP_MAX_BATCH 4096   /* records per response or push */
#define BRK_APP_FRAME_SLACK 4096 /* outgoing frames may exceed max_frame by this */

struct brk_arena_blk; /* brk_app.c: where decoded frames live until the next one */

struct brk_app_ctx {
    struct brk_topics *topics; /* borrowed */
    unsigned worker;
    size_t max_frame;
    size_t max_output;
    /* Owned scratch, reused for every message. */
    struct brk_rec *views;     /* BRK_APP_MAX_BATCH */
    Ringward__Record *pb;      /* BRK_APP_MAX_BATCH */
    Ringward__Record **pbp;    /* BRK_APP_MAX_BATCH */
    struct brk_rec *in;        /* produce input, grown on demand */
    size_t in_cap;
    struct brk_arena_blk *arena; /* decoded frame memory, reset after each frame */
    struct brk_app_counters counters; /* written by this worker only */
    const struct rw_sec_acl *acl; /* borrowed: the worker's snapshot; NULL denies all */
};

struct brk_sub {
    uint64_t id;               /* correlation_id of the Subscribe */
    struct brk_topic *topic;   /* borrowed from the registry */
    uint64_t next;             /* next offset to push */
    uint64_t credit;           /* records still allowed */
};

struct brk_app {
    struct brk_sub *subs;          /* owned: BRK_APP_MAX_SUBS, from the first Subscribe */
    unsigned n_subs;
    uint64_t conn_id;              /* for logs */
    struct rw_sec_acl_cache acl;   /* bound to the principal by brk_app_auth */
};

RW_RESULT brk_app_ctx_init(struct brk_app_ctx *w, struct brk_topics *topics, unsigned worker,
                           size_t max_frame, size_t max_output);
void brk_app_ctx_cleanup(struct brk_app_ctx *w);

/* No subscriptions and no principal yet (everything is denied). */
void brk_app_init(struct brk_app *a);
/* Binds the connection to its authenticated principal (borrowed: it must
 * outlive `a`; the connection owns both). */
void brk_app_auth(struct brk_app *a, uint64_t conn_id, const char *principal);
/* Drops the subscriptions (and their per-worker counts). */
void brk_app_cleanup(struct brk_app_ctx *w, struct brk_app *a);

/* The plaintext output buffer limit a connection should use. */
size_t brk_app_out_max(const struct brk_app_ctx *w);

/* Consumes complete frames from data[0..len): *consumed is how far it got.
 * Stops early (OK) once `queued` (output held elsewhere, e.g. ciphertext
 * not yet sent) plus out->len reaches max_output. A frame that cannot
 * be parsed (length above the maximum, not protobuf) appends an Error
 * frame and returns PROTO_*: the caller flushes and closes. Requests the
 * broker does not serve get an INVALID_ARGUMENT Error and processing goes
 * on. Other failures (out of memory) are returned as is. */
RW_RESULT brk_app_input(struct brk_app_ctx *w, struct brk_app *a, const uint8_t *data, size_t len,
                        size_t *consumed, struct rw_buf *out, size_t queued);

/* One decoded frame. */
RW_RESULT brk_app_dispatch(struct brk_app_ctx *w, struct brk_app *a, const Ringward__Frame *f,
                           struct rw_buf *out);

/* Pushes what subscriptions may deliver while queued + out->len stays
 * under max_output; *more is true when something is still deliverable
 * (stopped by the output cap). */
RW_RESULT brk_app_pump(struct brk_app_ctx *w, struct brk_app *a, struct rw_buf *out, size_t queued,
                       bool *more);

/* Appends an Error frame (code is a Ringward__ErrorCode). */
RW_RESULT brk_app_error(const struct brk_app_ctx *w, struct rw_buf *out, uint64_t corr, int code,
                        const char *msg);

/* Subscribe/Credit handlers (brk_sub.c). */
RW_RESULT brk_app_subscribe(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                            const Ringward__SubscribeRequest *req, struct rw_buf *out);
RW_RESULT brk_app_credit(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                         const Ringward__Credit *c, struct rw_buf *out);

/* The ACL gate of one request on `topic` for `op` (RW_ACL_PRODUCE or
 * RW_ACL_CONSUME). *allowed false means an Error frame answering `corr`
 * was appended: INVALID_ARGUMENT for a topic that is not a valid name,
 * else PERMISSION_DENIED (counted, and logged once per cached decision). */
RW_RESULT brk_app_authorize(struct brk_app_ctx *w, struct brk_app *a, uint64_t corr,
                            const char *topic, unsigned op, struct rw_buf *out, bool *allowed);

/* Re-decides every subscription of `a` against w->acl: each one no longer
 * allowed is dropped and answered with an Error {its Subscribe's
 * correlation_id, PERMISSION_DENIED}; *ended counts them. A subscription
 * is dropped even when its Error frame does not fit (the error is then
 * returned and the caller closes the connection). */
RW_RESULT brk_app_acl_sweep(struct brk_app_ctx *w, struct brk_app *a, struct rw_buf *out,
                            unsigned *ended);

/* Copies s into out for a log value: quotes become ', control bytes spaces. */
const char *brk_log_clean(const char *s, char *out, size_t cap);

/* Counts n records (and their key+value bytes) handed to a consumer. */
void brk_app_count_consumed(struct brk_app_ctx *w, const struct brk_rec *v, size_t n);

/* Wall-clock milliseconds (record timestamps). */
int64_t brk_app_now_ms(void);

#endif
