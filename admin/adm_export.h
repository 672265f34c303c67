/* admin/adm_export.h — `certs export`, shared by its offline form
 * (adm_export.c, on the store) and its remote form (adm_export_remote.c,
 * over the admin RPC): the parsed request, the output files and the backup
 * archive. No private key ever passes through here.
 *
 * Files are written atomically (a temporary file in the same directory,
 * fsync, rename) and never replace an existing file unless --force; a file
 * that already holds exactly the bytes to be written is left alone.
 */
#ifndef RW_ADM_EXPORT_H
#define RW_ADM_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "admin/adm_opts.h"
#include "core/rw_file.h"
#include "core/rw_result.h"
#include "security/store/store.h"

#define ADM_EXPORT_PAGE_DEFAULT 100
#define ADM_EXPORT_ARCHIVE_MODE 0600 /* an inventory of every identity: owner only */

/* Output building: run `call` only while `r` is still a success. */
#define ADM_EXPORT_ACC(r, call) do { if (rw_ok(r)) { (r) = (call); } } while (0)

/* What the command line asked for (strings borrowed from argv). */
struct adm_export_req {
    bool all;
    char serial[2 * RW_STORE_SERIAL_MAX + 1]; /* single: upper-case hex */
    uint8_t serial_bin[RW_STORE_SERIAL_MAX];
    size_t serial_len;
    const char *out_dir; /* single: --out DIR */
    const char *output;  /* --all: --output FILE */
    bool force;
    bool json;
    size_t page_size;    /* --page-size, else ADM_EXPORT_PAGE_DEFAULT */
};

/* USAGE errors (exit 2) for SERIAL with --all, neither, a bad serial, a
 * missing or misplaced --out/--output, a bad --page-size. */
RW_RESULT adm_export_parse(const struct adm_args *a, struct adm_export_req *q);

/* ---- files (adm_export_file.c) ---- */

/* True when `s` may be used as one file name: 1..128 of [A-Za-z0-9._@+-],
 * not starting with '.'. Store and server text is checked before use. */
bool adm_export_safe_name(const char *s);
/* EXISTS (naming --force) when `path` exists, unless force or it already
 * holds exactly data[0..len) (then *same is set: nothing to write). */
RW_RESULT adm_export_check(const char *path, const void *data, size_t len, bool force, bool *same);
/* Writes `path` atomically with `mode` (core/rw_file.h); refuses an
 * existing file (EXISTS, naming --force) unless force, even one created
 * after adm_export_check. */
RW_RESULT adm_export_write(const char *path, const void *data, size_t len, mode_t mode,
                           bool force);
/* rw_file_tmp_place with the same refusal; `t` is consumed either way. */
RW_RESULT adm_export_place(struct rw_file_tmp *t, const char *path, mode_t mode, bool force);

/* ---- single certificate (adm_export.c) ---- */

/* PEM of a DER certificate (heap; the caller frees *pem). */
RW_RESULT adm_export_der_to_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len);

/* Writes DIR/<principal>.pem (DIR/<SERIAL>.pem when the principal is not a
 * safe file name) and DIR/ca-chain.pem, after checking both; prints what
 * it did (a JSON summary with q->json). `c->der` is the certificate. */
RW_RESULT adm_export_single(const struct adm_export_req *q, const struct rw_store_cert *c,
                            const char *status, const char *chain_pem, size_t chain_len);

/* ---- the archive (adm_export_tar.c) ---- */

struct adm_export_ca {
    const char *id;
    const char *cn;
    const char *parent; /* "" for a root */
    const char *serial; /* hex */
    bool disabled;
    const uint8_t *der;
    size_t der_len;
};

struct adm_export_tar;

/* Refuses an existing q->output unless --force (before anything else),
 * then opens a gzip'd tar on a temporary file beside it. */
RW_RESULT adm_export_tar_open(const struct adm_export_req *q, struct adm_export_tar **out);
/* ca/<id>.pem, and the CA in the index. */
RW_RESULT adm_export_tar_ca(struct adm_export_tar *t, const struct adm_export_ca *ca);
/* certs/<SERIAL>.pem, and the certificate in the index (status at now). */
RW_RESULT adm_export_tar_cert(struct adm_export_tar *t, const struct rw_store_cert *c);
/* Adds index.json, finishes the archive, renames it into place and prints
 * the summary; frees t whatever happens. `pages`: store or RPC pages read. */
RW_RESULT adm_export_tar_commit(struct adm_export_tar *t, size_t pages);
/* Removes the temporary file and frees t (NULL is fine). */
void adm_export_tar_abort(struct adm_export_tar *t);
/* One page of certificates (at most `page_size`) into `t` from a source
 * (`src`: the store, or the connection); *after (the paging cursor) and
 * *more (another page follows) move on. */
typedef struct rw_result (*adm_export_page_fn)(void *src, struct adm_export_tar *t,
                                               size_t page_size, int64_t *after, bool *more);
/* Every page of `src` into `t`, then commits it (aborts it on a failure):
 * t is consumed either way. */
RW_RESULT adm_export_tar_pages(struct adm_export_tar *t, adm_export_page_fn page, void *src);

#endif
