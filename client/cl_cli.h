/* client/cl_cli.h — the ringward-client command line (produce, consume).
 *
 * Exit status: 0 success, 1 any failure (the broker's error code name and
 * message, or the local reason, on stderr), 2 usage error.
 */
#ifndef RW_CLIENT_CL_CLI_H
#define RW_CLIENT_CL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/rw_client.h"

#define RW_CLIENT_VERSION "0.1.0"
#define RW_CLI_EXIT_FAIL 1
#define RW_CLI_EXIT_USAGE 2

/* Options of both commands, parsed (strings borrowed from argv). */
struct rw_cli_args {
    char host[256];
    uint16_t port;
    const char *topic;
    const char *cert, *key, *ca, *server_name;
    int timeout_ms;
    /* produce */
    size_t batch_records, batch_bytes;
    /* consume */
    bool from_beginning, has_offset;
    uint64_t offset;
    uint64_t count;     /* 0 = until interrupted */
    uint32_t credit;    /* 0 = min(count, 1000) */
    int wait_ms;        /* give up after this long without a record; -1 = never */
};

int rw_client_cli_main(int argc, char **argv);

/* Commands (argv[0] is the command name); return the exit status. */
int rw_cli_produce(int argc, char **argv);
int rw_cli_consume(int argc, char **argv);

/* Parses the options of `cmd` ("produce"/"consume") with defaults; prints
 * usage on --help (returns 0 with *done set), a message on bad usage
 * (returns RW_CLI_EXIT_USAGE). */
int rw_cli_parse(const char *cmd, int argc, char **argv, struct rw_cli_args *a, bool *done);
/* Connects with the parsed options; on failure prints why. */
struct rw_client *rw_cli_connect(const struct rw_cli_args *a);
/* Prints "ringward-client: CODE: message" (or the local reason); returns 1. */
int rw_cli_report(const struct rw_client_error *e);

#endif
