/* client/cl_proto.h — the client side of the data protocol, without a socket.
 *
 * Bytes read from the broker go in with rw_cl_proto_feed; frames to send come
 * out of `out` (the caller writes and consumes them). Complete frames are
 * decoded at once and sorted: Delivery frames of the subscription go to the
 * delivery queue (counted against the credit window), Ping is answered, an
 * Error with correlation_id 0 fails the connection (sticky), everything else
 * goes to the response queue in arrival order. `in` never holds more than
 * one partial frame. The proto owns every queued frame until it is popped;
 * a popped frame belongs to the caller (rw_frame_free).
 */
#ifndef RW_CLIENT_CL_PROTO_H
#define RW_CLIENT_CL_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "client/rw_client.h"
#include "core/rw_buf.h"
#include "proto/rw_frame.h"

struct rw_cl_fifo {
    Ringward__Frame **items;  /* owned ring of owned frames */
    size_t head, len, cap;
};

/* Credit accounting of the one subscription. Invariant while active:
 * outstanding + queued + ungranted == window (less any overrun). */
struct rw_cl_sub {
    uint64_t id;           /* correlation_id of the Subscribe; 0 = none */
    uint32_t window;       /* credit granted with the Subscribe */
    uint64_t outstanding;  /* granted, not yet delivered */
    uint64_t queued;       /* delivered, not yet handed to the application */
    uint64_t ungranted;    /* handed to the application, not yet granted back */
    uint64_t overrun;      /* delivered beyond the credit (the broker's fault) */
    uint64_t granted;      /* total granted back with Credit frames */
};

/* Frames we receive may exceed our own maximum by this much: a reply wraps
 * up to max_frame bytes of records in per-record protocol overhead. */
#define RW_CL_IN_SLACK (256u * 1024u)

struct rw_cl_proto {
    size_t max_frame;   /* largest frame we send */
    size_t max_in;      /* largest frame we accept: max_frame + RW_CL_IN_SLACK */
    uint64_t next_id;
    struct rw_buf in;   /* received bytes: at most one partial frame */
    struct rw_buf out;  /* encoded frames not yet written */
    struct rw_cl_fifo responses;
    struct rw_cl_fifo deliveries;
    struct rw_cl_sub sub;
    enum rw_err failed;              /* RW_OK until the connection is unusable */
    struct rw_client_error fail_err; /* why, once failed */
};

void rw_cl_proto_init(struct rw_cl_proto *p, size_t max_frame);
void rw_cl_proto_cleanup(struct rw_cl_proto *p);

/* Gives f the next correlation_id (returned in *id, may be NULL) and appends
 * it to `out`. f stays the caller's. */
RW_RESULT rw_cl_proto_send(struct rw_cl_proto *p, Ringward__Frame *f, uint64_t *id);

/* Consumes len received bytes. On failure (malformed or oversized frame,
 * connection-level Error) the proto is failed for good and *err says why. */
RW_RESULT rw_cl_proto_feed(struct rw_cl_proto *p, const uint8_t *data, size_t len,
                           struct rw_client_error *err);

/* The oldest queued response, or NULL. */
Ringward__Frame *rw_cl_proto_response_pop(struct rw_cl_proto *p);
/* The oldest queued Delivery (RW_ERR_BLOCKED when none). Its records count
 * as handed to the application: credit is granted back (a Credit frame is
 * appended to `out`) once half the window has been consumed. */
RW_RESULT rw_cl_proto_delivery_pop(struct rw_cl_proto *p, Ringward__Frame **out);
size_t rw_cl_proto_deliveries(const struct rw_cl_proto *p);
size_t rw_cl_proto_responses(const struct rw_cl_proto *p);

/* Starts/stops credit accounting for the subscription `id`. Stopping drops
 * queued deliveries. */
void rw_cl_proto_sub_start(struct rw_cl_proto *p, uint64_t id, uint32_t window);
void rw_cl_proto_sub_stop(struct rw_cl_proto *p);

#endif
