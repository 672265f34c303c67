/* admin/adm_table.h — the command table of ringward-admin. */
#ifndef RW_ADM_TABLE_H
#define RW_ADM_TABLE_H

#include "admin/adm_common.h"

/* Terminated by an entry whose name is NULL. */
extern const struct adm_cmd adm_commands[];

#endif
