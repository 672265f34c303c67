/* security/sec_vcache.h — the validation cache (private to security/).
 *
 * A sharded LRU map from a 32-byte key (SHA-256 of the DER chain a client
 * presented) to what a successful verification established: the identity
 * and the identities and validity window of the chain's certificates. A
 * hit lets the authentication manager skip path building and signatures;
 * it still re-checks revocation and expiry from the value.
 *
 * Bounded: at most `capacity` entries, split evenly over the shards; a full
 * shard evicts its least recently used entry. Nodes are allocated as the
 * cache fills and recycled afterwards, so a warm cache never allocates.
 *
 * Generations: every entry carries the generation it was verified under.
 * rw_sec_vcache_clear empties the cache and starts a new generation; a put
 * with an older generation is dropped and a get only matches its own
 * generation, so a verification that started before a trust swap can never
 * be served after it.
 *
 * Thread-safe: one mutex per shard, held only for the hash-table work and
 * a copy of the value (no allocation under a lock once warm).
 */
#ifndef RW_SEC_VCACHE_H
#define RW_SEC_VCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"
#include "security/sec_auth.h"
#include "security/sec_verify.h"

#define RW_VCACHE_KEY_LEN 32
#define RW_VCACHE_DEFAULT_CAPACITY 16384

/* What an entry holds (copied in and out). */
struct rw_sec_vcache_val {
    struct rw_sec_identity id;
    struct rw_sec_chain_ids chain;
};

struct rw_sec_vcache;

/* capacity 0 = RW_VCACHE_DEFAULT_CAPACITY; shards 0 = automatic (16, fewer
 * for small capacities; rounded down to a power of two, at most capacity).
 * Nothing is allocated per entry until entries are put. */
RW_RESULT rw_sec_vcache_new(size_t capacity, unsigned shards, struct rw_sec_vcache **out);
void rw_sec_vcache_free(struct rw_sec_vcache *c); /* NULL is fine */

/* The current generation (starts at 1). */
uint64_t rw_sec_vcache_generation(const struct rw_sec_vcache *c);
/* Starts a new generation (O(1)) and returns it: older entries are never
 * served again and are dropped when met. */
uint64_t rw_sec_vcache_invalidate(struct rw_sec_vcache *c);
/* Drops every entry not of the current generation (frees no memory: the
 * nodes are kept for reuse). */
void rw_sec_vcache_sweep(struct rw_sec_vcache *c);
/* invalidate + sweep: the cache is empty of older entries afterwards. */
uint64_t rw_sec_vcache_clear(struct rw_sec_vcache *c);

/* Copies the entry for `key` made under generation `gen` into *out and
 * marks it most recently used; false on a miss (an entry from an older
 * generation is dropped on the way). */
bool rw_sec_vcache_get(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN],
                       uint64_t gen, struct rw_sec_vcache_val *out);
/* Inserts or replaces; evicts the shard's LRU entry when it is full. A
 * stale `gen` is silently ignored (OK). NOMEM only while the cache grows. */
RW_RESULT rw_sec_vcache_put(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN],
                            uint64_t gen, const struct rw_sec_vcache_val *val);
/* Drops one entry (e.g. a revoked chain); absent keys are fine. */
void rw_sec_vcache_remove(struct rw_sec_vcache *c, const uint8_t key[RW_VCACHE_KEY_LEN]);

size_t rw_sec_vcache_count(struct rw_sec_vcache *c);
size_t rw_sec_vcache_capacity(const struct rw_sec_vcache *c);
uint64_t rw_sec_vcache_evictions(struct rw_sec_vcache *c);

#endif
