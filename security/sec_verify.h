/* security/sec_verify.h — chain verification: path building + strict profile.
 *
 * rw_sec_verify runs OpenSSL's path builder (X509_verify_cert) against a
 * frozen trust snapshot at a given time, then our strict profile on every
 * certificate of the built chain (DESIGN.md, security rule 2):
 *   - X.509 v3 only; serial positive, 1..20 octets;
 *   - no MD5/SHA-1 signatures; no RSA < 2048; no DSA;
 *   - the leaf is not a CA;
 *   - the EKU required for the purpose is present explicitly
 *     (clientAuth for clients, serverAuth for servers);
 *   - every certificate valid at the time;
 *   - no certificate of the chain in the revocation set;
 *   - for servers with opts.name: the name matches a SAN (never the CN).
 * On success the identity is filled; on rejection the result is an AUTH_*
 * error and rw_err_detail() holds a reason a human can act on.
 */
#ifndef RW_SEC_VERIFY_H
#define RW_SEC_VERIFY_H

#include <stdint.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_names.h"
#include "security/sec_trust.h"

enum rw_sec_purpose { RW_PURPOSE_CLIENT, RW_PURPOSE_SERVER };

enum rw_sec_principal_src {
    RW_PRINCIPAL_CN,      /* subject CN (default) */
    RW_PRINCIPAL_SAN_URI, /* first SAN URI; "ringward:principal:" prefix stripped */
    RW_PRINCIPAL_SAN_DNS, /* first SAN DNS name */
};

struct rw_sec_verify_opts {
    enum rw_sec_purpose purpose;
    int64_t at;             /* Unix seconds; 0 = now */
    int max_depth;          /* certificates above the leaf; 0 = default (4) */
    const char *name;       /* server purpose: DNS name or IP to match in SAN; NULL = none */
    enum rw_sec_principal_src principal_src;
};

#define RW_PRINCIPAL_MAX 256

struct rw_sec_identity {
    char principal[RW_PRINCIPAL_MAX];
    enum rw_role role;      /* from SAN URI ringward:role:<role>; NONE for foreign certs */
    int64_t not_after;      /* earliest notAfter of the chain */
    int chain_len;          /* certificates in the built chain, leaf and anchor included */
};

/* leaf: the end-entity certificate; untrusted: extra certificates the peer
 * sent (may be NULL). Errors: AUTH_UNKNOWN_CA, AUTH_BAD_SIGNATURE,
 * AUTH_EXPIRED, AUTH_NOT_YET_VALID, AUTH_REVOKED, AUTH_WRONG_USAGE,
 * AUTH_PROFILE, AUTH_NAME_MISMATCH, AUTH_INVALID (other path errors),
 * AUTH_NO_CERT (leaf NULL). */
RW_RESULT rw_sec_verify(const struct rw_sec_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                        const struct rw_sec_verify_opts *opts, struct rw_sec_identity *id);

#endif
