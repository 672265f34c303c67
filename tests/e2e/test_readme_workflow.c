/* End-to-end: the README's admin workflow block (after the
 * `<!-- admin-workflow -->` marker) run verbatim by bash -e against the
 * built binaries, with three substitutions only: PATH points at this
 * build, the `mktemp -d` directory is the test's, and ports 9443/9444 are
 * free ones. So the documented commands are the ones that were run. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;

static void setup(void)
{
    dir = tl_tmpdir("readme");
    cr_assert_not_null(dir);
    unsetenv("RINGWARD_SERVER");
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

TestSuite(readme_workflow, .init = setup, .fini = teardown, .timeout = 180);

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Replaces every `from` in *text by `to` (heap); returns the count. */
static int replace_all(char **text, const char *from, const char *to)
{
    int n = 0;
    for (char *p = strstr(*text, from); p; p = strstr(p, from), n++) {
        size_t head = (size_t)(p - *text), fl = strlen(from), tl = strlen(to);
        char *next = malloc(strlen(*text) - fl + tl + 1);
        memcpy(next, *text, head);
        memcpy(next + head, to, tl);
        strcpy(next + head + tl, p + fl);
        free(*text);
        *text = next;
        p = *text + head + tl;
    }
    return n;
}

/* The shell block after the marker, without its fences (heap). */
static char *workflow_block(void)
{
    char *readme = tl_read_file(RW_SOURCE_DIR "/README.md", NULL);
    cr_assert_not_null(readme);
    char *mark = strstr(readme, "<!-- admin-workflow -->\n```sh\n");
    cr_assert_not_null(mark, "the README marks its workflow block");
    char *start = strchr(strchr(mark, '\n') + 1, '\n') + 1;
    char *end = strstr(start, "\n```\n");
    cr_assert_not_null(end);
    char *block = strndup(start, (size_t)(end - start) + 1);
    free(readme);
    return block;
}

Test(readme_workflow, the_documented_admin_workflow_runs_as_written)
{
    char *s = workflow_block();
    char path[4200], cd[4200], port[16], admin_port[16];
    snprintf(path, sizeof(path), "export PATH=\"%s:$PATH\"", RW_BIN_DIR);
    snprintf(cd, sizeof(cd), "cd \"%s\"", dir);
    snprintf(port, sizeof(port), ":%d", free_port());
    snprintf(admin_port, sizeof(admin_port), ":%d", free_port());
    cr_assert_eq(replace_all(&s, "export PATH=\"$PWD/build/release:$PATH\"", path), 1);
    cr_assert_eq(replace_all(&s, "cd \"$(mktemp -d)\"", cd), 1);
    cr_assert_geq(replace_all(&s, ":9443", port), 1);
    cr_assert_geq(replace_all(&s, ":9444", admin_port), 2);
    /* A failing step must not leave the background broker behind. */
    char *script = NULL;
    cr_assert(asprintf(&script, "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n%s", s) > 0);
    char file[4300];
    snprintf(file, sizeof(file), "%s/workflow.sh", dir);
    cr_assert(tl_write_file(file, script, strlen(script)));
    char *out = NULL;
    int rc = tl_sh(&out, "timeout -k 5 150 bash -e %s", file);
    cr_assert_eq(rc, 0, "the workflow failed:\n%s", out);
    cr_assert(strstr(out, "created root CA 'acme-root'"), "%s", out);
    cr_assert(strstr(out, "approved request"), "%s", out);
    cr_assert(strstr(out, "produced 1 records to metrics.cpu"), "%s", out);
    cr_assert(strstr(out, "not due for renewal"), "%s", out);
    cr_assert(strstr(out, "renewed 'edge-1'"), "%s", out);
    cr_assert(strstr(out, "superseded"), "the lineage shows the renewed one: %s", out);
    cr_assert(strstr(out, "cert.revoked"), "%s", out);
    char crl[4300];
    snprintf(crl, sizeof(crl), "%s/acme-issuing-ca.crl.pem", dir);
    cr_assert_eq(access(crl, R_OK), 0, "crl get wrote the CRL");
    char backup[4300];
    snprintf(backup, sizeof(backup), "%s/backup.tar.gz", dir);
    cr_assert_eq(access(backup, R_OK), 0, "certs export --all wrote the archive");
    cr_assert(strstr(out, "index.json") || strstr(out, "ca/"), "the archive lists: %s", out);
    free(out);
    free(script);
    free(s);
}
