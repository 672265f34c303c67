/* broker/brk_app.h — the data protocol over decrypted bytes: frames in,
 * responses and pushes out. Knows nothing about sockets, rings or TLS, so
 * the unit tests drive it directly.
 *
 * brk_app_ctx is per worker (scratch arrays reused for every message, so
 * the steady path does not allocate); brk_app is per connection (its
 * subscriptions). Responses are appended as frames to a caller-owned
 * plaintext buffer; the caller encrypts and sends it.
 *
 * Subscriptions: Subscribe(topic, from, credit) answers SubscribeResponse
 * then Delivery pushes carrying the Subscribe's correlation_id. At most
 * `credit` records are pushed until Credit grants more; pushes stop while
 * the output buffer holds max_output bytes, so a slow consumer bounds
 * what the broker buffers for it.
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

#define BRK_APP_MAX_SUBS 16      /* per connection */
#define BRK_APP_MAX_BATCH 4096   /* records per response or push */
#define BRK_APP_FRAME_SLACK 4096 /* outgoing frames may exceed max_frame by this */

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
    struct brk_app_counters counters; /* written by this worker only */
};

struct brk_sub {
    uint64_t id;               /* correlation_id of the Subscribe */
    struct brk_topic *topic;   /* borrowed from the registry */
    uint64_t next;             /* next offset to push */
    uint64_t credit;           /* records still allowed */
};

struct brk_app {
    struct brk_sub subs[BRK_APP_MAX_SUBS];
    unsigned n_subs;
};

RW_RESULT brk_app_ctx_init(struct brk_app_ctx *w, struct brk_topics *topics, unsigned worker,
                           size_t max_frame, size_t max_output);
void brk_app_ctx_cleanup(struct brk_app_ctx *w);

void brk_app_init(struct brk_app *a);
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

/* Counts n records (and their key+value bytes) handed to a consumer. */
void brk_app_count_consumed(struct brk_app_ctx *w, const struct brk_rec *v, size_t n);

/* Wall-clock milliseconds (record timestamps). */
int64_t brk_app_now_ms(void);

#endif
