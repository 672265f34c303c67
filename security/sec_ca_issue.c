/* security/sec_ca_issue.c — end-entity issuance and CSR signing. */
#include <stdio.h>
#include <string.h>

#include "core/rw_hex.h"
#include "security/sec_ca_internal.h"
#include "security/sec_cert.h"
#include "security/sec_csr.h"
#include "security/sec_ossl.h"

static struct rw_result check_names(const struct rw_sec_issue_opts *o)
{
    RW_ENSURE_MSG(o->principal && o->principal[0], RW_ERR_USAGE, "a certificate needs a principal");
    RW_ENSURE_MSG(o->role != RW_ROLE_NONE, RW_ERR_USAGE,
                  "a certificate needs a role: broker, producer, consumer or admin");
    RW_ENSURE_MSG(o->role == RW_ROLE_BROKER || (o->n_dns == 0 && o->n_ips == 0), RW_ERR_USAGE,
                  "only broker certificates carry DNS or IP names");
    return RW_SUCCESS;
}

/* Signs `subject_key` for o->principal with the CA and records it. */
static struct rw_result sign_and_record(const struct rw_sec_ca *ca, const struct rw_sec_issue_opts *o,
                                        EVP_PKEY *subject_key, const char *how, X509 **cert_out)
{
    char ca_id[RW_STORE_ID_MAX];
    if (o->ca_id) {
        snprintf(ca_id, sizeof(ca_id), "%s", o->ca_id);
    } else {
        RW_GUARD(rw_sec_ca_default_id(ca->store, ca_id));
    }
    struct ca_signer signer;
    RW_GUARD(rw_sec_ca_signer_load(ca, ca_id, true, &signer));
    X509 *cert = NULL;
    struct rw_result r;
    int64_t now = rw_sec_ca_now(ca), ca_end = 0;
    uint8_t serial[RW_SERIAL_LEN];
    RW_TRY(r, rw_sec_time_to_unix(X509_get0_notAfter(signer.cert), &ca_end), out);
    if (ca_end <= now) {
        RW_FAIL(r, RW_ERR_STATE, out, "CA '%s' has expired", ca_id);
    }
    RW_TRY(r, rw_store_tx_begin(ca->store), out);
    r = rw_sec_ca_fresh_serial(ca->store, serial);
    struct rw_sec_leaf_spec spec = {
        .principal = o->principal, .role = o->role, .dns = o->dns, .n_dns = o->n_dns,
        .ips = o->ips, .n_ips = o->n_ips, .not_before = now - 60,
        .not_after = now + (o->ttl > 0 ? o->ttl : RW_DEFAULT_LEAF_TTL),
        .serial = serial, .serial_len = sizeof(serial),
    };
    if (spec.not_after > ca_end) {
        spec.not_after = ca_end;
    }
    if (rw_ok(r)) {
        r = rw_sec_cert_make_leaf(subject_key, signer.cert, signer.key, &spec, &cert);
    }
    const char *role = rw_sec_role_name(o->role);
    if (rw_ok(r)) {
        r = rw_sec_ca_record_cert(ca, cert, ca_id, false, o->principal, role);
    }
    if (rw_ok(r)) {
        char hex[2 * RW_SERIAL_LEN + 1];
        rw_hex_encode(serial, sizeof(serial), hex);
        r = rw_sec_ca_event(ca, "cert.issued", hex, "principal", o->principal, "role", role, "ca",
                            ca_id, "key", how, NULL);
    }
    if (rw_ok(r) && o->in_tx) {
        r = o->in_tx(o->in_tx_arg, cert);
    }
    r = rw_sec_ca_tx_end(ca->store, r);
out:
    rw_sec_ca_signer_cleanup(&signer);
    if (rw_ok(r)) {
        *cert_out = cert;
    } else {
        X509_free(cert);
    }
    return r;
}

struct rw_result rw_sec_ca_issue(const struct rw_sec_ca *ca, const struct rw_sec_issue_opts *o,
                                 X509 **cert_out, EVP_PKEY **key_out)
{
    RW_GUARD(check_names(o));
    EVP_PKEY *key = NULL;
    RW_GUARD(rw_sec_key_generate(o->alg, &key));
    struct rw_result r = sign_and_record(ca, o, key, "server-generated", cert_out);
    if (rw_ok(r)) {
        *key_out = key;
    } else {
        EVP_PKEY_free(key);
    }
    return r;
}

/* The names a CSR may contribute: its CN (as principal) and, for brokers,
 * its SAN DNS/IP names when the operator gave none. */
static struct rw_result csr_opts(const struct rw_sec_issue_opts *o, const struct rw_sec_csr_names *n,
                                 struct rw_sec_issue_opts *out)
{
    *out = *o;
    if (!o->principal) {
        RW_ENSURE_MSG(n->cn[0], RW_ERR_USAGE,
                      "the CSR has no subject CN: give the principal explicitly");
        out->principal = n->cn;
    } else if (n->cn[0]) {
        RW_ENSURE_MSG(strcmp(n->cn, o->principal) == 0, RW_ERR_USAGE,
                      "the CSR's CN '%s' does not match the principal '%s'", n->cn, o->principal);
    }
    if (o->role == RW_ROLE_BROKER && o->n_dns == 0 && o->n_ips == 0) {
        out->dns = (const char *const *)n->dns;
        out->n_dns = n->n_dns;
        out->ips = (const char *const *)n->ips;
        out->n_ips = n->n_ips;
    } else if (o->role != RW_ROLE_BROKER) {
        out->n_dns = 0;
        out->n_ips = 0;
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_ca_sign_csr(const struct rw_sec_ca *ca, const uint8_t *csr, size_t csr_len,
                                    const struct rw_sec_issue_opts *o, X509 **cert_out)
{
    X509_REQ *req = NULL;
    struct rw_sec_csr_names names;
    memset(&names, 0, sizeof(names));
    struct rw_sec_issue_opts eff;
    struct rw_result r;
    RW_TRY(r, rw_sec_csr_parse(csr, csr_len, &req), out);
    RW_TRY(r, rw_sec_csr_names(req, &names), out);
    RW_TRY(r, csr_opts(o, &names, &eff), out);
    RW_TRY(r, check_names(&eff), out);
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    if (!pub) {
        RW_FAIL(r, RW_ERR_PROTO_MALFORMED, out, "the CSR carries no usable public key");
    }
    r = sign_and_record(ca, &eff, pub, "csr", cert_out);
out:
    rw_sec_csr_names_cleanup(&names);
    X509_REQ_free(req);
    return r;
}
