/* broker/brk_config.h — the daemon's settings: defaults, a `key = value`
 * file, and command-line flags (every file key is also a flag).
 *
 * Precedence: built-in defaults < config file (--config FILE) < flags.
 * Durations take an optional unit (ms, s, m, h; plain numbers are seconds);
 * sizes take K, M, G (binary). Errors are RW_ERR_USAGE with rw_err_detail()
 * naming the offending option and, for a file, its line. No allocation:
 * every string lives inside the struct.
 */
#ifndef RW_BRK_CONFIG_H
#define RW_BRK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_log.h"
#include "core/rw_result.h"

#define BRK_PATH_MAX 1024
#define BRK_HOST_MAX 256
#define BRK_MAX_WORKERS 64
#define BRK_MAX_CRLS 16
#define BRK_FOLLOW_MAX_MS 200      /* the event log is polled at least this often */

/* What an external CRL that cannot be used (unreadable, not a CRL, bad
 * signature, nextUpdate passed) does. Never silently open. */
enum brk_crl_policy {
    BRK_CRL_FAIL_CLOSED = 0, /* refuse every client chained to its issuer */
    BRK_CRL_KEEP_LAST,       /* keep the last good CRL, warn, count it */
};

/* Which part of a client certificate names its principal. */
enum brk_principal_from {
    BRK_PRINCIPAL_CN = 0,  /* the subject CN (default) */
    BRK_PRINCIPAL_SAN_URI, /* the first SAN URI (SPIFFE style) */
    BRK_PRINCIPAL_SAN_DNS, /* the first SAN DNS name */
};

struct brk_config {
    char data_dir[BRK_PATH_MAX];
    char config_file[BRK_PATH_MAX];
    char listen_host[BRK_HOST_MAX];
    uint16_t listen_port;
    unsigned workers;              /* 0 = one per online CPU */
    unsigned max_connections;      /* across all workers */
    size_t max_frame;              /* bytes of one frame body */
    uint32_t handshake_timeout_ms;
    uint32_t idle_timeout_ms;      /* 0 = none */
    uint64_t retention_bytes;      /* per topic */
    size_t max_output;             /* per-connection output cap (bytes) */
    enum rw_log_level log_level;
    char cert[BRK_PATH_MAX];       /* "" = DATA/pki/broker.pem */
    char key[BRK_PATH_MAX];        /* "" = DATA/pki/broker.key */
    char ca_chain[BRK_PATH_MAX];   /* "" = DATA/pki/ca-chain.pem */
    char trust_bundle[BRK_PATH_MAX]; /* extra trusted CAs (PEM); "" = none */
    char ready_file[BRK_PATH_MAX]; /* "" = none */
    char crl[BRK_MAX_CRLS][BRK_PATH_MAX]; /* external CRL files (PEM or DER) */
    unsigned n_crl;
    enum brk_crl_policy crl_policy;
    bool metrics;                  /* serve Prometheus text (--metrics) */
    char metrics_host[BRK_HOST_MAX];
    uint16_t metrics_port;         /* 0 = any; the ready file reports it */
    uint32_t follow_interval_ms;   /* event-log poll period */
    bool tls12;
    bool stateless_tickets;
    bool ec_fast_path;             /* EC keys via OpenSSL's built-in code (security/sec_ec_fast.h) */
    enum brk_principal_from principal_from;
    bool admin;                    /* serve the admin RPC (--admin-listen; `off` = false) */
    char admin_host[BRK_HOST_MAX];
    uint16_t admin_port;           /* 0 = any; the ready file reports it */
    char passphrase_file[BRK_PATH_MAX]; /* CA key passphrase; "" = RINGWARD_CA_PASSPHRASE */
    unsigned admin_rate;           /* admin requests/s per client address (burst twice) */
    unsigned admin_principal_rate; /* admin requests/s per principal (burst twice) */
};

enum brk_config_action { BRK_RUN, BRK_HELP, BRK_VERSION };

void brk_config_defaults(struct brk_config *c);

/* Parses argv (argv[0] skipped): loads --config first, then applies flags.
 * Fills in path defaults that depend on --data-dir. */
RW_RESULT brk_config_parse_args(struct brk_config *c, int argc, char **argv,
                                enum brk_config_action *action);

/* Applies `key = value` lines from a file ('#' comments, blank lines). */
RW_RESULT brk_config_load_file(struct brk_config *c, const char *path);

/* Applies one option by name (file key or flag without the dashes). */
RW_RESULT brk_config_set(struct brk_config *c, const char *key, const char *value);

/* Checks ranges and fills derived defaults (paths under data_dir). */
RW_RESULT brk_config_finish(struct brk_config *c);

/* Parsers shared with the tests. */
RW_RESULT brk_config_parse_duration_ms(const char *s, uint32_t *out);
RW_RESULT brk_config_parse_size(const char *s, uint64_t *out);
RW_RESULT brk_config_parse_listen(const char *s, char host[BRK_HOST_MAX], uint16_t *port);

/* "cn", "san-uri", "san-dns"; parse is false for anything else. */
const char *brk_principal_from_name(enum brk_principal_from f);
bool brk_principal_from_parse(const char *s, enum brk_principal_from *out);

/* The --help text (man-page style). */
const char *brk_config_usage(void);

#endif
