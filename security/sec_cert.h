/* security/sec_cert.h — building X.509 v3 certificates (no store access).
 *
 * Signatures: SHA-256 for P-256 and RSA, SHA-384 for P-384, none (pure)
 * for Ed25519. Every certificate gets SKI; every non-root gets AKI (keyid).
 * The caller owns every object it passes and every object returned.
 */
#ifndef RW_SEC_CERT_H
#define RW_SEC_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_names.h"

#define RW_SERIAL_LEN 16

/* 16 random octets, top bit clear, never all zero. */
RW_RESULT rw_sec_serial_random(uint8_t out[RW_SERIAL_LEN]);

struct rw_sec_ca_spec {
    const char *cn;           /* required */
    const char *org;          /* optional */
    int path_len;             /* -1 = no pathLenConstraint */
    int64_t not_before;       /* Unix seconds */
    int64_t not_after;
    const uint8_t *serial;    /* serial_len octets, big-endian */
    size_t serial_len;
};

/* Self-signed root: basicConstraints critical CA:TRUE[,pathlen],
 * keyUsage critical keyCertSign|cRLSign, SKI. */
RW_RESULT rw_sec_cert_make_root(EVP_PKEY *key, const struct rw_sec_ca_spec *spec, X509 **out);

/* Intermediate signed by `parent`/`parent_key`: as a root plus AKI. */
RW_RESULT rw_sec_cert_make_intermediate(EVP_PKEY *subject_key, X509 *parent, EVP_PKEY *parent_key,
                                        const struct rw_sec_ca_spec *spec, X509 **out);

struct rw_sec_leaf_spec {
    const char *principal;        /* subject CN and SAN URI ringward:principal:<name> */
    enum rw_role role;            /* also SAN URI ringward:role:<role> */
    const char *const *dns;       /* SAN DNS names (broker role; others may have none) */
    size_t n_dns;
    const char *const *ips;       /* SAN IPs, textual v4/v6 */
    size_t n_ips;
    int64_t not_before;
    int64_t not_after;
    const uint8_t *serial;
    size_t serial_len;
};

/* End-entity certificate: basicConstraints critical CA:FALSE, keyUsage
 * critical digitalSignature (+keyEncipherment for RSA), EKU from the role
 * (broker: serverAuth+clientAuth; others: clientAuth), SAN as above,
 * SKI, AKI. `subject_key` may hold only a public key. Rejects principal
 * names that are empty, longer than 64 bytes, or hold control characters
 * (RW_ERR_USAGE). */
RW_RESULT rw_sec_cert_make_leaf(EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
                                const struct rw_sec_leaf_spec *spec, X509 **out);

/* The principal-name rule used by rw_sec_cert_make_leaf: 1..64 bytes of
 * printable ASCII, none of / , + = " \ < > ; and no space at either end.
 * RW_ERR_USAGE with the reason otherwise. */
RW_RESULT rw_sec_principal_check(const char *principal);

/* A positive ASN1_INTEGER from big-endian serial octets (leading zero
 * octets ignored): RW_ERR_USAGE when empty, zero, or its DER encoding
 * would exceed 20 octets. The caller frees *out (ASN1_INTEGER_free). */
RW_RESULT rw_sec_serial_to_asn1(const uint8_t *serial, size_t len, ASN1_INTEGER **out);

/* PEM text of one certificate appended to a heap string (*pem may be NULL
 * at first; it is realloc'ed). */
RW_RESULT rw_sec_cert_append_pem(X509 *cert, char **pem, size_t *len);

#endif
