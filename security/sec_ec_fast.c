/* security/sec_ec_fast.c — one ENGINE offering OpenSSL's own EC method, so
 * EC public keys take the built-in path (see security/sec_ec_fast.h).
 *
 * The ENGINE API is deprecated in 3.0 but built into Debian's OpenSSL; it
 * is the one switch 3.0 reads before falling back to the decoder
 * (x509_pubkey_decode asks ENGINE_get_pkey_meth_engine for the key type).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "security/sec_ec_fast.h"

#include <openssl/ec.h>
#include <openssl/engine.h>
#include <openssl/evp.h>

#include "security/sec_ossl.h"

static ENGINE *g_engine;
static EVP_PKEY_METHOD *g_ec_method;
static const int g_nids[] = {EVP_PKEY_EC};

/* ENGINE_PKEY_METHS_PTR: the list of key types, or the method of one. */
static int pkey_methods(ENGINE *e, EVP_PKEY_METHOD **method, const int **nids, int nid)
{
    (void)e;
    if (!method) {
        *nids = g_nids;
        return 1;
    }
    *method = nid == EVP_PKEY_EC ? g_ec_method : NULL;
    return *method != NULL;
}

static void release(void)
{
    if (g_engine) {
        ENGINE_unregister_pkey_meths(g_engine);
        ENGINE_free(g_engine);
        g_engine = NULL;
    }
    EVP_PKEY_meth_free(g_ec_method);
    g_ec_method = NULL;
}

struct rw_result rw_sec_ec_fast_enable(void)
{
    if (g_engine)
        return RW_SUCCESS;
    const EVP_PKEY_METHOD *builtin = EVP_PKEY_meth_find(EVP_PKEY_EC);
    if (!builtin)
        return rw_sec_ossl_fail(RW_ERR_TLS, "OpenSSL has no built-in EC method");
    g_ec_method = EVP_PKEY_meth_new(EVP_PKEY_EC, 0);
    g_engine = ENGINE_new();
    if (!g_ec_method || !g_engine) {
        release();
        return rw_sec_ossl_fail(RW_ERR_NOMEM, "EC fast path");
    }
    EVP_PKEY_meth_copy(g_ec_method, builtin);
    if (ENGINE_set_id(g_engine, "ringward-ec") != 1 ||
        ENGINE_set_name(g_engine, "Ringward: OpenSSL's built-in EC keys") != 1 ||
        ENGINE_set_pkey_meths(g_engine, pkey_methods) != 1 ||
        ENGINE_register_pkey_meths(g_engine) != 1) {
        release();
        return rw_sec_ossl_fail(RW_ERR_TLS, "cannot register the EC fast path");
    }
    return RW_SUCCESS;
}

void rw_sec_ec_fast_disable(void)
{
    release();
}

bool rw_sec_ec_fast_enabled(void)
{
    return g_engine != NULL;
}

EVP_PKEY *rw_sec_ec_fast_adapt(EVP_PKEY *key)
{
    if (!g_engine || !key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        !EVP_PKEY_get0_provider(key)) {
        return key;
    }
    EC_KEY *ec = EVP_PKEY_get1_EC_KEY(key); /* a built-in copy of the provider key */
    EVP_PKEY *copy = ec ? EVP_PKEY_new() : NULL;
    if (!copy || EVP_PKEY_assign_EC_KEY(copy, ec) != 1) {
        EC_KEY_free(ec);
        EVP_PKEY_free(copy);
        copy = NULL;
    }
    EVP_PKEY_free(key);
    return copy;
}
