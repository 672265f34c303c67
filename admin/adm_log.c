/* admin/adm_log.c — `crl export` and `events`. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "core/rw_json.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

/* Appends one CRL (PEM, or DER when der) to the buffer. */
static struct rw_result crl_append(const struct rw_sec_ca *ca, const char *id, bool der,
                                   struct rw_buf *out)
{
    X509_CRL *crl = NULL;
    RW_GUARD(rw_sec_ca_crl(ca, id, &crl));
    BIO *bio = BIO_new(BIO_s_mem());
    struct rw_result r = RW_SUCCESS;
    int ok = bio && (der ? i2d_X509_CRL_bio(bio, crl) : PEM_write_bio_X509_CRL(bio, crl));
    if (!ok) {
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot encode CRL");
    } else {
        char *p = NULL;
        long n = BIO_get_mem_data(bio, &p);
        r = rw_buf_append(out, p, (size_t)n);
    }
    BIO_free(bio);
    X509_CRL_free(crl);
    return r;
}

static struct rw_result crl_export(const struct adm_args *a, struct rw_store *s)
{
    const char *only = adm_get(a, "ca");
    bool der = adm_flag(a, "der");
    RW_ENSURE_MSG(!der || only, RW_ERR_USAGE, "--der writes one CRL: name it with --ca ID");
    struct rw_sec_ca ca;
    RW_GUARD(adm_ca_open(a, s, &ca));
    struct rw_buf out;
    rw_buf_init(&out, 1u << 30);
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    struct rw_result r = only ? crl_append(&ca, only, der, &out) : rw_store_ca_list(s, &cas, &n);
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = crl_append(&ca, cas[i].id, false, &out);
    }
    rw_store_ca_list_free(cas, n);
    adm_ca_cleanup(&ca);
    const char *path = adm_get(a, "out");
    if (rw_ok(r) && path) {
        r = rw_sec_public_write_file(path, out.data, out.len);
        if (rw_ok(r)) {
            fprintf(stderr, "wrote %s\n", path);
            adm_result_str("out", path);
        }
    } else if (rw_ok(r) && adm_result_on() && !der && rw_ok(r = rw_buf_terminate(&out))) {
        adm_result_str("crl_pem", (const char *)out.data);
    } else if (rw_ok(r)) {
        fwrite(out.data, 1, out.len, stdout);
    }
    rw_buf_cleanup(&out);
    return r;
}

int adm_cmd_crl_export(const struct adm_args *a) { return adm_with_store(a, crl_export); }

static struct rw_result event_json(struct rw_buf *b, const struct rw_store_event *e)
{
    RW_GUARD(rw_buf_append_str(b, "{"));
    RW_GUARD(rw_json_kv_int(b, true, "seq", e->seq));
    RW_GUARD(rw_json_kv_int(b, false, "at", e->at));
    RW_GUARD(rw_json_kv_str(b, false, "actor", e->actor));
    RW_GUARD(rw_json_kv_str(b, false, "kind", e->kind));
    RW_GUARD(rw_json_kv_str(b, false, "object", e->object));
    RW_GUARD(rw_buf_append_str(b, ",\"payload\":"));
    RW_GUARD(rw_buf_append_str(b, e->payload));
    return rw_buf_append_str(b, "}\n");
}

static struct rw_result events(const struct adm_args *a, struct rw_store *s)
{
    int64_t since = 0;
    const char *v = adm_get(a, "since");
    if (v) {
        RW_GUARD(adm_parse_int(v, 0, INT64_MAX, &since));
    }
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_event_list(s, since, 0, &ev, &n));
    struct rw_result r = RW_SUCCESS;
    bool json = adm_flag(a, "json");
    if (!json) {
        printf("%-6s %-21s %-20s %-14s %-34s %s\n", "SEQ", "AT", "ACTOR", "KIND", "OBJECT",
               "DETAILS");
    }
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        if (json) {
            struct rw_buf b;
            rw_buf_init(&b, 1u << 20);
            if (rw_ok(r = event_json(&b, &ev[i]))) {
                fwrite(b.data, 1, b.len, stdout);
            }
            rw_buf_cleanup(&b);
        } else {
            char at[32];
            adm_fmt_time(ev[i].at, at, sizeof(at));
            printf("%-6lld %-21s %-20s %-14s %-34s %s\n", (long long)ev[i].seq, at, ev[i].actor,
                   ev[i].kind, ev[i].object, ev[i].payload);
        }
    }
    rw_store_event_list_free(ev, n);
    return r;
}

int adm_cmd_events(const struct adm_args *a) { return adm_with_store(a, events); }
