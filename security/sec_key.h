/* security/sec_key.h — key generation and private-key PEM (PKCS#8).
 *
 * Encrypted keys are PKCS#8 with AES-256-CBC and PBKDF2 (OpenSSL's default
 * PBES2). Functions that return PEM text return a heap string the caller
 * frees with rw_sec_secret_free (wiped first). Keys are never logged.
 */
#ifndef RW_SEC_KEY_H
#define RW_SEC_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "core/rw_result.h"

enum rw_key_alg { RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072 };

/* "p256" (also "ec", "ecdsa-p256"), "p384", "ed25519", "rsa3072". */
bool rw_sec_key_alg_parse(const char *name, enum rw_key_alg *out);
const char *rw_sec_key_alg_name(enum rw_key_alg alg);

RW_RESULT rw_sec_key_generate(enum rw_key_alg alg, EVP_PKEY **out);

/* Identifies a (public or private) key as one we issue for: EC P-256,
 * EC P-384, Ed25519, or RSA of 2048..8192 bits (every RSA size reports
 * RW_KEY_RSA3072). Anything else (DSA, small RSA, other curves, RSA-PSS
 * restricted keys, ...) is RW_ERR_AUTH_PROFILE with the reason in
 * rw_err_detail. `alg` may be NULL. */
RW_RESULT rw_sec_key_classify(EVP_PKEY *key, enum rw_key_alg *alg);
/* The digest to sign with when `key` is the signer: SHA-256 for P-256 and
 * RSA, SHA-384 for P-384, NULL (pure) for Ed25519. Unsupported keys as in
 * rw_sec_key_classify. */
RW_RESULT rw_sec_key_sign_md(EVP_PKEY *key, const EVP_MD **md);

/* Longest passphrase OpenSSL's PEM decoders can take back (their buffer is
 * 1024 bytes); longer ones are refused with RW_ERR_USAGE when writing. */
#define RW_PASSPHRASE_MAX 1023

/* PKCS#8 PEM; passphrase NULL writes an unencrypted key. */
RW_RESULT rw_sec_key_to_pem(EVP_PKEY *key, const char *passphrase, char **pem_out);
/* Parses PKCS#8 / traditional PEM. An encrypted key with a wrong or missing
 * passphrase is RW_ERR_AUTH_PASSPHRASE; garbage is RW_ERR_PROTO_MALFORMED. */
RW_RESULT rw_sec_key_from_pem(const char *pem, const char *passphrase, EVP_PKEY **out);
/* True when the PEM text is an encrypted private key. */
bool rw_sec_key_pem_is_encrypted(const char *pem);

/* Writes `pem` to path with mode 0600 (created 0600, fchmod'ed, fsync'ed;
 * an existing file is replaced atomically through a temp file). */
RW_RESULT rw_sec_secret_write_file(const char *path, const char *pem);
/* Writes public material (certificates, CRLs) with mode 0644. */
RW_RESULT rw_sec_public_write_file(const char *path, const void *data, size_t len);
void rw_sec_secret_free(char *s); /* wipes, then frees; NULL is fine */

/* The CA passphrase: from `file` when given (trailing newline stripped),
 * else from the environment variable RINGWARD_CA_PASSPHRASE. NOT_FOUND when
 * neither is set; USAGE when empty. Free with rw_sec_secret_free. */
RW_RESULT rw_sec_passphrase_load(const char *file, char **out);

#endif
