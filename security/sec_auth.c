/* security/sec_auth.c — the authentication manager (see security/sec_auth.h).
 *
 * Ownership: the manager holds one reference to the current trust snapshot
 * (swapped under `mu`), owns the validation cache and a SHA-256 fetched
 * once. A check takes its own reference to the snapshot together with the
 * cache generation that belongs to it (both under `mu`), so a swap during a
 * verification never lets that verification be served from the cache.
 *
 * Cache keys are SHA-256 over the DER of the leaf followed by every other
 * certificate the client sent; a resumed session is keyed by its leaf alone
 * (the same key as a full handshake in which only the leaf was sent, and
 * the same verification: leaf against the snapshot, nothing untrusted).
 */
#include "security/sec_auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/rw_hex.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"
#include "security/sec_revset.h"
#include "security/sec_vcache.h"

#define DER_STACK_MAX 8192

struct rw_sec_auth {
    pthread_mutex_t mu;          /* guards `trust` and pairs it with a generation */
    struct rw_sec_trust *trust;  /* one owned reference */
    struct rw_sec_vcache *cache; /* owned */
    EVP_MD *sha256;              /* owned */
    enum rw_sec_principal_src principal_src;
    atomic_uint_fast64_t accepted_full, accepted_resumed, hits, misses;
    atomic_uint_fast64_t rejected[RW_AUTH_R_COUNT];
};

static const char *const reason_names[RW_AUTH_R_COUNT] = {
    "no_cert", "unknown_ca", "bad_signature", "expired", "not_yet_valid",
    "revoked", "wrong_usage", "profile", "other",
};

static void bump(atomic_uint_fast64_t *c) { atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }

static int64_t now_or_current(int64_t now) { return now ? now : (int64_t)time(NULL); }

static enum rw_sec_auth_reason reason_of(enum rw_err e)
{
    switch (e) {
    case RW_ERR_AUTH_NO_CERT: return RW_AUTH_R_NO_CERT;
    case RW_ERR_AUTH_UNKNOWN_CA: return RW_AUTH_R_UNKNOWN_CA;
    case RW_ERR_AUTH_BAD_SIGNATURE: return RW_AUTH_R_BAD_SIGNATURE;
    case RW_ERR_AUTH_EXPIRED: return RW_AUTH_R_EXPIRED;
    case RW_ERR_AUTH_NOT_YET_VALID: return RW_AUTH_R_NOT_YET_VALID;
    case RW_ERR_AUTH_REVOKED: return RW_AUTH_R_REVOKED;
    case RW_ERR_AUTH_WRONG_USAGE: return RW_AUTH_R_WRONG_USAGE;
    case RW_ERR_AUTH_PROFILE: return RW_AUTH_R_PROFILE;
    default: return RW_AUTH_R_OTHER;
    }
}

static struct rw_result reject(struct rw_sec_auth *a, struct rw_result r)
{
    bump(&a->rejected[reason_of(r.err)]);
    return r;
}

struct rw_result rw_sec_auth_new(const struct rw_sec_auth_cfg *cfg, struct rw_sec_trust *trust,
                                 struct rw_sec_auth **out)
{
    RW_ENSURE(out && trust, RW_ERR_USAGE);
    *out = NULL;
    RW_ENSURE_MSG(rw_sec_trust_frozen(trust), RW_ERR_USAGE, "the trust snapshot is not frozen");
    struct rw_sec_auth *a = calloc(1, sizeof(*a));
    RW_ENSURE(a, RW_ERR_NOMEM);
    pthread_mutex_init(&a->mu, NULL);
    a->principal_src = cfg ? cfg->principal_src : RW_PRINCIPAL_CN;
    atomic_init(&a->accepted_full, 0);
    atomic_init(&a->accepted_resumed, 0);
    atomic_init(&a->hits, 0);
    atomic_init(&a->misses, 0);
    for (int i = 0; i < RW_AUTH_R_COUNT; i++) {
        atomic_init(&a->rejected[i], 0);
    }
    struct rw_result r = rw_sec_vcache_new(cfg ? cfg->cache_capacity : 0, 0, &a->cache);
    if (rw_ok(r) && !(a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL))) {
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "SHA-256 is not available");
    }
    if (!rw_ok(r)) {
        rw_sec_auth_free(a);
        return r;
    }
    a->trust = rw_sec_trust_ref(trust);
    *out = a;
    return RW_SUCCESS;
}

void rw_sec_auth_free(struct rw_sec_auth *a)
{
    if (!a) {
        return;
    }
    rw_sec_trust_unref(a->trust);
    rw_sec_vcache_free(a->cache);
    EVP_MD_free(a->sha256);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

void rw_sec_auth_set_trust(struct rw_sec_auth *a, struct rw_sec_trust *trust)
{
    if (!a || !trust) {
        return;
    }
    pthread_mutex_lock(&a->mu);
    struct rw_sec_trust *old = a->trust;
    a->trust = rw_sec_trust_ref(trust);
    rw_sec_vcache_invalidate(a->cache); /* O(1) under the lock */
    pthread_mutex_unlock(&a->mu);
    rw_sec_vcache_sweep(a->cache);
    rw_sec_trust_unref(old); /* checks in flight keep their own reference */
}

/* The current snapshot (referenced) and the cache generation it goes with. */
static struct rw_sec_trust *snapshot(struct rw_sec_auth *a, uint64_t *gen)
{
    pthread_mutex_lock(&a->mu);
    struct rw_sec_trust *t = rw_sec_trust_ref(a->trust);
    *gen = rw_sec_vcache_generation(a->cache);
    pthread_mutex_unlock(&a->mu);
    return t;
}

struct rw_sec_trust *rw_sec_auth_trust(struct rw_sec_auth *a)
{
    uint64_t gen;
    return a ? snapshot(a, &gen) : NULL;
}

/* Feeds one certificate's DER to the digest, through a stack buffer when it fits. */
static bool digest_cert(EVP_MD_CTX *md, X509 *x)
{
    unsigned char buf[DER_STACK_MAX];
    int len = i2d_X509(x, NULL);
    if (len <= 0) {
        return false;
    }
    if ((size_t)len <= sizeof(buf)) {
        unsigned char *p = buf;
        return i2d_X509(x, &p) == len && EVP_DigestUpdate(md, buf, (size_t)len) == 1;
    }
    unsigned char *der = NULL;
    len = i2d_X509(x, &der);
    bool ok = len > 0 && EVP_DigestUpdate(md, der, (size_t)len) == 1;
    OPENSSL_free(der);
    return ok;
}

static struct rw_result chain_key(struct rw_sec_auth *a, X509 *leaf, STACK_OF(X509) *sent,
                                  uint8_t key[RW_VCACHE_KEY_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    RW_ENSURE(md, RW_ERR_NOMEM);
    bool ok = EVP_DigestInit_ex(md, a->sha256, NULL) == 1 && digest_cert(md, leaf);
    for (int i = 0; ok && i < sk_X509_num(sent); i++) {
        X509 *x = sk_X509_value(sent, i);
        if (x != leaf && X509_cmp(x, leaf) != 0) {
            ok = digest_cert(md, x);
        }
    }
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(md, key, &n) == 1 && n == RW_VCACHE_KEY_LEN;
    EVP_MD_CTX_free(md);
    if (!ok) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot hash the client's chain");
    }
    return RW_SUCCESS;
}

static void time_fmt(int64_t t, char *out, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, cap, "%lld", (long long)t);
    }
}

struct rw_result rw_sec_auth_chain_check(const struct rw_sec_trust *t,
                                         const struct rw_sec_chain_ids *ids, int64_t now)
{
    RW_ENSURE(t && ids, RW_ERR_USAGE);
    now = now_or_current(now);
    const struct rw_sec_revset *rs = rw_sec_trust_revset(t);
    for (int i = 0; i < ids->n; i++) {
        const struct rw_sec_cert_ref *c = &ids->certs[i];
        int reason = 0;
        if (rw_sec_revset_lookup(rs, c->issuer_id, c->serial, c->serial_len, &reason)) {
            char hex[2 * sizeof(c->serial) + 1];
            rw_hex_encode(c->serial, c->serial_len, hex);
            RW_BAIL_MSG(RW_ERR_AUTH_REVOKED, "%s with serial %s is revoked (%s)",
                        i == 0 ? "the certificate" : "a CA certificate of the chain", hex,
                        rw_sec_reason_name(reason));
        }
    }
    char when[32];
    if (now > ids->not_after) {
        time_fmt(ids->not_after, when, sizeof(when));
        RW_BAIL_MSG(RW_ERR_AUTH_EXPIRED, "the certificate chain expired at %s", when);
    }
    if (now < ids->not_before) {
        time_fmt(ids->not_before, when, sizeof(when));
        RW_BAIL_MSG(RW_ERR_AUTH_NOT_YET_VALID, "the certificate chain is valid only from %s", when);
    }
    return RW_SUCCESS;
}

/* Appends one certificate's identity and narrows the validity window. */
static struct rw_result chain_ids_add(struct rw_sec_chain_ids *ids, X509 *x)
{
    RW_ENSURE_MSG(ids->n < RW_SEC_CHAIN_MAX, RW_ERR_AUTH_INVALID,
                  "the certificate chain is longer than %d certificates", RW_SEC_CHAIN_MAX);
    struct rw_sec_cert_ref *ref = &ids->certs[ids->n];
    size_t len = 0;
    int64_t nb = 0, na = 0;
    RW_GUARD(rw_sec_revset_issuer_id(X509_get_issuer_name(x), &ref->issuer_id));
    RW_GUARD(rw_sec_cert_serial(x, ref->serial, sizeof(ref->serial), &len));
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notBefore(x), &nb));
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notAfter(x), &na));
    ref->serial_len = (uint8_t)len;
    ids->not_before = nb > ids->not_before ? nb : ids->not_before;
    ids->not_after = na < ids->not_after ? na : ids->not_after;
    ids->n++;
    return RW_SUCCESS;
}

/* An issuer of `x` among what the client sent (name and key id match). */
static X509 *issuer_in(STACK_OF(X509) *sent, X509 *x)
{
    for (int i = 0; i < sk_X509_num(sent); i++) {
        X509 *c = sk_X509_value(sent, i);
        if (c != x && X509_cmp(c, x) != 0 && X509_check_issued(c, x) == X509_V_OK) {
            X509_up_ref(c);
            return c;
        }
    }
    return NULL;
}

/* Rebuilds the verified chain cheaply (names and key ids, no signatures),
 * preferring the snapshot's CAs, to record every certificate's identity.
 * Runs only after rw_sec_verify accepted the same chain. */
static struct rw_result chain_ids_build(const struct rw_sec_trust *t, X509 *leaf,
                                        STACK_OF(X509) *sent, int64_t now,
                                        struct rw_sec_chain_ids *ids)
{
    memset(ids, 0, sizeof(*ids));
    ids->not_before = INT64_MIN;
    ids->not_after = INT64_MAX;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    RW_ENSURE(ctx, RW_ERR_NOMEM);
    if (X509_STORE_CTX_init(ctx, rw_sec_trust_store(t), leaf, NULL) != 1) {
        X509_STORE_CTX_free(ctx);
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot look up the chain's CAs");
    }
    X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
    struct rw_result r = RW_SUCCESS;
    X509 *cur = leaf, *next = NULL;
    X509_up_ref(cur);
    while (rw_ok(r = chain_ids_add(ids, cur)) && X509_check_issued(cur, cur) != X509_V_OK) {
        if (X509_STORE_CTX_get1_issuer(&next, ctx, cur) != 1) {
            next = issuer_in(sent, cur);
        }
        X509_free(cur);
        cur = next;
        next = NULL;
        if (!cur) {
            r = RW_ERR(RW_ERR_AUTH_UNKNOWN_CA);
            rw_err_detail_set("no issuer for a certificate of the chain in the trust snapshot");
            break;
        }
    }
    X509_free(cur);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return r;
}

/* A cache miss: full verification, then the result is cached. */
static struct rw_result verify_and_cache(struct rw_sec_auth *a, const struct rw_sec_trust *t,
                                         uint64_t gen, const uint8_t *key, X509 *leaf,
                                         STACK_OF(X509) *sent, int64_t now,
                                         struct rw_sec_vcache_val *v)
{
    struct rw_sec_verify_opts o = {
        .purpose = RW_PURPOSE_CLIENT, .at = now, .principal_src = a->principal_src};
    RW_GUARD(rw_sec_verify(t, leaf, sent, &o, &v->id));
    RW_GUARD(chain_ids_build(t, leaf, sent, now, &v->chain));
    if (v->id.not_after < v->chain.not_after) {
        v->chain.not_after = v->id.not_after;
    }
    if (!rw_ok(rw_sec_vcache_put(a->cache, key, gen, v))) {
        rw_err_detail_clear(); /* out of memory for the cache only: still accepted */
    }
    return RW_SUCCESS;
}

static struct rw_result check(struct rw_sec_auth *a, X509 *leaf, STACK_OF(X509) *sent,
                              int64_t now, bool resumed, struct rw_sec_identity *id,
                              struct rw_sec_chain_ids *ids)
{
    RW_ENSURE(a && id, RW_ERR_USAGE);
    if (!leaf) {
        rw_err_detail_set("the client presented no certificate");
        return reject(a, RW_ERR(RW_ERR_AUTH_NO_CERT));
    }
    now = now_or_current(now);
    uint8_t key[RW_VCACHE_KEY_LEN];
    struct rw_result r = chain_key(a, leaf, resumed ? NULL : sent, key);
    if (!rw_ok(r)) {
        return reject(a, r);
    }
    uint64_t gen;
    struct rw_sec_trust *t = snapshot(a, &gen);
    struct rw_sec_vcache_val v;
    if (rw_sec_vcache_get(a->cache, key, gen, &v)) {
        bump(&a->hits);
        r = rw_sec_auth_chain_check(t, &v.chain, now);
        if (!rw_ok(r)) {
            rw_sec_vcache_remove(a->cache, key); /* revoked or expired: the entry dies */
            rw_err_detail_append(" (principal %s)", v.id.principal);
        }
    } else {
        bump(&a->misses);
        r = verify_and_cache(a, t, gen, key, leaf, resumed ? NULL : sent, now, &v);
    }
    rw_sec_trust_unref(t);
    if (!rw_ok(r)) {
        return reject(a, r);
    }
    *id = v.id;
    if (ids) {
        *ids = v.chain;
    }
    bump(resumed ? &a->accepted_resumed : &a->accepted_full);
    return RW_SUCCESS;
}

struct rw_result rw_sec_auth_check_chain_ids(struct rw_sec_auth *a, X509 *leaf,
                                             STACK_OF(X509) *sent, int64_t now,
                                             struct rw_sec_identity *id,
                                             struct rw_sec_chain_ids *ids)
{
    return check(a, leaf, sent, now, false, id, ids);
}

struct rw_result rw_sec_auth_check_chain(struct rw_sec_auth *a, X509 *leaf, STACK_OF(X509) *sent,
                                         int64_t now, struct rw_sec_identity *id)
{
    return check(a, leaf, sent, now, false, id, NULL);
}

struct rw_result rw_sec_auth_check_resumed_ids(struct rw_sec_auth *a, X509 *leaf, int64_t now,
                                               struct rw_sec_identity *id,
                                               struct rw_sec_chain_ids *ids)
{
    return check(a, leaf, NULL, now, true, id, ids);
}

struct rw_result rw_sec_auth_check_resumed(struct rw_sec_auth *a, X509 *leaf, int64_t now,
                                           struct rw_sec_identity *id)
{
    return check(a, leaf, NULL, now, true, id, NULL);
}

void rw_sec_auth_stats_get(struct rw_sec_auth *a, struct rw_sec_auth_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->accepted_full = atomic_load_explicit(&a->accepted_full, memory_order_relaxed);
    out->accepted_resumed = atomic_load_explicit(&a->accepted_resumed, memory_order_relaxed);
    out->cache_hits = atomic_load_explicit(&a->hits, memory_order_relaxed);
    out->cache_misses = atomic_load_explicit(&a->misses, memory_order_relaxed);
    for (int i = 0; i < RW_AUTH_R_COUNT; i++) {
        out->rejected[i] = atomic_load_explicit(&a->rejected[i], memory_order_relaxed);
    }
}

const char *rw_sec_auth_reason_name(enum rw_sec_auth_reason r)
{
    return (unsigned)r < RW_AUTH_R_COUNT ? reason_names[r] : "unknown";
}
