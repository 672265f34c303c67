/* admin/adm_rpc.c — the admin RPC service: limits, decoding, authorization,
 * dispatch and the Error frames (see admin/adm_rpc.h). */
#include "admin/adm_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "admin/adm_export_rpc.h"
#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"
#include "proto/rw_frame.h"
#include "security/sec_names.h"

enum adm_auth {
    ADM_AUTH_ADMIN,  /* role admin + ACL admin on cluster */
    ADM_AUTH_ANYONE, /* also without a certificate */
    ADM_AUTH_CERT,   /* any authenticated certificate */
};

struct adm_method {
    Ringward__Admin__AdminFrame__BodyCase body;
    const char *name;
    enum adm_auth auth;
    adm_handler_fn fn;
};

#define M(body, name, auth, fn) {RINGWARD__ADMIN__ADMIN_FRAME__BODY_##body, name, auth, fn}
static const struct adm_method METHODS[] = {
    M(CA_INTERMEDIATE, "CaIntermediate", ADM_AUTH_ADMIN, adm_h_ca_intermediate),
    M(CA_LIST, "CaList", ADM_AUTH_ADMIN, adm_h_ca_list),
    M(CA_SHOW, "CaShow", ADM_AUTH_ADMIN, adm_h_ca_show),
    M(CA_DISABLE, "CaDisable", ADM_AUTH_ADMIN, adm_h_ca_disable),
    M(CERTS_ISSUE, "CertsIssue", ADM_AUTH_ADMIN, adm_h_certs_issue),
    M(CERTS_SIGN_CSR, "CertsSignCsr", ADM_AUTH_ADMIN, adm_h_certs_sign_csr),
    M(CERTS_LIST, "CertsList", ADM_AUTH_ADMIN, adm_h_certs_list),
    M(CERTS_SHOW, "CertsShow", ADM_AUTH_ADMIN, adm_h_certs_show),
    M(CERTS_REVOKE, "CertsRevoke", ADM_AUTH_ADMIN, adm_h_certs_revoke),
    M(CRL_GET, "CrlGet", ADM_AUTH_ADMIN, adm_h_crl_get),
    M(ACL_ADD, "AclAdd", ADM_AUTH_ADMIN, adm_h_acl_add),
    M(ACL_REMOVE, "AclRemove", ADM_AUTH_ADMIN, adm_h_acl_remove),
    M(ACL_LIST, "AclList", ADM_AUTH_ADMIN, adm_h_acl_list),
    M(ACL_CHECK, "AclCheck", ADM_AUTH_ADMIN, adm_h_acl_check),
    M(EVENTS, "Events", ADM_AUTH_ADMIN, adm_h_events),
    M(TOKENS_CREATE, "TokensCreate", ADM_AUTH_ADMIN, adm_h_tokens_create),
    M(CERTS_PENDING, "CertsPending", ADM_AUTH_ADMIN, adm_h_certs_pending),
    M(CERTS_APPROVE, "CertsApprove", ADM_AUTH_ADMIN, adm_h_certs_approve),
    M(CERTS_REJECT, "CertsReject", ADM_AUTH_ADMIN, adm_h_certs_reject),
    M(ENROLL, "Enroll", ADM_AUTH_ANYONE, adm_h_enroll),
    M(ENROLL_STATUS, "EnrollStatus", ADM_AUTH_ANYONE, adm_h_enroll_status),
    M(RENEW_SELF, "RenewSelf", ADM_AUTH_CERT, adm_h_renew_self),
    M(STATUS, "Status", ADM_AUTH_ADMIN, adm_h_status),
    M(CERTS_EXPORT, "CertsExport", ADM_AUTH_ADMIN, adm_h_certs_export),
};
#undef M

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rw_result rw_adm_service_new(struct rw_store *store, const char *passphrase,
                                    const struct rw_adm_service_cfg *cfg,
                                    struct rw_adm_service **out)
{
    RW_ENSURE_MSG(store && out, RW_ERR_USAGE, "the admin service needs a store");
    struct rw_adm_service *svc = calloc(1, sizeof(*svc));
    RW_ENSURE(svc, RW_ERR_NOMEM);
    svc->store = store;
    if (passphrase) {
        svc->passphrase = strdup(passphrase);
        if (!svc->passphrase) {
            free(svc);
            RW_BAIL(RW_ERR_NOMEM);
        }
    }
    if (cfg) {
        svc->cfg = *cfg;
    }
    struct rw_adm_service_cfg *c = &svc->cfg;
    c->max_request = c->max_request ? c->max_request : RW_ADM_DEFAULT_MAX_REQUEST;
    c->max_response = c->max_response ? c->max_response : RW_ADM_DEFAULT_MAX_RESPONSE;
    c->principal_rate = c->principal_rate > 0 ? c->principal_rate : 20;
    c->principal_burst = c->principal_burst > 0 ? c->principal_burst : 40;
    c->address_rate = c->address_rate > 0 ? c->address_rate : 10;
    c->address_burst = c->address_burst > 0 ? c->address_burst : 20;
    c->max_pending = c->max_pending ? c->max_pending : 1000;
    c->events_page = c->events_page ? c->events_page : 1000;
    svc->started_ms = mono_ms();
    svc->acl_seq = -1;
    *out = svc;
    return RW_SUCCESS;
}

void rw_adm_service_free(struct rw_adm_service *svc)
{
    if (!svc) {
        return;
    }
    if (svc->passphrase) {
        OPENSSL_cleanse(svc->passphrase, strlen(svc->passphrase));
        free(svc->passphrase);
    }
    rw_sec_acl_unref(svc->acl);
    free(svc);
}

void rw_adm_service_set_time(struct rw_adm_service *svc, int64_t unix_now)
{
    svc->fake_now = unix_now;
}

int64_t adm_now(const struct rw_adm_service *svc)
{
    return svc->fake_now ? svc->fake_now : (int64_t)time(NULL);
}

/* ---- call-owned memory ---- */

/* Every allocation is wiped when freed: a response may carry a private key. */
struct adm_alloc_node {
    struct adm_alloc_node *next;
    size_t size;
    max_align_t data[];
};

void *adm_alloc(struct adm_call *c, size_t n)
{
    struct adm_alloc_node *node = calloc(1, sizeof(*node) + (n ? n : 1));
    if (!node) {
        c->nomem = true;
        return NULL;
    }
    node->next = c->allocs;
    node->size = n;
    c->allocs = node;
    return node->data;
}

char *adm_strdup(struct adm_call *c, const char *s)
{
    size_t n = strlen(s ? s : "");
    char *p = adm_alloc(c, n + 1);
    if (p && n) {
        memcpy(p, s, n);
    }
    return p;
}

void adm_bytes(struct adm_call *c, const void *p, size_t n, ProtobufCBinaryData *out)
{
    out->data = adm_alloc(c, n);
    out->len = out->data ? n : 0;
    if (out->data && n) {
        memcpy(out->data, p, n);
    }
}

void **adm_alloc_ptrs(struct adm_call *c, size_t n)
{
    return adm_alloc(c, (n ? n : 1) * sizeof(void *));
}

void *adm_new_msg(struct adm_call *c, size_t size, const void *init)
{
    void *p = adm_alloc(c, size);
    if (p) {
        memcpy(p, init, size);
    }
    return p;
}

static void call_free(struct adm_call *c)
{
    while (c->allocs) {
        struct adm_alloc_node *n = c->allocs;
        c->allocs = n->next;
        OPENSSL_cleanse(n->data, n->size);
        free(n);
    }
}

/* ---- errors ---- */

static Ringward__ErrorCode code_of(enum rw_err e)
{
    switch (e) {
    case RW_ERR_NOT_FOUND: return RINGWARD__ERROR_CODE__NOT_FOUND;
    case RW_ERR_AUTH_REVOKED: return RINGWARD__ERROR_CODE__REVOKED;
    case RW_ERR_AUTH_EXPIRED: return RINGWARD__ERROR_CODE__EXPIRED;
    case RW_ERR_AUTH_NO_CERT: return RINGWARD__ERROR_CODE__UNAUTHENTICATED;
    case RW_ERR_LIMIT:
    case RW_ERR_NOMEM: return RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED;
    case RW_ERR_AUTH_PASSPHRASE: return RINGWARD__ERROR_CODE__INTERNAL;
    default: break;
    }
    switch (rw_err_category(e)) {
    case RW_CAT_USAGE:
    case RW_CAT_PROTO: return RINGWARD__ERROR_CODE__INVALID_ARGUMENT;
    case RW_CAT_AUTH: return RINGWARD__ERROR_CODE__PERMISSION_DENIED;
    case RW_CAT_RESOURCE: return RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED;
    default: return RINGWARD__ERROR_CODE__INTERNAL;
    }
}

static struct rw_result append_frame(struct rw_adm_service *svc, Ringward__Admin__AdminFrame *f,
                                     struct rw_buf *out)
{
    return rw_frame_append(out, &f->base, svc->cfg.max_response);
}

static struct rw_result append_error(struct rw_adm_service *svc, uint64_t corr,
                                     Ringward__ErrorCode code, const char *msg,
                                     struct rw_buf *out)
{
    Ringward__Error err = RINGWARD__ERROR__INIT;
    err.code = code;
    err.message = (char *)(msg && msg[0] ? msg : rw_frame_code_name(code));
    Ringward__Admin__AdminFrame f = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_ERROR;
    f.error = &err;
    return append_frame(svc, &f, out);
}

/* correlation_id without unpacking: field 1 (varint) comes first. */
static uint64_t peek_correlation(const uint8_t *p, size_t len)
{
    if (len < 2 || p[0] != 0x08) {
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 1; i < len && i < 11; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 1));
        if (!(p[i] & 0x80)) {
            return v;
        }
    }
    return 0;
}

/* ---- authorization ---- */

static struct rw_result acl_fresh(struct rw_adm_service *svc)
{
    int64_t seq = 0;
    RW_GUARD(rw_store_event_last_seq(svc->store, &seq));
    if (svc->acl && seq == svc->acl_seq) {
        return RW_SUCCESS;
    }
    struct rw_sec_acl *acl = NULL;
    RW_GUARD(rw_sec_acl_build(svc->store, &acl));
    rw_sec_acl_unref(svc->acl);
    svc->acl = acl;
    svc->acl_seq = seq;
    return RW_SUCCESS;
}

static struct rw_result authorize(struct adm_call *c, const struct adm_method *m)
{
    const struct rw_sec_identity *id = c->caller->id;
    if (m->auth == ADM_AUTH_ANYONE || (c->caller->local_actor && m->auth == ADM_AUTH_ADMIN)) {
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(id && id->principal[0], RW_ERR_AUTH_NO_CERT,
                  "%s needs a client certificate; without one only Enroll and EnrollStatus "
                  "are allowed", m->name);
    if (m->auth == ADM_AUTH_CERT) {
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(id->role == RW_ROLE_ADMIN, RW_ERR_AUTH_INVALID,
                  "%s needs an admin certificate; '%s' has role %s", m->name, id->principal,
                  rw_sec_role_name(id->role));
    RW_GUARD(acl_fresh(c->svc));
    int64_t rule = 0;
    enum rw_sec_acl_effect e =
        rw_sec_acl_check(c->svc->acl, id->principal, RW_ACL_CLUSTER, RW_ACL_ADMIN, &rule);
    RW_ENSURE_MSG(e == RW_ACL_ALLOW, RW_ERR_AUTH_INVALID,
                  "no ACL allows '%s' admin on cluster (%s)", id->principal,
                  rule ? "denied by a rule" : "default deny");
    return RW_SUCCESS;
}

static const struct adm_method *method_of(Ringward__Admin__AdminFrame__BodyCase b)
{
    for (size_t i = 0; i < sizeof(METHODS) / sizeof(METHODS[0]); i++) {
        if (METHODS[i].body == b) {
            return &METHODS[i];
        }
    }
    return NULL;
}

static bool limited(struct rw_adm_service *svc, const struct rw_adm_caller *caller)
{
    if (caller->local_actor) {
        return false;
    }
    char key[RW_PRINCIPAL_MAX + 4];
    snprintf(key, sizeof(key), "a:%s", caller->address ? caller->address : "?");
    if (!adm_limit_take(svc, key, svc->cfg.address_rate, svc->cfg.address_burst)) {
        return true;
    }
    if (caller->id && caller->id->principal[0]) {
        snprintf(key, sizeof(key), "p:%s", caller->id->principal);
        return !adm_limit_take(svc, key, svc->cfg.principal_rate, svc->cfg.principal_burst);
    }
    return false;
}

static struct rw_result run(struct adm_call *c)
{
    const struct adm_method *m = method_of(c->req->body_case);
    RW_ENSURE_MSG(m, RW_ERR_PROTO_MALFORMED,
                  c->req->body_case == RINGWARD__ADMIN__ADMIN_FRAME__BODY__NOT_SET
                      ? "unknown method (the frame carries no request this server knows)"
                      : "not a request: the frame carries a response or an error");
    RW_GUARD(authorize(c, m));
    struct rw_result r = m->fn(c);
    if (rw_ok(r) && c->nomem) {
        rw_err_detail_set("out of memory building the response");
        r = RW_ERR(RW_ERR_NOMEM);
    }
    return r;
}

struct rw_result rw_adm_service_handle(struct rw_adm_service *svc,
                                       const struct rw_adm_caller *caller,
                                       const uint8_t *body, size_t len, struct rw_buf *out)
{
    RW_ENSURE_MSG(svc && caller && out && (body || len == 0), RW_ERR_USAGE,
                  "rw_adm_service_handle: bad arguments");
    uint64_t corr = peek_correlation(body, len);
    if (len > svc->cfg.max_request) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request of %zu bytes exceeds the %zu-byte limit", len,
                 svc->cfg.max_request);
        return append_error(svc, corr, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED, msg, out);
    }
    if (limited(svc, caller)) {
        return append_error(svc, corr, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED,
                            "too many admin requests: slow down", out);
    }
    Ringward__Admin__AdminFrame *req = ringward__admin__admin_frame__unpack(NULL, len, body);
    if (!req) {
        return append_error(svc, corr, RINGWARD__ERROR_CODE__INVALID_ARGUMENT,
                            "malformed request: not an AdminFrame", out);
    }
    struct adm_call c = {.svc = svc, .caller = caller, .req = req};
    c.actor = caller->local_actor                         ? caller->local_actor
              : caller->id && caller->id->principal[0] ? caller->id->principal
                                                       : "anonymous";
    Ringward__Admin__AdminFrame init = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    c.resp = init;
    c.resp.correlation_id = req->correlation_id;
    rw_err_detail_clear();
    struct rw_result r = run(&c);
    if (rw_ok(r)) {
        size_t before = out->len;
        r = append_frame(svc, &c.resp, out);
        if (!rw_ok(r)) {
            out->len = before;
            r = append_error(svc, req->correlation_id, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED,
                             "the response exceeds the frame limit: narrow the request", out);
        }
    } else {
        Ringward__ErrorCode code = code_of(r.err);
        const char *msg = rw_err_detail();
        if (code == RINGWARD__ERROR_CODE__INTERNAL && !caller->id) {
            msg = "internal error"; /* no store details for certificate-less callers */
        }
        r = append_error(svc, req->correlation_id, code, msg[0] ? msg : rw_err_str(r.err), out);
    }
    call_free(&c);
    ringward__admin__admin_frame__free_unpacked(req, NULL);
    return r;
}
