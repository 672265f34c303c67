/* core/rw_file.h — atomic file writes: a temporary file beside the target
 * (created exclusively, mode 0600 until placed, so the umask never
 * matters and nobody reads a half-written file), written, fchmod'ed to
 * the final mode, fsync'ed, moved into place and the directory fsync'ed.
 *
 * Replacing moves with rename(2). Not replacing moves with
 * renameat2(RENAME_NOREPLACE) (link + unlink where the file system lacks
 * it) and fails with RW_ERR_EXISTS, writing nothing, when the target
 * appeared meanwhile. On any failure the temporary file is removed.
 */
#ifndef RW_CORE_FILE_H
#define RW_CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/rw_result.h"

/* A temporary file being written; `fd` is the caller's to write to. */
struct rw_file_tmp {
    char *path; /* owned */
    int fd;
};

RW_RESULT rw_file_tmp_open(const char *target, struct rw_file_tmp *t);
/* Moves t into place as `target` with `mode`; t is consumed either way. */
RW_RESULT rw_file_tmp_place(struct rw_file_tmp *t, const char *target, mode_t mode,
                            bool replace);
/* Removes an unplaced temporary file; fine on a consumed or zeroed t. */
void rw_file_tmp_abort(struct rw_file_tmp *t);

/* The whole sequence for data in memory. */
RW_RESULT rw_file_write_atomic(const char *target, const void *data, size_t len, mode_t mode,
                               bool replace);

#endif
