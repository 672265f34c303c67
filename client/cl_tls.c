/* client/cl_tls.c — the client's SSL_CTX: TLS 1.3, leaf-only, CA-file trust.
 *
 * Loading one costs more than a handshake's worth of parsing (certificate,
 * key, every CA of the bundle), so contexts are cached process-wide: a
 * connect with the same three files, unchanged (device, inode, size and
 * modification time of each), shares the context of the previous one. A
 * renewed certificate or a new CA bundle is a different key: loaded anew.
 * Each caller owns a reference (SSL_CTX_free); the cache holds one more.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "client/cl_conn.h"
#include "client/cl_err.h"

static const char *ossl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown OpenSSL error";
}

/* Never prompt on a terminal for an encrypted key: fail instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static struct rw_result readable(const char *path, const char *what,
                                 struct rw_client_error *err)
{
    if (!path || !path[0]) {
        rw_cl_err_set(err, 0, "no %s file given", what);
        RW_BAIL(RW_ERR_USAGE);
    }
    if (access(path, R_OK) != 0) {
        rw_cl_err_set(err, 0, "cannot read %s file %s: %s", what, path, strerror(errno));
        RW_BAIL(RW_ERR_IO);
    }
    return RW_SUCCESS;
}

static struct rw_result load(SSL_CTX *ctx, const struct rw_client_opts *o,
                             struct rw_client_error *err)
{
    if (SSL_CTX_use_certificate_file(ctx, o->cert_file, SSL_FILETYPE_PEM) != 1) {
        rw_cl_err_set(err, 0, "cannot load client certificate %s: %s", o->cert_file,
                      ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            rw_cl_err_set(err, 0, "private key %s does not belong to certificate %s",
                          o->key_file, o->cert_file);
            RW_BAIL(RW_ERR_USAGE);
        }
        rw_cl_err_set(err, 0, "cannot load private key %s: %s", o->key_file, ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        rw_cl_err_set(err, 0, "private key %s does not belong to certificate %s", o->key_file,
                      o->cert_file);
        RW_BAIL(RW_ERR_USAGE);
    }
    /* Every certificate of the file (intermediate and root) becomes trusted. */
    if (SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1) {
        rw_cl_err_set(err, 0, "cannot load CA file %s: %s", o->ca_file, ossl_reason());
        RW_BAIL(RW_ERR_IO_CORRUPT);
    }
    return RW_SUCCESS;
}

static struct rw_result ctx_new(const struct rw_client_opts *o, SSL_CTX **out,
                               struct rw_client_error *err)
{
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        rw_cl_err_set(err, 0, "cannot create a TLS context: %s", ossl_reason());
        RW_BAIL(RW_ERR_CRYPTO);
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* Only the leaf goes on the wire: the broker completes the chain from
     * its cached CA set (parsing each extra certificate costs it ~130 µs). */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    struct rw_result r = load(ctx, o, err);
    ERR_clear_error();
    if (!rw_ok(r)) {
        SSL_CTX_free(ctx);
        return r;
    }
    *out = ctx;
    return RW_SUCCESS;
}

/* ---- the context cache ---- */

#define CACHE_SLOTS 4
#define PATH_MAX_LEN 1024

struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct cache_ent {
    SSL_CTX *ctx;                 /* one reference; NULL = empty */
    char paths[3][PATH_MAX_LEN];  /* cert, key, CA */
    struct file_id ids[3];
    unsigned long used;           /* for LRU eviction */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache_ent cache[CACHE_SLOTS];
static unsigned long cache_clock;

/* The identity of each file; false when one cannot be named or stat'ed
 * (then nothing is cached). */
static bool key_of(const struct rw_client_opts *o, const char *paths[3], struct file_id ids[3])
{
    paths[0] = o->cert_file;
    paths[1] = o->key_file;
    paths[2] = o->ca_file;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (strlen(paths[i]) >= PATH_MAX_LEN || stat(paths[i], &st) != 0) {
            return false;
        }
        ids[i] = (struct file_id){st.st_dev, st.st_ino, st.st_size, st.st_mtim};
    }
    return true;
}

static bool same(const struct cache_ent *e, const char *paths[3], const struct file_id ids[3])
{
    for (int i = 0; i < 3; i++) {
        const struct file_id *a = &e->ids[i], *b = &ids[i];
        if (strcmp(e->paths[i], paths[i]) != 0 || a->dev != b->dev || a->ino != b->ino ||
            a->size != b->size || a->mtime.tv_sec != b->mtime.tv_sec ||
            a->mtime.tv_nsec != b->mtime.tv_nsec) {
            return false;
        }
    }
    return true;
}

/* A referenced context for these files, or NULL. Caller holds cache_mu. */
static SSL_CTX *cache_get(const char *paths[3], const struct file_id ids[3])
{
    for (int i = 0; i < CACHE_SLOTS; i++) {
        struct cache_ent *e = &cache[i];
        if (e->ctx && same(e, paths, ids) && SSL_CTX_up_ref(e->ctx) == 1) {
            e->used = ++cache_clock;
            return e->ctx;
        }
    }
    return NULL;
}

/* Remembers ctx for these files (the least recently used entry makes
 * room). Caller holds cache_mu. */
static void cache_put(SSL_CTX *ctx, const char *paths[3], const struct file_id ids[3])
{
    struct cache_ent *victim = &cache[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (!cache[i].ctx || same(&cache[i], paths, ids)) {
            victim = &cache[i];
            break;
        }
        if (cache[i].used < victim->used) {
            victim = &cache[i];
        }
    }
    if (SSL_CTX_up_ref(ctx) != 1) {
        return;
    }
    SSL_CTX_free(victim->ctx);
    victim->ctx = ctx;
    for (int i = 0; i < 3; i++) {
        snprintf(victim->paths[i], sizeof(victim->paths[i]), "%s", paths[i]);
        victim->ids[i] = ids[i];
    }
    victim->used = ++cache_clock;
}

struct rw_result rw_cl_tls_ctx(const struct rw_client_opts *o, SSL_CTX **out,
                               struct rw_client_error *err)
{
    RW_GUARD(readable(o->cert_file, "client certificate", err));
    RW_GUARD(readable(o->key_file, "private key", err));
    RW_GUARD(readable(o->ca_file, "CA", err));
    const char *paths[3];
    struct file_id ids[3];
    bool cacheable = key_of(o, paths, ids);
    pthread_mutex_lock(&cache_mu);
    SSL_CTX *ctx = cacheable ? cache_get(paths, ids) : NULL;
    pthread_mutex_unlock(&cache_mu);
    if (ctx) {
        *out = ctx;
        return RW_SUCCESS;
    }
    RW_GUARD(ctx_new(o, &ctx, err));
    if (cacheable) {
        pthread_mutex_lock(&cache_mu);
        cache_put(ctx, paths, ids);
        pthread_mutex_unlock(&cache_mu);
    }
    *out = ctx;
    return RW_SUCCESS;
}

void rw_cl_tls_ctx_cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        SSL_CTX_free(cache[i].ctx);
        memset(&cache[i], 0, sizeof(cache[i]));
    }
    pthread_mutex_unlock(&cache_mu);
}
