/* client/rw_client.h — libringward: a small blocking client for a Ringward broker.
 *
 * One `struct rw_client` is one mutual-TLS connection (TLS 1.3, TCP_NODELAY,
 * only the leaf certificate is sent; the broker completes the chain). Every
 * call blocks until it is done or its timeout passes; a client is used by one
 * thread at a time. Any failure leaves a readable reason in
 * rw_client_last_error(): the broker's Error code and message, or a local
 * reason (connect refused, the TLS alert the broker sent, timeout) with
 * code 0 — or, for an alert that says why we were refused (certificate
 * revoked, expired, unknown), the matching ringward.ErrorCode.
 *
 * Records a call returns are lent: they stay valid until the next call on the
 * same client (or rw_client_close). Records a call takes are borrowed for the
 * duration of the call only.
 *
 * Callers that write to a closed connection get an error, never SIGPIPE: the
 * socket writes with MSG_NOSIGNAL.
 */
#ifndef RW_CLIENT_H
#define RW_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"
#include "core/rw_result.h"

struct rw_client;

struct rw_client_error {
    int code;           /* ringward.ErrorCode (REVOKED, ...) or 0 for a local failure */
    char message[256];  /* the broker's message or a local reason, for a human */
};

struct rw_client_opts {
    const char *host;         /* name or IP literal to connect to */
    uint16_t port;
    const char *cert_file;    /* PEM client certificate (only its first cert is sent) */
    const char *key_file;     /* PEM private key of that certificate */
    const char *ca_file;      /* PEM bundle: every certificate in it is trusted */
    const char *server_name;  /* name checked against the broker's SAN; NULL = host */
    int timeout_ms;           /* connect + handshake, and each request; 0 = 10 s */
    int keepalive_ms;         /* rw_client_poll pings after this long without
                                 sending; 0 = 30 s, < 0 = never */
    size_t max_frame;         /* largest frame sent or accepted; 0 = 1 MiB */
    const uint8_t *session;   /* optional DER session (rw_client_session_export) */
    size_t session_len;
    /* Batcher (rw_client_produce_add): a frame is sealed at batch_records
     * records or batch_bytes of payload; at most `pipeline` sealed frames are
     * unanswered at once. 0 = 1000 records, 256 KiB, 8 frames. */
    size_t batch_records;
    size_t batch_bytes;
    unsigned pipeline;
};

/* A record as the broker returned it (lent) or as the caller gives it
 * (borrowed). offset/timestamp_ms are ignored when producing. */
struct rw_client_record {
    const uint8_t *value;
    size_t value_len;
    const uint8_t *key;  /* NULL/0 when none */
    size_t key_len;
    uint64_t offset;
    int64_t timestamp_ms;
};

/* Records lent by fetch/poll until the next call on the client. */
struct rw_client_batch {
    const struct rw_client_record *records;
    size_t n;
    uint64_t base_offset;  /* offset of records[0] */
    uint64_t end_offset;   /* fetch: the topic's next offset; poll: base_offset + n */
};

struct rw_client_produce_summary {
    uint64_t records;       /* acknowledged since the last summary */
    uint64_t first_offset;  /* offset of the first of them */
    uint64_t last_offset;   /* offset of the last of them */
};

/* Connects and completes the TLS handshake. On success *out owns the
 * connection (free with rw_client_close); on failure *err says why and *out
 * is NULL. TLS 1.3 finishes the client's handshake before the broker has
 * judged the client's certificate: a refusal (alert) surfaces on the first
 * request, or at once with rw_client_ping. */
RW_RESULT rw_client_connect(const struct rw_client_opts *o, struct rw_client **out,
                            struct rw_client_error *err);
/* Sends close_notify, closes the socket and frees everything; records in the
 * batcher that were never flushed are dropped. NULL is fine. */
void rw_client_close(struct rw_client *c);
/* The reason for the last failed call (code 0, "" when none). Owned by c. */
const struct rw_client_error *rw_client_last_error(const struct rw_client *c);

/* One Produce frame with all n records; *base_offset is the first's offset. */
RW_RESULT rw_client_produce(struct rw_client *c, const char *topic,
                            const struct rw_client_record *records, size_t n,
                            uint64_t *base_offset);
/* Batcher: copies one record into the open batch for `topic` (a new topic
 * seals the old batch), sealing and sending full frames; waits for replies
 * only when `pipeline` frames are unanswered. */
RW_RESULT rw_client_produce_add(struct rw_client *c, const char *topic, const void *value,
                                size_t len);
/* Seals the open batch, sends it, waits for every reply. *sum (may be NULL)
 * covers records acknowledged since the previous flush. */
RW_RESULT rw_client_flush(struct rw_client *c, struct rw_client_produce_summary *sum);

/* Reads records from `offset` (at most max_bytes of values, at least one
 * record when one exists). Flushes the batcher first. */
RW_RESULT rw_client_fetch(struct rw_client *c, const char *topic, uint64_t offset,
                          uint32_t max_bytes, struct rw_client_batch *out);

/* Starts the client's one subscription: from `from_offset`, or from the end
 * when from_end. `credit` (0 = 1000) is the number of records the broker may
 * push ahead of rw_client_poll; credit is granted back as records are
 * polled. *start_offset (may be NULL) is where the broker starts. */
RW_RESULT rw_client_subscribe(struct rw_client *c, const char *topic, uint64_t from_offset,
                              bool from_end, uint32_t credit, uint64_t *start_offset);
/* Waits up to timeout_ms (-1 = forever) for pushed records. RW_ERR_BLOCKED
 * with out->n == 0 when none came in time or a signal interrupted the wait;
 * any other error ends the stream. While waiting it sends a Ping when
 * nothing was sent for opts.keepalive_ms, so the broker's idle timeout
 * spares a consumer that only listens. */
RW_RESULT rw_client_poll(struct rw_client *c, int timeout_ms, struct rw_client_batch *out);

/* One Ping/Pong round trip (confirms the broker accepted the handshake). */
RW_RESULT rw_client_ping(struct rw_client *c);

/* Session resumption: the current TLS session as DER into `out` (appended),
 * RW_ERR_NOT_FOUND when the broker has sent no resumable ticket yet (TLS 1.3
 * sends it after the handshake: make one request first). Pass the bytes as
 * opts.session of a later connect. */
RW_RESULT rw_client_session_export(struct rw_client *c, struct rw_buf *out);
/* True when the handshake resumed opts.session. */
bool rw_client_session_reused(const struct rw_client *c);

#endif
