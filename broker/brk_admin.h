/* broker/brk_admin.h — the admin RPC on the broker: one admin thread that
 * owns the admin service (admin/adm_rpc.h) and its own store handle.
 *
 * Workers never run the service (it does store I/O and CA key decryption):
 * an established admin connection's frames are copied into jobs (body,
 * {worker, slot, generation}, a copy of the caller's identity) and queued,
 * bounded, to the admin thread; its responses go back through the owning
 * worker's response queue and eventfd wakeup, and are written only if the
 * connection's generation still matches.
 *
 * Ownership: the daemon owns the struct brk_admin; each worker owns its
 * response queue (struct brk_admin_outq, in struct brk_worker).
 */
#ifndef RW_BRK_ADMIN_H
#define RW_BRK_ADMIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"
#include "core/rw_result.h"

#define BRK_ADMIN_MAX_FRAME (1u << 20)
#define BRK_ADMIN_QUEUE_MAX 256

struct brk_shared;
struct brk_worker;
struct brk_conn;
struct brk_admin;
struct brk_admin_resp;

/* A worker's queue of responses posted by the admin thread. */
struct brk_admin_outq {
    pthread_mutex_t mu;
    struct brk_admin_resp *head, *tail; /* owned */
    _Atomic bool pending;
};

void brk_admin_outq_init(struct brk_admin_outq *q);
void brk_admin_outq_cleanup(struct brk_admin_outq *q); /* frees what is left */

/* Opens its own store handle under data_dir, loads the CA passphrase
 * (--passphrase-file or RINGWARD_CA_PASSPHRASE; none is fine), creates the
 * service and starts the thread. */
RW_RESULT brk_admin_start(struct brk_shared *sh, const char *data_dir, const char *passphrase_file,
                          struct brk_admin **out);
/* Status counters (broker/brk_status.c): an rw_adm_counters_fn whose arg
 * is the struct brk_shared. */
struct rw_adm_counter;
size_t brk_status_counters(void *arg, struct rw_adm_counter *out, size_t cap);

/* Stops and joins the thread, drops queued jobs, frees; NULL is fine. */
void brk_admin_stop(struct brk_admin *a);

/* Worker thread: consumes the whole frames of `data` (an established admin
 * connection's decrypted input) into jobs; *used is what was consumed.
 * Writes RESOURCE_EXHAUSTED into c->pout when the queue is full. PROTO on
 * a frame beyond BRK_ADMIN_MAX_FRAME. */
RW_RESULT brk_admin_input(struct brk_worker *w, struct brk_conn *c, const uint8_t *data,
                          size_t len, size_t *used);

/* Worker thread, each loop turn: writes posted responses to their
 * connections (when still the same generation and established). */
void brk_admin_deliver(struct brk_worker *w);

#endif
