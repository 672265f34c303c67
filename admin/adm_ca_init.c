/* admin/adm_ca_init.c — `ca init --cn NAME`: a new self-signed root CA in
 * a data directory (offline only: the key is made where the store is).
 *
 * Without a store one is created (the root is its only CA; `ca
 * intermediate` adds an issuing CA under it); with one, the root is added
 * beside the existing hierarchy. The id is a unique slug of NAME. Writes
 * DATA/pki/ID.pem. A store created here is removed again when the root
 * cannot be made.
 */
#include <stdio.h>
#include <unistd.h>

#include "admin/adm_cmds.h"
#include "core/rw_json.h"
#include "security/sec_key.h"

struct ca_init {
    const struct adm_args *a;
    struct rw_store *store;
    struct rw_sec_ca ca;
    bool created;
    char id[RW_STORE_ID_MAX], pem_path[ADM_PATH_MAX];
};

static struct rw_result passphrase_for_new_store(struct ca_init *c)
{
    if (adm_flag(c->a, "insecure-dev-keys")) {
        return rw_store_meta_set(c->store, "insecure_dev_keys", "1");
    }
    char *pass = NULL;
    struct rw_result r = rw_sec_passphrase_load(adm_get(c->a, "passphrase-file"), &pass);
    RW_ENSURE_MSG(r.err != RW_ERR_NOT_FOUND, RW_ERR_AUTH_PASSPHRASE,
                  "CA keys are encrypted at rest: give --passphrase-file FILE or set "
                  "RINGWARD_CA_PASSPHRASE (or --insecure-dev-keys for development)");
    RW_GUARD(r);
    c->ca.passphrase = pass;
    return RW_SUCCESS;
}

static struct rw_result open_or_create(struct ca_init *c)
{
    const char *dir = adm_data_dir(c->a);
    struct rw_result r = rw_store_open(dir, RW_STORE_OPEN_EXISTING, &c->store);
    if (rw_ok(r)) {
        RW_ENSURE_MSG(!adm_flag(c->a, "insecure-dev-keys"), RW_ERR_USAGE,
                      "--insecure-dev-keys only applies to a new data directory; %s exists", dir);
        return adm_ca_open(c->a, c->store, &c->ca);
    }
    RW_ENSURE(r.err == RW_ERR_NOT_FOUND, r.err);
    RW_GUARD(rw_store_open(dir, RW_STORE_CREATE_NEW, &c->store));
    c->created = true;
    c->ca.store = c->store;
    c->ca.actor = adm_actor();
    return passphrase_for_new_store(c);
}

static struct rw_result options(const struct adm_args *a, struct rw_sec_ca_opts *o)
{
    RW_GUARD(adm_require(a, "cn", &o->cn));
    const char *v = adm_get(a, "org");
    o->org = v ? v : "Ringward";
    o->alg = RW_KEY_P256;
    o->path_len = 1;
    if ((v = adm_get(a, "key-alg"))) {
        RW_ENSURE_MSG(rw_sec_key_alg_parse(v, &o->alg), RW_ERR_USAGE,
                      "unknown --key-alg '%s' (p256, p384, ed25519, rsa3072)", v);
    }
    int64_t n = 0;
    if ((v = adm_get(a, "path-len"))) {
        RW_GUARD(adm_parse_int(v, -1, 8, &n));
        o->path_len = (int)n;
    }
    if ((v = adm_get(a, "ttl"))) {
        RW_GUARD(adm_parse_duration(v, &o->ttl));
    }
    return RW_SUCCESS;
}

static struct rw_result write_root(struct ca_init *c)
{
    char pki[ADM_PATH_MAX], *pem = NULL;
    size_t len = 0;
    RW_GUARD(adm_path(pki, adm_data_dir(c->a), "pki", ""));
    RW_GUARD(adm_mkdirs(pki, 0755));
    RW_GUARD(adm_path(c->pem_path, pki, c->id, ".pem"));
    RW_GUARD(rw_sec_ca_chain_pem(c->store, c->id, &pem, &len));
    struct rw_result r = rw_sec_public_write_file(c->pem_path, pem, len);
    free(pem);
    return r;
}

static void print_result(const struct ca_init *c, const struct rw_sec_ca_opts *o)
{
    if (!adm_flag(c->a, "json")) {
        printf("created root CA '%s' (%s key, %s)\nwrote %s\n", c->id, rw_sec_key_alg_name(o->alg),
               c->ca.passphrase ? "encrypted in the store" : "PLAINTEXT: development only",
               c->pem_path);
        if (c->created) {
            printf("next: ringward-admin ca intermediate --parent-ca %s --cn 'Issuing CA'\n", c->id);
        }
        return;
    }
    struct rw_buf b;
    rw_buf_init(&b, 8192);
    struct rw_result r = rw_buf_append_str(&b, "{");
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, true, "id", c->id);
    }
    if (rw_ok(r)) {
        r = rw_json_kv_str(&b, false, "cert", c->pem_path);
    }
    if (rw_ok(r) && rw_ok(r = rw_buf_append_str(&b, "}\n"))) {
        fwrite(b.data, 1, b.len, stdout);
    }
    rw_buf_cleanup(&b);
}

static void remove_new_store(const char *dir)
{
    static const char *const files[] = {"ringward.db", "ringward.db-wal", "ringward.db-shm"};
    char path[ADM_PATH_MAX];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (rw_ok(adm_path(path, dir, files[i], ""))) {
            unlink(path);
        }
    }
    rmdir(dir); /* only when empty: a directory that held anything else stays */
}

int adm_cmd_ca_init(const struct adm_args *a)
{
    struct ca_init c = {.a = a};
    struct rw_sec_ca_opts o = {0};
    struct rw_result r = options(a, &o);
    if (rw_ok(r)) {
        r = open_or_create(&c);
    }
    if (rw_ok(r)) {
        r = rw_sec_ca_create(&c.ca, &o, c.id);
    }
    if (rw_ok(r)) {
        r = write_root(&c);
    }
    if (rw_ok(r)) {
        print_result(&c, &o);
    }
    adm_ca_cleanup(&c.ca);
    rw_store_close(c.store);
    if (!rw_ok(r) && c.created) {
        remove_new_store(adm_data_dir(a));
    }
    return adm_report(r);
}
