/* security/sec_tls_bio.c — the session's ciphertext buffers and the BIO
 * libssl reads and writes them through (see security/sec_tls.h).
 *
 * One BIO per session, owned by its SSL, reads `in` and appends to `out`
 * of the session (its BIO data). Unlike BIO_s_mem, consumed input is never
 * moved on each write, nothing is zeroed on growth (ciphertext only), the
 * pending output can be handed over without a copy (rw_sec_tls_out_swap)
 * and both buffers are freed once empty (rw_sec_tls_trim).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "security/sec_tls_internal.h"

#define MIN_CAP 4096u

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

/* Room for `extra` more bytes after b->len (realloc: no wipe needed). */
static bool grow(struct rw_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return true;
    }
    if (extra > SIZE_MAX / 2 - b->len) {
        return false;
    }
    size_t need = b->len + extra;
    size_t cap = b->cap > MIN_CAP ? b->cap : MIN_CAP;
    while (cap < need) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

/* Moves the unread bytes [*off, len) to the front. */
static void compact(struct rw_buf *b, size_t *off)
{
    if (*off == 0) {
        return;
    }
    b->len -= *off;
    memmove(b->data, b->data + *off, b->len);
    *off = 0;
}

/* Copies up to `cap` unread bytes [*off, len) out, consuming them; an
 * emptied buffer starts over at 0. Returns the count. */
static size_t take(struct rw_buf *b, size_t *off, uint8_t *dst, size_t cap)
{
    size_t n = b->len - *off;
    n = n < cap ? n : cap;
    memcpy(dst, b->data + *off, n);
    *off += n;
    if (*off == b->len) {
        *off = b->len = 0;
    }
    return n;
}

bool rw_sec_tls_in_append(struct rw_sec_tls *s, const uint8_t *data, size_t len)
{
    if (s->in.cap - s->in.len < len) {
        compact(&s->in, &s->in_off);
    }
    if (!grow(&s->in, len)) {
        return false;
    }
    memcpy(s->in.data + s->in.len, data, len);
    s->in.len += len;
    return true;
}

static int bio_read(BIO *b, char *buf, size_t n, size_t *got)
{
    struct rw_sec_tls *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    *got = 0;
    if (s->in.len == s->in_off) {
        BIO_set_retry_read(b); /* empty means "more later", never EOF */
        return 0;
    }
    *got = take(&s->in, &s->in_off, (uint8_t *)buf, n);
    return 1;
}

static int bio_write(BIO *b, const char *buf, size_t n, size_t *put)
{
    struct rw_sec_tls *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    *put = 0;
    if (!grow(&s->out, n)) {
        return 0; /* out of memory: a hard failure, no retry */
    }
    memcpy(s->out.data + s->out.len, buf, n);
    s->out.len += n;
    *put = n;
    return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    struct rw_sec_tls *s = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return (long)(s->in.len - s->in_off);
    case BIO_CTRL_WPENDING:
        return (long)(s->out.len - s->out_off);
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringward session");
    if (m && BIO_meth_set_read_ex(m, bio_read) == 1 && BIO_meth_set_write_ex(m, bio_write) == 1 &&
        BIO_meth_set_ctrl(m, bio_ctrl) == 1 && BIO_meth_set_create(m, bio_create) == 1) {
        method = m;
        return;
    }
    BIO_meth_free(m);
}

BIO *rw_sec_tls_bio_new(struct rw_sec_tls *s)
{
    pthread_once(&method_once, method_init);
    BIO *b = method ? BIO_new(method) : NULL;
    if (b) {
        BIO_set_data(b, s);
    }
    return b;
}

void rw_sec_tls_bufs_free(struct rw_sec_tls *s)
{
    free(s->in.data);
    free(s->out.data);
    memset(&s->in, 0, sizeof(s->in));
    memset(&s->out, 0, sizeof(s->out));
    s->in_off = s->out_off = 0;
}

size_t rw_sec_tls_out_pending(const struct rw_sec_tls *s)
{
    return s ? s->out.len - s->out_off : 0;
}

size_t rw_sec_tls_out_take(struct rw_sec_tls *s, uint8_t *buf, size_t cap)
{
    if (!buf || rw_sec_tls_out_pending(s) == 0) {
        return 0;
    }
    return take(&s->out, &s->out_off, buf, cap);
}

struct rw_result rw_sec_tls_out_swap(struct rw_sec_tls *s, struct rw_buf *b)
{
    RW_ENSURE(s && b && b->len == 0, RW_ERR_USAGE);
    compact(&s->out, &s->out_off);
    struct rw_buf mine = s->out;
    s->out.data = b->data;
    s->out.cap = b->cap;
    s->out.len = 0;
    b->data = mine.data;
    b->cap = mine.cap;
    b->len = mine.len;
    if (b->max < b->cap) {
        b->max = b->cap;
    }
    return RW_SUCCESS;
}

void rw_sec_tls_trim(struct rw_sec_tls *s)
{
    if (!s) {
        return;
    }
    if (s->in.len == s->in_off) {
        free(s->in.data);
        memset(&s->in, 0, sizeof(s->in));
        s->in_off = 0;
    }
    if (s->out.len == s->out_off) {
        free(s->out.data);
        memset(&s->out, 0, sizeof(s->out));
        s->out_off = 0;
    }
    (void)SSL_free_buffers(s->ssl); /* 0 when a record is half read or written: kept */
}

size_t rw_sec_tls_buffered(const struct rw_sec_tls *s)
{
    return s ? s->in.cap + s->out.cap : 0;
}

size_t rw_sec_tls_in_pending(const struct rw_sec_tls *s)
{
    return s ? s->in.len - s->in_off : 0;
}
