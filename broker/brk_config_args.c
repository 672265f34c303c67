/* broker/brk_config_args.c — command-line flags, validation and --help. */
#include "broker/brk_config.h"

#include <stdio.h>
#include <string.h>

static bool is_bool_flag(const char *name)
{
    return strcmp(name, "tls12") == 0 || strcmp(name, "stateless-tickets") == 0 ||
           strcmp(name, "ec-fast-path") == 0;
}

/* Splits "--name=value" / "--name value"; advances *i past a consumed value. */
static struct rw_result flag_at(int argc, char **argv, int *i, char name[64], const char **value)
{
    const char *a = argv[*i];
    RW_ENSURE_MSG(a[0] == '-' && a[1] == '-' && a[2], RW_ERR_USAGE,
                  "unexpected argument '%s' (see --help)", a);
    const char *eq = strchr(a + 2, '=');
    size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    RW_ENSURE_MSG(n < 64, RW_ERR_USAGE, "unknown option '%s' (see --help)", a);
    memcpy(name, a + 2, n);
    name[n] = '\0';
    if (eq) {
        *value = eq + 1;
    } else if (is_bool_flag(name)) {
        *value = "true";
    } else {
        RW_ENSURE_MSG(*i + 1 < argc, RW_ERR_USAGE, "option --%s needs a value", name);
        *value = argv[++*i];
    }
    return RW_SUCCESS;
}

static struct rw_result first_pass(struct brk_config *c, int argc, char **argv,
                                   enum brk_config_action *action)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            *action = BRK_HELP;
            return RW_SUCCESS;
        }
        if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            *action = BRK_VERSION;
            return RW_SUCCESS;
        }
    }
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *value = NULL;
        RW_GUARD(flag_at(argc, argv, &i, name, &value));
        if (strcmp(name, "config") == 0) {
            RW_ENSURE_MSG(value[0] && strlen(value) < sizeof(c->config_file), RW_ERR_USAGE,
                          "--config: empty or too long");
            memcpy(c->config_file, value, strlen(value) + 1);
        }
    }
    return RW_SUCCESS;
}

struct rw_result brk_config_parse_args(struct brk_config *c, int argc, char **argv,
                                       enum brk_config_action *action)
{
    *action = BRK_RUN;
    RW_GUARD(first_pass(c, argc, argv, action));
    if (*action != BRK_RUN) {
        return RW_SUCCESS;
    }
    if (c->config_file[0]) {
        RW_GUARD(brk_config_load_file(c, c->config_file));
    }
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *value = NULL;
        RW_GUARD(flag_at(argc, argv, &i, name, &value));
        if (strcmp(name, "config") != 0) {
            RW_GUARD(brk_config_set(c, name, value));
        }
    }
    return brk_config_finish(c);
}

static struct rw_result default_path(char *field, const char *dir, const char *file)
{
    if (field[0]) {
        return RW_SUCCESS;
    }
    int n = snprintf(field, BRK_PATH_MAX, "%s/pki/%s", dir, file);
    RW_ENSURE_MSG(n > 0 && n < BRK_PATH_MAX, RW_ERR_USAGE, "--data-dir is too long");
    return RW_SUCCESS;
}

struct rw_result brk_config_finish(struct brk_config *c)
{
    RW_ENSURE_MSG(c->data_dir[0], RW_ERR_USAGE, "--data-dir is required (see --help)");
    RW_ENSURE_MSG(c->workers <= BRK_MAX_WORKERS, RW_ERR_USAGE, "--workers: at most %d",
                  BRK_MAX_WORKERS);
    RW_ENSURE_MSG(c->max_connections >= 1 && c->max_connections <= 1000000, RW_ERR_USAGE,
                  "--max-connections: 1..1000000");
    RW_ENSURE_MSG(c->max_frame >= 1024 && c->max_frame <= (64u << 20), RW_ERR_USAGE,
                  "--max-frame-size: 1K..64M");
    RW_ENSURE_MSG(c->handshake_timeout_ms >= 10, RW_ERR_USAGE, "--handshake-timeout: at least 10ms");
    RW_ENSURE_MSG(c->retention_bytes >= 4096, RW_ERR_USAGE, "--topic-retention-bytes: at least 4K");
    RW_ENSURE_MSG(c->max_output >= 65536, RW_ERR_USAGE, "--max-output-bytes: at least 64K");
    RW_ENSURE_MSG(c->follow_interval_ms >= 10 && c->follow_interval_ms <= BRK_FOLLOW_MAX_MS,
                  RW_ERR_USAGE, "--follow-interval: 10ms..%dms", BRK_FOLLOW_MAX_MS);
    RW_ENSURE_MSG(c->admin_rate >= 1 && c->admin_rate <= 100000, RW_ERR_USAGE,
                  "--admin-rate: 1..100000 requests per second");
    RW_ENSURE_MSG(c->admin_principal_rate >= 1 && c->admin_principal_rate <= 100000, RW_ERR_USAGE,
                  "--admin-principal-rate: 1..100000 requests per second");
    RW_GUARD(default_path(c->cert, c->data_dir, "broker.pem"));
    RW_GUARD(default_path(c->key, c->data_dir, "broker.key"));
    RW_GUARD(default_path(c->ca_chain, c->data_dir, "ca-chain.pem"));
    return RW_SUCCESS;
}
