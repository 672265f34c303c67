/* client/cl_batch.c — Produce batching with size limits. */
#include "client/cl_batch.h"

#include <stdlib.h>
#include <string.h>

/* Upper bounds of protobuf overhead: a record is a length-delimited field
 * holding a length-delimited value (tag + 10-byte varint each, generous);
 * the frame adds its correlation_id, body tag and topic field. */
#define RECORD_OVERHEAD 24
#define FRAME_OVERHEAD 32

static size_t record_cost(size_t len) { return len + RECORD_OVERHEAD; }
static size_t topic_cost(const char *topic) { return strlen(topic) + FRAME_OVERHEAD; }

void rw_cl_batch_init(struct rw_cl_batch *b, size_t max_records, size_t max_bytes,
                      size_t max_frame)
{
    memset(b, 0, sizeof(*b));
    b->max_frame = max_frame ? max_frame : RW_FRAME_DEFAULT_MAX;
    b->max_records = max_records ? max_records : 1000;
    b->max_bytes = max_bytes ? max_bytes : 256u * 1024u;
    if (b->max_bytes > b->max_frame) {
        b->max_bytes = b->max_frame;
    }
    rw_buf_init(&b->values, b->max_frame);
}

static void reset(struct rw_cl_batch *b)
{
    free(b->topic);
    b->topic = NULL;
    b->values.len = 0;
    b->n = 0;
    b->estimate = 0;
}

void rw_cl_batch_cleanup(struct rw_cl_batch *b)
{
    reset(b);
    rw_buf_cleanup(&b->values);
    free(b->lens);
    b->lens = NULL;
    b->cap = 0;
}

bool rw_cl_batch_fits(const struct rw_cl_batch *b, const char *topic, size_t len)
{
    if (b->n == 0) {
        return true;
    }
    if (strcmp(b->topic, topic) != 0 || b->n >= b->max_records) {
        return false;
    }
    size_t after = b->estimate + record_cost(len);
    return after >= b->estimate && after <= b->max_bytes;
}

struct rw_result rw_cl_batch_add(struct rw_cl_batch *b, const char *topic, const void *value,
                                 size_t len)
{
    size_t alone = topic_cost(topic) + record_cost(len);
    RW_ENSURE_MSG(len < b->max_frame && alone <= b->max_frame, RW_ERR_LIMIT,
                  "a record of %zu bytes does not fit in a %zu-byte frame", len, b->max_frame);
    RW_ENSURE(rw_cl_batch_fits(b, topic, len), RW_ERR_STATE);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        size_t *lens = realloc(b->lens, cap * sizeof(*lens));
        RW_ENSURE(lens, RW_ERR_NOMEM);
        b->lens = lens;
        b->cap = cap;
    }
    if (b->n == 0) {
        b->topic = strdup(topic);
        RW_ENSURE(b->topic, RW_ERR_NOMEM);
        b->estimate = topic_cost(topic);
    }
    struct rw_result r = rw_buf_append(&b->values, value, len);
    if (!rw_ok(r)) {
        if (b->n == 0) {
            reset(b);
        }
        return r;
    }
    b->lens[b->n++] = len;
    b->estimate += record_cost(len);
    return RW_SUCCESS;
}

struct rw_result rw_cl_batch_seal(struct rw_cl_batch *b, struct rw_cl_proto *p, uint64_t *id,
                                  size_t *n)
{
    *id = 0;
    *n = 0;
    if (b->n == 0) {
        return RW_SUCCESS;
    }
    struct rw_client_record *recs = calloc(b->n, sizeof(*recs));
    RW_ENSURE(recs, RW_ERR_NOMEM);
    size_t off = 0;
    for (size_t i = 0; i < b->n; i++) {
        recs[i].value = b->values.data + off;
        recs[i].value_len = b->lens[i];
        off += b->lens[i];
    }
    struct rw_result r = rw_cl_produce_encode(p, b->topic, recs, b->n, id);
    free(recs);
    if (rw_ok(r)) {
        *n = b->n;
        reset(b);
    }
    return r;
}

struct rw_result rw_cl_produce_encode(struct rw_cl_proto *p, const char *topic,
                                      const struct rw_client_record *records, size_t n,
                                      uint64_t *id)
{
    Ringward__Record *recs = calloc(n ? n : 1, sizeof(*recs));
    Ringward__Record **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    struct rw_result r = RW_ERR(RW_ERR_NOMEM);
    if (recs && ptrs) {
        for (size_t i = 0; i < n; i++) {
            ringward__record__init(&recs[i]);
            recs[i].value.data = (uint8_t *)records[i].value;
            recs[i].value.len = records[i].value_len;
            recs[i].key.data = (uint8_t *)records[i].key;
            recs[i].key.len = records[i].key ? records[i].key_len : 0;
            ptrs[i] = &recs[i];
        }
        Ringward__ProduceRequest req = RINGWARD__PRODUCE_REQUEST__INIT;
        req.topic = (char *)topic;
        req.n_records = n;
        req.records = ptrs;
        Ringward__Frame f = RINGWARD__FRAME__INIT;
        f.body_case = RINGWARD__FRAME__BODY_PRODUCE;
        f.produce = &req;
        r = rw_cl_proto_send(p, &f, id);
    }
    free(recs);
    free(ptrs);
    return r;
}
