/* admin/adm_cli.c — command dispatch for ringward-admin. */
#include "admin/adm_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_remote.h"
#include "admin/adm_result.h"
#include "admin/adm_table.h"

#define RW_VERSION "0.1.0"

static void print_overview(FILE *f)
{
    fprintf(f, "usage: ringward-admin COMMAND [SUBCOMMAND] [OPTIONS]\n\n"
               "Manages a Ringward certificate authority kept in a data directory.\n\n"
               "commands:\n");
    for (const struct adm_cmd *c = adm_commands; c->name; c++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
        fprintf(f, "  %-20s %s\n", name, c->summary);
    }
    fprintf(f, "\nEvery command takes --json: lists and records print their JSON form; the\n"
               "others print one object {\"ok\":BOOL,\"exit\":N,...their results} on stdout and\n"
               "their prose on stderr.\n"
               "\n`ringward-admin COMMAND [SUBCOMMAND] --help` explains one command.\n"
               "Exit status: 0 success, 1 failure (or a rejected chain), 2 usage error.\n");
}

static int dispatch(int argc, char **argv);
static int run_cmd(const struct adm_cmd *cmd, const struct adm_args *a);

static bool has_opt(const struct adm_opt *spec, const char *name)
{
    for (; spec->name; spec++) {
        if (strcmp(spec->name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* --json on a command without a JSON form of its own: removed from argv
 * (from `from` on) and true; the command's result object is then printed
 * by admin/adm_result.c. */
static bool take_generic_json(const struct adm_cmd *cmd, int *argc, char **argv, int from)
{
    if (has_opt(cmd->opts, "json")) {
        return false;
    }
    bool found = false;
    int out = from;
    for (int i = from; i < *argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            found = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return found;
}

static const struct adm_cmd *lookup(int argc, char **argv, int *consumed)
{
    bool known = false;
    for (const struct adm_cmd *c = adm_commands; c->name; c++) {
        if (strcmp(c->name, argv[1]) != 0) {
            continue;
        }
        known = true;
        if (!c->sub) {
            *consumed = 2;
            return c;
        }
        if (argc > 2 && strcmp(c->sub, argv[2]) == 0) {
            *consumed = 3;
            return c;
        }
    }
    if (known) {
        fprintf(stderr, "ringward-admin: '%s' needs a subcommand:\n", argv[1]);
        for (const struct adm_cmd *c = adm_commands; c->name; c++) {
            if (strcmp(c->name, argv[1]) == 0) {
                fprintf(stderr, "  %s %-14s %s\n", c->name, c->sub, c->summary);
            }
        }
    } else {
        fprintf(stderr, "ringward-admin: unknown command '%s' (see --help)\n", argv[1]);
    }
    return NULL;
}

/* Global options may come before the command: they are moved after it so
 * every command parses them as its own. */
static int hoist_globals(int argc, char **argv, char **out)
{
    static const char *const globals[] = {"--data-dir", "--passphrase-file", "--server"};
    char *moved[8];
    int n_moved = 0, i = 1;
    while (i < argc && n_moved < 6) {
        bool hit = false;
        for (size_t g = 0; g < sizeof(globals) / sizeof(globals[0]); g++) {
            size_t len = strlen(globals[g]);
            if (strncmp(argv[i], globals[g], len) == 0 && argv[i][len] == '=') {
                moved[n_moved++] = argv[i++];
                hit = true;
            } else if (strcmp(argv[i], globals[g]) == 0 && i + 1 < argc) {
                moved[n_moved++] = argv[i++];
                moved[n_moved++] = argv[i++];
                hit = true;
            }
        }
        if (!hit) {
            break;
        }
    }
    int k = 0;
    out[k++] = argv[0];
    int words = 0;
    while (i < argc && words < 2 && strncmp(argv[i], "--", 2) != 0) {
        out[k++] = argv[i++];
        words++;
    }
    for (int m = 0; m < n_moved; m++) {
        out[k++] = moved[m];
    }
    while (i < argc) {
        out[k++] = argv[i++];
    }
    out[k] = NULL;
    return k;
}

int rw_adm_cli_main(int argc_in, char **argv_in)
{
    char **argv = calloc((size_t)argc_in + 1, sizeof(char *));
    if (!argv) {
        return 1;
    }
    int argc = hoist_globals(argc_in, argv_in, argv);
    int code = dispatch(argc, argv);
    free(argv);
    return code;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        print_overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ringward-admin %s\n", RW_VERSION);
        return 0;
    }
    int consumed = 0;
    const struct adm_cmd *cmd = lookup(argc, argv, &consumed);
    if (!cmd) {
        return 2;
    }
    bool generic_json = take_generic_json(cmd, &argc, argv, consumed);
    struct adm_args args;
    rw_err_detail_clear();
    struct rw_result r = adm_opts_parse(cmd->opts, argc - consumed, argv + consumed, &args);
    if (!rw_ok(r)) {
        return adm_report(r);
    }
    if (adm_flag(&args, "help")) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    if (generic_json) {
        adm_result_begin();
        return adm_result_end(run_cmd(cmd, &args));
    }
    return run_cmd(cmd, &args);
}

/* Offline or over the RPC, as --server / RINGWARD_SERVER say. */
static int run_cmd(const struct adm_cmd *cmd, const struct adm_args *a)
{
    if (adm_remote_server(a) && cmd->run != cmd->remote) {
        if (!cmd->remote && !adm_get(a, "server")) {
            return cmd->run(a); /* only $RINGWARD_SERVER: this one runs offline */
        }
        if (!cmd->remote) {
            fprintf(stderr, "ringward-admin: '%s%s%s' works on a data directory only: drop "
                            "--server / RINGWARD_SERVER\n",
                    cmd->name, cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
            return 2;
        }
        return cmd->remote(a);
    }
    return cmd->run(a);
}
