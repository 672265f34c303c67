/* admin/adm_verify.c — `verify`: any chain, no data directory needed. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "admin/adm_cmds.h"
#include "core/rw_json.h"
#include "security/sec_ossl.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"

#define MAX_FILES 16

/* Anchors from --ca. CA certificates the chain brings along are added too,
 * so CRLs they signed can be verified; they anchor nothing, since a path
 * must still end at a self-signed certificate from --ca. */
static struct rw_result trust_from_args(const struct adm_args *a, int64_t at,
                                        STACK_OF(X509) *rest, struct rw_sec_trust **out)
{
    const char *ca_file = NULL;
    RW_GUARD(adm_require(a, "ca", &ca_file));
    struct rw_sec_trust *t = rw_sec_trust_new();
    RW_ENSURE(t, RW_ERR_NOMEM);
    struct rw_result r = rw_sec_trust_add_bundle_file(t, ca_file);
    for (int i = 0; i < sk_X509_num(rest) && rw_ok(r); i++) {
        X509 *x = sk_X509_value(rest, i);
        if (X509_check_ca(x) && X509_check_issued(x, x) != X509_V_OK) {
            r = rw_sec_trust_add_ca(t, x);
        }
    }
    const char *crls[MAX_FILES];
    size_t n = adm_get_all(a, "crl", crls, MAX_FILES);
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = rw_sec_trust_add_crl_file(t, crls[i], at);
        if (!rw_ok(r)) {
            rw_err_detail_append(" (CRL file %s)", crls[i]);
        }
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_freeze(t);
    }
    if (rw_ok(r)) {
        *out = t;
    } else {
        rw_sec_trust_unref(t);
    }
    return r;
}

static struct rw_result opts_from_args(const struct adm_args *a, struct rw_sec_verify_opts *o)
{
    memset(o, 0, sizeof(*o));
    const char *v;
    int64_t n = 0;
    if ((v = adm_get(a, "at"))) {
        RW_GUARD(adm_parse_int(v, 1, INT64_MAX / 2, &o->at));
    } else {
        o->at = (int64_t)time(NULL);
    }
    if ((v = adm_get(a, "purpose"))) {
        RW_ENSURE_MSG(strcmp(v, "client") == 0 || strcmp(v, "server") == 0, RW_ERR_USAGE,
                      "--purpose is client or server, not '%s'", v);
        o->purpose = strcmp(v, "server") == 0 ? RW_PURPOSE_SERVER : RW_PURPOSE_CLIENT;
    }
    if ((v = adm_get(a, "max-depth"))) {
        RW_GUARD(adm_parse_int(v, 1, 32, &n));
        o->max_depth = (int)n;
    }
    o->name = adm_get(a, "name");
    RW_ENSURE_MSG(!o->name || o->purpose == RW_PURPOSE_SERVER, RW_ERR_USAGE,
                  "--name checks a server's name: use it with --purpose server");
    return RW_SUCCESS;
}

/* The leaf is the first certificate of --cert; the rest, and --untrusted,
 * are offered to the path builder. */
static struct rw_result load_chain(const struct adm_args *a, X509 **leaf, STACK_OF(X509) **rest)
{
    const char *cert_file = NULL;
    RW_GUARD(adm_require(a, "cert", &cert_file));
    RW_GUARD(rw_sec_x509_stack_from_file(cert_file, rest));
    *leaf = sk_X509_shift(*rest);
    const char *untrusted = adm_get(a, "untrusted");
    if (!untrusted) {
        return RW_SUCCESS;
    }
    STACK_OF(X509) *more = NULL;
    RW_GUARD(rw_sec_x509_stack_from_file(untrusted, &more));
    X509 *x;
    while ((x = sk_X509_shift(more)) != NULL) {
        if (!sk_X509_push(*rest, x)) {
            X509_free(x);
        }
    }
    sk_X509_free(more);
    return RW_SUCCESS;
}

static void print_verdict(const struct adm_args *a, struct rw_result r,
                          const struct rw_sec_identity *id)
{
    if (adm_flag(a, "json")) {
        struct rw_buf b;
        rw_buf_init(&b, 1u << 16);
        bool ok = rw_ok(r);
        if (rw_ok(rw_buf_append_str(&b, "{")) && rw_ok(rw_json_kv_bool(&b, true, "accepted", ok)) &&
            rw_ok(ok ? rw_json_kv_str(&b, false, "principal", id->principal)
                     : rw_json_kv_str(&b, false, "error", rw_err_name(r.err))) &&
            rw_ok(ok ? rw_json_kv_str(&b, false, "role", rw_sec_role_name(id->role))
                     : rw_json_kv_str(&b, false, "reason", rw_err_detail())) &&
            rw_ok(rw_buf_append_str(&b, "}\n"))) {
            fwrite(b.data, 1, b.len, stdout);
        }
        rw_buf_cleanup(&b);
    } else if (rw_ok(r)) {
        printf("OK principal=%s role=%s chain=%d\n", id->principal, rw_sec_role_name(id->role),
               id->chain_len);
    } else {
        printf("REJECTED %s: %s\n", rw_err_name(r.err),
               rw_err_detail()[0] ? rw_err_detail() : rw_err_str(r.err));
    }
}

int adm_cmd_verify(const struct adm_args *a)
{
    struct rw_sec_verify_opts o;
    struct rw_sec_trust *t = NULL;
    X509 *leaf = NULL;
    STACK_OF(X509) *rest = NULL;
    struct rw_result r = opts_from_args(a, &o);
    if (rw_ok(r)) {
        r = load_chain(a, &leaf, &rest);
    }
    if (rw_ok(r)) {
        r = trust_from_args(a, o.at, rest, &t);
    }
    int code;
    if (rw_ok(r)) {
        struct rw_sec_identity id;
        memset(&id, 0, sizeof(id));
        r = rw_sec_verify(t, leaf, rest, &o, &id);
        print_verdict(a, r, &id);
        code = rw_ok(r) ? ADM_EXIT_OK : ADM_EXIT_FAIL;
    } else {
        code = adm_report(r);
    }
    X509_free(leaf);
    sk_X509_pop_free(rest, X509_free);
    rw_sec_trust_unref(t);
    return code;
}
