/* tests/testlib/tl_proc.h — running real commands from tests. */
#ifndef RW_TL_PROC_H
#define RW_TL_PROC_H

/* Runs `/bin/sh -c CMD` (printf-style), capturing stdout and stderr
 * together into *out (heap, NUL-terminated; may be NULL to discard).
 * Returns the exit status, or -1 when the command could not run. */
int tl_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Path of a built binary, e.g. tl_bin("ringward-admin"). Static storage. */
const char *tl_bin(const char *name);

/* Counts occurrences of needle in haystack. */
int tl_count(const char *haystack, const char *needle);

#endif
