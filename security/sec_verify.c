/* security/sec_verify.c — path building, strict profile, revocation and
 * identity (see security/sec_verify.h).
 *
 * Each call owns one X509_STORE_CTX (created and freed here) over the
 * snapshot's shared X509_STORE, which it only reads: concurrent calls on
 * one frozen snapshot are safe. The leaf and `untrusted` are borrowed.
 */
#include "security/sec_verify.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "security/sec_ident.h"
#include "security/sec_ossl.h"
#include "security/sec_profile.h"

#define DEFAULT_DEPTH 4
#define SUBJECT_MAX 256

static bool is_ip(const char *name)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* Time, depth, purpose and (servers) the name to match in the SAN. */
static struct rw_result ctx_params(X509_STORE_CTX *ctx, const struct rw_sec_verify_opts *o,
                                   int depth)
{
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    int64_t at = o->at ? o->at : (int64_t)time(NULL);
    bool client = o->purpose == RW_PURPOSE_CLIENT;
    X509_VERIFY_PARAM_set_time(param, (time_t)at);
    /* OpenSSL's depth counts intermediates; ours counts the anchor too. */
    X509_VERIFY_PARAM_set_depth(param, depth - 1);
    if (X509_STORE_CTX_set_purpose(ctx, client ? X509_PURPOSE_SSL_CLIENT
                                               : X509_PURPOSE_SSL_SERVER) != 1) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot set the verification purpose");
    }
    if (client || !o->name) {
        return RW_SUCCESS;
    }
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                               X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = is_ip(o->name) ? X509_VERIFY_PARAM_set1_ip_asc(param, o->name)
                            : X509_VERIFY_PARAM_set1_host(param, o->name, 0);
    if (ok != 1) {
        return rw_sec_ossl_fail(RW_ERR_USAGE, "invalid server name to match");
    }
    return RW_SUCCESS;
}

struct path_err {
    int code;
    enum rw_err err;
    const char *what; /* NULL: OpenSSL's own string */
};

static const struct path_err path_errs[] = {
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, RW_ERR_AUTH_UNKNOWN_CA, "issuer not trusted"},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, RW_ERR_AUTH_UNKNOWN_CA, "issuer not trusted"},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, RW_ERR_AUTH_UNKNOWN_CA, "issuer not trusted"},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, RW_ERR_AUTH_UNKNOWN_CA,
     "issuer not trusted: self-signed certificate in the chain"},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, RW_ERR_AUTH_UNKNOWN_CA,
     "issuer not trusted: self-signed certificate"},
    {X509_V_ERR_CERT_UNTRUSTED, RW_ERR_AUTH_UNKNOWN_CA, "issuer not trusted"},
    {X509_V_ERR_CERT_REJECTED, RW_ERR_AUTH_UNKNOWN_CA, "issuer not trusted"},
    {X509_V_ERR_CERT_SIGNATURE_FAILURE, RW_ERR_AUTH_BAD_SIGNATURE, "bad signature"},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, RW_ERR_AUTH_BAD_SIGNATURE, "bad signature"},
    {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, RW_ERR_AUTH_BAD_SIGNATURE,
     "bad signature: issuer public key unreadable"},
    {X509_V_ERR_CERT_HAS_EXPIRED, RW_ERR_AUTH_EXPIRED, NULL},
    {X509_V_ERR_CERT_NOT_YET_VALID, RW_ERR_AUTH_NOT_YET_VALID, NULL},
    {X509_V_ERR_INVALID_PURPOSE, RW_ERR_AUTH_WRONG_USAGE, NULL},
    {X509_V_ERR_HOSTNAME_MISMATCH, RW_ERR_AUTH_NAME_MISMATCH, NULL},
    {X509_V_ERR_IP_ADDRESS_MISMATCH, RW_ERR_AUTH_NAME_MISMATCH, NULL},
    {X509_V_ERR_CERT_CHAIN_TOO_LONG, RW_ERR_AUTH_INVALID, NULL},
};

/* OpenSSL's own strict (RFC 5280) checks and security-level checks. */
static bool is_profile_code(int code)
{
    return (code >= X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA &&
            code <= X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) ||
           (code >= X509_V_ERR_EE_KEY_TOO_SMALL && code <= X509_V_ERR_CA_MD_TOO_WEAK) ||
           code == X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY;
}

/* The reason sentence for a path error, before the "(certificate ...)". */
static void path_reason(int code, const struct path_err *pe, X509 *cert,
                        const struct rw_sec_verify_opts *o, int depth, char *out, size_t cap)
{
    char when[32];
    const char *ossl = X509_verify_cert_error_string(code);
    if (code == X509_V_ERR_CERT_HAS_EXPIRED && cert) {
        rw_sec_time_str(X509_get0_notAfter(cert), when, sizeof(when));
        snprintf(out, cap, "expired at %s", when);
    } else if (code == X509_V_ERR_CERT_NOT_YET_VALID && cert) {
        rw_sec_time_str(X509_get0_notBefore(cert), when, sizeof(when));
        snprintf(out, cap, "not valid before %s", when);
    } else if (code == X509_V_ERR_INVALID_PURPOSE) {
        snprintf(out, cap, "wrong usage: not valid for TLS %s authentication",
                 o->purpose == RW_PURPOSE_CLIENT ? "client" : "server");
    } else if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        snprintf(out, cap, "name mismatch: '%s' is not in the subjectAltName", o->name);
    } else if (code == X509_V_ERR_CERT_CHAIN_TOO_LONG) {
        snprintf(out, cap, "chain longer than the maximum depth %d", depth);
    } else if (pe && pe->what && strchr(pe->what, ':')) {
        snprintf(out, cap, "%s", pe->what);
    } else if (pe && pe->what) {
        snprintf(out, cap, "%s: %s", pe->what, ossl);
    } else if (is_profile_code(code)) {
        snprintf(out, cap, "profile: %s", ossl);
    } else {
        snprintf(out, cap, "invalid chain: %s", ossl);
    }
}

/* Maps the failed X509_verify_cert to our error and a human reason. */
static struct rw_result path_error(X509_STORE_CTX *ctx, const struct rw_sec_verify_opts *o,
                                   int depth)
{
    int code = X509_STORE_CTX_get_error(ctx);
    int at = X509_STORE_CTX_get_error_depth(ctx);
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    const struct path_err *pe = NULL;
    for (size_t i = 0; i < sizeof(path_errs) / sizeof(path_errs[0]); i++) {
        if (path_errs[i].code == code) {
            pe = &path_errs[i];
        }
    }
    if (cert && (code == X509_V_ERR_INVALID_CA || is_profile_code(code))) {
        /* A v1 issuer is "not a CA" to OpenSSL: name the actual rule. */
        RW_GUARD(rw_sec_profile_version(cert, at));
    }
    enum rw_err e = RW_ERR_AUTH_INVALID;
    if (pe) {
        e = pe->err;
    } else if (is_profile_code(code)) {
        e = RW_ERR_AUTH_PROFILE;
    }
    char reason[256], subject[SUBJECT_MAX] = "unknown certificate";
    path_reason(code, pe, cert, o, depth, reason, sizeof(reason));
    if (cert) {
        rw_sec_subject_str(cert, subject, sizeof(subject));
    }
    ERR_clear_error();
    rw_err_detail_set("%s (certificate at depth %d, %s)", reason, at, subject);
    return RW_ERR(e);
}

/* Every certificate of the chain but a self-signed anchor. */
static struct rw_result check_revoked(const struct rw_sec_trust *t, STACK_OF(X509) *chain)
{
    const struct rw_sec_revset *set = rw_sec_trust_revset(t);
    int n = sk_X509_num(chain);
    for (int depth = 0; depth < n; depth++) {
        X509 *cert = sk_X509_value(chain, depth);
        if (depth == n - 1 && (X509_get_extension_flags(cert) & EXFLAG_SS)) {
            break;
        }
        int reason = 0;
        if (rw_sec_revset_contains(set, cert, &reason)) {
            char serial[48], subject[SUBJECT_MAX];
            rw_sec_cert_serial_hex(cert, serial, sizeof(serial));
            rw_sec_subject_str(cert, subject, sizeof(subject));
            RW_BAIL_MSG(RW_ERR_AUTH_REVOKED, "revoked (%s): serial %s %s (certificate at depth %d)",
                        rw_sec_reason_name(reason), serial, subject, depth);
        }
    }
    return RW_SUCCESS;
}

static struct rw_result principal(X509 *leaf, enum rw_sec_principal_src src, char *out,
                                  size_t cap)
{
    struct rw_result r;
    const char *what = "subject CN";
    switch (src) {
    case RW_PRINCIPAL_SAN_URI:
        what = "SAN URI";
        r = rw_sec_cert_san_uri(leaf, out, cap);
        break;
    case RW_PRINCIPAL_SAN_DNS:
        what = "SAN DNS name";
        r = rw_sec_cert_san_dns(leaf, out, cap);
        break;
    default:
        r = rw_sec_cert_cn(leaf, out, cap);
        break;
    }
    if (!rw_ok(r)) {
        char subject[SUBJECT_MAX];
        rw_sec_subject_str(leaf, subject, sizeof(subject));
        RW_BAIL_MSG(RW_ERR_AUTH_PROFILE, "profile: no usable principal (%s): %s (certificate at "
                    "depth 0, %s)", what, rw_err_str(r.err), subject);
    }
    return RW_SUCCESS;
}

static struct rw_result identity(STACK_OF(X509) *chain, const struct rw_sec_verify_opts *o,
                                 struct rw_sec_identity *id)
{
    X509 *leaf = sk_X509_value(chain, 0);
    memset(id, 0, sizeof(*id));
    RW_GUARD(principal(leaf, o->principal_src, id->principal, sizeof(id->principal)));
    id->role = rw_sec_cert_role(leaf);
    id->chain_len = sk_X509_num(chain);
    id->not_after = INT64_MAX;
    for (int i = 0; i < id->chain_len; i++) {
        int64_t na;
        RW_ENSURE_MSG(rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(sk_X509_value(chain, i)), &na)),
                      RW_ERR_AUTH_INVALID, "unreadable notAfter at depth %d", i);
        if (na < id->not_after) {
            id->not_after = na;
        }
    }
    return RW_SUCCESS;
}

/* After a successful path build: the profile, revocation, identity. */
static struct rw_result after_path(const struct rw_sec_trust *t, X509_STORE_CTX *ctx,
                                   const struct rw_sec_verify_opts *o, int depth,
                                   struct rw_sec_identity *id)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int n = sk_X509_num(chain);
    RW_ENSURE_MSG(n > 0, RW_ERR_AUTH_INVALID, "no chain was built");
    RW_ENSURE_MSG(n - 1 <= depth, RW_ERR_AUTH_INVALID,
                  "chain longer than the maximum depth %d (%d certificates)", depth, n);
    RW_GUARD(rw_sec_profile_check_chain(chain, o->purpose == RW_PURPOSE_CLIENT));
    RW_GUARD(check_revoked(t, chain));
    return identity(chain, o, id);
}

struct rw_result rw_sec_verify(const struct rw_sec_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                               const struct rw_sec_verify_opts *opts, struct rw_sec_identity *id)
{
    static const struct rw_sec_verify_opts defaults = {.purpose = RW_PURPOSE_CLIENT};
    const struct rw_sec_verify_opts *o = opts ? opts : &defaults;
    RW_ENSURE_MSG(leaf, RW_ERR_AUTH_NO_CERT, "no certificate presented");
    RW_ENSURE(t && id, RW_ERR_USAGE);
    RW_ENSURE_MSG(rw_sec_trust_frozen(t), RW_ERR_STATE, "the trust snapshot is not frozen");
    RW_ENSURE_MSG(o->max_depth >= 0, RW_ERR_USAGE, "max_depth %d is negative", o->max_depth);
    int depth = o->max_depth ? o->max_depth : DEFAULT_DEPTH;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    RW_ENSURE(ctx, RW_ERR_NOMEM);
    struct rw_result r = RW_SUCCESS;
    struct rw_sec_identity out;
    ERR_clear_error();
    if (X509_STORE_CTX_init(ctx, rw_sec_trust_store(t), leaf, untrusted) != 1) {
        r = rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot start chain verification");
        goto done;
    }
    RW_TRY(r, ctx_params(ctx, o, depth), done);
    if (X509_verify_cert(ctx) != 1) {
        r = path_error(ctx, o, depth);
        goto done;
    }
    RW_TRY(r, after_path(t, ctx, o, depth, &out), done);
    *id = out;
done:
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return r;
}
