/* admin/adm_rpc_read.c — reads (no events): CAs, certificates with their
 * lineage, the audit log, status; and the ACL methods. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/adm_rpc_internal.h"
#include "core/rw_hex.h"
#include "security/sec_names.h"
#include "security/sec_ossl.h"

static struct rw_result ca_info(struct adm_call *c, const struct rw_store_ca *sc,
                                Ringward__Admin__CaInfo **out)
{
    Ringward__Admin__CaInfo init = RINGWARD__ADMIN__CA_INFO__INIT;
    Ringward__Admin__CaInfo *i = ADM_NEW(c, *i, init);
    RW_ENSURE(i, RW_ERR_NOMEM);
    char serial[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(sc->serial, sc->serial_len, serial);
    i->id = adm_strdup(c, sc->id);
    i->cn = adm_strdup(c, sc->cn);
    i->parent = adm_strdup(c, sc->parent_id);
    i->serial = adm_strdup(c, serial);
    i->key_alg = adm_strdup(c, sc->key_alg);
    i->path_len = sc->path_len;
    i->disabled = sc->disabled;
    i->key_encrypted = sc->key_encrypted;
    X509 *x = NULL;
    if (rw_ok(rw_sec_x509_from_der(sc->cert_der, sc->cert_der_len, &x))) {
        if (!rw_ok(rw_sec_time_to_unix(X509_get0_notAfter(x), &i->not_after))) {
            i->not_after = 0;
        }
        X509_free(x);
    }
    *out = i;
    return RW_SUCCESS;
}

struct rw_result adm_h_ca_list(struct adm_call *c)
{
    struct rw_store_ca *cas = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_ca_list(c->svc->store, &cas, &n));
    Ringward__Admin__CaListResponse init = RINGWARD__ADMIN__CA_LIST_RESPONSE__INIT;
    Ringward__Admin__CaListResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->cas = (Ringward__Admin__CaInfo **)adm_alloc_ptrs(c, n);
        r = resp->cas ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        r = ca_info(c, &cas[i], &resp->cas[i]);
        resp->n_cas = i + 1;
    }
    rw_store_ca_list_free(cas, n);
    RW_GUARD(r);
    ADM_RESPOND(c, CA_LIST_OK, ca_list_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_ca_show(struct adm_call *c)
{
    Ringward__Admin__CaShowResponse init = RINGWARD__ADMIN__CA_SHOW_RESPONSE__INIT;
    Ringward__Admin__CaShowResponse *resp = ADM_NEW(c, *resp, init);
    RW_ENSURE(resp, RW_ERR_NOMEM);
    RW_GUARD(adm_rpc_chain_pem(c, c->req->ca_show->id, &resp->chain_pem));
    ADM_RESPOND(c, CA_SHOW_OK, ca_show_ok, resp);
    return RW_SUCCESS;
}

static const char *status_of(const struct rw_store_cert *sc, int64_t now)
{
    if (sc->revoked) {
        return "revoked";
    }
    return sc->not_after <= now ? "expired" : "active";
}

struct rw_result adm_rpc_cert_info(struct adm_call *c, const struct rw_store_cert *sc, bool with_der,
                                   Ringward__Admin__CertInfo **out)
{
    Ringward__Admin__CertInfo init = RINGWARD__ADMIN__CERT_INFO__INIT;
    Ringward__Admin__CertInfo *i = ADM_NEW(c, *i, init);
    RW_ENSURE(i, RW_ERR_NOMEM);
    char serial[2 * RW_STORE_SERIAL_MAX + 1];
    rw_hex_encode(sc->serial, sc->serial_len, serial);
    i->serial = adm_strdup(c, serial);
    i->principal = adm_strdup(c, sc->principal);
    i->role = adm_strdup(c, sc->role);
    i->ca = adm_strdup(c, sc->issuer_ca_id);
    i->status = adm_strdup(c, status_of(sc, adm_now(c->svc)));
    i->not_before = sc->not_before;
    i->not_after = sc->not_after;
    i->issued_at = sc->issued_at;
    if (sc->revoked) {
        i->revocation_reason = adm_strdup(c, rw_sec_reason_name(sc->reason));
        i->revoked_at = sc->revoked_at;
    }
    if (with_der && sc->der_len) {
        adm_bytes(c, sc->der, sc->der_len, &i->der);
    }
    *out = i;
    return RW_SUCCESS;
}

static struct rw_result list_filter(struct adm_call *c, struct rw_store_cert_filter *f)
{
    const Ringward__Admin__CertsListRequest *q = c->req->certs_list;
    memset(f, 0, sizeof(*f));
    f->principal = q->principal[0] ? q->principal : NULL;
    f->role = q->role[0] ? q->role : NULL;
    f->issuer_ca_id = q->ca_id[0] ? q->ca_id : NULL;
    f->now = adm_now(c->svc);
    RW_ENSURE_MSG(q->expiring_within >= 0, RW_ERR_USAGE, "expiring_within is a duration");
    if (!q->status[0]) {
        f->status = q->expiring_within > 0 ? RW_STORE_ACTIVE : RW_STORE_ANY;
    } else if (strcmp(q->status, "active") == 0) {
        f->status = RW_STORE_ACTIVE;
    } else if (strcmp(q->status, "revoked") == 0) {
        f->status = RW_STORE_REVOKED;
    } else if (strcmp(q->status, "expired") == 0) {
        f->status = RW_STORE_EXPIRED;
    } else {
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown status '%s' (active, revoked, expired)", q->status);
    }
    return RW_SUCCESS;
}

struct rw_result adm_h_certs_list(struct adm_call *c)
{
    struct rw_store_cert_filter f;
    RW_GUARD(list_filter(c, &f));
    int64_t within = c->req->certs_list->expiring_within;
    struct rw_store_cert *certs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_cert_list(c->svc->store, &f, &certs, &n));
    Ringward__Admin__CertsListResponse init = RINGWARD__ADMIN__CERTS_LIST_RESPONSE__INIT;
    Ringward__Admin__CertsListResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->certs = (Ringward__Admin__CertInfo **)adm_alloc_ptrs(c, n);
        r = resp->certs ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        if (within > 0 && (certs[i].revoked || certs[i].not_after - f.now > within)) {
            continue;
        }
        r = adm_rpc_cert_info(c, &certs[i], false, &resp->certs[resp->n_certs]);
        resp->n_certs += rw_ok(r) ? 1 : 0;
    }
    rw_store_cert_list_free(certs, n);
    RW_GUARD(r);
    ADM_RESPOND(c, CERTS_LIST_OK, certs_list_ok, resp);
    return RW_SUCCESS;
}

/* "superseded" (and by what) from each certificate's latest
 * cert.superseded event (an indexed lookup per certificate). */
static struct rw_result mark_superseded(struct adm_call *c, Ringward__Admin__CertInfo **infos,
                                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rw_store_event ev;
        struct rw_result r = rw_store_event_latest(c->svc->store, "cert.superseded",
                                                   infos[i]->serial, &ev);
        if (r.err == RW_ERR_NOT_FOUND) {
            continue;
        }
        RW_GUARD(r);
        if (strcmp(infos[i]->status, "active") == 0) {
            infos[i]->status = "superseded";
        }
        const char *by = strstr(ev.payload, "\"by\":\"");
        if (by) {
            char tmp[2 * RW_STORE_SERIAL_MAX + 1];
            snprintf(tmp, sizeof(tmp), "%.*s", (int)strcspn(by + 6, "\""), by + 6);
            infos[i]->superseded_by = adm_strdup(c, tmp);
        }
        rw_store_event_cleanup(&ev);
    }
    return RW_SUCCESS;
}

static struct rw_result lineage(struct adm_call *c, const char *principal,
                                Ringward__Admin__CertsShowResponse *resp)
{
    struct rw_store_cert_filter f = {.principal = principal, .now = adm_now(c->svc)};
    struct rw_store_cert *certs = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_cert_list(c->svc->store, &f, &certs, &n));
    resp->lineage = (Ringward__Admin__CertInfo **)adm_alloc_ptrs(c, n);
    struct rw_result r = resp->lineage ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        if (certs[i].is_ca) {
            continue;
        }
        r = adm_rpc_cert_info(c, &certs[i], false, &resp->lineage[resp->n_lineage]);
        resp->n_lineage += rw_ok(r) ? 1 : 0;
    }
    rw_store_cert_list_free(certs, n);
    return r;
}

struct rw_result adm_h_certs_show(struct adm_call *c)
{
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t len = 0;
    RW_GUARD(adm_rpc_serial(c->req->certs_show->serial, serial, &len));
    struct rw_store_cert sc;
    struct rw_result r = rw_store_cert_get(c->svc->store, serial, len, &sc);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_NOT_FOUND, "no certificate with serial %s",
                  c->req->certs_show->serial);
    RW_GUARD(r);
    Ringward__Admin__CertsShowResponse init = RINGWARD__ADMIN__CERTS_SHOW_RESPONSE__INIT;
    Ringward__Admin__CertsShowResponse *resp = ADM_NEW(c, *resp, init);
    r = resp ? adm_rpc_cert_info(c, &sc, true, &resp->cert) : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r) && !sc.is_ca) {
        r = lineage(c, sc.principal, resp);
    }
    rw_store_cert_cleanup(&sc);
    RW_GUARD(r);
    RW_GUARD(mark_superseded(c, &resp->cert, 1));
    RW_GUARD(mark_superseded(c, resp->lineage, resp->n_lineage));
    ADM_RESPOND(c, CERTS_SHOW_OK, certs_show_ok, resp);
    return RW_SUCCESS;
}

struct rw_result adm_h_events(struct adm_call *c)
{
    const Ringward__Admin__EventsRequest *q = c->req->events;
    RW_ENSURE_MSG(q->since >= 0, RW_ERR_USAGE, "since is an event number >= 0");
    size_t limit = q->limit && q->limit < c->svc->cfg.events_page ? q->limit : c->svc->cfg.events_page;
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    RW_GUARD(rw_store_event_list(c->svc->store, q->since, limit, &ev, &n));
    Ringward__Admin__EventsResponse init = RINGWARD__ADMIN__EVENTS_RESPONSE__INIT;
    Ringward__Admin__EventsResponse *resp = ADM_NEW(c, *resp, init);
    struct rw_result r = resp ? RW_SUCCESS : RW_ERR(RW_ERR_NOMEM);
    if (rw_ok(r)) {
        resp->events = (Ringward__Admin__Event **)adm_alloc_ptrs(c, n);
        r = resp->events ? rw_store_event_last_seq(c->svc->store, &resp->last_seq)
                         : RW_ERR(RW_ERR_NOMEM);
    }
    for (size_t i = 0; i < n && rw_ok(r); i++) {
        Ringward__Admin__Event e0 = RINGWARD__ADMIN__EVENT__INIT;
        Ringward__Admin__Event *e = ADM_NEW(c, *e, e0);
        if (!e) {
            r = RW_ERR(RW_ERR_NOMEM);
            break;
        }
        e->seq = ev[i].seq;
        e->at = ev[i].at;
        e->actor = adm_strdup(c, ev[i].actor);
        e->kind = adm_strdup(c, ev[i].kind);
        e->object = adm_strdup(c, ev[i].object);
        e->payload = adm_strdup(c, ev[i].payload);
        resp->events[resp->n_events++] = e;
    }
    rw_store_event_list_free(ev, n);
    RW_GUARD(r);
    ADM_RESPOND(c, EVENTS_OK, events_ok, resp);
    return RW_SUCCESS;
}

#define MAX_COUNTERS 64

struct rw_result adm_h_status(struct adm_call *c)
{
    Ringward__Admin__StatusResponse init = RINGWARD__ADMIN__STATUS_RESPONSE__INIT;
    Ringward__Admin__StatusResponse *resp = ADM_NEW(c, *resp, init);
    RW_ENSURE(resp, RW_ERR_NOMEM);
    resp->version = RW_ADM_VERSION;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    resp->uptime = ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - c->svc->started_ms) / 1000;
    RW_GUARD(rw_store_event_last_seq(c->svc->store, &resp->event_seq));
    if (c->svc->cfg.counters) {
        struct rw_adm_counter *cs = adm_alloc(c, MAX_COUNTERS * sizeof(*cs));
        size_t n = cs ? c->svc->cfg.counters(c->svc->cfg.counters_arg, cs, MAX_COUNTERS) : 0;
        n = n > MAX_COUNTERS ? MAX_COUNTERS : n;
        resp->counters = (Ringward__Admin__Counter **)adm_alloc_ptrs(c, n);
        for (size_t i = 0; resp->counters && i < n; i++) {
            Ringward__Admin__Counter k0 = RINGWARD__ADMIN__COUNTER__INIT;
            Ringward__Admin__Counter *k = ADM_NEW(c, *k, k0);
            if (!k) {
                break;
            }
            cs[i].name[sizeof(cs[i].name) - 1] = '\0';
            k->name = adm_strdup(c, cs[i].name);
            k->value = cs[i].value;
            resp->counters[resp->n_counters++] = k;
        }
    }
    ADM_RESPOND(c, STATUS_OK, status_ok, resp);
    return RW_SUCCESS;
}
