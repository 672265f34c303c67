/* admin/adm_remote_cmds.c — the existing commands over the admin RPC
 * (--server / RINGWARD_SERVER): same names, options and output as offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "admin/adm_print.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"


static struct rw_result once(const struct adm_args *a, Ringward__Admin__AdminFrame *req,
                             Ringward__Admin__AdminFrame **resp)
{
    return adm_remote_once(a, ADM_REMOTE_CERT, false, req, resp);
}

/* ---- ca ---- */

static struct rw_result ca_json(struct rw_buf *b, const Ringward__Admin__CaInfo *c, bool first)
{
    struct rw_result jr = RW_SUCCESS;
    ADM_ACC(jr, rw_buf_append_str(b, first ? "{" : ",{"));
    ADM_ACC(jr, rw_json_kv_str(b, true, "id", c->id));
    ADM_ACC(jr, rw_json_kv_str(b, false, "cn", c->cn));
    ADM_ACC(jr, rw_json_kv_str(b, false, "parent", c->parent));
    ADM_ACC(jr, rw_json_kv_str(b, false, "serial", c->serial));
    ADM_ACC(jr, rw_json_kv_str(b, false, "key_alg", c->key_alg));
    ADM_ACC(jr, rw_json_kv_int(b, false, "path_len", c->path_len));
    ADM_ACC(jr, rw_json_kv_bool(b, false, "disabled", c->disabled));
    ADM_ACC(jr, rw_json_kv_bool(b, false, "key_encrypted", c->key_encrypted));
    ADM_ACC(jr, rw_json_kv_int(b, false, "not_after", c->not_after));
    ADM_ACC(jr, rw_buf_append_str(b, "}"));
    return jr;
}

int adm_rpc_cmd_ca_list(const struct adm_args *a)
{
    Ringward__Admin__CaListRequest q = RINGWARD__ADMIN__CA_LIST_REQUEST__INIT;
    ADM_FRAME(f, CA_LIST, ca_list, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = once(a, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__CaListResponse *l = resp->ca_list_ok;
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 16u << 20);
        struct rw_result jr = RW_SUCCESS;
        ADM_ACC(jr, rw_buf_append_str(&b, "["));
        for (size_t i = 0; i < l->n_cas; i++) {
            ADM_ACC(jr, ca_json(&b, l->cas[i], i == 0));
        }
        ADM_ACC(jr, rw_buf_append_str(&b, "]\n"));
        if (rw_ok(jr)) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        printf("%-24s %-24s %-24s %-8s %-8s %s\n", "ID", "CN", "PARENT", "KEY", "PATHLEN", "STATUS");
        for (size_t i = 0; i < l->n_cas; i++) {
            const Ringward__Admin__CaInfo *c = l->cas[i];
            char pl[16];
            snprintf(pl, sizeof(pl), "%d", c->path_len);
            printf("%-24s %-24s %-24s %-8s %-8s %s\n", c->id, c->cn, c->parent[0] ? c->parent : "-",
                   c->key_alg, c->path_len < 0 ? "none" : pl, c->disabled ? "disabled" : "active");
        }
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_ca_intermediate(const struct adm_args *a)
{
    Ringward__Admin__CaIntermediateRequest q = RINGWARD__ADMIN__CA_INTERMEDIATE_REQUEST__INIT;
    const char *v;
    int64_t n = -1;
    struct rw_result r = adm_require(a, "parent-ca", (const char **)&q.parent_ca);
    if (rw_ok(r)) {
        r = adm_require(a, "cn", (const char **)&q.cn);
    }
    q.org = (char *)((v = adm_get(a, "org")) ? v : "");
    q.key_alg = (char *)((v = adm_get(a, "key-alg")) ? v : "");
    if (rw_ok(r) && (v = adm_get(a, "path-len"))) {
        r = adm_parse_int(v, 0, 16, &n);
    }
    q.path_len = (int32_t)n;
    if (rw_ok(r) && (v = adm_get(a, "ttl"))) {
        r = adm_parse_duration(v, &q.ttl);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    ADM_FRAME(f, CA_INTERMEDIATE, ca_intermediate, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = once(a, &f, &resp);
    if (rw_ok(r)) {
        adm_result_str("id", resp->ca_intermediate_ok->id);
        adm_result_str("parent", q.parent_ca);
        printf("created intermediate CA '%s' under '%s'\n", resp->ca_intermediate_ok->id,
               q.parent_ca);
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_ca_show(const struct adm_args *a)
{
    if (a->n_pos != 1) {
        return adm_report(RW_ERR(RW_ERR_USAGE));
    }
    Ringward__Admin__CaShowRequest q = RINGWARD__ADMIN__CA_SHOW_REQUEST__INIT;
    q.id = (char *)a->pos[0];
    ADM_FRAME(f, CA_SHOW, ca_show, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = once(a, &f, &resp);
    if (rw_ok(r)) {
        adm_result_str("id", a->pos[0]);
        adm_result_str("chain_pem", resp->ca_show_ok->chain_pem);
        if (!adm_result_on()) {
            fputs(resp->ca_show_ok->chain_pem, stdout);
        }
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_ca_disable(const struct adm_args *a)
{
    if (a->n_pos != 1) {
        rw_err_detail_set("usage: ringward-admin ca disable ID");
        return adm_report(RW_ERR(RW_ERR_USAGE));
    }
    Ringward__Admin__CaDisableRequest q = RINGWARD__ADMIN__CA_DISABLE_REQUEST__INIT;
    q.id = (char *)a->pos[0];
    ADM_FRAME(f, CA_DISABLE, ca_disable, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = once(a, &f, &resp);
    if (rw_ok(r)) {
        adm_result_str("id", a->pos[0]);
        adm_result_bool("disabled", true);
        printf("disabled CA '%s': it issues nothing more and stays trusted until revoked\n",
               a->pos[0]);
    }
    return adm_remote_finish(r, resp);
}

/* ---- certs list / show ---- */

void adm_cert_from_info(const Ringward__Admin__CertInfo *i, struct rw_store_cert *c)
{
    memset(c, 0, sizeof(*c));
    if (!rw_ok(rw_hex_decode(i->serial, c->serial, sizeof(c->serial), &c->serial_len))) {
        c->serial_len = 0;
    }
    snprintf(c->issuer_ca_id, sizeof(c->issuer_ca_id), "%s", i->ca);
    snprintf(c->principal, sizeof(c->principal), "%s", i->principal);
    snprintf(c->role, sizeof(c->role), "%s", i->role);
    c->not_before = i->not_before;
    c->not_after = i->not_after;
    c->issued_at = i->issued_at;
    c->der = i->der.data;
    c->der_len = i->der.len;
    c->revoked = strcmp(i->status, "revoked") == 0;
    c->revoked_at = i->revoked_at;
    enum rw_reason reason = RW_REASON_UNSPECIFIED;
    c->reason = rw_sec_reason_parse(i->revocation_reason, &reason) ? (int)reason : 0;
}

int adm_rpc_cmd_certs_list(const struct adm_args *a)
{
    Ringward__Admin__CertsListRequest q = RINGWARD__ADMIN__CERTS_LIST_REQUEST__INIT;
    const char *v;
    q.principal = (char *)((v = adm_get(a, "principal")) ? v : "");
    q.role = (char *)((v = adm_get(a, "role")) ? v : "");
    q.ca_id = (char *)((v = adm_get(a, "ca-id")) ? v : "");
    q.status = (char *)((v = adm_get(a, "status")) ? v : "");
    struct rw_result r = RW_SUCCESS;
    if ((v = adm_get(a, "expiring-within"))) {
        r = adm_parse_duration(v, &q.expiring_within);
    }
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    ADM_FRAME(f, CERTS_LIST, certs_list, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    r = once(a, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__CertsListResponse *l = resp->certs_list_ok;
    int64_t now = (int64_t)time(NULL);
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 30);
        struct rw_result jr = RW_SUCCESS;
        ADM_ACC(jr, rw_buf_append_str(&b, "["));
        for (size_t i = 0; i < l->n_certs; i++) {
            struct rw_store_cert c;
            adm_cert_from_info(l->certs[i], &c);
            if (i > 0) {
                ADM_ACC(jr, rw_buf_append_str(&b, ","));
            }
            ADM_ACC(jr, adm_print_cert_json(&b, &c, now));
        }
        ADM_ACC(jr, rw_buf_append_str(&b, "]\n"));
        if (rw_ok(jr)) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        printf("%-34s %-20s %-9s %-18s %-8s %s\n", "SERIAL", "PRINCIPAL", "ROLE", "CA", "STATUS",
               "NOT AFTER");
        for (size_t i = 0; i < l->n_certs; i++) {
            struct rw_store_cert c;
            adm_cert_from_info(l->certs[i], &c);
            adm_print_cert_row(&c, now);
        }
    }
    return adm_remote_finish(r, resp);
}

int adm_rpc_cmd_certs_show(const struct adm_args *a)
{
    if (a->n_pos != 1) {
        rw_err_detail_set("usage: ringward-admin certs show SERIAL");
        return adm_report(RW_ERR(RW_ERR_USAGE));
    }
    Ringward__Admin__CertsShowRequest q = RINGWARD__ADMIN__CERTS_SHOW_REQUEST__INIT;
    q.serial = (char *)a->pos[0];
    ADM_FRAME(f, CERTS_SHOW, certs_show, q);
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = once(a, &f, &resp);
    if (!rw_ok(r)) {
        return adm_remote_finish(r, resp);
    }
    const Ringward__Admin__CertsShowResponse *s = resp->certs_show_ok;
    struct rw_store_cert c;
    adm_cert_from_info(s->cert, &c);
    int64_t now = (int64_t)time(NULL);
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 20);
        struct rw_result jr = RW_SUCCESS;
        r = adm_print_cert_json(&b, &c, now);
        if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "\n"))) {
            if (rw_ok(jr)) {
                fwrite(b.data, 1, b.len, stdout);
            }
        }
        rw_buf_cleanup(&b);
        return adm_remote_finish(r, resp);
    }
    r = adm_print_cert_human(&c, now);
    if (rw_ok(r) && s->n_lineage > 0) {
        printf("lineage (oldest first):\n");
        for (size_t i = 0; i < s->n_lineage; i++) {
            const Ringward__Admin__CertInfo *l = s->lineage[i];
            char until[32];
            adm_fmt_time(l->not_after, until, sizeof(until));
            printf("  %-34s %-10s %s%s%s\n", l->serial, l->status, until,
                   l->superseded_by[0] ? " -> " : "", l->superseded_by);
        }
    }
    return adm_remote_finish(r, resp);
}
