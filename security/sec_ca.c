/* security/sec_ca.c — CA creation and the helpers every CA operation shares. */
#include "security/sec_ca_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_cert.h"
#include "security/sec_ossl.h"

int64_t rw_sec_ca_now(const struct rw_sec_ca *ca) { return ca->now ? ca->now : (int64_t)time(NULL); }

struct rw_result rw_sec_ca_tx_end(struct rw_store *s, struct rw_result r)
{
    if (rw_ok(r)) {
        return rw_store_tx_commit(s);
    }
    rw_store_tx_rollback(s);
    return r;
}

bool rw_sec_ca_dev_keys(struct rw_store *s)
{
    char v[8];
    return rw_ok(rw_store_meta_get(s, "insecure_dev_keys", v, sizeof(v))) && strcmp(v, "1") == 0;
}

struct rw_result rw_sec_ca_signer_load(const struct rw_sec_ca *ca, const char *id, bool for_issuing,
                                       struct ca_signer *out)
{
    memset(out, 0, sizeof(*out));
    struct rw_result r = rw_store_ca_get(ca->store, id, &out->row);
    if (r.err == RW_ERR_NOT_FOUND) {
        rw_err_detail_set("unknown CA id '%s' (see `ringward-admin ca list`)", id);
    }
    RW_TRY(r, r, fail);
    if (for_issuing && out->row.disabled) {
        RW_FAIL(r, RW_ERR_STATE, fail, "CA '%s' is disabled and issues nothing", id);
    }
    RW_TRY(r, rw_sec_x509_from_der(out->row.cert_der, out->row.cert_der_len, &out->cert), fail);
    if (!out->row.key_encrypted && !rw_sec_ca_dev_keys(ca->store)) {
        RW_FAIL(r, RW_ERR_AUTH_PASSPHRASE, fail,
                "CA key of '%s' is stored in plaintext but the store was not initialised with "
                "--insecure-dev-keys: refusing to use it", id);
    }
    if (out->row.key_encrypted && !ca->passphrase) {
        RW_FAIL(r, RW_ERR_AUTH_PASSPHRASE, fail,
                "CA key of '%s' is encrypted: give --passphrase-file or set RINGWARD_CA_PASSPHRASE", id);
    }
    r = rw_sec_key_from_pem(out->row.key_pem, out->row.key_encrypted ? ca->passphrase : NULL,
                            &out->key);
    if (r.err == RW_ERR_AUTH_PASSPHRASE) {
        rw_err_detail_set("wrong passphrase for the key of CA '%s'", id);
    }
    RW_TRY(r, r, fail);
    return RW_SUCCESS;
fail:
    rw_sec_ca_signer_cleanup(out);
    return r;
}

void rw_sec_ca_signer_cleanup(struct ca_signer *s)
{
    rw_store_ca_cleanup(&s->row);
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    s->cert = NULL;
    s->key = NULL;
}

struct rw_result rw_sec_ca_default_id(struct rw_store *s, char out[RW_STORE_ID_MAX])
{
    struct rw_result r = rw_store_meta_get(s, "default_ca", out, RW_STORE_ID_MAX);
    if (r.err != RW_ERR_NOT_FOUND) {
        return r;
    }
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(s, &cas, &n));
    if (n > 0) {
        snprintf(out, RW_STORE_ID_MAX, "%s", cas[n - 1].id);
    }
    rw_store_ca_list_free(cas, n);
    RW_ENSURE_MSG(n > 0, RW_ERR_NOT_FOUND, "the store has no CA yet (run `ringward-admin init`)");
    return RW_SUCCESS;
}

struct rw_result rw_sec_ca_fresh_serial(struct rw_store *s, uint8_t out[16])
{
    for (int attempt = 0; attempt < 64; attempt++) {
        RW_GUARD(rw_sec_serial_random(out));
        if (out[0] == 0) {
            continue; /* keep every serial exactly 16 octets in DER */
        }
        struct rw_store_cert existing;
        struct rw_result r = rw_store_cert_get(s, out, RW_SERIAL_LEN, &existing);
        if (r.err == RW_ERR_NOT_FOUND) {
            return RW_SUCCESS;
        }
        RW_GUARD(r);
        rw_store_cert_cleanup(&existing);
    }
    RW_BAIL_MSG(RW_ERR_INTERNAL, "could not draw an unused serial number");
}

struct rw_result rw_sec_ca_record_cert(const struct rw_sec_ca *ca, X509 *cert, const char *issuer_id,
                                       bool is_ca, const char *principal, const char *role)
{
    struct rw_store_cert row;
    memset(&row, 0, sizeof(row));
    RW_GUARD(rw_sec_cert_serial(cert, row.serial, sizeof(row.serial), &row.serial_len));
    snprintf(row.issuer_ca_id, sizeof(row.issuer_ca_id), "%s", issuer_id);
    snprintf(row.principal, sizeof(row.principal), "%s", principal);
    snprintf(row.role, sizeof(row.role), "%s", role);
    row.is_ca = is_ca;
    row.issued_at = rw_sec_ca_now(ca);
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notBefore(cert), &row.not_before));
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notAfter(cert), &row.not_after));
    RW_GUARD(rw_sec_x509_to_der(cert, &row.der, &row.der_len));
    struct rw_result r = rw_store_cert_insert(ca->store, &row);
    OPENSSL_free(row.der);
    return r;
}

struct rw_result rw_sec_ca_event(const struct rw_sec_ca *ca, const char *kind, const char *object, ...)
{
    struct rw_buf b;
    rw_buf_init(&b, 64 * 1024);
    struct rw_result r = rw_buf_append_str(&b, "{");
    va_list ap;
    va_start(ap, object);
    bool first = true;
    const char *k;
    while (rw_ok(r) && (k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        r = rw_json_kv_str(&b, first, k, v);
        first = false;
    }
    va_end(ap);
    if (rw_ok(r)) {
        r = rw_buf_append_str(&b, "}");
    }
    if (rw_ok(r)) {
        r = rw_buf_terminate(&b);
    }
    if (rw_ok(r)) {
        r = rw_store_event_append(ca->store, ca->actor ? ca->actor : "unknown", kind, object,
                                  (const char *)b.data, NULL);
    }
    rw_buf_cleanup(&b);
    return r;
}

struct rw_result rw_sec_ca_slug(struct rw_store *s, const char *cn, char out[RW_STORE_ID_MAX])
{
    char base[RW_STORE_ID_MAX - 8];
    size_t n = 0;
    bool dash = false;
    for (const char *p = cn; *p && n < sizeof(base) - 1; p++) {
        if (isalnum((unsigned char)*p)) {
            if (dash && n > 0) {
                base[n++] = '-';
            }
            dash = false;
            if (n < sizeof(base) - 1) {
                base[n++] = (char)tolower((unsigned char)*p);
            }
        } else {
            dash = true;
        }
    }
    base[n] = '\0';
    RW_ENSURE_MSG(n > 0, RW_ERR_USAGE, "CA name '%s' has no letters or digits", cn);
    for (int i = 1; i < 1000; i++) {
        if (i == 1) {
            snprintf(out, RW_STORE_ID_MAX, "%s", base);
        } else {
            snprintf(out, RW_STORE_ID_MAX, "%s-%d", base, i);
        }
        struct rw_store_ca existing;
        struct rw_result r = rw_store_ca_get(s, out, &existing);
        if (r.err == RW_ERR_NOT_FOUND) {
            return RW_SUCCESS;
        }
        RW_GUARD(r);
        rw_store_ca_cleanup(&existing);
    }
    RW_BAIL_MSG(RW_ERR_EXISTS, "too many CAs named '%s'", cn);
}
