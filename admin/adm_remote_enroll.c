/* admin/adm_remote_enroll.c — tokens create, certs pending|approve|reject,
 * status (operator side): over the RPC with --server, else in-process on the
 * data directory (adm_local.c) with the same output; status needs a broker.
 * certs request lives in adm_request.c, certs renew in adm_renew.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "admin/adm_csr.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_json.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"


int adm_cmd_tokens_create(const struct adm_args *a)
{
    Ringward__Admin__TokensCreateRequest q = RINGWARD__ADMIN__TOKENS_CREATE_REQUEST__INIT;
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
    ADM_FRAME(f, TOKENS_CREATE, tokens_create, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        const Ringward__Admin__TokensCreateResponse *t = resp->tokens_create_ok;
        if (adm_flag(a, "json")) {
            struct rw_buf b;
            rw_buf_init(&b, 4096);
            struct rw_result jr = RW_SUCCESS;
            ADM_ACC(jr, rw_buf_append_str(&b, "{"));
            ADM_ACC(jr, rw_json_kv_str(&b, true, "token", t->token));
            ADM_ACC(jr, rw_json_kv_int(&b, false, "expires_at", t->expires_at));
            ADM_ACC(jr, rw_buf_append_str(&b, "}\n"));
            if (rw_ok(jr)) {
                fwrite(b.data, 1, b.len, stdout);
            }
            rw_buf_wipe_cleanup(&b);
        } else {
            char until[32];
            adm_fmt_time(t->expires_at, until, sizeof(until));
            printf("%s\n", t->token);
            fprintf(stderr, "one-time token for '%s' (%s), valid until %s; shown only now\n",
                    q.principal, q.role, until);
        }
        OPENSSL_cleanse(t->token, strlen(t->token));
    }
    return adm_remote_finish(r, resp);
}

int adm_cmd_certs_pending(const struct adm_args *a)
{
    struct rw_result r;
    Ringward__Admin__CertsPendingRequest q = RINGWARD__ADMIN__CERTS_PENDING_REQUEST__INIT;
    ADM_FRAME(f, CERTS_PENDING, certs_pending, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__CertsPendingResponse *l = resp->certs_pending_ok;
    bool json = adm_flag(a, "json");
    printf(json ? "[" : "%-6s %-24s %-9s %s\n", "ID", "PRINCIPAL", "ROLE", "REQUESTED");
    for (size_t i = 0; i < l->n_requests; i++) {
        const Ringward__Admin__CsrRequest *q2 = l->requests[i];
        char at[32];
        adm_fmt_time(q2->created_at, at, sizeof(at));
        if (json) {
            struct rw_buf b;
            rw_buf_init(&b, 4096);
            struct rw_result jr = RW_SUCCESS;
            ADM_ACC(jr, rw_buf_append_str(&b, i ? ",{" : "{"));
            ADM_ACC(jr, rw_json_kv_int(&b, true, "id", q2->id));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "principal", q2->principal));
            ADM_ACC(jr, rw_json_kv_str(&b, false, "role", q2->role));
            ADM_ACC(jr, rw_json_kv_int(&b, false, "created_at", q2->created_at));
            ADM_ACC(jr, rw_buf_append_str(&b, "}"));
            if (rw_ok(jr)) {
                fwrite(b.data, 1, b.len, stdout);
            }
            rw_buf_cleanup(&b);
        } else {
            printf("%-6lld %-24s %-9s %s\n", (long long)q2->id, q2->principal, q2->role, at);
        }
    }
    if (json) {
        printf("]\n");
    }
    return adm_remote_finish(r, resp);
}

static struct rw_result request_id(const struct adm_args *a, int64_t *id)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "give the request id (see `certs pending`)");
    return adm_parse_int(a->pos[0], 1, INT64_MAX, id);
}

int adm_cmd_certs_approve(const struct adm_args *a)
{
    Ringward__Admin__CertsApproveRequest q = RINGWARD__ADMIN__CERTS_APPROVE_REQUEST__INIT;
    struct rw_result r = request_id(a, &q.id);
    const char *v = adm_get(a, "ttl");
    if (rw_ok(r) && v) {
        r = adm_parse_duration(v, &q.ttl);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    ADM_FRAME(f, CERTS_APPROVE, certs_approve, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        adm_result_int("request_id", q.id);
        adm_result_str("serial", resp->certs_approve_ok->serial);
        adm_result_str("principal", resp->certs_approve_ok->principal);
        adm_result_str("role", resp->certs_approve_ok->role);
        printf("approved request %lld: issued %s certificate for '%s', serial %s\n",
               (long long)q.id, resp->certs_approve_ok->role, resp->certs_approve_ok->principal,
               resp->certs_approve_ok->serial);
    }
    return adm_remote_finish(r, resp);
}

int adm_cmd_certs_reject(const struct adm_args *a)
{
    Ringward__Admin__CertsRejectRequest q = RINGWARD__ADMIN__CERTS_REJECT_REQUEST__INIT;
    struct rw_result r = request_id(a, &q.id);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    const char *v = adm_get(a, "reason");
    q.reason = (char *)(v ? v : "");
    ADM_FRAME(f, CERTS_REJECT, certs_reject, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (rw_ok(r)) {
        printf("rejected request %lld\n", (long long)q.id);
        adm_result_int("request_id", q.id);
    }
    return adm_remote_finish(r, resp);
}

int adm_cmd_status(const struct adm_args *a)
{
    struct rw_result r = adm_need_server(a);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    Ringward__Admin__StatusRequest q = RINGWARD__ADMIN__STATUS_REQUEST__INIT;
    ADM_FRAME(f, STATUS, status, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = adm_remote_once(a, ADM_REMOTE_CERT, false, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__StatusResponse *s = resp->status_ok;
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 16);
        struct rw_result jr = RW_SUCCESS;
        ADM_ACC(jr, rw_buf_append_str(&b, "{"));
        ADM_ACC(jr, rw_json_kv_str(&b, true, "version", s->version));
        ADM_ACC(jr, rw_json_kv_int(&b, false, "uptime", s->uptime));
        ADM_ACC(jr, rw_json_kv_int(&b, false, "event_seq", s->event_seq));
        for (size_t i = 0; i < s->n_counters; i++) {
            ADM_ACC(jr, rw_json_kv_int(&b, false, s->counters[i]->name, (int64_t)s->counters[i]->value));
        }
        ADM_ACC(jr, rw_buf_append_str(&b, "}\n"));
        if (rw_ok(jr)) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        printf("version:    %s\nuptime:     %llds\nevent seq:  %lld\n", s->version,
               (long long)s->uptime, (long long)s->event_seq);
        for (size_t i = 0; i < s->n_counters; i++) {
            printf("%-11s %llu\n", s->counters[i]->name,
                   (unsigned long long)s->counters[i]->value);
        }
    }
    return adm_remote_finish(r, resp);
}
