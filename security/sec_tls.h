/* security/sec_tls.h — TLS sessions over memory, for an event loop that owns
 * every syscall.
 *
 * A session never touches a socket: the loop feeds it the ciphertext it
 * received, steps it, and sends what it has queued. Two sessions can be
 * pumped against each other in a unit test and a fuzzer can drive one.
 * Its ciphertext buffers are its own (sec_tls_bio.c): the queued output
 * can be taken without a copy, and an idle session holds none of them
 * after rw_sec_tls_trim.
 *
 * Server contexts: TLS 1.3 (1.2 only when allowed), groups X25519 and
 * P-256, a client certificate required and handed to the authentication
 * manager (SSL_CTX_set_cert_verify_callback), SSL_MODE_RELEASE_BUFFERS.
 * Resumption: stateful by default (SSL_OP_NO_TICKET with the server session
 * cache, so a TLS 1.3 ticket is only an id); stateless tickets with rotating
 * keys when configured. A resumed session is re-checked for revocation and
 * expiry before it counts as established.
 *
 * A context may be shared by all workers (OpenSSL's SSL_CTX and our ticket keys are thread-safe).
 * Errors call ERR_clear_error() first and drain the queue into the detail.
 */
#ifndef RW_SEC_TLS_H
#define RW_SEC_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"
#include "core/rw_result.h"
#include "security/sec_auth.h"
#include "security/sec_verify.h"

struct rw_sec_tls_ctx;
struct rw_sec_tls;

struct rw_sec_tls_server_cfg {
    const char *cert_file;     /* the broker's certificate (PEM) */
    const char *key_file;      /* its key (PEM, unencrypted, 0600) */
    const char *chain_file;    /* optional: CA certificates sent after the leaf */
    struct rw_sec_auth *auth;  /* borrowed; outlives the context */
    bool allow_tls12;
    bool stateless_tickets;    /* default false: stateful session cache */
    long session_timeout;      /* seconds; 0 = 7200 */
    long session_cache_size;   /* 0 = 20480 */
    /* Appended: the client certificate is optional (the admin listener:
     * enrollment without a certificate). A handshake without one succeeds
     * and rw_sec_tls_peer / rw_sec_tls_peer_chain return NULL; a presented
     * certificate still goes through the auth manager and is refused when
     * invalid. Such a context uses its own session id context and never
     * resumes sessions. */
    bool client_cert_optional;
    /* Appended: the plaintext may carry secrets (the admin listener: keys
     * in `certs issue` answers, enrollment tokens): OpenSSL zeroes its
     * record buffers when it releases them (SSL_OP_CLEANSE_PLAINTEXT). */
    bool cleanse_plaintext;
};

RW_RESULT rw_sec_tls_server_ctx_new(const struct rw_sec_tls_server_cfg *cfg,
                                    struct rw_sec_tls_ctx **out);
/* Free every session of a context before the context (callbacks use it). */
void rw_sec_tls_ctx_free(struct rw_sec_tls_ctx *ctx); /* NULL is fine */
/* New ticket keys (stateless mode; the previous key still decrypts). */
RW_RESULT rw_sec_tls_ctx_rotate_ticket_keys(struct rw_sec_tls_ctx *ctx);

RW_RESULT rw_sec_tls_new(struct rw_sec_tls_ctx *ctx, struct rw_sec_tls **out);
void rw_sec_tls_free(struct rw_sec_tls *s); /* NULL is fine */

/* Ciphertext received from the peer (copied; the caller may reuse its buffer). */
RW_RESULT rw_sec_tls_feed(struct rw_sec_tls *s, const uint8_t *data, size_t len);

/* Advances the handshake. OK once established (and the peer authenticated);
 * RW_ERR_BLOCKED when more input is needed (send what is pending first);
 * AUTH_* when the client was refused (the reason in rw_err_detail; an alert
 * may be pending); TLS for any other handshake failure. */
RW_RESULT rw_sec_tls_handshake(struct rw_sec_tls *s);

/* Decrypted application data: OK with *n > 0, BLOCKED when none yet,
 * CLOSED on the peer's close_notify, TLS on a protocol error. */
RW_RESULT rw_sec_tls_read(struct rw_sec_tls *s, uint8_t *buf, size_t cap, size_t *n);
/* Encrypts all of `data` into the pending output. */
RW_RESULT rw_sec_tls_write(struct rw_sec_tls *s, const uint8_t *data, size_t len);
/* Queues close_notify. */
RW_RESULT rw_sec_tls_shutdown(struct rw_sec_tls *s);

/* Ciphertext waiting to be sent, and taking it (copied out, consumed). */
size_t rw_sec_tls_out_pending(const struct rw_sec_tls *s);
size_t rw_sec_tls_out_take(struct rw_sec_tls *s, uint8_t *buf, size_t cap);
/* Takes all the pending ciphertext without copying: *b (which must be
 * empty, b->len == 0, else USAGE) and the session's output buffer trade
 * storage, so b->data[0..b->len) is then the ciphertext to send and the
 * session keeps b's old storage for its next output. b->max is raised to
 * b->cap when smaller. */
RW_RESULT rw_sec_tls_out_swap(struct rw_sec_tls *s, struct rw_buf *b);

/* Idle memory: frees the session's ciphertext buffers that hold nothing
 * and OpenSSL's record buffers when no record is half done. Call it when
 * a connection goes quiet; buffers come back on the next feed or write. */
void rw_sec_tls_trim(struct rw_sec_tls *s);
/* Bytes of ciphertext buffer storage the session holds (for tests). */
size_t rw_sec_tls_buffered(const struct rw_sec_tls *s);
/* Ciphertext fed and not yet taken in by OpenSSL. */
size_t rw_sec_tls_in_pending(const struct rw_sec_tls *s);

/* After the handshake: who the peer is, and whether the session resumed. */
const struct rw_sec_identity *rw_sec_tls_peer(const struct rw_sec_tls *s);
bool rw_sec_tls_resumed(const struct rw_sec_tls *s);

/* --- Additions --- */

/* The identities of the peer's chain (leaf first) and its validity window;
 * NULL before the handshake completed. Plain data the caller may copy. */
const struct rw_sec_chain_ids *rw_sec_tls_peer_chain(const struct rw_sec_tls *s);

/* Re-checks an established session against a trust snapshot (e.g. the one
 * just installed with rw_sec_auth_set_trust): AUTH_REVOKED when a
 * certificate of the peer's chain is now revoked, AUTH_EXPIRED once the
 * chain's earliest notAfter passed (`now` 0 = current time); the caller
 * then closes the connection. No allocation, no locks; STATE before the
 * handshake completed. */
RW_RESULT rw_sec_tls_recheck(const struct rw_sec_tls *s, const struct rw_sec_trust *t,
                             int64_t now);

#endif
