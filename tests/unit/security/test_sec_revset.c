/* tests/unit/security/test_sec_revset.c — the revocation hash set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/sec_names.h"
#include "security/sec_ossl.h"
#include "security/sec_revset.h"
#include "tests/testlib/tl_pki.h"

TestSuite(sec_revset, .timeout = 120);

static uint64_t id_of(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    cr_assert(X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
                                         (const unsigned char *)cn, -1, -1, 0));
    uint64_t id = 0;
    cr_assert(rw_ok(rw_sec_revset_issuer_id(n, &id)));
    X509_NAME_free(n);
    return id;
}

Test(sec_revset, add_and_lookup)
{
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    cr_assert(s);
    uint64_t a = id_of("CA A"), b = id_of("CA B");
    cr_assert_neq(a, b);
    cr_assert_eq(a, id_of("CA A"), "the issuer id is a function of the name");
    const uint8_t sn[] = {0x12, 0x34, 0x56};
    int reason = -1;
    cr_assert_not(rw_sec_revset_lookup(s, a, sn, sizeof(sn), &reason));
    cr_assert(rw_ok(rw_sec_revset_add(s, a, sn, sizeof(sn), RW_REASON_SUPERSEDED)));
    cr_assert(rw_sec_revset_lookup(s, a, sn, sizeof(sn), &reason));
    cr_assert_eq(reason, RW_REASON_SUPERSEDED);
    cr_assert_not(rw_sec_revset_lookup(s, b, sn, sizeof(sn), NULL), "other issuer");
    cr_assert_not(rw_sec_revset_lookup(s, a, sn, 2, NULL), "prefix of the serial");
    cr_assert_eq(rw_sec_revset_count(s), 1);
    rw_sec_revset_free(s);
    rw_sec_revset_free(NULL);
}

Test(sec_revset, leading_zero_octets_are_not_significant)
{
    struct rw_sec_revset *s = rw_sec_revset_new(4);
    uint64_t a = id_of("CA A");
    const uint8_t padded[] = {0x00, 0x00, 0x9a, 0x01};
    const uint8_t bare[] = {0x9a, 0x01};
    cr_assert(rw_ok(rw_sec_revset_add(s, a, padded, sizeof(padded), 1)));
    cr_assert(rw_sec_revset_lookup(s, a, bare, sizeof(bare), NULL));
    rw_sec_revset_free(s);
}

Test(sec_revset, duplicate_keeps_the_first_reason)
{
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    uint64_t a = id_of("CA A");
    const uint8_t sn[] = {7};
    int reason = -1;
    cr_assert(rw_ok(rw_sec_revset_add(s, a, sn, 1, RW_REASON_KEY_COMPROMISE)));
    cr_assert(rw_ok(rw_sec_revset_add(s, a, sn, 1, RW_REASON_SUPERSEDED)));
    cr_assert_eq(rw_sec_revset_count(s), 1);
    cr_assert(rw_sec_revset_lookup(s, a, sn, 1, &reason));
    cr_assert_eq(reason, RW_REASON_KEY_COMPROMISE);
    rw_sec_revset_free(s);
}

Test(sec_revset, bad_serials_refused)
{
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    uint64_t a = id_of("CA A");
    uint8_t long_sn[21];
    memset(long_sn, 0x11, sizeof(long_sn));
    const uint8_t zero[] = {0, 0};
    cr_assert_eq(rw_sec_revset_add(s, a, long_sn, 21, 0).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_revset_add(s, a, zero, 2, 0).err, RW_ERR_USAGE);
    cr_assert_eq(rw_sec_revset_add(s, a, zero, 0, 0).err, RW_ERR_USAGE);
    cr_assert(rw_ok(rw_sec_revset_add(s, a, long_sn, 20, 0)), "20 octets is the maximum");
    cr_assert_eq(rw_sec_revset_count(s), 1);
    cr_assert_not(rw_sec_revset_lookup(s, a, long_sn, 21, NULL));
    rw_sec_revset_free(s);
}

Test(sec_revset, contains_by_certificate_and_crl)
{
    struct tl_chain c;
    tl_chain_make(&c, NULL, NULL);
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    cr_assert_not(rw_sec_revset_contains(s, c.leaf, NULL));
    X509 *victims[] = {c.leaf};
    X509_CRL *crl = tl_crl(c.inter, c.int_key, victims, 1, 0);
    cr_assert(rw_ok(rw_sec_revset_add_crl(s, crl)));
    int reason = -1;
    cr_assert(rw_sec_revset_contains(s, c.leaf, &reason));
    cr_assert_eq(reason, RW_REASON_KEY_COMPROMISE);
    cr_assert_not(rw_sec_revset_contains(s, c.inter, NULL));
    /* By hand: the leaf's issuer is the intermediate's subject. */
    uint64_t id;
    uint8_t sn[20];
    size_t len;
    cr_assert(rw_ok(rw_sec_revset_issuer_id(X509_get_subject_name(c.inter), &id)));
    cr_assert(rw_ok(rw_sec_cert_serial(c.leaf, sn, sizeof(sn), &len)));
    cr_assert(rw_sec_revset_lookup(s, id, sn, len, NULL));
    X509_CRL_free(crl);
    rw_sec_revset_free(s);
    tl_chain_free(&c);
}

static void random_serial(uint8_t *sn, size_t *len, uint64_t *state)
{
    /* xorshift64*: deterministic, fast, no libc rand() state. */
    uint64_t x = *state;
    *len = 8 + (size_t)(x % 13); /* 8..20 octets */
    for (size_t i = 0; i < *len; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        sn[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
    }
    sn[0] |= 0x80; /* no leading zero octet: every key is distinct by length too */
    *state = x;
}

Test(sec_revset, a_million_entries_within_budget)
{
    enum { N = 1000000 };
    uint64_t issuers[4] = {id_of("CA 1"), id_of("CA 2"), id_of("CA 3"), id_of("CA 4")};
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    uint64_t st = 0x9e3779b97f4a7c15ull;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) {
        uint8_t sn[20];
        size_t len;
        random_serial(sn, &len, &st);
        cr_assert(rw_ok(rw_sec_revset_add(s, issuers[i & 3], sn, len, i % 11 == 7 ? 0 : i % 11)));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    size_t count = rw_sec_revset_count(s);
    size_t per = rw_sec_revset_memory(s) / count;
    cr_log_info("revset: %zu entries loaded in %.1f ms, %zu bytes/entry", count, ms, per);
    fprintf(stderr, "revset: %zu entries loaded in %.1f ms, %zu bytes/entry\n", count, ms, per);
    cr_assert_eq(count, N, "random 8..20-octet serials should not collide");
    cr_assert_leq(per, 64);
    st = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        uint8_t sn[20];
        size_t len;
        int reason = -1;
        random_serial(sn, &len, &st);
        cr_assert(rw_sec_revset_lookup(s, issuers[i & 3], sn, len, &reason), "entry %d lost", i);
        cr_assert_eq(reason, i % 11 == 7 ? 0 : i % 11);
        cr_assert_not(rw_sec_revset_lookup(s, issuers[(i + 1) & 3], sn, len, NULL),
                      "entry %d found under another issuer", i);
        sn[len - 1] ^= 0x01; /* a neighbouring serial */
        cr_assert_not(rw_sec_revset_lookup(s, issuers[i & 3], sn, len, NULL));
    }
    rw_sec_revset_free(s);
}

Test(sec_revset, presized_set_stays_within_budget)
{
    struct rw_sec_revset *s = rw_sec_revset_new(100000);
    size_t before = rw_sec_revset_memory(s);
    uint64_t a = id_of("CA A");
    for (uint32_t i = 1; i <= 100000; i++) {
        uint8_t sn[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        cr_assert(rw_ok(rw_sec_revset_add(s, a, sn, 4, 0)));
    }
    cr_assert_eq(rw_sec_revset_memory(s), before, "pre-sizing avoids any growth");
    cr_assert_leq(rw_sec_revset_memory(s) / rw_sec_revset_count(s), 64);
    rw_sec_revset_free(s);
}

Test(sec_revset, a_clone_has_the_entries_and_room_and_leaves_the_source_alone)
{
    struct rw_sec_revset *s = rw_sec_revset_new(0);
    uint64_t a = id_of("CA A");
    uint8_t sn[4] = {0x10, 0, 0, 0};
    for (uint32_t i = 0; i < 1000; i++) {
        memcpy(sn + 1, &i, 3);
        cr_assert(rw_ok(rw_sec_revset_add(s, a, sn, sizeof(sn), 1)));
    }
    struct rw_sec_revset *c = rw_sec_revset_clone(s, 5000);
    cr_assert_not_null(c);
    cr_assert_eq(rw_sec_revset_count(c), 1000);
    for (uint32_t i = 0; i < 1000; i++) {
        memcpy(sn + 1, &i, 3);
        cr_assert(rw_sec_revset_lookup(c, a, sn, sizeof(sn), NULL), "entry %u copied", i);
    }
    const uint8_t extra[] = {0x7f, 0x01};
    cr_assert(rw_ok(rw_sec_revset_add(c, a, extra, sizeof(extra), 4)));
    cr_assert(rw_sec_revset_lookup(c, a, extra, sizeof(extra), NULL));
    cr_assert_not(rw_sec_revset_lookup(s, a, extra, sizeof(extra), NULL), "the source unchanged");
    cr_assert_eq(rw_sec_revset_count(s), 1000);
    for (uint32_t i = 1000; i < 6000; i++) { /* grows past the reserved room too */
        memcpy(sn + 1, &i, 3);
        cr_assert(rw_ok(rw_sec_revset_add(c, a, sn, sizeof(sn), 1)));
    }
    cr_assert_eq(rw_sec_revset_count(c), 6001);
    rw_sec_revset_free(s);
    rw_sec_revset_free(c);
    struct rw_sec_revset *empty = rw_sec_revset_new(0);
    struct rw_sec_revset *ec = rw_sec_revset_clone(empty, 0);
    cr_assert_not_null(ec, "an empty set clones");
    cr_assert_eq(rw_sec_revset_count(ec), 0);
    rw_sec_revset_free(empty);
    rw_sec_revset_free(ec);
}
