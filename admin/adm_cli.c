/* admin/adm_cli.c — command dispatch for ringward-admin. */
#include "admin/adm_cli.h"

#include <stdio.h>

int rw_adm_cli_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ringward-admin: not yet implemented\n");
    return 2;
}
