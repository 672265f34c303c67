/* broker/brk_net.c — listening sockets: one per worker, SO_REUSEPORT on
 * the same address, so the kernel spreads connections over the workers;
 * and a plain one (the metrics endpoint). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/brk_daemon.h"

static struct rw_result listen_one(const char *host, uint16_t port, bool reuseport, int *fd_out,
                                   uint16_t *bound)
{
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    RW_ENSURE_MSG(gai == 0, RW_ERR_USAGE, "cannot resolve listen host '%s': %s", host,
                  gai_strerror(gai));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    int ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
             (!reuseport || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0) &&
             bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0;
    int err = errno;
    freeaddrinfo(ai);
    if (!ok) {
        if (fd >= 0) {
            close(fd);
        }
        RW_BAIL_MSG(RW_ERR_IO, "cannot listen on %s:%u: %s", host, port, strerror(err));
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return RW_SUCCESS;
}

struct rw_result brk_net_listen(const char *host, uint16_t port, unsigned n, int *fds,
                                uint16_t *bound)
{
    for (unsigned i = 0; i < n; i++) {
        fds[i] = -1;
    }
    uint16_t p = port;
    for (unsigned i = 0; i < n; i++) {
        struct rw_result r = listen_one(host, p, true, &fds[i], &p);
        if (!rw_ok(r)) {
            for (unsigned j = 0; j < i; j++) {
                close(fds[j]);
                fds[j] = -1;
            }
            return r;
        }
    }
    *bound = p;
    return RW_SUCCESS;
}

struct rw_result brk_net_listen_plain(const char *host, uint16_t port, int *fd, uint16_t *bound)
{
    return listen_one(host, port, false, fd, bound);
}
