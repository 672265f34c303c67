/* core/rw_json.h — a tiny JSON writer into an rw_buf (no parser).
 *
 * The caller owns the buffer. Keys and string values are escaped per
 * RFC 8259; the writer does not track commas: callers pass `first`.
 */
#ifndef RW_CORE_JSON_H
#define RW_CORE_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rw_buf.h"

RW_RESULT rw_json_str(struct rw_buf *b, const char *s);  /* "escaped" */
/* ,"key":"value" (no leading comma when first) */
RW_RESULT rw_json_kv_str(struct rw_buf *b, bool first, const char *key, const char *value);
RW_RESULT rw_json_kv_int(struct rw_buf *b, bool first, const char *key, int64_t value);
RW_RESULT rw_json_kv_bool(struct rw_buf *b, bool first, const char *key, bool value);

#endif
