/* admin/adm_rpc_internal.h — shared by the admin/adm_rpc*.c files only.
 *
 * One call = one request frame. Handlers read c->req, fill c->resp (set
 * its body case and member) with memory from adm_alloc/adm_strdup (freed
 * after the response is packed), and return a result; a failure becomes
 * an Error frame whose message is rw_err_detail().
 */
#ifndef RW_ADM_RPC_INTERNAL_H
#define RW_ADM_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "admin/adm_rpc.h"
#include "proto/admin.pb-c.h"
#include "security/sec_acl.h"
#include "security/sec_ca.h"

#define ADM_LIMIT_SLOTS 256

struct adm_bucket {
    char key[RW_PRINCIPAL_MAX + 4]; /* "p:<principal>" or "a:<address>"; "" = free */
    double tokens;
    int64_t last_ms;
};

struct rw_adm_service {
    struct rw_store *store;        /* borrowed */
    char *passphrase;              /* owned, wiped on free; NULL with dev keys */
    struct rw_adm_service_cfg cfg; /* defaults filled in */
    int64_t fake_now;              /* 0 = real clock */
    int64_t started_ms;            /* monotonic */
    struct rw_sec_acl *acl;        /* owned reference; rebuilt when events move */
    int64_t acl_seq;               /* event seq the snapshot was built at; -1 none */
    struct adm_bucket buckets[ADM_LIMIT_SLOTS];
};

struct adm_alloc_node;

struct adm_call {
    struct rw_adm_service *svc;
    const struct rw_adm_caller *caller;
    const char *actor;                  /* the caller's principal (events) */
    Ringward__Admin__AdminFrame *req;   /* unpacked request */
    Ringward__Admin__AdminFrame resp;   /* response being built */
    struct adm_alloc_node *allocs;      /* freed after packing */
    bool nomem;
};

typedef struct rw_result (*adm_handler_fn)(struct adm_call *c);

/* Zeroed memory / a string copy owned by the call; NULL sets c->nomem. */
void *adm_alloc(struct adm_call *c, size_t n);
char *adm_strdup(struct adm_call *c, const char *s);
/* A bytes field holding a copy of p[0..n) owned by the call; left empty
 * (and c->nomem set) when out of memory. */
void adm_bytes(struct adm_call *c, const void *p, size_t n, ProtobufCBinaryData *out);
/* An array of n pointers owned by the call. */
void **adm_alloc_ptrs(struct adm_call *c, size_t n);
#define ADM_NEW(c, type, init) adm_new_msg((c), sizeof(type), &(init))
/* The call's response: body CASE (e.g. CA_LIST_OK) in member `member`. */
#define ADM_RESPOND(c, CASE, member, val) \
    do { \
        (c)->resp.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_##CASE; \
        (c)->resp.member = (val); \
    } while (0)
void *adm_new_msg(struct adm_call *c, size_t size, const void *init);

int64_t adm_now(const struct rw_adm_service *svc);
/* A CA context acting as the caller. */
void adm_ca_ctx(struct adm_call *c, struct rw_sec_ca *ca);
/* Serial text (hex, colons allowed) to octets: USAGE when it is not one. */
RW_RESULT adm_rpc_serial(const char *text, uint8_t *out, size_t *len);
/* PEM of one certificate / of a CA's chain, owned by the call. */
RW_RESULT adm_rpc_cert_pem(struct adm_call *c, X509 *cert, char **out);
RW_RESULT adm_rpc_chain_pem(struct adm_call *c, const char *ca_id, char **out);
/* The issuer CA id recorded for a certificate serial. */
RW_RESULT adm_rpc_issuer_of(struct adm_call *c, X509 *cert, char ca_id[RW_STORE_ID_MAX]);
/* Fills a CertInfo from a stored certificate (der copied when with_der). */
RW_RESULT adm_rpc_cert_info(struct adm_call *c, const struct rw_store_cert *sc, bool with_der,
                            Ringward__Admin__CertInfo **out);

/* Rate limit (adm_rpc_limit.c): takes one token from the bucket of `key`;
 * false when it is empty. */
bool adm_limit_take(struct rw_adm_service *svc, const char *key, double rate, double burst);

/* Method handlers (adm_rpc_ca.c, adm_rpc_read.c, adm_rpc_enroll.c). */
RW_RESULT adm_h_ca_intermediate(struct adm_call *c);
RW_RESULT adm_h_ca_list(struct adm_call *c);
RW_RESULT adm_h_ca_show(struct adm_call *c);
RW_RESULT adm_h_ca_disable(struct adm_call *c);
RW_RESULT adm_h_certs_issue(struct adm_call *c);
RW_RESULT adm_h_certs_sign_csr(struct adm_call *c);
RW_RESULT adm_h_certs_revoke(struct adm_call *c);
RW_RESULT adm_h_crl_get(struct adm_call *c);
RW_RESULT adm_h_certs_list(struct adm_call *c);
RW_RESULT adm_h_certs_show(struct adm_call *c);
RW_RESULT adm_h_acl_add(struct adm_call *c);
RW_RESULT adm_h_acl_remove(struct adm_call *c);
RW_RESULT adm_h_acl_list(struct adm_call *c);
RW_RESULT adm_h_acl_check(struct adm_call *c);
RW_RESULT adm_h_events(struct adm_call *c);
RW_RESULT adm_h_status(struct adm_call *c);
RW_RESULT adm_h_tokens_create(struct adm_call *c);
RW_RESULT adm_h_certs_pending(struct adm_call *c);
RW_RESULT adm_h_certs_approve(struct adm_call *c);
RW_RESULT adm_h_certs_reject(struct adm_call *c);
RW_RESULT adm_h_enroll(struct adm_call *c);
RW_RESULT adm_h_enroll_status(struct adm_call *c);
RW_RESULT adm_h_renew_self(struct adm_call *c);

#endif
