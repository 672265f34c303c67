/* End-to-end smoke test of ringward-bench: a tiny bounded run of each mode
 * against a real ringward (no peers needed). Each run must exit 0 and print
 * one JSON line that parses, with counts > 0. Not a benchmark: no rate is
 * asserted. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testlib/tl_daemon.h"
#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static struct tl_broker b;

static void setup(void) { cr_assert(tl_broker_init(&b, "bench-smoke")); }
static void teardown(void) { tl_broker_fini(&b); }

TestSuite(bench_smoke, .init = setup, .fini = teardown, .timeout = 120);

/* ---- a strict parser for the flat JSON object ringward-bench prints ---- */
static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

static const char *str(const char *p)
{
    if (*p != '"') {
        return NULL;
    }
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\') {
            p++;
            if (!*p) {
                return NULL;
            }
        } else if ((unsigned char)*p < 0x20) {
            return NULL;
        }
    }
    return *p == '"' ? p + 1 : NULL;
}

static const char *value(const char *p)
{
    if (*p == '"') {
        return str(p);
    }
    if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0) {
        return p + 4;
    }
    if (strncmp(p, "false", 5) == 0) {
        return p + 5;
    }
    char *end = NULL;
    strtod(p, &end);
    return end && end != p ? end : NULL;
}

/* True when line is exactly one JSON object of string keys and scalars. */
static bool json_ok(const char *line)
{
    const char *p = ws(line);
    if (*p++ != '{') {
        return false;
    }
    p = ws(p);
    if (*p == '}') {
        return *ws(p + 1) == '\0';
    }
    for (;;) {
        p = str(ws(p));
        if (!p || *(p = ws(p)) != ':') {
            return false;
        }
        p = value(ws(p + 1));
        if (!p) {
            return false;
        }
        p = ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        return *p == '}' && *ws(p + 1) == '\0';
    }
}

/* The number after "key": in the JSON line, or -1. */
static double field(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* Runs `ringward-bench MODE ARGS` against the fixture broker; returns the
 * JSON line (heap) after checking the exit status and that it parses. */
static char *bench(const char *mode, const char *args)
{
    char *out = NULL;
    int rc = tl_sh(&out, "%s %s --target 127.0.0.1:%d --pki %s --server-pid %d %s",
                   tl_bin("ringward-bench"), mode, b.d.port, b.pki, (int)b.d.pid, args);
    cr_assert_eq(rc, 0, "ringward-bench %s %s failed:\n%s", mode, args, out);
    char *line = NULL;
    for (char *s = strtok(out, "\n"); s; s = strtok(NULL, "\n")) {
        if (s[0] == '{') {
            cr_assert_null(line, "more than one JSON line:\n%s", s);
            line = strdup(s);
        }
    }
    cr_assert_not_null(line, "no JSON line from ringward-bench %s", mode);
    cr_assert(json_ok(line), "the JSON line does not parse: %s", line);
    free(out);
    return line;
}

Test(bench_smoke, every_mode_runs_bounded_and_reports_json)
{
    long long t0 = tl_now_ms();
    /* Setup helpers first, on the stopped broker's data directory. */
    char *out = NULL;
    int rc = tl_sh(&out, "%s revoke-fill --data-dir %s --count 1000", tl_bin("ringward-bench"),
                   b.data);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    rc = tl_sh(&out, "test \"$(sqlite3 %s/ringward.db 'select count(*) from revocations')\" -ge 1000",
               b.data);
    cr_assert_eq(rc, 0, "revoke-fill wrote too few rows: %s", out);
    free(out);

    cr_assert(tl_broker_start(&b, "--workers 1"));

    char *j = bench("handshake", "--duration 1 --threads 2");
    cr_assert_gt(field(j, "handshakes"), 0, "%s", j);
    cr_assert_eq(field(j, "failed"), 0, "%s", j);
    cr_assert_geq(field(j, "server_cpu_s"), 0, "%s", j);
    free(j);

    j = bench("handshake", "--duration 1 --threads 2 --resume");
    cr_assert_gt(field(j, "resumed"), 0, "no session was resumed: %s", j);
    free(j);

    j = bench("handshake", "--duration 1 --threads 1 --proto none --count 20");
    cr_assert_gt(field(j, "handshakes"), 0, "%s", j);
    free(j);

    j = bench("throughput", "--duration 1 --size 100 --batch 100");
    cr_assert_gt(field(j, "records"), 0, "%s", j);
    cr_assert_eq(field(j, "received"), field(j, "sent"), "records lost: %s", j);
    cr_assert_eq(field(j, "errors"), 0, "%s", j);
    free(j);

    j = bench("latency", "--duration 1 --rate 2000");
    cr_assert_gt(field(j, "samples"), 0, "%s", j);
    cr_assert_gt(field(j, "p99_us"), 0, "%s", j);
    cr_assert_geq(field(j, "p999_us"), field(j, "p50_us"), "%s", j);
    free(j);

    j = bench("idle", "--connections 40 --threads 4 --hold 0.2 --duration 20");
    cr_assert_eq(field(j, "connections"), 40, "%s", j);
    cr_assert_gt(field(j, "rss_after_kib"), 0, "%s", j);
    free(j);

    j = bench("revocation-scale", "--duration 1 --threads 2 --revoked 1000");
    cr_assert_gt(field(j, "handshakes"), 0, "%s", j);
    cr_assert_eq(field(j, "revoked"), 1000, "%s", j);
    free(j);

    cr_assert_lt(tl_now_ms() - t0, 60000, "the smoke run took %lld ms", tl_now_ms() - t0);
}

Test(bench_smoke, mkcrl_writes_a_crl_that_openssl_reads)
{
    char *out = NULL;
    /* The fixture's CA keys are plaintext in the store (--insecure-dev-keys). */
    int rc = tl_sh(&out,
                   "sqlite3 %s/ringward.db \"select key_pem from cas where id='intermediate-ca'\" "
                   "> %s/int.key && %s mkcrl --issuer-cert %s/intermediate-ca.pem --issuer-key "
                   "%s/int.key --count 100 --out %s/t.crl && openssl crl -in %s/t.crl -noout "
                   "-text | grep -c 'Serial Number' | grep -qx 100 && openssl crl -in %s/t.crl "
                   "-CAfile %s/intermediate-ca.pem -noout 2>&1 | grep -q 'verify OK'",
                   b.data, b.dir, tl_bin("ringward-bench"), b.pki, b.dir, b.dir, b.dir, b.dir,
                   b.pki);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

Test(bench_smoke, revoke_latency_times_real_revocations_of_live_sessions)
{
    char victims[1200];
    snprintf(victims, sizeof(victims), "%s/victims", b.dir);
    cr_assert(tl_broker_issue(&b, "victim-1", "consumer", victims, NULL));
    cr_assert(tl_broker_issue(&b, "victim-2", "consumer", victims, NULL));
    cr_assert(tl_broker_start(&b, "--workers 1"));
    char *args = NULL;
    cr_assert(asprintf(&args, "--cert-dir %s --revoked 0 --duration 5 --revoke-cmd '%s --data-dir "
                              "%s certs revoke %%s --reason keyCompromise >/dev/null 2>&1'",
                       victims, tl_bin("ringward-admin"), b.data) > 0);
    char *j = bench("revoke-latency", args);
    cr_assert_eq(field(j, "runs"), 2, "%s", j);
    cr_assert_gt(field(j, "p50_ms_from_exit"), 0, "%s", j);
    cr_assert_lt(field(j, "max_ms_from_exit"), 1000, "a revocation ends a session within 1 s: %s",
                 j);
    cr_assert_geq(field(j, "p50_ms_from_start"), field(j, "p50_ms_from_exit"), "%s", j);
    free(j);
    free(args);
    char *out = NULL;
    cr_assert_eq(tl_sh(&out, "%s --data-dir %s certs list --status revoked --json",
                       tl_bin("ringward-admin"), b.data), 0);
    cr_assert_eq(tl_count(out, "victim-"), 2, "both were really revoked: %s", out);
    free(out);
}
