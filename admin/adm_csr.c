/* admin/adm_csr.c — a CSR for a locally held key. */
#include "admin/adm_csr.h"

#include <openssl/x509.h>

#include "security/sec_key.h"
#include "security/sec_ossl.h"

struct rw_result adm_csr_make(EVP_PKEY *key, const char *cn, uint8_t **der, size_t *len)
{
    const EVP_MD *md = NULL;
    RW_GUARD(rw_sec_key_sign_md(key, &md));
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    struct rw_result r = RW_SUCCESS;
    unsigned char *p = NULL;
    int n = 0;
    if (!req || !name ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_REQ_set_subject_name(req, name) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
        X509_REQ_sign(req, key, md) <= 0 || (n = i2d_X509_REQ(req, &p)) <= 0) {
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot make a certificate request");
    } else {
        *der = p;
        *len = (size_t)n;
    }
    X509_NAME_free(name);
    X509_REQ_free(req);
    return r;
}
