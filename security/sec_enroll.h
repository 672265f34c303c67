/* security/sec_enroll.h — machines enrolling themselves (the Caramel pattern).
 *
 * Enrollment tokens: 32 random bytes shown once as "rwt_" + base64url; the
 * store keeps only their SHA-256, bound to one principal and one role,
 * usable once, until an expiry. CSR requests: a CSR submitted without a
 * token waits as `pending` until an operator approves (the CA signs it) or
 * rejects it. Every mutation writes its event (token.created, token.used,
 * csr.requested, csr.approved, csr.rejected) with the actor, in the same
 * transaction as the change. Failures set rw_err_detail().
 *
 * Not atomic with the signing: approval signs first (cert.issued, its own
 * transaction in security/sec_ca.c) and then records the approval; a crash
 * in between leaves the request pending beside an issued certificate (an
 * operator approves again). Redeeming a token marks it used before the
 * caller signs, so a failed signing burns the token rather than letting it
 * be used twice.
 */
#ifndef RW_SEC_ENROLL_H
#define RW_SEC_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_ca.h"
#include "security/sec_names.h"
#include "security/store/store.h"

#define RW_ENROLL_TOKEN_PREFIX "rwt_"
#define RW_ENROLL_TOKEN_TEXT 48               /* "rwt_" + 43 base64url + NUL, rounded */
#define RW_ENROLL_TOKEN_DEFAULT_TTL 3600
#define RW_ENROLL_TOKEN_MAX_TTL (30LL * 86400)

/* Creates a token for (principal, role) valid for ttl seconds (0 = 1 h,
 * at most 30 days) from `now` (0 = current time). The token text goes to
 * `token` (the only copy: show it once, wipe it); its expiry to
 * *expires_at (may be NULL). */
RW_RESULT rw_sec_enroll_token_create(struct rw_store *s, const char *actor, const char *principal,
                                     enum rw_role role, int64_t ttl, int64_t now,
                                     char token[RW_ENROLL_TOKEN_TEXT], int64_t *expires_at);

/* Redeems a token for (principal, role) at `now` (0 = current time): marks
 * it used with a token.used event. AUTH_INVALID for an unknown, malformed
 * or already used token, AUTH_EXPIRED past its expiry, AUTH_NAME_MISMATCH
 * when it is bound to another principal or role (the token stays unused
 * in the last two cases). */
RW_RESULT rw_sec_enroll_token_redeem(struct rw_store *s, const char *actor, const char *token,
                                     const char *principal, enum rw_role role, int64_t now);

/* The same inside the caller's transaction (e.g. an issuing one, through
 * rw_sec_issue_opts.in_tx, so the token is used only if the certificate
 * is recorded). */
RW_RESULT rw_sec_enroll_token_redeem_in_tx(struct rw_store *s, const char *actor,
                                           const char *token, const char *principal,
                                           enum rw_role role, int64_t now);

/* Parses and checks a CSR for enrollment: its signature, a CN that is a
 * valid principal (copied to principal_out). PROTO_* / AUTH_* / USAGE. */
RW_RESULT rw_sec_enroll_csr_check(const uint8_t *csr, size_t len,
                                  char principal_out[RW_STORE_NAME_MAX]);

/* Records a pending request for the CSR's CN and `role` (csr.requested).
 * RW_ERR_LIMIT when `max_pending` requests (0 = no limit) already wait. */
RW_RESULT rw_sec_enroll_request_submit(struct rw_store *s, const char *actor, const uint8_t *csr,
                                       size_t len, enum rw_role role, size_t max_pending,
                                       int64_t *id_out);

/* Signs a pending request's CSR with `ca` (its default issuing CA) for the
 * requested principal and role and marks it approved (csr.approved), in
 * one transaction.
 * STATE when the request is not pending. The certificate goes to
 * *cert_out (caller frees; may be NULL). */
RW_RESULT rw_sec_enroll_request_approve(const struct rw_sec_ca *ca, int64_t id, int64_t ttl,
                                        X509 **cert_out);

/* A pending request's poll secret (64 hex characters; sec_enroll_poll.c):
 * given to the submitter by Enroll, required by EnrollStatus, so a request
 * id alone (ids are sequential) reveals nothing. */
#define RW_ENROLL_POLL_SECRET_TEXT 65
RW_RESULT rw_sec_enroll_poll_secret(struct rw_store *s, int64_t id,
                                    char out[RW_ENROLL_POLL_SECRET_TEXT]);
/* AUTH_INVALID unless `secret` is the poll secret of request `id`. */
RW_RESULT rw_sec_enroll_poll_check(struct rw_store *s, int64_t id, const char *secret);

/* Marks a pending request rejected (csr.rejected, with the reason). */
RW_RESULT rw_sec_enroll_request_reject(struct rw_store *s, const char *actor, int64_t id,
                                       const char *reason);

#endif
