/* security/sec_revset.c — the revocation set (see security/sec_revset.h).
 *
 * Layout: a dense array of 32-byte entries (issuer id, serial magnitude
 * right-padded with zeros, length, reason) and an open-addressing index of
 * 32-bit slots, linear probing, power-of-two capacity, load factor at most
 * 0.7. A slot holds the entry number + 1 (25 bits; 0 = empty) and 7 more
 * bits of the key's hash, so most probes of other keys never touch the
 * entry array. The entries grow by 1.5x, the index by
 * rebuilding at twice the size, so the set costs 32 bytes per entry plus
 * 5.7..11.4 bytes of index: under 64 bytes per entry at any size (about 42
 * at a million entries).
 *
 * The set owns both arrays; nothing is shared. Lookups only read, so a
 * finished set may be read from any number of threads.
 */
#include "security/sec_revset.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "security/sec_names.h"
#include "security/sec_ossl.h"

#define SERIAL_MAX 20
#define MIN_INDEX 16u
#define IDX_BITS 25
#define IDX_MASK ((1u << IDX_BITS) - 1)
#define MAX_ENTRIES (IDX_MASK - 1) /* about 33 million */

struct entry {
    uint64_t issuer;
    uint8_t serial[SERIAL_MAX]; /* magnitude, zero-padded on the right */
    uint8_t len;
    uint8_t reason;
    uint8_t pad[2];
};

_Static_assert(sizeof(struct entry) == 32, "revocation entries are 32 bytes");

struct rw_sec_revset {
    struct entry *entries;
    size_t count;
    size_t entries_cap;
    uint32_t *index; /* tag | (entry number + 1); 0 = empty */
    size_t index_cap; /* a power of two */
};

/* A normalised key: leading zero octets stripped, zero padded. */
struct key {
    uint64_t issuer;
    uint8_t serial[SERIAL_MAX];
    uint8_t len;
};

static bool key_make(uint64_t issuer, const uint8_t *serial, size_t len, struct key *k)
{
    while (len > 0 && serial[0] == 0) {
        serial++;
        len--;
    }
    if (len == 0 || len > SERIAL_MAX) {
        return false;
    }
    memset(k, 0, sizeof(*k));
    k->issuer = issuer;
    memcpy(k->serial, serial, len);
    k->len = (uint8_t)len;
    return true;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/* A 64-bit multiply-xorshift over the fixed-size key. */
static uint64_t key_hash(const uint64_t issuer, const uint8_t serial[SERIAL_MAX], uint8_t len)
{
    uint64_t a, b;
    uint32_t c;
    memcpy(&a, serial, 8);
    memcpy(&b, serial + 8, 8);
    memcpy(&c, serial + 16, 4);
    uint64_t h = mix(0x243f6a8885a308d3ull ^ len, issuer);
    h = mix(h, a);
    h = mix(h, b);
    h = mix(h, c);
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

static bool key_eq(const struct entry *e, const struct key *k)
{
    return e->issuer == k->issuer && e->len == k->len &&
           memcmp(e->serial, k->serial, SERIAL_MAX) == 0;
}

/* The hash bits a slot keeps beside the entry number. */
static uint32_t slot_tag(uint64_t h) { return (uint32_t)(h >> (64 - (32 - IDX_BITS))) << IDX_BITS; }

/* Slot holding the key, or the empty slot where it would go; *tag gets
 * the tag to store with it. */
static size_t probe(const struct rw_sec_revset *set, const struct key *k, uint32_t *tag,
                    bool *found)
{
    size_t mask = set->index_cap - 1;
    uint64_t h = key_hash(k->issuer, k->serial, k->len);
    size_t i = (size_t)h & mask;
    *tag = slot_tag(h);
    for (;;) {
        uint32_t s = set->index[i];
        if (s == 0) {
            *found = false;
            return i;
        }
        if ((s & ~IDX_MASK) == *tag && key_eq(&set->entries[(s & IDX_MASK) - 1], k)) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

/* Smallest power-of-two index keeping `n` entries at load <= 0.7. */
static size_t index_cap_for(size_t n)
{
    size_t cap = MIN_INDEX;
    while (cap / 10 * 7 < n) {
        cap *= 2;
    }
    return cap;
}

/* Rebuilds the index at `cap` slots from the dense entries. */
static bool index_rebuild(struct rw_sec_revset *set, size_t cap)
{
    uint32_t *idx = calloc(cap, sizeof(*idx));
    if (!idx) {
        return false;
    }
    size_t mask = cap - 1;
    for (size_t n = 0; n < set->count; n++) {
        const struct entry *e = &set->entries[n];
        uint64_t h = key_hash(e->issuer, e->serial, e->len);
        size_t i = (size_t)h & mask;
        while (idx[i] != 0) {
            i = (i + 1) & mask;
        }
        idx[i] = slot_tag(h) | (uint32_t)(n + 1);
    }
    free(set->index);
    set->index = idx;
    set->index_cap = cap;
    return true;
}

/* Room for `extra` more entries without any allocation afterwards. */
static struct rw_result reserve(struct rw_sec_revset *set, size_t extra)
{
    RW_ENSURE_MSG(set->count <= MAX_ENTRIES && extra <= MAX_ENTRIES - set->count, RW_ERR_LIMIT,
                  "revocation set limited to %u entries", (unsigned)MAX_ENTRIES);
    size_t need = set->count + extra;
    if (need > set->entries_cap) {
        size_t cap = set->entries_cap + set->entries_cap / 2; /* amortised growth */
        if (cap < need) {
            cap = need < 16 ? 16 : need; /* a presized set gets exactly what it asked */
        }
        struct entry *e = realloc(set->entries, cap * sizeof(*e));
        RW_ENSURE(e, RW_ERR_NOMEM);
        set->entries = e;
        set->entries_cap = cap;
    }
    size_t icap = index_cap_for(need);
    if (icap > set->index_cap) {
        RW_ENSURE(index_rebuild(set, icap), RW_ERR_NOMEM);
    }
    return RW_SUCCESS;
}

struct rw_sec_revset *rw_sec_revset_new(size_t expected)
{
    struct rw_sec_revset *set = calloc(1, sizeof(*set));
    if (!set) {
        return NULL;
    }
    if (!index_rebuild(set, MIN_INDEX) || (expected > 0 && !rw_ok(reserve(set, expected)))) {
        rw_sec_revset_free(set);
        return NULL;
    }
    return set;
}

struct rw_sec_revset *rw_sec_revset_clone(const struct rw_sec_revset *src, size_t extra)
{
    struct rw_sec_revset *set = calloc(1, sizeof(*set));
    if (!set) {
        return NULL;
    }
    size_t cap = src->count + extra > 16 ? src->count + extra : 16;
    set->entries = malloc(cap * sizeof(*set->entries));
    set->index = malloc(src->index_cap * sizeof(*set->index));
    if (!set->entries || !set->index) {
        rw_sec_revset_free(set);
        return NULL;
    }
    if (src->count > 0) {
        memcpy(set->entries, src->entries, src->count * sizeof(*set->entries));
    }
    memcpy(set->index, src->index, src->index_cap * sizeof(*set->index));
    set->count = src->count;
    set->entries_cap = cap;
    set->index_cap = src->index_cap;
    if (!rw_ok(reserve(set, extra))) {
        rw_sec_revset_free(set);
        return NULL;
    }
    return set;
}

void rw_sec_revset_free(struct rw_sec_revset *set)
{
    if (!set) {
        return;
    }
    free(set->entries);
    free(set->index);
    free(set);
}

struct rw_result rw_sec_revset_issuer_id(const X509_NAME *issuer, uint64_t *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    RW_ENSURE(issuer, RW_ERR_USAGE);
    if (X509_NAME_digest(issuer, EVP_sha256(), md, &len) != 1 || len < 8) {
        return rw_sec_ossl_fail(RW_ERR_CRYPTO, "cannot digest the issuer name");
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | md[i];
    }
    *out = v;
    return RW_SUCCESS;
}

/* Inserts a normalised key; the caller has reserved room. */
static void insert(struct rw_sec_revset *set, const struct key *k, int reason)
{
    bool found;
    uint32_t tag;
    size_t slot = probe(set, k, &tag, &found);
    if (found) {
        return; /* a duplicate keeps the first reason */
    }
    struct entry *e = &set->entries[set->count];
    memset(e, 0, sizeof(*e));
    e->issuer = k->issuer;
    memcpy(e->serial, k->serial, SERIAL_MAX);
    e->len = k->len;
    e->reason = (uint8_t)(reason >= 0 && reason <= 255 ? reason : RW_REASON_UNSPECIFIED);
    set->count++;
    set->index[slot] = tag | (uint32_t)set->count;
}

struct rw_result rw_sec_revset_add(struct rw_sec_revset *set, uint64_t issuer_id,
                                   const uint8_t *serial, size_t serial_len, int reason)
{
    struct key k;
    RW_ENSURE(set, RW_ERR_USAGE);
    RW_ENSURE_MSG(serial && key_make(issuer_id, serial, serial_len, &k), RW_ERR_USAGE,
                  "a revoked serial number must have 1 to %d significant octets", SERIAL_MAX);
    RW_GUARD(reserve(set, 1));
    insert(set, &k, reason);
    return RW_SUCCESS;
}

/* The CRL entry's reason code; unspecified when it has none. */
static int entry_reason(const X509_REVOKED *rev)
{
    int crit = 0;
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
    if (!e) {
        return RW_REASON_UNSPECIFIED;
    }
    long v = ASN1_ENUMERATED_get(e);
    ASN1_ENUMERATED_free(e);
    return v >= 0 && v <= 255 ? (int)v : RW_REASON_UNSPECIFIED;
}

/* Entries with a negative, zero or over-long serial are skipped: no
 * certificate with such a serial passes the strict profile anyway. */
struct rw_result rw_sec_revset_add_crl(struct rw_sec_revset *set, const X509_CRL *crl)
{
    uint64_t issuer;
    RW_ENSURE(set && crl, RW_ERR_USAGE);
    RW_GUARD(rw_sec_revset_issuer_id(X509_CRL_get_issuer(crl), &issuer));
    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED((X509_CRL *)crl);
    int n = sk_X509_REVOKED_num(revs);
    if (n <= 0) {
        return RW_SUCCESS;
    }
    RW_GUARD(reserve(set, (size_t)n)); /* after this, nothing can fail */
    for (int i = 0; i < n; i++) {
        const X509_REVOKED *rev = sk_X509_REVOKED_value(revs, i);
        const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(rev);
        struct key k;
        if (!sn || ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER ||
            !key_make(issuer, ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), &k)) {
            continue;
        }
        insert(set, &k, entry_reason(rev));
    }
    return RW_SUCCESS;
}

bool rw_sec_revset_lookup(const struct rw_sec_revset *set, uint64_t issuer_id,
                          const uint8_t *serial, size_t serial_len, int *reason)
{
    struct key k;
    bool found = false;
    uint32_t tag;
    if (!set || !serial || set->count == 0 || !key_make(issuer_id, serial, serial_len, &k)) {
        return false;
    }
    size_t slot = probe(set, &k, &tag, &found);
    if (found && reason) {
        *reason = set->entries[(set->index[slot] & IDX_MASK) - 1].reason;
    }
    return found;
}

bool rw_sec_revset_contains(const struct rw_sec_revset *set, const X509 *cert, int *reason)
{
    uint8_t serial[SERIAL_MAX];
    size_t len = 0;
    uint64_t issuer;
    if (!set || !cert || set->count == 0) {
        return false;
    }
    if (!rw_ok(rw_sec_revset_issuer_id(X509_get_issuer_name(cert), &issuer)) ||
        !rw_ok(rw_sec_cert_serial(cert, serial, sizeof(serial), &len))) {
        return false; /* such serials are never stored; the profile rejects them */
    }
    return rw_sec_revset_lookup(set, issuer, serial, len, reason);
}

size_t rw_sec_revset_count(const struct rw_sec_revset *set) { return set ? set->count : 0; }

size_t rw_sec_revset_memory(const struct rw_sec_revset *set)
{
    if (!set) {
        return 0;
    }
    return sizeof(*set) + set->entries_cap * sizeof(struct entry) +
           set->index_cap * sizeof(uint32_t);
}
