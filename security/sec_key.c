/* security/sec_key.c — key generation, classification and PKCS#8 PEM.
 *
 * Ownership: every EVP_PKEY returned is the caller's (EVP_PKEY_free); PEM
 * text is a malloc'ed string the caller frees with rw_sec_secret_free. The
 * key bytes only ever pass through secure-memory BIOs and are wiped from
 * every intermediate buffer. File writing and passphrase loading live in
 * security/sec_key_file.c.
 */
#include "security/sec_key.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "security/sec_ec_fast.h"
#include "security/sec_ossl.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

static const struct {
    enum rw_key_alg alg;
    const char *name;
} alg_names[] = {
    {RW_KEY_P256, "p256"},       {RW_KEY_P256, "ec"},        {RW_KEY_P256, "ecdsa-p256"},
    {RW_KEY_P384, "p384"},       {RW_KEY_ED25519, "ed25519"}, {RW_KEY_RSA3072, "rsa3072"},
};

bool rw_sec_key_alg_parse(const char *name, enum rw_key_alg *out)
{
    if (!name) {
        return false;
    }
    for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
        if (strcmp(name, alg_names[i].name) == 0) {
            *out = alg_names[i].alg;
            return true;
        }
    }
    return false;
}

const char *rw_sec_key_alg_name(enum rw_key_alg alg)
{
    switch (alg) {
    case RW_KEY_P256:
        return "p256";
    case RW_KEY_P384:
        return "p384";
    case RW_KEY_ED25519:
        return "ed25519";
    case RW_KEY_RSA3072:
        return "rsa3072";
    }
    return "unknown";
}

struct rw_result rw_sec_key_generate(enum rw_key_alg alg, EVP_PKEY **out)
{
    EVP_PKEY *key = NULL;
    ERR_clear_error();
    switch (alg) {
    /* Curves by their short names: both the provider and OpenSSL's built-in
     * EC method (security/sec_ec_fast.h) know these; the built-in one does
     * not know "P-256". */
    case RW_KEY_P256:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
        break;
    case RW_KEY_P384:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
        break;
    case RW_KEY_ED25519:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case RW_KEY_RSA3072:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    default:
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown key algorithm %d", (int)alg);
    }
    key = rw_sec_ec_fast_adapt(key);
    if (!key) {
        rw_err_detail_clear();
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "key generation failed");
    }
    ERR_clear_error(); /* the built-in EC method leaves notes it did not need */
    *out = key;
    return RW_SUCCESS;
}

static struct rw_result classify_ec(EVP_PKEY *key, enum rw_key_alg *alg)
{
    char group[64];
    size_t glen = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "EC key with explicit or unknown curve parameters");
    }
    int nid = OBJ_sn2nid(group);
    if (nid == NID_undef) {
        nid = OBJ_txt2nid(group);
    }
    if (nid == NID_X9_62_prime256v1) {
        *alg = RW_KEY_P256;
    } else if (nid == NID_secp384r1) {
        *alg = RW_KEY_P384;
    } else {
        RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "EC curve %s is not accepted (P-256 or P-384 only)", group);
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_key_classify(EVP_PKEY *key, enum rw_key_alg *alg)
{
    enum rw_key_alg tmp;
    alg = alg ? alg : &tmp;
    RW_ENSURE_MSG(key, RW_ERR_USAGE, "no key given");
    if (EVP_PKEY_is_a(key, "EC")) {
        return classify_ec(key, alg);
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        *alg = RW_KEY_ED25519;
        return RW_SUCCESS;
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        int bits = EVP_PKEY_get_bits(key);
        RW_ENSURE_MSG(bits >= RSA_MIN_BITS, RW_ERR_AUTH_PROFILE,
                      "RSA key of %d bits is too small (at least %d)", bits, RSA_MIN_BITS);
        RW_ENSURE_MSG(bits <= RSA_MAX_BITS, RW_ERR_AUTH_PROFILE,
                      "RSA key of %d bits is too large (at most %d)", bits, RSA_MAX_BITS);
        *alg = RW_KEY_RSA3072;
        return RW_SUCCESS;
    }
    if (EVP_PKEY_is_a(key, "DSA")) {
        RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "DSA keys are not accepted");
    }
    const char *type = EVP_PKEY_get0_type_name(key);
    RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "%s keys are not accepted (P-256, P-384, Ed25519 or RSA)",
                type ? type : "unknown");
}

struct rw_result rw_sec_key_sign_md(EVP_PKEY *key, const EVP_MD **md)
{
    enum rw_key_alg alg = RW_KEY_P256;
    RW_GUARD(rw_sec_key_classify(key, &alg));
    switch (alg) {
    case RW_KEY_P384:
        *md = EVP_sha384();
        break;
    case RW_KEY_ED25519:
        *md = NULL;
        break;
    default:
        *md = EVP_sha256();
        break;
    }
    return RW_SUCCESS;
}

/* Copies a mem BIO's contents into a fresh NUL-terminated heap string and
 * wipes the BIO's buffer. */
static struct rw_result bio_take_string(BIO *bio, char **out)
{
    BUF_MEM *bm = NULL;
    BIO_get_mem_ptr(bio, &bm);
    RW_ENSURE_MSG(bm && bm->length > 0, RW_ERR_CRYPTO, "PEM encoder produced nothing");
    char *s = malloc(bm->length + 1);
    if (!s) {
        OPENSSL_cleanse(bm->data, bm->length);
        RW_BAIL(RW_ERR_NOMEM);
    }
    memcpy(s, bm->data, bm->length);
    s[bm->length] = '\0';
    OPENSSL_cleanse(bm->data, bm->length);
    *out = s;
    return RW_SUCCESS;
}

struct rw_result rw_sec_key_to_pem(EVP_PKEY *key, const char *passphrase, char **pem_out)
{
    RW_ENSURE_MSG(key && pem_out, RW_ERR_USAGE, "no key given");
    size_t plen = passphrase ? strlen(passphrase) : 0;
    RW_ENSURE_MSG(!passphrase || plen > 0, RW_ERR_USAGE, "the passphrase is empty");
    RW_ENSURE_MSG(plen <= RW_PASSPHRASE_MAX, RW_ERR_USAGE,
                  "the passphrase is longer than %d bytes", RW_PASSPHRASE_MAX);
    ERR_clear_error();
    BIO *bio = BIO_new(BIO_s_secmem());
    RW_ENSURE(bio, RW_ERR_NOMEM);
    int ok = PEM_write_bio_PKCS8PrivateKey(bio, key, passphrase ? EVP_aes_256_cbc() : NULL,
                                           (const char *)passphrase, (int)plen, NULL, NULL);
    struct rw_result r = RW_SUCCESS;
    if (ok != 1) {
        rw_err_detail_clear();
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot encode the private key as PKCS#8");
    } else {
        r = bio_take_string(bio, pem_out);
    }
    BIO_free(bio);
    return r;
}

struct pass_ask {
    const char *pass;
    bool asked;
};

/* pem_password_cb that records whether the decoder needed a passphrase. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
    struct pass_ask *p = u;
    (void)rwflag;
    p->asked = true;
    if (!p->pass) {
        return -1;
    }
    size_t n = strlen(p->pass);
    if (size <= 0 || n > (size_t)size) {
        return -1;
    }
    memcpy(buf, p->pass, n);
    return (int)n;
}

struct rw_result rw_sec_key_from_pem(const char *pem, const char *passphrase, EVP_PKEY **out)
{
    RW_ENSURE_MSG(pem && out, RW_ERR_USAGE, "no PEM text given");
    ERR_clear_error();
    BIO *bio = BIO_new_mem_buf(pem, -1);
    RW_ENSURE(bio, RW_ERR_NOMEM);
    struct pass_ask ask = {.pass = passphrase, .asked = false};
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &ask);
    BIO_free(bio);
    if (key) {
        ERR_clear_error();
        *out = rw_sec_ec_fast_adapt(key);
        return *out ? RW_SUCCESS : rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot load the EC key");
    }
    if (ask.asked && !passphrase) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_AUTH_PASSPHRASE, "the private key is encrypted and no passphrase was given");
    }
    if (ask.asked) {
        ERR_clear_error();
        RW_BAIL_MSG(RW_ERR_AUTH_PASSPHRASE, "wrong passphrase for the encrypted private key");
    }
    rw_err_detail_clear();
    return rw_sec_ossl_fail(RW_ERR_PROTO_MALFORMED, "no private key found in the PEM text");
}

bool rw_sec_key_pem_is_encrypted(const char *pem)
{
    return pem && (strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
                   strstr(pem, "Proc-Type: 4,ENCRYPTED") != NULL);
}
