/* The authentication manager: validation cache hits and misses, revocation
 * and expiry re-checked on every hit, trust swaps, resumed sessions, and
 * rejections counted by reason. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/sec_auth.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_tls.h"

static struct tl_pki *pki;
static struct rw_sec_auth *auth;

static void setup(void)
{
    pki = tl_pki_new("sec-auth");
    cr_assert_not_null(pki);
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert_not_null(t);
    struct rw_sec_auth_cfg cfg = {.cache_capacity = 64};
    cr_assert(rw_ok(rw_sec_auth_new(&cfg, t, &auth)), "%s", rw_err_detail());
    rw_sec_trust_unref(t);
}

static void teardown(void)
{
    rw_sec_auth_free(auth);
    tl_pki_free(pki);
}

static struct rw_sec_auth_stats stats(void)
{
    struct rw_sec_auth_stats s;
    rw_sec_auth_stats_get(auth, &s);
    return s;
}

static void reload_trust(void)
{
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert_not_null(t);
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
}

static enum rw_err check(X509 *leaf, int64_t now, struct rw_sec_identity *id)
{
    return rw_sec_auth_check_chain(auth, leaf, NULL, now, id).err;
}

TestSuite(sec_auth, .init = setup, .fini = teardown, .timeout = 60);

Test(sec_auth, a_second_check_of_the_same_chain_hits_the_cache)
{
    X509 *leaf = tl_pki_issue(pki, "producer-1", RW_ROLE_PRODUCER, 0);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_OK, "%s", rw_err_detail());
    cr_assert_str_eq(id.principal, "producer-1");
    cr_assert_eq(id.role, RW_ROLE_PRODUCER);
    memset(&id, 0, sizeof(id));
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    cr_assert_str_eq(id.principal, "producer-1", "the identity comes from the cache");
    cr_assert_eq(id.chain_len, 3);
    struct rw_sec_auth_stats s = stats();
    cr_assert_eq(s.cache_misses, 1);
    cr_assert_eq(s.cache_hits, 1);
    cr_assert_eq(s.accepted_full, 2);
    X509_free(leaf);
}

Test(sec_auth, the_chain_sent_is_part_of_the_key)
{
    X509 *leaf = tl_pki_issue(pki, "producer-2", RW_ROLE_PRODUCER, 0);
    STACK_OF(X509) *sent = NULL;
    char path[700];
    tl_pki_path(pki, "producer-2-chain.crt", path, sizeof(path));
    cr_assert(rw_ok(rw_sec_x509_stack_from_file(path, &sent)));
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    cr_assert_eq(rw_sec_auth_check_chain(auth, leaf, sent, 0, &id).err, RW_OK);
    cr_assert_eq(stats().cache_misses, 2, "leaf alone and leaf+intermediate differ");
    cr_assert_eq(rw_sec_auth_check_chain(auth, leaf, sent, 0, &id).err, RW_OK);
    cr_assert_eq(stats().cache_hits, 1);
    sk_X509_pop_free(sent, X509_free);
    X509_free(leaf);
}

Test(sec_auth, no_certificate_is_refused_and_counted)
{
    struct rw_sec_identity id;
    cr_assert_eq(check(NULL, 0, &id), RW_ERR_AUTH_NO_CERT);
    cr_assert_eq(stats().rejected[RW_AUTH_R_NO_CERT], 1);
    cr_assert_str_eq(rw_sec_auth_reason_name(RW_AUTH_R_NO_CERT), "no_cert");
    cr_assert_str_eq(rw_sec_auth_reason_name(RW_AUTH_R_REVOKED), "revoked");
}

Test(sec_auth, a_foreign_ca_is_unknown)
{
    X509 *root = NULL, *leaf;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Other Root", &root, &key));
    leaf = tl_foreign_leaf(NULL, root, key, "stranger", "clientAuth");
    cr_assert_not_null(leaf);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_ERR_AUTH_UNKNOWN_CA, "%s", rw_err_detail());
    cr_assert_eq(stats().rejected[RW_AUTH_R_UNKNOWN_CA], 1);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(key);
}

Test(sec_auth, a_server_only_certificate_has_the_wrong_usage)
{
    X509 *root = NULL, *leaf;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Web Root", &root, &key));
    leaf = tl_foreign_leaf(NULL, root, key, "web-server", "serverAuth");
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, root)) && rw_ok(rw_sec_trust_freeze(t)));
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_ERR_AUTH_WRONG_USAGE, "%s", rw_err_detail());
    cr_assert_eq(stats().rejected[RW_AUTH_R_WRONG_USAGE], 1);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(key);
}

Test(sec_auth, revocation_is_checked_on_a_cache_hit)
{
    X509 *leaf = tl_pki_issue(pki, "consumer-1", RW_ROLE_CONSUMER, 0);
    struct rw_sec_identity id;
    struct rw_sec_chain_ids ids;
    cr_assert_eq(rw_sec_auth_check_chain_ids(auth, leaf, NULL, 0, &id, &ids).err, RW_OK);
    cr_assert_eq(ids.n, 3, "leaf, intermediate, root");
    cr_assert(tl_pki_revoke(pki, leaf, RW_REASON_KEY_COMPROMISE));
    struct rw_sec_trust *t = tl_pki_trust(pki);
    cr_assert_eq(rw_sec_auth_chain_check(t, &ids, 0).err, RW_ERR_AUTH_REVOKED,
                 "a live connection's identities see the new revocation");
    cr_assert(strstr(rw_err_detail(), "keyCompromise"), "%s", rw_err_detail());
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    cr_assert_eq(check(leaf, 0, &id), RW_ERR_AUTH_REVOKED, "%s", rw_err_detail());
    cr_assert_eq(stats().rejected[RW_AUTH_R_REVOKED], 1);
    X509_free(leaf);
}

Test(sec_auth, a_revoked_intermediate_fails_a_cached_chain_without_a_swap)
{
    X509 *leaf = tl_pki_issue(pki, "consumer-2", RW_ROLE_CONSUMER, 0);
    struct rw_sec_identity id;
    struct rw_sec_chain_ids ids;
    cr_assert_eq(rw_sec_auth_check_chain_ids(auth, leaf, NULL, 0, &id, &ids).err, RW_OK);
    cr_assert(tl_pki_revoke_ca(pki, pki->int_id, RW_REASON_CA_COMPROMISE));
    struct rw_sec_trust *t = tl_pki_trust(pki);
    struct rw_result r = rw_sec_auth_chain_check(t, &ids, 0);
    cr_assert_eq(r.err, RW_ERR_AUTH_REVOKED);
    cr_assert(strstr(rw_err_detail(), "CA certificate"), "%s", rw_err_detail());
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    cr_assert_eq(check(leaf, 0, &id), RW_ERR_AUTH_REVOKED);
    X509_free(leaf);
}

Test(sec_auth, expiry_is_checked_on_a_cache_hit)
{
    X509 *leaf = tl_pki_issue(pki, "producer-3", RW_ROLE_PRODUCER, 3600);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    int64_t later = (int64_t)time(NULL) + 7200;
    cr_assert_eq(check(leaf, later, &id), RW_ERR_AUTH_EXPIRED, "%s", rw_err_detail());
    struct rw_sec_auth_stats s = stats();
    cr_assert_eq(s.cache_hits, 1, "refused from the cache, not by path building");
    cr_assert_eq(s.rejected[RW_AUTH_R_EXPIRED], 1);
    cr_assert_eq(check(leaf, 0, &id), RW_OK, "the expired entry died; verified again");
    cr_assert_eq(stats().cache_misses, 2);
    X509_free(leaf);
}

Test(sec_auth, an_expired_certificate_is_refused)
{
    pki->ca.now = (int64_t)time(NULL) - 43200;
    X509 *leaf = tl_pki_issue(pki, "producer-old", RW_ROLE_PRODUCER, 3600);
    pki->ca.now = 0;
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_ERR_AUTH_EXPIRED, "%s", rw_err_detail());
    X509_free(leaf);
}

Test(sec_auth, a_trust_swap_clears_the_cache)
{
    X509 *leaf = tl_pki_issue(pki, "producer-4", RW_ROLE_PRODUCER, 0);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    reload_trust();
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    struct rw_sec_auth_stats s = stats();
    cr_assert_eq(s.cache_misses, 2);
    cr_assert_eq(s.cache_hits, 0);
    struct rw_sec_trust *cur = rw_sec_auth_trust(auth);
    cr_assert_not_null(cur);
    rw_sec_trust_unref(cur);
    X509_free(leaf);
}

Test(sec_auth, a_resumed_session_must_still_chain_to_the_snapshot)
{
    X509 *leaf = tl_pki_issue(pki, "producer-5", RW_ROLE_PRODUCER, 0);
    struct rw_sec_identity id;
    cr_assert_eq(check(leaf, 0, &id), RW_OK);
    cr_assert_eq(rw_sec_auth_check_resumed(auth, leaf, 0, &id).err, RW_OK);
    struct rw_sec_auth_stats s = stats();
    cr_assert_eq(s.accepted_resumed, 1);
    cr_assert_eq(s.cache_hits, 1, "a leaf-only chain and a resumption share the entry");
    /* A snapshot without our CAs: the resumed client is now unknown. */
    X509 *root = NULL;
    EVP_PKEY *key = NULL;
    cr_assert(tl_foreign_root("Replacement Root", &root, &key));
    struct rw_sec_trust *t = rw_sec_trust_new();
    cr_assert(rw_ok(rw_sec_trust_add_ca(t, root)) && rw_ok(rw_sec_trust_freeze(t)));
    rw_sec_auth_set_trust(auth, t);
    rw_sec_trust_unref(t);
    cr_assert_eq(rw_sec_auth_check_resumed(auth, leaf, 0, &id).err, RW_ERR_AUTH_UNKNOWN_CA,
                 "%s", rw_err_detail());
    cr_assert_eq(rw_sec_auth_check_resumed(auth, NULL, 0, &id).err, RW_ERR_AUTH_NO_CERT);
    X509_free(root);
    EVP_PKEY_free(key);
    X509_free(leaf);
}
