/* admin/adm_rpc_export.c — CertsExport: every certificate with its DER, a
 * page at a time, and every CA with its certificate on the first page (for
 * `certs export --all`). A read: no event. Authorized in adm_rpc.c like every
 * admin method (role admin + an ACL allowing admin on cluster).
 *
 * A page holds at most ADM_EXPORT_PAGE_MAX certificates and stops early
 * once it carries ADM_EXPORT_PAGE_DER bytes of DER, so a response stays far
 * below the 1 MiB frame limit whatever the key sizes. Pages are separate
 * reads: a certificate issued meanwhile lands on a later page, and a status
 * is the one at the time its page was read.
 */
#include <stdlib.h>
#include <string.h>

#include "admin/adm_export_rpc.h"
#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"

#define ADM_EXPORT_PAGE_MAX 200
#define ADM_EXPORT_PAGE_DER (512u * 1024)

static struct rw_result exported_ca(struct adm_call *c, const struct rw_store_ca *sc,
                                    Ringward__Admin__ExportedCa **out)
{
    Ringward__Admin__ExportedCa init = RINGWARD__ADMIN__EXPORTED_CA__INIT;
    Ringward__Admin__ExportedCa *e = ADM_NEW(c, *e, init);
    RW_ENSURE(e, RW_ERR_NOMEM);
    char serial[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(sc->serial, sc->serial_len, serial);
    e->id = adm_strdup(c, sc->id);
    e->cn = adm_strdup(c, sc->cn);
    e->parent = adm_strdup(c, sc->parent_id);
    e->serial = adm_strdup(c, serial);
    e->disabled = sc->disabled;
    adm_bytes(c, sc->cert_der, sc->cert_der_len, &e->der);
    *out = e;
    return RW_SUCCESS;
}

static struct rw_result add_cas(struct adm_call *c, Ringward__Admin__CertsExportResponse *resp)
{
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(c->svc->store, &cas, &n));
    resp->cas = (Ringward__Admin__ExportedCa **)adm_alloc_ptrs(c, n);
    struct rw_result r = resp->cas ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = exported_ca(c, &cas[i], &resp->cas[i]);
        resp->n_cas += rw_ok(r) ? 1 : 0;
    }
    rw_store_ca_list_free(cas, n);
    return r;
}

/* One certificate of the page; *der_len is what it added. */
static struct rw_result add_cert(struct adm_call *c, const struct rw_store_cert_key *k,
                                 Ringward__Admin__CertInfo **out, size_t *der_len)
{
    struct rw_store_cert sc;
    RW_GUARD(rw_store_cert_get(c->svc->store, k->serial, k->serial_len, &sc));
    struct rw_result r = adm_rpc_cert_info(c, &sc, true, out);
    *der_len = sc.der_len;
    rw_store_cert_cleanup(&sc);
    return r;
}

static struct rw_result add_page(struct adm_call *c, int64_t after, size_t limit,
                                 Ringward__Admin__CertsExportResponse *resp)
{
    struct rw_store_cert_key *keys = NULL;
    size_t n = 0, bytes = 0;
    /* One key more than the page: tells whether anything follows. */
    RW_GUARD(rw_store_cert_keys_after(c->svc->store, after, limit + 1, &keys, &n));
    resp->certs = (Ringward__Admin__CertInfo **)adm_alloc_ptrs(c, n < limit ? n : limit);
    struct rw_result r = resp->certs ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    resp->next = after;
    for (size_t i = 0; i < n && i < limit && bytes < ADM_EXPORT_PAGE_DER && rw_ok(r); i++) {
        size_t der_len = 0;
        r = add_cert(c, &keys[i], &resp->certs[resp->n_certs], &der_len);
        if (rw_ok(r)) {
            resp->n_certs++;
            resp->next = keys[i].pos;
            bytes += der_len;
        }
    }
    resp->more = resp->n_certs < n;
    free(keys);
    return r;
}

struct rw_result adm_h_certs_export(struct adm_call *c)
{
    const Ringward__Admin__CertsExportRequest *q = c->req->certs_export;
    RW_ENSURE_MSG(q->after >= 0, RW_ERR_USAGE, "after is a position >= 0 (0 = from the first)");
    size_t limit = q->limit && q->limit < ADM_EXPORT_PAGE_MAX ? q->limit : ADM_EXPORT_PAGE_MAX;
    Ringward__Admin__CertsExportResponse init = RINGWARD__ADMIN__CERTS_EXPORT_RESPONSE__INIT;
    Ringward__Admin__CertsExportResponse *resp = ADM_NEW(c, *resp, init);
    RW_ENSURE(resp, RW_ERR_NOMEM);
    if (q->after == 0) {
        RW_GUARD(add_cas(c, resp));
    }
    RW_GUARD(add_page(c, q->after, limit, resp));
    ADM_RESPOND(c, CERTS_EXPORT_OK, certs_export_ok, resp);
    return RW_SUCCESS;
}
