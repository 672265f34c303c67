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

#endif
