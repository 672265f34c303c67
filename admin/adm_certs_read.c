/* admin/adm_certs_read.c — `certs list|show`: reading certificates back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/adm_cmds.h"
#include "admin/adm_print.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_cert.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

static const char *status_of(const struct rw_store_cert *c, int64_t now)
{
    if (c->revoked) {
        return "revoked";
    }
    return c->not_after <= now ? "expired" : "active";
}

struct rw_result adm_print_cert_json(struct rw_buf *b, const struct rw_store_cert *c, int64_t now)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(c->serial, c->serial_len, serial);
    RW_GUARD(rw_buf_append_str(b, "{"));
    RW_GUARD(rw_json_kv_str(b, true, "serial", serial));
    RW_GUARD(rw_json_kv_str(b, false, "principal", c->principal));
    RW_GUARD(rw_json_kv_str(b, false, "role", c->role));
    RW_GUARD(rw_json_kv_str(b, false, "ca", c->issuer_ca_id));
    RW_GUARD(rw_json_kv_str(b, false, "status", status_of(c, now)));
    RW_GUARD(rw_json_kv_int(b, false, "not_before", c->not_before));
    RW_GUARD(rw_json_kv_int(b, false, "not_after", c->not_after));
    RW_GUARD(rw_json_kv_int(b, false, "issued_at", c->issued_at));
    if (c->revoked) {
        RW_GUARD(rw_json_kv_str(b, false, "revocation_reason", rw_sec_reason_name(c->reason)));
        RW_GUARD(rw_json_kv_int(b, false, "revoked_at", c->revoked_at));
    }
    return rw_buf_append_str(b, "}");
}

void adm_print_cert_row(const struct rw_store_cert *c, int64_t now)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1], until[32];
    rw_hex_encode(c->serial, c->serial_len, serial);
    adm_fmt_time(c->not_after, until, sizeof(until));
    printf("%-34s %-20s %-9s %-18s %-8s %s\n", serial, c->principal, c->role, c->issuer_ca_id,
           status_of(c, now), until);
}

static struct rw_result filter_from(const struct adm_args *a, struct rw_store_cert_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->principal = adm_get(a, "principal");
    f->role = adm_get(a, "role");
    f->issuer_ca_id = adm_get(a, "ca-id");
    f->now = (int64_t)time(NULL);
    const char *st = adm_get(a, "status");
    if (!st) {
        return RW_SUCCESS;
    }
    if (strcmp(st, "active") == 0) {
        f->status = RW_STORE_ACTIVE;
    } else if (strcmp(st, "revoked") == 0) {
        f->status = RW_STORE_REVOKED;
    } else if (strcmp(st, "expired") == 0) {
        f->status = RW_STORE_EXPIRED;
    } else {
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown --status '%s' (active, revoked, expired)", st);
    }
    return RW_SUCCESS;
}

static struct rw_result list(const struct adm_args *a, struct rw_store *s)
{
    struct rw_store_cert_filter f;
    RW_GUARD(filter_from(a, &f));
    int64_t within = 0;
    const char *w = adm_get(a, "expiring-within");
    if (w) {
        RW_GUARD(adm_parse_duration(w, &within));
        f.status = f.status == RW_STORE_ANY ? RW_STORE_ACTIVE : f.status;
    }
    struct rw_store_cert *certs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_cert_list(s, &f, &certs, &n));
    size_t kept = 0; /* --expiring-within: only those whose notAfter is that close */
    for (size_t i = 0; i < n; i++) {
        if (within > 0 && (certs[i].revoked || certs[i].not_after - f.now > within)) {
            rw_store_cert_cleanup(&certs[i]);
            continue;
        }
        certs[kept++] = certs[i];
    }
    n = kept;
    struct rw_result r = RW_SUCCESS;
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 30);
        r = rw_buf_append_str(&b, "[");
        for (size_t i = 0; i < n && rw_ok(r); i++) {
            if (i > 0) {
                r = rw_buf_append_str(&b, ",");
            }
            if (rw_ok(r)) {
                r = adm_print_cert_json(&b, &certs[i], f.now);
            }
        }
        if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "]\n"))) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        printf("%-34s %-20s %-9s %-18s %-8s %s\n", "SERIAL", "PRINCIPAL", "ROLE", "CA", "STATUS",
               "NOT AFTER");
        for (size_t i = 0; i < n; i++) {
            adm_print_cert_row(&certs[i], f.now);
        }
    }
    rw_store_cert_list_free(certs, n);
    return r;
}

int adm_cmd_certs_list(const struct adm_args *a) { return adm_with_store(a, list); }

struct rw_result adm_print_cert_human(const struct rw_store_cert *c, int64_t now)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1], nb[32], na[32];
    rw_hex_encode(c->serial, c->serial_len, serial);
    adm_fmt_time(c->not_before, nb, sizeof(nb));
    adm_fmt_time(c->not_after, na, sizeof(na));
    printf("serial:     %s\nprincipal:  %s\nrole:       %s\nissuer CA:  %s\n"
           "not before: %s\nnot after:  %s\nstatus:     %s\n",
           serial, c->principal, c->role, c->issuer_ca_id, nb, na, status_of(c, now));
    if (c->revoked) {
        char at[32];
        adm_fmt_time(c->revoked_at, at, sizeof(at));
        printf("revoked:    %s (%s)\n", at, rw_sec_reason_name(c->reason));
    }
    X509 *x = NULL;
    RW_GUARD(rw_sec_x509_from_der(c->der, c->der_len, &x));
    char *pem = NULL;
    size_t len = 0;
    struct rw_result r = rw_sec_cert_append_pem(x, &pem, &len);
    if (rw_ok(r)) {
        fwrite(pem, 1, len, stdout);
    }
    free(pem);
    X509_free(x);
    return r;
}

static struct rw_result show(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "usage: ringward-admin certs show SERIAL");
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len;
    RW_GUARD(adm_parse_serial(a->pos[0], serial, &len));
    struct rw_store_cert c;
    struct rw_result r = rw_store_cert_get(s, serial, len, &c);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_NOT_FOUND, "no certificate with serial %s",
                  a->pos[0]);
    RW_GUARD(r);
    int64_t now = (int64_t)time(NULL);
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 20);
        r = adm_print_cert_json(&b, &c, now);
        if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "\n"))) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else {
        r = adm_print_cert_human(&c, now);
    }
    rw_store_cert_cleanup(&c);
    return r;
}

int adm_cmd_certs_show(const struct adm_args *a) { return adm_with_store(a, show); }
