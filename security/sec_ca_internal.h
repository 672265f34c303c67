/* security/sec_ca_internal.h — shared by the sec_ca*.c files only. */
#ifndef RW_SEC_CA_INTERNAL_H
#define RW_SEC_CA_INTERNAL_H

#include "security/sec_ca.h"

/* A CA ready to sign: its row, certificate and decrypted key (owned). */
struct ca_signer {
    struct rw_store_ca row;
    X509 *cert;
    EVP_PKEY *key;
};

int64_t rw_sec_ca_now(const struct rw_sec_ca *ca);
/* Loads a CA and decrypts its key; `for_issuing` refuses a disabled CA. */
RW_RESULT rw_sec_ca_signer_load(const struct rw_sec_ca *ca, const char *id, bool for_issuing,
                                struct ca_signer *out);
void rw_sec_ca_signer_cleanup(struct ca_signer *s);
/* A fresh serial not yet in the store (call inside the transaction). */
RW_RESULT rw_sec_ca_fresh_serial(struct rw_store *s, uint8_t out[16]);
/* Inserts the certificate row for `cert` (inside the caller's transaction). */
RW_RESULT rw_sec_ca_record_cert(const struct rw_sec_ca *ca, X509 *cert, const char *issuer_id,
                                bool is_ca, const char *principal, const char *role);
/* Appends an event whose payload is a JSON object built from key/value
 * string pairs (NULL-terminated list), inside the caller's transaction. */
RW_RESULT rw_sec_ca_event(const struct rw_sec_ca *ca, const char *kind, const char *object, ...);
/* The transaction wrapper: commit on success, roll back on failure. */
RW_RESULT rw_sec_ca_tx_end(struct rw_store *s, struct rw_result r);

#endif
