/* admin/adm_common.h — what every ringward-admin command shares: the data
 * directory, the store, the CA context, error reporting, output files. */
#ifndef RW_ADM_COMMON_H
#define RW_ADM_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "admin/adm_opts.h"
#include "core/rw_result.h"
#include "security/sec_ca.h"
#include "security/store/store.h"

#define ADM_DEFAULT_DATA_DIR "./data"

/* Exit codes. */
enum { ADM_EXIT_OK = 0, ADM_EXIT_FAIL = 1, ADM_EXIT_USAGE = 2 };

/* One command: `name [sub]`, its options, its usage text, its handler. */
struct adm_cmd {
    const char *name;
    const char *sub;            /* NULL: no subcommand */
    const char *summary;        /* one line for the command list */
    const char *usage;          /* the full --help text */
    const struct adm_opt *opts;
    int (*run)(const struct adm_args *a);
    /* With --server / RINGWARD_SERVER: the same command over the admin
     * RPC; NULL when the command only works on a data directory. */
    int (*remote)(const struct adm_args *a);
};

/* --data-dir or ./data */
const char *adm_data_dir(const struct adm_args *a);
/* Opens the existing store (warns on development keys). */
RW_RESULT adm_store_open(const struct adm_args *a, struct rw_store **out);
typedef struct rw_result (*adm_store_fn)(const struct adm_args *a, struct rw_store *s);
/* Opens the store, runs fn, closes the store, reports; the exit code. */
int adm_with_store(const struct adm_args *a, adm_store_fn fn);
/* A CA context on `s`: the passphrase from --passphrase-file or
 * RINGWARD_CA_PASSPHRASE (freed by adm_ca_cleanup); none needed with
 * development keys. */
RW_RESULT adm_ca_open(const struct adm_args *a, struct rw_store *s, struct rw_sec_ca *ca);
void adm_ca_cleanup(struct rw_sec_ca *ca);
/* "local:<user>": who ran an offline command. */
const char *adm_actor(void);

/* Prints "ringward-admin: error: ..." with the detail; returns the exit code. */
int adm_report(struct rw_result r);

/* Writes DIR/NAME.pem (cert), DIR/NAME.key (0600, when key != NULL) and,
 * when chain_pem != NULL, DIR/ca-chain.pem. Prints each path written. */
RW_RESULT adm_write_bundle(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                           const char *chain_pem, size_t chain_len);
#define ADM_PATH_MAX 4096
/* out = dir "/" name ext; USAGE when it does not fit. */
RW_RESULT adm_path(char out[ADM_PATH_MAX], const char *dir, const char *name, const char *ext);
/* mkdir -p with mode */
RW_RESULT adm_mkdirs(const char *path, int mode);

/* Serial as upper-case hex from SERIAL text (hex, optional 0x, colons ok). */
RW_RESULT adm_parse_serial(const char *text, uint8_t *out, size_t *len);
/* "2026-11-23 18:55:57Z" */
void adm_fmt_time(int64_t t, char *out, size_t cap);

#endif
