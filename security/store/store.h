/* security/store/store.h — the CA store: SQLite in the data directory.
 *
 * Owns the database file DIR/ringward.db (WAL mode, synchronous=FULL,
 * foreign keys on). It is the source of truth for CAs, certificates,
 * revocations, ACLs, CSR requests, enrollment tokens, and the append-only
 * `events` log. Callers group a change and its event in one transaction
 * (rw_store_tx_begin ... rw_store_tx_commit); a failure rolls back and
 * nothing changes.
 *
 * This module stores bytes and metadata; it never parses certificates or
 * decrypts keys (security/ does). Key PEM text handed to it is already
 * encrypted unless the store was initialised for development keys.
 *
 * Schema (PRAGMA user_version = RW_STORE_SCHEMA_VERSION):
 *   meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)
 *   cas(id TEXT PRIMARY KEY, cn, parent_id NULL|cas.id, serial BLOB UNIQUE,
 *       cert_der BLOB, key_pem TEXT, key_encrypted INT, key_alg TEXT,
 *       path_len INT (-1 = none), disabled INT, crl_number INT, created_at INT)
 *   certificates(serial BLOB PRIMARY KEY, issuer_ca_id TEXT, is_ca INT,
 *       principal TEXT, role TEXT, not_before INT, not_after INT,
 *       issued_at INT, der BLOB)            -- CA certificates too (role "ca")
 *   revocations(serial BLOB PRIMARY KEY REFERENCES certificates,
 *       issuer_ca_id TEXT, reason INT, revoked_at INT)
 *   acls, csr_requests, enrollment_tokens   -- used by later modules
 *   events(seq INTEGER PRIMARY KEY AUTOINCREMENT, at INT, actor TEXT,
 *       kind TEXT, object TEXT, payload TEXT)  -- UPDATE/DELETE refused by triggers
 * Times are Unix seconds (UTC).
 *
 * Errors: RW_ERR_NOT_FOUND (no store / no row), RW_ERR_EXISTS (duplicate
 * id or serial), RW_ERR_STATE (already revoked), RW_ERR_IO_VERSION (made by
 * a newer schema), RW_ERR_IO_CORRUPT (not a database / damaged),
 * RW_ERR_STORE (anything else SQLite reports). Each sets rw_err_detail().
 */
#ifndef RW_STORE_H
#define RW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

#define RW_STORE_SCHEMA_VERSION 1
#define RW_STORE_FILE "ringward.db"
#define RW_STORE_ID_MAX 64      /* CA ids (slugs), NUL included */
#define RW_STORE_NAME_MAX 256   /* CN, principal, NUL included */
#define RW_STORE_SERIAL_MAX 20  /* octets */

struct rw_store;

enum rw_store_mode {
    RW_STORE_OPEN_EXISTING, /* NOT_FOUND when DIR/ringward.db is absent */
    RW_STORE_CREATE_NEW,    /* creates DIR (0700) and the database; EXISTS when present */
};

RW_RESULT rw_store_open(const char *dir, enum rw_store_mode mode, struct rw_store **out);
void rw_store_close(struct rw_store *s); /* NULL is fine */

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Not nested. */
RW_RESULT rw_store_tx_begin(struct rw_store *s);
RW_RESULT rw_store_tx_commit(struct rw_store *s);
void rw_store_tx_rollback(struct rw_store *s);

/* Small settings (e.g. "insecure_dev_keys" = "1", "default_ca" = id). */
RW_RESULT rw_store_meta_get(struct rw_store *s, const char *key, char *out, size_t cap);
RW_RESULT rw_store_meta_set(struct rw_store *s, const char *key, const char *value);

struct rw_store_ca {
    char id[RW_STORE_ID_MAX];
    char cn[RW_STORE_NAME_MAX];
    char parent_id[RW_STORE_ID_MAX]; /* "" for a root */
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t serial_len;
    uint8_t *cert_der; /* owned */
    size_t cert_der_len;
    char *key_pem;     /* owned, NUL-terminated; wiped on cleanup */
    bool key_encrypted;
    char key_alg[16];
    int path_len;      /* -1 = unlimited */
    bool disabled;
    uint64_t crl_number; /* last CRL number issued; 0 = none yet */
    int64_t created_at;
};

/* Inserting copies everything; the caller keeps ownership of `ca`. */
RW_RESULT rw_store_ca_insert(struct rw_store *s, const struct rw_store_ca *ca);
RW_RESULT rw_store_ca_get(struct rw_store *s, const char *id, struct rw_store_ca *out);
/* All CAs, oldest first. Free with rw_store_ca_list_free. */
RW_RESULT rw_store_ca_list(struct rw_store *s, struct rw_store_ca **out, size_t *n);
RW_RESULT rw_store_ca_set_disabled(struct rw_store *s, const char *id, bool disabled);
/* Increments the CA's crl_number and returns the new value. */
RW_RESULT rw_store_ca_next_crl_number(struct rw_store *s, const char *id, uint64_t *out);
void rw_store_ca_cleanup(struct rw_store_ca *ca);
void rw_store_ca_list_free(struct rw_store_ca *cas, size_t n);

struct rw_store_cert {
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t serial_len;
    char issuer_ca_id[RW_STORE_ID_MAX];
    bool is_ca;
    char principal[RW_STORE_NAME_MAX];
    char role[16];            /* broker|producer|consumer|admin|ca */
    int64_t not_before;
    int64_t not_after;
    int64_t issued_at;
    uint8_t *der;             /* owned */
    size_t der_len;
    /* Filled by get/list from `revocations`; ignored by insert. */
    bool revoked;
    int reason;
    int64_t revoked_at;
};

enum rw_store_cert_status { RW_STORE_ANY, RW_STORE_ACTIVE, RW_STORE_REVOKED, RW_STORE_EXPIRED };

struct rw_store_cert_filter {
    const char *principal;    /* NULL = any */
    const char *role;         /* NULL = any */
    const char *issuer_ca_id; /* NULL = any */
    enum rw_store_cert_status status;
    int64_t now;              /* for ACTIVE/EXPIRED */
};

RW_RESULT rw_store_cert_insert(struct rw_store *s, const struct rw_store_cert *c);
RW_RESULT rw_store_cert_get(struct rw_store *s, const uint8_t *serial, size_t serial_len,
                            struct rw_store_cert *out);
/* Matching certificates, oldest first; filter may be NULL. */
RW_RESULT rw_store_cert_list(struct rw_store *s, const struct rw_store_cert_filter *f,
                             struct rw_store_cert **out, size_t *n);
void rw_store_cert_cleanup(struct rw_store_cert *c);
void rw_store_cert_list_free(struct rw_store_cert *certs, size_t n);

struct rw_store_revocation {
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t serial_len;
    char issuer_ca_id[RW_STORE_ID_MAX];
    int reason;               /* RFC 5280 CRLReason */
    int64_t revoked_at;
};

/* NOT_FOUND when the serial is not a known certificate, STATE when it is
 * already revoked; issuer_ca_id is taken from the certificate row. */
RW_RESULT rw_store_revocation_insert(struct rw_store *s, const struct rw_store_revocation *r);
/* Revocations of one issuer (NULL = all), oldest first. */
RW_RESULT rw_store_revocation_list(struct rw_store *s, const char *issuer_ca_id,
                                   struct rw_store_revocation **out, size_t *n);
void rw_store_revocation_list_free(struct rw_store_revocation *r, size_t n);

struct rw_store_event {
    int64_t seq;
    int64_t at;
    char *actor;   /* owned */
    char *kind;    /* owned, e.g. "ca.created", "cert.issued", "cert.revoked" */
    char *object;  /* owned, e.g. a CA id or a serial in hex */
    char *payload; /* owned, JSON object text */
};

RW_RESULT rw_store_event_append(struct rw_store *s, const char *actor, const char *kind,
                                const char *object, const char *payload, int64_t *seq_out);
/* Events with seq > since, oldest first, at most `limit` (0 = no limit). */
RW_RESULT rw_store_event_list(struct rw_store *s, int64_t since, size_t limit,
                              struct rw_store_event **out, size_t *n);
RW_RESULT rw_store_event_last_seq(struct rw_store *s, int64_t *out);
/* The newest event of `kind` about `object` (indexed); NOT_FOUND when none.
 * The caller frees its strings with rw_store_event_cleanup. */
RW_RESULT rw_store_event_latest(struct rw_store *s, const char *kind, const char *object,
                                struct rw_store_event *out);
void rw_store_event_cleanup(struct rw_store_event *e);
void rw_store_event_list_free(struct rw_store_event *e, size_t n);

/* ACL rules (store_acl.c). The store keeps the text the security module
 * wrote (it never interprets patterns, operations or effects; security/
 * sec_acl.c validates before inserting and parses when reading):
 *   acls(id INTEGER PRIMARY KEY AUTOINCREMENT, principal TEXT,
 *        resource TEXT, ops TEXT, effect TEXT, created_at INT)
 * Ids are never reused (AUTOINCREMENT), so an id names one rule forever. */
#define RW_STORE_ACL_OPS_MAX 64   /* "produce,consume,describe,admin", NUL included */
#define RW_STORE_ACL_EFFECT_MAX 8 /* "allow" | "deny", NUL included */

struct rw_store_acl {
    int64_t id;                        /* set by insert; ignored by it */
    char principal[RW_STORE_NAME_MAX]; /* pattern: exact, "*", or "prefix*" */
    char resource[RW_STORE_NAME_MAX];  /* pattern: topic, "prefix*", "*", "cluster" */
    char ops[RW_STORE_ACL_OPS_MAX];
    char effect[RW_STORE_ACL_EFFECT_MAX];
    int64_t created_at;
};

/* Inserts a copy of `a` (every text required and non-empty); the new id is
 * written to *id_out (may be NULL). Use inside the transaction of its event. */
RW_RESULT rw_store_acl_insert(struct rw_store *s, const struct rw_store_acl *a, int64_t *id_out);
/* NOT_FOUND when no rule has this id. */
RW_RESULT rw_store_acl_get(struct rw_store *s, int64_t id, struct rw_store_acl *out);
/* Deletes one rule; NOT_FOUND when no rule has this id. */
RW_RESULT rw_store_acl_remove(struct rw_store *s, int64_t id);
/* Every rule, oldest (lowest id) first. Free with rw_store_acl_list_free. */
RW_RESULT rw_store_acl_list(struct rw_store *s, struct rw_store_acl **out, size_t *n);
void rw_store_acl_list_free(struct rw_store_acl *a, size_t n); /* NULL is fine */

/* Enrollment (store_enroll.c), used by security/sec_enroll.c:
 *   enrollment_tokens(hash BLOB PRIMARY KEY, principal, role, expires_at, used_at)
 *     -- the SHA-256 of a token, never the token; used_at NULL until used
 *   csr_requests(id INTEGER PRIMARY KEY AUTOINCREMENT, principal, role,
 *     csr_der, status, created_at, cert_serial)
 *     -- status pending | approved | rejected; cert_serial once approved
 * Use the mutations inside the transaction of their event. */
#define RW_STORE_TOKEN_HASH_LEN 32
#define RW_STORE_STATUS_MAX 16

struct rw_store_token {
    uint8_t hash[RW_STORE_TOKEN_HASH_LEN];
    char principal[RW_STORE_NAME_MAX];
    char role[16];
    int64_t expires_at;
    int64_t used_at;  /* 0 = unused */
};

/* EXISTS when the hash is already stored. */
RW_RESULT rw_store_token_insert(struct rw_store *s, const struct rw_store_token *t);
/* NOT_FOUND when no token has this hash. */
RW_RESULT rw_store_token_get(struct rw_store *s, const uint8_t hash[RW_STORE_TOKEN_HASH_LEN],
                             struct rw_store_token *out);
/* Marks an unused token used at `now`: STATE when it was already used,
 * NOT_FOUND when unknown. One UPDATE, so two users cannot both win. */
RW_RESULT rw_store_token_use(struct rw_store *s, const uint8_t hash[RW_STORE_TOKEN_HASH_LEN],
                             int64_t now);

struct rw_store_csr_request {
    int64_t id;                         /* set by insert; ignored by it */
    char principal[RW_STORE_NAME_MAX];
    char role[16];
    uint8_t *csr_der;                   /* owned */
    size_t csr_der_len;
    char status[RW_STORE_STATUS_MAX];
    int64_t created_at;
    uint8_t cert_serial[RW_STORE_SERIAL_MAX];
    size_t cert_serial_len;             /* 0 = none */
};

/* Inserts a copy (the caller keeps `r`); the new id into *id_out. */
RW_RESULT rw_store_csr_request_insert(struct rw_store *s, const struct rw_store_csr_request *r,
                                      int64_t *id_out);
/* NOT_FOUND when no request has this id. Free with rw_store_csr_request_cleanup. */
RW_RESULT rw_store_csr_request_get(struct rw_store *s, int64_t id, struct rw_store_csr_request *out);
/* Requests with this status (NULL = any), oldest first. */
RW_RESULT rw_store_csr_request_list(struct rw_store *s, const char *status,
                                    struct rw_store_csr_request **out, size_t *n);
RW_RESULT rw_store_csr_request_count(struct rw_store *s, const char *status, int64_t *out);
/* Moves a request from status `from` to `to` (recording the serial when
 * serial_len > 0): NOT_FOUND for an unknown id, STATE when it is not in `from`. */
RW_RESULT rw_store_csr_request_set_status(struct rw_store *s, int64_t id, const char *from,
                                          const char *to, const uint8_t *serial,
                                          size_t serial_len);
void rw_store_csr_request_cleanup(struct rw_store_csr_request *r);
void rw_store_csr_request_list_free(struct rw_store_csr_request *r, size_t n);

/* Export (store_export.c): every certificate, a page at a time, in store
 * order. `pos` is a resume point (the row's position; certificates are
 * never deleted, so positions only grow): pass the last one seen as
 * `after` (0 = from the first) to get the next page. */
#define RW_STORE_KEYS_PAGE_MAX 10000

struct rw_store_cert_key {
    int64_t pos;
    uint8_t serial[RW_STORE_SERIAL_MAX];
    size_t serial_len;
};

/* At most `limit` (1..RW_STORE_KEYS_PAGE_MAX) keys of certificates whose
 * position is greater than `after`, oldest first; none at the end. Read each
 * row with rw_store_cert_get. The caller frees *out with free(). */
RW_RESULT rw_store_cert_keys_after(struct rw_store *s, int64_t after, size_t limit,
                                   struct rw_store_cert_key **out, size_t *n);

#endif
