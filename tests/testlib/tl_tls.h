/* tests/testlib/tl_tls.h — in-process TLS for tests: a client SSL over
 * memory BIOs pumped against a server rw_sec_tls, and a small PKI.
 *
 * The client sends only its leaf (SSL_MODE_NO_AUTO_CHAIN) unless told to
 * send the chain from its certificate file, records the last alert it
 * received, and keeps the newest session (ticket) it was given so a test
 * can resume with it.
 */
#ifndef RW_TL_TLS_H
#define RW_TL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_ca.h"
#include "security/sec_tls.h"

/* ---- client ---- */

struct tl_tls_client_cfg {
    const char *cert_file;   /* NULL: no client certificate */
    const char *key_file;
    bool send_chain;         /* send every certificate of cert_file, not only the leaf */
    const char *ca_file;     /* NULL: the server's certificate is not verified */
    const char *server_name; /* SNI, and the name checked with ca_file */
    bool tls12;              /* at most TLS 1.2 */
};

struct tl_tls_cctx; /* a client SSL_CTX, reusable across connections */
struct tl_tls_conn; /* one client connection */

/* NULL (and a message on stderr) on failure. */
struct tl_tls_cctx *tl_tls_cctx_new(const struct tl_tls_client_cfg *cfg);
void tl_tls_cctx_free(struct tl_tls_cctx *c);

/* `resume` (borrowed; may be NULL) is offered for resumption. */
struct tl_tls_conn *tl_tls_conn_new(struct tl_tls_cctx *c, SSL_SESSION *resume);
void tl_tls_conn_free(struct tl_tls_conn *c);

/* Pumps both handshakes until the server's finished (either way) and the
 * client has processed everything the server sent (tickets, alerts).
 * Returns the server's rw_sec_tls_handshake result, detail preserved. */
struct rw_result tl_tls_handshake(struct tl_tls_conn *c, struct rw_sec_tls *server);
/* Moves pending ciphertext both ways until neither side has any; returns
 * the bytes moved. */
size_t tl_tls_pump(struct tl_tls_conn *c, struct rw_sec_tls *server);

bool tl_tls_client_done(const struct tl_tls_conn *c);     /* client handshake finished */
bool tl_tls_client_resumed(const struct tl_tls_conn *c);
int tl_tls_client_alert(const struct tl_tls_conn *c);     /* last alert received, -1 none */
/* The newest session the client got, up-ref'ed (SSL_SESSION_free); NULL if none. */
SSL_SESSION *tl_tls_client_session(struct tl_tls_conn *c);

bool tl_tls_client_write(struct tl_tls_conn *c, const void *data, size_t len);
/* Decrypted bytes (> 0), 0 when none yet, -1 on close_notify, -2 on error. */
int tl_tls_client_read(struct tl_tls_conn *c, void *buf, size_t cap);
bool tl_tls_client_shutdown(struct tl_tls_conn *c);

/* ---- PKI (tl_tls_pki.c) ---- */

/* A store in a temporary directory with a root and an intermediate CA
 * (P-256, passphrase "pw"), created one day in the past. */
struct tl_pki {
    char *dir;
    struct rw_store *store;
    struct rw_sec_ca ca; /* tests may move ca.now */
    char root_id[RW_STORE_ID_MAX];
    char int_id[RW_STORE_ID_MAX];
};

struct tl_pki *tl_pki_new(const char *tag);
void tl_pki_free(struct tl_pki *p); /* removes the directory */

/* DIR/<file> into out. */
void tl_pki_path(const struct tl_pki *p, const char *file, char *out, size_t cap);

/* Issues from the intermediate (ttl 0 = default; brokers get DNS
 * "localhost") and writes DIR/<name>.crt (leaf), DIR/<name>-chain.crt
 * (leaf + intermediate) and DIR/<name>.key. Returns the certificate (the
 * caller frees it) or NULL. */
X509 *tl_pki_issue(struct tl_pki *p, const char *name, enum rw_role role, int64_t ttl);
/* DIR/ca.crt: root + intermediate. */
bool tl_pki_write_ca_bundle(struct tl_pki *p);

/* A frozen snapshot of the store (release with rw_sec_trust_unref). */
struct rw_sec_trust *tl_pki_trust(struct tl_pki *p);
bool tl_pki_revoke(struct tl_pki *p, X509 *cert, int reason);
bool tl_pki_revoke_ca(struct tl_pki *p, const char *ca_id, int reason);

/* A self-signed root outside any store, and a leaf it signs, built with
 * raw OpenSSL: `eku` like "clientAuth" or "serverAuth", role SAN producer.
 * Writes DIR/<name>.crt and DIR/<name>.key when p is non-NULL. */
bool tl_foreign_root(const char *cn, X509 **cert, EVP_PKEY **key);
X509 *tl_foreign_leaf(struct tl_pki *p, X509 *root, EVP_PKEY *root_key, const char *name,
                      const char *eku);

bool tl_write_cert(const char *path, X509 *cert, X509 *extra); /* extra may be NULL */
bool tl_write_key(const char *path, EVP_PKEY *key);

#endif
