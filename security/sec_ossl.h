/* security/sec_ossl.h — small helpers shared by every OpenSSL caller. */
#ifndef RW_SEC_OSSL_H
#define RW_SEC_OSSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "core/rw_result.h"

/* Sets rw_err_detail to "what: <drained OpenSSL error queue>" and clears
 * the queue. Returns RW_ERR(e) for convenient `return`. */
struct rw_result rw_sec_ossl_fail(enum rw_err e, const char *what);

/* Unix seconds <-> ASN1_TIME. */
RW_RESULT rw_sec_time_to_unix(const ASN1_TIME *t, int64_t *out);

/* Serial bytes (big-endian magnitude) of a certificate; false if negative,
 * zero or longer than `cap`. */
RW_RESULT rw_sec_cert_serial(const X509 *cert, uint8_t *out, size_t cap, size_t *len);

/* Upper-case hex serial of a certificate into out (>= 2*20+1 bytes). */
void rw_sec_cert_serial_hex(const X509 *cert, char *out, size_t cap);

/* DER <-> X509, PEM helpers. Parsing errors are RW_ERR_PROTO_MALFORMED. */
RW_RESULT rw_sec_x509_from_der(const uint8_t *der, size_t len, X509 **out);
RW_RESULT rw_sec_x509_to_der(X509 *cert, uint8_t **der, size_t *len); /* free with OPENSSL_free */
/* Every certificate in a PEM text; at least one, else PROTO_MALFORMED. */
RW_RESULT rw_sec_x509_stack_from_pem(const char *pem, size_t len, STACK_OF(X509) **out);
RW_RESULT rw_sec_x509_stack_from_file(const char *path, STACK_OF(X509) **out);

/* Every CRL of a PEM text, or the one DER CRL filling the bytes, pushed
 * onto `out` (which the caller owns). PROTO_MALFORMED for anything else. */
RW_RESULT rw_sec_crl_stack_from_buf(const uint8_t *data, size_t len, STACK_OF(X509_CRL) *out);

#endif
