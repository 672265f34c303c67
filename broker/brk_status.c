/* broker/brk_status.c — the broker counters the admin RPC's Status reports
 * (`ringward-admin status`): connections, handshakes by outcome, the
 * validation cache and its hit rate, revocations, ACL rules and the data
 * plane. Read with relaxed loads on the admin thread, like the metrics
 * endpoint; nothing here locks or allocates. */
#include <stdio.h>

#include "admin/adm_rpc.h"
#include "broker/brk_admin.h"
#include "broker/brk_worker.h"
#include "security/sec_auth.h"

struct status_out {
    struct rw_adm_counter *out;
    size_t cap, n;
};

static void put(struct status_out *s, const char *name, uint64_t value)
{
    if (s->n < s->cap) {
        snprintf(s->out[s->n].name, sizeof(s->out[s->n].name), "%s", name);
        s->out[s->n].value = value;
        s->n++;
    }
}

#define L(x) atomic_load_explicit(&(x), memory_order_relaxed)

static void handshakes(struct brk_shared *sh, struct status_out *s)
{
    struct rw_sec_auth_stats a;
    rw_sec_auth_stats_get(sh->auth, &a);
    uint64_t rejected = L(sh->stats.hs_tls_failed) + L(sh->stats.hs_timeout);
    for (int i = 0; i < RW_AUTH_R_COUNT; i++) {
        rejected += a.rejected[i];
    }
    put(s, "handshakes_full", a.accepted_full);
    put(s, "handshakes_resumed", a.accepted_resumed);
    put(s, "handshakes_rejected", rejected);
    put(s, "validation_cache_hits", a.cache_hits);
    put(s, "validation_cache_misses", a.cache_misses);
    uint64_t lookups = a.cache_hits + a.cache_misses;
    put(s, "validation_cache_hit_rate_pct", lookups ? a.cache_hits * 100 / lookups : 0);
}

size_t brk_status_counters(void *arg, struct rw_adm_counter *out, size_t cap)
{
    struct brk_shared *sh = arg;
    struct status_out s = {.out = out, .cap = cap};
    put(&s, "connections", atomic_load(&sh->conns));
    put(&s, "connections_accepted", L(sh->stats.accepted));
    put(&s, "connections_refused", L(sh->stats.refused));
    put(&s, "connections_closed_revoked", L(sh->stats.live_closed[BRK_CLOSE_REVOKED]));
    handshakes(sh, &s);
    put(&s, "revoked_serials", L(sh->stats.revoked_serials));
    put(&s, "revocations_applied", L(sh->stats.revocations_applied));
    put(&s, "acl_rules", L(sh->stats.acl_rules));
    uint64_t produced = 0, consumed = 0;
    for (unsigned i = 0; i < sh->n_workers; i++) {
        produced += L(sh->workers[i].app.counters.produce_records);
        consumed += L(sh->workers[i].app.counters.consume_records);
    }
    put(&s, "produce_records", produced);
    put(&s, "consume_records", consumed);
    return s.n;
}
