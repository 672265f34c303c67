/* security/sec_crl.h — signing X.509 v2 CRLs (no store access). */
#ifndef RW_SEC_CRL_H
#define RW_SEC_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/rw_result.h"

struct rw_sec_crl_entry {
    const uint8_t *serial;
    size_t serial_len;
    int64_t revoked_at;
    int reason;          /* RFC 5280 code; 0 (unspecified) is written as no extension */
};

/* A v2 CRL with CRL number, thisUpdate/nextUpdate, AKI and one entry per
 * revocation (with a reasonCode extension when reason != 0). */
RW_RESULT rw_sec_crl_make(X509 *ca, EVP_PKEY *ca_key, uint64_t crl_number, int64_t this_update,
                          int64_t next_update, const struct rw_sec_crl_entry *entries, size_t n,
                          X509_CRL **out);

#endif
