/* tests/unit/admin/test_adm_export.c — the CertsExport method of the admin
 * RPC service, bytes in, bytes out: pages cover every certificate exactly
 * once in store order with its DER, the CAs come on the first page only, a
 * page stops at its DER budget (well under the 1 MiB frame limit), the
 * server caps the page size, it is a read (no event), and it is authorized
 * like every admin method. Also the store's key pages (store_export.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "admin/adm_rpc.h"
#include "proto/admin.pb-c.h"
#include "proto/rw_frame.h"
#include "security/sec_acl.h"
#include "security/sec_ossl.h"
#include "tests/testlib/tl_tls.h"

typedef Ringward__Admin__AdminFrame Frame;

static struct tl_pki *pki;
static struct rw_adm_service *svc;
static struct rw_sec_identity admin_id = {.principal = "admin", .role = RW_ROLE_ADMIN};
static struct rw_sec_identity producer_id = {.principal = "producer-1", .role = RW_ROLE_PRODUCER};
static struct rw_adm_caller admin = {.id = &admin_id, .address = "10.0.0.1"};
static struct rw_adm_caller producer = {.id = &producer_id, .address = "10.0.0.2"};
static struct rw_adm_caller anon = {.id = NULL, .address = "10.0.0.3"};

static void setup(void)
{
    pki = tl_pki_new("adm-export");
    cr_assert(pki);
    struct rw_sec_acl_rule rule;
    cr_assert(rw_ok(rw_sec_acl_rule_make(&rule, "admin", "cluster", RW_ACL_ADMIN, RW_ACL_ALLOW)));
    cr_assert(rw_ok(rw_sec_acl_add(pki->store, "test", &rule, NULL)));
    struct rw_adm_service_cfg cfg = {.principal_rate = 1e6, .principal_burst = 1e6,
                                     .address_rate = 1e6, .address_burst = 1e6};
    cr_assert(rw_ok(rw_adm_service_new(pki->store, "pw", &cfg, &svc)), "%s", rw_err_detail());
}

static void teardown(void)
{
    rw_adm_service_free(svc);
    svc = NULL;
    tl_pki_free(pki);
}

TestSuite(adm_export, .init = setup, .fini = teardown, .timeout = 60);

/* One CertsExport call; the response (caller frees) and its frame size. */
static Frame *export_page(const struct rw_adm_caller *who, int64_t after, uint32_t limit,
                          size_t *frame_len)
{
    Ringward__Admin__CertsExportRequest q = RINGWARD__ADMIN__CERTS_EXPORT_REQUEST__INIT;
    q.after = after;
    q.limit = limit;
    Frame req = RINGWARD__ADMIN__ADMIN_FRAME__INIT;
    req.correlation_id = 9;
    req.body_case = RINGWARD__ADMIN__ADMIN_FRAME__BODY_CERTS_EXPORT;
    req.certs_export = &q;
    size_t n = protobuf_c_message_get_packed_size(&req.base);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(&req.base, buf);
    struct rw_buf out;
    rw_buf_init(&out, 64u << 20);
    cr_assert(rw_ok(rw_adm_service_handle(svc, who, buf, n, &out)));
    free(buf);
    const uint8_t *body = NULL;
    size_t blen = 0, flen = 0, need = 0;
    cr_assert(rw_ok(rw_frame_peek(out.data, out.len, 64u << 20, &body, &blen, &flen, &need)));
    Frame *f = ringward__admin__admin_frame__unpack(NULL, blen, body);
    cr_assert(f);
    if (frame_len) {
        *frame_len = out.len;
    }
    rw_buf_cleanup(&out);
    return f;
}

static int err_code(const Frame *f)
{
    return f->body_case == RINGWARD__ADMIN__ADMIN_FRAME__BODY_ERROR ? (int)f->error->code : 0;
}

static size_t store_count(void)
{
    struct rw_store_cert *certs = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_cert_list(pki->store, NULL, &certs, &n)));
    rw_store_cert_list_free(certs, n);
    return n;
}

static int64_t last_seq(void)
{
    int64_t seq = 0;
    cr_assert(rw_ok(rw_store_event_last_seq(pki->store, &seq)));
    return seq;
}

static void issue_n(int n)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "svc-%d", i);
        X509 *x = tl_pki_issue(pki, name, RW_ROLE_CONSUMER, 0);
        cr_assert(x);
        X509_free(x);
    }
}

Test(adm_export, pages_cover_every_certificate_once_and_cas_come_first)
{
    issue_n(7);
    size_t total = store_count(), seen = 0, pages = 0;
    int64_t before = last_seq(), after = 0;
    char **serials = calloc(total + 1, sizeof(char *));
    bool more = true;
    while (more) {
        Frame *f = export_page(&admin, after, 3, NULL);
        cr_assert_eq(err_code(f), 0, "%s", f->error ? f->error->message : "");
        const Ringward__Admin__CertsExportResponse *p = f->certs_export_ok;
        cr_assert_eq(p->n_cas, pages == 0 ? 2u : 0u, "the CAs on the first page only");
        for (size_t i = 0; i < p->n_cas; i++) {
            X509 *x = NULL;
            cr_assert(rw_ok(rw_sec_x509_from_der(p->cas[i]->der.data, p->cas[i]->der.len, &x)));
            X509_free(x);
        }
        cr_assert_leq(p->n_certs, 3u);
        for (size_t i = 0; i < p->n_certs; i++) {
            X509 *x = NULL;
            cr_assert(rw_ok(rw_sec_x509_from_der(p->certs[i]->der.data, p->certs[i]->der.len, &x)),
                      "every certificate carries its DER");
            X509_free(x);
            for (size_t k = 0; k < seen; k++) {
                cr_assert_str_neq(serials[k], p->certs[i]->serial, "no certificate twice");
            }
            cr_assert_lt(seen, total);
            serials[seen++] = strdup(p->certs[i]->serial);
        }
        cr_assert(!p->more || p->next > after, "pages move forward");
        after = p->next;
        more = p->more;
        pages++;
        ringward__admin__admin_frame__free_unpacked(f, NULL);
    }
    cr_assert_eq(seen, total, "every certificate: %zu of %zu", seen, total);
    cr_assert_eq(pages, (total + 2) / 3, "pages of 3 for %zu certificates", total);
    cr_assert_eq(last_seq(), before, "a read is not an event");
    for (size_t k = 0; k < seen; k++) {
        free(serials[k]);
    }
    free(serials);
}

Test(adm_export, a_page_stops_at_its_der_budget_and_the_server_caps_the_limit)
{
    /* Rows with 100 KiB of (unparsed) DER each: the page stops at 512 KiB. */
    for (int i = 0; i < 8; i++) {
        struct rw_store_cert c = {.serial_len = 16, .not_before = 1, .not_after = 2,
                                  .issued_at = 1, .der_len = 100u << 10};
        memset(c.serial, 0x10 + i, 16);
        snprintf(c.issuer_ca_id, sizeof(c.issuer_ca_id), "%s", pki->int_id);
        snprintf(c.principal, sizeof(c.principal), "big-%d", i);
        snprintf(c.role, sizeof(c.role), "consumer");
        c.der = calloc(1, c.der_len);
        cr_assert(rw_ok(rw_store_cert_insert(pki->store, &c)), "%s", rw_err_detail());
        free(c.der);
    }
    size_t frame_len = 0, total = store_count(), seen = 0;
    int64_t after = 0;
    bool more = true;
    while (more) {
        Frame *f = export_page(&admin, after, 0, &frame_len);
        cr_assert_eq(err_code(f), 0, "%s", f->error ? f->error->message : "");
        cr_assert_lt(frame_len, 800u << 10, "a page stays well under the 1 MiB frame limit");
        seen += f->certs_export_ok->n_certs;
        more = f->certs_export_ok->more;
        after = f->certs_export_ok->next;
        cr_assert(!more || f->certs_export_ok->n_certs > 0);
        ringward__admin__admin_frame__free_unpacked(f, NULL);
    }
    cr_assert_eq(seen, total);
    Frame *f = export_page(&admin, 0, 100000, NULL);
    cr_assert_eq(err_code(f), 0);
    cr_assert_lt(f->certs_export_ok->n_certs, total, "the DER budget ended the first page");
    cr_assert(f->certs_export_ok->more);
    ringward__admin__admin_frame__free_unpacked(f, NULL);
}

Test(adm_export, past_the_end_and_bad_positions)
{
    Frame *f = export_page(&admin, INT64_MAX - 1, 5, NULL);
    cr_assert_eq(err_code(f), 0);
    cr_assert_eq(f->certs_export_ok->n_certs, 0);
    cr_assert_eq(f->certs_export_ok->n_cas, 0, "CAs only when starting at 0");
    cr_assert(!f->certs_export_ok->more);
    ringward__admin__admin_frame__free_unpacked(f, NULL);
    f = export_page(&admin, -1, 5, NULL);
    cr_assert_eq(err_code(f), RINGWARD__ERROR_CODE__INVALID_ARGUMENT);
    ringward__admin__admin_frame__free_unpacked(f, NULL);
}

Test(adm_export, only_admins_export)
{
    Frame *f = export_page(&producer, 0, 0, NULL);
    cr_assert_eq(err_code(f), RINGWARD__ERROR_CODE__PERMISSION_DENIED);
    cr_assert(strstr(f->error->message, "CertsExport"), "%s", f->error->message);
    ringward__admin__admin_frame__free_unpacked(f, NULL);
    f = export_page(&anon, 0, 0, NULL);
    cr_assert_eq(err_code(f), RINGWARD__ERROR_CODE__UNAUTHENTICATED);
    ringward__admin__admin_frame__free_unpacked(f, NULL);
    static struct rw_sec_identity other = {.principal = "ops-2", .role = RW_ROLE_ADMIN};
    struct rw_adm_caller who = {.id = &other, .address = "10.0.0.9"};
    f = export_page(&who, 0, 0, NULL);
    cr_assert_eq(err_code(f), RINGWARD__ERROR_CODE__PERMISSION_DENIED, "no ACL, no export");
    ringward__admin__admin_frame__free_unpacked(f, NULL);
}

Test(adm_export, store_key_pages_resume_after_a_position)
{
    issue_n(3);
    struct rw_store_cert_key *keys = NULL;
    size_t n = 0;
    cr_assert(rw_ok(rw_store_cert_keys_after(pki->store, 0, 2, &keys, &n)));
    cr_assert_eq(n, 2);
    cr_assert_lt(keys[0].pos, keys[1].pos);
    int64_t resume = keys[1].pos;
    free(keys);
    cr_assert(rw_ok(rw_store_cert_keys_after(pki->store, resume, 1000, &keys, &n)));
    cr_assert_eq(n + 2, store_count());
    for (size_t i = 0; i < n; i++) {
        cr_assert_gt(keys[i].pos, resume);
        struct rw_store_cert c;
        cr_assert(rw_ok(rw_store_cert_get(pki->store, keys[i].serial, keys[i].serial_len, &c)));
        rw_store_cert_cleanup(&c);
    }
    free(keys);
    cr_assert_eq(rw_store_cert_keys_after(pki->store, 0, 0, &keys, &n).err, RW_ERR_USAGE);
    cr_assert_eq(rw_store_cert_keys_after(pki->store, -1, 1, &keys, &n).err, RW_ERR_USAGE);
}
