/* ringward-client — thin main over client/ (produce and consume over mTLS). */
#include "client/cl_cli.h"

int main(int argc, char **argv) { return rw_client_cli_main(argc, argv); }
