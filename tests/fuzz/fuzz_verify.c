/* tests/fuzz/fuzz_verify.c — rw_sec_verify and the identity readers over
 * hostile certificates.
 *
 * A PKI (root -> intermediate -> leaf, with one revoked sibling) is built
 * once. The first input octet picks a mode:
 *   0: XOR the rest of the input over the good leaf's DER and re-sign
 *      what still parses with the trusted intermediate's key, so mutations
 *      start from a certificate that verifies and reach the profile,
 *      revocation and identity code (a hostile or buggy CA);
 *   else: the rest is a sequence of DER certificates (leaf first, then
 *      untrusted extras).
 * Invariants: acceptance implies a principal and a chain of >= 2; every
 * rejection is an AUTH_* error (or NOMEM); nothing leaks or crashes.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined; with
 * -DRW_FUZZ_REPLAY a plain main() replays the files named on the command
 * line (the corpus: tests/fuzz/corpus/verify/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "security/sec_ident.h"
#include "security/sec_ossl.h"
#include "security/sec_trust.h"
#include "security/sec_verify.h"
#include "tests/testlib/tl_pki.h"

#define MAX_CERTS 8

static struct tl_chain pki;
static struct rw_sec_trust *trust;
static unsigned char *leaf_der;
static int leaf_len;

static void setup(void)
{
    tl_chain_make(&pki, NULL, NULL);
    struct tl_cert_opts o = tl_leaf_opts("revoked-sibling");
    X509 *sib = tl_cert(pki.leaf_key, pki.inter, pki.int_key, &o);
    uint8_t sn[20];
    size_t len = 0;
    trust = rw_sec_trust_new();
    if (!trust || !rw_ok(rw_sec_trust_add_ca(trust, pki.root)) ||
        !rw_ok(rw_sec_trust_add_ca(trust, pki.inter)) ||
        !rw_ok(rw_sec_cert_serial(sib, sn, sizeof(sn), &len)) ||
        !rw_ok(rw_sec_trust_add_revocation(trust, pki.inter, sn, len, 1)) ||
        !rw_ok(rw_sec_trust_freeze(trust))) {
        abort();
    }
    X509_free(sib);
    leaf_len = i2d_X509(pki.leaf, &leaf_der);
    if (leaf_len <= 0) {
        abort();
    }
}

static void check(struct rw_result r, const struct rw_sec_identity *id)
{
    if (rw_ok(r)) {
        if (id->principal[0] == '\0' || id->chain_len < 2) {
            abort();
        }
        return;
    }
    enum rw_err_cat cat = rw_err_category(r.err);
    if (cat != RW_CAT_AUTH && r.err != RW_ERR_NOMEM) {
        fprintf(stderr, "unexpected %s: %s\n", rw_err_name(r.err), rw_err_detail());
        abort();
    }
}

static void exercise(X509 *leaf, STACK_OF(X509) *untrusted)
{
    static const struct rw_sec_verify_opts opts[] = {
        {.purpose = RW_PURPOSE_CLIENT},
        {.purpose = RW_PURPOSE_CLIENT, .principal_src = RW_PRINCIPAL_SAN_URI, .max_depth = 2},
        {.purpose = RW_PURPOSE_SERVER, .name = "localhost", .principal_src = RW_PRINCIPAL_SAN_DNS},
        {.purpose = RW_PURPOSE_SERVER, .name = "127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        struct rw_sec_identity id;
        check(rw_sec_verify(trust, leaf, untrusted, &opts[i], &id), &id);
    }
    char buf[RW_PRINCIPAL_MAX];
    /* Readers must not crash on anything; a reading either fails or is a string. */
    if (rw_ok(rw_sec_cert_cn(leaf, buf, sizeof(buf))) && strlen(buf) >= sizeof(buf)) {
        abort();
    }
    if (rw_ok(rw_sec_cert_san_uri(leaf, buf, sizeof(buf))) && strlen(buf) >= sizeof(buf)) {
        abort();
    }
    if (rw_ok(rw_sec_cert_san_dns(leaf, buf, sizeof(buf))) && strlen(buf) >= sizeof(buf)) {
        abort();
    }
    (void)rw_sec_cert_role(leaf);
}

static void mode_patch(const uint8_t *data, size_t size)
{
    unsigned char *der = malloc((size_t)leaf_len);
    if (!der) {
        return;
    }
    memcpy(der, leaf_der, (size_t)leaf_len);
    for (size_t i = 0; i < size && i < (size_t)leaf_len; i++) {
        der[i] ^= data[i];
    }
    const unsigned char *p = der;
    X509 *leaf = d2i_X509(NULL, &p, leaf_len);
    if (leaf && X509_sign(leaf, pki.int_key, EVP_sha256()) <= 0) {
        X509_free(leaf);
        leaf = NULL;
    }
    if (leaf) {
        STACK_OF(X509) *untrusted = sk_X509_new_null();
        if (untrusted && sk_X509_push(untrusted, pki.inter)) {
            exercise(leaf, untrusted);
        }
        sk_X509_free(untrusted);
        X509_free(leaf);
    }
    free(der);
}

static void mode_der(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    const unsigned char *end = data + size;
    X509 *leaf = d2i_X509(NULL, &p, (long)(end - p));
    if (!leaf) {
        return;
    }
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509 *x;
    while (untrusted && sk_X509_num(untrusted) < MAX_CERTS && p < end &&
           (x = d2i_X509(NULL, &p, (long)(end - p))) != NULL) {
        if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            break;
        }
    }
    exercise(leaf, untrusted);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!trust) {
        setup();
    }
    if (size == 0) {
        return 0;
    }
    if (data[0] == 0) {
        mode_patch(data + 1, size - 1);
    } else {
        mode_der(data + 1, size - 1);
    }
    ERR_clear_error();
    return 0;
}

#ifdef RW_FUZZ_REPLAY
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    if (trust) {
        rw_sec_trust_unref(trust);
        OPENSSL_free(leaf_der);
        tl_chain_free(&pki);
    }
    return 0;
}
#endif
