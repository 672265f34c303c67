/* proto/rw_frame.c — length-prefixed protobuf frames. */
#include "proto/rw_frame.h"

struct rw_result rw_frame_append(struct rw_buf *out, const ProtobufCMessage *msg, size_t max_frame)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    RW_ENSURE_MSG(n <= max_frame && n <= UINT32_MAX, RW_ERR_LIMIT,
                  "frame of %zu bytes exceeds the %zu-byte maximum", n, max_frame);
    RW_GUARD(rw_buf_reserve(out, RW_FRAME_HEADER + n));
    RW_GUARD(rw_buf_append_u32(out, (uint32_t)n));
    size_t packed = protobuf_c_message_pack(msg, out->data + out->len);
    RW_ENSURE(packed == n, RW_ERR_INTERNAL);
    out->len += n;
    return RW_SUCCESS;
}

struct rw_result rw_frame_peek(const uint8_t *data, size_t len, size_t max_frame,
                               const uint8_t **body, size_t *body_len, size_t *frame_len,
                               size_t *need)
{
    *need = RW_FRAME_HEADER;
    if (len < RW_FRAME_HEADER) {
        return (struct rw_result){RW_ERR_BLOCKED};
    }
    uint32_t n = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
                 (uint32_t)data[3];
    RW_ENSURE_MSG(n <= max_frame, RW_ERR_PROTO_TOO_LARGE,
                  "frame length %u exceeds the %zu-byte maximum", n, max_frame);
    *need = RW_FRAME_HEADER + (size_t)n;
    if (len - RW_FRAME_HEADER < n) {
        return (struct rw_result){RW_ERR_BLOCKED};
    }
    *body = data + RW_FRAME_HEADER;
    *body_len = n;
    *frame_len = RW_FRAME_HEADER + (size_t)n;
    return RW_SUCCESS;
}

struct rw_result rw_frame_decode(const uint8_t *body, size_t len, Ringward__Frame **out)
{
    Ringward__Frame *f = ringward__frame__unpack(NULL, len, body);
    RW_ENSURE_MSG(f, RW_ERR_PROTO_MALFORMED, "frame is not a valid protobuf message");
    if (f->body_case == RINGWARD__FRAME__BODY__NOT_SET) {
        ringward__frame__free_unpacked(f, NULL);
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "frame carries no known message");
    }
    *out = f;
    return RW_SUCCESS;
}

void rw_frame_free(Ringward__Frame *f)
{
    if (f) {
        ringward__frame__free_unpacked(f, NULL);
    }
}

const char *rw_frame_code_name(int code)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&ringward__error_code__descriptor, code);
    return v ? v->name : "UNKNOWN";
}
