/* tests/testlib/tl_fs.h — temporary directories and small file helpers for tests. */
#ifndef RW_TL_FS_H
#define RW_TL_FS_H

#include <stddef.h>

/* Creates a fresh directory under $TMPDIR (or /tmp); returns a heap path. */
char *tl_tmpdir(const char *tag);
/* Removes a directory tree (rm -rf); NULL is fine. */
void tl_rmtree(const char *path);
/* Writes bytes to a file (mode 0644); false on failure. */
int tl_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a NUL-terminated heap buffer; NULL on failure. */
char *tl_read_file(const char *path, size_t *len);
/* Mode bits of a file, or -1. */
int tl_file_mode(const char *path);
/* Entries of a directory other than . and .., or -1 when unreadable. */
int tl_dir_entries(const char *path);

#endif
