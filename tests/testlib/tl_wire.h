/* tests/testlib/tl_wire.h — a small blocking client for broker e2e tests:
 * raw TCP (for garbage), mutual TLS over a socket, length-prefixed frames,
 * and a minimal protobuf writer/reader for the ringward.Frame messages the
 * tests need (the testlib does not link the generated code).
 *
 * Every socket has 10 s send/receive timeouts so a hung broker fails a
 * test instead of hanging it.
 */
#ifndef RW_TL_WIRE_H
#define RW_TL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* A connected blocking TCP socket to 127.0.0.1:port, or -1. */
int tl_tcp_connect(int port);

struct tl_wire {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

/* TLS 1.3 with a client certificate (leaf only); true when the handshake
 * completed and the server certificate verified against ca. */
bool tl_wire_connect(struct tl_wire *w, int port, const char *cert, const char *key, const char *ca);
/* The same, offering `resume` (may be NULL) for resumption. */
bool tl_wire_connect_session(struct tl_wire *w, int port, const char *cert, const char *key,
                             const char *ca, SSL_SESSION *resume);
/* The session to resume later (SSL_SESSION_free it); NULL when none. A
 * TLS 1.3 ticket arrives after the handshake: read a frame first. */
SSL_SESSION *tl_wire_session(struct tl_wire *w);
bool tl_wire_resumed(const struct tl_wire *w);
/* Ping -> Pong round trip (frames of other kinds are skipped). */
bool tl_wire_ping(struct tl_wire *w, uint64_t corr);
void tl_wire_close(struct tl_wire *w); /* sends close_notify; safe twice */

bool tl_wire_send(struct tl_wire *w, const void *p, size_t n);
/* Reads one frame body (heap, caller frees): 1 ok, 0 closed, -1 error. */
int tl_wire_read_frame(struct tl_wire *w, uint8_t **body, size_t *len);

/* ---- protobuf, just enough ---- */
struct tl_pb {
    uint8_t *data; /* heap */
    size_t len, cap;
};
void tl_pb_free(struct tl_pb *b);
void tl_pb_varint(struct tl_pb *b, uint64_t v);
void tl_pb_tag(struct tl_pb *b, unsigned field, unsigned wire);
void tl_pb_bytes(struct tl_pb *b, unsigned field, const void *p, size_t n);
void tl_pb_u64(struct tl_pb *b, unsigned field, uint64_t v);
/* Wraps `body` as a length-prefixed frame. */
void tl_pb_frame(struct tl_pb *out, const struct tl_pb *body);

/* Whole frames (length prefix included) of ringward.Frame messages. */
void tl_msg_produce(struct tl_pb *out, uint64_t corr, const char *topic, const char *const *vals,
                    const size_t *lens, size_t n);
void tl_msg_fetch(struct tl_pb *out, uint64_t corr, const char *topic, uint64_t offset,
                  uint32_t max_bytes);
void tl_msg_ping(struct tl_pb *out, uint64_t corr);
void tl_msg_subscribe(struct tl_pb *out, uint64_t corr, const char *topic, bool from_end,
                      uint32_t credit);

/* A field of a message: the first occurrence of `field`. */
struct tl_pb_field {
    unsigned field, wire;
    uint64_t v;          /* varint */
    const uint8_t *p;    /* length-delimited */
    size_t n;
};
/* Iterates fields: start with *pos = 0; false at the end or on bad input. */
bool tl_pb_next(const uint8_t *msg, size_t len, size_t *pos, struct tl_pb_field *f);
bool tl_pb_find(const uint8_t *msg, size_t len, unsigned field, struct tl_pb_field *f);

/* A decoded Frame: correlation id, which body field (2..12) and its bytes. */
struct tl_frame {
    uint64_t corr;
    unsigned body;
    const uint8_t *p;
    size_t n;
};
bool tl_frame_parse(const uint8_t *msg, size_t len, struct tl_frame *f);

/* Frame body numbers (ringward.Frame) and Error codes used by tests. */
enum { TL_BODY_ERROR = 2, TL_BODY_PRODUCE_OK = 4, TL_BODY_FETCH_OK = 6,
       TL_BODY_SUBSCRIBE_OK = 8, TL_BODY_DELIVERY = 10, TL_BODY_PONG = 12 };
enum { TL_ERR_UNAUTHENTICATED = 1, TL_ERR_PERMISSION_DENIED = 2, TL_ERR_REVOKED = 6,
       TL_ERR_EXPIRED = 7 };
/* An Error body: its code and message (copied, NUL-terminated). */
bool tl_error_parse(const struct tl_frame *f, int *code, char *msg, size_t cap);

/* ---- HTTP, for the metrics endpoint ---- */
/* GET path on 127.0.0.1:port (HTTP/1.0): the status, and the body (heap,
 * NUL-terminated) when body is non-NULL. False when no response came. */
bool tl_http_get(int port, const char *path, int *status, char **body);
/* The value of the sample `series` (e.g. `ringward_x{reason="y"}`) in a
 * Prometheus text, or -1 when absent. */
long long tl_metric(const char *text, const char *series);

#endif
