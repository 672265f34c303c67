/* admin/adm_remote.h — ringward-admin's transport to an admin listener:
 * a blocking TLS 1.3 client (only the leaf certificate is sent, as our
 * client library does) speaking length-prefixed ringward.admin.AdminFrame.
 *
 * Target: --server HOST:PORT, else $RINGWARD_SERVER. Credentials: --cert,
 * --key (default DATA/pki/admin.pem, admin.key) and the CA bundle that
 * verifies the server: --ca (default DATA/pki/ca-chain.pem; --server-ca
 * where --ca names a CA id, as in `crl get`). Enrollment connects without
 * a certificate. Every socket has a 30 s timeout.
 */
#ifndef RW_ADM_REMOTE_H
#define RW_ADM_REMOTE_H

#include <stdbool.h>

#include "admin/adm_opts.h"
#include "core/rw_result.h"
#include "proto/admin.pb-c.h"

struct adm_remote;

/* Output building where a failure only means "print nothing more". */
#define ADM_ACC(r, call) do { if (rw_ok(r)) { (r) = (call); } } while (0)

/* --server or $RINGWARD_SERVER, or NULL when the command runs offline. */
const char *adm_remote_server(const struct adm_args *a);
/* USAGE error naming --server/RINGWARD_SERVER when neither is set. */
RW_RESULT adm_need_server(const struct adm_args *a);

enum adm_remote_auth {
    ADM_REMOTE_CERT,      /* --cert/--key (or the defaults) */
    ADM_REMOTE_NO_CERT,   /* enrollment: no client certificate */
};

struct adm_remote_opts {
    const char *server;    /* HOST:PORT, [v6]:PORT */
    const char *cert_file; /* NULL with ADM_REMOTE_NO_CERT */
    const char *key_file;
    const char *ca_file;
};

/* Fills opts from the arguments (defaults under the data directory);
 * `ca_is_id`: the command's --ca names a CA, so only --server-ca is read. */
void adm_remote_opts_from(const struct adm_args *a, enum adm_remote_auth auth, bool ca_is_id,
                          struct adm_remote_opts *o);

/* Connects and completes the handshake (the server verified against the
 * CA file and its name). */
RW_RESULT adm_remote_open(const struct adm_remote_opts *o, struct adm_remote **out);
/* Sends `req` (its correlation_id is set here) and reads the response
 * frame. An Error frame becomes a failure with the server's message in
 * rw_err_detail() and the code mapped to an rw_err (NOT_FOUND, AUTH_*,
 * LIMIT, STATE for INVALID_ARGUMENT, INTERNAL). On success the caller
 * frees *resp with adm_remote_free. */
RW_RESULT adm_remote_call(struct adm_remote *r, Ringward__Admin__AdminFrame *req,
                          Ringward__Admin__AdminFrame **resp);
void adm_remote_free(Ringward__Admin__AdminFrame *resp); /* NULL is fine */

/* A request frame `var` carrying `msg` as body CASE in member `member`. */
#define ADM_FRAME(var, CASE, member, msg) \
    Ringward__Admin__AdminFrame var = RINGWARD__ADMIN__ADMIN_FRAME__INIT; \
    var.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_##CASE; \
    var.member = &(msg)
/* Frees the response (NULL is fine) and reports r: the exit code. */
int adm_remote_finish(struct rw_result r, Ringward__Admin__AdminFrame *resp);

/* A store row view of a CertInfo (der borrowed from the message; a serial
 * that is not hex leaves serial_len 0). */
struct rw_store_cert;
void adm_cert_from_info(const Ringward__Admin__CertInfo *i, struct rw_store_cert *c);
void adm_remote_close(struct adm_remote *r);             /* NULL is fine */

/* The response frame `body` to `req`: an Error frame becomes a failure as
 * in adm_remote_call; a frame for another request is PROTO_MALFORMED. */
RW_RESULT adm_frame_decode(const Ringward__Admin__AdminFrame *req, const uint8_t *body, size_t n,
                           Ringward__Admin__AdminFrame **resp);

/* The same call handled in-process by the admin service on --data-dir's
 * store (admin/adm_local.c): offline, as the local operator. */
RW_RESULT adm_local_call(const struct adm_args *a, Ringward__Admin__AdminFrame *req,
                         Ringward__Admin__AdminFrame **resp);

/* Opens with the command's options, makes one call, closes. Without
 * --server/RINGWARD_SERVER a call with a certificate runs in-process
 * instead (adm_local_call). */
RW_RESULT adm_remote_once(const struct adm_args *a, enum adm_remote_auth auth, bool ca_is_id,
                          Ringward__Admin__AdminFrame *req, Ringward__Admin__AdminFrame **resp);

#endif
