/* admin/adm_export_tar.c — the backup archive of `certs export --all`: a
 * gzip'd tar (libarchive, POSIX pax/ustar) written to a temporary file
 * beside the output and renamed into place once complete:
 *
 *   ca/<ca-id>.pem        each CA's certificate
 *   certs/<SERIAL>.pem    every certificate of the store (CA ones too)
 *   index.json            {"format":"ringward-certs-export","version":1,
 *                          "created_at":T,"cas":[{id,cn,parent,serial,
 *                          disabled,file}],"certs":[{serial,principal,role,
 *                          ca,status,not_before,not_after,issued_at,
 *                          [revocation_reason,revoked_at],file}]}
 *
 * The index's certificate objects are those of `certs list --json` plus
 * "file". Entries are 0644 files in 0755 folders; the archive itself is
 * ADM_EXPORT_ARCHIVE_MODE. Names come only from hex serials and checked CA
 * ids, so extracting can never write outside the folder. No key is added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "admin/adm_common.h"
#include "admin/adm_export.h"
#include "admin/adm_print.h"
#include "core/rw_buf.h"
#include "core/rw_file.h"
#include "core/rw_hex.h"
#include "core/rw_json.h"

#define INDEX_MAX (1u << 30)
#define ENTRY_NAME_MAX 256

struct adm_export_tar {
    struct archive *ar;
    struct rw_file_tmp file;        /* the temporary file, until placed */
    const struct adm_export_req *q; /* borrowed */
    struct rw_buf cas;              /* index.json "cas" objects */
    struct rw_buf certs;            /* index.json "certs" objects */
    size_t n_cas, n_certs, n_revoked;
    int64_t now;
};

static struct rw_result ar_fail(struct adm_export_tar *t, const char *what)
{
    const char *e = archive_error_string(t->ar);
    RW_BAIL_MSG(RW_ERR_IO, "cannot write the archive (%s): %s", what, e ? e : "unknown error");
}

static struct rw_result add_entry(struct adm_export_tar *t, const char *name, const void *data,
                                  size_t len, bool dir)
{
    struct archive_entry *e = archive_entry_new();
    RW_ENSURE(e, RW_ERR_NOMEM);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, (time_t)t->now, 0);
    struct rw_result r = RW_SUCCESS;
    if (archive_write_header(t->ar, e) != ARCHIVE_OK) {
        r = ar_fail(t, name);
    } else if (len > 0 && archive_write_data(t->ar, data, len) != (la_ssize_t)len) {
        r = ar_fail(t, name);
    }
    archive_entry_free(e);
    return r;
}

static struct rw_result start(struct adm_export_tar *t)
{
    t->ar = archive_write_new();
    RW_ENSURE(t->ar, RW_ERR_NOMEM);
    if (archive_write_add_filter_gzip(t->ar) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(t->ar) != ARCHIVE_OK ||
        archive_write_open_fd(t->ar, t->file.fd) != ARCHIVE_OK) {
        return ar_fail(t, "gzip'd tar");
    }
    RW_GUARD(add_entry(t, "ca/", NULL, 0, true));
    return add_entry(t, "certs/", NULL, 0, true);
}

struct rw_result adm_export_tar_open(const struct adm_export_req *q, struct adm_export_tar **out)
{
    bool same = false;
    RW_GUARD(adm_export_check(q->output, NULL, 0, q->force, &same));
    struct adm_export_tar *t = calloc(1, sizeof(*t));
    RW_ENSURE(t, RW_ERR_NOMEM);
    t->q = q;
    t->file.fd = -1;
    t->now = (int64_t)time(NULL);
    rw_buf_init(&t->cas, INDEX_MAX);
    rw_buf_init(&t->certs, INDEX_MAX);
    struct rw_result r = rw_file_tmp_open(q->output, &t->file);
    ADM_EXPORT_ACC(r, start(t));
    if (!rw_ok(r)) {
        adm_export_tar_abort(t);
        return r;
    }
    *out = t;
    return RW_SUCCESS;
}

static void tar_free(struct adm_export_tar *t)
{
    if (t->ar) {
        archive_write_free(t->ar); /* closes the archive, not the fd */
    }
    rw_buf_cleanup(&t->cas);
    rw_buf_cleanup(&t->certs);
    free(t);
}

void adm_export_tar_abort(struct adm_export_tar *t)
{
    if (!t) {
        return;
    }
    if (t->ar) {
        archive_write_free(t->ar); /* before the fd closes: it may still write */
        t->ar = NULL;
    }
    rw_file_tmp_abort(&t->file);
    tar_free(t);
}

/* The PEM of `der` as the archive entry `name`. */
static struct rw_result add_pem(struct adm_export_tar *t, const char *name, const uint8_t *der,
                                size_t len)
{
    char *pem = NULL;
    size_t pem_len = 0;
    RW_GUARD(adm_export_der_to_pem(der, len, &pem, &pem_len));
    struct rw_result r = add_entry(t, name, pem, pem_len, false);
    free(pem);
    return r;
}

struct rw_result adm_export_tar_ca(struct adm_export_tar *t, const struct adm_export_ca *ca)
{
    RW_ENSURE_MSG(adm_export_safe_name(ca->id), RW_ERR_PROTO_MALFORMED,
                  "refusing the CA id '%s' as a file name in the archive", ca->id);
    char name[ENTRY_NAME_MAX];
    snprintf(name, sizeof(name), "ca/%s.pem", ca->id);
    RW_GUARD(add_pem(t, name, ca->der, ca->der_len));
    struct rw_buf *b = &t->cas;
    RW_GUARD(rw_buf_append_str(b, t->n_cas ? ",\n{" : "\n{"));
    RW_GUARD(rw_json_kv_str(b, true, "id", ca->id));
    RW_GUARD(rw_json_kv_str(b, false, "cn", ca->cn));
    RW_GUARD(rw_json_kv_str(b, false, "parent", ca->parent));
    RW_GUARD(rw_json_kv_str(b, false, "serial", ca->serial));
    RW_GUARD(rw_json_kv_bool(b, false, "disabled", ca->disabled));
    RW_GUARD(rw_json_kv_str(b, false, "file", name));
    RW_GUARD(rw_buf_append_str(b, "}"));
    t->n_cas++;
    return RW_SUCCESS;
}

struct rw_result adm_export_tar_cert(struct adm_export_tar *t, const struct rw_store_cert *c)
{
    char serial[2 * RW_STORE_SERIAL_MAX + 1], name[ENTRY_NAME_MAX];
    RW_ENSURE_MSG(c->serial_len > 0, RW_ERR_PROTO_MALFORMED, "a certificate without a serial");
    rw_hex_encode(c->serial, c->serial_len, serial);
    snprintf(name, sizeof(name), "certs/%s.pem", serial);
    RW_GUARD(add_pem(t, name, c->der, c->der_len));
    struct rw_buf *b = &t->certs;
    RW_GUARD(rw_buf_append_str(b, t->n_certs ? ",\n" : "\n"));
    RW_GUARD(adm_print_cert_json(b, c, t->now));
    b->len--; /* reopen the object `certs list --json` closed, to add "file" */
    RW_GUARD(rw_json_kv_str(b, false, "file", name));
    RW_GUARD(rw_buf_append_str(b, "}"));
    t->n_certs++;
    t->n_revoked += c->revoked ? 1 : 0;
    return RW_SUCCESS;
}

static struct rw_result add_index(struct adm_export_tar *t)
{
    struct rw_buf b;
    rw_buf_init(&b, 2 * (size_t)INDEX_MAX + 4096);
    struct rw_result r = rw_buf_append_str(&b, "{");
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, true, "format", "ringward-certs-export"));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "version", 1));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "created_at", t->now));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, ",\"cas\":["));
    ADM_EXPORT_ACC(r, rw_buf_append(&b, t->cas.data, t->cas.len));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, "\n],\"certs\":["));
    ADM_EXPORT_ACC(r, rw_buf_append(&b, t->certs.data, t->certs.len));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, "\n]}\n"));
    ADM_EXPORT_ACC(r, add_entry(t, "index.json", b.data, b.len, false));
    rw_buf_cleanup(&b);
    return r;
}

static struct rw_result print_summary(const struct adm_export_tar *t, size_t pages, long long bytes)
{
    const struct adm_export_req *q = t->q;
    if (!q->json) {
        printf("wrote %s: %zu certificates (%zu revoked), %zu CA certificates and index.json; "
               "mode %04o, no private keys\n", q->output, t->n_certs, t->n_revoked, t->n_cas,
               (unsigned)ADM_EXPORT_ARCHIVE_MODE);
        return RW_SUCCESS;
    }
    struct rw_buf b;
    rw_buf_init(&b, 1u << 16);
    struct rw_result r = rw_buf_append_str(&b, "{");
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, true, "output", q->output));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "bytes", bytes));
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", (unsigned)ADM_EXPORT_ARCHIVE_MODE);
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "mode", mode));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "certificates", (int64_t)t->n_certs));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "revoked", (int64_t)t->n_revoked));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "cas", (int64_t)t->n_cas));
    ADM_EXPORT_ACC(r, rw_json_kv_int(&b, false, "pages", (int64_t)pages));
    ADM_EXPORT_ACC(r, rw_json_kv_str(&b, false, "index", "index.json"));
    ADM_EXPORT_ACC(r, rw_json_kv_bool(&b, false, "private_keys", false));
    ADM_EXPORT_ACC(r, rw_buf_append_str(&b, "}\n"));
    if (rw_ok(r)) {
        fwrite(b.data, 1, b.len, stdout);
    }
    rw_buf_cleanup(&b);
    return r;
}

struct rw_result adm_export_tar_pages(struct adm_export_tar *t, adm_export_page_fn page,
                                      void *src)
{
    struct rw_result r = RW_SUCCESS;
    int64_t after = 0;
    size_t pages = 0;
    bool more = true;
    while (rw_ok(r) && more) {
        r = page(src, t, t->q->page_size, &after, &more);
        pages++;
    }
    if (!rw_ok(r)) {
        adm_export_tar_abort(t);
        return r;
    }
    return adm_export_tar_commit(t, pages);
}

struct rw_result adm_export_tar_commit(struct adm_export_tar *t, size_t pages)
{
    struct rw_result r = add_index(t);
    if (rw_ok(r) && archive_write_close(t->ar) != ARCHIVE_OK) {
        r = ar_fail(t, "finishing");
    }
    struct stat st;
    long long bytes = rw_ok(r) && fstat(t->file.fd, &st) == 0 ? (long long)st.st_size : 0;
    if (!rw_ok(r)) {
        adm_export_tar_abort(t);
        return r;
    }
    r = adm_export_place(&t->file, t->q->output, ADM_EXPORT_ARCHIVE_MODE, t->q->force);
    if (rw_ok(r)) {
        r = print_summary(t, pages, bytes);
    }
    tar_free(t);
    return r;
}
