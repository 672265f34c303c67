/* bench/bn_revoke.c — revoke-latency: how long a revocation takes to end a
 * live session.
 *
 * For each certificate DIR/NAME.pem (with DIR/NAME.key) in --cert-dir, at
 * most --count of them: connect as it over the Ringward protocol (Ping /
 * Pong done), run --revoke-cmd through /bin/sh with %s replaced by the
 * certificate's serial (upper-case hex), and read until the broker ends
 * the session (its Error frame, then close), bounded by --duration per
 * run. Two figures per run: command start -> session ended (an upper bound
 * of commit -> ended: it includes starting the command) and command exit
 * -> session ended (a lower bound: the commit happened before the exit).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "bench/bn.h"

#define MAX_RUNS 64
#define CMD_MAX 8192

/* The serial of a PEM certificate file as upper-case hex; false if none. */
static bool serial_of(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) {
        fclose(f);
    }
    BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    bool ok = hex && strlen(hex) < cap;
    if (ok) {
        strcpy(out, hex);
    }
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(x);
    return ok;
}

/* The command with every %s replaced by the serial. */
static bool command_for(const char *tmpl, const char *serial, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *add = p;
        size_t len = 1;
        if (p[0] == '%' && p[1] == 's') {
            add = serial;
            len = strlen(serial);
            p++;
        }
        if (n + len >= cap) {
            return false;
        }
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = '\0';
    return true;
}

/* Reads until the broker closes (after its Error frame) or the deadline. */
static bool wait_ended(struct bn_conn *c)
{
    char buf[4096];
    for (;;) {
        long n = bn_read_some(c, buf, sizeof(buf));
        if (n <= 0) {
            return bn_now() < c->deadline;
        }
    }
}

struct run_times {
    double from_start, from_exit; /* seconds */
};

static bool one_run(const struct bn_opts *o, const char *cert, const char *key,
                    struct run_times *t)
{
    char serial[64], cmd[CMD_MAX];
    if (!serial_of(cert, serial, sizeof(serial)) ||
        !command_for(o->revoke_cmd, serial, cmd, sizeof(cmd))) {
        bn_fail("revoke-latency: cannot read %s or build the command", cert);
        return false;
    }
    struct bn_opts mine = *o;
    mine.cert = cert;
    mine.key = key;
    mine.proto = BN_RINGWARD;
    mine.resume = false;
    SSL_CTX *ctx = bn_tls_ctx(&mine);
    struct bn_conn c;
    bool ok = ctx && bn_open(&c, ctx, &mine, NULL, NULL);
    if (!ok) {
        bn_fail("revoke-latency: cannot connect as %s", cert);
        SSL_CTX_free(ctx);
        return false;
    }
    double t0 = bn_now();
    int rc = system(cmd);
    double t1 = bn_now();
    c.deadline = t1 + o->duration_s;
    ok = rc == 0 && wait_ended(&c);
    double t2 = bn_now();
    bn_close(&c, true);
    SSL_CTX_free(ctx);
    if (rc != 0) {
        bn_fail("revoke-latency: `%s` exited %d", cmd, rc);
    } else if (!ok) {
        bn_fail("revoke-latency: the session of %s outlived its revocation by %.1f s", cert,
                o->duration_s);
    }
    t->from_start = t2 - t0;
    t->from_exit = t2 - t1;
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const struct bn_opts *o, double *start, double *exit_, int n)
{
    qsort(start, (size_t)n, sizeof(*start), cmp_double);
    qsort(exit_, (size_t)n, sizeof(*exit_), cmp_double);
    double p50s = start[n / 2] * 1e3, p50e = exit_[n / 2] * 1e3;
    printf("revoke-latency: %d runs, %ld revoked in the store: command start -> session ended "
           "median %.0f ms (worst %.0f ms); command exit -> ended median %.0f ms (worst %.0f ms)\n",
           n, o->revoked, p50s, start[n - 1] * 1e3, p50e, exit_[n - 1] * 1e3);
    struct bn_json j;
    bn_json_begin(&j, "revoke-latency", o);
    bn_json_int(&j, "runs", n);
    bn_json_int(&j, "revoked", o->revoked);
    bn_json_num(&j, "p50_ms_from_start", p50s);
    bn_json_num(&j, "max_ms_from_start", start[n - 1] * 1e3);
    bn_json_num(&j, "p50_ms_from_exit", p50e);
    bn_json_num(&j, "max_ms_from_exit", exit_[n - 1] * 1e3);
    bn_json_end(&j);
}

int bn_mode_revoke_latency(const struct bn_opts *o)
{
    if (!o->cert_dir || !o->revoke_cmd) {
        bn_fail("revoke-latency needs --cert-dir DIR and --revoke-cmd CMD");
        return 2;
    }
    DIR *d = opendir(o->cert_dir);
    if (!d) {
        bn_fail("cannot open %s", o->cert_dir);
        return 1;
    }
    double start[MAX_RUNS], exit_[MAX_RUNS];
    int n = 0;
    long limit = o->count > 0 && o->count < MAX_RUNS ? o->count : MAX_RUNS;
    struct dirent *e;
    bool failed = false;
    while (!failed && n < limit && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".pem") != 0 ||
            strcmp(e->d_name, "ca-chain.pem") == 0) {
            continue;
        }
        char cert[4096], key[4096];
        snprintf(cert, sizeof(cert), "%s/%s", o->cert_dir, e->d_name);
        snprintf(key, sizeof(key), "%s/%.*s.key", o->cert_dir, (int)(len - 4), e->d_name);
        struct run_times t;
        failed = !one_run(o, cert, key, &t);
        if (!failed) {
            start[n] = t.from_start;
            exit_[n] = t.from_exit;
            n++;
        }
    }
    closedir(d);
    if (n == 0 || failed) {
        return 1;
    }
    report(o, start, exit_, n);
    return 0;
}
