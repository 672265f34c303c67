/* tests/unit/admin/test_adm_rpc.c — the admin RPC service, bytes in, bytes out:
 * the authorization matrix, enrollment tokens, requests, RenewSelf, limits
 * and typed errors. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "admin/adm_csr.h"
#include "admin/adm_rpc.h"
#include "proto/admin.pb-c.h"
#include "proto/rw_frame.h"
#include "security/sec_acl.h"
#include "security/sec_enroll.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_tls.h"

typedef Ringward__Admin__AdminFrame Frame;

static struct tl_pki *pki;
static struct rw_adm_service *svc;
static struct rw_sec_identity admin_id = {.principal = "admin", .role = RW_ROLE_ADMIN};
static struct rw_sec_identity producer_id = {.principal = "producer-1", .role = RW_ROLE_PRODUCER};
static struct rw_adm_caller admin = {.id = &admin_id, .address = "10.0.0.1"};
static struct rw_adm_caller producer = {.id = &producer_id, .address = "10.0.0.2"};
static struct rw_adm_caller anon = {.id = NULL, .address = "10.0.0.3"};

static void allow_admin(void)
{
    struct rw_sec_acl_rule rule;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&rule, "admin", "cluster", RW_ACL_ADMIN, RW_ACL_ALLOW)));
    cr_assert(rw_ok(rw_sec_acl_add(pki->store, "test", &rule, NULL)));
}

static void service(const struct rw_adm_service_cfg *cfg)
{
    rw_adm_service_free(svc);
    svc = NULL;
    cr_assert(rw_ok(rw_adm_service_new(pki->store, "pw", cfg, &svc)), "%s", rw_err_detail());
}

static void setup(void)
{
    pki = tl_pki_new("adm-rpc");
    cr_assert(pki);
    allow_admin();
    service(NULL);
}

static void teardown(void)
{
    rw_adm_service_free(svc);
    svc = NULL;
    tl_pki_free(pki);
}

/* Handles raw body bytes; returns the unpacked response (caller frees). */
static Frame *call_raw(const struct rw_adm_caller *caller, const uint8_t *body, size_t len)
{
    struct rw_buf out;
    rw_buf_init(&out, 64u << 20);
    cr_assert(rw_ok(rw_adm_service_handle(svc, caller, body, len, &out)));
    const uint8_t *rbody = NULL;
    size_t rlen = 0, flen = 0, need = 0;
    cr_assert(rw_ok(rw_frame_peek(out.data, out.len, 64u << 20, &rbody, &rlen, &flen, &need)));
    cr_assert_eq(flen, out.len, "exactly one frame");
    Frame *f = ringward__admin__admin_frame__unpack(NULL, rlen, rbody);
    cr_assert(f);
    rw_buf_cleanup(&out);
    return f;
}

static Frame *call(const struct rw_adm_caller *caller, Frame *req)
{
    size_t n = protobuf_c_message_get_packed_size(&req->base);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(&req->base, buf);
    Frame *f = call_raw(caller, buf, n);
    free(buf);
    cr_assert_eq(f->correlation_id, req->correlation_id);
    return f;
}

static int err_code(Frame *f)
{
    return f->body_case == RINGWARD__ADMIN__ADMIN_FRAME__BODY_ERROR ? (int)f->error->code : 0;
}

static void frame_free(Frame *f)
{
    ringward__admin__admin_frame__free_unpacked(f, NULL);
}

#define REQ(var, CASE, member, msg) \
    Frame var = RINGWARD__ADMIN__ADMIN_FRAME__INIT; \
    var.correlation_id = 7; \
    var.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_##CASE; \
    var.member = &(msg)

static Frame *ca_list(const struct rw_adm_caller *who)
{
    Ringward__Admin__CaListRequest q = RINGWARD__ADMIN__CA_LIST_REQUEST__INIT;
    REQ(f, CA_LIST, ca_list, q);
    return call(who, &f);
}

static Frame *issue(const struct rw_adm_caller *who, const char *principal, const char *role)
{
    Ringward__Admin__CertsIssueRequest q = RINGWARD__ADMIN__CERTS_ISSUE_REQUEST__INIT;
    q.principal = (char *)principal;
    q.role = (char *)role;
    REQ(f, CERTS_ISSUE, certs_issue, q);
    return call(who, &f);
}

/* A fresh key and a DER CSR for cn (the key is returned when key_out). */
static void make_csr(const char *cn, EVP_PKEY **key_out, uint8_t **der, size_t *len)
{
    EVP_PKEY *key = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &key)));
    cr_assert(rw_ok(adm_csr_make(key, cn, der, len)));
    if (key_out) {
        *key_out = key;
    } else {
        EVP_PKEY_free(key);
    }
}

static Frame *enroll(const struct rw_adm_caller *who, const char *cn, const char *role,
                     const char *token)
{
    uint8_t *der = NULL;
    size_t len = 0;
    make_csr(cn, NULL, &der, &len);
    Ringward__Admin__EnrollRequest q = RINGWARD__ADMIN__ENROLL_REQUEST__INIT;
    q.csr.data = der;
    q.csr.len = len;
    q.role = (char *)role;
    q.token = (char *)(token ? token : "");
    REQ(f, ENROLL, enroll, q);
    Frame *r = call(who, &f);
    OPENSSL_free(der);
    return r;
}

static char *token_for(const char *principal, const char *role, int64_t ttl)
{
    Ringward__Admin__TokensCreateRequest q = RINGWARD__ADMIN__TOKENS_CREATE_REQUEST__INIT;
    q.principal = (char *)principal;
    q.role = (char *)role;
    q.ttl = ttl;
    REQ(f, TOKENS_CREATE, tokens_create, q);
    Frame *r = call(&admin, &f);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    char *t = strdup(r->tokens_create_ok->token);
    frame_free(r);
    return t;
}

static int64_t last_seq(void)
{
    int64_t seq = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(pki->store, &seq)));
    return seq;
}

TestSuite(adm_rpc, .init = setup, .fini = teardown, .timeout = 60);

Test(adm_rpc, admin_lists_cas_and_reads_are_not_events)
{
    int64_t before = last_seq();
    Frame *r = ca_list(&admin);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert_eq(r->ca_list_ok->n_cas, 2);
    cr_assert_eq(last_seq(), before);
    frame_free(r);
}

Test(adm_rpc, producer_calling_certs_issue_is_permission_denied)
{
    Frame *r = issue(&producer, "mallory", "admin");
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
}

Test(adm_rpc, admin_role_without_acl_is_denied)
{
    static struct rw_sec_identity other = {.principal = "ops-2", .role = RW_ROLE_ADMIN};
    struct rw_adm_caller who = {.id = &other, .address = "10.0.0.9"};
    Frame *r = ca_list(&who);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
}

Test(adm_rpc, no_certificate_may_only_enroll)
{
    Frame *r = ca_list(&anon);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__UNAUTHENTICATED);
    frame_free(r);
    r = issue(&anon, "x", "producer");
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__UNAUTHENTICATED);
    frame_free(r);
    r = enroll(&anon, "edge-1", "producer", NULL);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert_str_eq(r->enroll_ok->status, "pending");
    int64_t id = r->enroll_ok->request_id;
    char *secret = strdup(r->enroll_ok->poll_secret);
    cr_assert_eq(strlen(secret), 64, "a pending request comes with its poll secret");
    frame_free(r);
    Ringward__Admin__EnrollStatusRequest q = RINGWARD__ADMIN__ENROLL_STATUS_REQUEST__INIT;
    q.request_id = id;
    q.poll_secret = secret;
    REQ(f, ENROLL_STATUS, enroll_status, q);
    r = call(&anon, &f);
    cr_assert_eq(err_code(r), 0);
    cr_assert_str_eq(r->enroll_status_ok->status, "pending");
    frame_free(r);
    free(secret);
}

Test(adm_rpc, enroll_status_needs_the_poll_secret_of_that_request)
{
    Frame *a = enroll(&anon, "edge-8", "producer", NULL);
    Frame *b = enroll(&anon, "edge-9", "producer", NULL);
    cr_assert_str_neq(a->enroll_ok->poll_secret, b->enroll_ok->poll_secret);
    Ringward__Admin__EnrollStatusRequest q = RINGWARD__ADMIN__ENROLL_STATUS_REQUEST__INIT;
    q.request_id = a->enroll_ok->request_id;
    REQ(f, ENROLL_STATUS, enroll_status, q);
    const char *const wrong[] = {"", b->enroll_ok->poll_secret, "00"};
    for (size_t i = 0; i < 3; i++) {
        q.poll_secret = (char *)wrong[i];
        Frame *r = call(&anon, &f);
        cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED, "secret %zu", i);
        frame_free(r);
    }
    q.request_id = 999999; /* an id that does not exist looks the same */
    q.poll_secret = a->enroll_ok->poll_secret;
    Frame *r = call(&anon, &f);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    frame_free(a);
    frame_free(b);
}

Test(adm_rpc, issue_returns_the_key_once_and_the_event_names_the_admin)
{
    int64_t before = last_seq();
    Frame *r = issue(&admin, "svc-a", "producer");
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert(strstr(r->certs_issue_ok->key_pem, "PRIVATE KEY"));
    cr_assert(strstr(r->certs_issue_ok->chain_pem, "CERTIFICATE"));
    frame_free(r);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_event_list(pki->store, before, 0, &ev, &n)));
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ev[0].kind, "cert.issued");
    cr_assert_str_eq(ev[0].actor, "admin");
    rw_store_event_list_free(ev, n);
}

Test(adm_rpc, token_works_once)
{
    char *t = token_for("edge-1", "producer", 3600);
    Frame *r = enroll(&anon, "edge-1", "producer", t);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert_str_eq(r->enroll_ok->status, "issued");
    cr_assert(strstr(r->enroll_ok->cert_pem, "BEGIN CERTIFICATE"));
    frame_free(r);
    r = enroll(&anon, "edge-1", "producer", t);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    free(t);
}

Test(adm_rpc, expired_token_fails)
{
    char *t = token_for("edge-2", "consumer", 60);
    rw_adm_service_set_time(svc, (int64_t)time(NULL) + 120);
    Frame *r = enroll(&anon, "edge-2", "consumer", t);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__EXPIRED);
    frame_free(r);
    free(t);
}

Test(adm_rpc, token_for_another_principal_or_role_fails)
{
    char *t = token_for("edge-3", "producer", 3600);
    Frame *r = enroll(&anon, "edge-4", "producer", t);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    r = enroll(&anon, "edge-3", "admin", t);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    r = enroll(&anon, "edge-3", "producer", t); /* still unused */
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    frame_free(r);
    free(t);
}

static Frame *decide(int64_t id, bool approve)
{
    if (approve) {
        Ringward__Admin__CertsApproveRequest q = RINGWARD__ADMIN__CERTS_APPROVE_REQUEST__INIT;
        q.id = id;
        REQ(f, CERTS_APPROVE, certs_approve, q);
        return call(&admin, &f);
    }
    Ringward__Admin__CertsRejectRequest q = RINGWARD__ADMIN__CERTS_REJECT_REQUEST__INIT;
    q.id = id;
    q.reason = "unknown machine";
    REQ(f, CERTS_REJECT, certs_reject, q);
    return call(&admin, &f);
}

static const char *status_of(int64_t id, Frame **keep)
{
    Ringward__Admin__EnrollStatusRequest q = RINGWARD__ADMIN__ENROLL_STATUS_REQUEST__INIT;
    char secret[RW_ENROLL_POLL_SECRET_TEXT];
    cr_assert(rw_ok(rw_sec_enroll_poll_secret(pki->store, id, secret)));
    q.request_id = id;
    q.poll_secret = secret;
    REQ(f, ENROLL_STATUS, enroll_status, q);
    *keep = call(&anon, &f);
    cr_assert_eq(err_code(*keep), 0);
    return (*keep)->enroll_status_ok->status;
}

Test(adm_rpc, pending_requests_are_approved_or_rejected)
{
    Frame *a = enroll(&anon, "edge-5", "consumer", NULL);
    Frame *b = enroll(&anon, "edge-6", "consumer", NULL);
    int64_t ida = a->enroll_ok->request_id, idb = b->enroll_ok->request_id;
    frame_free(a);
    frame_free(b);
    Ringward__Admin__CertsPendingRequest pq = RINGWARD__ADMIN__CERTS_PENDING_REQUEST__INIT;
    REQ(pf, CERTS_PENDING, certs_pending, pq);
    Frame *r = call(&admin, &pf);
    cr_assert_eq(r->certs_pending_ok->n_requests, 2);
    frame_free(r);
    r = call(&producer, &pf);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    r = decide(ida, true);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert_str_eq(r->certs_approve_ok->principal, "edge-5");
    frame_free(r);
    r = decide(idb, false);
    cr_assert_eq(err_code(r), 0);
    frame_free(r);
    r = decide(ida, true);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__INVALID_ARGUMENT, "approved twice");
    frame_free(r);
    Frame *keep = NULL;
    cr_assert_str_eq(status_of(ida, &keep), "issued");
    cr_assert(strstr(keep->enroll_status_ok->cert_pem, "BEGIN CERTIFICATE"));
    frame_free(keep);
    cr_assert_str_eq(status_of(idb, &keep), "rejected");
    frame_free(keep);
}

/* A producer certificate in the store; its caller and key. */
struct holder {
    X509 *cert;
    uint8_t serial[20];
    size_t serial_len;
    struct rw_sec_identity id;
    struct rw_adm_caller caller;
};

static void holder_make(struct holder *h, const char *name)
{
    h->cert = tl_pki_issue(pki, name, RW_ROLE_PRODUCER, 0);
    cr_assert(h->cert);
    cr_assert(rw_ok(rw_sec_cert_serial(h->cert, h->serial, sizeof(h->serial), &h->serial_len)));
    memset(&h->id, 0, sizeof(h->id));
    snprintf(h->id.principal, sizeof(h->id.principal), "%s", name);
    h->id.role = RW_ROLE_PRODUCER;
    h->caller = (struct rw_adm_caller){.id = &h->id, .serial = h->serial,
                                       .serial_len = h->serial_len, .address = "10.0.1.1"};
}

static Frame *renew(struct holder *h, const char *cn, EVP_PKEY *reuse)
{
    uint8_t *der = NULL;
    size_t len = 0;
    if (reuse) {
        cr_assert(rw_ok(adm_csr_make(reuse, cn, &der, &len)));
    } else {
        make_csr(cn, NULL, &der, &len);
    }
    Ringward__Admin__RenewSelfRequest q = RINGWARD__ADMIN__RENEW_SELF_REQUEST__INIT;
    q.csr.data = der;
    q.csr.len = len;
    REQ(f, RENEW_SELF, renew_self, q);
    Frame *r = call(&h->caller, &f);
    OPENSSL_free(der);
    return r;
}

Test(adm_rpc, renew_self_supersedes_and_shows_lineage)
{
    struct holder h;
    holder_make(&h, "worker-1");
    Frame *r = renew(&h, "worker-1", NULL);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    char *new_serial = strdup(r->renew_self_ok->serial);
    frame_free(r);
    Ringward__Admin__CertsShowRequest q = RINGWARD__ADMIN__CERTS_SHOW_REQUEST__INIT;
    q.serial = new_serial;
    REQ(f, CERTS_SHOW, certs_show, q);
    r = call(&admin, &f);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    cr_assert_eq(r->certs_show_ok->n_lineage, 2);
    cr_assert_str_eq(r->certs_show_ok->lineage[0]->status, "superseded");
    cr_assert_str_eq(r->certs_show_ok->lineage[0]->superseded_by, new_serial);
    cr_assert_str_eq(r->certs_show_ok->lineage[1]->status, "active");
    frame_free(r);
    free(new_serial);
    X509_free(h.cert);
}

Test(adm_rpc, renew_self_cannot_change_subject_or_role_or_keep_the_key)
{
    struct holder h;
    holder_make(&h, "worker-2");
    Frame *r = renew(&h, "worker-3", NULL);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    h.id.role = RW_ROLE_ADMIN; /* an identity that does not match the certificate */
    r = renew(&h, "worker-2", NULL);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
    h.id.role = RW_ROLE_PRODUCER;
    char path[512];
    tl_pki_path(pki, "worker-2.key", path, sizeof(path));
    struct rw_buf kb;
    rw_buf_init(&kb, 1 << 16);
    cr_assert(rw_ok(rw_buf_read_file(&kb, path)));
    EVP_PKEY *old_key = NULL;
    cr_assert(rw_ok(rw_sec_key_from_pem((const char *)kb.data, NULL, &old_key)));
    rw_buf_wipe_cleanup(&kb);
    r = renew(&h, "worker-2", old_key);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    frame_free(r);
    EVP_PKEY_free(old_key);
    X509_free(h.cert);
}

Test(adm_rpc, revoked_certificate_cannot_renew)
{
    struct holder h;
    holder_make(&h, "worker-4");
    cr_assert(tl_pki_revoke(pki, h.cert, 1));
    Frame *r = renew(&h, "worker-4", NULL);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__REVOKED);
    frame_free(r);
    X509_free(h.cert);
}

Test(adm_rpc, rate_limit_is_resource_exhausted)
{
    struct rw_adm_service_cfg cfg = {.principal_rate = 0.001, .principal_burst = 2};
    service(&cfg);
    rw_adm_service_set_time(svc, 1000000);
    for (int i = 0; i < 2; i++) {
        Frame *r = ca_list(&admin);
        cr_assert_eq(err_code(r), 0);
        frame_free(r);
    }
    Frame *r = ca_list(&admin);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED);
    cr_assert_eq(r->correlation_id, 7);
    frame_free(r);
    r = ca_list(&producer); /* others keep being served */
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    frame_free(r);
}

Test(adm_rpc, malformed_unknown_and_oversized_are_typed_errors)
{
    const uint8_t garbage[] = {0x08, 0x05, 0xff, 0xff, 0xff};
    Frame *r = call_raw(&admin, garbage, sizeof(garbage));
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    frame_free(r);
    const uint8_t unknown[] = {0x08, 0x09, 0xfa, 0x06, 0x00}; /* field 111, empty */
    r = call_raw(&admin, unknown, sizeof(unknown));
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    cr_assert_eq(r->correlation_id, 9);
    frame_free(r);
    Ringward__Admin__CaListResponse resp = RINGWARD__ADMIN__CA_LIST_RESPONSE__INIT;
    REQ(f, CA_LIST_OK, ca_list_ok, resp);
    r = call(&admin, &f);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    frame_free(r);
    size_t big = RW_ADM_DEFAULT_MAX_REQUEST + 1;
    uint8_t *b = calloc(1, big);
    r = call_raw(&admin, b, big);
    cr_assert_eq(err_code(r), RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED);
    frame_free(r);
    free(b);
    r = ca_list(&admin); /* still serving */
    cr_assert_eq(err_code(r), 0);
    frame_free(r);
}

Test(adm_rpc, acl_methods_and_status)
{
    Ringward__Admin__AclRule rule = RINGWARD__ADMIN__ACL_RULE__INIT;
    rule.principal = "producer-1";
    rule.resource = "demo.*";
    rule.ops = "produce";
    rule.effect = "allow";
    Ringward__Admin__AclAddRequest aq = RINGWARD__ADMIN__ACL_ADD_REQUEST__INIT;
    aq.rule = &rule;
    REQ(af, ACL_ADD, acl_add, aq);
    Frame *r = call(&admin, &af);
    cr_assert_eq(err_code(r), 0, "%s", r->error ? r->error->message : "");
    frame_free(r);
    Ringward__Admin__AclCheckRequest cq = RINGWARD__ADMIN__ACL_CHECK_REQUEST__INIT;
    cq.principal = "producer-1";
    cq.topic = "demo.x";
    cq.op = "produce";
    REQ(cf, ACL_CHECK, acl_check, cq);
    r = call(&admin, &cf);
    cr_assert(r->acl_check_ok->allowed);
    frame_free(r);
    Ringward__Admin__StatusRequest sq = RINGWARD__ADMIN__STATUS_REQUEST__INIT;
    REQ(sf, STATUS, status, sq);
    r = call(&admin, &sf);
    cr_assert_str_eq(r->status_ok->version, RW_ADM_VERSION);
    cr_assert_eq(r->status_ok->event_seq, last_seq());
    frame_free(r);
}
