/* client/cl_cli.c — ringward-client: dispatch, usage, connecting, errors. */
#include "client/cl_cli.h"

#include <stdio.h>
#include <string.h>

#include "proto/rw_frame.h"

void rw_cli_usage(const char *cmd, FILE *f);

static const char common_opts[] =
    "CONNECTION OPTIONS\n"
    "  --broker HOST[:PORT]  Broker address (default 127.0.0.1:9443). An IP literal is\n"
    "                        checked against the IP SANs of the broker's certificate, a\n"
    "                        name against its DNS SANs. IPv6: [::1]:9443.\n"
    "  --cert FILE           PEM client certificate. Only this leaf is sent; the broker\n"
    "                        completes the chain from its own CA set.\n"
    "  --key FILE            PEM private key of --cert (unencrypted).\n"
    "  --ca FILE             PEM bundle trusted for the broker's certificate; every\n"
    "                        certificate in it is loaded (default ./data/pki/ca-chain.pem,\n"
    "                        the intermediate and root written by `ringward-admin init`).\n"
    "  --server-name NAME    Name the broker's certificate must carry (default: HOST).\n"
    "  --timeout MS          Connect, handshake and per-request timeout (default 10000).\n"
    "  --help                Show this help.\n";

static const char exit_text[] =
    "EXIT STATUS\n"
    "  0  success\n"
    "  1  failure: the broker's error code and message, or the local reason, are\n"
    "     printed on stderr, e.g.\n"
    "       ringward-client: REVOKED: certificate revoked (keyCompromise)\n"
    "       ringward-client: UNAUTHENTICATED: broker 127.0.0.1:9443 refused the client\n"
    "         certificate: unknown CA\n"
    "  2  usage error\n";

static void produce_usage(FILE *f)
{
    fprintf(f,
        "NAME\n  ringward-client produce - publish stdin lines as records to a topic\n\n"
        "SYNOPSIS\n  ringward-client produce --topic T [--broker HOST:PORT] [--cert FILE]\n"
        "                         [--key FILE] [--ca FILE] [--batch-records N]\n"
        "                         [--batch-bytes N] [--timeout MS]\n\n"
        "DESCRIPTION\n"
        "  Reads standard input line by line; each line, without its trailing newline,\n"
        "  becomes one record (bytes as read; an empty line is an empty record).\n"
        "  Records are batched into Produce frames of at most --batch-records records\n"
        "  (default 1000) or --batch-bytes bytes (default 262144), several frames in\n"
        "  flight at once. At end of input every frame is acknowledged, and a summary\n"
        "  goes to stderr:\n"
        "    produced N records to T (offsets A..B)\n"
        "  Nothing is printed on stdout. An acknowledged record lives in the broker's\n"
        "  memory. The default identity is ./data/pki/producer-1.pem/.key.\n\n"
        "OPTIONS\n"
        "  --topic T             Topic to append to (created on first produce). Required.\n"
        "  --batch-records N     Records per frame at most (default 1000).\n"
        "  --batch-bytes N       Record bytes per frame at most (default 262144).\n\n");
    fputs(common_opts, f);
    fprintf(f, "\n%s\nEXAMPLES\n"
               "  seq 1 10000 | ringward-client produce --topic demo\n"
               "  ringward-client produce --topic demo --broker localhost:9443 \\\n"
               "      --cert p.pem --key p.key --ca ca-chain.pem < records.txt\n", exit_text);
}

static void consume_usage(FILE *f)
{
    fprintf(f,
        "NAME\n  ringward-client consume - print a topic's records, one per line\n\n"
        "SYNOPSIS\n  ringward-client consume --topic T [--from-beginning | --offset N] [-n N]\n"
        "                         [--broker HOST:PORT] [--cert FILE] [--key FILE]\n"
        "                         [--ca FILE] [--credit N] [--wait MS] [--timeout MS]\n\n"
        "DESCRIPTION\n"
        "  Subscribes to the topic and writes each record's value followed by a\n"
        "  newline to stdout, flushed as records arrive. Without -n it runs until\n"
        "  interrupted (SIGINT/SIGTERM end it cleanly, status 0). Records are pushed\n"
        "  by the broker under credit-based flow control: at most --credit records\n"
        "  are in flight, and credit is granted back as records are printed.\n"
        "  The default identity is ./data/pki/consumer-1.pem/.key.\n\n"
        "OPTIONS\n"
        "  --topic T             Topic to read. Required.\n"
        "  --from-beginning      Start at the oldest record the broker still holds\n"
        "                        (default: only records produced from now on).\n"
        "  --offset N            Start at offset N.\n"
        "  -n, --count N         Exit after printing N records.\n"
        "  --credit N            Records the broker may push ahead (default: N of -n,\n"
        "                        at most 1000).\n"
        "  --wait MS             Fail (status 1) when no record arrives for MS ms\n"
        "                        (default: wait forever).\n\n");
    fputs(common_opts, f);
    fprintf(f, "\n%s\nEXAMPLES\n"
               "  ringward-client consume --topic demo --from-beginning -n 10000 > out.txt\n"
               "  ringward-client consume --topic demo --broker localhost:9443\n", exit_text);
}

void rw_cli_usage(const char *cmd, FILE *f)
{
    if (strcmp(cmd, "produce") == 0) {
        produce_usage(f);
    } else {
        consume_usage(f);
    }
}

static void overview(FILE *f)
{
    fprintf(f, "usage: ringward-client COMMAND [OPTIONS]\n\n"
               "Produces to and consumes from a Ringward broker over mutual TLS.\n\n"
               "commands:\n"
               "  produce    publish stdin lines as records to a topic\n"
               "  consume    print a topic's records, one per line\n\n"
               "`ringward-client COMMAND --help` explains one command.\n"
               "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int rw_cli_report(const struct rw_client_error *e)
{
    const char *msg = e->message[0] ? e->message : "failed (no reason recorded)";
    if (e->code != 0) {
        fprintf(stderr, "ringward-client: %s: %s\n", rw_frame_code_name(e->code), msg);
    } else {
        fprintf(stderr, "ringward-client: %s\n", msg);
    }
    return RW_CLI_EXIT_FAIL;
}

struct rw_client *rw_cli_connect(const struct rw_cli_args *a)
{
    struct rw_client_opts o = {
        .host = a->host, .port = a->port, .cert_file = a->cert, .key_file = a->key,
        .ca_file = a->ca, .server_name = a->server_name, .timeout_ms = a->timeout_ms,
        .batch_records = a->batch_records, .batch_bytes = a->batch_bytes,
    };
    struct rw_client *c = NULL;
    struct rw_client_error err;
    if (!rw_ok(rw_client_connect(&o, &c, &err))) {
        rw_cli_report(&err);
        return NULL;
    }
    return c;
}

int rw_client_cli_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? RW_CLI_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ringward-client %s\n", RW_CLIENT_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "produce") == 0) {
        return rw_cli_produce(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "consume") == 0) {
        return rw_cli_consume(argc - 1, argv + 1);
    }
    fprintf(stderr, "ringward-client: unknown command '%s' (see --help)\n", argv[1]);
    return RW_CLI_EXIT_USAGE;
}
