/* broker/brk_crl.h — external CRL files (--crl) and what happens when one
 * cannot be used (--crl-policy).
 *
 * Each file is read whole (PEM with one or more CRLs, or one DER CRL);
 * every CRL in it must verify against a trusted CA and be before its
 * nextUpdate, else the file as a whole is unusable. The follower thread
 * notices changes with a stat signature (device, inode, size, mtime) and
 * re-evaluates, also when a good CRL's nextUpdate passes. Replace files
 * atomically (write, then rename): a half-written file is unusable.
 *
 * An unusable file, by policy:
 *   keep-last    the last good CRLs of the file stay in force (verified at
 *                the time they were loaded); a warning is logged once and
 *                crl_failures counted.
 *   fail-closed  every issuer the file speaks for (the issuers of its last
 *                good CRLs and of any CRL the bad file still parses to) is
 *                refused: see brk_trust_build.
 * At startup every file must be usable (nothing to keep yet): the broker
 * refuses to start otherwise. Never silently open.
 *
 * Ownership: the set owns its files' CRLs and names. Used only by the
 * thread that builds trust snapshots (startup, then the follower).
 */
#ifndef RW_BRK_CRL_H
#define RW_BRK_CRL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "broker/brk_config.h"
#include "broker/brk_stats.h"
#include "core/rw_result.h"
#include "security/sec_trust.h"

struct brk_crls;

/* The files named by cfg (none is fine). `stats` is borrowed. */
RW_RESULT brk_crls_new(const struct brk_config *cfg, struct brk_stats *stats,
                       struct brk_crls **out);
void brk_crls_free(struct brk_crls *c); /* NULL is fine */

/* True when a file changed on disk, or a good CRL's nextUpdate passed,
 * since the last evaluation. Cheap: one stat per file. */
bool brk_crls_due(struct brk_crls *c, int64_t now);

/* Reads and checks every file against `probe` (a scratch snapshot holding
 * every CA; it gets the CRL entries too) at `now`, and decides what the
 * next snapshot uses. Issuer names to refuse (fail-closed) are pushed on
 * `blocked` (copies). `startup`: any unusable file is an error. */
RW_RESULT brk_crls_evaluate(struct brk_crls *c, struct rw_sec_trust *probe, int64_t now,
                            bool startup, STACK_OF(X509_NAME) *blocked);

/* Adds the CRLs chosen by the last evaluation to `t`. */
RW_RESULT brk_crls_add(struct brk_crls *c, struct rw_sec_trust *t);

/* Files unusable at the last evaluation. */
unsigned brk_crls_failing(const struct brk_crls *c);

#endif
