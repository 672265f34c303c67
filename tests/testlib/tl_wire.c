/* tests/testlib/tl_wire.c — blocking TLS client and minimal protobuf. */
#include "tests/testlib/tl_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int tl_tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool tl_wire_connect(struct tl_wire *w, int port, const char *cert, const char *key, const char *ca)
{
    return tl_wire_connect_session(w, port, cert, key, ca, NULL);
}

bool tl_wire_connect_session(struct tl_wire *w, int port, const char *cert, const char *key,
                             const char *ca, SSL_SESSION *resume)
{
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    w->ctx = SSL_CTX_new(TLS_client_method());
    if (!w->ctx) {
        return false;
    }
    SSL_CTX_set_min_proto_version(w->ctx, TLS1_3_VERSION);
    SSL_CTX_set_mode(w->ctx, SSL_MODE_NO_AUTO_CHAIN | SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
    if ((cert && SSL_CTX_use_certificate_file(w->ctx, cert, SSL_FILETYPE_PEM) != 1) ||
        (key && SSL_CTX_use_PrivateKey_file(w->ctx, key, SSL_FILETYPE_PEM) != 1) ||
        SSL_CTX_load_verify_locations(w->ctx, ca, NULL) != 1) {
        tl_wire_close(w);
        return false;
    }
    w->fd = tl_tcp_connect(port);
    w->ssl = w->fd >= 0 ? SSL_new(w->ctx) : NULL;
    if (!w->ssl || SSL_set_fd(w->ssl, w->fd) != 1 ||
        (resume && SSL_set_session(w->ssl, resume) != 1) || SSL_connect(w->ssl) != 1) {
        tl_wire_close(w);
        return false;
    }
    return true;
}

SSL_SESSION *tl_wire_session(struct tl_wire *w)
{
    SSL_SESSION *s = w->ssl ? SSL_get1_session(w->ssl) : NULL;
    if (s && !SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        s = NULL;
    }
    return s;
}

bool tl_wire_resumed(const struct tl_wire *w) { return w->ssl && SSL_session_reused(w->ssl); }

bool tl_wire_ping(struct tl_wire *w, uint64_t corr)
{
    struct tl_pb m = {0};
    tl_msg_ping(&m, corr);
    bool ok = tl_wire_send(w, m.data, m.len);
    tl_pb_free(&m);
    while (ok) {
        uint8_t *body = NULL;
        size_t len = 0;
        struct tl_frame f;
        if (tl_wire_read_frame(w, &body, &len) != 1 || !tl_frame_parse(body, len, &f)) {
            free(body);
            return false;
        }
        bool pong = f.body == TL_BODY_PONG && f.corr == corr;
        bool error = f.body == TL_BODY_ERROR;
        free(body);
        if (pong || error) {
            return pong;
        }
    }
    return false;
}

void tl_wire_close(struct tl_wire *w)
{
    if (w->ssl) {
        SSL_shutdown(w->ssl);
        SSL_free(w->ssl);
    }
    SSL_CTX_free(w->ctx);
    if (w->fd >= 0) {
        close(w->fd);
    }
    memset(w, 0, sizeof(*w));
    w->fd = -1;
}

bool tl_wire_send(struct tl_wire *w, const void *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        int k = SSL_write(w->ssl, (const uint8_t *)p + done, (int)(n - done));
        if (k <= 0) {
            return false;
        }
        done += (size_t)k;
    }
    return true;
}

static int read_full(struct tl_wire *w, uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        int k = SSL_read(w->ssl, p + done, (int)(n - done));
        if (k <= 0) {
            return SSL_get_error(w->ssl, k) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
        }
        done += (size_t)k;
    }
    return 1;
}

int tl_wire_read_frame(struct tl_wire *w, uint8_t **body, size_t *len)
{
    uint8_t h[4];
    int r = read_full(w, h, 4);
    if (r <= 0) {
        return r;
    }
    size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (n > (64u << 20)) {
        return -1;
    }
    *body = malloc(n ? n : 1);
    if (!*body) {
        return -1;
    }
    r = read_full(w, *body, n);
    if (r <= 0) {
        free(*body);
        *body = NULL;
        return r;
    }
    *len = n;
    return 1;
}

/* ---- protobuf ---- */

static void put(struct tl_pb *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            cap *= 2;
        }
        b->data = realloc(b->data, cap);
        if (!b->data) {
            abort();
        }
        b->cap = cap;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
}

void tl_pb_free(struct tl_pb *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void tl_pb_varint(struct tl_pb *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, tmp, n);
}

void tl_pb_tag(struct tl_pb *b, unsigned field, unsigned wire) { tl_pb_varint(b, field << 3 | wire); }

void tl_pb_bytes(struct tl_pb *b, unsigned field, const void *p, size_t n)
{
    tl_pb_tag(b, field, 2);
    tl_pb_varint(b, n);
    put(b, p, n);
}

void tl_pb_u64(struct tl_pb *b, unsigned field, uint64_t v)
{
    tl_pb_tag(b, field, 0);
    tl_pb_varint(b, v);
}

void tl_pb_frame(struct tl_pb *out, const struct tl_pb *body)
{
    uint8_t h[4] = {(uint8_t)(body->len >> 24), (uint8_t)(body->len >> 16),
                    (uint8_t)(body->len >> 8), (uint8_t)body->len};
    put(out, h, 4);
    put(out, body->data, body->len);
}

static void frame_of(struct tl_pb *out, uint64_t corr, unsigned body_field, const struct tl_pb *msg)
{
    struct tl_pb f = {0};
    tl_pb_u64(&f, 1, corr);
    tl_pb_bytes(&f, body_field, msg->data, msg->len);
    tl_pb_frame(out, &f);
    tl_pb_free(&f);
}

void tl_msg_produce(struct tl_pb *out, uint64_t corr, const char *topic, const char *const *vals,
                    const size_t *lens, size_t n)
{
    struct tl_pb m = {0}, r = {0};
    tl_pb_bytes(&m, 1, topic, strlen(topic));
    for (size_t i = 0; i < n; i++) {
        r.len = 0;
        tl_pb_bytes(&r, 1, vals[i], lens ? lens[i] : strlen(vals[i]));
        tl_pb_bytes(&m, 2, r.data, r.len);
    }
    frame_of(out, corr, 3, &m);
    tl_pb_free(&m);
    tl_pb_free(&r);
}

void tl_msg_fetch(struct tl_pb *out, uint64_t corr, const char *topic, uint64_t offset,
                  uint32_t max_bytes)
{
    struct tl_pb m = {0};
    tl_pb_bytes(&m, 1, topic, strlen(topic));
    tl_pb_u64(&m, 2, offset);
    tl_pb_u64(&m, 3, max_bytes);
    frame_of(out, corr, 5, &m);
    tl_pb_free(&m);
}

void tl_msg_ping(struct tl_pb *out, uint64_t corr)
{
    struct tl_pb m = {0};
    put(&m, "", 0);
    frame_of(out, corr, 11, &m);
    tl_pb_free(&m);
}

void tl_msg_subscribe(struct tl_pb *out, uint64_t corr, const char *topic, bool from_end,
                      uint32_t credit)
{
    struct tl_pb m = {0};
    tl_pb_bytes(&m, 1, topic, strlen(topic));
    if (from_end) {
        tl_pb_u64(&m, 3, 1);
    }
    tl_pb_u64(&m, 4, credit);
    frame_of(out, corr, 7, &m);
    tl_pb_free(&m);
}

static bool get_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            return true;
        }
    }
    return false;
}

bool tl_pb_next(const uint8_t *msg, size_t len, size_t *pos, struct tl_pb_field *f)
{
    uint64_t tag;
    if (*pos >= len || !get_varint(msg, len, pos, &tag)) {
        return false;
    }
    f->field = (unsigned)(tag >> 3);
    f->wire = (unsigned)(tag & 7);
    f->v = 0;
    f->p = NULL;
    f->n = 0;
    if (f->wire == 0) {
        return get_varint(msg, len, pos, &f->v);
    }
    if (f->wire == 2) {
        uint64_t n;
        if (!get_varint(msg, len, pos, &n) || n > len - *pos) {
            return false;
        }
        f->p = msg + *pos;
        f->n = (size_t)n;
        *pos += (size_t)n;
        return true;
    }
    return false; /* fixed32/64 unused by our schema */
}

bool tl_pb_find(const uint8_t *msg, size_t len, unsigned field, struct tl_pb_field *f)
{
    size_t pos = 0;
    while (tl_pb_next(msg, len, &pos, f)) {
        if (f->field == field) {
            return true;
        }
    }
    return false;
}

bool tl_frame_parse(const uint8_t *msg, size_t len, struct tl_frame *out)
{
    memset(out, 0, sizeof(*out));
    size_t pos = 0;
    struct tl_pb_field f;
    while (tl_pb_next(msg, len, &pos, &f)) {
        if (f.field == 1 && f.wire == 0) {
            out->corr = f.v;
        } else if (f.field >= 2 && f.field <= 12 && f.wire == 2) {
            out->body = f.field;
            out->p = f.p;
            out->n = f.n;
        }
    }
    return pos == len && out->body != 0;
}

bool tl_error_parse(const struct tl_frame *f, int *code, char *msg, size_t cap)
{
    if (f->body != TL_BODY_ERROR) {
        return false;
    }
    *code = 0;
    if (cap) {
        msg[0] = '\0';
    }
    size_t pos = 0;
    struct tl_pb_field x;
    while (tl_pb_next(f->p, f->n, &pos, &x)) {
        if (x.field == 1 && x.wire == 0) {
            *code = (int)x.v;
        } else if (x.field == 2 && x.wire == 2 && cap) {
            size_t n = x.n < cap - 1 ? x.n : cap - 1;
            memcpy(msg, x.p, n);
            msg[n] = '\0';
        }
    }
    return true;
}

bool tl_http_get(int port, const char *path, int *status, char **body)
{
    int fd = tl_tcp_connect(port);
    if (fd < 0) {
        return false;
    }
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    struct tl_pb resp = {0};
    bool ok = send(fd, req, (size_t)n, MSG_NOSIGNAL) == n;
    char buf[4096];
    ssize_t k;
    while (ok && (k = recv(fd, buf, sizeof(buf), 0)) > 0) {
        put(&resp, buf, (size_t)k);
    }
    close(fd);
    put(&resp, "", 1);
    const char *text = (const char *)resp.data;
    const char *sep = strstr(text, "\r\n\r\n");
    ok = ok && strncmp(text, "HTTP/1.", 7) == 0 && sep;
    if (ok) {
        *status = atoi(text + 9);
        if (body) {
            *body = strdup(sep + 4);
        }
    }
    tl_pb_free(&resp);
    return ok;
}

long long tl_metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            return atoll(p + n + 1);
        }
    }
    return -1;
}
