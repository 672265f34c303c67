/* client/cl_cli_consume.c — `ringward-client consume`: records → stdout lines. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "client/cl_cli.h"
#include "client/cl_conn.h"

#define TICK_MS 500

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGINT/SIGTERM interrupt the wait (no SA_RESTART) and end the loop. */
static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Writes up to `want` records of the batch; false when stdout failed. */
static bool print_batch(const struct rw_client_batch *b, uint64_t want, uint64_t *printed)
{
    for (size_t i = 0; i < b->n && *printed < want; i++) {
        const struct rw_client_record *r = &b->records[i];
        if (r->value_len) {
            fwrite(r->value, 1, r->value_len, stdout);
        }
        putc('\n', stdout);
        (*printed)++;
    }
    return fflush(stdout) == 0 && !ferror(stdout);
}

static int consume_loop(struct rw_client *c, const struct rw_cli_args *a)
{
    uint64_t want = a->count ? a->count : UINT64_MAX, printed = 0;
    int64_t last = rw_cl_now_ms();
    while (!stop_requested && printed < want) {
        struct rw_client_batch b;
        struct rw_result r = rw_client_poll(c, TICK_MS, &b);
        if (r.err == RW_ERR_BLOCKED) {
            if (a->wait_ms >= 0 && rw_cl_now_ms() - last >= a->wait_ms) {
                fprintf(stderr, "ringward-client: no record for %d ms (printed %llu)\n",
                        a->wait_ms, (unsigned long long)printed);
                return RW_CLI_EXIT_FAIL;
            }
            continue;
        }
        if (!rw_ok(r)) {
            return rw_cli_report(rw_client_last_error(c));
        }
        last = rw_cl_now_ms();
        if (!print_batch(&b, want, &printed)) {
            fprintf(stderr, "ringward-client: writing stdout: %s\n", strerror(errno));
            return RW_CLI_EXIT_FAIL;
        }
    }
    return 0;
}

int rw_cli_consume(int argc, char **argv)
{
    struct rw_cli_args a;
    bool done = false;
    int rc = rw_cli_parse("consume", argc, argv, &a, &done);
    if (rc != 0 || done) {
        return rc;
    }
    install_handlers();
    struct rw_client *c = rw_cli_connect(&a);
    if (!c) {
        return RW_CLI_EXIT_FAIL;
    }
    uint32_t credit = a.credit;
    if (credit == 0) {
        credit = a.count && a.count < 1000 ? (uint32_t)a.count : 1000;
    }
    bool from_end = !a.from_beginning && !a.has_offset;
    uint64_t from = a.has_offset ? a.offset : 0;
    if (!rw_ok(rw_client_subscribe(c, a.topic, from, from_end, credit, NULL))) {
        rc = rw_cli_report(rw_client_last_error(c));
    } else {
        rc = consume_loop(c, &a);
    }
    rw_client_close(c);
    return rc;
}
