/* client/cl_sock.c — TCP connect with a deadline, and a MSG_NOSIGNAL BIO. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "client/cl_conn.h"
#include "client/cl_err.h"

int64_t rw_cl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rw_cl_remaining(int64_t deadline)
{
    if (deadline < 0) {
        return -1;
    }
    int64_t left = deadline - rw_cl_now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* 0 when connected, else an errno (ETIMEDOUT when the deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0) {
        return errno;
    }
    int e = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        e = errno;
        while (e == EINPROGRESS || e == EINTR) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            int n = poll(&pfd, 1, rw_cl_remaining(deadline));
            if (n == 0) {
                e = ETIMEDOUT;
            } else if (n > 0) {
                socklen_t len = sizeof(e);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) {
                    e = errno;
                }
            } else {
                e = errno;
            }
        }
    }
    if (e != 0) {
        close(fd);
        return e;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *out = fd;
    return 0;
}

struct rw_result rw_cl_sock_connect(const char *host, uint16_t port, int64_t deadline, int *fd,
                                    struct rw_client_error *err)
{
    char svc[8];
    snprintf(svc, sizeof(svc), "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, svc, &hints, &res);
    if (g != 0) {
        rw_cl_err_set(err, 0, "cannot resolve broker host '%s': %s", host, gai_strerror(g));
        RW_BAIL(RW_ERR_IO);
    }
    int e = EHOSTUNREACH;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        e = connect_one(ai, deadline, fd);
        if (e == 0 || e == ETIMEDOUT) {
            break;
        }
    }
    freeaddrinfo(res);
    if (e == ETIMEDOUT) {
        rw_cl_err_set(err, 0, "connect to %s:%u timed out", host, (unsigned)port);
        RW_BAIL(RW_ERR_IO);
    }
    if (e != 0) {
        rw_cl_err_set(err, 0, "connect to %s:%u failed: %s (is the broker running?)", host,
                      (unsigned)port, strerror(e));
        RW_BAIL(RW_ERR_IO);
    }
    return RW_SUCCESS;
}

/* ---- BIO over a socket that never raises SIGPIPE ---- */

static int bio_write(BIO *b, const char *data, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(fd, data, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        BIO_set_retry_write(b);
    }
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(fd, buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        BIO_set_retry_read(b);
    }
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *method;
static CRYPTO_ONCE method_once = CRYPTO_ONCE_STATIC_INIT;

static void method_make(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringward socket");
    if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_read(m, bio_read) &&
        BIO_meth_set_ctrl(m, bio_ctrl) && BIO_meth_set_create(m, bio_create)) {
        method = m;
        return;
    }
    BIO_meth_free(m);
}

BIO *rw_cl_sock_bio(int fd)
{
    if (!CRYPTO_THREAD_run_once(&method_once, method_make) || !method) {
        return NULL;
    }
    BIO *b = BIO_new(method);
    if (b) {
        BIO_set_data(b, (void *)(intptr_t)fd);
    }
    return b;
}
