/* bench/bn_setup.c — setup for revocation-scale runs:
 *  revoke-fill: N synthetic certificate rows and their revocation rows in a
 *    Ringward store (one transaction; there is no bulk API, and a revocation
 *    must reference a row of `certificates`). Run on a stopped broker's data
 *    directory; the broker loads them when it starts.
 *  mkcrl: a CRL with N random serials signed by an issuer's key, for the
 *    peers' crlfile / ssl_crl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "bench/bn.h"

static bool exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        bn_fail("sqlite: %s (in: %.80s)", err ? err : "?", sql);
        sqlite3_free(err);
        return false;
    }
    return true;
}

int bn_mode_revoke_fill(const struct bn_opts *o)
{
    if (!o->data_dir || o->count <= 0) {
        bn_fail("revoke-fill needs --data-dir DIR and --count N");
        return 2;
    }
    const char *issuer = o->issuer_id ? o->issuer_id : "intermediate-ca";
    if (strspn(issuer, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(issuer)) {
        bn_fail("bad issuer id %s", issuer);
        return 2;
    }
    char path[1024], sql[2048];
    snprintf(path, sizeof(path), "%s/ringward.db", o->data_dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        bn_fail("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return 1;
    }
    sqlite3_busy_timeout(db, 10000);
    double t0 = bn_now();
    long long now = (long long)time(NULL);
    /* Serials: 16 octets, the first 0x01 (positive, top bit clear). */
    snprintf(sql, sizeof(sql),
             "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;"
             "BEGIN IMMEDIATE;"
             "CREATE TEMP TABLE bench_s(serial BLOB);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %ld)"
             " INSERT INTO bench_s SELECT X'01' || randomblob(15) FROM n;"
             /* sorted: the primary-key B-trees are appended to, not split at random */
             "INSERT INTO certificates(serial, issuer_ca_id, is_ca, principal, role, not_before,"
             " not_after, issued_at, der) SELECT serial, '%s', 0, 'bench-revoked', 'producer',"
             " %lld, %lld, %lld, NULL FROM bench_s ORDER BY serial;"
             "INSERT INTO revocations(serial, issuer_ca_id, reason, revoked_at)"
             " SELECT serial, '%s', 1, %lld FROM bench_s ORDER BY serial;"
             "DROP TABLE bench_s;"
             "COMMIT;",
             o->count, issuer, now - 3600, now + 365LL * 86400, now, issuer, now);
    bool ok = exec(db, sql);
    sqlite3_close(db);
    printf("revoke-fill: %ld synthetic revocations under %s in %s (%.1f s)\n", o->count, issuer,
           path, bn_now() - t0);
    return ok ? 0 : 1;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    return k;
}

static bool add_entries(X509_CRL *crl, long n, const ASN1_TIME *when)
{
    unsigned char serial[16];
    for (long i = 0; i < n; i++) {
        if (RAND_bytes(serial, sizeof(serial)) != 1) {
            return false;
        }
        serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
        X509_REVOKED *rv = X509_REVOKED_new();
        BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
        ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        bool ok = rv && ai && X509_REVOKED_set_serialNumber(rv, ai) == 1 &&
                  X509_REVOKED_set_revocationDate(rv, (ASN1_TIME *)when) == 1 &&
                  X509_CRL_add0_revoked(crl, rv) == 1;
        ASN1_INTEGER_free(ai);
        BN_free(bn);
        if (!ok) {
            X509_REVOKED_free(rv);
            return false;
        }
    }
    return true;
}

static bool add_crl_number(X509_CRL *crl, X509 *issuer)
{
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    bool ok = num && ASN1_INTEGER_set(num, 1) == 1 &&
              X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
    ASN1_INTEGER_free(num);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                              "keyid:always");
    ok = ok && aki && X509_CRL_add_ext(crl, aki, -1) == 1;
    X509_EXTENSION_free(aki);
    return ok;
}

int bn_mode_mkcrl(const struct bn_opts *o)
{
    if (!o->issuer_cert || !o->issuer_key || !o->out || o->count < 0) {
        bn_fail("mkcrl needs --issuer-cert PEM --issuer-key PEM --count N --out FILE");
        return 2;
    }
    X509 *ca = read_cert(o->issuer_cert);
    EVP_PKEY *key = read_key(o->issuer_key);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = X509_gmtime_adj(NULL, -3600);
    ASN1_TIME *next = X509_gmtime_adj(NULL, (long)(o->crl_days > 0 ? o->crl_days : 7) * 86400);
    double t0 = bn_now();
    bool ok = ca && key && crl && last && next && X509_CRL_set_version(crl, 1) == 1 &&
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) == 1 &&
              X509_CRL_set1_lastUpdate(crl, last) == 1 &&
              X509_CRL_set1_nextUpdate(crl, next) == 1 && add_entries(crl, o->count, last) &&
              add_crl_number(crl, ca) && X509_CRL_sort(crl) == 1 &&
              X509_CRL_sign(crl, key, EVP_sha256()) > 0;
    FILE *f = ok ? fopen(o->out, "w") : NULL;
    ok = f && PEM_write_X509_CRL(f, crl) == 1;
    if (f) {
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        bn_fail("mkcrl failed: %s", buf);
    } else {
        printf("mkcrl: %ld entries signed by %s -> %s (%.1f s)\n", o->count, o->issuer_cert,
               o->out, bn_now() - t0);
    }
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(ca);
    return ok ? 0 : 1;
}
