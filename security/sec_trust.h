/* security/sec_trust.h — the cached CA set: an immutable trust snapshot.
 *
 * A snapshot is built (add CAs, revocations, CRLs), then frozen; after
 * rw_sec_trust_freeze it never changes and may be shared by any number of
 * threads through rw_sec_trust_ref/unref (atomic reference count). A
 * change builds a new snapshot; verifications in flight finish on the old.
 *
 * It owns: an X509_STORE holding every CA certificate (self-signed roots
 * are the anchors; intermediates complete chains, since no partial chains
 * are accepted), and the revocation set.
 */
#ifndef RW_SEC_TRUST_H
#define RW_SEC_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_revset.h"

struct rw_sec_trust;

struct rw_sec_trust *rw_sec_trust_new(void); /* NULL on out of memory */

/* Adds a CA certificate (up-ref'ed). USAGE when it is not a CA. */
RW_RESULT rw_sec_trust_add_ca(struct rw_sec_trust *t, X509 *ca);
/* Adds every certificate of a PEM bundle file as a CA. */
RW_RESULT rw_sec_trust_add_bundle_file(struct rw_sec_trust *t, const char *path);
/* Adds one revocation by issuer certificate and serial octets. */
RW_RESULT rw_sec_trust_add_revocation(struct rw_sec_trust *t, X509 *issuer, const uint8_t *serial,
                                      size_t serial_len, int reason);
/* Verifies the CRL's signature against its issuer among the CAs already
 * added, checks nextUpdate against `now`, then adds its entries.
 * AUTH_UNKNOWN_CA (no issuer), AUTH_BAD_SIGNATURE, AUTH_EXPIRED (nextUpdate
 * passed), PROTO_MALFORMED; on error nothing is added. */
RW_RESULT rw_sec_trust_add_crl(struct rw_sec_trust *t, X509_CRL *crl, int64_t now);
/* Reads one or more CRLs (PEM or DER) from a file and adds each. */
RW_RESULT rw_sec_trust_add_crl_file(struct rw_sec_trust *t, const char *path, int64_t now);

/* A new, writable snapshot with `base`'s CA set (shared, not copied: no CA
 * can be added to it) and a copy of its revocations with room for `extra`
 * more: how a revocation reaches the brokers without reloading the whole
 * set. `base` must be frozen and stays unchanged. */
RW_RESULT rw_sec_trust_extend(const struct rw_sec_trust *base, size_t extra,
                              struct rw_sec_trust **out);
/* Adds one revocation by issuer id (rw_sec_revset_issuer_id of the
 * issuer's subject name) and serial octets. */
RW_RESULT rw_sec_trust_add_revocation_id(struct rw_sec_trust *t, uint64_t issuer_id,
                                         const uint8_t *serial, size_t serial_len, int reason);
/* Makes the snapshot immutable. Adding after this is RW_ERR_STATE. */
RW_RESULT rw_sec_trust_freeze(struct rw_sec_trust *t);

/* True once rw_sec_trust_freeze has succeeded (the verifier requires it). */
bool rw_sec_trust_frozen(const struct rw_sec_trust *t);

struct rw_sec_trust *rw_sec_trust_ref(struct rw_sec_trust *t);
void rw_sec_trust_unref(struct rw_sec_trust *t); /* NULL is fine */

/* Read access for the verifier (valid while a reference is held). */
X509_STORE *rw_sec_trust_store(const struct rw_sec_trust *t);
const struct rw_sec_revset *rw_sec_trust_revset(const struct rw_sec_trust *t);
size_t rw_sec_trust_ca_count(const struct rw_sec_trust *t);

#endif
