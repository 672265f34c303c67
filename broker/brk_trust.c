/* broker/brk_trust.c — the trust snapshot the broker verifies clients with. */
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "broker/brk_daemon.h"
#include "security/sec_ca.h"

static struct rw_result add_store_cas(struct rw_store *s, struct rw_sec_trust *t,
                                      struct rw_store_ca *cas, X509 **certs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = cas[i].cert_der;
        certs[i] = d2i_X509(NULL, &p, (long)cas[i].cert_der_len);
        RW_ENSURE_MSG(certs[i], RW_ERR_IO_CORRUPT, "CA '%s' in the store is not a certificate",
                      cas[i].id);
        RW_GUARD(rw_sec_trust_add_ca(t, certs[i]));
    }
    struct rw_store_revocation *revs = NULL;
    size_t nrev = 0;
    RW_GUARD(rw_store_revocation_list(s, NULL, &revs, &nrev));
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < nrev && rw_ok(r); i++) {
        for (size_t j = 0; j < n; j++) {
            if (strcmp(cas[j].id, revs[i].issuer_ca_id) == 0) {
                r = rw_sec_trust_add_revocation(t, certs[j], revs[i].serial, revs[i].serial_len,
                                                revs[i].reason);
                break;
            }
        }
    }
    rw_store_revocation_list_free(revs, nrev);
    return r;
}

/* Without a bundle this is rw_sec_ca_trust_build; with one, the same
 * content plus the bundle's CAs (the security module freezes its own
 * snapshots, so the broker assembles this one from the same parts). */
struct rw_result brk_trust_build(struct rw_store *s, const char *bundle, struct rw_sec_trust **out)
{
    if (!bundle || !bundle[0]) {
        return rw_sec_ca_trust_build(s, out);
    }
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(s, &cas, &n));
    X509 **certs = calloc(n ? n : 1, sizeof(*certs));
    struct rw_sec_trust *t = rw_sec_trust_new();
    struct rw_result r = certs && t ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        r = add_store_cas(s, t, cas, certs, n);
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_add_bundle_file(t, bundle);
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_freeze(t);
    }
    for (size_t i = 0; certs && i < n; i++) {
        X509_free(certs[i]);
    }
    free(certs);
    rw_store_ca_list_free(cas, n);
    if (rw_ok(r)) {
        *out = t;
    } else {
        rw_sec_trust_unref(t);
    }
    return r;
}
