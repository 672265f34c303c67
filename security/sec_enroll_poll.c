/* security/sec_enroll_poll.c — the poll secret of an enrollment request.
 *
 * Request ids are sequential (operators type them), so knowing an id must
 * not be enough to watch a request: Enroll hands the submitter a secret,
 * HMAC-SHA256(key, id) under a random 32-byte key kept in the store's meta
 * table (made on first use, in a transaction so concurrent first uses agree),
 * and EnrollStatus wants it back. Nothing per request is stored.
 */
#include "security/sec_enroll.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/rw_hex.h"
#include "security/sec_ossl.h"

#define KEY_NAME "enroll_poll_key"
#define KEY_LEN 32

static struct rw_result key_in_tx(struct rw_store *s, uint8_t key[KEY_LEN])
{
    char hex[2 * KEY_LEN + 1];
    struct rw_result r = rw_store_meta_get(s, KEY_NAME, hex, sizeof(hex));
    if (r.err == RW_ERR_NOT_FOUND) {
        RW_ENSURE_MSG(RAND_bytes(key, KEY_LEN) == 1, RW_ERR_CRYPTO, "no randomness for a key");
        rw_hex_encode(key, KEY_LEN, hex);
        r = rw_store_meta_set(s, KEY_NAME, hex);
        OPENSSL_cleanse(hex, sizeof(hex));
        return r;
    }
    RW_GUARD(r);
    size_t len = 0;
    r = rw_hex_decode(hex, key, KEY_LEN, &len);
    OPENSSL_cleanse(hex, sizeof(hex));
    RW_ENSURE_MSG(rw_ok(r) && len == KEY_LEN, RW_ERR_IO_CORRUPT, "the store's %s is damaged",
                  KEY_NAME);
    return RW_SUCCESS;
}

static struct rw_result poll_key(struct rw_store *s, uint8_t key[KEY_LEN])
{
    RW_GUARD(rw_store_tx_begin(s));
    struct rw_result r = key_in_tx(s, key);
    if (!rw_ok(r)) {
        rw_store_tx_rollback(s);
        return r;
    }
    return rw_store_tx_commit(s);
}

struct rw_result rw_sec_enroll_poll_secret(struct rw_store *s, int64_t id,
                                           char out[RW_ENROLL_POLL_SECRET_TEXT])
{
    uint8_t key[KEY_LEN], mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    RW_GUARD(poll_key(s, key));
    uint8_t msg[8];
    for (int i = 0; i < 8; i++) {
        msg[i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
    }
    bool ok = HMAC(EVP_sha256(), key, KEY_LEN, msg, sizeof(msg), mac, &n) != NULL && n == 32;
    OPENSSL_cleanse(key, sizeof(key));
    RW_ENSURE_MSG(ok, RW_ERR_CRYPTO, "cannot compute a poll secret");
    rw_hex_encode(mac, 32, out);
    return RW_SUCCESS;
}

struct rw_result rw_sec_enroll_poll_check(struct rw_store *s, int64_t id, const char *secret)
{
    char want[RW_ENROLL_POLL_SECRET_TEXT];
    RW_GUARD(rw_sec_enroll_poll_secret(s, id, want));
    bool ok = secret && strlen(secret) == 64 && CRYPTO_memcmp(want, secret, 64) == 0;
    OPENSSL_cleanse(want, sizeof(want));
    RW_ENSURE_MSG(ok, RW_ERR_AUTH_INVALID,
                  "no enrollment request %lld for this poll secret (the secret comes from the "
                  "Enroll that submitted it)", (long long)id);
    return RW_SUCCESS;
}
