/* admin/adm_cli.h — the `ringward-admin` command line (offline mode). */
#ifndef RW_ADM_CLI_H
#define RW_ADM_CLI_H

/* Parses argv, runs one command, returns the process exit code. */
int rw_adm_cli_main(int argc, char **argv);

#endif
