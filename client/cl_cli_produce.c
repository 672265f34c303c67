/* client/cl_cli_produce.c — `ringward-client produce`: stdin lines → records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cl_cli.h"

static int produce_lines(struct rw_client *c, const char *topic, uint64_t *lines)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n') {
            len--;
        }
        if (!rw_ok(rw_client_produce_add(c, topic, line, len))) {
            rc = rw_cli_report(rw_client_last_error(c));
            break;
        }
        (*lines)++;
    }
    if (rc == 0 && ferror(stdin)) {
        fprintf(stderr, "ringward-client: reading stdin: %s\n", strerror(errno));
        rc = RW_CLI_EXIT_FAIL;
    }
    free(line);
    return rc;
}

int rw_cli_produce(int argc, char **argv)
{
    struct rw_cli_args a;
    bool done = false;
    int rc = rw_cli_parse("produce", argc, argv, &a, &done);
    if (rc != 0 || done) {
        return rc;
    }
    struct rw_client *c = rw_cli_connect(&a);
    if (!c) {
        return RW_CLI_EXIT_FAIL;
    }
    uint64_t lines = 0;
    rc = produce_lines(c, a.topic, &lines);
    struct rw_client_produce_summary sum = {0};
    if (rc == 0 && !rw_ok(rw_client_flush(c, &sum))) {
        rc = rw_cli_report(rw_client_last_error(c));
    }
    if (rc == 0 && sum.records > 0) {
        fprintf(stderr, "produced %llu records to %s (offsets %llu..%llu)\n",
                (unsigned long long)sum.records, a.topic, (unsigned long long)sum.first_offset,
                (unsigned long long)sum.last_offset);
    } else if (rc == 0) {
        fprintf(stderr, "produced 0 records to %s\n", a.topic);
    }
    rw_client_close(c);
    return rc;
}
