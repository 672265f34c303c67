/* admin/adm_certs.c — `certs issue|sign-csr|revoke`. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "core/rw_buf.h"
#include "security/sec_cert.h"
#include "security/sec_csr.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

#define MAX_SANS 32

/* Splits --san values ("DNS:x", "IP:x", or bare names/addresses). */
static struct rw_result parse_sans(const struct adm_args *a, const char **dns, size_t *n_dns,
                                   const char **ips, size_t *n_ips)
{
    const char *vals[MAX_SANS];
    size_t n = adm_get_all(a, "san", vals, MAX_SANS);
    *n_dns = *n_ips = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = vals[i];
        unsigned char addr[16];
        bool ip = strncmp(v, "IP:", 3) == 0;
        if (ip || strncmp(v, "DNS:", 4) == 0) {
            v += ip ? 3 : 4;
        } else {
            ip = inet_pton(AF_INET, v, addr) == 1 || inet_pton(AF_INET6, v, addr) == 1;
        }
        RW_ENSURE_MSG(v[0], RW_ERR_USAGE, "empty --san value");
        if (ip) {
            ips[(*n_ips)++] = v;
        } else {
            dns[(*n_dns)++] = v;
        }
    }
    return RW_SUCCESS;
}

static struct rw_result issue_opts(const struct adm_args *a, struct rw_sec_issue_opts *o)
{
    const char *role = NULL, *v;
    RW_GUARD(adm_require(a, "role", &role));
    RW_ENSURE_MSG(rw_sec_role_parse(role, &o->role), RW_ERR_USAGE,
                  "unknown role '%s' (broker, producer, consumer, admin)", role);
    o->ca_id = adm_get(a, "ca-id");
    if ((v = adm_get(a, "ttl"))) {
        RW_GUARD(adm_parse_duration(v, &o->ttl));
    }
    o->alg = RW_KEY_P256;
    if ((v = adm_get(a, "key-alg"))) {
        RW_ENSURE_MSG(rw_sec_key_alg_parse(v, &o->alg), RW_ERR_USAGE,
                      "unknown --key-alg '%s' (p256, p384, ed25519, rsa3072)", v);
    }
    return RW_SUCCESS;
}

static void print_issued(X509 *cert, const char *principal, const char *role)
{
    char serial[64];
    rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
    fprintf(stderr, "issued %s certificate for '%s', serial %s\n", role, principal, serial);
    adm_result_str("serial", serial);
    adm_result_str("principal", principal);
    adm_result_str("role", role);
}

static struct rw_result issue(const struct adm_args *a, struct rw_store *s)
{
    struct rw_sec_issue_opts o;
    memset(&o, 0, sizeof(o));
    const char *dns[MAX_SANS], *ips[MAX_SANS];
    RW_GUARD(adm_require(a, "principal", &o.principal));
    RW_GUARD(issue_opts(a, &o));
    RW_GUARD(parse_sans(a, dns, &o.n_dns, ips, &o.n_ips));
    o.dns = dns;
    o.ips = ips;
    struct rw_sec_ca ca;
    RW_GUARD(adm_ca_open(a, s, &ca));
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    char ca_id[RW_STORE_ID_MAX], out_dir[4096], *chain = NULL;
    size_t chain_len = 0;
    struct rw_result r = rw_sec_ca_issue(&ca, &o, &cert, &key);
    adm_ca_cleanup(&ca);
    RW_GUARD(r);
    if (o.ca_id) {
        snprintf(ca_id, sizeof(ca_id), "%s", o.ca_id);
    } else {
        r = rw_sec_ca_default_id(s, ca_id);
    }
    if (rw_ok(r)) {
        r = rw_sec_ca_chain_pem(s, ca_id, &chain, &chain_len);
    }
    const char *out = adm_get(a, "out");
    snprintf(out_dir, sizeof(out_dir), "%s", out ? out : "");
    if (!out) {
        snprintf(out_dir, sizeof(out_dir), "%s/pki", adm_data_dir(a));
    }
    if (rw_ok(r)) {
        r = adm_write_bundle(out_dir, o.principal, cert, key, chain, chain_len);
    }
    if (rw_ok(r)) {
        print_issued(cert, o.principal, rw_sec_role_name(o.role));
    }
    free(chain);
    X509_free(cert);
    EVP_PKEY_free(key);
    return r;
}

int adm_cmd_certs_issue(const struct adm_args *a) { return adm_with_store(a, issue); }

static struct rw_result sign_csr(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE, "usage: ringward-admin certs sign-csr FILE --role R");
    struct rw_sec_issue_opts o;
    memset(&o, 0, sizeof(o));
    o.principal = adm_get(a, "principal");
    RW_GUARD(issue_opts(a, &o));
    struct rw_buf csr;
    rw_buf_init(&csr, RW_CSR_MAX_BYTES);
    struct rw_result r = rw_buf_read_file(&csr, a->pos[0]);
    if (r.err == RW_ERR_LIMIT) {
        rw_err_detail_set("%s is larger than %d bytes: not a CSR we sign", a->pos[0],
                          RW_CSR_MAX_BYTES);
        r = RW_ERR(RW_ERR_PROTO_TOO_LARGE);
    }
    struct rw_sec_ca ca;
    memset(&ca, 0, sizeof(ca));
    X509 *cert = NULL;
    if (rw_ok(r)) {
        r = adm_ca_open(a, s, &ca);
    }
    if (rw_ok(r)) {
        r = rw_sec_ca_sign_csr(&ca, csr.data, csr.len, &o, &cert);
    }
    adm_ca_cleanup(&ca);
    rw_buf_cleanup(&csr);
    char *pem = NULL;
    size_t len = 0;
    if (rw_ok(r)) {
        r = rw_sec_cert_append_pem(cert, &pem, &len);
    }
    const char *out = adm_get(a, "out");
    if (rw_ok(r) && out) {
        r = rw_sec_public_write_file(out, pem, len);
    } else if (rw_ok(r)) {
        fwrite(pem, 1, len, stdout);
    }
    if (rw_ok(r)) {
        char cn[RW_STORE_NAME_MAX];
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
        print_issued(cert, cn, rw_sec_role_name(o.role));
    }
    free(pem);
    X509_free(cert);
    return r;
}

int adm_cmd_certs_sign_csr(const struct adm_args *a) { return adm_with_store(a, sign_csr); }

static struct rw_result revoke(const struct adm_args *a, struct rw_store *s)
{
    RW_ENSURE_MSG(a->n_pos == 1, RW_ERR_USAGE,
                  "usage: ringward-admin certs revoke SERIAL --reason REASON");
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len;
    RW_GUARD(adm_parse_serial(a->pos[0], serial, &len));
    enum rw_reason reason = RW_REASON_UNSPECIFIED;
    const char *v = adm_get(a, "reason");
    RW_ENSURE_MSG(!v || rw_sec_reason_parse(v, &reason), RW_ERR_USAGE,
                  "unknown reason '%s' (unspecified, keyCompromise, cACompromise, "
                  "affiliationChanged, superseded, cessationOfOperation, certificateHold, "
                  "privilegeWithdrawn, aACompromise)", v);
    struct rw_sec_ca ca = {.store = s, .actor = adm_actor()};
    RW_GUARD(rw_sec_ca_revoke(&ca, serial, len, (int)reason));
    printf("revoked %s (%s)\n", a->pos[0], rw_sec_reason_name((int)reason));
    adm_result_str("serial", a->pos[0]);
    adm_result_str("reason", rw_sec_reason_name((int)reason));
    return RW_SUCCESS;
}

int adm_cmd_certs_revoke(const struct adm_args *a) { return adm_with_store(a, revoke); }
