/* tests/testlib/tl_daemon.h — a real daemon process for e2e tests.
 *
 * Started by fork/exec with stderr redirected to a log file, on
 * 127.0.0.1:0 with --ready-file; tl_daemon_start waits (bounded) for the
 * ready file and reads the port from it. Stopped by PID only. Every wait
 * polls a condition with a bound; none sleeps a fixed time.
 */
#ifndef RW_TL_DAEMON_H
#define RW_TL_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

struct tl_daemon {
    pid_t pid;           /* 0 when not running */
    int port;
    int metrics_port;    /* 0 unless started with --metrics */
    int admin_port;      /* the admin listener; 0 with --admin-listen off */
    char ready[1024];
    char log[1024];
};

/* Runs `ringward --data-dir DATA --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0
 * --ready-file ... EXTRA`
 * (EXTRA is split by the shell; may be NULL) with its log at
 * DATA/../ringward-N.log. False when it did not become ready in 15 s.
 * The daemon is SIGKILLed when the thread that started it exits (a crashed
 * test leaves no broker behind), so start daemons from the test's main
 * thread. */
bool tl_daemon_start(struct tl_daemon *d, const char *data_dir, const char *extra);

/* Sends sig (e.g. SIGTERM), waits up to timeout_ms; returns the exit status,
 * 128+signal when killed, or -1 when it had to be SIGKILLed. */
int tl_daemon_stop(struct tl_daemon *d, int sig, int timeout_ms);

/* In teardown: SIGKILL and reap, when still running. */
void tl_daemon_kill(struct tl_daemon *d);

bool tl_daemon_signal(struct tl_daemon *d, int sig);

/* The log so far (heap, NUL-terminated; never NULL). */
char *tl_daemon_log(const struct tl_daemon *d);

/* Polls the log until it contains `needle` at least `count` times. */
bool tl_daemon_wait_log(const struct tl_daemon *d, const char *needle, int count, int timeout_ms);

/* Resident set size of the daemon in KiB (from /proc), or -1. */
long tl_daemon_rss_kib(const struct tl_daemon *d);

/* A broker fixture: a temporary folder with a data directory made by the
 * real `ringward-admin init --insecure-dev-keys`, and a daemon on it. */
struct tl_broker {
    char *dir;            /* heap; removed by tl_broker_fini */
    char data[1024];      /* DIR/data */
    char pki[1100];       /* DIR/data/pki */
    struct tl_daemon d;
};
bool tl_broker_init(struct tl_broker *b, const char *tag);
/* Starts the daemon (extra flags may be NULL). */
bool tl_broker_start(struct tl_broker *b, const char *extra);
/* Stops the daemon (SIGTERM, then SIGKILL after 15 s), echoes its log to
 * stderr when it holds a sanitizer report, removes the folder. */
void tl_broker_fini(struct tl_broker *b);

/* Runs `ringward-admin --data-dir DATA ARGS` (printf-style); the exit
 * status, output in *out (heap; may be NULL to discard). */
int tl_broker_admin(struct tl_broker *b, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* `certs issue --principal P --role R --out DIR EXTRA`: DIR/P.pem, DIR/P.key
 * and DIR/ca-chain.pem (DIR is created). */
bool tl_broker_issue(struct tl_broker *b, const char *principal, const char *role,
                     const char *dir, const char *extra);
/* `acl add --principal P --topic T --op OPS --allow|--deny` (offline, on
 * the data directory): the new rule's id, or -1 (the output is echoed to
 * stderr). Patterns are quoted for the shell. */
long long tl_broker_acl_add(struct tl_broker *b, const char *principal, const char *topic,
                            const char *ops, bool allow);
/* `acl remove ID`; true on success. */
bool tl_broker_acl_remove(struct tl_broker *b, long long id);
/* A certificate file's serial as upper-case hex (static storage), "" on error. */
const char *tl_cert_serial(const char *pem_path);
/* A certificate file's notAfter in Unix seconds, or -1. */
long long tl_cert_not_after(const char *pem_path);

/* Milliseconds on the monotonic clock. */
long long tl_now_ms(void);
/* Milliseconds on the wall clock (Unix epoch). */
long long tl_wall_ms(void);

#endif
