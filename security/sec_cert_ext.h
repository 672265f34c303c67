/* security/sec_cert_ext.h — private to sec_cert.c / sec_cert_ext.c: the
 * X.509 v3 extension profiles. Not for other modules. */
#ifndef RW_SEC_CERT_EXT_H
#define RW_SEC_CERT_EXT_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_cert.h"

/* CA profile on `cert` (public key already set): basicConstraints critical
 * CA:TRUE[,pathlen], keyUsage critical keyCertSign|cRLSign, SKI, and AKI
 * (keyid of `issuer`) unless issuer == cert. */
RW_RESULT rw_sec_cert_ext_ca(X509 *cert, X509 *issuer, int path_len);

/* Leaf profile: basicConstraints critical CA:FALSE, keyUsage critical
 * digitalSignature (+keyEncipherment when rsa), EKU from the role, SAN
 * (principal and role URIs, DNS, IP), SKI, AKI. Bad DNS/IP → RW_ERR_USAGE. */
RW_RESULT rw_sec_cert_ext_leaf(X509 *cert, X509 *issuer, const struct rw_sec_leaf_spec *spec,
                               bool rsa);

#endif
