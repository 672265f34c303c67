/* admin/adm_remote_certs.c — certs issue|revoke, crl get, events, acl, and
 * the operator side of enrollment (tokens create, certs pending|approve|
 * reject) and status, over the admin RPC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_json.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

#define MAX_SANS 32

static const char *opt(const struct adm_args *a, const char *name)
{
    const char *v = adm_get(a, name);
    return v ? v : "";
}

static struct rw_result write_issued(const struct adm_args *a, const char *principal,
                                     const Ringward__Admin__CertsIssueResponse *resp)
{
    STACK_OF(X509) *sk = NULL;
    EVP_PKEY *key = NULL;
    char dir[ADM_PATH_MAX];
    const char *out = adm_get(a, "out");
    snprintf(dir, sizeof(dir), "%s", out ? out : "");
    if (!out) {
        snprintf(dir, sizeof(dir), "%s/pki", adm_data_dir(a));
    }
    RW_GUARD(rw_sec_x509_stack_from_pem(resp->cert_pem, strlen(resp->cert_pem), &sk));
    struct rw_result r = rw_sec_key_from_pem(resp->key_pem, NULL, &key);
    if (rw_ok(r)) {
        r = adm_write_bundle(dir, principal, sk_X509_value(sk, 0), key, resp->chain_pem,
                             strlen(resp->chain_pem));
    }
    EVP_PKEY_free(key);
    sk_X509_pop_free(sk, X509_free);
    return r;
}

int adm_rpc_cmd_certs_issue(const struct adm_args *a)
{
    Ringward__Admin__CertsIssueRequest q = RINGWARD__ADMIN__CERTS_ISSUE_REQUEST__INIT;
    const char *sans[MAX_SANS], *dns[MAX_SANS], *ips[MAX_SANS];
    struct rw_result r = adm_require(a, "principal", (const char **)&q.principal);
    if (rw_ok(r)) {
        r = adm_require(a, "role", (const char **)&q.role);
    }
    const char *v = adm_get(a, "ttl");
    if (rw_ok(r) && v) {
        r = adm_parse_duration(v, &q.ttl);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    q.ca_id = (char *)opt(a, "ca-id");
    q.key_alg = (char *)opt(a, "key-alg");
    size_t n = adm_get_all(a, "san", sans, MAX_SANS);
    for (size_t i = 0; i < n; i++) {
        bool ip = strncmp(sans[i], "IP:", 3) == 0;
        const char *s = ip ? sans[i] + 3 : strncmp(sans[i], "DNS:", 4) == 0 ? sans[i] + 4 : sans[i];
        ip = ip || strspn(s, "0123456789.:abcdefABCDEF") == strlen(s);
        if (ip) {
            ips[q.n_ips++] = s;
        } else {
            dns[q.n_dns++] = s;
        }
    }
    q.dns = (char **)dns;
    q.ips = (char **)ips;
    ADM_FRAME(f, CERTS_ISSUE, certs_issue, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        r = write_issued(a, q.principal, resp->certs_issue_ok);
    }
    if (rw_ok(r)) {
        fprintf(stderr, "issued %s certificate for '%s', serial %s\n", q.role, q.principal,
                resp->certs_issue_ok->serial);
        adm_result_str("serial", resp->certs_issue_ok->serial);
        adm_result_str("principal", q.principal);
        adm_result_str("role", q.role);
    }
    if (resp && resp->certs_issue_ok && resp->certs_issue_ok->key_pem) {
        OPENSSL_cleanse(resp->certs_issue_ok->key_pem, strlen(resp->certs_issue_ok->key_pem));
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_certs_revoke(const struct adm_args *a)
{
    if (a->n_pos != 1) {
        rw_err_detail_set("usage: ringward-admin certs revoke SERIAL --reason REASON");
        return adm_report(RW_ERR(RW_ERR_USAGE));
    }
    Ringward__Admin__CertsRevokeRequest q = RINGWARD__ADMIN__CERTS_REVOKE_REQUEST__INIT;
    q.serial = (char *)a->pos[0];
    q.reason = (char *)opt(a, "reason");
    ADM_FRAME(f, CERTS_REVOKE, certs_revoke, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        printf("revoked %s (%s)\n", a->pos[0], resp->certs_revoke_ok->reason);
        adm_result_str("serial", a->pos[0]);
        adm_result_str("reason", resp->certs_revoke_ok->reason);
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_crl_get(const struct adm_args *a)
{
    Ringward__Admin__CrlGetRequest q = RINGWARD__ADMIN__CRL_GET_REQUEST__INIT;
    struct rw_result r = adm_require(a, "ca", (const char **)&q.ca_id);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    q.der = adm_flag(a, "der");
    ADM_FRAME(f, CRL_GET, crl_get, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, true, &f, &resp);
    const char *path = adm_get(a, "out");
    if (rw_ok(r) && path) {
        r = rw_sec_public_write_file(path, resp->crl_get_ok->crl.data, resp->crl_get_ok->crl.len);
        if (rw_ok(r)) {
            fprintf(stderr, "wrote %s\n", path);
            adm_result_str("out", path);
        }
    } else if (rw_ok(r) && adm_result_on() && !q.der) {
        size_t n = resp->crl_get_ok->crl.len; /* bytes, not a C string */
        char *pem = malloc(n + 1);
        if (pem) {
            memcpy(pem, resp->crl_get_ok->crl.data, n);
            pem[n] = '\0';
            adm_result_str("crl_pem", pem);
        }
        free(pem);
    } else if (rw_ok(r)) {
        fwrite(resp->crl_get_ok->crl.data, 1, resp->crl_get_ok->crl.len, stdout);
    }
    return adm_remote_finish(r, resp);
}

static void print_event(const Ringward__Admin__Event *e, bool json)
{
    if (json) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 20);
        struct rw_result jr = RW_SUCCESS;
        ADM_ACC(jr, rw_buf_append_str(&b, "{"));
        ADM_ACC(jr, rw_json_kv_int(&b, true, "seq", e->seq));
        ADM_ACC(jr, rw_json_kv_int(&b, false, "at", e->at));
        ADM_ACC(jr, rw_json_kv_str(&b, false, "actor", e->actor));
        ADM_ACC(jr, rw_json_kv_str(&b, false, "kind", e->kind));
        ADM_ACC(jr, rw_json_kv_str(&b, false, "object", e->object));
        ADM_ACC(jr, rw_buf_append_str(&b, ",\"payload\":"));
        ADM_ACC(jr, rw_buf_append_str(&b, e->payload));
        ADM_ACC(jr, rw_buf_append_str(&b, "}\n"));
        if (rw_ok(jr)) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
        return;
    }
    char at[32];
    adm_fmt_time(e->at, at, sizeof(at));
    printf("%-6lld %-21s %-20s %-14s %-34s %s\n", (long long)e->seq, at, e->actor, e->kind,
           e->object, e->payload);
}

int adm_rpc_cmd_events(const struct adm_args *a)
{
    int64_t since = 0;
    const char *v = adm_get(a, "since");
    struct rw_result r = v ? adm_parse_int(v, 0, INT64_MAX, &since) : RW_SUCCESS;
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    bool json = adm_flag(a, "json"), follow = adm_flag(a, "follow");
    struct adm_remote_opts o;
    adm_remote_opts_from(a, ADM_REMOTE_CERT, false, &o);
    struct adm_remote *conn = NULL;
    r = adm_remote_open(&o, &conn);
    if (rw_ok(r) && !json) {
        printf("%-6s %-21s %-20s %-14s %-34s %s\n", "SEQ", "AT", "ACTOR", "KIND", "OBJECT",
               "DETAILS");
    }
    while (rw_ok(r)) {
        Ringward__Admin__EventsRequest q = RINGWARD__ADMIN__EVENTS_REQUEST__INIT;
        q.since = since;
        ADM_FRAME(f, EVENTS, events, q);
        Ringward__Admin__AdminFrame *resp = NULL;
        r = adm_remote_call(conn, &f, &resp);
        size_t n = rw_ok(r) ? resp->events_ok->n_events : 0;
        for (size_t i = 0; i < n; i++) {
            print_event(resp->events_ok->events[i], json);
            since = resp->events_ok->events[i]->seq;
        }
        adm_remote_free(resp);
        fflush(stdout);
        if (rw_ok(r) && n == 0) {
            if (!follow) {
                break;
            }
            usleep(500 * 1000); /* --follow: poll the log as it grows */
        }
    }
    adm_remote_close(conn);
    return adm_report(r);
}

/* ---- acl ---- */

int adm_rpc_cmd_acl_add(const struct adm_args *a)
{
    Ringward__Admin__AclRule rule = RINGWARD__ADMIN__ACL_RULE__INIT;
    struct rw_result r = adm_require(a, "principal", (const char **)&rule.principal);
    if (rw_ok(r)) {
        r = adm_require(a, "topic", (const char **)&rule.resource);
    }
    if (rw_ok(r)) {
        r = adm_require(a, "op", (const char **)&rule.ops);
    }
    bool allow = adm_flag(a, "allow"), deny = adm_flag(a, "deny");
    if (rw_ok(r) && allow == deny) {
        rw_err_detail_set("give exactly one of --allow or --deny");
        r = RW_ERR(RW_ERR_USAGE);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    rule.effect = allow ? "allow" : "deny";
    Ringward__Admin__AclAddRequest q = RINGWARD__ADMIN__ACL_ADD_REQUEST__INIT;
    q.rule = &rule;
    ADM_FRAME(f, ACL_ADD, acl_add, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        printf("%lld\n", (long long)resp->acl_add_ok->id);
        adm_result_int("id", resp->acl_add_ok->id);
        fprintf(stderr, "added ACL rule %lld: %s %s %s %s\n", (long long)resp->acl_add_ok->id,
                rule.effect, rule.principal, rule.ops, rule.resource);
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_acl_list(const struct adm_args *a)
{
    Ringward__Admin__AclListRequest q = RINGWARD__ADMIN__ACL_LIST_REQUEST__INIT;
    ADM_FRAME(f, ACL_LIST, acl_list, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__AclListResponse *l = resp->acl_list_ok;
    bool json = adm_flag(a, "json");
    if (json) {
        printf("[");
    } else {
        printf("%-6s %-6s %-24s %-31s %-24s %s\n", "ID", "EFFECT", "PRINCIPAL", "OPERATIONS",
               "TOPIC", "CREATED");
    }
    for (size_t i = 0; i < l->n_rules; i++) {
        const Ringward__Admin__AclRule *x = l->rules[i];
        if (json) {
            struct rw_buf b;
            rw_buf_init(&b, 1u << 16);
            struct rw_result jr = RW_SUCCESS;
            ADM_ACC(jr, rw_buf_append_str(&b, i == 0 ? "{" : ",{"));
            ADM_ACC(jr, rw_json_kv_int(&b, true, "id", x->id));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "principal", x->principal));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "resource", x->resource));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "ops", x->ops));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "effect", x->effect));
            ADM_ACC(jr, rw_json_kv_int(&b, false, "created_at", x->created_at));
            ADM_ACC(jr, rw_buf_append_str(&b, "}"));
            if (rw_ok(jr)) {
                fwrite(b.data, 1, b.len, stdout);
            }
            rw_buf_cleanup(&b);
        } else {
            char at[32];
            adm_fmt_time(x->created_at, at, sizeof(at));
            printf("%-6lld %-6s %-24s %-31s %-24s %s\n", (long long)x->id, x->effect,
                   x->principal, x->ops, x->resource, at);
        }
    }
    if (json) {
        printf("]\n");
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_acl_remove(const struct adm_args *a)
{
    Ringward__Admin__AclRemoveRequest q = RINGWARD__ADMIN__ACL_REMOVE_REQUEST__INIT;
    struct rw_result r = a->n_pos == 1 ? adm_parse_int(a->pos[0], 1, INT64_MAX, &q.id)
                                       : RW_ERR(RW_ERR_USAGE);
    if (!rw_ok(r)) {
        rw_err_detail_set("usage: ringward-admin acl remove RULE_ID");
        return adm_report(r);
    }
    ADM_FRAME(f, ACL_REMOVE, acl_remove, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        const Ringward__Admin__AclRule *x = resp->acl_remove_ok->removed;
        adm_result_int("id", q.id);
        printf("removed ACL rule %lld (%s %s %s %s)\n", (long long)q.id, x->effect, x->principal,
               x->ops, x->resource);
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_acl_check(const struct adm_args *a)
{
    Ringward__Admin__AclCheckRequest q = RINGWARD__ADMIN__ACL_CHECK_REQUEST__INIT;
    struct rw_result r = adm_require(a, "principal", (const char **)&q.principal);
    if (rw_ok(r)) {
        r = adm_require(a, "topic", (const char **)&q.topic);
    }
    if (rw_ok(r)) {
        r = adm_require(a, "op", (const char **)&q.op);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    ADM_FRAME(f, ACL_CHECK, acl_check, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__AclCheckResponse *c = resp->acl_check_ok;
    const char *verdict = c->allowed ? "ALLOW" : "DENY";
    adm_result_bool("allowed", c->allowed);
    adm_result_int("rule", c->rule ? c->rule_id : 0);
    if (c->rule) {
        printf("%s by rule %lld (%s %s %s %s)\n", verdict, (long long)c->rule_id, c->rule->effect,
               c->rule->principal, c->rule->ops, c->rule->resource);
    } else {
        printf("%s (no matching rule: default deny)\n", verdict);
    }
    bool allowed = c->allowed;
    adm_remote_free(resp);
    return allowed ? ADM_EXIT_OK : ADM_EXIT_FAIL;
}

int adm_rpc_cmd_certs_sign_csr(const struct adm_args *a)
{
    if (a->n_pos != 1) {
        rw_err_detail_set("usage: ringward-admin certs sign-csr FILE --role R");
        return adm_report(RW_ERR(RW_ERR_USAGE));
    }
    Ringward__Admin__CertsSignCsrRequest q = RINGWARD__ADMIN__CERTS_SIGN_CSR_REQUEST__INIT;
    struct rw_buf csr;
    rw_buf_init(&csr, 16384);
    struct rw_result r = adm_require(a, "role", (const char **)&q.role);
    const char *v = adm_get(a, "ttl");
    if (rw_ok(r) && v) {
        r = adm_parse_duration(v, &q.ttl);
    }
    if (rw_ok(r)) {
        r = rw_buf_read_file(&csr, a->pos[0]);
    }
    if (!rw_ok(r)) {
        rw_buf_cleanup(&csr);
        return adm_report(r);
    }
    q.csr.data = csr.data;
    q.csr.len = csr.len;
    q.principal = (char *)opt(a, "principal");
    q.ca_id = (char *)opt(a, "ca-id");
    ADM_FRAME(f, CERTS_SIGN_CSR, certs_sign_csr, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    rw_buf_cleanup(&csr);
    const char *out = adm_get(a, "out");
    if (rw_ok(r)) {
        const char *pem = resp->certs_sign_csr_ok->cert_pem;
        if (out) {
            r = rw_sec_public_write_file(out, pem, strlen(pem));
        } else {
            fputs(pem, stdout);
        }
    }
    if (rw_ok(r)) {
        fprintf(stderr, "issued %s certificate for '%s', serial %s\n", q.role,
                resp->certs_sign_csr_ok->principal, resp->certs_sign_csr_ok->serial);
        adm_result_str("serial", resp->certs_sign_csr_ok->serial);
        adm_result_str("principal", resp->certs_sign_csr_ok->principal);
        adm_result_str("role", q.role);
    }
    return adm_remote_finish(r, resp);
}
