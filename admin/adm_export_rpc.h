/* admin/adm_export_rpc.h — the server side of `certs export --all`: the
 * CertsExport method handler (admin/adm_rpc_export.c), dispatched and
 * authorized by admin/adm_rpc.c like every admin read. */
#ifndef RW_ADM_EXPORT_RPC_H
#define RW_ADM_EXPORT_RPC_H

#include "core/rw_result.h"

struct adm_call;

/* Fills c->resp with one CertsExportResponse page (see proto/admin.proto). */
RW_RESULT adm_h_certs_export(struct adm_call *c);

#endif
