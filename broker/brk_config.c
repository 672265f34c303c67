/* broker/brk_config.c — defaults, config file and flags for `ringward`. */
#include "broker/brk_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
    T_PATH, T_UINT, T_SIZE, T_DURATION, T_BOOL, T_LOGLEVEL, T_LISTEN, T_CRL, T_CRL_POLICY, T_METRICS,
    T_PRINCIPAL_FROM, T_ADMIN
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t off;
    size_t size; /* T_PATH/T_UINT: field size */
};

#define F(field) offsetof(struct brk_config, field), sizeof(((struct brk_config *)0)->field)

static const struct opt opts[] = {
    {"data-dir", T_PATH, F(data_dir)},
    {"listen", T_LISTEN, 0, 0},
    {"workers", T_UINT, F(workers)},
    {"max-connections", T_UINT, F(max_connections)},
    {"max-frame-size", T_SIZE, F(max_frame)},
    {"handshake-timeout", T_DURATION, F(handshake_timeout_ms)},
    {"idle-timeout", T_DURATION, F(idle_timeout_ms)},
    {"topic-retention-bytes", T_SIZE, F(retention_bytes)},
    {"max-output-bytes", T_SIZE, F(max_output)},
    {"log-level", T_LOGLEVEL, F(log_level)},
    {"cert", T_PATH, F(cert)},
    {"key", T_PATH, F(key)},
    {"ca-chain", T_PATH, F(ca_chain)},
    {"trust-bundle", T_PATH, F(trust_bundle)},
    {"ready-file", T_PATH, F(ready_file)},
    {"tls12", T_BOOL, F(tls12)},
    {"stateless-tickets", T_BOOL, F(stateless_tickets)},
    {"ec-fast-path", T_BOOL, F(ec_fast_path)},
    {"crl", T_CRL, 0, 0},
    {"crl-policy", T_CRL_POLICY, 0, 0},
    {"metrics", T_METRICS, 0, 0},
    {"follow-interval", T_DURATION, F(follow_interval_ms)},
    {"principal-from", T_PRINCIPAL_FROM, 0, 0},
    {"admin-listen", T_ADMIN, 0, 0},
    {"passphrase-file", T_PATH, F(passphrase_file)},
    {"admin-rate", T_UINT, F(admin_rate)},
    {"admin-principal-rate", T_UINT, F(admin_principal_rate)},
};

static const char *const principal_from_names[] = {"cn", "san-uri", "san-dns"};

const char *brk_principal_from_name(enum brk_principal_from f)
{
    return (unsigned)f < 3 ? principal_from_names[f] : "cn";
}

bool brk_principal_from_parse(const char *s, enum brk_principal_from *out)
{
    for (unsigned i = 0; i < 3; i++) {
        if (strcmp(s, principal_from_names[i]) == 0) {
            *out = (enum brk_principal_from)i;
            return true;
        }
    }
    return false;
}

void brk_config_defaults(struct brk_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
    c->listen_port = 9443;
    c->admin = true;
    snprintf(c->admin_host, sizeof(c->admin_host), "127.0.0.1");
    c->admin_port = 9444;
    c->admin_rate = 10;
    c->admin_principal_rate = 20;
    c->max_connections = 10000;
    c->max_frame = 1u << 20;
    c->handshake_timeout_ms = 10000;
    c->idle_timeout_ms = 300000;
    c->retention_bytes = 256ull << 20;
    c->max_output = 4u << 20;
    c->log_level = RW_LOG_INFO;
    c->crl_policy = BRK_CRL_FAIL_CLOSED;
    c->follow_interval_ms = 100;
    c->principal_from = BRK_PRINCIPAL_CN;
    c->ec_fast_path = true;
}

struct rw_result brk_config_parse_duration_ms(const char *s, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    RW_ENSURE_MSG(end != s && errno == 0 && s[0] != '-', RW_ERR_USAGE, "not a duration: '%s'", s);
    unsigned long long mul = 1000;
    if (strcmp(end, "ms") == 0) {
        mul = 1;
    } else if (strcmp(end, "s") == 0 || *end == '\0') {
        mul = 1000;
    } else if (strcmp(end, "m") == 0) {
        mul = 60000;
    } else if (strcmp(end, "h") == 0) {
        mul = 3600000;
    } else {
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown duration unit in '%s' (use ms, s, m or h)", s);
    }
    RW_ENSURE_MSG(v <= UINT32_MAX / mul, RW_ERR_USAGE, "duration '%s' is too long", s);
    *out = (uint32_t)(v * mul);
    return RW_SUCCESS;
}

struct rw_result brk_config_parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    RW_ENSURE_MSG(end != s && errno == 0 && s[0] != '-', RW_ERR_USAGE, "not a size: '%s'", s);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') {
        shift = 10;
    } else if (*end == 'M' || *end == 'm') {
        shift = 20;
    } else if (*end == 'G' || *end == 'g') {
        shift = 30;
    } else if (*end != '\0') {
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown size unit in '%s' (use K, M or G)", s);
    }
    if (shift && end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0) {
        RW_BAIL_MSG(RW_ERR_USAGE, "unknown size unit in '%s' (use K, M or G)", s);
    }
    RW_ENSURE_MSG(v <= (UINT64_MAX >> shift), RW_ERR_USAGE, "size '%s' is too large", s);
    *out = (uint64_t)v << shift;
    return RW_SUCCESS;
}

struct rw_result brk_config_parse_listen(const char *s, char host[BRK_HOST_MAX], uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    RW_ENSURE_MSG(colon && colon != s, RW_ERR_USAGE, "listen address '%s' is not HOST:PORT", s);
    size_t hlen = (size_t)(colon - s);
    const char *h = s;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    RW_ENSURE_MSG(hlen > 0 && hlen < BRK_HOST_MAX, RW_ERR_USAGE, "bad host in '%s'", s);
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    RW_ENSURE_MSG(colon[1] != '\0' && *end == '\0' && errno == 0 && p <= 65535, RW_ERR_USAGE,
                  "bad port in '%s' (0..65535)", s);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return RW_SUCCESS;
}

/* Prefixes the current detail (copied first: the detail is one buffer). */
static struct rw_result prefixed(enum rw_err e, const char *a, const char *b)
{
    char d[512];
    snprintf(d, sizeof(d), "%s", rw_err_detail());
    rw_err_detail_set("%s%s: %s", a, b, d);
    return RW_ERR(e);
}

static struct rw_result parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1")) {
        *out = true;
    } else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0")) {
        *out = false;
    } else {
        RW_BAIL_MSG(RW_ERR_USAGE, "not a boolean: '%s' (true or false)", s);
    }
    return RW_SUCCESS;
}

static struct rw_result set_number(const struct opt *o, char *field, const char *value)
{
    uint64_t v = 0;
    if (o->type == T_UINT) {
        char *end = NULL;
        errno = 0;
        unsigned long long u = strtoull(value, &end, 10);
        RW_ENSURE_MSG(end != value && *end == '\0' && errno == 0 && value[0] != '-', RW_ERR_USAGE,
                      "--%s: not a number: '%s'", o->name, value);
        v = u;
    } else {
        struct rw_result r = brk_config_parse_size(value, &v);
        if (!rw_ok(r)) {
            return prefixed(RW_ERR_USAGE, "--", o->name);
        }
    }
    if (o->size == sizeof(unsigned)) {
        RW_ENSURE_MSG(v <= UINT32_MAX, RW_ERR_USAGE, "--%s: %s is too large", o->name, value);
        unsigned u = (unsigned)v;
        memcpy(field, &u, sizeof(u));
    } else if (o->size == sizeof(uint64_t)) {
        memcpy(field, &v, sizeof(v));
    } else {
        RW_BAIL(RW_ERR_INTERNAL);
    }
    return RW_SUCCESS;
}

/* --crl is repeatable: each occurrence (file line or flag) adds a file. */
static struct rw_result add_crl(struct brk_config *c, const char *value)
{
    RW_ENSURE_MSG(c->n_crl < BRK_MAX_CRLS, RW_ERR_USAGE, "--crl: at most %d files", BRK_MAX_CRLS);
    RW_ENSURE_MSG(value[0] && strlen(value) < BRK_PATH_MAX, RW_ERR_USAGE, "--crl: empty or too long");
    memcpy(c->crl[c->n_crl++], value, strlen(value) + 1);
    return RW_SUCCESS;
}

static struct rw_result set_crl_policy(struct brk_config *c, const char *value)
{
    if (strcmp(value, "fail-closed") == 0) {
        c->crl_policy = BRK_CRL_FAIL_CLOSED;
    } else if (strcmp(value, "keep-last") == 0) {
        c->crl_policy = BRK_CRL_KEEP_LAST;
    } else {
        RW_BAIL_MSG(RW_ERR_USAGE, "--crl-policy: '%s' is not fail-closed or keep-last", value);
    }
    return RW_SUCCESS;
}

static const struct opt *find_opt(const char *key)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (strcmp(opts[i].name, key) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

struct rw_result brk_config_set(struct brk_config *c, const char *key, const char *value)
{
    const struct opt *o = find_opt(key);
    RW_ENSURE_MSG(o, RW_ERR_USAGE, "unknown option '%s' (see --help)", key);
    char *field = (char *)c + o->off;
    struct rw_result r = RW_SUCCESS;
    switch (o->type) {
    case T_PATH:
        RW_ENSURE_MSG(value[0] && strlen(value) < o->size, RW_ERR_USAGE,
                      "--%s: empty or too long", key);
        memcpy(field, value, strlen(value) + 1);
        break;
    case T_UINT:
    case T_SIZE:
        return set_number(o, field, value);
    case T_DURATION:
        r = brk_config_parse_duration_ms(value, (uint32_t *)(void *)field);
        break;
    case T_BOOL:
        r = parse_bool(value, (bool *)(void *)field);
        break;
    case T_LOGLEVEL:
        RW_ENSURE_MSG(rw_log_level_parse(value, &c->log_level), RW_ERR_USAGE,
                      "--log-level: '%s' is not debug, info, warn or error", value);
        break;
    case T_LISTEN:
        r = brk_config_parse_listen(value, c->listen_host, &c->listen_port);
        break;
    case T_CRL:
        return add_crl(c, value);
    case T_CRL_POLICY:
        return set_crl_policy(c, value);
    case T_METRICS:
        r = brk_config_parse_listen(value, c->metrics_host, &c->metrics_port);
        c->metrics = rw_ok(r);
        break;
    case T_ADMIN:
        c->admin = strcmp(value, "off") != 0;
        if (c->admin) {
            r = brk_config_parse_listen(value, c->admin_host, &c->admin_port);
        }
        break;
    case T_PRINCIPAL_FROM:
        RW_ENSURE_MSG(brk_principal_from_parse(value, &c->principal_from), RW_ERR_USAGE,
                      "--principal-from: '%s' is not cn, san-uri or san-dns", value);
        break;
    }
    return rw_ok(r) ? r : prefixed(RW_ERR_USAGE, "--", key);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

static struct rw_result apply_line(struct brk_config *c, char *line, const char *path, int lineno)
{
    char *hash = strchr(line, '#');
    if (hash) {
        *hash = '\0';
    }
    char *s = trim(line);
    if (*s == '\0') {
        return RW_SUCCESS;
    }
    char *eq = strchr(s, '=');
    RW_ENSURE_MSG(eq, RW_ERR_USAGE, "%s:%d: expected 'key = value'", path, lineno);
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    for (char *p = key; *p; p++) {
        if (*p == '_') {
            *p = '-';
        }
    }
    RW_ENSURE_MSG(strcmp(key, "config") != 0, RW_ERR_USAGE, "%s:%d: 'config' cannot be nested",
                  path, lineno);
    struct rw_result r = brk_config_set(c, key, value);
    if (!rw_ok(r)) {
        char where[BRK_PATH_MAX + 16];
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        return prefixed(RW_ERR_USAGE, where, "");
    }
    return RW_SUCCESS;
}

struct rw_result brk_config_load_file(struct brk_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    RW_ENSURE_MSG(f, RW_ERR_USAGE, "cannot read config file %s: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0;
    struct rw_result r = RW_SUCCESS;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            RW_FAIL(r, RW_ERR_USAGE, out, "%s:%d: line too long", path, lineno);
        }
        RW_TRY(r, apply_line(c, line, path, lineno), out);
    }
out:
    fclose(f);
    return r;
}
