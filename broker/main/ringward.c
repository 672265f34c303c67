/* broker/main/ringward.c — the `ringward` daemon: a thin main. */
#include <stdio.h>

#include "broker/brk_config.h"
#include "broker/brk_daemon.h"

int main(int argc, char **argv)
{
    struct brk_config cfg;
    brk_config_defaults(&cfg);
    enum brk_config_action action;
    struct rw_result r = brk_config_parse_args(&cfg, argc, argv, &action);
    if (!rw_ok(r)) {
        fprintf(stderr, "ringward: %s\n", rw_err_detail());
        return 2;
    }
    if (action == BRK_HELP) {
        fputs(brk_config_usage(), stdout);
        return 0;
    }
    if (action == BRK_VERSION) {
        printf("ringward 0.1.0\n");
        return 0;
    }
    return brk_daemon_run(&cfg);
}
