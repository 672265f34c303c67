/* admin/adm_common.c — store/CA setup, errors and output files for commands. */
#include "admin/adm_common.h"
#include "admin/adm_result.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/rw_hex.h"
#include "security/sec_cert.h"
#include "security/sec_key.h"

const char *adm_data_dir(const struct adm_args *a)
{
    const char *d = adm_get(a, "data-dir");
    return d && d[0] ? d : ADM_DEFAULT_DATA_DIR;
}

struct rw_result adm_store_open(const struct adm_args *a, struct rw_store **out)
{
    RW_GUARD(rw_store_open(adm_data_dir(a), RW_STORE_OPEN_EXISTING, out));
    if (rw_sec_ca_dev_keys(*out)) {
        fprintf(stderr, "ringward-admin: warning: %s uses plaintext CA keys "
                        "(--insecure-dev-keys): for development only\n", adm_data_dir(a));
    }
    return RW_SUCCESS;
}

int adm_with_store(const struct adm_args *a, adm_store_fn fn)
{
    struct rw_store *s = NULL;
    struct rw_result r = adm_store_open(a, &s);
    if (rw_ok(r)) {
        r = fn(a, s);
    }
    rw_store_close(s);
    return adm_report(r);
}

struct rw_result adm_ca_open(const struct adm_args *a, struct rw_store *s, struct rw_sec_ca *ca)
{
    memset(ca, 0, sizeof(*ca));
    ca->store = s;
    ca->actor = adm_actor();
    if (rw_sec_ca_dev_keys(s)) {
        return RW_SUCCESS;
    }
    char *pass = NULL;
    struct rw_result r = rw_sec_passphrase_load(adm_get(a, "passphrase-file"), &pass);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_AUTH_PASSPHRASE,
                  "the CA keys are encrypted: give --passphrase-file FILE or set "
                  "RINGWARD_CA_PASSPHRASE");
    RW_GUARD(r);
    ca->passphrase = pass;
    return RW_SUCCESS;
}

void adm_ca_cleanup(struct rw_sec_ca *ca)
{
    rw_sec_secret_free((char *)ca->passphrase);
    ca->passphrase = NULL;
}

const char *adm_actor(void)
{
    static char actor[128];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(actor, sizeof(actor), "local:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    return actor;
}

int adm_report(struct rw_result r)
{
    if (rw_ok(r)) {
        return ADM_EXIT_OK;
    }
    const char *detail = rw_err_detail();
    fprintf(stderr, "ringward-admin: error: %s (%s)\n", detail[0] ? detail : rw_err_str(r.err),
            rw_err_name(r.err));
    adm_result_str("error", detail[0] ? detail : rw_err_str(r.err));
    adm_result_str("code", rw_err_name(r.err));
    return r.err == RW_ERR_USAGE ? ADM_EXIT_USAGE : ADM_EXIT_FAIL;
}

struct rw_result adm_mkdirs(const char *path, int mode)
{
    char buf[4096];
    RW_ENSURE_MSG(strlen(path) < sizeof(buf), RW_ERR_USAGE, "path too long: %s", path);
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) {
                RW_BAIL_MSG(RW_ERR_IO, "cannot create %s: %s", buf, strerror(errno));
            }
            *p = '/';
        }
    }
    RW_ENSURE_MSG(mkdir(buf, (mode_t)mode) == 0 || errno == EEXIST, RW_ERR_IO,
                  "cannot create %s: %s", buf, strerror(errno));
    return RW_SUCCESS;
}

struct rw_result adm_path(char out[ADM_PATH_MAX], const char *dir, const char *name, const char *ext)
{
    int n = snprintf(out, ADM_PATH_MAX, "%s/%s%s", dir, name, ext);
    RW_ENSURE_MSG(n > 0 && n < ADM_PATH_MAX, RW_ERR_USAGE, "path too long: %s/%s%s", dir, name, ext);
    return RW_SUCCESS;
}

struct rw_result adm_write_bundle(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                                  const char *chain_pem, size_t chain_len)
{
    char path[ADM_PATH_MAX];
    char *pem = NULL;
    size_t len = 0;
    RW_GUARD(adm_mkdirs(dir, 0755));
    RW_GUARD(adm_path(path, dir, name, ".pem"));
    RW_GUARD(rw_sec_cert_append_pem(cert, &pem, &len));
    struct rw_result r = rw_sec_public_write_file(path, pem, len);
    free(pem);
    RW_GUARD(r);
    printf("wrote %s\n", path);
    adm_result_str("cert", path);
    if (key) {
        char *key_pem = NULL;
        RW_GUARD(rw_sec_key_to_pem(key, NULL, &key_pem));
        RW_GUARD(adm_path(path, dir, name, ".key"));
        r = rw_sec_secret_write_file(path, key_pem);
        rw_sec_secret_free(key_pem);
        RW_GUARD(r);
        printf("wrote %s (private key, mode 0600)\n", path);
        adm_result_str("key", path);
    }
    if (chain_pem) {
        RW_GUARD(adm_path(path, dir, "ca-chain", ".pem"));
        RW_GUARD(rw_sec_public_write_file(path, chain_pem, chain_len));
        printf("wrote %s\n", path);
        adm_result_str("chain", path);
    }
    return RW_SUCCESS;
}

struct rw_result adm_parse_serial(const char *text, uint8_t *out, size_t *len)
{
    char clean[128];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ':') {
            continue;
        }
        RW_ENSURE_MSG(n < sizeof(clean) - 1, RW_ERR_USAGE, "serial number too long: %s", text);
        clean[n++] = *p;
    }
    clean[n] = '\0';
    struct rw_result r = rw_hex_decode(clean, out, RW_STORE_SERIAL_MAX, len);
    RW_ENSURE_MSG(rw_ok(r), RW_ERR_USAGE,
                  "'%s' is not a serial number (hex, as `openssl x509 -serial` prints it)", text);
    return RW_SUCCESS;
}

void adm_fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm);
}
