/* broker/brk_daemon.h — the `ringward` daemon: startup, signals, shutdown.
 *
 * brk_daemon_run opens the store under cfg->data_dir, builds the first
 * policy (store CAs and revocations, --trust-bundle, --crl files: see
 * broker/brk_enforce.h) and the first ACL snapshot, creates the
 * authentication manager (principals named per --principal-from), one TLS
 * server context shared by all workers, one io_uring worker thread per
 * worker, the follower thread (store events: trust and ACL rebuilds and
 * live enforcement) and, with --metrics, the metrics thread; writes the ready
 * file, then waits for signals on the main thread (sigtimedwait: no work
 * in signal handlers):
 *   SIGTERM/SIGINT  stop accepting, close_notify everyone, drain, return 0
 *   SIGHUP          new server context from the certificate and key files
 *                   (existing connections keep theirs); trust and ACL rebuilt
 * Topics live in memory only: acknowledged records are lost at exit.
 */
#ifndef RW_BRK_DAEMON_H
#define RW_BRK_DAEMON_H

#include <stdint.h>

#include "broker/brk_config.h"
#include "core/rw_result.h"
#include "security/sec_trust.h"
#include "security/store/store.h"

/* Returns the process exit status. */
int brk_daemon_run(const struct brk_config *cfg);

/* n listening sockets on host:port (port 0: one ephemeral port shared by
 * all); *bound is the port obtained. */
RW_RESULT brk_net_listen(const char *host, uint16_t port, unsigned n, int *fds, uint16_t *bound);

/* One listening socket without SO_REUSEPORT (port 0: ephemeral). */
RW_RESULT brk_net_listen_plain(const char *host, uint16_t port, int *fd, uint16_t *bound);

#endif
