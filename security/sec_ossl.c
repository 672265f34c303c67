/* security/sec_ossl.c — OpenSSL error draining, time and serial helpers. */
#include "security/sec_ossl.h"

#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/rw_buf.h"
#include "core/rw_hex.h"

struct rw_result rw_sec_ossl_fail(enum rw_err e, const char *what)
{
    rw_err_detail_set("%s", what);
    unsigned long code;
    const char *sep = ": ";
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof(buf));
        rw_err_detail_append("%s%s", sep, buf);
        sep = "; ";
    }
    return RW_ERR(e);
}

struct rw_result rw_sec_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    RW_ENSURE(t && ASN1_TIME_to_tm(t, &tm) == 1, RW_ERR_PROTO_MALFORMED);
    *out = (int64_t)timegm(&tm);
    return RW_SUCCESS;
}

struct rw_result rw_sec_cert_serial(const X509 *cert, uint8_t *out, size_t cap, size_t *len)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    RW_ENSURE(sn, RW_ERR_PROTO_MALFORMED);
    RW_ENSURE_MSG(ASN1_STRING_type(sn) != V_ASN1_NEG_INTEGER, RW_ERR_AUTH_PROFILE,
                  "serial number is negative");
    int n = ASN1_STRING_length(sn);
    const unsigned char *p = ASN1_STRING_get0_data(sn);
    /* Skip leading zero octets of the magnitude. */
    while (n > 0 && p[0] == 0) {
        p++;
        n--;
    }
    RW_ENSURE_MSG(n > 0, RW_ERR_AUTH_PROFILE, "serial number is zero");
    RW_ENSURE_MSG((size_t)n <= cap, RW_ERR_AUTH_PROFILE, "serial number longer than %zu octets",
                  cap);
    memcpy(out, p, (size_t)n);
    *len = (size_t)n;
    return RW_SUCCESS;
}

void rw_sec_cert_serial_hex(const X509 *cert, char *out, size_t cap)
{
    uint8_t serial[64];
    size_t n = 0;
    if (cap == 0) {
        return;
    }
    out[0] = '\0';
    if (!rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &n)) || 2 * n + 1 > cap) {
        snprintf(out, cap, "?");
        return;
    }
    rw_hex_encode(serial, n, out);
}

struct rw_result rw_sec_x509_from_der(const uint8_t *der, size_t len, X509 **out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        return rw_sec_ossl_fail(RW_ERR_PROTO_MALFORMED, "not a DER certificate");
    }
    if (p != der + len) {
        X509_free(x);
        RW_BAIL_MSG(RW_ERR_PROTO_MALFORMED, "trailing bytes after DER certificate");
    }
    *out = x;
    return RW_SUCCESS;
}

struct rw_result rw_sec_x509_to_der(X509 *cert, uint8_t **der, size_t *len)
{
    unsigned char *buf = NULL;
    int n = i2d_X509(cert, &buf);
    if (n <= 0) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot encode certificate");
    }
    *der = buf;
    *len = (size_t)n;
    return RW_SUCCESS;
}

struct rw_result rw_sec_x509_stack_from_pem(const char *pem, size_t len, STACK_OF(X509) **out)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = sk_X509_new_null();
    struct rw_result r = RW_SUCCESS;
    if (!bio || !sk) {
        r = RW_ERR(RW_ERR_NOMEM);
        goto out;
    }
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(sk, x)) {
            X509_free(x);
            r = RW_ERR(RW_ERR_NOMEM);
            goto out;
        }
    }
    unsigned long e = ERR_peek_last_error();
    if (sk_X509_num(sk) == 0 ||
        !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        r = rw_sec_ossl_fail(RW_ERR_PROTO_MALFORMED, sk_X509_num(sk) == 0
                                                         ? "no PEM certificate found"
                                                         : "truncated or damaged PEM certificate");
        goto out;
    }
    ERR_clear_error();
out:
    BIO_free(bio);
    if (rw_ok(r)) {
        *out = sk;
    } else {
        sk_X509_pop_free(sk, X509_free);
    }
    return r;
}

struct rw_result rw_sec_x509_stack_from_file(const char *path, STACK_OF(X509) **out)
{
    struct rw_buf b;
    rw_buf_init(&b, 16u << 20);
    struct rw_result r = rw_buf_read_file(&b, path);
    if (rw_ok(r)) {
        r = rw_sec_x509_stack_from_pem((const char *)b.data, b.len, out);
        if (!rw_ok(r)) {
            rw_err_detail_append(" (in %s)", path);
        }
    }
    rw_buf_cleanup(&b);
    return r;
}

static struct rw_result crl_push(STACK_OF(X509_CRL) *out, X509_CRL *crl)
{
    if (!sk_X509_CRL_push(out, crl)) {
        X509_CRL_free(crl);
        RW_BAIL(RW_ERR_NOMEM);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_crl_stack_from_buf(const uint8_t *data, size_t len, STACK_OF(X509_CRL) *out)
{
    ERR_clear_error();
    RW_ENSURE_MSG(len <= INT_MAX, RW_ERR_PROTO_TOO_LARGE, "CRL data larger than 2 GiB");
    if (len < 10 || !memmem(data, len, "-----BEGIN", 10)) {
        const unsigned char *p = data;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        if (!crl || p != data + len) {
            X509_CRL_free(crl);
            return rw_sec_ossl_fail(RW_ERR_PROTO_MALFORMED, "not a PEM or DER CRL");
        }
        return crl_push(out, crl);
    }
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    RW_ENSURE(bio, RW_ERR_NOMEM);
    X509_CRL *crl;
    struct rw_result r = RW_SUCCESS;
    while (rw_ok(r) && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        r = crl_push(out, crl);
    }
    BIO_free(bio);
    RW_GUARD(r);
    unsigned long e = ERR_peek_last_error();
    if (sk_X509_CRL_num(out) == 0 ||
        !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        return rw_sec_ossl_fail(RW_ERR_PROTO_MALFORMED, sk_X509_CRL_num(out) == 0
                                                            ? "no PEM CRL found"
                                                            : "truncated or damaged PEM CRL");
    }
    ERR_clear_error();
    return RW_SUCCESS;
}
