/* tests/testlib/tl_admin_server.h — an in-process admin RPC server for the
 * remote ringward-admin tests: a thread accepting TLS 1.3 connections on
 * 127.0.0.1 (port 0), one at a time, in a plain blocking loop, handing each
 * frame to rw_adm_service_handle. Test-only scaffolding until the broker's
 * admin listener serves the RPC.
 *
 * The client certificate is optional (enrollment): a presented chain is
 * decided by the authentication manager (rw_sec_auth_check_chain_ids, as
 * the broker's TLS contexts do) over a trust snapshot rebuilt from the store
 * for every connection, so revocations are seen at once.
 */
#ifndef RW_TL_ADMIN_SERVER_H
#define RW_TL_ADMIN_SERVER_H

#include "admin/adm_rpc.h"

struct tl_admin_server;

/* data_dir holds ringward.db; cert/key are the server's (PEM); passphrase
 * NULL with development keys; cfg may be NULL. NULL (and a message on
 * stderr) on failure. */
struct tl_admin_server *tl_admin_server_start(const char *data_dir, const char *passphrase,
                                              const char *cert_file, const char *key_file,
                                              const struct rw_adm_service_cfg *cfg);
int tl_admin_server_port(const struct tl_admin_server *s);
/* Stops the thread and frees everything; NULL is fine. */
void tl_admin_server_stop(struct tl_admin_server *s);

#endif
