/* End-to-end: `ringward-admin` killed (SIGKILL) at random instants while it
 * issues and revokes leaves the store consistent: every certificate has its
 * event, every event its certificate, and the store opens cleanly. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "tests/testlib/tl_fs.h"
#include "tests/testlib/tl_proc.h"

static char *dir;
static char data[4096];

static void setup(void)
{
    dir = tl_tmpdir("crash");
    cr_assert_not_null(dir);
    snprintf(data, sizeof(data), "%s/data", dir);
    char *out = NULL;
    int rc = tl_sh(&out, "%s init --insecure-dev-keys --data-dir %s", tl_bin("ringward-admin"), data);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

static void teardown(void)
{
    tl_rmtree(dir);
    free(dir);
}

/* Starts `ringward-admin certs issue` and kills it after `delay_us`. */
static void issue_and_kill(int i, long delay_us)
{
    char principal[32], out_dir[4200];
    snprintf(principal, sizeof(principal), "crash-%d", i);
    snprintf(out_dir, sizeof(out_dir), "%s/out", dir);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", 1);
        dup2(null, 1);
        dup2(null, 2);
        execl(tl_bin("ringward-admin"), "ringward-admin", "certs", "issue", "--data-dir", data,
              "--principal", principal, "--role", "producer", "--out", out_dir, (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {.tv_sec = delay_us / 1000000, .tv_nsec = (delay_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
}

Test(store_crash, killed_writers_leave_every_certificate_with_its_event, .init = setup,
     .fini = teardown, .timeout = 300)
{
    srand((unsigned)getpid());
    /* The CLI takes a few tens of milliseconds (more under sanitizers):
     * delays spread the kills over its whole run. */
    for (int i = 0; i < 40; i++) {
        issue_and_kill(i, (long)(rand() % 120000));
    }
    char *certs = NULL, *events = NULL;
    int rc = tl_sh(&certs, "%s certs list --json --data-dir %s", tl_bin("ringward-admin"), data);
    cr_assert_eq(rc, 0, "the store opens after the crashes: %s", certs);
    rc = tl_sh(&events, "%s events --json --data-dir %s", tl_bin("ringward-admin"), data);
    cr_assert_eq(rc, 0, "%s", events);
    int n_certs = tl_count(certs, "\"serial\":");
    int n_issued = tl_count(events, "\"kind\":\"cert.issued\"");
    int n_cas = tl_count(events, "\"kind\":\"ca.created\"");
    /* certificates holds the two CA certificates too. */
    cr_assert_eq(n_certs, n_issued + n_cas, "certificates %d, issued events %d, CA events %d",
                 n_certs, n_issued, n_cas);
    cr_assert_geq(n_issued, 4, "the demo identities are there");
    cr_log_info("%d of 40 killed issues committed", n_issued - 4);
    free(certs);
    free(events);
}
