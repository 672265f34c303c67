/* core/rw_file: atomic writes replace or refuse, apply the mode whatever the
 * umask, and never leave a temporary file behind. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rw_buf.h"
#include "core/rw_file.h"
#include "tests/testlib/tl_fs.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("rwfile");
    cr_assert(dir);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(rw_file, .init = setup, .fini = teardown, .timeout = 60);

static void path_in(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int entries(void)
{
    return tl_dir_entries(dir);
}

static void expect_content(const char *path, const char *text, mode_t mode)
{
    struct rw_buf b;
    rw_buf_init(&b, 1 << 16);
    cr_assert(rw_ok(rw_buf_read_file(&b, path)), "%s", rw_err_detail());
    cr_assert_eq(b.len, strlen(text));
    cr_assert(memcmp(b.data, text, b.len) == 0);
    rw_buf_cleanup(&b);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, mode, "mode %o", st.st_mode & 0777);
}

Test(rw_file, replace_writes_with_the_mode_whatever_the_umask)
{
    char p[1200];
    path_in("out.pem", p, sizeof(p));
    mode_t old = umask(0077);
    cr_assert(rw_ok(rw_file_write_atomic(p, "one", 3, 0644, true)), "%s", rw_err_detail());
    umask(old);
    expect_content(p, "one", 0644);
    cr_assert(rw_ok(rw_file_write_atomic(p, "two!", 4, 0600, true)), "%s", rw_err_detail());
    expect_content(p, "two!", 0600);
    cr_assert_eq(entries(), 1, "no temporary file left");
}

Test(rw_file, no_replace_refuses_an_existing_file_and_changes_nothing)
{
    char p[1200];
    path_in("keep", p, sizeof(p));
    cr_assert(rw_ok(rw_file_write_atomic(p, "original", 8, 0644, false)), "%s", rw_err_detail());
    struct rw_result r = rw_file_write_atomic(p, "other", 5, 0644, false);
    cr_assert_eq(r.err, RW_ERR_EXISTS, "got %s", rw_err_name(r.err));
    cr_assert(strstr(rw_err_detail(), "keep"), "%s", rw_err_detail());
    expect_content(p, "original", 0644);
    cr_assert_eq(entries(), 1, "no temporary file left");
}

Test(rw_file, a_streamed_temporary_file_is_placed_or_removed)
{
    char p[1200];
    path_in("stream.tar", p, sizeof(p));
    struct rw_file_tmp t;
    cr_assert(rw_ok(rw_file_tmp_open(p, &t)), "%s", rw_err_detail());
    struct stat st;
    cr_assert_eq(fstat(t.fd, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "unreadable by others while written");
    cr_assert(rw_write_all(t.fd, "abc", 3));
    cr_assert_eq(access(p, F_OK), -1, "nothing at the target before placing");
    cr_assert(rw_ok(rw_file_tmp_place(&t, p, 0640, false)), "%s", rw_err_detail());
    expect_content(p, "abc", 0640);
    cr_assert_null(t.path);

    char q[1200];
    path_in("dropped", q, sizeof(q));
    cr_assert(rw_ok(rw_file_tmp_open(q, &t)));
    cr_assert(rw_write_all(t.fd, "x", 1));
    rw_file_tmp_abort(&t);
    rw_file_tmp_abort(&t); /* twice is fine */
    cr_assert_eq(entries(), 1, "the aborted file is gone");
}

Test(rw_file, errors_name_the_target_and_create_nothing)
{
    char p[1200];
    path_in("missing/dir/file", p, sizeof(p));
    struct rw_result r = rw_file_write_atomic(p, "x", 1, 0644, true);
    cr_assert_eq(r.err, RW_ERR_IO, "got %s", rw_err_name(r.err));
    cr_assert(strstr(rw_err_detail(), "missing/dir/file"), "%s", rw_err_detail());
    cr_assert_eq(rw_file_write_atomic("", "x", 1, 0644, true).err, RW_ERR_USAGE);
    cr_assert_eq(entries(), 0);
}

Test(rw_file, a_bare_file_name_is_written_in_the_current_directory)
{
    char cwd[1200];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(chdir(dir), 0);
    struct rw_result r = rw_file_write_atomic("plain.txt", "here", 4, 0644, true);
    cr_assert_eq(chdir(cwd), 0);
    cr_assert(rw_ok(r), "%s", rw_err_detail());
    char p[1200];
    path_in("plain.txt", p, sizeof(p));
    expect_content(p, "here", 0644);
    cr_assert_eq(entries(), 1);
}
