/* admin/adm_rpc_ca.c — CA and certificate mutations over RPC, and the
 * helpers every handler shares. Each mutation goes through security/sec_ca
 * with the caller's principal as the actor, so its event names who did it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"
#include "security/sec_cert.h"
#include "security/sec_key.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

#define MAX_SANS 32

void adm_ca_ctx(struct adm_call *c, struct rw_sec_ca *ca)
{
    memset(ca, 0, sizeof(*ca));
    ca->store = c->svc->store;
    ca->passphrase = c->svc->passphrase;
    ca->actor = c->actor;
    ca->now = c->svc->fake_now;
}

struct rw_result adm_rpc_serial(const char *text, uint8_t *out, size_t *len)
{
    char clean[2 * RW_STORE_SERIAL_MAX + 8];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == ':') {
            continue;
        }
        RW_ENSURE_MSG(n < sizeof(clean) - 1, RW_ERR_USAGE, "serial number too long");
        clean[n++] = *p;
    }
    clean[n] = '\0';
    RW_ENSURE_MSG(n > 0 && rw_ok(rw_hex_decode(clean, out, RW_STORE_SERIAL_MAX, len)),
                  RW_ERR_USAGE, "'%s' is not a serial number (hex)", clean);
    return RW_SUCCESS;
}

struct rw_result adm_rpc_cert_pem(struct adm_call *c, X509 *cert, char **out)
{
    char *pem = NULL;
    size_t len = 0;
    RW_GUARD(rw_sec_cert_append_pem(cert, &pem, &len));
    *out = adm_strdup(c, pem);
    free(pem);
    return RW_SUCCESS;
}

struct rw_result adm_rpc_chain_pem(struct adm_call *c, const char *ca_id, char **out)
{
    char *pem = NULL;
    size_t len = 0;
    RW_GUARD(rw_sec_ca_chain_pem(c->svc->store, ca_id, &pem, &len));
    *out = adm_strdup(c, pem);
    free(pem);
    return RW_SUCCESS;
}

struct rw_result adm_rpc_issuer_of(struct adm_call *c, X509 *cert, char ca_id[RW_STORE_ID_MAX])
{
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len = 0;
    RW_GUARD(rw_sec_cert_serial(cert, serial, sizeof(serial), &len));
    struct rw_store_cert sc;
    RW_GUARD(rw_store_cert_get(c->svc->store, serial, len, &sc));
    snprintf(ca_id, RW_STORE_ID_MAX, "%s", sc.issuer_ca_id);
    rw_store_cert_cleanup(&sc);
    return RW_SUCCESS;
}

static struct rw_result parse_role(const char *text, enum rw_role *role)
{
    RW_ENSURE_MSG(text && rw_sec_role_parse(text, role), RW_ERR_USAGE,
                  "unknown role '%s' (broker, producer, consumer, admin)", text ? text : "");
    return RW_SUCCESS;
}

static struct rw_result parse_alg(const char *text, enum rw_key_alg *alg)
{
    *alg = RW_KEY_P256;
    RW_ENSURE_MSG(!text || !text[0] || rw_sec_key_alg_parse(text, alg), RW_ERR_USAGE,
                  "unknown key algorithm '%s' (p256, p384, ed25519, rsa3072)", text);
    return RW_SUCCESS;
}

static struct rw_result check_ttl(int64_t ttl)
{
    RW_ENSURE_MSG(ttl >= 0 && ttl <= 100LL * 365 * 86400, RW_ERR_USAGE,
                  "a lifetime is 0 (the default) to 100 years");
    return RW_SUCCESS;
}

struct rw_result adm_h_ca_intermediate(struct adm_call *c)
{
    const Ringward__Admin__CaIntermediateRequest *q = c->req->ca_intermediate;
    struct rw_sec_ca_opts o = {.cn = q->cn, .org = q->org[0] ? q->org : NULL,
                               .parent_id = q->parent_ca, .path_len = q->path_len, .ttl = q->ttl};
    RW_ENSURE_MSG(q->parent_ca[0], RW_ERR_USAGE, "an intermediate CA needs a parent CA id");
    RW_ENSURE_MSG(q->path_len >= -1 && q->path_len <= 16, RW_ERR_USAGE,
                  "a path length is -1 (none) to 16");
    RW_GUARD(check_ttl(q->ttl));
    RW_GUARD(parse_alg(q->key_alg, &o.alg));
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    char id[RW_STORE_ID_MAX];
    RW_GUARD(rw_sec_ca_create(&ca, &o, id));
    Ringward__Admin__CaIntermediateResponse init = RINGWARD__ADMIN__CA_INTERMEDIATE_RESPONSE__INIT;
    Ringward__Admin__CaIntermediateResponse *resp = ADM_NEW(c, *resp, init);
    if (resp) {
        resp->id = adm_strdup(c, id);
    }
    ADM_RESPOND(c, CA_INTERMEDIATE_OK, ca_intermediate_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_ca_disable(struct adm_call *c)
{
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    RW_GUARD(rw_sec_ca_disable(&ca, c->req->ca_disable->id));
    Ringward__Admin__CaDisableResponse init = RINGWARD__ADMIN__CA_DISABLE_RESPONSE__INIT;
    ADM_RESPOND(c, CA_DISABLE_OK, ca_disable_ok, ADM_NEW(c, Ringward__Admin__CaDisableResponse, init));
    return RW_SUCCESS;
}

static struct rw_result issue_opts(const Ringward__Admin__CertsIssueRequest *q,
                                   struct rw_sec_issue_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->principal = q->principal;
    o->ca_id = q->ca_id[0] ? q->ca_id : NULL;
    o->ttl = q->ttl;
    RW_ENSURE_MSG(q->n_dns <= MAX_SANS && q->n_ips <= MAX_SANS, RW_ERR_USAGE,
                  "at most %d DNS names and %d addresses", MAX_SANS, MAX_SANS);
    o->dns = (const char *const *)q->dns;
    o->n_dns = q->n_dns;
    o->ips = (const char *const *)q->ips;
    o->n_ips = q->n_ips;
    RW_GUARD(check_ttl(q->ttl));
    RW_GUARD(parse_role(q->role, &o->role));
    return parse_alg(q->key_alg, &o->alg);
}

/* The unencrypted key PEM in call memory (wiped when the call ends). */
static struct rw_result key_pem(struct adm_call *c, EVP_PKEY *key, char **out)
{
    char *pem = NULL;
    RW_GUARD(rw_sec_key_to_pem(key, NULL, &pem));
    *out = adm_strdup(c, pem);
    rw_sec_secret_free(pem);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_issue(struct adm_call *c)
{
    const Ringward__Admin__CertsIssueRequest *q = c->req->certs_issue;
    struct rw_sec_issue_opts o;
    RW_GUARD(issue_opts(q, &o));
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    RW_GUARD(rw_sec_ca_issue(&ca, &o, &cert, &key));
    Ringward__Admin__CertsIssueResponse init = RINGWARD__ADMIN__CERTS_ISSUE_RESPONSE__INIT;
    Ringward__Admin__CertsIssueResponse *resp = ADM_NEW(c, *resp, init);
    char ca_id[RW_STORE_ID_MAX], serial[2 * RW_STORE_SERIAL_MAX + 1];
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
        resp->serial = adm_strdup(c, serial);
        r = adm_rpc_cert_pem(c, cert, &resp->cert_pem);
    }
    if (rw_ok(r)) {
        r = key_pem(c, key, &resp->key_pem);
    }
    if (rw_ok(r)) {
        r = adm_rpc_issuer_of(c, cert, ca_id);
    }
    if (rw_ok(r)) {
        r = adm_rpc_chain_pem(c, ca_id, &resp->chain_pem);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    RW_GUARD(r);
    ADM_RESPOND(c, CERTS_ISSUE_OK, certs_issue_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_sign_csr(struct adm_call *c)
{
    const Ringward__Admin__CertsSignCsrRequest *q = c->req->certs_sign_csr;
    struct rw_sec_issue_opts o = {.principal = q->principal[0] ? q->principal : NULL,
                                  .ca_id = q->ca_id[0] ? q->ca_id : NULL, .ttl = q->ttl};
    RW_GUARD(check_ttl(q->ttl));
    RW_GUARD(parse_role(q->role, &o.role));
    RW_ENSURE_MSG(q->csr.len > 0, RW_ERR_USAGE, "no CSR given");
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    X509 *cert = NULL;
    RW_GUARD(rw_sec_ca_sign_csr(&ca, q->csr.data, q->csr.len, &o, &cert));
    Ringward__Admin__CertsSignCsrResponse init = RINGWARD__ADMIN__CERTS_SIGN_CSR_RESPONSE__INIT;
    Ringward__Admin__CertsSignCsrResponse *resp = ADM_NEW(c, *resp, init);
    char ca_id[RW_STORE_ID_MAX], serial[2 * RW_STORE_SERIAL_MAX + 1], cn[RW_STORE_NAME_MAX] = "";
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
        resp->serial = adm_strdup(c, serial);
        resp->principal = adm_strdup(c, cn);
        r = adm_rpc_cert_pem(c, cert, &resp->cert_pem);
    }
    if (rw_ok(r)) {
        r = adm_rpc_issuer_of(c, cert, ca_id);
    }
    if (rw_ok(r)) {
        r = adm_rpc_chain_pem(c, ca_id, &resp->chain_pem);
    }
    X509_free(cert);
    RW_GUARD(r);
    ADM_RESPOND(c, CERTS_SIGN_CSR_OK, certs_sign_csr_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_revoke(struct adm_call *c)
{
    const Ringward__Admin__CertsRevokeRequest *q = c->req->certs_revoke;
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len = 0;
    RW_GUARD(adm_rpc_serial(q->serial, serial, &len));
    enum rw_reason reason = RW_REASON_UNSPECIFIED;
    RW_ENSURE_MSG(!q->reason[0] || rw_sec_reason_parse(q->reason, &reason), RW_ERR_USAGE,
                  "unknown reason '%s' (unspecified, keyCompromise, cACompromise, "
                  "affiliationChanged, superseded, cessationOfOperation, certificateHold, "
                  "privilegeWithdrawn, aACompromise)", q->reason);
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    RW_GUARD(rw_sec_ca_revoke(&ca, serial, len, (int)reason));
    Ringward__Admin__CertsRevokeResponse init = RINGWARD__ADMIN__CERTS_REVOKE_RESPONSE__INIT;
    Ringward__Admin__CertsRevokeResponse *resp = ADM_NEW(c, *resp, init);
    if (resp) {
        resp->reason = adm_strdup(c, rw_sec_reason_name((int)reason));
    }
    ADM_RESPOND(c, CERTS_REVOKE_OK, certs_revoke_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_crl_get(struct adm_call *c)
{
    const Ringward__Admin__CrlGetRequest *q = c->req->crl_get;
    RW_ENSURE_MSG(q->ca_id[0], RW_ERR_USAGE, "name the CA whose CRL to sign");
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    X509_CRL *crl = NULL;
    RW_GUARD(rw_sec_ca_crl(&ca, q->ca_id, &crl));
    BIO *bio = BIO_new(BIO_s_mem());
    struct rw_result r = RW_SUCCESS;
    int ok = bio && (q->der ? i2d_X509_CRL_bio(bio, crl) : PEM_write_bio_X509_CRL(bio, crl));
    Ringward__Admin__CrlGetResponse init = RINGWARD__ADMIN__CRL_GET_RESPONSE__INIT;
    Ringward__Admin__CrlGetResponse *resp = ADM_NEW(c, *resp, init);
    if (!ok) {
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot encode the CRL");
    } else if (resp) {
        char *p = NULL;
        long n = BIO_get_mem_data(bio, &p);
        adm_bytes(c, p, (size_t)n, &resp->crl);
    }
    BIO_free(bio);
    X509_CRL_free(crl);
    RW_GUARD(r);
    ADM_RESPOND(c, CRL_GET_OK, crl_get_ok, resp);
    return RW_SUCCESS;
}
