/* client/cl_cli_args.c — option parsing for ringward-client commands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cl_cli.h"

void rw_cli_usage(const char *cmd, FILE *f); /* cl_cli.c */

enum {
    OPT_BROKER = 0x100, OPT_CERT, OPT_KEY, OPT_CA, OPT_SERVER_NAME, OPT_TIMEOUT, OPT_TOPIC,
    OPT_BATCH_RECORDS, OPT_BATCH_BYTES, OPT_FROM_BEGINNING, OPT_OFFSET, OPT_CREDIT, OPT_WAIT,
    OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
    {"broker", required_argument, NULL, OPT_BROKER},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"ca", required_argument, NULL, OPT_CA},
    {"server-name", required_argument, NULL, OPT_SERVER_NAME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"batch-records", required_argument, NULL, OPT_BATCH_RECORDS},
    {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
    {"from-beginning", no_argument, NULL, OPT_FROM_BEGINNING},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"count", required_argument, NULL, 'n'},
    {"credit", required_argument, NULL, OPT_CREDIT},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ringward-client %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'ringward-client %s --help')\n", cmd);
    va_end(ap);
    return RW_CLI_EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* HOST, HOST:PORT or [IPv6]:PORT. */
static bool parse_broker(const char *s, struct rw_cli_args *a)
{
    const char *host = s, *port = NULL;
    size_t host_len;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) {
            return false;
        }
        host = s + 1;
        host_len = (size_t)(close - host);
        port = close[1] == ':' ? close + 2 : NULL;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon) {
            colon = NULL; /* a bare IPv6 literal */
        }
        host_len = colon ? (size_t)(colon - s) : strlen(s);
        port = colon ? colon + 1 : NULL;
    }
    uint64_t p = 9443;
    if (host_len == 0 || host_len >= sizeof(a->host) || (port && !parse_u64(port, 65535, &p)) ||
        p == 0) {
        return false;
    }
    memcpy(a->host, host, host_len);
    a->host[host_len] = '\0';
    a->port = (uint16_t)p;
    return true;
}

static void defaults(const char *cmd, struct rw_cli_args *a)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->host, sizeof(a->host), "127.0.0.1");
    a->port = 9443;
    bool produce = strcmp(cmd, "produce") == 0;
    a->cert = produce ? "./data/pki/producer-1.pem" : "./data/pki/consumer-1.pem";
    a->key = produce ? "./data/pki/producer-1.key" : "./data/pki/consumer-1.key";
    a->ca = "./data/pki/ca-chain.pem";
    a->timeout_ms = 10000;
    a->wait_ms = -1;
}

/* One option; 0 when fine, else the exit status. */
static int apply(const char *cmd, int opt, const char *arg, struct rw_cli_args *a, bool produce)
{
    uint64_t v = 0;
    switch (opt) {
    case OPT_BROKER:
        return parse_broker(arg, a) ? 0 : usage_error(cmd, "bad --broker '%s' (HOST:PORT)", arg);
    case OPT_CERT: a->cert = arg; return 0;
    case OPT_KEY: a->key = arg; return 0;
    case OPT_CA: a->ca = arg; return 0;
    case OPT_SERVER_NAME: a->server_name = arg; return 0;
    case OPT_TOPIC: a->topic = arg; return 0;
    case OPT_TIMEOUT:
        if (!parse_u64(arg, 3600000, &v) || v == 0) {
            return usage_error(cmd, "bad --timeout '%s' (milliseconds, 1..3600000)", arg);
        }
        a->timeout_ms = (int)v;
        return 0;
    default:
        break;
    }
    if (produce) {
        if (opt == OPT_BATCH_RECORDS && parse_u64(arg, 1000000, &v) && v > 0) {
            a->batch_records = (size_t)v;
            return 0;
        }
        if (opt == OPT_BATCH_BYTES && parse_u64(arg, 1u << 20, &v) && v > 0) {
            a->batch_bytes = (size_t)v;
            return 0;
        }
        return usage_error(cmd, "bad value '%s' for a batch option", arg);
    }
    switch (opt) {
    case OPT_FROM_BEGINNING: a->from_beginning = true; return 0;
    case OPT_OFFSET:
        a->has_offset = true;
        return parse_u64(arg, UINT64_MAX, &a->offset)
                   ? 0 : usage_error(cmd, "bad --offset '%s'", arg);
    case 'n':
        return parse_u64(arg, UINT64_MAX, &a->count) && a->count > 0
                   ? 0 : usage_error(cmd, "bad -n '%s' (a positive count)", arg);
    case OPT_CREDIT:
        if (!parse_u64(arg, 1000000, &v) || v == 0) {
            return usage_error(cmd, "bad --credit '%s' (1..1000000)", arg);
        }
        a->credit = (uint32_t)v;
        return 0;
    case OPT_WAIT:
        if (!parse_u64(arg, 86400000, &v)) {
            return usage_error(cmd, "bad --wait '%s' (milliseconds)", arg);
        }
        a->wait_ms = (int)v;
        return 0;
    default:
        return usage_error(cmd, "option '%s' does not apply here", arg ? arg : "?");
    }
}

int rw_cli_parse(const char *cmd, int argc, char **argv, struct rw_cli_args *a, bool *done)
{
    bool produce = strcmp(cmd, "produce") == 0;
    defaults(cmd, a);
    *done = false;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, produce ? "" : "n:", long_opts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            rw_cli_usage(cmd, stdout);
            *done = true;
            return 0;
        }
        if (opt == OPT_VERSION) {
            printf("ringward-client %s\n", RW_CLIENT_VERSION);
            *done = true;
            return 0;
        }
        if (opt == '?' || opt == ':') {
            return usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        bool produce_only = opt == OPT_BATCH_RECORDS || opt == OPT_BATCH_BYTES;
        bool consume_only = (opt >= OPT_FROM_BEGINNING && opt <= OPT_WAIT) || opt == 'n';
        if ((produce && consume_only) || (!produce && produce_only)) {
            return usage_error(cmd, "option '%s' does not apply here", argv[optind - 1]);
        }
        int rc = apply(cmd, opt, optarg, a, produce);
        if (rc != 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (!a->topic || !a->topic[0]) {
        return usage_error(cmd, "%s", "--topic is required");
    }
    if (a->from_beginning && a->has_offset) {
        return usage_error(cmd, "%s", "--from-beginning and --offset exclude each other");
    }
    return 0;
}
