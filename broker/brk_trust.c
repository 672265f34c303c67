/* broker/brk_trust.c — the trust snapshot of a policy: store CAs and
 * revocations, --trust-bundle CAs, CRL files, and the issuers refused by
 * fail-closed (see brk_trust_build in broker/brk_enforce.h). */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "broker/brk_enforce.h"
#include "security/sec_ossl.h"
#include "security/sec_revset.h"

#define REASON_CERTIFICATE_HOLD 6 /* RFC 5280 CRLReason */

/* Every candidate CA: the store's (indexed like `rows`), then the bundle's. */
struct ca_set {
    STACK_OF(X509) *all;
    struct rw_store_ca *rows;
    size_t n_rows;
};

static void ca_set_cleanup(struct ca_set *c)
{
    sk_X509_pop_free(c->all, X509_free);
    rw_store_ca_list_free(c->rows, c->n_rows);
    memset(c, 0, sizeof(*c));
}

static struct rw_result ca_set_load(struct rw_store *s, const char *bundle, struct ca_set *c)
{
    memset(c, 0, sizeof(*c));
    RW_GUARD(rw_store_ca_list(s, &c->rows, &c->n_rows));
    c->all = sk_X509_new_null();
    RW_ENSURE(c->all, RW_ERR_NOMEM);
    for (size_t i = 0; i < c->n_rows; i++) {
        X509 *x = NULL;
        struct rw_result r = rw_sec_x509_from_der(c->rows[i].cert_der, c->rows[i].cert_der_len, &x);
        if (!rw_ok(r)) {
            rw_err_detail_append(" (certificate of CA '%s' in the store)", c->rows[i].id);
            return r;
        }
        if (!sk_X509_push(c->all, x)) {
            X509_free(x);
            RW_BAIL(RW_ERR_NOMEM);
        }
    }
    if (!bundle || !bundle[0]) {
        return RW_SUCCESS;
    }
    STACK_OF(X509) *sk = NULL;
    struct rw_result r = rw_sec_x509_stack_from_file(bundle, &sk);
    if (!rw_ok(r)) {
        rw_err_detail_append(" (--trust-bundle %s)", bundle);
        return r;
    }
    X509 *x;
    while ((x = sk_X509_shift(sk)) != NULL) {
        if (!sk_X509_push(c->all, x)) {
            X509_free(x);
            r = RW_ERR(RW_ERR_NOMEM);
            break;
        }
    }
    sk_X509_pop_free(sk, X509_free);
    return r;
}

static bool name_in(STACK_OF(X509_NAME) *names, const X509_NAME *n)
{
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        if (X509_NAME_cmp(sk_X509_NAME_value(names, i), n) == 0) {
            return true;
        }
    }
    return false;
}

/* A scratch snapshot with every CA decides what each CRL file gives. */
static struct rw_result crls_evaluate(struct brk_crls *crls, const struct ca_set *c, int64_t now,
                                      bool startup, STACK_OF(X509_NAME) *blocked)
{
    struct rw_sec_trust *probe = rw_sec_trust_new();
    RW_ENSURE(probe, RW_ERR_NOMEM);
    struct rw_result r = RW_SUCCESS;
    for (int i = 0; i < sk_X509_num(c->all) && rw_ok(r); i++) {
        r = rw_sec_trust_add_ca(probe, sk_X509_value(c->all, i));
    }
    if (rw_ok(r)) {
        r = brk_crls_evaluate(crls, probe, now, startup, blocked);
    }
    rw_sec_trust_unref(probe);
    return r;
}

static struct rw_result add_cas(struct rw_sec_trust *t, const struct ca_set *c,
                                STACK_OF(X509_NAME) *blocked)
{
    for (int i = 0; i < sk_X509_num(c->all); i++) {
        X509 *x = sk_X509_value(c->all, i);
        if (!name_in(blocked, X509_get_subject_name(x))) {
            RW_GUARD(rw_sec_trust_add_ca(t, x));
        }
    }
    return RW_SUCCESS;
}

static struct rw_result add_store_revocations(struct rw_store *s, struct rw_sec_trust *t,
                                              const struct ca_set *c)
{
    struct rw_store_revocation *revs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_revocation_list(s, NULL, &revs, &n));
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        for (size_t j = 0; j < c->n_rows; j++) {
            if (strcmp(c->rows[j].id, revs[i].issuer_ca_id) == 0) {
                r = rw_sec_trust_add_revocation(t, sk_X509_value(c->all, (int)j), revs[i].serial,
                                                revs[i].serial_len, revs[i].reason);
                break;
            }
        }
    }
    rw_store_revocation_list_free(revs, n);
    return r;
}

/* A refused CA that is not self-signed is held under its issuer, so a
 * client that sends it along cannot build a path through it. */
static struct rw_result hold_blocked(struct rw_sec_trust *t, const struct ca_set *c,
                                     STACK_OF(X509_NAME) *blocked)
{
    for (int i = 0; i < sk_X509_num(c->all); i++) {
        X509 *x = sk_X509_value(c->all, i);
        if (!name_in(blocked, X509_get_subject_name(x)) ||
            (X509_get_extension_flags(x) & EXFLAG_SS)) {
            continue;
        }
        for (int j = 0; j < sk_X509_num(c->all); j++) {
            X509 *y = sk_X509_value(c->all, j);
            if (y != x && X509_check_issued(y, x) == X509_V_OK) {
                uint8_t serial[20];
                size_t len = 0;
                RW_GUARD(rw_sec_cert_serial(x, serial, sizeof(serial), &len));
                RW_GUARD(rw_sec_trust_add_revocation(t, y, serial, len, REASON_CERTIFICATE_HOLD));
                break;
            }
        }
    }
    return RW_SUCCESS;
}

static struct rw_result blocked_ids(STACK_OF(X509_NAME) *blocked, struct brk_policy *p)
{
    p->n_blocked = 0;
    for (int i = 0; i < sk_X509_NAME_num(blocked); i++) {
        uint64_t id;
        RW_GUARD(rw_sec_revset_issuer_id(sk_X509_NAME_value(blocked, i), &id));
        bool dup = false;
        for (size_t j = 0; j < p->n_blocked; j++) {
            dup = dup || p->blocked[j] == id;
        }
        if (!dup) {
            RW_ENSURE_MSG(p->n_blocked < BRK_BLOCKED_MAX, RW_ERR_LIMIT,
                          "more than %d issuers refused by unusable CRLs", BRK_BLOCKED_MAX);
            p->blocked[p->n_blocked++] = id;
        }
    }
    return RW_SUCCESS;
}

static struct rw_result assemble(struct rw_store *s, const struct ca_set *c, struct brk_crls *crls,
                                 STACK_OF(X509_NAME) *blocked, struct rw_sec_trust *t)
{
    RW_GUARD(add_cas(t, c, blocked));
    RW_GUARD(add_store_revocations(s, t, c));
    RW_GUARD(hold_blocked(t, c, blocked));
    if (crls) {
        RW_GUARD(brk_crls_add(crls, t));
    }
    return rw_sec_trust_freeze(t);
}

struct rw_result brk_trust_build(struct rw_store *s, const char *bundle, struct brk_crls *crls,
                                 int64_t now, bool startup, struct brk_policy *p)
{
    struct ca_set c;
    STACK_OF(X509_NAME) *blocked = sk_X509_NAME_new_null();
    struct rw_sec_trust *t = rw_sec_trust_new();
    struct rw_result r = blocked && t ? ca_set_load(s, bundle, &c) : RW_ERR(RW_ERR_NOMEM);
    if (!blocked || !t) {
        memset(&c, 0, sizeof(c));
    }
    if (rw_ok(r) && crls) {
        r = crls_evaluate(crls, &c, now, startup, blocked);
    }
    if (rw_ok(r)) {
        r = assemble(s, &c, crls, blocked, t);
    }
    if (rw_ok(r)) {
        r = blocked_ids(blocked, p);
    }
    ca_set_cleanup(&c);
    sk_X509_NAME_pop_free(blocked, X509_NAME_free);
    if (!rw_ok(r)) {
        rw_sec_trust_unref(t);
        return r;
    }
    rw_sec_trust_unref(p->trust);
    p->trust = t;
    return RW_SUCCESS;
}
