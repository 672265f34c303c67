/* admin/adm_csr.h — making a PKCS#10 request locally (certs request/renew).
 * The key never leaves the caller; only the CSR (public key + CN) does. */
#ifndef RW_ADM_CSR_H
#define RW_ADM_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/rw_result.h"

/* A DER CSR with subject CN=cn for `key`, self-signed (SHA-256, or pure
 * for Ed25519). The caller frees *der with OPENSSL_free. */
RW_RESULT adm_csr_make(EVP_PKEY *key, const char *cn, uint8_t **der, size_t *len);

#endif
