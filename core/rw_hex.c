/* core/rw_hex.c — hex encoding for serials and fingerprints. */
#include "core/rw_hex.h"

#include <string.h>

void rw_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

struct rw_result rw_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len)
{
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
    }
    size_t digits = strlen(hex);
    RW_ENSURE_MSG(digits > 0, RW_ERR_USAGE, "empty hex string");
    size_t n = (digits + 1) / 2;
    RW_ENSURE_MSG(n <= cap, RW_ERR_USAGE, "hex value longer than %zu bytes", cap);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = 0;
        if (i > 0 || digits % 2 == 0) {
            hi = nibble(hex[pos++]);
        }
        int lo = nibble(hex[pos++]);
        RW_ENSURE_MSG(hi >= 0 && lo >= 0, RW_ERR_USAGE, "not a hex string: %s", hex);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n;
    return RW_SUCCESS;
}
