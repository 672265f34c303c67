/* admin/adm_rpc_renew.c — RenewSelf: a certificate renews itself.
 *
 * The caller's certificate (its serial from the TLS session) must be one
 * of ours, for the caller's principal and role, neither revoked nor
 * expired. The CSR must name the same principal and carry a new key; the
 * role is the caller's. The old certificate is superseded (a
 * cert.superseded event naming the new serial, recorded in the issuing
 * transaction), not revoked, unless the request asks for it (a separate
 * revocation after the renewal has landed).
 */
#include <stdio.h>
#include <string.h>

#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_csr.h"
#include "security/sec_enroll.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

/* The caller's current certificate, checked. */
static struct rw_result old_cert(struct adm_call *c, struct rw_store_cert *old)
{
    const struct rw_adm_caller *k = c->caller;
    RW_ENSURE_MSG(k->serial && k->serial_len, RW_ERR_AUTH_INVALID,
                  "RenewSelf needs the caller's certificate serial from the TLS session");
    struct rw_result r = rw_store_cert_get(c->svc->store, k->serial, k->serial_len, old);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_AUTH_INVALID,
                  "the caller's certificate was not issued by this CA");
    RW_GUARD(r);
    r = RW_SUCCESS;
    if (old->is_ca || strcmp(old->principal, k->id->principal) != 0 ||
        strcmp(old->role, rw_sec_role_name(k->id->role)) != 0) {
        rw_err_detail_set("the caller's certificate does not match its identity");
        r = RW_ERR(RW_ERR_AUTH_INVALID);
    } else if (old->revoked) {
        rw_err_detail_set("a revoked certificate cannot renew (%s)",
                          rw_sec_reason_name(old->reason));
        r = RW_ERR(RW_ERR_AUTH_REVOKED);
    } else if (old->not_after <= adm_now(c->svc)) {
        rw_err_detail_set("an expired certificate cannot renew: enroll again");
        r = RW_ERR(RW_ERR_AUTH_EXPIRED);
    }
    if (!rw_ok(r)) {
        rw_store_cert_cleanup(old);
    }
    return r;
}

/* The CSR names the caller and holds a key other than the old one. */
static struct rw_result check_csr(struct adm_call *c, const struct rw_store_cert *old)
{
    const ProtobufCBinaryData *csr = &c->req->renew_self->csr;
    char principal[RW_STORE_NAME_MAX];
    RW_ENSURE_MSG(csr->len > 0, RW_ERR_USAGE, "RenewSelf needs a CSR");
    RW_GUARD(rw_sec_enroll_csr_check(csr->data, csr->len, principal));
    RW_ENSURE_MSG(strcmp(principal, old->principal) == 0, RW_ERR_AUTH_NAME_MISMATCH,
                  "RenewSelf renews only the caller: the CSR names '%s', the caller is '%s'",
                  principal, old->principal);
    X509_REQ *req = NULL;
    X509 *x = NULL;
    RW_GUARD(rw_sec_csr_parse(csr->data, csr->len, &req));
    struct rw_result r = rw_sec_x509_from_der(old->der, old->der_len, &x);
    if (rw_ok(r)) {
        EVP_PKEY *a = X509_REQ_get0_pubkey(req), *b = X509_get0_pubkey(x);
        if (a && b && EVP_PKEY_eq(a, b) == 1) {
            rw_err_detail_set("a renewal needs a new key: the CSR reuses the current one");
            r = RW_ERR(RW_ERR_USAGE);
        }
    }
    X509_free(x);
    X509_REQ_free(req);
    return r;
}

struct supersession {
    struct adm_call *c;
    const struct rw_store_cert *old;
};

/* In the issuing transaction: the cert.superseded event naming the new
 * serial, so a renewal lands whole or not at all. */
static struct rw_result supersede(void *arg, X509 *cert)
{
    const struct supersession *su = arg;
    char old_hex[2 * RW_STORE_SERIAL_MAX + 1], new_hex[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(su->old->serial, su->old->serial_len, old_hex);
    rw_sec_cert_serial_hex(cert, new_hex, sizeof(new_hex));
    struct rw_buf payload;
    rw_buf_init(&payload, 4096);
    struct rw_result r = rw_buf_append_str(&payload, "{");
    if (rw_ok(r)) {
        r = rw_json_kv_str(&payload, true, "principal", su->old->principal);
    }
    if (rw_ok(r)) {
        r = rw_json_kv_str(&payload, false, "by", new_hex);
    }
    if (rw_ok(r)) {
        r = rw_buf_append_str(&payload, "}");
    }
    if (rw_ok(r)) {
        r = rw_buf_terminate(&payload);
    }
    if (rw_ok(r)) {
        r = rw_store_event_append(su->c->svc->store, su->c->actor, "cert.superseded", old_hex,
                                  (const char *)payload.data, NULL);
    }
    rw_buf_cleanup(&payload);
    return r;
}

static struct rw_result renew(struct adm_call *c, const struct rw_store_cert *old,
                              Ringward__Admin__RenewSelfResponse *resp)
{
    const Ringward__Admin__RenewSelfRequest *q = c->req->renew_self;
    RW_ENSURE_MSG(q->ttl >= 0, RW_ERR_USAGE, "a lifetime is a positive duration");
    struct rw_sec_ca ca;
    adm_ca_ctx(c, &ca);
    struct supersession su = {.c = c, .old = old};
    struct rw_sec_issue_opts o = {.principal = old->principal, .role = c->caller->id->role,
                                  .ttl = q->ttl, .in_tx = supersede, .in_tx_arg = &su};
    X509 *cert = NULL;
    RW_GUARD(rw_sec_ca_sign_csr(&ca, q->csr.data, q->csr.len, &o, &cert));
    char old_hex[2 * RW_STORE_SERIAL_MAX + 1], new_hex[2 * RW_STORE_SERIAL_MAX + 1];
    char ca_id[RW_STORE_ID_MAX];
    rw_hex_encode(old->serial, old->serial_len, old_hex);
    rw_sec_cert_serial_hex(cert, new_hex, sizeof(new_hex));
    resp->serial = adm_strdup(c, new_hex);
    resp->replaces = adm_strdup(c, old_hex);
    struct rw_result r = RW_SUCCESS;
    if (q->revoke_old) { /* its own transaction and cert.revoked event, after the renewal */
        r = rw_sec_ca_revoke(&ca, old->serial, old->serial_len, RW_REASON_SUPERSEDED);
    }
    if (rw_ok(r)) {
        r = adm_rpc_cert_pem(c, cert, &resp->cert_pem);
    }
    if (rw_ok(r)) {
        r = adm_rpc_issuer_of(c, cert, ca_id);
    }
    if (rw_ok(r)) {
        r = adm_rpc_chain_pem(c, ca_id, &resp->chain_pem);
    }
    X509_free(cert);
    return r;
}

struct rw_result adm_h_renew_self(struct adm_call *c)
{
    struct rw_store_cert old;
    RW_GUARD(old_cert(c, &old));
    Ringward__Admin__RenewSelfResponse init = RINGWARD__ADMIN__RENEW_SELF_RESPONSE__INIT;
    Ringward__Admin__RenewSelfResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? check_csr(c, &old) : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        r = renew(c, &old, resp);
    }
    rw_store_cert_cleanup(&old);
    RW_GUARD(r);
    ADM_RESPOND(c, RENEW_SELF_OK, renew_self_ok, resp);
    return RW_SUCCESS;
}
