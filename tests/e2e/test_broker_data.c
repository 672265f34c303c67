/* End-to-end: the data plane of the real daemon — records produced come
 * back byte-identical and in order, by Fetch and by Subscribe pushes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"
#include "tests/testlib/tl_wire.h"

static struct tl_broker b;

/* producer-1 may produce to demo.* and consumer-1 consume it (init's
 * rules); the binary test reads back what it wrote on one connection. */
static void setup(void)
{
    cr_assert(tl_broker_init(&b, "brk-data"));
    cr_assert_gt(tl_broker_acl_add(&b, "producer-1", "bin", "produce,consume", true), 0);
    cr_assert(tl_broker_start(&b, NULL));
}

static void teardown(void) { tl_broker_fini(&b); }

TestSuite(broker_data, .init = setup, .fini = teardown, .timeout = 180);

static void ids(char *out, size_t cap, const char *who)
{
    snprintf(out, cap, "--broker 127.0.0.1:%d --cert %s/%s.pem --key %s/%s.key --ca %s/ca-chain.pem",
             b.d.port, b.pki, who, b.pki, who, b.pki);
}

Test(broker_data, ringward_client_ten_thousand_records_identical_and_in_order)
{
    char prod[4096], cons[4096], *out = NULL;
    ids(prod, sizeof(prod), "producer-1");
    ids(cons, sizeof(cons), "consumer-1");
    int rc = tl_sh(&out, "seq 1 10000 | sed 's/^/record-/' > %s/in.txt && %s produce --topic demo.t1 %s "
                         "< %s/in.txt",
                   b.dir, tl_bin("ringward-client"), prod, b.dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "%s consume --topic demo.t1 --from-beginning -n 10000 --wait 20000 %s > %s/out.txt"
                     " && cmp %s/in.txt %s/out.txt",
               tl_bin("ringward-client"), cons, b.dir, b.dir, b.dir);
    cr_assert_eq(rc, 0, "consumed records differ: %s", out);
    free(out);
}

Test(broker_data, live_subscription_receives_records_as_they_arrive)
{
    char prod[4096], cons[4096], *out = NULL;
    ids(prod, sizeof(prod), "producer-1");
    ids(cons, sizeof(cons), "consumer-1");
    int rc = tl_sh(&out,
                   "seq 1 3000 > %s/in.txt; %s consume --topic demo.live --offset 0 -n 3000 --wait 20000 %s"
                   " > %s/out.txt & C=$!; for i in 1 2 3; do sed -n \"$(( (i-1)*1000+1 )),$((i*1000))p\""
                   " %s/in.txt | %s produce --topic demo.live %s || exit 9; done; wait $C && cmp %s/in.txt "
                   "%s/out.txt",
                   b.dir, tl_bin("ringward-client"), cons, b.dir, b.dir, tl_bin("ringward-client"),
                   prod, b.dir, b.dir);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

static void produce_batch(struct tl_wire *w, int first, int n)
{
    char *vals[500];
    size_t lens[500];
    for (int i = 0; i < n; i++) {
        vals[i] = malloc(64);
        /* binary values: NULs, newlines and a varying length */
        int len = snprintf(vals[i], 64, "r%d", first + i);
        vals[i][len++] = '\0';
        vals[i][len++] = '\n';
        for (int k = 0; k < (first + i) % 20; k++) {
            vals[i][len++] = (char)(0xff - k);
        }
        lens[i] = (size_t)len;
    }
    struct tl_pb m = {0};
    tl_msg_produce(&m, (uint64_t)first, "bin", (const char *const *)vals, lens, (size_t)n);
    cr_assert(tl_wire_send(w, m.data, m.len));
    tl_pb_free(&m);
    for (int i = 0; i < n; i++) {
        free(vals[i]);
    }
}

static void expected(int i, char *out, size_t *len)
{
    int n = snprintf(out, 64, "r%d", i);
    out[n++] = '\0';
    out[n++] = '\n';
    for (int k = 0; k < i % 20; k++) {
        out[n++] = (char)(0xff - k);
    }
    *len = (size_t)n;
}

Test(broker_data, pipelined_produce_and_fetch_ten_thousand_binary_records)
{
    char ca[1200], cert[1200], key[1200];
    snprintf(ca, sizeof(ca), "%s/ca-chain.pem", b.pki);
    snprintf(cert, sizeof(cert), "%s/producer-1.pem", b.pki);
    snprintf(key, sizeof(key), "%s/producer-1.key", b.pki);
    struct tl_wire w;
    cr_assert(tl_wire_connect(&w, b.d.port, cert, key, ca));
    for (int i = 0; i < 10000; i += 500) {
        produce_batch(&w, i, 500); /* pipelined: replies read after */
    }
    for (int i = 0; i < 10000; i += 500) {
        uint8_t *body = NULL;
        size_t len;
        struct tl_frame f;
        cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 1);
        cr_assert(tl_frame_parse(body, len, &f));
        cr_assert_eq(f.body, 4);
        cr_assert_eq(f.corr, (uint64_t)i, "responses in request order");
        struct tl_pb_field base;
        uint64_t off = tl_pb_find(f.p, f.n, 1, &base) ? base.v : 0;
        cr_assert_eq(off, (uint64_t)i);
        free(body);
    }
    uint64_t next = 0;
    while (next < 10000) {
        struct tl_pb m = {0};
        tl_msg_fetch(&m, 1, "bin", next, 64 * 1024);
        cr_assert(tl_wire_send(&w, m.data, m.len));
        tl_pb_free(&m);
        uint8_t *body = NULL;
        size_t len;
        struct tl_frame f;
        cr_assert_eq(tl_wire_read_frame(&w, &body, &len), 1);
        cr_assert(tl_frame_parse(body, len, &f));
        cr_assert_eq(f.body, 6);
        size_t pos = 0;
        struct tl_pb_field fld, v;
        uint64_t got = 0;
        while (tl_pb_next(f.p, f.n, &pos, &fld)) {
            if (fld.field == 1) {
                cr_assert_eq(fld.v, next, "base offset");
            } else if (fld.field == 2) {
                char want[64];
                size_t wlen;
                expected((int)(next + got), want, &wlen);
                cr_assert(tl_pb_find(fld.p, fld.n, 1, &v));
                cr_assert_eq(v.n, wlen, "record %llu length", (unsigned long long)(next + got));
                cr_assert_eq(memcmp(v.p, want, wlen), 0, "record %llu bytes",
                             (unsigned long long)(next + got));
                got++;
            }
        }
        cr_assert_gt(got, 0);
        next += got;
        free(body);
    }
    tl_wire_close(&w);
}
