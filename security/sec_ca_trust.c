/* security/sec_ca_trust.c — trust snapshots and chains built from the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/sec_ca_internal.h"
#include "security/sec_cert.h"
#include "security/sec_ossl.h"

/* Parsed CA certificates, indexed like the store's CA list. */
struct ca_set {
    struct rw_store_ca *rows;
    X509 **certs;
    size_t n;
};

static void ca_set_cleanup(struct ca_set *set)
{
    for (size_t i = 0; set->certs && i < set->n; i++) {
        X509_free(set->certs[i]);
    }
    free(set->certs);
    rw_store_ca_list_free(set->rows, set->n);
    memset(set, 0, sizeof(*set));
}

static struct rw_result ca_set_load(struct rw_store *s, struct ca_set *set)
{
    memset(set, 0, sizeof(*set));
    RW_GUARD(rw_store_ca_list(s, &set->rows, &set->n));
    set->certs = calloc(set->n ? set->n : 1, sizeof(X509 *));
    if (!set->certs) {
        ca_set_cleanup(set);
        RW_BAIL(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < set->n; i++) {
        struct rw_result r =
            rw_sec_x509_from_der(set->rows[i].cert_der, set->rows[i].cert_der_len, &set->certs[i]);
        if (!rw_ok(r)) {
            rw_err_detail_append(" (certificate of CA '%s' in the store)", set->rows[i].id);
            ca_set_cleanup(set);
            return r;
        }
    }
    return RW_SUCCESS;
}

static X509 *ca_set_find(const struct ca_set *set, const char *id)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->rows[i].id, id) == 0) {
            return set->certs[i];
        }
    }
    return NULL;
}

static struct rw_result add_revocations(struct rw_store *s, const struct ca_set *set,
                                        struct rw_sec_trust *t)
{
    struct rw_store_revocation *revs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_revocation_list(s, NULL, &revs, &n));
    struct rw_result r = RW_SUCCESS;
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        X509 *issuer = ca_set_find(set, revs[i].issuer_ca_id);
        if (issuer) {
            r = rw_sec_trust_add_revocation(t, issuer, revs[i].serial, revs[i].serial_len,
                                            revs[i].reason);
        }
    }
    rw_store_revocation_list_free(revs, n);
    return r;
}

struct rw_result rw_sec_ca_trust_build(struct rw_store *s, struct rw_sec_trust **out)
{
    struct ca_set set;
    RW_GUARD(ca_set_load(s, &set));
    struct rw_sec_trust *t = rw_sec_trust_new();
    struct rw_result r = t ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    for (size_t i = 0; i < set.n && rw_ok(r); i++) {
        r = rw_sec_trust_add_ca(t, set.certs[i]);
    }
    if (rw_ok(r)) {
        r = add_revocations(s, &set, t);
    }
    if (rw_ok(r)) {
        r = rw_sec_trust_freeze(t);
    }
    ca_set_cleanup(&set);
    if (rw_ok(r)) {
        *out = t;
    } else {
        rw_sec_trust_unref(t);
    }
    return r;
}

struct rw_result rw_sec_ca_chain_pem(struct rw_store *s, const char *ca_id, char **pem, size_t *len)
{
    struct ca_set set;
    RW_GUARD(ca_set_load(s, &set));
    struct rw_result r = RW_SUCCESS;
    *pem = NULL;
    *len = 0;
    const char *id = ca_id;
    for (size_t depth = 0; id && id[0] && rw_ok(r); depth++) {
        size_t i = 0;
        while (i < set.n && strcmp(set.rows[i].id, id) != 0) {
            i++;
        }
        if (i == set.n || depth > set.n) {
            rw_err_detail_set("unknown CA id '%s' (see `ringward-admin ca list`)", id);
            r = RW_ERR(RW_ERR_NOT_FOUND);
            break;
        }
        r = rw_sec_cert_append_pem(set.certs[i], pem, len);
        id = set.rows[i].parent_id;
    }
    ca_set_cleanup(&set);
    if (!rw_ok(r)) {
        free(*pem);
        *pem = NULL;
    }
    return r;
}
