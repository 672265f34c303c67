/* tests/testlib/tl_daemon.c — start, watch and stop a daemon by PID. */
#include "tests/testlib/tl_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

long long tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long tl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void)
{
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
}

/* The port of `key=HOST:PORT` in the ready file's line, or 0. */
static int port_of(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p) {
        return 0;
    }
    size_t n = strcspn(p, " \n");
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == ':') {
            return atoi(p + i);
        }
    }
    return 0;
}

static bool read_port(struct tl_daemon *d)
{
    char *text = tl_read_file(d->ready, NULL);
    if (!text) {
        return false;
    }
    d->port = port_of(text, "listen=");
    d->metrics_port = port_of(text, "metrics=");
    d->admin_port = port_of(text, "admin=");
    free(text);
    return d->port > 0;
}

bool tl_daemon_start(struct tl_daemon *d, const char *data_dir, const char *extra)
{
    static int seq;
    memset(d, 0, sizeof(*d));
    seq++;
    snprintf(d->ready, sizeof(d->ready), "%s/../ready-%d-%d", data_dir, (int)getpid(), seq);
    snprintf(d->log, sizeof(d->log), "%s/../ringward-%d-%d.log", data_dir, (int)getpid(), seq);
    unlink(d->ready);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "exec %s --data-dir %s --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "
             "--ready-file %s %s 2>%s",
             tl_bin("ringward"), data_dir, d->ready, extra ? extra : "", d->log);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        return false;
    }
    if (pid == 0) {
        /* A test that crashes never runs its teardown: the daemon must not
         * outlive it (and keep its port, its files, CI's time). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    d->pid = pid;
    long long end = tl_now_ms() + 15000;
    while (tl_now_ms() < end) {
        if (read_port(d)) {
            return true;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            d->pid = 0;
            return false;
        }
        nap();
    }
    return false;
}

bool tl_daemon_signal(struct tl_daemon *d, int sig)
{
    return d->pid > 0 && kill(d->pid, sig) == 0;
}

int tl_daemon_stop(struct tl_daemon *d, int sig, int timeout_ms)
{
    if (d->pid <= 0) {
        return -1;
    }
    kill(d->pid, sig);
    long long end = tl_now_ms() + timeout_ms;
    int st = 0;
    while (tl_now_ms() < end) {
        pid_t r = waitpid(d->pid, &st, WNOHANG);
        if (r == d->pid) {
            d->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        nap();
    }
    tl_daemon_kill(d);
    return -1;
}

void tl_daemon_kill(struct tl_daemon *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
}

char *tl_daemon_log(const struct tl_daemon *d)
{
    char *text = tl_read_file(d->log, NULL);
    return text ? text : strdup("");
}

bool tl_daemon_wait_log(const struct tl_daemon *d, const char *needle, int count, int timeout_ms)
{
    long long end = tl_now_ms() + timeout_ms;
    do {
        char *text = tl_daemon_log(d);
        int n = tl_count(text, needle);
        free(text);
        if (n >= count) {
            return true;
        }
        nap();
    } while (tl_now_ms() < end);
    return false;
}

long tl_daemon_rss_kib(const struct tl_daemon *d)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
    char *text = tl_read_file(path, NULL);
    if (!text) {
        return -1;
    }
    const char *p = strstr(text, "VmRSS:");
    long kib = p ? strtol(p + 6, NULL, 10) : -1;
    free(text);
    return kib;
}

bool tl_broker_init(struct tl_broker *b, const char *tag)
{
    memset(b, 0, sizeof(*b));
    b->dir = tl_tmpdir(tag);
    if (!b->dir) {
        return false;
    }
    snprintf(b->data, sizeof(b->data), "%s/data", b->dir);
    snprintf(b->pki, sizeof(b->pki), "%s/pki", b->data);
    char *out = NULL;
    int rc = tl_sh(&out, "%s init --insecure-dev-keys --data-dir %s", tl_bin("ringward-admin"),
                   b->data);
    if (rc != 0) {
        fprintf(stderr, "ringward-admin init failed: %s\n", out ? out : "");
    }
    free(out);
    return rc == 0;
}

bool tl_broker_start(struct tl_broker *b, const char *extra)
{
    if (!tl_daemon_start(&b->d, b->data, extra)) {
        char *log = tl_daemon_log(&b->d);
        fprintf(stderr, "ringward did not start:\n%s\n", log);
        free(log);
        return false;
    }
    return true;
}

void tl_broker_fini(struct tl_broker *b)
{
    if (b->d.pid > 0) {
        tl_daemon_stop(&b->d, SIGTERM, 15000); /* a clean exit runs LeakSanitizer */
    }
    if (b->d.log[0]) {
        /* Sanitizer reports of the daemon go to the test's output, where
         * ctest's FAIL_REGULAR_EXPRESSION sees them. */
        char *log = tl_daemon_log(&b->d);
        if (strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
            strstr(log, "runtime error:")) {
            fprintf(stderr, "ringward log with a sanitizer report:\n%s\n", log);
        }
        free(log);
    }
    if (b->dir) {
        tl_rmtree(b->dir);
        free(b->dir);
    }
    memset(b, 0, sizeof(*b));
}

int tl_broker_admin(struct tl_broker *b, char **out, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(args)) {
        return -1;
    }
    return tl_sh(out, "%s --data-dir %s %s", tl_bin("ringward-admin"), b->data, args);
}

bool tl_broker_issue(struct tl_broker *b, const char *principal, const char *role,
                     const char *dir, const char *extra)
{
    char *out = NULL;
    int rc = tl_sh(&out, "mkdir -p %s && %s --data-dir %s certs issue --principal %s --role %s "
                         "--out %s %s", dir, tl_bin("ringward-admin"), b->data, principal, role,
                   dir, extra ? extra : "");
    if (rc != 0) {
        fprintf(stderr, "certs issue %s failed: %s\n", principal, out ? out : "");
    }
    free(out);
    return rc == 0;
}

long long tl_broker_acl_add(struct tl_broker *b, const char *principal, const char *topic,
                            const char *ops, bool allow)
{
    char *out = NULL;
    int rc = tl_broker_admin(b, &out, "acl add --principal '%s' --topic '%s' --op %s %s",
                             principal, topic, ops, allow ? "--allow" : "--deny");
    /* stdout is the id alone on a line; stderr (captured too) has prose. */
    long long id = 0;
    for (const char *line = out; rc == 0 && line && *line && id == 0;) {
        size_t n = strcspn(line, "\n");
        if (n > 0 && n < 20 && strspn(line, "0123456789") == n) {
            id = strtoll(line, NULL, 10);
        }
        line += n + (line[n] == '\n');
    }
    bool ok = rc == 0 && id > 0;
    if (!ok) {
        fprintf(stderr, "acl add %s %s %s failed (%d): %s\n", principal, topic, ops, rc,
                out ? out : "");
    }
    free(out);
    return ok ? id : -1;
}

bool tl_broker_acl_remove(struct tl_broker *b, long long id)
{
    char *out = NULL;
    int rc = tl_broker_admin(b, &out, "acl remove %lld", id);
    if (rc != 0) {
        fprintf(stderr, "acl remove %lld failed (%d): %s\n", id, rc, out ? out : "");
    }
    free(out);
    return rc == 0;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

const char *tl_cert_serial(const char *pem_path)
{
    static char hex[128];
    hex[0] = '\0';
    X509 *x = read_cert(pem_path);
    BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
    char *h = bn ? BN_bn2hex(bn) : NULL;
    if (h) {
        snprintf(hex, sizeof(hex), "%s%s", strlen(h) % 2 ? "0" : "", h);
    }
    OPENSSL_free(h);
    BN_free(bn);
    X509_free(x);
    return hex;
}

long long tl_cert_not_after(const char *pem_path)
{
    X509 *x = read_cert(pem_path);
    struct tm tm;
    long long t = -1;
    if (x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1) {
        t = (long long)timegm(&tm);
    }
    X509_free(x);
    return t;
}
