/* client/cl_internal.h — struct rw_client and the helpers its files share.
 *
 * rw_client.c: connect, close, errors, ping, sessions; cl_pump.c: moving
 * bytes between the connection and the protocol state, waiting for replies;
 * cl_produce.c: produce and the batcher; cl_consume.c: fetch, subscribe, poll.
 */
#ifndef RW_CLIENT_CL_INTERNAL_H
#define RW_CLIENT_CL_INTERNAL_H

#include "client/cl_batch.h"
#include "client/cl_conn.h"
#include "client/cl_proto.h"
#include "client/rw_client.h"

struct cl_inflight {
    uint64_t id;  /* correlation_id of a sent Produce */
    size_t n;     /* its records */
};

struct rw_client {
    struct rw_cl_conn conn;   /* must not move: OpenSSL holds a pointer to it */
    struct rw_cl_proto proto;
    struct rw_cl_batch batch;
    size_t out_pos;           /* bytes of proto.out already written */
    int64_t last_sent_ms;     /* when bytes last went out (keepalive) */
    struct rw_client_error err;
    enum rw_err dead;         /* RW_OK while the connection is usable */
    int timeout_ms;
    int keepalive_ms;         /* > 0, or -1 for never */
    unsigned pipeline;
    struct cl_inflight *inflight;  /* owned: pipeline entries */
    size_t n_inflight;
    struct rw_client_produce_summary acked;  /* since the last rw_client_flush */
    Ringward__Frame *lent;          /* owned: the frame whose records are lent */
    struct rw_client_record *recs;  /* owned: the lent record views */
    size_t recs_cap;
};

/* What cl_pump waits for. */
enum cl_until {
    CL_UNTIL_SENT,      /* every queued byte is written */
    CL_UNTIL_RESPONSE,  /* a response is queued */
    CL_UNTIL_DELIVERY,  /* a delivery or a response is queued */
};

/* Start of every public call: takes back lent records, clears the error,
 * fails at once when the connection is dead. */
RW_RESULT cl_begin(struct rw_client *c);
/* Records a failure that leaves the connection unusable. */
struct rw_result cl_kill(struct rw_client *c, struct rw_result r);
/* Fills c->err (when still empty) with `what` and the thread's error detail. */
struct rw_result cl_local(struct rw_client *c, struct rw_result r, const char *what);
/* A deadline c->timeout_ms from now. */
int64_t cl_deadline(const struct rw_client *c);

/* Writes queued frames and reads what arrives until `until` holds;
 * RW_ERR_BLOCKED when the deadline passed first (or a signal came). */
RW_RESULT cl_pump(struct rw_client *c, int64_t deadline, enum cl_until until);
/* Writes every queued byte, waiting up to c->timeout_ms. */
RW_RESULT cl_send_all(struct rw_client *c);
/* Waits for the reply to `id` (*out is then the caller's), settling produce
 * replies and dropping stale ones on the way. A timeout is an error. */
RW_RESULT cl_await(struct rw_client *c, uint64_t id, Ringward__Frame **out);
/* Takes a reply that may belong to a pipelined Produce: true when it did
 * (frame freed; *r says whether the broker accepted it). */
bool cl_settle(struct rw_client *c, Ringward__Frame *f, struct rw_result *r);
/* Seals the open batch and waits until every Produce is answered. */
RW_RESULT cl_drain_produce(struct rw_client *c);
/* Lends the records of a Delivery or FetchResponse frame (takes f). */
RW_RESULT cl_lend(struct rw_client *c, Ringward__Frame *f, Ringward__Record **records,
                  size_t n, uint64_t base, struct rw_client_batch *out);

#endif
