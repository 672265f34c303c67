/* broker/brk_follow.c — the follower thread and the store-polling event
 * source (see broker/brk_follow.h). */
#include "broker/brk_follow.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "broker/brk_config.h"
#include "core/rw_log.h"

#define FETCH_LIMIT 1024 /* events per batch */
#define MAX_BATCHES 16   /* batches per round before the tick runs */

/* --- the store-polling source ---------------------------------------- */

struct poll_source {
    struct brk_event_source base;
    struct rw_store *store; /* borrowed */
    unsigned poll_ms;
};

static struct rw_result poll_fetch(struct brk_event_source *s, int64_t since, size_t limit,
                                   struct rw_store_event **ev, size_t *n)
{
    return rw_store_event_list(((struct poll_source *)s)->store, since, limit, ev, n);
}

static struct rw_result poll_last_seq(struct brk_event_source *s, int64_t *out)
{
    return rw_store_event_last_seq(((struct poll_source *)s)->store, out);
}

static void poll_wait(struct brk_event_source *s, int wake_fd, unsigned max_ms)
{
    unsigned ms = ((struct poll_source *)s)->poll_ms;
    struct pollfd p = {.fd = wake_fd, .events = POLLIN};
    (void)poll(&p, 1, (int)(ms < max_ms ? ms : max_ms));
}

static void poll_free(struct brk_event_source *s) { free(s); }

static const struct brk_event_source_ops poll_ops = {
    "store-poll", poll_fetch, poll_last_seq, poll_wait, poll_free,
};

struct rw_result brk_event_source_poll_new(struct rw_store *store, unsigned poll_ms,
                                           struct brk_event_source **out)
{
    RW_ENSURE(store && out && poll_ms > 0, RW_ERR_USAGE);
    struct poll_source *p = calloc(1, sizeof(*p));
    RW_ENSURE(p, RW_ERR_NOMEM);
    p->base.ops = &poll_ops;
    p->store = store;
    p->poll_ms = poll_ms;
    *out = &p->base;
    return RW_SUCCESS;
}

/* --- the follower ---------------------------------------------------- */

struct brk_follow {
    struct brk_event_source *src; /* owned */
    struct brk_follow_handler h;
    pthread_t thread;
    int wake_fd;                  /* owned eventfd: poke and stop */
    _Atomic bool stop;
    _Atomic bool poked;
    _Atomic int64_t applied;      /* last seq handed to the handler and applied */
    _Atomic int64_t store_seq;    /* newest seq seen in the log */
    bool failing;                 /* the source failed last round (logged once) */
};

static void source_failed(struct brk_follow *f, const char *what, struct rw_result r)
{
    if (!f->failing) {
        RW_LOG(RW_LOG_ERROR, "follow_failed", "source=%s op=%s reason=%s detail=\"%s\"",
               f->src->ops->name, what, rw_err_name(r.err), rw_err_detail());
    }
    f->failing = true;
}

/* Delivers at most one batch; true when there may be more. */
static bool one_batch(struct brk_follow *f)
{
    int64_t since = atomic_load(&f->applied);
    struct rw_store_event *ev = NULL;
    size_t n = 0;
    struct rw_result r = f->src->ops->fetch(f->src, since, FETCH_LIMIT, &ev, &n);
    if (!rw_ok(r)) {
        source_failed(f, "fetch", r);
        return false;
    }
    bool applied = n > 0 && f->h.events(f->h.arg, ev, n);
    if (applied) {
        atomic_store(&f->applied, ev[n - 1].seq);
    }
    rw_store_event_list_free(ev, n);
    return applied && n == FETCH_LIMIT;
}

static void round_run(struct brk_follow *f)
{
    uint64_t v;
    while (read(f->wake_fd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
    }
    bool poked = atomic_exchange(&f->poked, false);
    int64_t last = 0;
    struct rw_result r = f->src->ops->last_seq(f->src, &last);
    if (!rw_ok(r)) {
        source_failed(f, "last_seq", r);
    } else {
        if (f->failing) {
            RW_LOG(RW_LOG_INFO, "follow_recovered", "source=%s seq=%lld", f->src->ops->name,
                   (long long)last);
        }
        f->failing = false;
        atomic_store(&f->store_seq, last);
        for (int i = 0; i < MAX_BATCHES && last > atomic_load(&f->applied); i++) {
            if (!one_batch(f)) {
                break;
            }
        }
    }
    f->h.tick(f->h.arg, poked);
}

static void *follow_main(void *arg)
{
    struct brk_follow *f = arg;
    while (!atomic_load(&f->stop)) {
        round_run(f);
        if (!atomic_load(&f->stop)) {
            f->src->ops->wait(f->src, f->wake_fd, BRK_FOLLOW_MAX_MS);
        }
    }
    return NULL;
}

struct rw_result brk_follow_start(struct brk_event_source *src, int64_t from_seq,
                                  const struct brk_follow_handler *h, struct brk_follow **out)
{
    struct brk_follow *f = calloc(1, sizeof(*f));
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!f || fd < 0) {
        int err = errno;
        enum rw_err e = f ? RW_ERR_IO : RW_ERR_NOMEM;
        if (fd >= 0) {
            close(fd);
        }
        free(f);
        src->ops->free(src);
        RW_BAIL_MSG(e, "follower: %s", strerror(err));
    }
    f->src = src;
    f->h = *h;
    f->wake_fd = fd;
    atomic_init(&f->applied, from_seq);
    atomic_init(&f->store_seq, from_seq);
    int e = pthread_create(&f->thread, NULL, follow_main, f);
    if (e != 0) {
        close(fd);
        src->ops->free(src);
        free(f);
        RW_BAIL_MSG(RW_ERR_INTERNAL, "follower: pthread_create: %s", strerror(e));
    }
    *out = f;
    return RW_SUCCESS;
}

static void wake(struct brk_follow *f)
{
    uint64_t one = 1;
    ssize_t n = write(f->wake_fd, &one, sizeof(one));
    (void)n; /* EAGAIN: the counter is already non-zero */
}

void brk_follow_poke(struct brk_follow *f)
{
    if (f) {
        atomic_store(&f->poked, true);
        wake(f);
    }
}

void brk_follow_stop(struct brk_follow *f)
{
    if (!f) {
        return;
    }
    atomic_store(&f->stop, true);
    wake(f);
    pthread_join(f->thread, NULL);
    close(f->wake_fd);
    f->src->ops->free(f->src);
    free(f);
}

int64_t brk_follow_applied_seq(const struct brk_follow *f)
{
    return f ? atomic_load(&((struct brk_follow *)f)->applied) : 0;
}

int64_t brk_follow_store_seq(const struct brk_follow *f)
{
    return f ? atomic_load(&((struct brk_follow *)f)->store_seq) : 0;
}
