/* broker/brk_admin.c — the admin thread, its job queue and the workers'
 * response queues (see broker/brk_admin.h). */
#include "broker/brk_admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_rpc.h"
#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "proto/admin.pb-c.h"
#include "proto/rw_frame.h"
#include "security/sec_key.h"

#define SERIAL_MAX 32

struct brk_admin_job {
    struct brk_admin_job *next;
    unsigned worker;
    uint32_t slot, gen;
    bool has_id;
    struct rw_sec_identity id;
    uint8_t serial[SERIAL_MAX];
    size_t serial_len;
    char address[64];
    size_t len;
    uint8_t body[];
};

struct brk_admin_resp {
    struct brk_admin_resp *next;
    uint32_t slot, gen;
    size_t len;
    uint8_t data[];
};

struct brk_admin {
    struct brk_shared *sh;
    struct rw_store *store;      /* owned: this thread's handle */
    struct rw_adm_service *svc;  /* owned */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;          /* guards the queue and `stop` */
    pthread_cond_t cv;
    struct brk_admin_job *head, *tail;
    unsigned n;
    bool stop;
};

/* The one admin service of the process, for brk_admin_input (set while the
 * thread runs; workers only enqueue through it). */
static struct brk_admin *_Atomic g_admin;

/* Requests and responses may carry secrets (issued keys, tokens). */
static void wipe_free(void *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        free(p);
    }
}

void brk_admin_outq_init(struct brk_admin_outq *q)
{
    pthread_mutex_init(&q->mu, NULL);
    q->head = q->tail = NULL;
    atomic_init(&q->pending, false);
}

void brk_admin_outq_cleanup(struct brk_admin_outq *q)
{
    struct brk_admin_resp *r = q->head;
    while (r) {
        struct brk_admin_resp *next = r->next;
        wipe_free(r, sizeof(*r) + r->len);
        r = next;
    }
    q->head = q->tail = NULL;
    pthread_mutex_destroy(&q->mu);
}

static void post(struct brk_admin *a, const struct brk_admin_job *j, const struct rw_buf *out)
{
    if (j->worker >= a->sh->n_workers) {
        return;
    }
    struct brk_admin_resp *r = malloc(sizeof(*r) + out->len);
    if (!r) {
        return; /* the client times out; nothing else to do without memory */
    }
    r->next = NULL;
    r->slot = j->slot;
    r->gen = j->gen;
    r->len = out->len;
    memcpy(r->data, out->data, out->len);
    struct brk_worker *w = &a->sh->workers[j->worker];
    pthread_mutex_lock(&w->adm_out.mu);
    if (w->adm_out.tail) {
        w->adm_out.tail->next = r;
    } else {
        w->adm_out.head = r;
    }
    w->adm_out.tail = r;
    atomic_store(&w->adm_out.pending, true);
    pthread_mutex_unlock(&w->adm_out.mu);
    brk_worker_wake(w);
}

static void handle(struct brk_admin *a, struct brk_admin_job *j)
{
    struct rw_adm_caller caller = {
        .id = j->has_id ? &j->id : NULL,
        .serial = j->serial_len ? j->serial : NULL,
        .serial_len = j->serial_len,
        .address = j->address,
    };
    struct rw_buf out;
    rw_buf_init(&out, RW_ADM_DEFAULT_MAX_RESPONSE + RW_FRAME_HEADER);
    struct rw_result r = rw_adm_service_handle(a->svc, &caller, j->body, j->len, &out);
    if (rw_ok(r)) {
        post(a, j, &out);
    } else {
        RW_LOG(RW_LOG_ERROR, "admin_request_failed", "worker=%u reason=%s", j->worker,
               rw_err_name(r.err));
    }
    rw_buf_wipe_cleanup(&out); /* responses may carry keys (certs issue) */
}

static void *admin_main(void *arg)
{
    struct brk_admin *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->stop && !a->head) {
            pthread_cond_wait(&a->cv, &a->mu);
        }
        if (a->stop) {
            break;
        }
        struct brk_admin_job *j = a->head;
        a->head = j->next;
        if (!a->head) {
            a->tail = NULL;
        }
        a->n--;
        pthread_mutex_unlock(&a->mu);
        handle(a, j);
        wipe_free(j, sizeof(*j) + j->len);
        pthread_mutex_lock(&a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static struct rw_result load_passphrase(const char *file, char **pass)
{
    *pass = NULL;
    struct rw_result r = rw_sec_passphrase_load(file && file[0] ? file : NULL, pass);
    if (r.err == RW_ERR_NOT_FOUND) {
        return RW_SUCCESS; /* development keys, or signing calls fail with the service's error */
    }
    return r;
}

struct rw_result brk_admin_start(struct brk_shared *sh, const char *data_dir,
                                 const char *passphrase_file, struct brk_admin **out)
{
    *out = NULL;
    struct brk_admin *a = calloc(1, sizeof(*a));
    RW_ENSURE(a, RW_ERR_NOMEM);
    a->sh = sh;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    char *pass = NULL;
    struct rw_result r = rw_store_open(data_dir, RW_STORE_OPEN_EXISTING, &a->store);
    if (rw_ok(r)) {
        r = load_passphrase(passphrase_file, &pass);
    }
    if (rw_ok(r)) {
        struct rw_adm_service_cfg cfg = {
            .address_rate = sh->cfg->admin_rate, .address_burst = 2.0 * sh->cfg->admin_rate,
            .principal_rate = sh->cfg->admin_principal_rate,
            .principal_burst = 2.0 * sh->cfg->admin_principal_rate,
            .counters = brk_status_counters, .counters_arg = sh,
        };
        r = rw_adm_service_new(a->store, pass, &cfg, &a->svc);
    }
    rw_sec_secret_free(pass);
    if (rw_ok(r)) {
        int e = pthread_create(&a->thread, NULL, admin_main, a);
        if (e != 0) {
            rw_err_detail_set("pthread_create: %s", strerror(e));
            r = RW_ERR(RW_ERR_INTERNAL);
        }
        a->started = e == 0;
    }
    if (!rw_ok(r)) {
        brk_admin_stop(a);
        return r;
    }
    atomic_store(&g_admin, a);
    *out = a;
    return RW_SUCCESS;
}

void brk_admin_stop(struct brk_admin *a)
{
    if (!a) {
        return;
    }
    atomic_store(&g_admin, NULL);
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (a->started) {
        pthread_join(a->thread, NULL);
    }
    for (struct brk_admin_job *j = a->head; j;) {
        struct brk_admin_job *next = j->next;
        wipe_free(j, sizeof(*j) + j->len);
        j = next;
    }
    rw_adm_service_free(a->svc);
    rw_store_close(a->store);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

/* False when the queue is full or the admin thread is gone. */
static bool enqueue(struct brk_admin_job *j)
{
    struct brk_admin *a = atomic_load(&g_admin);
    if (!a) {
        return false;
    }
    pthread_mutex_lock(&a->mu);
    bool ok = !a->stop && a->n < BRK_ADMIN_QUEUE_MAX;
    if (ok) {
        if (a->tail) {
            a->tail->next = j;
        } else {
            a->head = j;
        }
        a->tail = j;
        a->n++;
        pthread_cond_signal(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

/* The request's correlation id (field 1, a varint: protobuf-c writes it
 * first), for an Error made without decoding the request; 0 if absent. */
static uint64_t correlation_of(const uint8_t *b, size_t len)
{
    uint64_t v = 0;
    if (len < 2 || b[0] != 0x08) {
        return 0;
    }
    for (size_t i = 1, shift = 0; i < len && shift < 64; i++, shift += 7) {
        v |= (uint64_t)(b[i] & 0x7f) << shift;
        if (!(b[i] & 0x80)) {
            return v;
        }
    }
    return 0;
}

static struct rw_result busy(struct brk_conn *c, uint64_t corr)
{
    Ringward__Error e = RINGWARD__ERROR__INIT;
    e.code = RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED;
    e.message = (char *)"the admin service is busy: too many requests queued; retry later";
    Ringward__Admin__AdminFrame f = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    f.correlation_id = corr;
    f.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_ERROR;
    f.error = &e;
    return rw_frame_append(&c->pout, &f.base, BRK_ADMIN_MAX_FRAME);
}

static struct brk_admin_job *job_new(struct brk_worker *w, struct brk_conn *c,
                                     const uint8_t *body, size_t len)
{
    struct brk_admin_job *j = calloc(1, sizeof(*j) + len);
    if (!j) {
        return NULL;
    }
    j->worker = w->id;
    j->slot = c->slot;
    j->gen = c->gen;
    j->len = len;
    memcpy(j->body, body, len);
    const struct rw_sec_identity *id = rw_sec_tls_peer(c->tls);
    if (id) {
        j->has_id = true;
        j->id = *id;
    }
    const struct rw_sec_chain_ids *ids = rw_sec_tls_peer_chain(c->tls);
    if (id && ids && ids->n > 0 && ids->certs[0].serial_len <= SERIAL_MAX) {
        memcpy(j->serial, ids->certs[0].serial, ids->certs[0].serial_len);
        j->serial_len = ids->certs[0].serial_len;
    }
    snprintf(j->address, sizeof(j->address), "%s", c->peer);
    char *colon = strrchr(j->address, ':'); /* "ip:port" -> "ip" */
    if (colon) {
        *colon = '\0';
    }
    return j;
}

struct rw_result brk_admin_input(struct brk_worker *w, struct brk_conn *c, const uint8_t *data,
                                 size_t len, size_t *used)
{
    *used = 0;
    for (;;) {
        const uint8_t *body = NULL;
        size_t blen = 0, flen = 0, need = 0;
        struct rw_result r = rw_frame_peek(data + *used, len - *used, BRK_ADMIN_MAX_FRAME, &body,
                                           &blen, &flen, &need);
        if (r.err == RW_ERR_BLOCKED) {
            return RW_SUCCESS;
        }
        RW_GUARD(r);
        struct brk_admin_job *j = job_new(w, c, body, blen);
        RW_ENSURE(j, RW_ERR_NOMEM);
        if (!enqueue(j)) {
            wipe_free(j, sizeof(*j) + j->len);
            RW_GUARD(busy(c, correlation_of(body, blen)));
        }
        *used += flen;
    }
}

void brk_admin_deliver(struct brk_worker *w)
{
    if (!atomic_exchange(&w->adm_out.pending, false)) {
        return;
    }
    pthread_mutex_lock(&w->adm_out.mu);
    struct brk_admin_resp *r = w->adm_out.head;
    w->adm_out.head = w->adm_out.tail = NULL;
    pthread_mutex_unlock(&w->adm_out.mu);
    while (r) {
        struct brk_admin_resp *next = r->next;
        struct brk_ud u = {.slot = r->slot, .gen = r->gen, .op = BRK_OP_NONE};
        struct brk_conn *c = brk_conn_lookup(w, u);
        if (c && c->state == BRK_ESTABLISHED && !c->closing) {
            if (rw_ok(rw_buf_append(&c->pout, r->data, r->len))) {
                brk_state_idle_rearm(w, c);
                brk_conn_mark_dirty(w, c);
            } else {
                brk_conn_kick(w, c, BRK_CLOSE_OTHER, RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED,
                              "the admin response does not fit the connection's output");
            }
        }
        wipe_free(r, sizeof(*r) + r->len);
        r = next;
    }
}
