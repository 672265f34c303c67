/* core/rw_log.c — key=value logging to stderr, one write per line. */
#include "core/rw_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum rw_log_level min_level = RW_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void rw_log_set_level(enum rw_log_level level) { min_level = level; }
bool rw_log_enabled(enum rw_log_level level) { return level >= min_level; }

bool rw_log_level_parse(const char *name, enum rw_log_level *out)
{
    for (int i = 0; i <= RW_LOG_ERROR; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum rw_log_level)i;
            return true;
        }
    }
    return false;
}

void rw_log_write(enum rw_log_level level, const char *event, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[level], event);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
