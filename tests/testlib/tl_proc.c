/* tests/testlib/tl_proc.c — run shell commands and capture their output. */
#include "tests/testlib/tl_proc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int tl_sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd + 2, sizeof(cmd) - 16, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd) - 16) {
        return -1;
    }
    /* A subshell, so stderr of every part of a compound command is captured. */
    memcpy(cmd, "( ", 2);
    strcat(cmd, " ) 2>&1");
    FILE *p = popen(cmd, "r");
    if (!p) {
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int status = pclose(p);
    if (buf) {
        buf[len] = '\0';
    }
    if (out) {
        *out = buf;
    } else {
        free(buf);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *tl_bin(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", RW_BIN_DIR, name);
    return path;
}

int tl_count(const char *haystack, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = haystack; len && (p = strstr(p, needle)) != NULL; p += len) {
        n++;
    }
    return n;
}
