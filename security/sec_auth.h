/* security/sec_auth.h — the authentication manager.
 *
 * Decides who a TLS client is. Owns: the current trust snapshot (swapped
 * atomically; verifications in flight finish on the one they started with),
 * and the validation cache — keyed by SHA-256 of the exact DER chain the
 * client presented, holding the identity, the earliest notAfter of the
 * chain and the (issuer, serial) of each certificate in it. A cache hit
 * skips path building and signature checks, never revocation and expiry.
 * The cache is cleared when the trust snapshot changes; bounded, LRU.
 *
 * Thread-safe: every function may be called from any worker thread.
 * Every rejection is counted by reason and described in rw_err_detail().
 */
#ifndef RW_SEC_AUTH_H
#define RW_SEC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"

struct rw_sec_auth;

struct rw_sec_auth_cfg {
    enum rw_sec_principal_src principal_src; /* default RW_PRINCIPAL_CN */
    size_t cache_capacity;                   /* 0 = 16384 entries */
};

/* `trust` is referenced (the caller keeps its own reference). */
RW_RESULT rw_sec_auth_new(const struct rw_sec_auth_cfg *cfg, struct rw_sec_trust *trust,
                          struct rw_sec_auth **out);
void rw_sec_auth_free(struct rw_sec_auth *a); /* NULL is fine */

/* Installs a new snapshot (referenced) and clears the validation cache. */
void rw_sec_auth_set_trust(struct rw_sec_auth *a, struct rw_sec_trust *trust);
/* The current snapshot, referenced: release with rw_sec_trust_unref. */
struct rw_sec_trust *rw_sec_auth_trust(struct rw_sec_auth *a);

/* A client chain from a full handshake: leaf plus what the peer sent
 * (may be NULL). Client purpose at `now` (0 = current time). */
RW_RESULT rw_sec_auth_check_chain(struct rw_sec_auth *a, X509 *leaf, STACK_OF(X509) *sent,
                                  int64_t now, struct rw_sec_identity *id);

/* A resumed session's client certificate: re-checked for revocation (of
 * the leaf and of every CA above it in the current snapshot) and expiry. */
RW_RESULT rw_sec_auth_check_resumed(struct rw_sec_auth *a, X509 *leaf, int64_t now,
                                    struct rw_sec_identity *id);

enum rw_sec_auth_reason {
    RW_AUTH_R_NO_CERT, RW_AUTH_R_UNKNOWN_CA, RW_AUTH_R_BAD_SIGNATURE, RW_AUTH_R_EXPIRED,
    RW_AUTH_R_NOT_YET_VALID, RW_AUTH_R_REVOKED, RW_AUTH_R_WRONG_USAGE, RW_AUTH_R_PROFILE,
    RW_AUTH_R_OTHER, RW_AUTH_R_COUNT
};

struct rw_sec_auth_stats {
    uint64_t accepted_full;
    uint64_t accepted_resumed;
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t rejected[RW_AUTH_R_COUNT];
};

void rw_sec_auth_stats_get(struct rw_sec_auth *a, struct rw_sec_auth_stats *out);
/* "no_cert", "unknown_ca", ... for logs and metrics. */
const char *rw_sec_auth_reason_name(enum rw_sec_auth_reason r);

/* --- Additions: the identities of an authenticated chain, so that a live
 * connection can be re-checked when a new snapshot (e.g. a revocation)
 * arrives, without parsing or path building. --- */

#define RW_SEC_CHAIN_MAX 6 /* leaf + up to 5 CAs (the verifier allows 4) */

/* One certificate as the revocation set keys it. */
struct rw_sec_cert_ref {
    uint64_t issuer_id;    /* rw_sec_revset_issuer_id(issuer name) */
    uint8_t serial_len;
    uint8_t serial[20];
};

/* The certificates of a verified chain, leaf first (the anchor included),
 * and the window in which all of them are valid. Plain data: copy freely. */
struct rw_sec_chain_ids {
    int64_t not_before;    /* latest notBefore of the chain */
    int64_t not_after;     /* earliest notAfter of the chain */
    int n;
    struct rw_sec_cert_ref certs[RW_SEC_CHAIN_MAX];
};

/* As rw_sec_auth_check_chain / rw_sec_auth_check_resumed, also filling the
 * chain's identities when `ids` is non-NULL. */
RW_RESULT rw_sec_auth_check_chain_ids(struct rw_sec_auth *a, X509 *leaf, STACK_OF(X509) *sent,
                                      int64_t now, struct rw_sec_identity *id,
                                      struct rw_sec_chain_ids *ids);
RW_RESULT rw_sec_auth_check_resumed_ids(struct rw_sec_auth *a, X509 *leaf, int64_t now,
                                        struct rw_sec_identity *id, struct rw_sec_chain_ids *ids);

/* Re-checks identities from an earlier authentication against a snapshot:
 * AUTH_REVOKED when any certificate of the chain is in its revocation set,
 * AUTH_EXPIRED / AUTH_NOT_YET_VALID outside the validity window (`now` 0 =
 * current time). No allocation, no locks: meant for sweeping every live
 * connection when a snapshot is installed. Not counted in the stats. */
RW_RESULT rw_sec_auth_chain_check(const struct rw_sec_trust *t, const struct rw_sec_chain_ids *ids,
                                  int64_t now);

#endif
