/* broker/brk_daemon.h — the `ringward` daemon: startup, signals, shutdown.
 *
 * brk_daemon_run opens the store under cfg->data_dir, builds the trust
 * snapshot (store CAs and revocations, plus --trust-bundle), creates the
 * authentication manager, one TLS server context and one io_uring worker
 * thread per worker, writes the ready file, then waits for signals on
 * the main thread (sigwaitinfo: no work in signal handlers):
 *   SIGTERM/SIGINT  stop accepting, close_notify everyone, drain, return 0
 *   SIGHUP          rebuild trust from the store; rw_sec_auth_set_trust
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

/* A frozen snapshot of the store's CAs and revocations plus the PEM
 * bundle file (NULL or "" = none). */
RW_RESULT brk_trust_build(struct rw_store *s, const char *bundle, struct rw_sec_trust **out);

#endif
