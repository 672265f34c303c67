/* broker/brk_stats.h — the broker's counters, read by the metrics thread.
 *
 * Shared counters are relaxed atomics (any thread adds, the metrics thread
 * reads). Counters with a single writer (a worker's produce/consume totals)
 * use brk_stat_bump: a relaxed load and store, no locked instruction on
 * the hot path. Nothing here allocates or locks.
 */
#ifndef RW_BRK_STATS_H
#define RW_BRK_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/* Why a connection ended (counted once, when its slot is freed). */
enum brk_close_reason {
    BRK_CLOSE_OTHER = 0,
    BRK_CLOSE_PEER_CLOSED,        /* FIN or close_notify from the client */
    BRK_CLOSE_RESET,              /* the connection failed */
    BRK_CLOSE_IDLE_TIMEOUT,
    BRK_CLOSE_HANDSHAKE_REJECTED, /* authentication or TLS failure */
    BRK_CLOSE_HANDSHAKE_TIMEOUT,
    BRK_CLOSE_HANDSHAKE_ABORTED,  /* the client left during the handshake */
    BRK_CLOSE_PROTOCOL_ERROR,     /* a bad frame */
    BRK_CLOSE_REVOKED,            /* live: a certificate of the chain was revoked */
    BRK_CLOSE_EXPIRED,            /* live: the chain's earliest notAfter passed */
    BRK_CLOSE_CRL_UNAVAILABLE,    /* live: fail-closed on an unusable CRL */
    BRK_CLOSE_SHUTDOWN,
    BRK_CLOSE_COUNT
};

struct brk_stats {
    _Atomic uint64_t accepted;          /* connections given a slot */
    _Atomic uint64_t refused;           /* closed at accept: limits or stopping */
    _Atomic uint64_t closed[BRK_CLOSE_COUNT];
    _Atomic uint64_t live_closed[BRK_CLOSE_COUNT]; /* REVOKED/EXPIRED/CRL: at decision */
    _Atomic uint64_t hs_tls_failed;     /* handshakes failed outside the auth manager */
    _Atomic uint64_t hs_timeout;
    _Atomic uint64_t revocations_applied; /* cert.revoked events applied from the log */
    _Atomic uint64_t revoked_serials;   /* gauge: entries in the current snapshot */
    _Atomic uint64_t trust_reloads;
    _Atomic uint64_t trust_reload_failures;
    _Atomic uint64_t crl_failures;      /* an external CRL became unusable */
    _Atomic uint64_t crl_failing;       /* gauge: CRL files unusable right now */
    _Atomic uint64_t crl_blocked_issuers; /* gauge: issuers refused (fail-closed) */
    _Atomic uint64_t acl_reloads;       /* ACL snapshots installed */
    _Atomic uint64_t acl_reload_failures; /* ACL rebuilds that failed (retried) */
    _Atomic uint64_t acl_rules;         /* gauge: rules in the current ACL snapshot */
};

/* A worker's data-plane totals (single writer: that worker). */
struct brk_app_counters {
    _Atomic uint64_t produce_records, produce_bytes;
    _Atomic uint64_t consume_records, consume_bytes;
    /* Requests refused by the ACL (Produce; Fetch and Subscribe), live
     * subscriptions ended by an ACL change counted as consume too. */
    _Atomic uint64_t acl_denied_produce, acl_denied_consume;
    _Atomic uint64_t acl_subs_ended;    /* subscriptions ended by an ACL change */
};

static inline void brk_stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Single-writer counters only. */
static inline void brk_stat_bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline uint64_t brk_stat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* "peer_closed", "revoked", ... for logs and metric labels. */
const char *brk_close_reason_name(enum brk_close_reason r);

#endif
