/* tests/testlib/tl_echo_broker.h — an in-process stand-in server for client
 * tests: a thread on 127.0.0.1:<ephemeral> that speaks TLS 1.3 with client
 * certificates and hands every received frame body (4-byte big-endian length
 * + body) to a callback, which appends whole reply frames. It knows nothing
 * of the protobuf schema; the test's callback does. Other modes misbehave on
 * purpose: plain TCP garbage, or a listener that never answers.
 *
 * Connections are served one at a time. tl_echo_stop joins the thread; the
 * callback runs on that thread only.
 */
#ifndef RW_TL_ECHO_BROKER_H
#define RW_TL_ECHO_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"

enum tl_echo_mode {
    TL_ECHO_TLS,      /* mutual TLS, frames to on_frame */
    TL_ECHO_GARBAGE,  /* plain TCP: writes an HTTP error and closes */
    TL_ECHO_SILENT,   /* listens but never accepts: handshakes hang */
};

/* Returns 0 to continue, 1 to send the reply and close the connection. */
typedef int (*tl_echo_frame_fn)(void *ctx, const uint8_t *body, size_t len,
                                struct rw_buf *reply);

struct tl_echo_opts {
    enum tl_echo_mode mode;
    const char *cert, *key;  /* server identity (PEM) */
    const char *ca;          /* trusted for client certificates (PEM bundle) */
    int reject_verify;       /* nonzero: refuse every client chain with this
                                X509_V_ERR_* (e.g. X509_V_ERR_CERT_REVOKED) */
    tl_echo_frame_fn on_frame;  /* NULL: frames are read and dropped */
    void *ctx;
};

struct tl_echo;

/* Starts the server thread; *port is where it listens. NULL on failure. */
struct tl_echo *tl_echo_start(const struct tl_echo_opts *o, uint16_t *port);
/* Stops, joins and frees (NULL is fine). */
void tl_echo_stop(struct tl_echo *e);
/* Completed handshakes so far, and how many of them resumed a session. */
int tl_echo_handshakes(struct tl_echo *e);
int tl_echo_resumed(struct tl_echo *e);
/* Certificates the client sent in its last full handshake (leaf included). */
int tl_echo_client_chain_len(struct tl_echo *e);

#endif
