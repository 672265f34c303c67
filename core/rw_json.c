/* core/rw_json.c — JSON escaping and key/value emitters. */
#include "core/rw_json.h"

#include <inttypes.h>
#include <stdio.h>

struct rw_result rw_json_str(struct rw_buf *b, const char *s)
{
    RW_GUARD(rw_buf_append(b, "\"", 1));
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        const char *out = esc;
        size_t n = 2;
        switch (*p) {
        case '"': out = "\\\""; break;
        case '\\': out = "\\\\"; break;
        case '\n': out = "\\n"; break;
        case '\r': out = "\\r"; break;
        case '\t': out = "\\t"; break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                n = 6;
            } else {
                esc[0] = (char)*p;
                n = 1;
            }
        }
        RW_GUARD(rw_buf_append(b, out, n));
    }
    return rw_buf_append(b, "\"", 1);
}

static struct rw_result key(struct rw_buf *b, bool first, const char *k)
{
    if (!first) {
        RW_GUARD(rw_buf_append(b, ",", 1));
    }
    RW_GUARD(rw_json_str(b, k));
    return rw_buf_append(b, ":", 1);
}

struct rw_result rw_json_kv_str(struct rw_buf *b, bool first, const char *k, const char *value)
{
    RW_GUARD(key(b, first, k));
    return rw_json_str(b, value);
}

struct rw_result rw_json_kv_int(struct rw_buf *b, bool first, const char *k, int64_t value)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, value);
    RW_GUARD(key(b, first, k));
    return rw_buf_append_str(b, num);
}

struct rw_result rw_json_kv_bool(struct rw_buf *b, bool first, const char *k, bool value)
{
    RW_GUARD(key(b, first, k));
    return rw_buf_append_str(b, value ? "true" : "false");
}
