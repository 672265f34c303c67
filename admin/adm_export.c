/* admin/adm_export.c — `certs export` on the data directory, and what both
 * forms share: the arguments and the single-certificate output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/adm_cmds.h"
#include "admin/adm_export.h"
#include "core/rw_buf.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_cert.h"
#include "security/sec_ossl.h"

#define USAGE_ONE "usage: ringward-admin certs export SERIAL --out DIR [--force] [--json]"
#define USAGE_ALL "usage: ringward-admin certs export --all --output FILE.tar.gz [--force] [--json]"

static struct rw_result parse_target(const struct adm_args *a, struct adm_export_req *q)
{
    q->out_dir = adm_get(a, "out");
    q->output = adm_get(a, "output");
    if (q->all) {
        RW_ENSURE_MSG(a->n_pos == 0, RW_ERR_USAGE,
                      "give either SERIAL or --all, not both\n" USAGE_ONE "\n" USAGE_ALL);
        RW_ENSURE_MSG(!q->out_dir, RW_ERR_USAGE, "--all writes one archive: give --output FILE, "
                      "not --out\n" USAGE_ALL);
        RW_ENSURE_MSG(q->output && q->output[0], RW_ERR_USAGE,
                      "--all needs --output FILE\n" USAGE_ALL);
        return RW_SUCCESS;
    }
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE,
                  "give one SERIAL, or --all for every certificate\n" USAGE_ONE "\n" USAGE_ALL);
    RW_ENSURE_MSG(!q->output, RW_ERR_USAGE, "--output is for --all; one certificate is written "
                  "to --out DIR\n" USAGE_ONE);
    RW_ENSURE_MSG(q->out_dir && q->out_dir[0], RW_ERR_USAGE, "missing --out DIR\n" USAGE_ONE);
    RW_GUARD(adm_parse_serial(a->pos[0], q->serial_bin, &q->serial_len));
    RW_ENSURE_MSG(q->serial_len > 0, RW_ERR_USAGE, "'%s' is not a serial number", a->pos[0]);
    rw_hex_encode(q->serial_bin, q->serial_len, q->serial);
    return RW_SUCCESS;
}

struct rw_result adm_export_parse(const struct adm_args *a, struct adm_export_req *q)
{
    memset(q, 0, sizeof(*q));
    q->all = adm_flag(a, "all");
    q->force = adm_flag(a, "force");
    q->json = adm_flag(a, "json");
    q->page_size = ADM_EXPORT_PAGE_DEFAULT;
    const char *v = adm_get(a, "page-size");
    if (v) {
        int64_t n = 0;
        RW_GUARD(adm_parse_int(v, 1, RW_STORE_KEYS_PAGE_MAX - 1, &n));
        q->page_size = (size_t)n;
    }
    return parse_target(a, q);
}

/* ---- one certificate ---- */

static struct rw_result json_file(struct rw_buf *b, bool first, const char *path,
                                  const char *content, bool written)
{
    RW_GUARD(rw_buf_append_str(b, first ? "{" : ",{"));
    RW_GUARD(rw_json_kv_str(b, true, "path", path));
    RW_GUARD(rw_json_kv_str(b, false, "content", content));
    RW_GUARD(rw_json_kv_bool(b, false, "written", written));
    return rw_buf_append_str(b, "}");
}

static struct rw_result print_single(const struct adm_export_req *q, const struct rw_store_cert *c,
                                     const char *status, const char *paths[2], const bool wrote[2],
                                     int chain_n)
{
    if (!q->json) {
        for (int i = 0; i < 2; i++) {
            printf("%s %s\n", wrote[i] ? "wrote" : "unchanged (already identical)", paths[i]);
        }
        fprintf(stderr, "exported %s (%s, %s) and its chain of %d; no private key\n", q->serial,
                c->principal, status, chain_n);
        return RW_SUCCESS;
    }
    struct rw_buf b;
    rw_buf_init(&b, 1u << 20);
    struct rw_result r = rw_buf_append_str(&b, "{");
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, true, "serial", q->serial));
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "principal", c->principal));
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "role", c->role));
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "ca", c->issuer_ca_id));
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "status", status));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "chain_certificates", chain_n));
    ADM_EXPORT_ACC(r, rw_json_kv_bool(&b, false, "private_key", false));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, ",\"files\":["));
    ADM_EXPORT_ACC(r, json_file(&b, true, paths[0], "certificate", wrote[0]));
    ADM_EXPORT_ACC(r, json_file(&b, false, paths[1], "ca-chain", wrote[1]));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, "]}\n"));
    if (rw_ok(r)) {
        fwrite(b.data, 1, b.len, stdout);
    }
    rw_buf_cleanup(&b);
    return r;
}

struct rw_result adm_export_der_to_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len)
{
    X509 *x = NULL;
    *pem = NULL;
    *pem_len = 0;
    RW_GUARD(rw_sec_x509_from_der(der, len, &x));
    struct rw_result r = rw_sec_cert_append_pem(x, pem, pem_len);
    X509_free(x);
    return r;
}

struct rw_result adm_export_single(const struct adm_export_req *q, const struct rw_store_cert *c,
                                   const char *status, const char *chain_pem, size_t chain_len)
{
    const char *name = c->principal;
    if (!adm_export_safe_name(name)) {
        fprintf(stderr, "ringward-admin: warning: the principal '%s' is not a safe file name: "
                        "writing %s.pem instead\n", c->principal, q->serial);
        name = q->serial;
    }
    char cert_path[ADM_PATH_MAX], chain_path[ADM_PATH_MAX], *pem = NULL;
    size_t pem_len = 0;
    RW_GUARD(adm_path(cert_path, q->out_dir, name, ".pem"));
    RW_GUARD(adm_path(chain_path, q->out_dir, "ca-chain", ".pem"));
    RW_GUARD(adm_export_der_to_pem(c->der, c->der_len, &pem, &pem_len));
    bool same[2] = {false, false};
    struct rw_result r = adm_mkdirs(q->out_dir, 0755);
    ADM_EXPORT_ACC(r, adm_export_check(cert_path, pem, pem_len, q->force, &same[0]));
    ADM_EXPORT_ACC(r, adm_export_check(chain_path, chain_pem, chain_len, q->force, &same[1]));
    if (rw_ok(r) && !same[0]) {
        r = adm_export_write(cert_path, pem, pem_len, 0644, q->force);
    }
    if (rw_ok(r) && !same[1]) {
        r = adm_export_write(chain_path, chain_pem, chain_len, 0644, q->force);
    }
    free(pem);
    RW_GUARD(r);
    int chain_n = 0;
    for (const char *p = chain_pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")); p++) {
        chain_n++;
    }
    const char *paths[2] = {cert_path, chain_path};
    const bool wrote[2] = {!same[0], !same[1]};
    return print_single(q, c, status, paths, wrote, chain_n);
}

/* ---- offline ---- */

static const char *status_of(const struct rw_store_cert *c, int64_t now)
{
    return c->revoked ? "revoked" : c->not_after <= now ? "expired" : "active";
}

static struct rw_result one(const struct adm_export_req *q, struct rw_store *s)
{
    struct rw_store_cert c;
    struct rw_result r = rw_store_cert_get(s, q->serial_bin, q->serial_len, &c);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_NOT_FOUND,
                  "no certificate with serial %s in the store; nothing was written", q->serial);
    RW_GUARD(r);
    char *chain = NULL;
    size_t chain_len = 0;
    r = rw_sec_ca_chain_pem(s, c.issuer_ca_id, &chain, &chain_len);
    if (rw_ok(r)) {
        r = adm_export_single(q, &c, status_of(&c, (int64_t)time(NULL)), chain, chain_len);
    }
    free(chain);
    rw_store_cert_cleanup(&c);
    return r;
}

static struct rw_result add_cas(struct adm_export_tar *t, struct rw_store *s)
{
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(s, &cas, &n));
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        char serial[2 * RW_STORE_SERIAL_MAX + 1];
        rw_hex_encode(cas[i].serial, cas[i].serial_len, serial);
        struct adm_export_ca ca = {.id = cas[i].id, .cn = cas[i].cn, .parent = cas[i].parent_id,
                                   .serial = serial, .disabled = cas[i].disabled,
                                   .der = cas[i].cert_der, .der_len = cas[i].cert_der_len};
        r = adm_export_tar_ca(t, &ca);
    }
    rw_store_ca_list_free(cas, n);
    return r;
}

/* One page of the store into the archive: *after moves on; *more when
 * another page follows (one key more than the page is read to know). */
static struct rw_result add_page(void *store, struct adm_export_tar *t, size_t page,
                                 int64_t *after, bool *more)
{
    struct rw_store *s = store;
    struct rw_store_cert_key *keys = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_cert_keys_after(s, *after, page + 1, &keys, &n));
    *more = n > page;
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < n && i < page && rw_ok(r); i++) {
        struct rw_store_cert c;
        r = rw_store_cert_get(s, keys[i].serial, keys[i].serial_len, &c);
        ADM_EXPORT_ACC(r, adm_export_tar_cert(t, &c));
        rw_store_cert_cleanup(&c);
        *after = keys[i].pos;
    }
    free(keys);
    return r;
}

static struct rw_result all(const struct adm_export_req *q, struct rw_store *s)
{
    struct adm_export_tar *t = NULL;
    RW_GUARD(adm_export_tar_open(q, &t));
    struct rw_result r = add_cas(t, s);
    if (!rw_ok(r)) {
        adm_export_tar_abort(t);
        return r;
    }
    return adm_export_tar_pages(t, add_page, s);
}

int adm_cmd_certs_export(const struct adm_args *a)
{
    struct adm_export_req q;
    struct rw_result r = adm_export_parse(a, &q);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    struct rw_store *s = NULL;
    r = adm_store_open(a, &s);
    if (rw_ok(r)) {
        r = q.all ? all(&q, s) : one(&q, s);
    }
    rw_store_close(s);
    return adm_report(r);
}
