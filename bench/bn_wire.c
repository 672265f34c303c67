/* bench/bn_wire.c — opening a connection the way each protocol does, and
 * the little of MQTT 3.1.1 and NATS the generator speaks (QoS 0 PUBLISH /
 * SUBSCRIBE; PUB / SUB / MSG / PING / PONG). Parsers only read inside
 * [data, data+len) and return what they consumed. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "bench/bn.h"
#include "core/rw_buf.h"
#include "proto/rw_frame.h"

/* ---- Ringward: one Ping/Pong round trip over frames ---- */
static bool ringward_ping(struct bn_conn *c)
{
    Ringward__Ping ping = RINGWARD__PING__INIT;
    Ringward__Frame f = RINGWARD__FRAME__INIT;
    f.correlation_id = 1;
    f.body_case = RINGWARD__FRAME__BODY_PING;
    f.ping = &ping;
    uint8_t out[64];
    struct rw_buf b;
    rw_buf_init(&b, sizeof(out));
    bool ok = rw_ok(rw_frame_append(&b, &f.base, RW_FRAME_DEFAULT_MAX)) &&
              bn_write_all(c, b.data, b.len);
    rw_buf_cleanup(&b);
    uint8_t hdr[4], body[512];
    if (!ok || !bn_read_exact(c, hdr, 4)) {
        return false;
    }
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n > sizeof(body) || !bn_read_exact(c, body, n)) {
        return false;
    }
    Ringward__Frame *r = NULL;
    if (!rw_ok(rw_frame_decode(body, n, &r))) {
        return false;
    }
    ok = r->body_case == RINGWARD__FRAME__BODY_PONG;
    rw_frame_free(r);
    return ok;
}

/* ---- MQTT 3.1.1 ---- */
static size_t put_varlen(uint8_t *p, size_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        p[n++] = b | (v ? 0x80 : 0);
    } while (v && n < 4);
    return n;
}

static size_t put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

static bool mqtt_connect(struct bn_conn *c, const char *client_id)
{
    uint8_t pkt[512], body[400];
    if (strlen(client_id) > 200) {
        return false;
    }
    size_t n = put_str(body, "MQTT");
    body[n++] = 4;     /* protocol level 3.1.1 */
    body[n++] = 0x02;  /* clean session */
    body[n++] = 0;
    body[n++] = 120;   /* keepalive 120 s */
    n += put_str(body + n, client_id);
    pkt[0] = 0x10;
    size_t h = 1 + put_varlen(pkt + 1, n);
    memcpy(pkt + h, body, n);
    uint8_t ack[4];
    return bn_write_all(c, pkt, h + n) && bn_read_exact(c, ack, 4) && ack[0] == 0x20 &&
           ack[3] == 0;
}

bool bn_mqtt_subscribe(struct bn_conn *c, const char *topic)
{
    uint8_t pkt[512], body[400];
    if (strlen(topic) > 300) {
        return false;
    }
    body[0] = 0;
    body[1] = 1; /* packet id */
    size_t n = 2 + put_str(body + 2, topic);
    body[n++] = 0; /* QoS 0 */
    pkt[0] = 0x82;
    size_t h = 1 + put_varlen(pkt + 1, n);
    memcpy(pkt + h, body, n);
    uint8_t ack[5];
    return bn_write_all(c, pkt, h + n) && bn_read_exact(c, ack, 5) && ack[0] == 0x90 &&
           ack[4] != 0x80;
}

size_t bn_mqtt_publish(uint8_t *buf, size_t cap, const char *topic, const void *p, size_t n)
{
    size_t tl = strlen(topic), rem = 2 + tl + n;
    if (cap < 5 + rem) {
        return 0;
    }
    buf[0] = 0x30;
    size_t h = 1 + put_varlen(buf + 1, rem);
    h += put_str(buf + h, topic);
    memcpy(buf + h, p, n);
    return h + n;
}

size_t bn_mqtt_parse(const uint8_t *data, size_t len, bn_msg_fn on_msg, void *arg)
{
    size_t pos = 0;
    for (;;) {
        if (len - pos < 2) {
            return pos;
        }
        size_t rem = 0, i = 1, shift = 0;
        bool done = false;
        while (i < 5 && pos + i < len) {
            uint8_t b = data[pos + i++];
            rem |= (size_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) {
                done = true;
                break;
            }
        }
        if (!done || len - pos - i < rem) {
            return pos;
        }
        const uint8_t *body = data + pos + i;
        if ((data[pos] & 0xf0) == 0x30 && rem >= 2) {
            size_t tl = (size_t)body[0] << 8 | body[1];
            size_t skip = 2 + tl + ((data[pos] & 0x06) ? 2 : 0);
            if (skip <= rem) {
                on_msg(arg, body + skip, rem - skip);
            }
        }
        pos += i + rem;
    }
}

/* ---- NATS ---- */
static bool nats_connect(struct bn_conn *c, SSL_CTX *ctx, SSL_SESSION *sess, const char *name)
{
    char line[4096];
    if (!bn_raw_read_line(c, line, sizeof(line)) || strncmp(line, "INFO ", 5) != 0) {
        return false;
    }
    if (!bn_tls_start(c, ctx, sess)) { /* NATS 2.9: INFO in plaintext, then TLS */
        return false;
    }
    char msg[512];
    int n = snprintf(msg, sizeof(msg),
                     "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true,"
                     "\"name\":\"%s\",\"lang\":\"c\",\"version\":\"0.1\",\"protocol\":1}\r\n"
                     "PING\r\n",
                     name);
    if (n <= 0 || (size_t)n >= sizeof(msg) || !bn_write_all(c, msg, (size_t)n)) {
        return false;
    }
    /* Expect PONG (an -ERR means refused). */
    size_t got = 0;
    while (got < sizeof(line) - 1) {
        long r = bn_read_some(c, line + got, sizeof(line) - 1 - got);
        if (r <= 0) {
            return false;
        }
        got += (size_t)r;
        line[got] = '\0';
        if (strstr(line, "PONG\r\n")) {
            return true;
        }
        if (strstr(line, "-ERR")) {
            return false;
        }
    }
    return false;
}

/* Appends what arrives to buf (kept NUL-terminated); false on close,
 * error, timeout or a full buffer. */
static bool read_more(struct bn_conn *c, char *buf, size_t cap, size_t *got)
{
    if (*got + 1 >= cap) {
        return false;
    }
    long r = bn_read_some(c, buf + *got, cap - 1 - *got);
    if (r <= 0) {
        return false;
    }
    *got += (size_t)r;
    buf[*got] = '\0';
    return true;
}

bool bn_nats_subscribe(struct bn_conn *c, const char *subject)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "SUB %s 1\r\nPING\r\n", subject);
    if (n <= 0 || (size_t)n >= sizeof(msg) || !bn_write_all(c, msg, (size_t)n)) {
        return false;
    }
    char buf[256];
    size_t got = 0;
    while (read_more(c, buf, sizeof(buf), &got)) {
        if (strstr(buf, "PONG\r\n")) {
            return true;
        }
    }
    return false;
}

size_t bn_nats_publish(uint8_t *buf, size_t cap, const char *subject, const void *p, size_t n)
{
    int h = snprintf((char *)buf, cap, "PUB %s %zu\r\n", subject, n);
    if (h <= 0 || (size_t)h + n + 2 > cap) {
        return 0;
    }
    memcpy(buf + h, p, n);
    memcpy(buf + h + n, "\r\n", 2);
    return (size_t)h + n + 2;
}

size_t bn_nats_parse(const uint8_t *data, size_t len, bn_msg_fn on_msg, void *arg, int *pings)
{
    size_t pos = 0;
    for (;;) {
        const uint8_t *nl = memchr(data + pos, '\n', len - pos);
        if (!nl) {
            return pos;
        }
        size_t ll = (size_t)(nl - (data + pos)) + 1;
        const char *line = (const char *)data + pos;
        if (ll >= 4 && memcmp(line, "MSG ", 4) == 0) {
            /* MSG <subject> <sid> [reply] <#bytes>\r\n: the size is the last field */
            size_t e = ll - 1;
            while (e > 0 && (line[e] == '\r' || line[e] == '\n')) {
                e--;
            }
            size_t s = e;
            while (s > 0 && line[s - 1] != ' ') {
                s--;
            }
            size_t sz = 0;
            for (size_t k = s; k <= e; k++) {
                sz = sz * 10 + (size_t)(line[k] - '0');
            }
            if (len - pos - ll < sz + 2) {
                return pos;
            }
            on_msg(arg, data + pos + ll, sz);
            pos += ll + sz + 2;
        } else {
            if (ll >= 4 && memcmp(line, "PING", 4) == 0) {
                (*pings)++;
            }
            pos += ll;
        }
    }
}

/* ---- none: wait for the server's first post-handshake record ---- */
static bool await_post_handshake(struct bn_conn *c)
{
    SSL_clear_mode(c->ssl, SSL_MODE_AUTO_RETRY);
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int ms = (int)((c->deadline - bn_now()) * 1000);
    if (ms <= 0 || poll(&p, 1, ms) != 1) {
        return false;
    }
    uint8_t b[64];
    ERR_clear_error();
    int r = SSL_read(c->ssl, b, sizeof(b));
    int e = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    return r > 0 || e == SSL_ERROR_WANT_READ;
}

static bool http_get(struct bn_conn *c)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (!bn_write_all(c, req, sizeof(req) - 1)) {
        return false;
    }
    char buf[2048];
    size_t got = 0;
    while (read_more(c, buf, sizeof(buf), &got)) {
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            char *cl = strstr(buf, "Content-Length: ");
            size_t want = cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
            if (got - (size_t)(end + 4 - buf) >= want) {
                return strncmp(buf, "HTTP/1.1 200", 12) == 0;
            }
        }
    }
    return false;
}

bool bn_open(struct bn_conn *c, SSL_CTX *ctx, const struct bn_opts *o, SSL_SESSION *sess,
             const char *client_id)
{
    if (!bn_tcp_connect(c, o->host, o->port, 10.0)) {
        return false;
    }
    if (o->proto == BN_NATS) {
        return nats_connect(c, ctx, sess, client_id);
    }
    if (!bn_tls_start(c, ctx, sess)) {
        return false;
    }
    switch (o->proto) {
    case BN_RINGWARD: return ringward_ping(c);
    case BN_MQTT: return mqtt_connect(c, client_id);
    case BN_HTTP: return http_get(c);
    default: return await_post_handshake(c);
    }
}
