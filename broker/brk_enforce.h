/* broker/brk_enforce.h — live enforcement: the policy every worker applies
 * to its connections, and the follower handler that keeps it current.
 *
 * A policy is an immutable, reference-counted pair: the trust snapshot
 * (CAs, revocations from the store and the CRL files) and the issuers
 * refused because a CRL that speaks for them is unusable (fail-closed).
 * The enforcer builds a new one on every CA or revocation event, CRL file
 * change and SIGHUP; installs its snapshot in the authentication manager
 * first (new handshakes, cache cleared), then publishes it: every worker
 * picks it up at its next loop turn (it is woken) and re-checks each
 * established connection (brk_sweep.c). A handshake verified on the old
 * snapshot is re-checked when it becomes established, so none slips
 * between the install and the sweep.
 *
 * `acl.*` events (and SIGHUP) rebuild the ACL snapshot from the store and
 * publish it (brk_acl.c): every worker adopts it at its next loop turn,
 * requests are decided by it from then on and live subscriptions it no
 * longer allows are ended. A batch whose trust or ACL rebuild fails is
 * offered again next round, so a change is never skipped. Other event
 * kinds (issuance, enrollment) need nothing.
 */
#ifndef RW_BRK_ENFORCE_H
#define RW_BRK_ENFORCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/brk_config.h"
#include "broker/brk_crl.h"
#include "broker/brk_follow.h"
#include "core/rw_result.h"
#include "security/sec_auth.h"
#include "security/sec_trust.h"
#include "security/store/store.h"

#define BRK_BLOCKED_MAX 64

struct brk_shared;

struct brk_policy {
    _Atomic unsigned refs;
    struct rw_sec_trust *trust;      /* one reference */
    size_t n_blocked;
    uint64_t blocked[BRK_BLOCKED_MAX]; /* rw_sec_revset_issuer_id of refused issuers */
};

/* A policy with one reference and no trust yet. NULL on out of memory. */
struct brk_policy *brk_policy_new(void);
struct brk_policy *brk_policy_ref(struct brk_policy *p);
void brk_policy_unref(struct brk_policy *p); /* NULL is fine */

/* Any thread: makes `p` current (takes the caller's reference) and wakes
 * every worker that runs. */
void brk_policy_publish(struct brk_shared *sh, struct brk_policy *p);
/* The current policy, referenced; NULL before the first publish. */
struct brk_policy *brk_policy_current(struct brk_shared *sh);
/* True when a certificate of the chain was issued by a refused issuer. */
bool brk_policy_blocks(const struct brk_policy *p, const struct rw_sec_chain_ids *ids);

/* Builds the next policy's contents: the store's CAs and revocations, the
 * --trust-bundle CAs, and the CRL files (crls may be NULL). Issuers whose
 * CRL is unusable under fail-closed are refused: their CA certificates
 * are left out of the snapshot (no path builds through them), a CA among
 * them that is not self-signed is also entered as revoked (certificateHold)
 * under its issuer (so a client that sends it cannot chain through it),
 * and their issuer ids go in p->blocked for the live sweep. */
RW_RESULT brk_trust_build(struct rw_store *s, const char *bundle, struct brk_crls *crls,
                          int64_t now, bool startup, struct brk_policy *p);

/* The next policy's contents when the events only revoke: `cur`'s CA set
 * shared, its revocations copied plus each cert.revoked event's (read
 * from the store), its refused issuers kept. STATE when an event does not
 * match the store (the caller then rebuilds). */
RW_RESULT brk_trust_extend(struct rw_store *s, const struct brk_policy *cur,
                           const struct rw_store_event *ev, size_t n, struct brk_policy *out);

struct brk_enforce;

struct brk_enforce_cfg {
    const struct brk_config *cfg;
    struct brk_shared *sh;       /* borrowed; sh->auth is set before the follower starts */
    struct rw_store *store;      /* borrowed: only the follower thread uses it */
};

/* Builds and publishes the first policy and the first ACL snapshot (the
 * caller then creates the auth manager from brk_policy_current(sh)->trust).
 * Fails when a CRL file is unusable at startup or the ACL cannot be read. */
RW_RESULT brk_enforce_new(const struct brk_enforce_cfg *c, struct brk_enforce **out);
void brk_enforce_free(struct brk_enforce *e); /* NULL is fine */

/* The follower handler (events and tick run on the follower thread). */
struct brk_follow_handler brk_enforce_handler(struct brk_enforce *e);

/* The store's newest seq when the first policy was built: follow from it. */
int64_t brk_enforce_start_seq(const struct brk_enforce *e);

#endif
