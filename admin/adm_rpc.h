/* admin/adm_rpc.h — the admin RPC service: frame bodies in, frames out.
 *
 * Pure logic over the store: no sockets, no TLS. The listener (the
 * broker's admin thread, or tests/testlib/tl_admin_server.c) authenticates
 * the TLS client, then for every frame it received hands the body (the
 * bytes after the 4-byte length) to rw_adm_service_handle together with
 * who the caller is, and sends what the call appended to `out_frame` (one
 * whole frame: length + ringward.admin.AdminFrame).
 *
 * Authorization (DESIGN.md rule 1, default deny):
 *   - every method needs a certificate with role admin AND an ACL rule
 *     allowing `admin` on `cluster` for the caller's principal;
 *   - Enroll and EnrollStatus: any caller, also without a certificate;
 *   - RenewSelf: any valid certificate, for itself only.
 * Limits: request size (RESOURCE_EXHAUSTED), token buckets per principal
 * and per peer address (RESOURCE_EXHAUSTED), pending enrollment requests.
 * Every mutation is an event whose actor is the caller's principal
 * ("enroll:<principal>" for certificate-less enrollment).
 *
 * Thread-compatible: one service per thread, or calls serialized by the
 * caller. The service owns its store handle only if told so.
 */
#ifndef RW_ADM_RPC_H
#define RW_ADM_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_buf.h"
#include "core/rw_result.h"
#include "security/sec_verify.h"
#include "security/store/store.h"

#define RW_ADM_VERSION "0.1.0"
#define RW_ADM_DEFAULT_MAX_REQUEST (256u * 1024)
#define RW_ADM_DEFAULT_MAX_RESPONSE (16u << 20)

/* Broker counters for Status, filled by the broker through a callback. */
struct rw_adm_counter {
    char name[48];
    uint64_t value;
};
/* Writes at most `cap` counters, returns how many. Called on the admin thread. */
typedef size_t (*rw_adm_counters_fn)(void *arg, struct rw_adm_counter *out, size_t cap);

struct rw_adm_service_cfg {
    size_t max_request;          /* bytes of one frame body; 0 = 256 KiB */
    size_t max_response;         /* bytes of one response frame; 0 = 16 MiB */
    double principal_rate;       /* requests per second per principal; 0 = 20 */
    double principal_burst;      /* 0 = 40 */
    double address_rate;         /* requests per second per address; 0 = 10 */
    double address_burst;        /* 0 = 20 */
    size_t max_pending;          /* enrollment requests waiting; 0 = 1000 */
    uint32_t events_page;        /* events per Events response; 0 = 1000 */
    rw_adm_counters_fn counters; /* may be NULL */
    void *counters_arg;
};

/* Who is calling, as the listener authenticated it. All borrowed. */
struct rw_adm_caller {
    const struct rw_sec_identity *id; /* NULL: a TLS client without a certificate */
    const uint8_t *serial;            /* the leaf's serial octets (RenewSelf); may be NULL */
    size_t serial_len;
    const char *address;              /* peer address text, e.g. "127.0.0.1"; required */
    /* Non-NULL: ringward-admin offline, in-process on the store's host (who
     * can read the store and its passphrase can do anything anyway): no
     * certificate, ACL or rate check; events name this actor
     * ("local:<user>"). RenewSelf still needs a certificate. */
    const char *local_actor;
};

struct rw_adm_service;

/* `store` is borrowed (it must outlive the service); `passphrase` (CA key
 * passphrase, NULL with development keys) is copied and wiped on free;
 * cfg may be NULL for the defaults. */
RW_RESULT rw_adm_service_new(struct rw_store *store, const char *passphrase,
                             const struct rw_adm_service_cfg *cfg, struct rw_adm_service **out);
void rw_adm_service_free(struct rw_adm_service *svc); /* NULL is fine */

/* Handles one request frame body and appends exactly one response frame
 * (a method's response, or an Error) to out_frame. Fails only when the
 * response cannot be appended (out_frame->max, memory); every problem of
 * the request itself is an Error frame. */
RW_RESULT rw_adm_service_handle(struct rw_adm_service *svc, const struct rw_adm_caller *caller,
                                const uint8_t *frame_body, size_t len, struct rw_buf *out_frame);

/* Tests: pretend the time is `unix_now` (0 = the real clock) for token
 * expiry, certificate status and rate limits. */
void rw_adm_service_set_time(struct rw_adm_service *svc, int64_t unix_now);

#endif
