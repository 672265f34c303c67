/* security/sec_enroll.c — enrollment tokens and pending CSR requests. */
#include "security/sec_enroll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/rw_hex.h"
#include "core/rw_json.h"
#include "security/sec_cert.h"
#include "security/sec_csr.h"
#include "security/sec_ossl.h"

#define TOKEN_RAW 32

static int64_t now_or(int64_t now)
{
    return now > 0 ? now : (int64_t)time(NULL);
}

/* Appends an event whose payload is built from key/value string pairs. */
static struct rw_result event(struct rw_store *s, const char *actor, const char *kind,
                              const char *object, const char *const *kv, size_t n_kv)
{
    struct rw_buf b;
    rw_buf_init(&b, 16 * 1024);
    struct rw_result r = rw_buf_append_str(&b, "{");
    for (size_t i = 0; i + 1 < n_kv && rw_ok(r); i += 2) {
        r = rw_json_kv_str(&b, i == 0, kv[i], kv[i + 1]);
    }
    if (rw_ok(r)) {
        r = rw_buf_append_str(&b, "}");
    }
    if (rw_ok(r)) {
        r = rw_buf_terminate(&b);
    }
    if (rw_ok(r)) {
        r = rw_store_event_append(s, actor ? actor : "unknown", kind, object,
                                  (const char *)b.data, NULL);
    }
    rw_buf_cleanup(&b);
    return r;
}

static struct rw_result tx_end(struct rw_store *s, struct rw_result r)
{
    if (!rw_ok(r)) {
        rw_store_tx_rollback(s);
        return r;
    }
    return rw_store_tx_commit(s);
}

static void token_hash(const char *token, uint8_t out[RW_STORE_TOKEN_HASH_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1) {
        memset(out, 0, RW_STORE_TOKEN_HASH_LEN); /* matches no stored token */
    }
}

/* The public name of a token in events: the first 8 octets of its hash. */
static void token_id(const uint8_t hash[RW_STORE_TOKEN_HASH_LEN], char out[17])
{
    rw_hex_encode(hash, 8, out);
}

static void base64url(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = a[(acc >> bits) & 63];
        }
    }
    if (bits > 0) {
        out[o++] = a[(acc << (6 - bits)) & 63];
    }
    out[o] = '\0';
}

struct rw_result rw_sec_enroll_token_create(struct rw_store *s, const char *actor,
                                            const char *principal, enum rw_role role, int64_t ttl,
                                            int64_t now, char token[RW_ENROLL_TOKEN_TEXT],
                                            int64_t *expires_at)
{
    RW_GUARD(rw_sec_principal_check(principal));
    RW_ENSURE_MSG(role != RW_ROLE_NONE, RW_ERR_USAGE,
                  "a token needs a role: broker, producer, consumer or admin");
    RW_ENSURE_MSG(ttl >= 0 && ttl <= RW_ENROLL_TOKEN_MAX_TTL, RW_ERR_USAGE,
                  "a token lives at most 30 days");
    struct rw_store_token t;
    memset(&t, 0, sizeof(t));
    snprintf(t.principal, sizeof(t.principal), "%s", principal);
    snprintf(t.role, sizeof(t.role), "%s", rw_sec_role_name(role));
    t.expires_at = now_or(now) + (ttl > 0 ? ttl : RW_ENROLL_TOKEN_DEFAULT_TTL);
    uint8_t raw[TOKEN_RAW];
    RW_ENSURE_MSG(RAND_priv_bytes(raw, sizeof(raw)) == 1, RW_ERR_CRYPTO,
                  "no randomness for an enrollment token");
    memcpy(token, RW_ENROLL_TOKEN_PREFIX, sizeof(RW_ENROLL_TOKEN_PREFIX) - 1);
    base64url(raw, sizeof(raw), token + sizeof(RW_ENROLL_TOKEN_PREFIX) - 1);
    OPENSSL_cleanse(raw, sizeof(raw));
    token_hash(token, t.hash);
    char id[17], exp[24];
    token_id(t.hash, id);
    snprintf(exp, sizeof(exp), "%lld", (long long)t.expires_at);
    const char *kv[] = {"principal", t.principal, "role", t.role, "expires_at", exp};
    struct rw_result r = rw_store_tx_begin(s);
    if (rw_ok(r)) {
        r = rw_store_token_insert(s, &t);
        if (rw_ok(r)) {
            r = event(s, actor, "token.created", id, kv, 6);
        }
        r = tx_end(s, r);
    }
    if (!rw_ok(r)) {
        OPENSSL_cleanse(token, RW_ENROLL_TOKEN_TEXT);
        return r;
    }
    if (expires_at) {
        *expires_at = t.expires_at;
    }
    return RW_SUCCESS;
}

struct rw_result rw_sec_enroll_token_redeem(struct rw_store *s, const char *actor,
                                            const char *token, const char *principal,
                                            enum rw_role role, int64_t now)
{
    RW_GUARD(rw_store_tx_begin(s));
    return tx_end(s, rw_sec_enroll_token_redeem_in_tx(s, actor, token, principal, role, now));
}

struct rw_result rw_sec_enroll_token_redeem_in_tx(struct rw_store *s, const char *actor,
                                                  const char *token, const char *principal,
                                                  enum rw_role role, int64_t now)
{
    size_t plen = sizeof(RW_ENROLL_TOKEN_PREFIX) - 1;
    RW_ENSURE_MSG(token && strlen(token) < RW_ENROLL_TOKEN_TEXT &&
                      strncmp(token, RW_ENROLL_TOKEN_PREFIX, plen) == 0,
                  RW_ERR_AUTH_INVALID, "not an enrollment token");
    struct rw_store_token t;
    uint8_t hash[RW_STORE_TOKEN_HASH_LEN];
    token_hash(token, hash);
    struct rw_result r = rw_store_token_get(s, hash, &t);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_AUTH_INVALID, "unknown enrollment token");
    RW_GUARD(r);
    RW_ENSURE_MSG(t.used_at == 0, RW_ERR_AUTH_INVALID, "this enrollment token was already used");
    RW_ENSURE_MSG(now_or(now) < t.expires_at, RW_ERR_AUTH_EXPIRED,
                  "this enrollment token expired; ask an operator for a new one");
    RW_ENSURE_MSG(strcmp(t.principal, principal) == 0 &&
                      strcmp(t.role, rw_sec_role_name(role)) == 0,
                  RW_ERR_AUTH_NAME_MISMATCH,
                  "this enrollment token is for another principal or role");
    char id[17];
    token_id(hash, id);
    const char *kv[] = {"principal", t.principal, "role", t.role};
    r = rw_store_token_use(s, hash, now_or(now));
    if (r.err == RW_ERR_STATE) {
        rw_err_detail_set("this enrollment token was already used");
        r = RW_ERR(RW_ERR_AUTH_INVALID);
    }
    if (rw_ok(r)) {
        r = event(s, actor, "token.used", id, kv, 4);
    }
    return r;
}

struct rw_result rw_sec_enroll_csr_check(const uint8_t *csr, size_t len,
                                         char principal_out[RW_STORE_NAME_MAX])
{
    X509_REQ *req = NULL;
    RW_GUARD(rw_sec_csr_parse(csr, len, &req));
    struct rw_sec_csr_names names;
    memset(&names, 0, sizeof(names));
    struct rw_result r = rw_sec_csr_names(req, &names);
    if (rw_ok(r) && !names.cn[0]) {
        rw_err_detail_set("the CSR has no subject CN: it names the principal");
        r = RW_ERR(RW_ERR_USAGE);
    }
    if (rw_ok(r)) {
        r = rw_sec_principal_check(names.cn);
    }
    if (rw_ok(r)) {
        snprintf(principal_out, RW_STORE_NAME_MAX, "%s", names.cn);
    }
    rw_sec_csr_names_cleanup(&names);
    X509_REQ_free(req);
    return r;
}

/* The CSR as DER (the store keeps DER whatever was submitted). */
static struct rw_result csr_der(const uint8_t *csr, size_t len, uint8_t **der, size_t *der_len)
{
    X509_REQ *req = NULL;
    RW_GUARD(rw_sec_csr_parse(csr, len, &req));
    unsigned char *p = NULL;
    int n = i2d_X509_REQ(req, &p);
    X509_REQ_free(req);
    RW_ENSURE_MSG(n > 0, RW_ERR_CRYPTO, "cannot encode the CSR");
    *der = p;
    *der_len = (size_t)n;
    return RW_SUCCESS;
}

struct rw_result rw_sec_enroll_request_submit(struct rw_store *s, const char *actor,
                                              const uint8_t *csr, size_t len, enum rw_role role,
                                              size_t max_pending, int64_t *id_out)
{
    struct rw_store_csr_request q;
    memset(&q, 0, sizeof(q));
    RW_ENSURE_MSG(role != RW_ROLE_NONE, RW_ERR_USAGE,
                  "a request needs a role: broker, producer, consumer or admin");
    RW_GUARD(rw_sec_enroll_csr_check(csr, len, q.principal));
    snprintf(q.role, sizeof(q.role), "%s", rw_sec_role_name(role));
    snprintf(q.status, sizeof(q.status), "pending");
    q.created_at = now_or(0);
    RW_GUARD(csr_der(csr, len, &q.csr_der, &q.csr_der_len));
    int64_t pending = 0, id = 0;
    struct rw_result r = rw_store_tx_begin(s);
    if (rw_ok(r)) {
        r = rw_store_csr_request_count(s, "pending", &pending);
        if (rw_ok(r) && max_pending && (size_t)pending >= max_pending) {
            rw_err_detail_set("%lld certificate requests already wait for an operator",
                              (long long)pending);
            r = RW_ERR(RW_ERR_LIMIT);
        }
        if (rw_ok(r)) {
            r = rw_store_csr_request_insert(s, &q, &id);
        }
        char obj[24];
        snprintf(obj, sizeof(obj), "%lld", (long long)id);
        const char *kv[] = {"principal", q.principal, "role", q.role};
        if (rw_ok(r)) {
            r = event(s, actor, "csr.requested", obj, kv, 4);
        }
        r = tx_end(s, r);
    }
    OPENSSL_free(q.csr_der);
    if (rw_ok(r) && id_out) {
        *id_out = id;
    }
    return r;
}

struct approval {
    const struct rw_sec_ca *ca;
    const struct rw_store_csr_request *q;
    int64_t id;
};

/* In the issuing transaction: pending -> approved, with its event. */
static struct rw_result mark_approved(void *arg, X509 *cert)
{
    const struct approval *ap = arg;
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t serial_len = 0;
    char hex[2 * RW_STORE_SERIAL_MAX + 1], obj[24];
    RW_GUARD(rw_sec_cert_serial(cert, serial, sizeof(serial), &serial_len));
    rw_hex_encode(serial, serial_len, hex);
    snprintf(obj, sizeof(obj), "%lld", (long long)ap->id);
    const char *kv[] = {"principal", ap->q->principal, "role", ap->q->role, "serial", hex};
    RW_GUARD(rw_store_csr_request_set_status(ap->ca->store, ap->id, "pending", "approved",
                                             serial, serial_len));
    return event(ap->ca->store, ap->ca->actor, "csr.approved", obj, kv, 6);
}

struct rw_result rw_sec_enroll_request_approve(const struct rw_sec_ca *ca, int64_t id, int64_t ttl,
                                               X509 **cert_out)
{
    struct rw_store_csr_request q;
    RW_GUARD(rw_store_csr_request_get(ca->store, id, &q));
    struct rw_result r = RW_SUCCESS;
    X509 *cert = NULL;
    enum rw_role role = RW_ROLE_NONE;
    if (strcmp(q.status, "pending") != 0) {
        RW_FAIL(r, RW_ERR_STATE, out, "certificate request %lld is %s, not pending",
                (long long)id, q.status);
    }
    if (!rw_sec_role_parse(q.role, &role)) {
        RW_FAIL(r, RW_ERR_IO_CORRUPT, out, "request %lld has an unknown role", (long long)id);
    }
    struct approval ap = {.ca = ca, .q = &q, .id = id};
    struct rw_sec_issue_opts o = {.principal = q.principal, .role = role, .ttl = ttl,
                                  .in_tx = mark_approved, .in_tx_arg = &ap};
    r = rw_sec_ca_sign_csr(ca, q.csr_der, q.csr_der_len, &o, &cert);
out:
    rw_store_csr_request_cleanup(&q);
    if (rw_ok(r) && cert_out) {
        *cert_out = cert;
    } else {
        X509_free(cert);
    }
    return r;
}

struct rw_result rw_sec_enroll_request_reject(struct rw_store *s, const char *actor, int64_t id,
                                              const char *reason)
{
    struct rw_store_csr_request q;
    RW_GUARD(rw_store_csr_request_get(s, id, &q));
    char principal[RW_STORE_NAME_MAX], role[16], obj[24];
    snprintf(principal, sizeof(principal), "%s", q.principal);
    snprintf(role, sizeof(role), "%s", q.role);
    rw_store_csr_request_cleanup(&q);
    snprintf(obj, sizeof(obj), "%lld", (long long)id);
    const char *kv[] = {"principal", principal, "role", role, "reason",
                        reason && reason[0] ? reason : "unspecified"};
    RW_GUARD(rw_store_tx_begin(s));
    struct rw_result r = rw_store_csr_request_set_status(s, id, "pending", "rejected", NULL, 0);
    if (rw_ok(r)) {
        r = event(s, actor, "csr.rejected", obj, kv, 6);
    }
    return tx_end(s, r);
}
