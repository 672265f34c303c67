/* client/cl_batch.h — grouping records into Produce frames.
 *
 * A batch copies the records it is given (the caller's bytes may go away at
 * once) and seals them into one Produce frame appended to a proto's output.
 * It must be sealed before a record for another topic, or one that would take
 * it past max_records, max_bytes (encoded estimate) or the frame maximum, is
 * added: rw_cl_batch_fits says so. A record too large for any frame is
 * refused with RW_ERR_LIMIT.
 */
#ifndef RW_CLIENT_CL_BATCH_H
#define RW_CLIENT_CL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/cl_proto.h"
#include "client/rw_client.h"
#include "core/rw_buf.h"

struct rw_cl_batch {
    char *topic;           /* owned; NULL when the batch is empty */
    struct rw_buf values;  /* owned: the record values, back to back */
    size_t *lens;          /* owned: n value lengths */
    size_t n, cap;
    size_t estimate;       /* encoded size of the Produce frame body, bounded above */
    size_t max_records, max_bytes, max_frame;
};

void rw_cl_batch_init(struct rw_cl_batch *b, size_t max_records, size_t max_bytes,
                      size_t max_frame);
void rw_cl_batch_cleanup(struct rw_cl_batch *b);

/* True when a record of `len` bytes for `topic` may join the batch now. */
bool rw_cl_batch_fits(const struct rw_cl_batch *b, const char *topic, size_t len);
/* Copies one record in (after rw_cl_batch_fits, or into an empty batch). */
RW_RESULT rw_cl_batch_add(struct rw_cl_batch *b, const char *topic, const void *value,
                          size_t len);
/* Appends the batch as one Produce frame to p->out and empties the batch;
 * *id is its correlation_id and *n its record count (0 and nothing sent when
 * the batch was empty). */
RW_RESULT rw_cl_batch_seal(struct rw_cl_batch *b, struct rw_cl_proto *p, uint64_t *id,
                           size_t *n);

/* Appends one Produce frame of n borrowed records to p->out. */
RW_RESULT rw_cl_produce_encode(struct rw_cl_proto *p, const char *topic,
                               const struct rw_client_record *records, size_t n, uint64_t *id);

#endif
