/* admin/adm_rpc_limit.c — token buckets for the admin service.
 *
 * A fixed table of ADM_LIMIT_SLOTS buckets, keyed by "p:<principal>" or
 * "a:<address>". When the table is full the bucket idle longest is reused
 * (it was full again by then, unless the table is under attack, in which
 * case forgetting one attacker's debt is the price of a bounded table).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/adm_rpc_internal.h"

static int64_t now_ms(const struct rw_adm_service *svc)
{
    if (svc->fake_now) {
        return svc->fake_now * 1000;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct adm_bucket *find(struct rw_adm_service *svc, const char *key, double burst,
                               int64_t now)
{
    struct adm_bucket *victim = &svc->buckets[0];
    for (size_t i = 0; i < ADM_LIMIT_SLOTS; i++) {
        struct adm_bucket *b = &svc->buckets[i];
        if (strcmp(b->key, key) == 0 && b->key[0]) {
            return b;
        }
        if (!b->key[0] || (victim->key[0] && b->last_ms < victim->last_ms)) {
            victim = b;
        }
    }
    snprintf(victim->key, sizeof(victim->key), "%s", key);
    victim->tokens = burst;
    victim->last_ms = now;
    return victim;
}

bool adm_limit_take(struct rw_adm_service *svc, const char *key, double rate, double burst)
{
    int64_t now = now_ms(svc);
    struct adm_bucket *b = find(svc, key, burst, now);
    if (now > b->last_ms) {
        b->tokens += (double)(now - b->last_ms) * rate / 1000.0;
        if (b->tokens > burst) {
            b->tokens = burst;
        }
    }
    b->last_ms = now;
    if (b->tokens < 1.0) {
        return false;
    }
    b->tokens -= 1.0;
    return true;
}
