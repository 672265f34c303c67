/* admin/adm_print.h — output shared by the offline and the remote commands,
 * so `certs list|show` print the same whichever way they ran. */
#ifndef RW_ADM_PRINT_H
#define RW_ADM_PRINT_H

#include <stdint.h>

#include "core/rw_buf.h"
#include "security/store/store.h"

/* One certificate as a JSON object (status computed at `now`). */
RW_RESULT adm_print_cert_json(struct rw_buf *b, const struct rw_store_cert *c, int64_t now);
/* One row of the `certs list` table. */
void adm_print_cert_row(const struct rw_store_cert *c, int64_t now);
/* `certs show` for humans: fields, then the PEM (from c->der). */
RW_RESULT adm_print_cert_human(const struct rw_store_cert *c, int64_t now);

#endif
