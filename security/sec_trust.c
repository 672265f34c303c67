/* security/sec_trust.c — the immutable trust snapshot (see
 * security/sec_trust.h).
 *
 * The snapshot owns its X509_STORE (which holds one reference to every CA
 * certificate added), a stack of the same CAs (for finding CRL issuers;
 * one more reference each) and the revocation set. CRLs are never handed
 * to the X509_STORE and no CRL-checking flag is set: each CRL is verified
 * once, here, and its serials land in the revocation set.
 */
#include "security/sec_trust.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/rw_buf.h"
#include "security/sec_ossl.h"
#include "security/sec_profile.h"

#define CRL_FILE_MAX (256u << 20)

struct rw_sec_trust {
    X509_STORE *store;
    STACK_OF(X509) *cas;
    struct rw_sec_revset *revset;
    bool frozen;
    bool shared_cas;  /* store and cas are another snapshot's (rw_sec_trust_extend) */
    atomic_int refs;
};

struct rw_sec_trust *rw_sec_trust_new(void)
{
    struct rw_sec_trust *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    atomic_init(&t->refs, 1);
    t->store = X509_STORE_new();
    t->cas = sk_X509_new_null();
    t->revset = rw_sec_revset_new(0);
    if (!t->store || !t->cas || !t->revset) {
        rw_sec_trust_unref(t);
        return NULL;
    }
    return t;
}

struct rw_result rw_sec_trust_extend(const struct rw_sec_trust *base, size_t extra,
                                     struct rw_sec_trust **out)
{
    RW_ENSURE_MSG(base && base->frozen && out, RW_ERR_USAGE, "extend needs a frozen snapshot");
    struct rw_sec_trust *t = calloc(1, sizeof(*t));
    RW_ENSURE(t, RW_ERR_NOMEM);
    atomic_init(&t->refs, 1);
    t->shared_cas = true;
    t->revset = rw_sec_revset_clone(base->revset, extra);
    t->cas = sk_X509_dup(base->cas);
    if (!t->revset || !t->cas || X509_STORE_up_ref(base->store) != 1) {
        sk_X509_free(t->cas);
        t->cas = NULL;
        rw_sec_trust_unref(t);
        RW_BAIL(RW_ERR_NOMEM);
    }
    t->store = base->store;
    for (int i = 0; i < sk_X509_num(t->cas); i++) {
        X509_up_ref(sk_X509_value(t->cas, i));
    }
    *out = t;
    return RW_SUCCESS;
}

static void trust_free(struct rw_sec_trust *t)
{
    X509_STORE_free(t->store);
    sk_X509_pop_free(t->cas, X509_free);
    rw_sec_revset_free(t->revset);
    free(t);
}

struct rw_sec_trust *rw_sec_trust_ref(struct rw_sec_trust *t)
{
    if (t) {
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    }
    return t;
}

void rw_sec_trust_unref(struct rw_sec_trust *t)
{
    if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        trust_free(t);
    }
}

static struct rw_result writable(const struct rw_sec_trust *t)
{
    RW_ENSURE(t, RW_ERR_USAGE);
    RW_ENSURE_MSG(!t->frozen, RW_ERR_STATE, "the trust snapshot is frozen; build a new one");
    return RW_SUCCESS;
}

/* A CA by RFC 5280 (basicConstraints CA:TRUE), as the store's strict mode
 * requires: v1 roots and keyUsage-only CAs would never verify anything. */
static struct rw_result check_ca(X509 *ca)
{
    RW_ENSURE(ca, RW_ERR_USAGE);
    if (X509_check_ca(ca) != 1) {
        char subject[256];
        rw_sec_subject_str(ca, subject, sizeof(subject));
        RW_BAIL_MSG(RW_ERR_USAGE, "%s is not a CA certificate (X.509 v%ld, no basicConstraints "
                    "CA:TRUE)", subject, X509_get_version(ca) + 1);
    }
    return RW_SUCCESS;
}

static bool has_ca(const struct rw_sec_trust *t, const X509 *ca)
{
    for (int i = 0; i < sk_X509_num(t->cas); i++) {
        if (X509_cmp(sk_X509_value(t->cas, i), ca) == 0) {
            return true;
        }
    }
    return false;
}

struct rw_result rw_sec_trust_add_ca(struct rw_sec_trust *t, X509 *ca)
{
    RW_GUARD(writable(t));
    RW_ENSURE_MSG(!t->shared_cas, RW_ERR_STATE,
                  "an extended snapshot shares its CA set: build a new one to add a CA");
    RW_GUARD(check_ca(ca));
    if (has_ca(t, ca)) {
        return RW_SUCCESS;
    }
    if (X509_STORE_add_cert(t->store, ca) != 1) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot add a CA to the trust store");
    }
    RW_ENSURE(sk_X509_push(t->cas, ca) > 0, RW_ERR_NOMEM);
    X509_up_ref(ca);
    return RW_SUCCESS;
}

struct rw_result rw_sec_trust_add_bundle_file(struct rw_sec_trust *t, const char *path)
{
    STACK_OF(X509) *sk = NULL;
    RW_GUARD(writable(t));
    RW_GUARD(rw_sec_x509_stack_from_file(path, &sk));
    struct rw_result r = RW_SUCCESS;
    for (int i = 0; i < sk_X509_num(sk) && rw_ok(r); i++) {
        r = check_ca(sk_X509_value(sk, i)); /* all or nothing */
    }
    for (int i = 0; i < sk_X509_num(sk) && rw_ok(r); i++) {
        r = rw_sec_trust_add_ca(t, sk_X509_value(sk, i));
    }
    if (!rw_ok(r)) {
        rw_err_detail_append(" (in %s)", path);
    }
    sk_X509_pop_free(sk, X509_free);
    return r;
}

struct rw_result rw_sec_trust_add_revocation(struct rw_sec_trust *t, X509 *issuer,
                                             const uint8_t *serial, size_t serial_len, int reason)
{
    uint64_t id;
    RW_GUARD(writable(t));
    RW_ENSURE(issuer, RW_ERR_USAGE);
    RW_GUARD(rw_sec_revset_issuer_id(X509_get_subject_name(issuer), &id));
    return rw_sec_revset_add(t->revset, id, serial, serial_len, reason);
}

struct rw_result rw_sec_trust_add_revocation_id(struct rw_sec_trust *t, uint64_t issuer_id,
                                                const uint8_t *serial, size_t serial_len,
                                                int reason)
{
    RW_GUARD(writable(t));
    return rw_sec_revset_add(t->revset, issuer_id, serial, serial_len, reason);
}

/* True when the CRL's AKI (if any) names this CA's key. */
static bool aki_matches(X509_CRL *crl, X509 *ca)
{
    AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
    if (!akid) {
        ERR_clear_error();
        return true;
    }
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(ca);
    bool ok = !akid->keyid || (skid && ASN1_OCTET_STRING_cmp(akid->keyid, skid) == 0);
    AUTHORITY_KEYID_free(akid);
    return ok;
}

/* Finds the CA whose key signed the CRL. */
static struct rw_result crl_issuer(const struct rw_sec_trust *t, X509_CRL *crl)
{
    const X509_NAME *name = X509_CRL_get_issuer(crl);
    bool named = false;
    for (int i = 0; i < sk_X509_num(t->cas); i++) {
        X509 *ca = sk_X509_value(t->cas, i);
        if (X509_NAME_cmp(X509_get_subject_name(ca), name) != 0 || !aki_matches(crl, ca)) {
            continue;
        }
        named = true;
        EVP_PKEY *pk = X509_get0_pubkey(ca);
        if (pk && X509_CRL_verify(crl, pk) == 1) {
            uint32_t ku = X509_get_key_usage(ca);
            RW_ENSURE_MSG(ku & KU_CRL_SIGN, RW_ERR_AUTH_WRONG_USAGE,
                          "the CRL issuer's key usage does not allow cRLSign");
            return RW_SUCCESS;
        }
        ERR_clear_error();
    }
    char issuer[256];
    rw_sec_name_str(name, issuer, sizeof(issuer));
    RW_ENSURE_MSG(named, RW_ERR_AUTH_UNKNOWN_CA, "CRL issuer %s is not a trusted CA", issuer);
    RW_BAIL_MSG(RW_ERR_AUTH_BAD_SIGNATURE, "CRL signature does not verify with the key of %s",
                issuer);
}

/* Signature and freshness, without touching the snapshot. */
static struct rw_result crl_check(const struct rw_sec_trust *t, X509_CRL *crl, int64_t now)
{
    RW_ENSURE(crl, RW_ERR_USAGE);
    RW_GUARD(crl_issuer(t, crl));
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    int64_t next_at = 0;
    if (next) {
        RW_ENSURE_MSG(rw_ok(rw_sec_time_to_unix(next, &next_at)), RW_ERR_PROTO_MALFORMED,
                      "CRL nextUpdate is not a valid time");
        if (next_at < now) {
            char when[32];
            rw_sec_time_str(next, when, sizeof(when));
            RW_BAIL_MSG(RW_ERR_AUTH_EXPIRED, "CRL expired at %s (nextUpdate)", when);
        }
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_trust_add_crl(struct rw_sec_trust *t, X509_CRL *crl, int64_t now)
{
    RW_GUARD(writable(t));
    RW_GUARD(crl_check(t, crl, now));
    return rw_sec_revset_add_crl(t->revset, crl);
}

/* All CRLs of the file are checked before any is added. */
struct rw_result rw_sec_trust_add_crl_file(struct rw_sec_trust *t, const char *path, int64_t now)
{
    RW_GUARD(writable(t));
    struct rw_buf b;
    rw_buf_init(&b, CRL_FILE_MAX);
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    struct rw_result r = crls ? rw_buf_read_file(&b, path) : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        r = rw_sec_crl_stack_from_buf(b.data, b.len, crls);
    }
    for (int i = 0; i < sk_X509_CRL_num(crls) && rw_ok(r); i++) {
        r = crl_check(t, sk_X509_CRL_value(crls, i), now);
    }
    for (int i = 0; i < sk_X509_CRL_num(crls) && rw_ok(r); i++) {
        r = rw_sec_revset_add_crl(t->revset, sk_X509_CRL_value(crls, i));
    }
    if (!rw_ok(r)) {
        rw_err_detail_append(" (in %s)", path);
    }
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    rw_buf_cleanup(&b);
    return r;
}

/* RFC 5280 conformance checks from OpenSSL (X509_V_FLAG_X509_STRICT); no
 * CRL flags: revocation is ours. */
struct rw_result rw_sec_trust_freeze(struct rw_sec_trust *t)
{
    RW_GUARD(writable(t));
    if (!t->shared_cas && X509_STORE_set_flags(t->store, X509_V_FLAG_X509_STRICT) != 1) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot configure the trust store");
    }
    t->frozen = true;
    return RW_SUCCESS;
}

X509_STORE *rw_sec_trust_store(const struct rw_sec_trust *t) { return t ? t->store : NULL; }

const struct rw_sec_revset *rw_sec_trust_revset(const struct rw_sec_trust *t)
{
    return t ? t->revset : NULL;
}

size_t rw_sec_trust_ca_count(const struct rw_sec_trust *t)
{
    return t ? (size_t)sk_X509_num(t->cas) : 0;
}

bool rw_sec_trust_frozen(const struct rw_sec_trust *t) { return t && t->frozen; }
