/* admin/adm_rpc_enroll.c — tokens, pending requests, Enroll, EnrollStatus
 * and RenewSelf (security/sec_enroll.h does the bookkeeping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"
#include "security/sec_csr.h"
#include "security/sec_enroll.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

static struct rw_result role_of(const char *text, enum rw_role *role)
{
    RW_ENSURE_MSG(text && rw_sec_role_parse(text, role), RW_ERR_USAGE,
                  "unknown role '%s' (broker, producer, consumer, admin)", text ? text : "");
    return RW_SUCCESS;
}

struct rw_result adm_h_tokens_create(struct adm_call *c)
{
    const Ringward__Admin__TokensCreateRequest *q = c->req->tokens_create;
    enum rw_role role;
    RW_GUARD(role_of(q->role, &role));
    char token[RW_ENROLL_TOKEN_TEXT];
    int64_t expires = 0;
    RW_GUARD(rw_sec_enroll_token_create(c->svc->store, c->actor, q->principal, role, q->ttl,
                                        adm_now(c->svc), token, &expires));
    Ringward__Admin__TokensCreateResponse init = RINGWARD__ADMIN__TOKENS_CREATE_RESPONSE__INIT;
    Ringward__Admin__TokensCreateResponse *resp = ADM_NEW(c, *resp, init);
    if (resp) {
        resp->token = adm_strdup(c, token); /* wiped when the call ends */
        resp->expires_at = expires;
    }
    OPENSSL_cleanse(token, sizeof(token));
    ADM_RESPOND(c, TOKENS_CREATE_OK, tokens_create_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_pending(struct adm_call *c)
{
    struct rw_store_csr_request *reqs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_csr_request_list(c->svc->store, "pending", &reqs, &n));
    Ringward__Admin__CertsPendingResponse init = RINGWARD__ADMIN__CERTS_PENDING_RESPONSE__INIT;
    Ringward__Admin__CertsPendingResponse *resp = ADM_NEW(c, *resp, init);
    if (resp) {
        resp->requests = (Ringward__Admin__CsrRequest **)adm_alloc_ptrs(c, n);
    }
    for (size_t i = 0; resp && resp->requests && i < n; i++) {
        Ringward__Admin__CsrRequest r0 = RINGWARD__ADMIN__CSR_REQUEST__INIT;
        Ringward__Admin__CsrRequest *m = ADM_NEW(c, *m, r0);
        if (!m) {
            break;
        }
        m->id = reqs[i].id;
        m->principal = adm_strdup(c, reqs[i].principal);
        m->role = adm_strdup(c, reqs[i].role);
        m->status = adm_strdup(c, reqs[i].status);
        m->created_at = reqs[i].created_at;
        resp->requests[resp->n_requests++] = m;
    }
    rw_store_csr_request_list_free(reqs, n);
    ADM_RESPOND(c, CERTS_PENDING_OK, certs_pending_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_approve(struct adm_call *c)
{
    const Ringward__Admin__CertsApproveRequest *q = c->req->certs_approve;
    RW_ENSURE_MSG(q->ttl >= 0, RW_ERR_USAGE, "a lifetime is a positive duration");
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    X509 *cert = NULL;
    RW_GUARD(rw_sec_enroll_request_approve(&ca, q->id, q->ttl, &cert));
    struct rw_store_csr_request req;
    struct rw_result r = rw_store_csr_request_get(c->svc->store, q->id, &req);
    Ringward__Admin__CertsApproveResponse init = RINGWARD__ADMIN__CERTS_APPROVE_RESPONSE__INIT;
    Ringward__Admin__CertsApproveResponse *resp = ADM_NEW(c, *resp, init);
    if (rw_ok(r) && resp) {
        char serial[2 * RW_STORE_SERIAL_MAX + 1];
        rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
        resp->serial = adm_strdup(c, serial);
        resp->principal = adm_strdup(c, req.principal);
        resp->role = adm_strdup(c, req.role);
        rw_store_csr_request_cleanup(&req);
    }
    X509_free(cert);
    RW_GUARD(r);
    ADM_RESPOND(c, CERTS_APPROVE_OK, certs_approve_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_reject(struct adm_call *c)
{
    const Ringward__Admin__CertsRejectRequest *q = c->req->certs_reject;
    RW_GUARD(rw_sec_enroll_request_reject(c->svc->store, c->actor, q->id, q->reason));
    Ringward__Admin__CertsRejectResponse init = RINGWARD__ADMIN__CERTS_REJECT_RESPONSE__INIT;
    ADM_RESPOND(c, CERTS_REJECT_OK, certs_reject_ok, ADM_NEW(c, Ringward__Admin__CertsRejectResponse, init));
    return RW_SUCCESS;
}

/* Fills an EnrollResponse with an issued certificate and its chain. */
static struct rw_result fill_issued(struct adm_call *c, X509 *cert,
                                    Ringward__Admin__EnrollResponse *resp)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1], ca_id[RW_STORE_ID_MAX];
    rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
    resp->status = "issued";
    resp->serial = adm_strdup(c, serial);
    RW_GUARD(adm_rpc_cert_pem(c, cert, &resp->cert_pem));
    RW_GUARD(adm_rpc_issuer_of(c, cert, ca_id));
    return adm_rpc_chain_pem(c, ca_id, &resp->chain_pem);
}

struct token_use {
    struct rw_store *store;
    const char *actor, *token, *principal;
    enum rw_role role;
    int64_t now;
};

static struct rw_result use_token(void *arg, X509 *cert)
{
    (void)cert;
    const struct token_use *t = arg;
    return rw_sec_enroll_token_redeem_in_tx(t->store, t->actor, t->token, t->principal, t->role,
                                            t->now);
}

/* The token's checks without using it (rolled back): no CA key is touched
 * for a bad token. */
static struct rw_result token_precheck(const struct token_use *t)
{
    RW_GUARD(rw_store_tx_begin(t->store));
    struct rw_result r = use_token((void *)t, NULL);
    rw_store_tx_rollback(t->store);
    return r;
}

/* Signs and uses the token in one transaction: a token is spent only on a
 * recorded certificate. */
static struct rw_result enroll_with_token(struct adm_call *c, const char *principal,
                                          enum rw_role role, const char *actor,
                                          Ringward__Admin__EnrollResponse *resp)
{
    const Ringward__Admin__EnrollRequest *q = c->req->enroll;
    struct token_use t = {.store = c->svc->store, .actor = actor, .token = q->token,
                          .principal = principal, .role = role, .now = adm_now(c->svc)};
    RW_GUARD(token_precheck(&t));
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    ca.actor = actor;
    struct rw_sec_issue_opts o = {.principal = principal, .role = role, .in_tx = use_token,
                                  .in_tx_arg = &t};
    X509 *cert = NULL;
    RW_GUARD(rw_sec_ca_sign_csr(&ca, q->csr.data, q->csr.len, &o, &cert));
    struct rw_result r = fill_issued(c, cert, resp);
    X509_free(cert);
    return r;
}

struct rw_result adm_h_enroll(struct adm_call *c)
{
    const Ringward__Admin__EnrollRequest *q = c->req->enroll;
    enum rw_role role;
    RW_GUARD(role_of(q->role, &role));
    RW_ENSURE_MSG(q->csr.len > 0 && q->csr.len <= RW_CSR_MAX_BYTES, RW_ERR_USAGE,
                  "Enroll needs a CSR of at most %d bytes", RW_CSR_MAX_BYTES);
    char principal[RW_STORE_NAME_MAX], actor[RW_STORE_NAME_MAX + 8];
    RW_GUARD(rw_sec_enroll_csr_check(q->csr.data, q->csr.len, principal));
    snprintf(actor, sizeof(actor), "enroll:%s", principal);
    Ringward__Admin__EnrollResponse init = RINGWARD__ADMIN__ENROLL_RESPONSE__INIT;
    Ringward__Admin__EnrollResponse *resp = ADM_NEW(c, *resp, init);
    RW_ENSURE(resp, RW_ERR_NOMEM);
    if (q->token[0]) {
        RW_GUARD(enroll_with_token(c, principal, role, actor, resp));
    } else {
        RW_GUARD(rw_sec_enroll_request_submit(c->svc->store, actor, q->csr.data, q->csr.len, role,
                                              c->svc->cfg.max_pending, &resp->request_id));
        resp->status = "pending";
        char secret[RW_ENROLL_POLL_SECRET_TEXT];
        RW_GUARD(rw_sec_enroll_poll_secret(c->svc->store, resp->request_id, secret));
        resp->poll_secret = adm_strdup(c, secret);
    }
    ADM_RESPOND(c, ENROLL_OK, enroll_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_enroll_status(struct adm_call *c)
{
    const Ringward__Admin__EnrollStatusRequest *q = c->req->enroll_status;
    RW_GUARD(rw_sec_enroll_poll_check(c->svc->store, q->request_id, q->poll_secret));
    struct rw_store_csr_request req;
    RW_GUARD(rw_store_csr_request_get(c->svc->store, q->request_id, &req));
    Ringward__Admin__EnrollResponse init = RINGWARD__ADMIN__ENROLL_RESPONSE__INIT;
    Ringward__Admin__EnrollResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->request_id = req.id;
        resp->status = adm_strdup(c, req.status);
    }
    if (rw_ok(r) && strcmp(req.status, "approved") == 0 && req.cert_serial_len) {
        struct rw_store_cert sc;
        r = rw_store_cert_get(c->svc->store, req.cert_serial, req.cert_serial_len, &sc);
        X509 *cert = NULL;
        if (rw_ok(r)) {
            r = rw_sec_x509_from_der(sc.der, sc.der_len, &cert);
            rw_store_cert_cleanup(&sc);
        }
        if (rw_ok(r)) {
            r = fill_issued(c, cert, resp);
        }
        X509_free(cert);
    }
    rw_store_csr_request_cleanup(&req);
    RW_GUARD(r);
    ADM_RESPOND(c, ENROLL_STATUS_OK, enroll_status_ok, resp);
    return RW_SUCCESS;
}
