/* security/sec_ident.h — reading identity out of a certificate. */
#ifndef RW_SEC_IDENT_H
#define RW_SEC_IDENT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "core/rw_result.h"
#include "security/sec_names.h"

/* Subject CN (UTF-8) into out; NOT_FOUND when absent, PROTO_MALFORMED when
 * it does not fit or holds control characters or NULs. */
RW_RESULT rw_sec_cert_cn(X509 *cert, char *out, size_t cap);

/* Role from SAN URI ringward:role:<role>; RW_ROLE_NONE when absent. */
enum rw_role rw_sec_cert_role(X509 *cert);

/* First SAN URI (with the "ringward:principal:" prefix stripped when
 * present; "ringward:role:" URIs are skipped) or first SAN DNS name.
 * NOT_FOUND when there is none. */
RW_RESULT rw_sec_cert_san_uri(X509 *cert, char *out, size_t cap);
RW_RESULT rw_sec_cert_san_dns(X509 *cert, char *out, size_t cap);

#endif
