/* broker/brk_trust_extend.c — a revocation applied without a reload: the
 * current trust snapshot's CA set is shared and its revocation set copied
 * and extended (brk_trust_extend in broker/brk_enforce.h). With a million
 * revoked serials a full rebuild reads and hashes every row (about a
 * second); this costs two memcpys and one store lookup per event. */
#include <string.h>

#include <openssl/x509.h>

#include "broker/brk_enforce.h"
#include "core/rw_hex.h"
#include "security/sec_ossl.h"
#include "security/sec_revset.h"

/* The revocation a cert.revoked event records, as the store holds it. */
static struct rw_result add_one(struct rw_store *s, struct rw_sec_trust *t,
                                const struct rw_store_event *ev)
{
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len = 0;
    RW_GUARD(rw_hex_decode(ev->object, serial, sizeof(serial), &len));
    struct rw_store_cert row;
    RW_GUARD(rw_store_cert_get(s, serial, len, &row));
    X509 *x = NULL;
    uint64_t issuer = 0;
    struct rw_result r = RW_SUCCESS;
    if (!row.revoked) {
        rw_err_detail_set("event %lld revokes %s, which the store holds unrevoked",
                          (long long)ev->seq, ev->object);
        r = RW_ERR(RW_ERR_STATE);
    }
    if (rw_ok(r)) {
        r = rw_sec_x509_from_der(row.der, row.der_len, &x);
    }
    if (rw_ok(r)) {
        r = rw_sec_revset_issuer_id(X509_get_issuer_name(x), &issuer);
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_add_revocation_id(t, issuer, serial, len, row.reason);
    }
    X509_free(x);
    rw_store_cert_cleanup(&row);
    return r;
}

struct rw_result brk_trust_extend(struct rw_store *s, const struct brk_policy *cur,
                                  const struct rw_store_event *ev, size_t n,
                                  struct brk_policy *out)
{
    RW_ENSURE(cur && cur->trust && out && !out->trust, RW_ERR_USAGE);
    struct rw_sec_trust *t = NULL;
    RW_GUARD(rw_sec_trust_extend(cur->trust, n, &t));
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        if (strcmp(ev[i].kind, "cert.revoked") == 0) {
            r = add_one(s, t, &ev[i]);
        }
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_freeze(t);
    }
    if (!rw_ok(r)) {
        rw_sec_trust_unref(t);
        return r;
    }
    out->trust = t;
    out->n_blocked = cur->n_blocked;
    memcpy(out->blocked, cur->blocked, sizeof(out->blocked));
    return RW_SUCCESS;
}
