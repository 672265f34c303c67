/* broker/brk_metrics.h — Prometheus text over a tiny HTTP/1.0 endpoint.
 *
 * One thread of its own (never a loop thread) with blocking accept, read
 * and write: GET /metrics answers the exposition text, anything else 404
 * (400 for a request line it cannot read). A request may be at most 4 KiB
 * and must arrive within 2 s; one client at a time, Connection: close.
 * Meant for a loopback address (--metrics 127.0.0.1:9464).
 *
 * Ownership: borrows the shared state and the follower (both outlive it:
 * the daemon stops the metrics thread first).
 */
#ifndef RW_BRK_METRICS_H
#define RW_BRK_METRICS_H

#include <stdint.h>

#include "broker/brk_follow.h"
#include "core/rw_buf.h"
#include "core/rw_result.h"

struct brk_shared;
struct brk_metrics;

/* Listens on host:port (port 0 = any; *bound gets the port) and starts. */
RW_RESULT brk_metrics_start(const char *host, uint16_t port, struct brk_shared *sh,
                            const struct brk_follow *follow, struct brk_metrics **out,
                            uint16_t *bound);
void brk_metrics_stop(struct brk_metrics *m); /* joins; NULL is fine */

/* Appends the exposition text (follow may be NULL). */
RW_RESULT brk_metrics_render(struct brk_shared *sh, const struct brk_follow *follow,
                             struct rw_buf *out);

#endif
