/* security/sec_ec_fast.h — the process-wide switch that parses and verifies
 * EC public keys with OpenSSL's built-in EC code instead of the 3.0
 * provider decoder.
 *
 * Why: in OpenSSL 3.0, d2i_X509 decodes the certificate's public key
 * through OSSL_DECODER (~90 µs for a P-256 key on our machines, against
 * ~12 µs for the built-in EC decoder), and libssl parses every certificate
 * a client sends. OpenSSL takes its built-in path for a key type when an
 * ENGINE offers a method for it, so enabling registers one ENGINE whose
 * only method is a copy of OpenSSL's own EC method: parsing a leaf and
 * verifying its CertificateVerify drops from ~177 µs to ~70 µs. The TLS
 * server key libssl loads stays a provider key; EC keys that sign
 * certificates and CRLs go through rw_sec_ec_fast_adapt below; Ed25519
 * and RSA keys are untouched. The signature checks are OpenSSL's own ECDSA
 * either way.
 *
 * Not for a FIPS-provider build: the built-in path bypasses providers.
 * Enable once at start, before any thread uses OpenSSL; disable after the
 * last SSL object is freed.
 */
#ifndef RW_SEC_EC_FAST_H
#define RW_SEC_EC_FAST_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "core/rw_result.h"

RW_RESULT rw_sec_ec_fast_enable(void); /* enabling twice is fine */
void rw_sec_ec_fast_disable(void);     /* fine when not enabled */
bool rw_sec_ec_fast_enabled(void);

/* While enabled, OpenSSL 3.0 signs certificates and CRLs only with
 * built-in EC private keys (a provider EC key fails in ASN1_item_sign):
 * returns `key` itself when disabled or not an EC provider key, else a
 * built-in copy, freeing `key`. NULL (key freed) when the copy fails.
 * security/sec_key.c passes every key it generates or reads through it. */
EVP_PKEY *rw_sec_ec_fast_adapt(EVP_PKEY *key);

#endif
