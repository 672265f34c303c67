/* core/rw_log.h — one `key=value` line per event on stderr.
 *
 * The level is checked before anything is formatted. Never pass keys,
 * tickets or payloads. Values with spaces are the caller's to quote.
 */
#ifndef RW_CORE_LOG_H
#define RW_CORE_LOG_H

#include <stdbool.h>

enum rw_log_level { RW_LOG_DEBUG, RW_LOG_INFO, RW_LOG_WARN, RW_LOG_ERROR };

void rw_log_set_level(enum rw_log_level level);
/* Parses "debug", "info", "warn", "error"; false when unknown. */
bool rw_log_level_parse(const char *name, enum rw_log_level *out);
bool rw_log_enabled(enum rw_log_level level);
void rw_log_write(enum rw_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RW_LOG(level, event, ...) \
    do { if (rw_log_enabled(level)) rw_log_write((level), (event), __VA_ARGS__); } while (0)

#endif
