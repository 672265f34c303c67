/* admin/adm_renew.c — `certs renew`: a certificate renews itself over the
 * admin RPC (RenewSelf), authenticated by the certificate it replaces.
 *
 * A new key is made here (the old key's algorithm unless --key-alg) and
 * never leaves the machine; only a CSR naming the same principal is sent.
 * Outputs: --out DIR gives DIR/P.pem, DIR/P.key, DIR/ca-chain.pem; without
 * it the certificate and key are replaced in place and the chain is written
 * next to the certificate. Each output is first written as NAME.new and
 * then renamed, key before certificate; a run interrupted between the two
 * renames is completed by the next run. --before F renews only once the
 * fraction F of the lifetime has passed (for a systemd timer). The key's
 * directory holds KEY.lock, flock'ed for the whole run.
 *
 * Exit codes (as `certs request`): 0 renewed or not yet due, 1 locked by
 * another run, 127 any other error (nothing replaced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "admin/adm_common.h"
#include "admin/adm_result.h"
#include "admin/adm_csr.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_buf.h"
#include "security/sec_ident.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

enum { EXIT_DONE = 0, EXIT_LOCKED = 1, EXIT_OTHER = 127 };

struct renew_ctx {
    const struct adm_args *a;
    const char *cert_in, *key_in;
    char cert_out[ADM_PATH_MAX], key_out[ADM_PATH_MAX], chain_out[ADM_PATH_MAX];
    char cert_new[ADM_PATH_MAX + 8], key_new[ADM_PATH_MAX + 8], lock[ADM_PATH_MAX + 8];
    char principal[256];
    X509 *cur;
    EVP_PKEY *cur_key, *new_key;
};

static struct rw_result read_key(const char *path, EVP_PKEY **out)
{
    struct rw_buf b;
    rw_buf_init(&b, 64 * 1024);
    struct rw_result r = rw_buf_read_file(&b, path);
    if (rw_ok(r)) {
        r = rw_buf_terminate(&b);
    }
    if (rw_ok(r)) {
        r = rw_sec_key_from_pem((const char *)b.data, NULL, out);
    }
    rw_buf_wipe_cleanup(&b);
    if (!rw_ok(r)) {
        char why[256];
        snprintf(why, sizeof(why), "%s", rw_err_detail());
        rw_err_detail_set("cannot read the private key %s: %s", path, why);
    }
    return r;
}

static struct rw_result read_cert(const char *path, X509 **out)
{
    STACK_OF(X509) *sk = NULL;
    RW_GUARD(rw_sec_x509_stack_from_file(path, &sk));
    *out = sk_X509_shift(sk);
    sk_X509_pop_free(sk, X509_free);
    RW_ENSURE_MSG(*out, RW_ERR_IO_CORRUPT, "%s holds no certificate", path);
    return RW_SUCCESS;
}

static bool pair_matches(const char *cert_path, const char *key_path)
{
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    bool ok = rw_ok(read_cert(cert_path, &x)) && rw_ok(read_key(key_path, &k)) &&
              X509_check_private_key(x, k) == 1;
    X509_free(x);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return ok;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static struct rw_result rename_or_fail(const char *from, const char *to)
{
    RW_ENSURE_MSG(rename(from, to) == 0, RW_ERR_IO, "cannot rename %s to %s: %s", from, to,
                  strerror(errno));
    return RW_SUCCESS;
}

/* Completes a run that stopped between its renames; drops stale leftovers. */
static struct rw_result recover(struct renew_ctx *c)
{
    if (exists(c->cert_new) && exists(c->key_new) && pair_matches(c->cert_new, c->key_new)) {
        RW_GUARD(rename_or_fail(c->key_new, c->key_out));
    }
    if (exists(c->cert_new) && !exists(c->key_new) && pair_matches(c->cert_new, c->key_out)) {
        RW_GUARD(rename_or_fail(c->cert_new, c->cert_out));
        printf("completed an interrupted renewal: %s and %s\n", c->cert_out, c->key_out);
    }
    unlink(c->cert_new);
    unlink(c->key_new);
    return RW_SUCCESS;
}

static struct rw_result dir_of(const char *file, char out[ADM_PATH_MAX])
{
    const char *slash = strrchr(file, '/');
    int n = slash ? snprintf(out, ADM_PATH_MAX, "%.*s", (int)(slash - file), file)
                  : snprintf(out, ADM_PATH_MAX, ".");
    RW_ENSURE_MSG(n > 0 && n < ADM_PATH_MAX, RW_ERR_USAGE, "path too long: %s", file);
    if (out[0] == '\0') {
        strcpy(out, "/");
    }
    return RW_SUCCESS;
}

static struct rw_result out_paths(struct renew_ctx *c)
{
    const char *dir = adm_get(c->a, "out");
    char here[ADM_PATH_MAX];
    if (dir) {
        RW_GUARD(adm_mkdirs(dir, 0755));
        RW_GUARD(adm_path(c->cert_out, dir, c->principal, ".pem"));
        RW_GUARD(adm_path(c->key_out, dir, c->principal, ".key"));
    } else {
        RW_GUARD(dir_of(c->cert_in, here));
        dir = here;
        snprintf(c->cert_out, sizeof(c->cert_out), "%s", c->cert_in);
        snprintf(c->key_out, sizeof(c->key_out), "%s", c->key_in);
    }
    RW_GUARD(adm_path(c->chain_out, dir, "ca-chain", ".pem"));
    snprintf(c->cert_new, sizeof(c->cert_new), "%s.new", c->cert_out);
    snprintf(c->key_new, sizeof(c->key_new), "%s.new", c->key_out);
    return RW_SUCCESS;
}

/* The principal from the certificate, the output paths, an interrupted
 * run completed, then the current pair (re-read: recovery may replace it). */
static struct rw_result load_current(struct renew_ctx *c)
{
    RW_GUARD(read_cert(c->cert_in, &c->cur));
    RW_GUARD(rw_sec_cert_cn(c->cur, c->principal, sizeof(c->principal)));
    RW_GUARD(out_paths(c));
    RW_GUARD(recover(c));
    X509_free(c->cur);
    c->cur = NULL;
    RW_GUARD(read_cert(c->cert_in, &c->cur));
    RW_GUARD(read_key(c->key_in, &c->cur_key));
    RW_ENSURE_MSG(X509_check_private_key(c->cur, c->cur_key) == 1, RW_ERR_USAGE,
                  "%s is not the key of %s", c->key_in, c->cert_in);
    return RW_SUCCESS;
}

/* True when --before F says the certificate is not due yet (printed). */
static struct rw_result not_due(struct renew_ctx *c, bool *skip)
{
    *skip = false;
    const char *v = adm_get(c->a, "before");
    if (!v) {
        return RW_SUCCESS;
    }
    double f = 0;
    int64_t nb = 0, na = 0;
    RW_GUARD(adm_parse_fraction(v, &f));
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notBefore(c->cur), &nb));
    RW_GUARD(rw_sec_time_to_unix(X509_get0_notAfter(c->cur), &na));
    int64_t due = nb + (int64_t)((double)(na - nb) * f);
    if ((int64_t)time(NULL) < due) {
        char at[32];
        adm_fmt_time(due, at, sizeof(at));
        printf("%s is not due for renewal until %s (%s of its lifetime): unchanged\n",
               c->cert_in, at, v);
        adm_result_bool("renewed", false);
        adm_result_int("due_at", due);
        *skip = true;
    }
    return RW_SUCCESS;
}

static struct rw_result new_key_and_csr(struct renew_ctx *c, uint8_t **der, size_t *len)
{
    enum rw_key_alg alg;
    const char *v = adm_get(c->a, "key-alg");
    if (v) {
        RW_ENSURE_MSG(rw_sec_key_alg_parse(v, &alg), RW_ERR_USAGE,
                      "unknown key algorithm '%s' (p256, p384, ed25519, rsa3072)", v);
    } else {
        RW_GUARD(rw_sec_key_classify(c->cur_key, &alg));
    }
    RW_GUARD(rw_sec_key_generate(alg, &c->new_key));
    return adm_csr_make(c->new_key, c->principal, der, len);
}

static struct rw_result call(struct renew_ctx *c, Ringward__Admin__AdminFrame **resp)
{
    Ringward__Admin__RenewSelfRequest q = RINGWARD__ADMIN__RENEW_SELF_REQUEST__INIT;
    const char *v = adm_get(c->a, "ttl");
    if (v) {
        RW_GUARD(adm_parse_duration(v, &q.ttl));
    }
    q.revoke_old = adm_flag(c->a, "revoke-old");
    uint8_t *der = NULL;
    size_t len = 0;
    RW_GUARD(new_key_and_csr(c, &der, &len));
    q.csr.data = der;
    q.csr.len = len;
    Ringward__Admin__AdminFrame f = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    f.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_RENEW_SELF;
    f.renew_self = &q;
    struct adm_remote_opts o;
    adm_remote_opts_from(c->a, ADM_REMOTE_CERT, false, &o);
    o.cert_file = c->cert_in;
    o.key_file = c->key_in;
    struct adm_remote *conn = NULL;
    struct rw_result r = adm_remote_open(&o, &conn);
    if (rw_ok(r)) {
        r = adm_remote_call(conn, &f, resp);
    }
    adm_remote_close(conn);
    OPENSSL_free(der);
    return r;
}

static struct rw_result save(struct renew_ctx *c, const Ringward__Admin__RenewSelfResponse *s)
{
    char *pem = NULL;
    RW_GUARD(rw_sec_key_to_pem(c->new_key, NULL, &pem));
    struct rw_result r = rw_sec_secret_write_file(c->key_new, pem);
    rw_sec_secret_free(pem);
    RW_GUARD(r);
    RW_GUARD(rw_sec_public_write_file(c->cert_new, s->cert_pem, strlen(s->cert_pem)));
    RW_GUARD(rw_sec_public_write_file(c->chain_out, s->chain_pem, strlen(s->chain_pem)));
    RW_GUARD(rename_or_fail(c->key_new, c->key_out));
    RW_GUARD(rename_or_fail(c->cert_new, c->cert_out));
    adm_result_bool("renewed", true);
    adm_result_str("serial", s->serial);
    adm_result_str("replaces", s->replaces);
    adm_result_str("cert", c->cert_out);
    adm_result_str("key", c->key_out);
    adm_result_str("chain", c->chain_out);
    printf("wrote %s (new private key, mode 0600; it never left this machine)\n"
           "wrote %s\nwrote %s\nrenewed '%s': serial %s replaces %s%s\n",
           c->key_out, c->cert_out, c->chain_out, c->principal, s->serial, s->replaces,
           adm_flag(c->a, "revoke-old") ? " (revoked)" : " (superseded)");
    return RW_SUCCESS;
}

static struct rw_result renew(struct renew_ctx *c)
{
    RW_GUARD(load_current(c));
    bool skip = false;
    RW_GUARD(not_due(c, &skip));
    if (skip) {
        return RW_SUCCESS;
    }
    Ringward__Admin__AdminFrame *resp = NULL;
    struct rw_result r = call(c, &resp);
    if (rw_ok(r)) {
        r = save(c, resp->renew_self_ok);
    }
    adm_remote_free(resp);
    return r;
}

static int locked_run(struct renew_ctx *c)
{
    snprintf(c->lock, sizeof(c->lock), "%s.lock", c->key_in);
    int fd = open(c->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rw_err_detail_set("cannot open %s: %s", c->lock, strerror(errno));
        adm_report(RW_ERR(RW_ERR_IO));
        return EXIT_OTHER;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "ringward-admin: %s is locked by another run\n", c->lock);
        close(fd);
        return EXIT_LOCKED;
    }
    struct rw_result r = renew(c);
    close(fd); /* releases the lock */
    if (!rw_ok(r)) {
        adm_report(r);
        return EXIT_OTHER;
    }
    return EXIT_DONE;
}

int adm_cmd_certs_renew(const struct adm_args *a)
{
    struct renew_ctx c = {.a = a};
    struct rw_result r = adm_need_server(a);
    if (rw_ok(r)) {
        r = adm_require(a, "cert", &c.cert_in);
    }
    if (rw_ok(r)) {
        r = adm_require(a, "key", &c.key_in);
    }
    int code = rw_ok(r) ? locked_run(&c) : (adm_report(r), EXIT_OTHER);
    X509_free(c.cur);
    EVP_PKEY_free(c.cur_key);
    EVP_PKEY_free(c.new_key);
    return code;
}
