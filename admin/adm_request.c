/* admin/adm_request.c — `certs request`: a machine enrolls itself (the
 * Caramel client's contract, made for cron and systemd timers).
 *
 * Files in --out DIR: P.key (0600, made here, never sent, flock'ed for the
 * whole run), P.csr, P.req (0600: the pending request id and its poll
 * secret), P.pem and ca-chain.pem.
 * Exit codes: 0 issued or unchanged, 1 locked by another run, 69 still
 * pending (--no-wait), 127 any other error (a rejected request removes the
 * key, the CSR and the request id, so the next run starts over).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "admin/adm_csr.h"
#include "admin/adm_remote.h"
#include "admin/adm_remote_cmds.h"
#include "core/rw_buf.h"
#include "security/sec_key.h"
#include "security/sec_ossl.h"

enum { EXIT_ISSUED = 0, EXIT_LOCKED = 1, EXIT_PENDING = 69, EXIT_OTHER = 127 };

struct req_ctx {
    const struct adm_args *a;
    const char *principal, *role, *dir;
    char key[ADM_PATH_MAX], csr[ADM_PATH_MAX], req[ADM_PATH_MAX], pem[ADM_PATH_MAX];
    int key_fd;
    EVP_PKEY *pkey;
    char poll_secret[80];  /* of the pending request (from Enroll or P.req) */
};

static int fail(struct rw_result r)
{
    adm_report(r);
    return EXIT_OTHER;
}

/* An existing certificate that is valid, ours, and for this key. */
static bool unchanged(struct req_ctx *c)
{
    FILE *f = fopen(c->pem, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    bool ok = x && c->pkey && X509_check_private_key(x, c->pkey) == 1 &&
              X509_cmp_time(X509_get0_notAfter(x), NULL) > 0;
    X509_free(x);
    return ok;
}

/* Reads the locked key, or makes one and writes it through the locked fd. */
static struct rw_result key_load_or_make(struct req_ctx *c)
{
    struct rw_buf b;
    rw_buf_init(&b, 64 * 1024);
    char chunk[4096];
    ssize_t n;
    while ((n = read(c->key_fd, chunk, sizeof(chunk))) > 0) {
        RW_GUARD(rw_buf_append(&b, chunk, (size_t)n));
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    struct rw_result r = RW_SUCCESS;
    if (b.len > 0) {
        r = rw_buf_terminate(&b);
        if (rw_ok(r)) {
            r = rw_sec_key_from_pem((const char *)b.data, NULL, &c->pkey);
        }
        rw_buf_wipe_cleanup(&b);
        return r;
    }
    rw_buf_cleanup(&b);
    char *pem = NULL;
    RW_GUARD(rw_sec_key_generate(RW_KEY_P256, &c->pkey));
    RW_GUARD(rw_sec_key_to_pem(c->pkey, NULL, &pem));
    size_t len = strlen(pem);
    bool ok = ftruncate(c->key_fd, 0) == 0 && lseek(c->key_fd, 0, SEEK_SET) == 0 &&
              write(c->key_fd, pem, len) == (ssize_t)len && fsync(c->key_fd) == 0;
    rw_sec_secret_free(pem);
    RW_ENSURE_MSG(ok, RW_ERR_IO, "cannot write %s: %s", c->key, strerror(errno));
    printf("wrote %s (new private key, mode 0600; it never leaves this machine)\n", c->key);
    return RW_SUCCESS;
}

static struct rw_result save_issued(struct req_ctx *c, const Ringward__Admin__EnrollResponse *e)
{
    RW_GUARD(rw_sec_public_write_file(c->pem, e->cert_pem, strlen(e->cert_pem)));
    char chain[ADM_PATH_MAX];
    RW_GUARD(adm_path(chain, c->dir, "ca-chain", ".pem"));
    RW_GUARD(rw_sec_public_write_file(chain, e->chain_pem, strlen(e->chain_pem)));
    unlink(c->req);
    unlink(c->csr);
    adm_result_str("status", "issued");
    adm_result_str("serial", e->serial);
    adm_result_str("cert", c->pem);
    adm_result_str("key", c->key);
    adm_result_str("chain", chain);
    printf("wrote %s\nwrote %s\nissued %s certificate for '%s', serial %s\n", c->pem, chain,
           c->role, c->principal, e->serial);
    return RW_SUCCESS;
}

static int rejected(struct req_ctx *c)
{
    adm_result_str("status", "rejected");
    unlink(c->key);
    unlink(c->csr);
    unlink(c->req);
    fprintf(stderr, "ringward-admin: error: the request for '%s' was rejected by an operator; "
                    "removed %s and its CSR: the next run starts over\n",
            c->principal, c->key);
    return EXIT_OTHER;
}

static int handle(struct req_ctx *c, const Ringward__Admin__EnrollResponse *e)
{
    if (strcmp(e->status, "issued") == 0) {
        struct rw_result r = save_issued(c, e);
        return rw_ok(r) ? EXIT_ISSUED : fail(r);
    }
    if (strcmp(e->status, "rejected") == 0) {
        return rejected(c);
    }
    return EXIT_PENDING;
}

static struct rw_result submit(struct req_ctx *c, struct adm_remote *conn, int64_t *id,
                               Ringward__Admin__AdminFrame **resp)
{
    uint8_t *der = NULL;
    size_t len = 0;
    RW_GUARD(adm_csr_make(c->pkey, c->principal, &der, &len));
    struct rw_result r = rw_sec_public_write_file(c->csr, der, len);
    Ringward__Admin__EnrollRequest q = RINGWARD__ADMIN__ENROLL_REQUEST__INIT;
    q.csr.data = der;
    q.csr.len = len;
    q.role = (char *)c->role;
    const char *token = adm_get(c->a, "token");
    q.token = (char *)(token ? token : "");
    Ringward__Admin__AdminFrame f = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    f.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_ENROLL;
    f.enroll = &q;
    if (rw_ok(r)) {
        r = adm_remote_call(conn, &f, resp);
    }
    OPENSSL_free(der);
    RW_GUARD(r);
    *id = (*resp)->enroll_ok->request_id;
    if (strcmp((*resp)->enroll_ok->status, "pending") == 0) {
        char text[128];
        snprintf(c->poll_secret, sizeof(c->poll_secret), "%s", (*resp)->enroll_ok->poll_secret);
        snprintf(text, sizeof(text), "%lld %s\n", (long long)*id, c->poll_secret);
        struct rw_result w = rw_sec_secret_write_file(c->req, text);
        OPENSSL_cleanse(text, sizeof(text));
        RW_GUARD(w);
        printf("request %lld for '%s' (%s) waits for an operator (certs approve %lld)\n",
               (long long)*id, c->principal, c->role, (long long)*id);
    }
    return RW_SUCCESS;
}

static struct rw_result poll_once(struct req_ctx *c, struct adm_remote *conn, int64_t id,
                                  Ringward__Admin__AdminFrame **resp)
{
    Ringward__Admin__EnrollStatusRequest q = RINGWARD__ADMIN__ENROLL_STATUS_REQUEST__INIT;
    q.request_id = id;
    q.poll_secret = c->poll_secret;
    Ringward__Admin__AdminFrame f = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    f.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_ENROLL_STATUS;
    f.enroll_status = &q;
    return adm_remote_call(conn, &f, resp);
}

/* The pending request id and its poll secret from P.req; 0 when none. */
static int64_t saved_request(struct req_ctx *c)
{
    FILE *f = fopen(c->req, "r");
    long long id = 0;
    if (f) {
        if (fscanf(f, "%lld %64s", &id, c->poll_secret) != 2) {
            id = 0;
        }
        fclose(f);
    }
    return id;
}

static int run(struct req_ctx *c)
{
    if (unchanged(c)) {
        printf("%s is valid and matches %s: unchanged\n", c->pem, c->key);
        adm_result_str("status", "unchanged");
        adm_result_str("cert", c->pem);
        return EXIT_ISSUED;
    }
    int64_t interval = 5, max_wait = 0;
    const char *v;
    struct rw_result r = RW_SUCCESS;
    if ((v = adm_get(c->a, "poll-interval"))) {
        r = adm_parse_duration(v, &interval);
    }
    if (rw_ok(r) && (v = adm_get(c->a, "max-wait"))) {
        r = adm_parse_duration(v, &max_wait);
    }
    struct adm_remote_opts o;
    adm_remote_opts_from(c->a, ADM_REMOTE_NO_CERT, false, &o);
    struct adm_remote *conn = NULL;
    if (rw_ok(r)) {
        r = adm_remote_open(&o, &conn);
    }
    int64_t id = saved_request(c), start = (int64_t)time(NULL);
    Ringward__Admin__AdminFrame *resp = NULL;
    if (rw_ok(r)) {
        r = id ? poll_once(c, conn, id, &resp) : submit(c, conn, &id, &resp);
    }
    int code = EXIT_OTHER;
    while (rw_ok(r)) {
        const Ringward__Admin__EnrollResponse *e =
            resp->body_case == RINGWARD__ADMIN__ADMIN_FRAME__BODY_ENROLL_OK ? resp->enroll_ok
                                                                           : resp->enroll_status_ok;
        code = handle(c, e);
        adm_remote_free(resp);
        resp = NULL;
        if (code != EXIT_PENDING || adm_flag(c->a, "no-wait") ||
            (max_wait > 0 && (int64_t)time(NULL) - start >= max_wait)) {
            break;
        }
        sleep((unsigned)interval);
        r = poll_once(c, conn, id, &resp);
    }
    adm_remote_free(resp);
    adm_remote_close(conn);
    if (code == EXIT_PENDING) {
        printf("request %lld is still pending: run again to resume polling\n", (long long)id);
        adm_result_str("status", "pending");
        adm_result_int("request_id", id);
    }
    return rw_ok(r) ? code : fail(r);
}

static struct rw_result paths(struct req_ctx *c)
{
    RW_GUARD(adm_path(c->key, c->dir, c->principal, ".key"));
    RW_GUARD(adm_path(c->csr, c->dir, c->principal, ".csr"));
    RW_GUARD(adm_path(c->req, c->dir, c->principal, ".req"));
    RW_GUARD(adm_path(c->pem, c->dir, c->principal, ".pem"));
    return adm_mkdirs(c->dir, 0755);
}

int adm_cmd_certs_request(const struct adm_args *a)
{
    struct req_ctx c = {.a = a, .key_fd = -1};
    struct rw_result r = adm_require(a, "principal", &c.principal);
    if (rw_ok(r)) {
        r = adm_require(a, "role", &c.role);
    }
    if (rw_ok(r)) {
        r = adm_require(a, "out", &c.dir);
    }
    if (rw_ok(r)) {
        r = paths(&c);
    }
    if (!rw_ok(r)) {
        return fail(r);
    }
    c.key_fd = open(c.key, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c.key_fd < 0) {
        rw_err_detail_set("cannot open %s: %s", c.key, strerror(errno));
        return fail(RW_ERR(RW_ERR_IO));
    }
    if (flock(c.key_fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "ringward-admin: %s is locked by another run\n", c.key);
        close(c.key_fd);
        return EXIT_LOCKED;
    }
    int code;
    r = key_load_or_make(&c);
    code = rw_ok(r) ? run(&c) : fail(r);
    EVP_PKEY_free(c.pkey);
    close(c.key_fd); /* releases the lock */
    return code;
}
