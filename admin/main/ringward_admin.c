/* ringward-admin — thin main over admin/. */
#include "admin/adm_cli.h"

int main(int argc, char **argv) { return rw_adm_cli_main(argc, argv); }
