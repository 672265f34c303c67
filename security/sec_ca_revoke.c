/* security/sec_ca_revoke.c — revocation and CRL signing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rw_hex.h"
#include "security/sec_ca_internal.h"
#include "security/sec_crl.h"
#include "security/sec_ossl.h"

struct rw_result rw_sec_ca_revoke(const struct rw_sec_ca *ca, const uint8_t *serial,
                                  size_t serial_len, int reason)
{
    RW_ENSURE_MSG(strcmp(rw_sec_reason_name(reason), "unknown") != 0, RW_ERR_USAGE,
                  "%d is not an RFC 5280 revocation reason", reason);
    char hex[2 * RW_STORE_SERIAL_MAX + 1];
    RW_ENSURE_MSG(serial_len > 0 && serial_len <= RW_STORE_SERIAL_MAX, RW_ERR_USAGE,
                  "a serial number has 1 to 20 octets");
    rw_hex_encode(serial, serial_len, hex);
    struct rw_store_cert cert;
    struct rw_result r = rw_store_cert_get(ca->store, serial, serial_len, &cert);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_NOT_FOUND, "no certificate with serial %s", hex);
    RW_GUARD(r);
    bool root = cert.is_ca && strcmp(cert.issuer_ca_id, cert.principal) == 0;
    bool revoked = cert.revoked;
    char principal[RW_STORE_NAME_MAX];
    snprintf(principal, sizeof(principal), "%s", cert.principal);
    rw_store_cert_cleanup(&cert);
    RW_ENSURE_MSG(!revoked, RW_ERR_STATE, "certificate %s is already revoked", hex);
    RW_ENSURE_MSG(!root, RW_ERR_STATE,
                  "%s is the self-signed root '%s': a root cannot be revoked, only removed from trust",
                  hex, principal);
    struct rw_store_revocation rev = {.serial_len = serial_len, .reason = reason,
                                      .revoked_at = rw_sec_ca_now(ca)};
    memcpy(rev.serial, serial, serial_len);
    RW_GUARD(rw_store_tx_begin(ca->store));
    r = rw_store_revocation_insert(ca->store, &rev);
    if (rw_ok(r)) {
        r = rw_sec_ca_event(ca, "cert.revoked", hex, "principal", principal, "reason",
                            rw_sec_reason_name(reason), NULL);
    }
    return rw_sec_ca_tx_end(ca->store, r);
}

static struct rw_result crl_entries(struct rw_store *s, const char *ca_id,
                                    struct rw_store_revocation **revs, size_t *n,
                                    struct rw_sec_crl_entry **entries)
{
    RW_GUARD(rw_store_revocation_list(s, ca_id, revs, n));
    *entries = calloc(*n ? *n : 1, sizeof(**entries));
    if (!*entries) {
        rw_store_revocation_list_free(*revs, *n);
        RW_BAIL(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < *n; i++) {
        (*entries)[i] = (struct rw_sec_crl_entry){
            .serial = (*revs)[i].serial, .serial_len = (*revs)[i].serial_len,
            .revoked_at = (*revs)[i].revoked_at, .reason = (*revs)[i].reason,
        };
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_ca_crl(const struct rw_sec_ca *ca, const char *ca_id, X509_CRL **out)
{
    struct ca_signer signer;
    RW_GUARD(rw_sec_ca_signer_load(ca, ca_id, false, &signer));
    struct rw_store_revocation *revs = NULL;
    struct rw_sec_crl_entry *entries = NULL;
    size_t n = 0;
    uint64_t number = 0;
    int64_t now = rw_sec_ca_now(ca);
    struct rw_result r;
    RW_TRY(r, rw_store_tx_begin(ca->store), out);
    r = crl_entries(ca->store, ca_id, &revs, &n, &entries);
    if (rw_ok(r)) {
        r = rw_store_ca_next_crl_number(ca->store, ca_id, &number);
    }
    if (rw_ok(r)) {
        r = rw_sec_crl_make(signer.cert, signer.key, number, now, now + RW_DEFAULT_CRL_TTL, entries,
                            n, out);
    }
    if (rw_ok(r)) {
        char num[24], count[24];
        snprintf(num, sizeof(num), "%llu", (unsigned long long)number);
        snprintf(count, sizeof(count), "%zu", n);
        r = rw_sec_ca_event(ca, "crl.issued", ca_id, "crl_number", num, "entries", count, NULL);
        if (!rw_ok(r)) {
            X509_CRL_free(*out);
            *out = NULL;
        }
    }
    r = rw_sec_ca_tx_end(ca->store, r);
out:
    free(entries);
    rw_store_revocation_list_free(revs, n);
    rw_sec_ca_signer_cleanup(&signer);
    return r;
}
