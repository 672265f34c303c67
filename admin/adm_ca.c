/* admin/adm_ca.c — `ca list|intermediate|show|disable`. */
#include <stdio.h>
#include <stdlib.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

static struct rw_result print_ca_json(struct rw_buf *b, const struct rw_store_ca *c, bool first)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(c->serial, c->serial_len, serial);
    int64_t not_after = 0;
    X509 *x = NULL;
    if (rw_ok(rw_sec_x509_from_der(c->cert_der, c->cert_der_len, &x))) {
        if (!rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(x), &not_after))) {
            not_after = 0;
        }
        X509_free(x);
    }
    RW_GUARD(rw_buf_append_str(b, first ? "{" : ",{"));
    RW_GUARD(rw_json_kv_str(b, true, "id", c->id));
    RW_GUARD(rw_json_kv_str(b, false, "cn", c->cn));
    RW_GUARD(rw_json_kv_str(b, false, "parent", c->parent_id));
    RW_GUARD(rw_json_kv_str(b, false, "serial", serial));
    RW_GUARD(rw_json_kv_str(b, false, "key_alg", c->key_alg));
    RW_GUARD(rw_json_kv_int(b, false, "path_len", c->path_len));
    RW_GUARD(rw_json_kv_bool(b, false, "disabled", c->disabled));
    RW_GUARD(rw_json_kv_bool(b, false, "key_encrypted", c->key_encrypted));
    RW_GUARD(rw_json_kv_int(b, false, "not_after", not_after));
    return rw_buf_append_str(b, "}");
}

static struct rw_result list_cas(const struct adm_args *a, struct rw_store *s)
{
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(s, &cas, &n));
    struct rw_result r = RW_SUCCESS;
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 16u << 20);
        r = rw_buf_append_str(&b, "[");
        for (size_t i = 0; i < n && rw_ok(r); i++) {
            r = print_ca_json(&b, &cas[i], i == 0);
        }
        if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "]\n"))) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        printf("%-24s %-24s %-24s %-8s %-8s %s\n", "ID", "CN", "PARENT", "KEY", "PATHLEN", "STATUS");
        for (size_t i = 0; i < n; i++) {
            char pl[16];
            snprintf(pl, sizeof(pl), "%d", cas[i].path_len);
            printf("%-24s %-24s %-24s %-8s %-8s %s\n", cas[i].id, cas[i].cn,
                   cas[i].parent_id[0] ? cas[i].parent_id : "-", cas[i].key_alg,
                   cas[i].path_len < 0 ? "none" : pl, cas[i].disabled ? "disabled" : "active");
        }
    }
    rw_store_ca_list_free(cas, n);
    return r;
}

int adm_cmd_ca_list(const struct adm_args *a) { return adm_with_store(a, list_cas); }

static struct rw_result intermediate(const struct adm_args *a, struct rw_store *s)
{
    struct rw_sec_ca_opts o = {.path_len = -1, .alg = RW_KEY_P256};
    RW_GUARD(adm_require(a, "parent-ca", &o.parent_id));
    RW_GUARD(adm_require(a, "cn", &o.cn));
    o.org = adm_get(a, "org");
    const char *v = adm_get(a, "path-len");
    int64_t n = 0;
    if (v) {
        RW_GUARD(adm_parse_int(v, 0, 16, &n));
        o.path_len = (int)n;
    }
    if ((v = adm_get(a, "ttl"))) {
        RW_GUARD(adm_parse_duration(v, &o.ttl));
    }
    if ((v = adm_get(a, "key-alg"))) {
        RW_ENSURE_MSG(rw_sec_key_alg_parse(v, &o.alg), RW_ERR_USAGE,
                      "unknown --key-alg '%s' (p256, p384, ed25519, rsa3072)", v);
    }
    struct rw_sec_ca ca;
    RW_GUARD(adm_ca_open(a, s, &ca));
    char id[RW_STORE_ID_MAX];
    struct rw_result r = rw_sec_ca_create(&ca, &o, id);
    adm_ca_cleanup(&ca);
    RW_GUARD(r);
    printf("created intermediate CA '%s' under '%s'\n", id, o.parent_id);
    adm_result_str("id", id);
    adm_result_str("parent", o.parent_id);
    return RW_SUCCESS;
}

int adm_cmd_ca_intermediate(const struct adm_args *a) { return adm_with_store(a, intermediate); }

static struct rw_result show(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "usage: ringward-admin ca show ID");
    char *pem = NULL;
    size_t len = 0;
    RW_GUARD(rw_sec_ca_chain_pem(s, a->pos[0], &pem, &len));
    adm_result_str("id", a->pos[0]);
    adm_result_str("chain_pem", pem); /* NUL-terminated */
    if (!adm_result_on()) {
        fwrite(pem, 1, len, stdout);
    }
    free(pem);
    return RW_SUCCESS;
}

int adm_cmd_ca_show(const struct adm_args *a) { return adm_with_store(a, show); }

static struct rw_result disable(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "usage: ringward-admin ca disable ID");
    struct rw_sec_ca ca = {.store = s, .actor = adm_actor()};
    RW_GUARD(rw_sec_ca_disable(&ca, a->pos[0]));
    printf("disabled CA '%s': it issues nothing more and stays trusted until revoked\n", a->pos[0]);
    adm_result_str("id", a->pos[0]);
    adm_result_bool("disabled", true);
    return RW_SUCCESS;
}

int adm_cmd_ca_disable(const struct adm_args *a) { return adm_with_store(a, disable); }
