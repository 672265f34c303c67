/* bench/bn_util.c — clocks, /proc readers, the JSON line, the histogram. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bn.h"

double bn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t bn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void bn_sleep(double s)
{
    if (s <= 0) {
        return;
    }
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void bn_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ringward-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

double bn_proc_cpu_s(pid_t pid)
{
    if (pid <= 0) {
        return -1;
    }
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces: fields count from after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) {
        return -1;
    }
    unsigned long long ut = 0, st = 0;
    /* fields 3.. after ")": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long bn_proc_rss_kib(pid_t pid)
{
    if (pid <= 0) {
        return -1;
    }
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    long kib = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

const char *bn_proto_name(enum bn_proto p)
{
    switch (p) {
    case BN_RINGWARD: return "ringward";
    case BN_MQTT: return "mqtt";
    case BN_NATS: return "nats";
    case BN_HTTP: return "http";
    default: return "none";
    }
}

static void jput(struct bn_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jput(struct bn_json *j, const char *fmt, ...)
{
    if (j->len >= sizeof(j->buf) - 1) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->buf + j->len, sizeof(j->buf) - j->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        j->len += (size_t)n;
        if (j->len >= sizeof(j->buf)) {
            j->len = sizeof(j->buf) - 1;
        }
    }
}

void bn_json_begin(struct bn_json *j, const char *mode, const struct bn_opts *o)
{
    j->len = 0;
    jput(j, "{\"mode\":\"%s\"", mode);
    bn_json_str(j, "proto", bn_proto_name(o->proto));
    if (o->label) {
        bn_json_str(j, "peer", o->label);
    }
}

void bn_json_num(struct bn_json *j, const char *key, double v)
{
    if (!isfinite(v)) {
        jput(j, ",\"%s\":null", key);
    } else {
        jput(j, ",\"%s\":%.6g", key, v);
    }
}

void bn_json_int(struct bn_json *j, const char *key, long long v) { jput(j, ",\"%s\":%lld", key, v); }

void bn_json_str(struct bn_json *j, const char *key, const char *v)
{
    jput(j, ",\"%s\":\"", key);
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            jput(j, "\\%c", ch);
        } else if (ch < 0x20) {
            jput(j, "\\u%04x", ch);
        } else {
            jput(j, "%c", ch);
        }
    }
    jput(j, "\"");
}

void bn_json_end(struct bn_json *j)
{
    jput(j, "}");
    printf("%s\n", j->buf);
    fflush(stdout);
}

/* Bucket of v: 16 linear sub-buckets inside each power of two. */
static unsigned bucket_of(uint64_t v)
{
    if (v < 16) {
        return (unsigned)v;
    }
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)((v >> (msb - 4)) & 15u);
    unsigned b = (msb - 3) * 16 + sub;
    return b < BN_HIST_BUCKETS ? b : BN_HIST_BUCKETS - 1;
}

/* Upper bound of bucket b. */
static uint64_t bucket_top(unsigned b)
{
    if (b < 16) {
        return b;
    }
    unsigned msb = b / 16 + 3, sub = b % 16;
    return ((16ull + sub + 1) << (msb - 4)) - 1;
}

void bn_hist_add(struct bn_hist *h, uint64_t ns)
{
    h->b[bucket_of(ns)]++;
    h->n++;
    if (ns > h->max_ns) {
        h->max_ns = ns;
    }
}

void bn_hist_merge(struct bn_hist *into, const struct bn_hist *h)
{
    for (unsigned i = 0; i < BN_HIST_BUCKETS; i++) {
        into->b[i] += h->b[i];
    }
    into->n += h->n;
    if (h->max_ns > into->max_ns) {
        into->max_ns = h->max_ns;
    }
}

uint64_t bn_hist_quantile(const struct bn_hist *h, double q)
{
    if (h->n == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
    rank = rank ? rank : 1;
    for (unsigned i = 0; i < BN_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t top = bucket_top(i);
            return top < h->max_ns ? top : h->max_ns;
        }
    }
    return h->max_ns;
}
