/* tests/testlib/tl_pki.h — a test PKI builder over raw OpenSSL.
 *
 * It deliberately does not use security/sec_cert.h: it must be able to
 * make certificates the real CA never would (v1, negative or zero or
 * 21-octet serials, SHA-1/MD5 signatures, small RSA, DSA, CA leaves, no
 * EKU). Every function aborts the test process on an OpenSSL failure, so
 * callers need not check results. The caller owns every returned object.
 */
#ifndef RW_TL_PKI_H
#define RW_TL_PKI_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* "p256" (default for NULL), "p384", "rsa1024", "rsa2048", "dsa"
 * (1024-bit), "ed25519". */
EVP_PKEY *tl_key(const char *alg);

struct tl_cert_opts {
    const char *cn;      /* subject CN; NULL = no subject at all */
    bool ca;             /* basicConstraints CA:TRUE + keyCertSign,cRLSign */
    int pathlen;         /* CA only: pathlen:N when >= 0; -1 = no limit */
    const char *eku;     /* "clientAuth", "serverAuth", "serverAuth,clientAuth"; NULL = none */
    const char *san;     /* e.g. "URI:ringward:principal:alice,DNS:localhost,IP:127.0.0.1" */
    int version;         /* 3 (0 = 3) or 1; a v1 certificate has no extensions */
    const char *md;      /* "sha256" (NULL), "sha384", "sha1", "md5"; ignored for ed25519 */
    long not_before_offset; /* seconds from now; 0 = -1 hour */
    long not_after_offset;  /* seconds from now; 0 = +30 days */
    const unsigned char *serial; /* big-endian magnitude; NULL = 16 random octets */
    int serial_len;
    bool negative_serial;
};

/* Sensible defaults: a clientAuth leaf named `cn`, or a CA (pathlen -1). */
struct tl_cert_opts tl_leaf_opts(const char *cn);
struct tl_cert_opts tl_ca_opts(const char *cn);

/* Issues a certificate for `key`, signed by issuer_key; issuer NULL makes it
 * self-signed (issuer_key is then `key`'s private half, may be NULL). */
X509 *tl_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const struct tl_cert_opts *o);

/* A copy of `cert` whose last DER octet (inside the signature) is flipped. */
X509 *tl_corrupt_signature(X509 *cert);

/* A v2 CRL by `ca` revoking `revoked` (reason keyCompromise), nextUpdate
 * `next_update_offset` seconds from now (0 = +7 days), with an AKI. */
X509_CRL *tl_crl(X509 *ca, EVP_PKEY *ca_key, X509 **revoked, int n, long next_update_offset);

/* File writers; true on success. tl_write_pem truncates, tl_append_pem and
 * tl_write_crl append (so several CRLs can share one file). */
bool tl_write_pem(const char *path, X509 *cert);
bool tl_append_pem(const char *path, X509 *cert);
bool tl_write_crl(const char *path, X509_CRL *crl, bool der);

/* root (self-signed CA, pathlen 1) -> intermediate (CA, pathlen 0) -> leaf,
 * all P-256 / SHA-256 unless the leaf options say otherwise. */
struct tl_chain {
    EVP_PKEY *root_key, *int_key, *leaf_key;
    X509 *root, *inter, *leaf;
};

/* leaf_opts NULL = tl_leaf_opts("alice") with SAN
 * "URI:ringward:principal:alice,URI:ringward:role:producer". leaf_alg NULL = p256. */
void tl_chain_make(struct tl_chain *c, const struct tl_cert_opts *leaf_opts, const char *leaf_alg);
void tl_chain_free(struct tl_chain *c);

#endif
