/* admin/adm_remote_cmds.h — command handlers that talk to an admin listener.
 * adm_rpc_cmd_*: the remote form of an offline command (chosen by
 * adm_cli.c when --server or RINGWARD_SERVER is given); adm_cmd_*: commands
 * that only exist remotely. Each returns the process exit code. */
#ifndef RW_ADM_REMOTE_CMDS_H
#define RW_ADM_REMOTE_CMDS_H

#include "admin/adm_opts.h"

int adm_rpc_cmd_ca_list(const struct adm_args *a);
int adm_rpc_cmd_ca_intermediate(const struct adm_args *a);
int adm_rpc_cmd_ca_show(const struct adm_args *a);
int adm_rpc_cmd_ca_disable(const struct adm_args *a);
int adm_rpc_cmd_certs_issue(const struct adm_args *a);
int adm_rpc_cmd_certs_revoke(const struct adm_args *a);
int adm_rpc_cmd_certs_list(const struct adm_args *a);
int adm_rpc_cmd_certs_show(const struct adm_args *a);
int adm_rpc_cmd_certs_export(const struct adm_args *a);
int adm_rpc_cmd_crl_get(const struct adm_args *a);
int adm_rpc_cmd_events(const struct adm_args *a);
int adm_rpc_cmd_acl_add(const struct adm_args *a);
int adm_rpc_cmd_acl_list(const struct adm_args *a);
int adm_rpc_cmd_acl_remove(const struct adm_args *a);
int adm_rpc_cmd_acl_check(const struct adm_args *a);
int adm_rpc_cmd_certs_sign_csr(const struct adm_args *a);

int adm_cmd_tokens_create(const struct adm_args *a);
int adm_cmd_certs_pending(const struct adm_args *a);
int adm_cmd_certs_approve(const struct adm_args *a);
int adm_cmd_certs_reject(const struct adm_args *a);
int adm_cmd_certs_request(const struct adm_args *a);
int adm_cmd_certs_renew(const struct adm_args *a);
int adm_cmd_status(const struct adm_args *a);

#endif
