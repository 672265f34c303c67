/* security/sec_csr.h — PKCS#10 requests: parse, prove possession, read names.
 *
 * Only the public key and the allowed names are ever taken from a CSR;
 * extensions come from the profile, never from the request.
 */
#ifndef RW_SEC_CSR_H
#define RW_SEC_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"

#define RW_CSR_MAX_BYTES 16384

/* Accepts PEM or DER. Errors, each with a reason in rw_err_detail:
 *   RW_ERR_PROTO_TOO_LARGE  more than RW_CSR_MAX_BYTES
 *   RW_ERR_PROTO_MALFORMED  not a CSR / trailing garbage / truncated PEM
 *   RW_ERR_AUTH_BAD_SIGNATURE the self-signature does not verify
 *   RW_ERR_AUTH_PROFILE     weak key (RSA < 2048, DSA) or weak signature (MD5/SHA-1) */
RW_RESULT rw_sec_csr_parse(const uint8_t *data, size_t len, X509_REQ **out);

struct rw_sec_csr_names {
    char cn[65];          /* "" when the CSR has no CN */
    char **dns;           /* requested SAN DNS names, owned */
    size_t n_dns;
    char **ips;           /* requested SAN IPs as text, owned */
    size_t n_ips;
};

/* Reads the subject CN and the SAN DNS/IP names a CSR requests. */
RW_RESULT rw_sec_csr_names(X509_REQ *req, struct rw_sec_csr_names *out);
void rw_sec_csr_names_cleanup(struct rw_sec_csr_names *n);

#endif
