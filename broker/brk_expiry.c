/* broker/brk_expiry.c — closing connections at the earliest notAfter of
 * their chain: a per-worker min-heap (see struct brk_expiry), checked on
 * every timer tick (BRK_TICK_MS), so a connection goes within one tick of
 * its notAfter, never before.
 *
 * A certificate is taken to be invalid from the first instant of its
 * notAfter second: RFC 5280 makes notAfter inclusive, but with one-second
 * granularity closing at its start is the conservative side. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "broker/brk_worker.h"
#include "core/rw_log.h"
#include "proto/broker.pb-c.h"

int64_t brk_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rw_result brk_expiry_init(struct brk_worker *w, uint32_t cap)
{
    w->exp.h = calloc(cap ? cap : 1, sizeof(*w->exp.h));
    RW_ENSURE_MSG(w->exp.h, RW_ERR_NOMEM, "cannot allocate the expiry heap");
    w->exp.n = 0;
    w->exp.cap = cap;
    return RW_SUCCESS;
}

void brk_expiry_cleanup(struct brk_worker *w)
{
    free(w->exp.h);
    w->exp.h = NULL;
    w->exp.n = w->exp.cap = 0;
}

static void put(struct brk_worker *w, uint32_t i, struct brk_exp_ent e)
{
    w->exp.h[i] = e;
    w->conns[e.slot].exp_idx = i;
}

static void sift_up(struct brk_worker *w, uint32_t i)
{
    struct brk_exp_ent e = w->exp.h[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (w->exp.h[parent].at_ms <= e.at_ms) {
            break;
        }
        put(w, i, w->exp.h[parent]);
        i = parent;
    }
    put(w, i, e);
}

static void sift_down(struct brk_worker *w, uint32_t i)
{
    struct brk_exp_ent e = w->exp.h[i];
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        int64_t best = e.at_ms;
        if (l < w->exp.n && w->exp.h[l].at_ms < best) {
            m = l;
            best = w->exp.h[l].at_ms;
        }
        if (l + 1 < w->exp.n && w->exp.h[l + 1].at_ms < best) {
            m = l + 1;
        }
        if (m == i) {
            break;
        }
        put(w, i, w->exp.h[m]);
        i = m;
    }
    put(w, i, e);
}

void brk_expiry_add(struct brk_worker *w, struct brk_conn *c, int64_t at_ms)
{
    brk_expiry_del(w, c);
    if (w->exp.n == w->exp.cap) {
        return; /* cannot happen: one entry per slot at most */
    }
    uint32_t i = w->exp.n++;
    w->exp.h[i] = (struct brk_exp_ent){at_ms, c->slot};
    sift_up(w, i);
}

void brk_expiry_del(struct brk_worker *w, struct brk_conn *c)
{
    uint32_t i = c->exp_idx;
    if (i == BRK_EXP_NONE || i >= w->exp.n || w->exp.h[i].slot != c->slot) {
        c->exp_idx = BRK_EXP_NONE;
        return;
    }
    c->exp_idx = BRK_EXP_NONE;
    struct brk_exp_ent last = w->exp.h[--w->exp.n];
    if (i == w->exp.n) {
        return;
    }
    put(w, i, last);
    if (i > 0 && w->exp.h[(i - 1) / 2].at_ms > last.at_ms) {
        sift_up(w, i);
    } else {
        sift_down(w, i);
    }
}

void brk_expiry_kick(struct brk_worker *w, struct brk_conn *c, int64_t at_ms)
{
    char detail[RW_PRINCIPAL_MAX + 96];
    time_t at = (time_t)(at_ms / 1000);
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&at, &tm)) {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    snprintf(detail, sizeof(detail), "the certificate chain expired at %s (principal %s)", when,
             c->principal);
    brk_conn_kick(w, c, BRK_CLOSE_EXPIRED, RINGWARD__ERROR_CODE__EXPIRED, detail);
}

void brk_expiry_tick(struct brk_worker *w)
{
    int64_t now = brk_wall_ms();
    while (w->exp.n > 0 && w->exp.h[0].at_ms <= now) {
        struct brk_conn *c = &w->conns[w->exp.h[0].slot];
        int64_t at_ms = w->exp.h[0].at_ms;
        brk_expiry_del(w, c);
        if (c->state == BRK_ESTABLISHED && !c->closing) {
            brk_expiry_kick(w, c, at_ms);
        }
    }
}
