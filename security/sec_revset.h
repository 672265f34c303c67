/* security/sec_revset.h — the revocation set: (issuer, serial) -> reason.
 *
 * An open-addressing hash table keyed by an 8-byte digest of the issuer's
 * name (SHA-256 of its DER, truncated) and the serial's magnitude octets
 * (at most 20). O(1) lookup; at most 64 bytes per entry at scale; a
 * million entries load well under a second. Not thread-safe for writes:
 * build it, then share it read-only (it lives inside an immutable trust
 * snapshot).
 */
#ifndef RW_SEC_REVSET_H
#define RW_SEC_REVSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"

struct rw_sec_revset;

/* `expected` sizes the table up front (0 is fine); NULL on out of memory. */
struct rw_sec_revset *rw_sec_revset_new(size_t expected);
void rw_sec_revset_free(struct rw_sec_revset *set); /* NULL is fine */
/* A copy of `src` with room for `extra` more entries (two memcpys, no
 * rehash: a revocation added to a million-entry set costs milliseconds,
 * not a reload). NULL on out of memory. */
struct rw_sec_revset *rw_sec_revset_clone(const struct rw_sec_revset *src, size_t extra);

/* Issuer digest of a name; used as the first half of the key. */
RW_RESULT rw_sec_revset_issuer_id(const X509_NAME *issuer, uint64_t *out);

/* Adds an entry; a duplicate keeps the first reason. USAGE when the serial
 * is empty or longer than 20 octets. */
RW_RESULT rw_sec_revset_add(struct rw_sec_revset *set, uint64_t issuer_id, const uint8_t *serial,
                            size_t serial_len, int reason);
/* Every revoked entry of a CRL (whose signature the caller has checked). */
RW_RESULT rw_sec_revset_add_crl(struct rw_sec_revset *set, const X509_CRL *crl);

/* True when `cert` (by its issuer name and serial) is in the set;
 * *reason gets the reason code when non-NULL. */
bool rw_sec_revset_contains(const struct rw_sec_revset *set, const X509 *cert, int *reason);
bool rw_sec_revset_lookup(const struct rw_sec_revset *set, uint64_t issuer_id,
                          const uint8_t *serial, size_t serial_len, int *reason);
size_t rw_sec_revset_count(const struct rw_sec_revset *set);
/* Bytes the table holds (for the ≤ 64 bytes/entry budget). */
size_t rw_sec_revset_memory(const struct rw_sec_revset *set);

#endif
