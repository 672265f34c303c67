/* admin/adm_export_remote.c — `certs export` over the admin RPC, on one
 * connection. One certificate: CertsShow (its DER), then CaShow (its issuer's
 * chain). --all: CertsExport pages until `more` is unset, the CAs from the
 * first page. What the server sends is checked before it names a file (hex
 * serials, safe CA ids and principals), and a server that stops making
 * progress is an error, never a loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_common.h"
#include "admin/adm_export.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_hex.h"
#include "security/sec_names.h"


/* A store row view of a CertInfo that must carry a serial and its DER. */
static struct rw_result cert_from_info(const Ringward__Admin__CertInfo *i, struct rw_store_cert *c)
{
    RW_ENSURE_MSG(i, RW_ERR_PROTO_MALFORMED, "the admin listener sent no certificate");
    adm_cert_from_info(i, c);
    RW_ENSURE_MSG(c->serial_len > 0, RW_ERR_PROTO_MALFORMED,
                  "the admin listener sent a certificate without a valid serial");
    RW_ENSURE_MSG(i->der.len > 0, RW_ERR_PROTO_MALFORMED,
                  "the admin listener sent certificate %s without its DER", i->serial);
    return RW_SUCCESS;
}

/* ---- one certificate ---- */

static struct rw_result show(struct adm_remote *conn, const struct adm_export_req *q,
                             Ringward__Admin__AdminFrame **resp)
{
    Ringward__Admin__CertsShowRequest s = RINGWARD__ADMIN__CERTS_SHOW_REQUEST__INIT;
    s.serial = (char *)q->serial;
    ADM_FRAME(f, CERTS_SHOW, certs_show, s);
    struct rw_result r = adm_remote_call(conn, &f, resp);
    if (r.err == RW_ERR_NOT_FOUND) {
        rw_err_detail_append("; nothing was written");
    }
    return r;
}

static struct rw_result chain(struct adm_remote *conn, const char *ca_id,
                              Ringward__Admin__AdminFrame **resp)
{
    Ringward__Admin__CaShowRequest s = RINGWARD__ADMIN__CA_SHOW_REQUEST__INIT;
    s.id = (char *)ca_id;
    ADM_FRAME(f, CA_SHOW, ca_show, s);
    return adm_remote_call(conn, &f, resp);
}

static struct rw_result one(struct adm_remote *conn, const struct adm_export_req *q)
{
    Ringward__Admin__AdminFrame *cert = NULL, *ca = NULL;
    struct rw_store_cert c;
    memset(&c, 0, sizeof(c));
    struct rw_result r = show(conn, q, &cert);
    ADM_EXPORT_ACC(r, cert_from_info(cert->certs_show_ok->cert, &c));
    if (rw_ok(r) && (c.serial_len != q->serial_len ||
                     memcmp(c.serial, q->serial_bin, c.serial_len) != 0)) {
        rw_err_detail_set("the admin listener answered with another certificate");
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    ADM_EXPORT_ACC(r, chain(conn, c.issuer_ca_id, &ca));
    if (rw_ok(r)) {
        const char *pem = ca->ca_show_ok->chain_pem;
        r = adm_export_single(q, &c, cert->certs_show_ok->cert->status, pem, strlen(pem));
    }
    adm_remote_free(ca);
    adm_remote_free(cert);
    return r;
}

/* ---- every certificate ---- */

static struct rw_result add_cas(struct adm_export_tar *t,
                                const Ringward__Admin__CertsExportResponse *p)
{
    for (size_t i = 0; i < p->n_cas; i++) {
        const Ringward__Admin__ExportedCa *e = p->cas[i];
        struct adm_export_ca ca = {.id = e->id, .cn = e->cn, .parent = e->parent,
                                   .serial = e->serial, .disabled = e->disabled,
                                   .der = e->der.data, .der_len = e->der.len};
        RW_GUARD(adm_export_tar_ca(t, &ca));
    }
    return RW_SUCCESS;
}

static struct rw_result add_certs(struct adm_export_tar *t,
                                  const Ringward__Admin__CertsExportResponse *p)
{
    for (size_t i = 0; i < p->n_certs; i++) {
        struct rw_store_cert c;
        RW_GUARD(cert_from_info(p->certs[i], &c));
        RW_GUARD(adm_export_tar_cert(t, &c));
    }
    return RW_SUCCESS;
}

/* One CertsExport page into the archive; *after and *more move on. */
static struct rw_result page(void *remote, struct adm_export_tar *t, size_t limit,
                             int64_t *after, bool *more)
{
    struct adm_remote *conn = remote;
    Ringward__Admin__CertsExportRequest x = RINGWARD__ADMIN__CERTS_EXPORT_REQUEST__INIT;
    x.after = *after;
    x.limit = (uint32_t)limit;
    ADM_FRAME(f, CERTS_EXPORT, certs_export, x);
    Ringward__Admin__AdminFrame *resp = NULL;
    RW_GUARD(adm_remote_call(conn, &f, &resp));
    const Ringward__Admin__CertsExportResponse *p = resp->certs_export_ok;
    struct rw_result r = RW_SUCCESS;
    if (*after == 0) {
        r = add_cas(t, p);
    }
    ADM_EXPORT_ACC(r, add_certs(t, p));
    if (rw_ok(r) && p->more && (p->next <= *after || p->n_certs == 0)) {
        rw_err_detail_set("the admin listener's CertsExport pages stopped moving (at %lld)",
                          (long long)*after);
        r = RW_ERR(RW_ERR_PROTO_MALFORMED);
    }
    *after = p->next;
    *more = p->more;
    adm_remote_free(resp);
    return r;
}

int adm_rpc_cmd_certs_export(const struct adm_args *a)
{
    struct adm_export_req q;
    struct rw_result r = adm_export_parse(a, &q);
    struct adm_export_tar *t = NULL;
    if (rw_ok(r) && q.all) {
        r = adm_export_tar_open(&q, &t); /* an existing output fails before connecting */
    }
    struct adm_remote_opts o;
    adm_remote_opts_from(a, ADM_REMOTE_CERT, false, &o);
    struct adm_remote *conn = NULL;
    ADM_EXPORT_ACC(r, adm_remote_open(&o, &conn));
    if (rw_ok(r)) {
        r = q.all ? adm_export_tar_pages(t, page, conn) : one(conn, &q);
        t = NULL; /* committed or aborted */
    }
    adm_export_tar_abort(t);
    adm_remote_close(conn);
    return adm_report(r);
}
