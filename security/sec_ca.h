/* security/sec_ca.h — the certificate authority: CA operations on the store.
 *
 * Every mutation runs in one store transaction together with its event
 * (actor, kind, object, payload), so the log and the state never disagree.
 * CA private keys are decrypted only for the duration of a signing and are
 * never written anywhere but the store (encrypted, unless the store was
 * initialised with development keys). Failures leave the store unchanged
 * and set rw_err_detail().
 */
#ifndef RW_SEC_CA_H
#define RW_SEC_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_key.h"
#include "security/sec_names.h"
#include "security/sec_trust.h"
#include "security/store/store.h"

#define RW_DEFAULT_CA_TTL (10LL * 365 * 86400)
#define RW_DEFAULT_INTERMEDIATE_TTL (5LL * 365 * 86400)
#define RW_DEFAULT_LEAF_TTL (90LL * 86400)
#define RW_DEFAULT_CRL_TTL (7LL * 86400)

/* The context of a CA operation. All pointers are borrowed. */
struct rw_sec_ca {
    struct rw_store *store;
    const char *passphrase; /* encrypts/decrypts CA keys; NULL only with dev keys */
    const char *actor;      /* recorded in every event, e.g. "local:root" */
    int64_t now;            /* Unix seconds; 0 = the current time */
};

struct rw_sec_ca_opts {
    const char *cn;
    const char *org;        /* optional */
    const char *parent_id;  /* NULL: a self-signed root */
    enum rw_key_alg alg;
    int path_len;           /* -1 = none */
    int64_t ttl;            /* seconds; 0 = default; clipped to the parent's notAfter */
};

/* Creates a root or intermediate CA; its id (a unique slug of the CN) is
 * written to id_out. Refuses a disabled parent or one whose path length
 * leaves no room (STATE), an unknown parent (NOT_FOUND). */
RW_RESULT rw_sec_ca_create(const struct rw_sec_ca *ca, const struct rw_sec_ca_opts *o,
                           char id_out[RW_STORE_ID_MAX]);

struct rw_sec_issue_opts {
    const char *ca_id;      /* NULL: the store's default issuing CA */
    const char *principal;  /* NULL with a CSR: the CSR's CN */
    enum rw_role role;
    const char *const *dns; /* SAN DNS names; only the broker role takes names */
    size_t n_dns;
    const char *const *ips;
    size_t n_ips;
    int64_t ttl;            /* seconds; 0 = default; clipped to the CA's notAfter */
    enum rw_key_alg alg;    /* for server-side key generation */
    /* Runs inside the issuing transaction once the certificate and its
     * cert.issued event are recorded, before the commit: a failure rolls
     * all of it back. For a mutation that must land with the certificate
     * or not at all (an approval, a token's use, a supersession). It must
     * not begin a transaction. NULL: none. */
    RW_RESULT (*in_tx)(void *arg, X509 *cert);
    void *in_tx_arg;
};

/* Generates a key and issues a certificate. The key is returned once
 * (caller frees) and never stored. */
RW_RESULT rw_sec_ca_issue(const struct rw_sec_ca *ca, const struct rw_sec_issue_opts *o,
                          X509 **cert_out, EVP_PKEY **key_out);

/* Signs a PKCS#10 request (PEM or DER). Only the public key and the names
 * the profile allows are taken from it (CN as principal unless o->principal
 * is given, in which case they must match; SAN DNS/IP for brokers). */
RW_RESULT rw_sec_ca_sign_csr(const struct rw_sec_ca *ca, const uint8_t *csr, size_t csr_len,
                             const struct rw_sec_issue_opts *o, X509 **cert_out);

/* Revokes a certificate by serial. NOT_FOUND for an unknown serial, STATE
 * when already revoked or when it is a root. */
RW_RESULT rw_sec_ca_revoke(const struct rw_sec_ca *ca, const uint8_t *serial, size_t serial_len,
                           int reason);

/* Signs a fresh CRL for one CA with the next CRL number. */
RW_RESULT rw_sec_ca_crl(const struct rw_sec_ca *ca, const char *ca_id, X509_CRL **out);

/* Marks a CA disabled (no more issuing; still trusted until revoked). */
RW_RESULT rw_sec_ca_disable(const struct rw_sec_ca *ca, const char *ca_id);

/* The chain PEM of a CA: the CA, then each parent up to the root. */
RW_RESULT rw_sec_ca_chain_pem(struct rw_store *s, const char *ca_id, char **pem, size_t *len);

/* The id of the default issuing CA (meta "default_ca"), else the newest CA. */
RW_RESULT rw_sec_ca_default_id(struct rw_store *s, char out[RW_STORE_ID_MAX]);

/* True when the store was initialised with --insecure-dev-keys (plaintext
 * CA keys allowed; every start should warn). */
bool rw_sec_ca_dev_keys(struct rw_store *s);

/* A frozen trust snapshot of every CA in the store and every revocation
 * recorded in it. */
RW_RESULT rw_sec_ca_trust_build(struct rw_store *s, struct rw_sec_trust **out);

/* Unique CA id from a CN: lower-case, runs of other characters become '-'. */
RW_RESULT rw_sec_ca_slug(struct rw_store *s, const char *cn, char out[RW_STORE_ID_MAX]);

#endif
