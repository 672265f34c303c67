/* tests/unit/security/test_sec_key.c — key generation, PKCS#8 PEM, secret
 * files and the CA passphrase; the openssl CLI is the second opinion. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/evp.h>

#include "security/sec_key.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("seckey");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(sec_key, .init = setup, .fini = teardown, .timeout = 120);

static char *path_in(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

Test(sec_key, alg_names_parse)
{
    enum rw_key_alg a;
    cr_assert(rw_sec_key_alg_parse("p256", &a) && a == RW_KEY_P256);
    cr_assert(rw_sec_key_alg_parse("ec", &a) && a == RW_KEY_P256);
    cr_assert(rw_sec_key_alg_parse("ecdsa-p256", &a) && a == RW_KEY_P256);
    cr_assert(rw_sec_key_alg_parse("p384", &a) && a == RW_KEY_P384);
    cr_assert(rw_sec_key_alg_parse("ed25519", &a) && a == RW_KEY_ED25519);
    cr_assert(rw_sec_key_alg_parse("rsa3072", &a) && a == RW_KEY_RSA3072);
    cr_assert_not(rw_sec_key_alg_parse("rsa1024", &a));
    cr_assert_not(rw_sec_key_alg_parse("dsa", &a));
    cr_assert_not(rw_sec_key_alg_parse("", &a));
    cr_assert_not(rw_sec_key_alg_parse(NULL, &a));
    cr_assert_str_eq(rw_sec_key_alg_name(RW_KEY_P384), "p384");
    cr_assert_str_eq(rw_sec_key_alg_name(RW_KEY_RSA3072), "rsa3072");
}

Test(sec_key, generates_each_alg)
{
    const enum rw_key_alg algs[] = {RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072};
    const char *types[] = {"EC", "EC", "ED25519", "RSA"};
    const int bits[] = {256, 384, 256, 3072};
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY *k = NULL;
        cr_assert(rw_ok(rw_sec_key_generate(algs[i], &k)), "%s: %s", types[i], rw_err_detail());
        cr_assert(EVP_PKEY_is_a(k, types[i]), "alg %zu is not %s", i, types[i]);
        cr_assert_eq(EVP_PKEY_get_bits(k), bits[i], "%s: %d bits", types[i], EVP_PKEY_get_bits(k));
        enum rw_key_alg back;
        cr_assert(rw_ok(rw_sec_key_classify(k, &back)));
        cr_assert_eq(back, algs[i]);
        const EVP_MD *md = EVP_md5();
        cr_assert(rw_ok(rw_sec_key_sign_md(k, &md)));
        if (algs[i] == RW_KEY_ED25519) {
            cr_assert_null(md);
        } else {
            cr_assert_eq(EVP_MD_get_type(md), algs[i] == RW_KEY_P384 ? NID_sha384 : NID_sha256);
        }
        EVP_PKEY_free(k);
    }
}

Test(sec_key, classify_rejects_weak_and_foreign_keys)
{
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    cr_assert(rsa1024 && p521 && x25519);
    cr_assert_eq(rw_sec_key_classify(rsa1024, NULL).err, RW_ERR_AUTH_PROFILE);
    cr_assert(strstr(rw_err_detail(), "1024"), "detail: %s", rw_err_detail());
    cr_assert_eq(rw_sec_key_classify(p521, NULL).err, RW_ERR_AUTH_PROFILE);
    cr_assert_eq(rw_sec_key_classify(x25519, NULL).err, RW_ERR_AUTH_PROFILE);
    const EVP_MD *md;
    cr_assert_eq(rw_sec_key_sign_md(rsa1024, &md).err, RW_ERR_AUTH_PROFILE);
    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(p521);
    EVP_PKEY_free(x25519);
}

Test(sec_key, plain_pem_round_trip)
{
    const enum rw_key_alg algs[] = {RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072};
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY *k = NULL, *back = NULL;
        char *pem = NULL;
        cr_assert(rw_ok(rw_sec_key_generate(algs[i], &k)));
        cr_assert(rw_ok(rw_sec_key_to_pem(k, NULL, &pem)));
        cr_assert(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0, "%s", pem);
        cr_assert_not(rw_sec_key_pem_is_encrypted(pem));
        cr_assert(rw_ok(rw_sec_key_from_pem(pem, NULL, &back)), "%s", rw_err_detail());
        cr_assert_eq(EVP_PKEY_eq(k, back), 1);
        rw_sec_secret_free(pem);
        EVP_PKEY_free(k);
        EVP_PKEY_free(back);
    }
}

Test(sec_key, encrypted_pem_round_trip)
{
    const enum rw_key_alg algs[] = {RW_KEY_P256, RW_KEY_P384, RW_KEY_ED25519, RW_KEY_RSA3072};
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY *k = NULL, *back = NULL;
        char *pem = NULL;
        cr_assert(rw_ok(rw_sec_key_generate(algs[i], &k)));
        cr_assert(rw_ok(rw_sec_key_to_pem(k, "correct horse", &pem)));
        cr_assert(strncmp(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38) == 0, "%s", pem);
        cr_assert(rw_sec_key_pem_is_encrypted(pem));
        cr_assert(rw_ok(rw_sec_key_from_pem(pem, "correct horse", &back)), "%s", rw_err_detail());
        cr_assert_eq(EVP_PKEY_eq(k, back), 1);
        rw_sec_secret_free(pem);
        EVP_PKEY_free(k);
        EVP_PKEY_free(back);
    }
}

Test(sec_key, wrong_or_missing_passphrase)
{
    EVP_PKEY *k = NULL, *back = NULL;
    char *pem = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &k)));
    cr_assert(rw_ok(rw_sec_key_to_pem(k, "right", &pem)));
    cr_assert_eq(rw_sec_key_from_pem(pem, "wrong", &back).err, RW_ERR_AUTH_PASSPHRASE);
    cr_assert_null(back);
    cr_assert(strstr(rw_err_detail(), "wrong passphrase"), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_key_from_pem(pem, NULL, &back).err, RW_ERR_AUTH_PASSPHRASE);
    cr_assert(strstr(rw_err_detail(), "no passphrase"), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_key_from_pem(pem, "righ", &back).err, RW_ERR_AUTH_PASSPHRASE);
    cr_assert_null(back);
    /* A truncated encrypted key is damaged, not a passphrase problem. */
    pem[strlen(pem) / 2] = '\0';
    cr_assert_eq(rw_sec_key_from_pem(pem, "right", &back).err, RW_ERR_PROTO_MALFORMED);
    cr_assert_null(back);
    /* A plaintext key does not need the passphrase it is given. */
    char *plain = NULL;
    cr_assert(rw_ok(rw_sec_key_to_pem(k, NULL, &plain)));
    cr_assert(rw_ok(rw_sec_key_from_pem(plain, "unused", &back)));
    cr_assert_eq(EVP_PKEY_eq(k, back), 1);
    rw_sec_secret_free(plain);
    rw_sec_secret_free(pem);
    EVP_PKEY_free(back);
    EVP_PKEY_free(k);
}

Test(sec_key, garbage_is_malformed)
{
    const char *bad[] = {
        "",
        "hello world\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEG\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EVP_PKEY *k = NULL;
        cr_assert_eq(rw_sec_key_from_pem(bad[i], "pass", &k).err, RW_ERR_PROTO_MALFORMED, "case %zu",
                     i);
        cr_assert_null(k);
        cr_assert_eq(rw_sec_key_from_pem(bad[i], NULL, &k).err, RW_ERR_PROTO_MALFORMED, "case %zu",
                     i);
    }
}

Test(sec_key, refuses_unusable_passphrases)
{
    EVP_PKEY *k = NULL;
    char *pem = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_ED25519, &k)));
    cr_assert_eq(rw_sec_key_to_pem(k, "", &pem).err, RW_ERR_USAGE);
    char longpass[RW_PASSPHRASE_MAX + 2];
    memset(longpass, 'x', sizeof(longpass) - 1);
    longpass[sizeof(longpass) - 1] = '\0';
    cr_assert_eq(rw_sec_key_to_pem(k, longpass, &pem).err, RW_ERR_USAGE);
    cr_assert_null(pem);
    longpass[RW_PASSPHRASE_MAX] = '\0'; /* exactly the maximum still round-trips */
    cr_assert(rw_ok(rw_sec_key_to_pem(k, longpass, &pem)));
    EVP_PKEY *back = NULL;
    cr_assert(rw_ok(rw_sec_key_from_pem(pem, longpass, &back)), "%s", rw_err_detail());
    cr_assert_eq(EVP_PKEY_eq(k, back), 1);
    rw_sec_secret_free(pem);
    EVP_PKEY_free(back);
    EVP_PKEY_free(k);
}

Test(sec_key, openssl_cli_reads_encrypted_pkcs8)
{
    EVP_PKEY *k = NULL;
    char *pem = NULL, *out = NULL;
    cr_assert(rw_ok(rw_sec_key_generate(RW_KEY_P256, &k)));
    cr_assert(rw_ok(rw_sec_key_to_pem(k, "s3cret", &pem)));
    char *f = path_in("ca.key");
    cr_assert(rw_ok(rw_sec_secret_write_file(f, pem)));
    cr_assert_eq(tl_sh(&out, "openssl pkey -in '%s' -passin pass:s3cret -noout", f), 0, "%s", out);
    free(out);
    cr_assert_neq(tl_sh(&out, "openssl pkey -in '%s' -passin pass:nope -noout", f), 0, "%s", out);
    free(out);
    /* PBES2 with PBKDF2 and AES-256-CBC. */
    cr_assert_eq(tl_sh(&out, "openssl asn1parse -in '%s'", f), 0);
    cr_assert(strstr(out, "PBES2") && strstr(out, "PBKDF2") && strstr(out, "aes-256-cbc"), "%s", out);
    free(out);
    free(f);
    rw_sec_secret_free(pem);
    EVP_PKEY_free(k);
}

Test(sec_key, reads_keys_written_by_openssl_cli)
{
    char *f = path_in("cli.key"), *out = NULL;
    cr_assert_eq(tl_sh(&out, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 "
                          "-aes-256-cbc -pass pass:abc -out '%s'", f), 0, "%s", out);
    free(out);
    size_t len = 0;
    char *pem = tl_read_file(f, &len);
    cr_assert(pem);
    cr_assert(rw_sec_key_pem_is_encrypted(pem));
    EVP_PKEY *k = NULL;
    cr_assert_eq(rw_sec_key_from_pem(pem, "abd", &k).err, RW_ERR_AUTH_PASSPHRASE);
    cr_assert(rw_ok(rw_sec_key_from_pem(pem, "abc", &k)), "%s", rw_err_detail());
    enum rw_key_alg alg;
    cr_assert(rw_ok(rw_sec_key_classify(k, &alg)));
    cr_assert_eq(alg, RW_KEY_P384);
    EVP_PKEY_free(k);
    free(pem);
    free(f);
}

Test(sec_key, secret_file_is_0600_even_with_umask_0)
{
    umask(0);
    char *f = path_in("leaf.key");
    cr_assert(tl_write_file(f, "old contents that are longer", 28));
    cr_assert_eq(tl_file_mode(f), 0666, "setup: fopen under umask 0");
    cr_assert(rw_ok(rw_sec_secret_write_file(f, "-----SECRET-----\n")));
    cr_assert_eq(tl_file_mode(f), 0600);
    size_t len = 0;
    char *back = tl_read_file(f, &len);
    cr_assert_str_eq(back, "-----SECRET-----\n");
    free(back);
    cr_assert_eq(tl_dir_entries(dir), 1, "a temp file was left behind");
    free(f);
}

Test(sec_key, public_file_is_0644_whatever_the_umask)
{
    char *f = path_in("cert.pem");
    umask(0);
    cr_assert(rw_ok(rw_sec_public_write_file(f, "abc", 3)));
    cr_assert_eq(tl_file_mode(f), 0644);
    umask(077);
    cr_assert(rw_ok(rw_sec_public_write_file(f, "defg", 4)));
    cr_assert_eq(tl_file_mode(f), 0644);
    size_t len = 0;
    char *back = tl_read_file(f, &len);
    cr_assert_eq(len, 4);
    cr_assert_str_eq(back, "defg");
    free(back);
    cr_assert_eq(tl_dir_entries(dir), 1);
    free(f);
}

Test(sec_key, write_into_missing_directory_fails)
{
    char *f = path_in("no/such/dir/x.key");
    cr_assert_eq(rw_sec_secret_write_file(f, "x").err, RW_ERR_IO);
    cr_assert(strstr(rw_err_detail(), "no/such/dir"), "%s", rw_err_detail());
    cr_assert_eq(rw_sec_public_write_file(f, "x", 1).err, RW_ERR_IO);
    cr_assert_eq(rw_sec_secret_write_file("", "x").err, RW_ERR_USAGE);
    free(f);
}

static void load_ok(const char *file, const char *expect)
{
    char *p = NULL;
    struct rw_result r = rw_sec_passphrase_load(file, &p);
    cr_assert(rw_ok(r), "%s: %s", rw_err_name(r.err), rw_err_detail());
    cr_assert_str_eq(p, expect);
    rw_sec_secret_free(p);
}

Test(sec_key, passphrase_from_file)
{
    char *f = path_in("pass");
    setenv("RINGWARD_CA_PASSPHRASE", "from-env", 1);
    cr_assert(tl_write_file(f, "hunter2\n", 8));
    load_ok(f, "hunter2"); /* the file wins over the environment */
    cr_assert(tl_write_file(f, "hunter2\r\n", 9));
    load_ok(f, "hunter2");
    cr_assert(tl_write_file(f, "two\n\n", 5));
    load_ok(f, "two\n"); /* only one newline is stripped */
    cr_assert(tl_write_file(f, " spaced ", 8));
    load_ok(f, " spaced ");
    char big[4097];
    memset(big, 'a', sizeof(big));
    cr_assert(tl_write_file(f, big, 4096));
    char *p = NULL;
    cr_assert(rw_ok(rw_sec_passphrase_load(f, &p)));
    cr_assert_eq(strlen(p), 4096);
    rw_sec_secret_free(p);
    free(f);
}

Test(sec_key, passphrase_file_rejections)
{
    char *f = path_in("pass");
    char *p = NULL;
    cr_assert(tl_write_file(f, "", 0));
    cr_assert_eq(rw_sec_passphrase_load(f, &p).err, RW_ERR_USAGE);
    cr_assert(tl_write_file(f, "\n", 1));
    cr_assert_eq(rw_sec_passphrase_load(f, &p).err, RW_ERR_USAGE);
    cr_assert(tl_write_file(f, "a\0b\n", 4));
    cr_assert_eq(rw_sec_passphrase_load(f, &p).err, RW_ERR_USAGE);
    char big[4097];
    memset(big, 'a', sizeof(big));
    cr_assert(tl_write_file(f, big, sizeof(big)));
    cr_assert_eq(rw_sec_passphrase_load(f, &p).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "4096"), "%s", rw_err_detail());
    char *missing = path_in("missing");
    cr_assert_eq(rw_sec_passphrase_load(missing, &p).err, RW_ERR_NOT_FOUND);
    cr_assert_eq(rw_sec_passphrase_load(dir, &p).err, RW_ERR_IO); /* a directory */
    cr_assert_null(p);
    free(missing);
    free(f);
}

Test(sec_key, passphrase_from_env_or_nothing)
{
    char *p = NULL;
    unsetenv("RINGWARD_CA_PASSPHRASE");
    cr_assert_eq(rw_sec_passphrase_load(NULL, &p).err, RW_ERR_NOT_FOUND);
    cr_assert(strstr(rw_err_detail(), "RINGWARD_CA_PASSPHRASE"), "%s", rw_err_detail());
    setenv("RINGWARD_CA_PASSPHRASE", "", 1);
    cr_assert_eq(rw_sec_passphrase_load(NULL, &p).err, RW_ERR_USAGE);
    cr_assert_null(p);
    setenv("RINGWARD_CA_PASSPHRASE", "env pass\n", 1);
    load_ok(NULL, "env pass\n");
}
