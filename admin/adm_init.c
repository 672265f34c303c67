/* admin/adm_init.c — `ringward-admin init`: a CA hierarchy and demo identities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/adm_cmds.h"
#include "admin/adm_result.h"
#include "security/sec_acl.h"
#include "security/sec_cert.h"
#include "security/sec_key.h"

struct demo_identity {
    const char *name;
    enum rw_role role;
};

static const struct demo_identity demo[] = {
    {"broker", RW_ROLE_BROKER},
    {"admin", RW_ROLE_ADMIN},
    {"producer-1", RW_ROLE_PRODUCER},
    {"consumer-1", RW_ROLE_CONSUMER},
};

/* The rules the demo needs: the demo identities on demo.* topics, and the
 * admin on everything (topics and the cluster). */
static const struct {
    const char *principal, *resource;
    unsigned ops;
} demo_acls[] = {
    {"producer-1", "demo.*", RW_ACL_PRODUCE},
    {"consumer-1", "demo.*", RW_ACL_CONSUME},
    {"admin", "*", RW_ACL_ALL},
    {"admin", RW_ACL_CLUSTER, RW_ACL_ALL},
};

/* Each rule is its own transaction with its acl.added event. */
static struct rw_result seed_acls(struct rw_store *s)
{
    for (size_t i = 0; i < sizeof(demo_acls) / sizeof(demo_acls[0]); i++) {
        struct rw_sec_acl_rule rule;
        RW_GUARD(rw_sec_acl_rule_make(&rule, demo_acls[i].principal, demo_acls[i].resource,
                                      demo_acls[i].ops, RW_ACL_ALLOW));
        int64_t id = 0;
        RW_GUARD(rw_sec_acl_add(s, adm_actor(), &rule, &id));
        char text[RW_ACL_RULE_STR_MAX];
        rw_sec_acl_rule_format(&rule, text);
        printf("added ACL rule %lld: %s\n", (long long)id, text);
    }
    return RW_SUCCESS;
}

static struct rw_result write_ca_files(struct rw_store *s, const char *pki, const char *root_id,
                                       const char *int_id)
{
    char path[ADM_PATH_MAX];
    char *pem = NULL;
    size_t len = 0;
    RW_GUARD(adm_path(path, pki, "root-ca", ".pem"));
    RW_GUARD(rw_sec_ca_chain_pem(s, root_id, &pem, &len));
    struct rw_result r = rw_sec_public_write_file(path, pem, len);
    free(pem);
    RW_GUARD(r);
    printf("wrote %s\n", path);
    RW_GUARD(adm_path(path, pki, "ca-chain", ".pem"));
    RW_GUARD(rw_sec_ca_chain_pem(s, int_id, &pem, &len));
    r = rw_sec_public_write_file(path, pem, len);
    if (rw_ok(r)) {
        printf("wrote %s\n", path);
        /* The chain is intermediate then root: the first block is the intermediate. */
        const char *end = strstr(pem, "-----END CERTIFICATE-----");
        size_t first = end ? (size_t)(end - pem) + strlen("-----END CERTIFICATE-----\n") : len;
        r = adm_path(path, pki, "intermediate-ca", ".pem");
        if (rw_ok(r)) {
            r = rw_sec_public_write_file(path, pem, first > len ? len : first);
        }
        if (rw_ok(r)) {
            printf("wrote %s\n", path);
        }
    }
    free(pem);
    return r;
}

static struct rw_result issue_demo(const struct rw_sec_ca *ca, const char *pki, const char *int_id)
{
    static const char *const dns[] = {"localhost"};
    static const char *const ips[] = {"127.0.0.1", "::1"};
    for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
        bool broker = demo[i].role == RW_ROLE_BROKER;
        struct rw_sec_issue_opts o = {
            .ca_id = int_id, .principal = demo[i].name, .role = demo[i].role,
            .dns = broker ? dns : NULL, .n_dns = broker ? 1 : 0,
            .ips = broker ? ips : NULL, .n_ips = broker ? 2 : 0, .alg = RW_KEY_P256,
        };
        X509 *cert = NULL;
        EVP_PKEY *key = NULL;
        RW_GUARD(rw_sec_ca_issue(ca, &o, &cert, &key));
        struct rw_result r = adm_write_bundle(pki, demo[i].name, cert, key, NULL, 0);
        X509_free(cert);
        EVP_PKEY_free(key);
        RW_GUARD(r);
    }
    return RW_SUCCESS;
}

static struct rw_result build(const struct adm_args *a, struct rw_store *s, const char *pass)
{
    const char *dir = adm_data_dir(a);
    const char *alg_name = adm_get(a, "key-alg");
    enum rw_key_alg alg = RW_KEY_P256;
    RW_ENSURE_MSG(!alg_name || rw_sec_key_alg_parse(alg_name, &alg), RW_ERR_USAGE,
                  "unknown --key-alg '%s' (p256, p384, ed25519, rsa3072)", alg_name);
    if (!pass) {
        RW_GUARD(rw_store_meta_set(s, "insecure_dev_keys", "1"));
    }
    struct rw_sec_ca ca = {.store = s, .passphrase = pass, .actor = adm_actor()};
    const char *org = adm_get(a, "org");
    struct rw_sec_ca_opts root = {.cn = "Root CA", .org = org ? org : "Ringward", .alg = alg,
                                  .path_len = 1};
    char root_id[RW_STORE_ID_MAX], int_id[RW_STORE_ID_MAX];
    RW_GUARD(rw_sec_ca_create(&ca, &root, root_id));
    struct rw_sec_ca_opts mid = root;
    mid.cn = "Intermediate CA";
    mid.parent_id = root_id;
    mid.path_len = 0;
    RW_GUARD(rw_sec_ca_create(&ca, &mid, int_id));
    RW_GUARD(rw_store_meta_set(s, "default_ca", int_id));
    adm_result_str("root", root_id);
    adm_result_str("intermediate", int_id);
    printf("created root CA '%s' and intermediate CA '%s' (%s keys, %s)\n", root_id, int_id,
           rw_sec_key_alg_name(alg), pass ? "encrypted in the store" : "PLAINTEXT: development only");
    char pki[ADM_PATH_MAX];
    RW_GUARD(adm_path(pki, dir, "pki", ""));
    RW_GUARD(adm_mkdirs(pki, 0755));
    RW_GUARD(write_ca_files(s, pki, root_id, int_id));
    adm_result_str("pki", pki);
    adm_result_mute(true); /* the bundles' paths follow from pki/ */
    struct rw_result r = issue_demo(&ca, pki, int_id);
    adm_result_mute(false);
    RW_GUARD(r);
    return seed_acls(s);
}

static void remove_partial(const char *dir)
{
    static const char *const files[] = {
        "ringward.db", "ringward.db-wal", "ringward.db-shm", "pki/root-ca.pem",
        "pki/intermediate-ca.pem", "pki/ca-chain.pem",
    };
    char path[ADM_PATH_MAX], pki[ADM_PATH_MAX];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (rw_ok(adm_path(path, dir, files[i], ""))) {
            unlink(path);
        }
    }
    if (!rw_ok(adm_path(pki, dir, "pki", ""))) {
        return;
    }
    for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
        if (rw_ok(adm_path(path, pki, demo[i].name, ".pem"))) {
            unlink(path);
        }
        if (rw_ok(adm_path(path, pki, demo[i].name, ".key"))) {
            unlink(path);
        }
    }
}

int adm_cmd_init(const struct adm_args *a)
{
    const char *dir = adm_data_dir(a);
    char *pass = NULL;
    struct rw_result r = RW_SUCCESS;
    if (!adm_flag(a, "insecure-dev-keys")) {
        r = rw_sec_passphrase_load(adm_get(a, "passphrase-file"), &pass);
        if (r.err == RW_ERR_NOT_FOUND) {
            rw_err_detail_set("CA keys are encrypted at rest: give --passphrase-file FILE or set "
                              "RINGWARD_CA_PASSPHRASE (or --insecure-dev-keys for development)");
            r = RW_ERR(RW_ERR_AUTH_PASSPHRASE);
        }
        if (!rw_ok(r)) {
            return adm_report(r);
        }
    }
    struct rw_store *s = NULL;
    r = rw_store_open(dir, RW_STORE_CREATE_NEW, &s);
    if (r.err == RW_ERR_EXISTS) {
        rw_err_detail_set("%s is already initialised: nothing changed", dir);
    }
    if (rw_ok(r)) {
        r = build(a, s, pass);
        rw_store_close(s);
        if (!rw_ok(r)) {
            remove_partial(dir);
        }
    }
    rw_sec_secret_free(pass);
    if (rw_ok(r)) {
        printf("initialised %s\n", dir);
        adm_result_str("data_dir", dir);
    }
    return adm_report(r);
}
