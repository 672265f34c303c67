/* security/sec_tls_internal.h — shared by sec_tls.c and sec_tls_ctx.c only. */
#ifndef RW_SEC_TLS_INTERNAL_H
#define RW_SEC_TLS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "core/rw_buf.h"
#include "security/sec_tls.h"

#define RW_TICKET_NAME_LEN 16

/* One stateless-ticket key: name (sent in the clear), AES-256 and HMAC keys. */
struct rw_sec_ticket_key {
    unsigned char name[RW_TICKET_NAME_LEN];
    unsigned char aes[32];
    unsigned char hmac[32];
};

struct rw_sec_tls_ctx {
    SSL_CTX *ssl_ctx;                 /* owned; its app data points back here */
    struct rw_sec_auth *auth;         /* borrowed; outlives the context */
    bool stateless;                   /* tickets instead of the session cache */
    bool cert_optional;               /* a client without a certificate is fine */
    pthread_mutex_t ticket_mu;        /* guards keys: rotation may be another thread */
    struct rw_sec_ticket_key keys[2]; /* [0] current, [1] previous (decrypt only) */
    bool have_previous;
    EVP_CIPHER *ticket_cipher;        /* owned, AES-256-CBC, fetched once */
};

struct rw_sec_tls {
    SSL *ssl;                      /* owned; owns the BIO; app data points here */
    struct rw_buf in;              /* owned: ciphertext received; [in_off, len) unread */
    size_t in_off;
    struct rw_buf out;             /* owned: ciphertext to send; [out_off, len) pending */
    size_t out_off;
    struct rw_sec_tls_ctx *ctx;    /* borrowed */
    struct rw_sec_identity peer;   /* valid once `authed` */
    struct rw_sec_chain_ids chain; /* valid once `authed` */
    enum rw_err fail_err;          /* a refusal recorded by a callback; RW_OK if none */
    char *fail_detail;             /* owned copy of the refusal's detail (may be NULL) */
    bool authed;                   /* the auth manager accepted the peer */
    bool resume_checked;           /* a resumed session was re-checked */
    bool established;
};

/* sec_tls_bio.c: the BIO over s->in and s->out (owned by the SSL it is
 * given to; NULL on allocation failure), appending received ciphertext
 * (false when out of memory) and freeing both buffers. */
BIO *rw_sec_tls_bio_new(struct rw_sec_tls *s);
bool rw_sec_tls_in_append(struct rw_sec_tls *s, const uint8_t *data, size_t len);
void rw_sec_tls_bufs_free(struct rw_sec_tls *s);

/* Records a refusal (the first one wins) with a copy of rw_err_detail(). */
void rw_sec_tls_fail_record(struct rw_sec_tls *s, enum rw_err e);

/* Re-checks the peer of a resumed session against the current snapshot.
 * On refusal: records it, drops the session from the server cache, false. */
bool rw_sec_tls_resume_check(struct rw_sec_tls *s);

static inline struct rw_sec_tls *rw_sec_tls_of(const SSL *ssl)
{
    return (struct rw_sec_tls *)SSL_get_app_data(ssl);
}

#endif
