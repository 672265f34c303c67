/* proto/rw_frame.h — frames on the wire: 4-byte big-endian length + one
 * serialized ringward.Frame (or any protobuf-c message).
 *
 * The length is checked against the caller's maximum before anything is
 * allocated. Decoding borrows nothing: protobuf-c copies what it needs into
 * the unpacked message, which the caller frees with rw_frame_free.
 */
#ifndef RW_PROTO_FRAME_H
#define RW_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"
#include "core/rw_result.h"
#include "proto/broker.pb-c.h"

#define RW_FRAME_HEADER 4
#define RW_FRAME_DEFAULT_MAX (1u << 20)

/* Appends length + message to `out` (RW_ERR_LIMIT beyond out->max or when
 * the message is larger than max_frame). */
RW_RESULT rw_frame_append(struct rw_buf *out, const ProtobufCMessage *msg, size_t max_frame);

/* Looks at the start of `data`: RW_ERR_BLOCKED when the header or body is
 * incomplete (*need tells how many bytes the whole frame takes once the
 * header is known, else RW_FRAME_HEADER), PROTO_TOO_LARGE when the length
 * exceeds max_frame, else OK with *body and *body_len set and *frame_len the
 * bytes to consume. */
RW_RESULT rw_frame_peek(const uint8_t *data, size_t len, size_t max_frame, const uint8_t **body,
                        size_t *body_len, size_t *frame_len, size_t *need);

/* Unpacks a Frame body; PROTO_MALFORMED when protobuf-c refuses it or the
 * body case is not set. Free with rw_frame_free. */
RW_RESULT rw_frame_decode(const uint8_t *body, size_t len, Ringward__Frame **out);
void rw_frame_free(Ringward__Frame *f); /* NULL is fine */

/* Name of an error code ("REVOKED"), "UNKNOWN" when not one. */
const char *rw_frame_code_name(int code);

#endif
