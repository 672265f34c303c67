/* core/rw_hex.h — upper-case hex, as `openssl x509 -serial` prints it. */
#ifndef RW_CORE_HEX_H
#define RW_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

/* Writes 2*n hex digits and a NUL; out must hold 2*n+1 bytes. */
void rw_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses hex (either case, optional "0x", odd length allowed: leading 0
 * implied) into at most `cap` bytes. */
RW_RESULT rw_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len);

#endif
