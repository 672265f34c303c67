/* security/sec_profile.h — the strict certificate profile (private to
 * security/: sec_verify.c and sec_trust.c use it).
 *
 * DESIGN.md security rule 2, the parts OpenSSL's path builder does not
 * enforce (or enforces only at some security level): X.509 v3, a positive
 * serial of 1..20 octets, no MD5/SHA-1 signatures, no DSA, no RSA below
 * 2048 bits, a leaf that is not a CA and whose EKU explicitly names the
 * purpose. Each rule fails with AUTH_PROFILE (AUTH_WRONG_USAGE for the EKU)
 * and the detail "profile: <rule> (certificate at depth N, <subject>)".
 */
#ifndef RW_SEC_PROFILE_H
#define RW_SEC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"

/* Every rule over every certificate of a built chain (leaf first).
 * `client`: true for clientAuth, false for serverAuth. */
RW_RESULT rw_sec_profile_check_chain(STACK_OF(X509) *chain, bool client);

/* The individual rules; `depth` only names the certificate in the detail. */
RW_RESULT rw_sec_profile_version(X509 *cert, int depth);
RW_RESULT rw_sec_profile_serial(X509 *cert, int depth);
RW_RESULT rw_sec_profile_signature(X509 *cert, int depth);
RW_RESULT rw_sec_profile_key(X509 *cert, int depth);
RW_RESULT rw_sec_profile_leaf_not_ca(X509 *cert, int depth);
RW_RESULT rw_sec_profile_leaf_eku(X509 *cert, int depth, bool client);

/* Formatting shared by the verifier and the trust snapshot: a name (or a
 * certificate's subject) as an RFC 2253 string, truncated to fit, and an
 * ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ". */
void rw_sec_name_str(const X509_NAME *name, char *out, size_t cap);
void rw_sec_subject_str(const X509 *cert, char *out, size_t cap);
void rw_sec_time_str(const ASN1_TIME *t, char *out, size_t cap);

#endif
