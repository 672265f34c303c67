/* security/sec_ca_create.c — creating root and intermediate CAs. */
#include <stdio.h>
#include <string.h>

#include "core/rw_hex.h"
#include "security/sec_ca_internal.h"
#include "security/sec_cert.h"
#include "security/sec_ossl.h"

/* Inserts the CA row, its certificate row and the event. */
static struct rw_result record_ca(const struct rw_sec_ca *ca, const struct rw_sec_ca_opts *o,
                                  const char *id, X509 *cert, EVP_PKEY *key)
{
    struct rw_store_ca row;
    memset(&row, 0, sizeof(row));
    snprintf(row.id, sizeof(row.id), "%s", id);
    snprintf(row.cn, sizeof(row.cn), "%s", o->cn);
    snprintf(row.parent_id, sizeof(row.parent_id), "%s", o->parent_id ? o->parent_id : "");
    snprintf(row.key_alg, sizeof(row.key_alg), "%s", rw_sec_key_alg_name(o->alg));
    row.path_len = o->path_len;
    row.created_at = rw_sec_ca_now(ca);
    row.key_encrypted = ca->passphrase != NULL;
    struct rw_result r;
    RW_TRY(r, rw_sec_cert_serial(cert, row.serial, sizeof(row.serial), &row.serial_len), out);
    RW_TRY(r, rw_sec_x509_to_der(cert, &row.cert_der, &row.cert_der_len), out);
    RW_TRY(r, rw_sec_key_to_pem(key, ca->passphrase, &row.key_pem), out);
    RW_TRY(r, rw_store_ca_insert(ca->store, &row), out);
    const char *issuer = o->parent_id ? o->parent_id : id;
    RW_TRY(r, rw_sec_ca_record_cert(ca, cert, issuer, true, id, "ca"), out);
    char serial_hex[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(row.serial, row.serial_len, serial_hex);
    char path_len[16];
    snprintf(path_len, sizeof(path_len), "%d", o->path_len);
    r = rw_sec_ca_event(ca, "ca.created", id, "cn", o->cn, "parent", o->parent_id ? o->parent_id : "",
                        "serial", serial_hex, "key_alg", row.key_alg, "path_len", path_len, NULL);
out:
    OPENSSL_free(row.cert_der);
    row.cert_der = NULL;
    rw_sec_secret_free(row.key_pem);
    row.key_pem = NULL;
    return r;
}

static struct rw_result check_parent(const struct ca_signer *parent, int *child_path_len)
{
    int parent_len = parent->row.path_len;
    RW_ENSURE_MSG(parent_len != 0, RW_ERR_STATE,
                  "CA '%s' has path length 0: it may not have intermediate CAs below it",
                  parent->row.id);
    if (parent_len > 0 && (*child_path_len < 0 || *child_path_len > parent_len - 1)) {
        *child_path_len = parent_len - 1;
    }
    return RW_SUCCESS;
}

static struct rw_result make_cert(const struct rw_sec_ca *ca, struct rw_sec_ca_opts *o,
                                  const struct ca_signer *parent, EVP_PKEY *key, X509 **cert)
{
    uint8_t serial[RW_SERIAL_LEN];
    RW_GUARD(rw_sec_ca_fresh_serial(ca->store, serial));
    int64_t now = rw_sec_ca_now(ca);
    int64_t ttl = o->ttl > 0 ? o->ttl : (parent ? RW_DEFAULT_INTERMEDIATE_TTL : RW_DEFAULT_CA_TTL);
    struct rw_sec_ca_spec spec = {
        .cn = o->cn, .org = o->org, .path_len = o->path_len, .not_before = now - 60,
        .not_after = now + ttl, .serial = serial, .serial_len = sizeof(serial),
    };
    if (!parent) {
        return rw_sec_cert_make_root(key, &spec, cert);
    }
    int64_t parent_end;
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notAfter(parent->cert), &parent_end));
    if (spec.not_after > parent_end) {
        spec.not_after = parent_end;
    }
    return rw_sec_cert_make_intermediate(key, parent->cert, parent->key, &spec, cert);
}

struct rw_result rw_sec_ca_create(const struct rw_sec_ca *ca, const struct rw_sec_ca_opts *opts,
                                  char id_out[RW_STORE_ID_MAX])
{
    RW_ENSURE_MSG(opts->cn && opts->cn[0], RW_ERR_USAGE, "a CA needs a common name (--cn)");
    RW_ENSURE_MSG(strlen(opts->cn) <= 64, RW_ERR_USAGE, "CA common name longer than 64 bytes");
    struct rw_sec_ca_opts o = *opts;
    struct ca_signer parent;
    bool have_parent = false;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    struct rw_result r;
    if (o.parent_id) {
        RW_TRY(r, rw_sec_ca_signer_load(ca, o.parent_id, true, &parent), out);
        have_parent = true;
        RW_TRY(r, check_parent(&parent, &o.path_len), out);
    }
    RW_TRY(r, rw_sec_key_generate(o.alg, &key), out);
    RW_TRY(r, rw_store_tx_begin(ca->store), out);
    r = rw_sec_ca_slug(ca->store, o.cn, id_out);
    if (rw_ok(r)) {
        r = make_cert(ca, &o, have_parent ? &parent : NULL, key, &cert);
    }
    if (rw_ok(r)) {
        r = record_ca(ca, &o, id_out, cert, key);
    }
    r = rw_sec_ca_tx_end(ca->store, r);
out:
    if (have_parent) {
        rw_sec_ca_signer_cleanup(&parent);
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    return r;
}

struct rw_result rw_sec_ca_disable(const struct rw_sec_ca *ca, const char *ca_id)
{
    struct rw_store_ca row;
    struct rw_result r = rw_store_ca_get(ca->store, ca_id, &row);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_NOT_FOUND, "unknown CA id '%s'", ca_id);
    RW_GUARD(r);
    bool already = row.disabled;
    rw_store_ca_cleanup(&row);
    RW_ENSURE_MSG(!already, RW_ERR_STATE, "CA '%s' is already disabled", ca_id);
    RW_GUARD(rw_store_tx_begin(ca->store));
    r = rw_store_ca_set_disabled(ca->store, ca_id, true);
    if (rw_ok(r)) {
        r = rw_sec_ca_event(ca, "ca.disabled", ca_id, NULL);
    }
    return rw_sec_ca_tx_end(ca->store, r);
}
