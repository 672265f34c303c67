/* broker/brk_follow.h — following the store's append-only `events` log.
 *
 * A follower is one dedicated thread (never a loop thread). Each round it
 * waits on its event source, fetches the events with seq greater than the
 * last one applied, hands them in seq order to its handler, then calls the
 * handler's tick. A batch the handler could not apply (it returns false) is
 * offered again next round, so nothing is skipped.
 *
 * The source is a small interface so backends can differ in how they wait:
 * the store-polling source (SQLite, the embedded default) sleeps at most
 * its poll period; a PostgreSQL source would block on LISTEN/NOTIFY
 * instead. Every wait also ends when the follower is poked (reload) or
 * stopped.
 *
 * Ownership: the follower owns its source (freed by brk_follow_stop) and
 * borrows the handler's arg. Handler callbacks run on the follower thread.
 */
#ifndef RW_BRK_FOLLOW_H
#define RW_BRK_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"
#include "security/store/store.h"

struct brk_event_source;

struct brk_event_source_ops {
    const char *name;
    /* Events with seq > since, oldest first, at most `limit` (owned by the
     * caller: rw_store_event_list_free). */
    RW_RESULT (*fetch)(struct brk_event_source *s, int64_t since, size_t limit,
                       struct rw_store_event **ev, size_t *n);
    /* The newest seq in the log (0 when empty). */
    RW_RESULT (*last_seq)(struct brk_event_source *s, int64_t *out);
    /* Blocks until new events may exist, `wake_fd` is readable (it is not
     * drained here) or `max_ms` passed. */
    void (*wait)(struct brk_event_source *s, int wake_fd, unsigned max_ms);
    void (*free)(struct brk_event_source *s);
};

struct brk_event_source {
    const struct brk_event_source_ops *ops;
};

/* A source polling a store handle every poll_ms. The handle is borrowed,
 * and used only on the follower thread once the follower runs. */
RW_RESULT brk_event_source_poll_new(struct rw_store *store, unsigned poll_ms,
                                    struct brk_event_source **out);

struct brk_follow_handler {
    /* New events, seq ascending, n >= 1. True when applied. */
    bool (*events)(void *arg, const struct rw_store_event *ev, size_t n);
    /* After every round (at least every poll period); `poked` when
     * brk_follow_poke asked for this round. */
    void (*tick)(void *arg, bool poked);
    void *arg;
};

struct brk_follow;

/* Starts the thread; events after `from_seq` are delivered. Takes `src`
 * (freed here on failure too). */
RW_RESULT brk_follow_start(struct brk_event_source *src, int64_t from_seq,
                           const struct brk_follow_handler *h, struct brk_follow **out);
/* Any thread: run a round now, with `poked` set for the tick. */
void brk_follow_poke(struct brk_follow *f);
/* Stops and joins the thread, frees the source and the follower. NULL ok. */
void brk_follow_stop(struct brk_follow *f);

/* Any thread: the last seq applied and the newest seq seen in the store. */
int64_t brk_follow_applied_seq(const struct brk_follow *f);
int64_t brk_follow_store_seq(const struct brk_follow *f);

#endif
