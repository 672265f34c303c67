/* admin/adm_cmds.h — the command handlers of ringward-admin (offline mode).
 * Each takes parsed arguments and returns the process exit code. */
#ifndef RW_ADM_CMDS_H
#define RW_ADM_CMDS_H

#include "admin/adm_common.h"

int adm_cmd_init(const struct adm_args *a);
int adm_cmd_ca_init(const struct adm_args *a);
int adm_cmd_ca_list(const struct adm_args *a);
int adm_cmd_ca_intermediate(const struct adm_args *a);
int adm_cmd_ca_show(const struct adm_args *a);
int adm_cmd_ca_disable(const struct adm_args *a);
int adm_cmd_certs_issue(const struct adm_args *a);
int adm_cmd_certs_sign_csr(const struct adm_args *a);
int adm_cmd_certs_revoke(const struct adm_args *a);
int adm_cmd_certs_list(const struct adm_args *a);
int adm_cmd_certs_show(const struct adm_args *a);
int adm_cmd_certs_export(const struct adm_args *a);
int adm_cmd_crl_export(const struct adm_args *a);
int adm_cmd_events(const struct adm_args *a);
int adm_cmd_verify(const struct adm_args *a);
int adm_cmd_acl_add(const struct adm_args *a);
int adm_cmd_acl_remove(const struct adm_args *a);
int adm_cmd_acl_list(const struct adm_args *a);
int adm_cmd_acl_check(const struct adm_args *a);

#endif
