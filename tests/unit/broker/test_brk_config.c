/* Unit tests: defaults, config file, flags and their errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/brk_config.h"
#include "tests/testlib/tl_fs.h"

static struct rw_result parse(struct brk_config *c, enum brk_config_action *act, int argc,
                              const char **argv)
{
    brk_config_defaults(c);
    return brk_config_parse_args(c, argc, (char **)argv, act);
}

Test(brk_config, defaults_with_only_data_dir)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--data-dir", "/d"};
    cr_assert(rw_ok(parse(&c, &act, 3, argv)), "%s", rw_err_detail());
    cr_assert_eq(act, BRK_RUN);
    cr_assert_str_eq(c.listen_host, "127.0.0.1");
    cr_assert_eq(c.listen_port, 9443);
    cr_assert_eq(c.max_frame, 1u << 20);
    cr_assert_eq(c.handshake_timeout_ms, 10000);
    cr_assert_str_eq(c.cert, "/d/pki/broker.pem");
    cr_assert_str_eq(c.key, "/d/pki/broker.key");
    cr_assert_str_eq(c.ca_chain, "/d/pki/ca-chain.pem");
    cr_assert_not(c.tls12);
    cr_assert(c.ec_fast_path, "the EC fast path is on by default");
}

Test(brk_config, flags_both_spellings_and_bools)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--data-dir=/x", "--listen", "127.0.0.1:0", "--workers", "3",
                          "--max-frame-size", "64K", "--handshake-timeout", "250ms",
                          "--idle-timeout=2m", "--tls12", "--stateless-tickets=false",
                          "--log-level", "debug", "--ready-file", "/tmp/r"};
    cr_assert(rw_ok(parse(&c, &act, 17, argv)), "%s", rw_err_detail());
    cr_assert_str_eq(c.data_dir, "/x");
    cr_assert_eq(c.listen_port, 0);
    cr_assert_eq(c.workers, 3);
    cr_assert_eq(c.max_frame, 65536);
    cr_assert_eq(c.handshake_timeout_ms, 250);
    cr_assert_eq(c.idle_timeout_ms, 120000);
    cr_assert(c.tls12);
    cr_assert_not(c.stateless_tickets);
    cr_assert_eq(c.log_level, RW_LOG_DEBUG);
    cr_assert_str_eq(c.ready_file, "/tmp/r");
    const char *off[] = {"ringward", "--data-dir=/x", "--ec-fast-path=false"};
    cr_assert(rw_ok(parse(&c, &act, 3, off)), "%s", rw_err_detail());
    cr_assert_not(c.ec_fast_path);
    const char *bad[] = {"ringward", "--data-dir=/x", "--ec-fast-path=maybe"};
    cr_assert_not(rw_ok(parse(&c, &act, 3, bad)));
    cr_assert(strstr(rw_err_detail(), "maybe"), "%s", rw_err_detail());
}

Test(brk_config, file_then_flags_override)
{
    char *dir = tl_tmpdir("brkcfg");
    char path[512];
    snprintf(path, sizeof(path), "%s/ringward.conf", dir);
    const char *text = "# comment\n\ndata-dir = /from-file\nlisten = 0.0.0.0:7000  # trailing\n"
                       "max_connections = 77\nworkers=2\ntls12 = yes\n";
    cr_assert(tl_write_file(path, text, strlen(text)));
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--config", path, "--workers", "5"};
    cr_assert(rw_ok(parse(&c, &act, 5, argv)), "%s", rw_err_detail());
    cr_assert_str_eq(c.data_dir, "/from-file");
    cr_assert_str_eq(c.listen_host, "0.0.0.0");
    cr_assert_eq(c.listen_port, 7000);
    cr_assert_eq(c.max_connections, 77);
    cr_assert_eq(c.workers, 5, "the flag wins over the file");
    cr_assert(c.tls12);
    tl_rmtree(dir);
    free(dir);
}

Test(brk_config, file_errors_name_the_line)
{
    char *dir = tl_tmpdir("brkcfg");
    char path[512];
    snprintf(path, sizeof(path), "%s/bad.conf", dir);
    const char *text = "data-dir = /d\nbogus = 1\n";
    cr_assert(tl_write_file(path, text, strlen(text)));
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--config", path};
    struct rw_result r = parse(&c, &act, 3, argv);
    cr_assert_eq(r.err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), ":2:"), "%s", rw_err_detail());
    cr_assert(strstr(rw_err_detail(), "bogus"), "%s", rw_err_detail());
    const char *text2 = "no equals sign\n";
    cr_assert(tl_write_file(path, text2, strlen(text2)));
    r = parse(&c, &act, 3, argv);
    cr_assert_eq(r.err, RW_ERR_USAGE);
    const char *argv2[] = {"ringward", "--data-dir", "/d", "--config", "/nonexistent/x.conf"};
    r = parse(&c, &act, 5, argv2);
    cr_assert_eq(r.err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "/nonexistent/x.conf"), "%s", rw_err_detail());
    tl_rmtree(dir);
    free(dir);
}

Test(brk_config, flag_errors)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *cases[][3] = {
        {"--listen", "nocolon", "listen"},       {"--listen", "h:70000", "port"},
        {"--workers", "-1", "workers"},          {"--max-frame-size", "12Q", "max-frame-size"},
        {"--handshake-timeout", "5 days", "handshake-timeout"},
        {"--log-level", "loud", "log-level"},    {"--nope", "1", "nope"},
        {"--max-frame-size", "100", "max-frame-size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[] = {"ringward", "--data-dir", "/d", cases[i][0], cases[i][1]};
        struct rw_result r = parse(&c, &act, 5, argv);
        cr_assert_eq(r.err, RW_ERR_USAGE, "%s %s accepted", cases[i][0], cases[i][1]);
        cr_assert(strstr(rw_err_detail(), cases[i][2]), "%s: %s", cases[i][0], rw_err_detail());
    }
    const char *missing[] = {"ringward", "--listen", "127.0.0.1:1"};
    cr_assert_eq(parse(&c, &act, 3, missing).err, RW_ERR_USAGE, "data-dir is required");
    const char *dangling[] = {"ringward", "--data-dir"};
    cr_assert_eq(parse(&c, &act, 2, dangling).err, RW_ERR_USAGE);
    const char *stray[] = {"ringward", "positional"};
    cr_assert_eq(parse(&c, &act, 2, stray).err, RW_ERR_USAGE);
}

Test(brk_config, help_and_version_win)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--bogus", "--help"};
    cr_assert(rw_ok(parse(&c, &act, 3, argv)));
    cr_assert_eq(act, BRK_HELP);
    const char *argv2[] = {"ringward", "--version"};
    cr_assert(rw_ok(parse(&c, &act, 2, argv2)));
    cr_assert_eq(act, BRK_VERSION);
    cr_assert(strstr(brk_config_usage(), "--ready-file"));
}

Test(brk_config, units)
{
    uint32_t ms;
    uint64_t sz;
    cr_assert(rw_ok(brk_config_parse_duration_ms("10", &ms)));
    cr_assert_eq(ms, 10000);
    cr_assert(rw_ok(brk_config_parse_duration_ms("1h", &ms)));
    cr_assert_eq(ms, 3600000);
    cr_assert_not(rw_ok(brk_config_parse_duration_ms("99999999h", &ms)));
    cr_assert(rw_ok(brk_config_parse_size("2M", &sz)));
    cr_assert_eq(sz, 2u << 20);
    cr_assert(rw_ok(brk_config_parse_size("3KiB", &sz)));
    cr_assert_eq(sz, 3072);
    cr_assert_not(rw_ok(brk_config_parse_size("", &sz)));
    char host[BRK_HOST_MAX];
    uint16_t port;
    cr_assert(rw_ok(brk_config_parse_listen("[::1]:9", host, &port)));
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 9);
}

Test(brk_config, enforcement_options)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *argv[] = {"ringward", "--data-dir", "/d", "--crl", "/a.pem", "--crl=/b.der",
                          "--crl-policy", "keep-last", "--metrics", "127.0.0.1:0",
                          "--follow-interval", "50ms"};
    cr_assert(rw_ok(parse(&c, &act, 12, argv)), "%s", rw_err_detail());
    cr_assert_eq(c.n_crl, 2);
    cr_assert_str_eq(c.crl[0], "/a.pem");
    cr_assert_str_eq(c.crl[1], "/b.der");
    cr_assert_eq(c.crl_policy, BRK_CRL_KEEP_LAST);
    cr_assert(c.metrics);
    cr_assert_str_eq(c.metrics_host, "127.0.0.1");
    cr_assert_eq(c.metrics_port, 0);
    cr_assert_eq(c.follow_interval_ms, 50);

    const char *d[] = {"ringward", "--data-dir", "/d"};
    cr_assert(rw_ok(parse(&c, &act, 3, d)));
    cr_assert_eq(c.crl_policy, BRK_CRL_FAIL_CLOSED, "fail-closed by default");
    cr_assert_not(c.metrics);
    cr_assert_eq(c.n_crl, 0);
    cr_assert_leq(c.follow_interval_ms, BRK_FOLLOW_MAX_MS);

    const char *bad1[] = {"ringward", "--data-dir", "/d", "--crl-policy", "open"};
    cr_assert_eq(parse(&c, &act, 5, bad1).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "fail-closed"), "%s", rw_err_detail());
    const char *bad2[] = {"ringward", "--data-dir", "/d", "--follow-interval", "1s"};
    cr_assert_eq(parse(&c, &act, 5, bad2).err, RW_ERR_USAGE, "polls at least every 200 ms");
    const char *bad3[] = {"ringward", "--data-dir", "/d", "--metrics", "nohost"};
    cr_assert_eq(parse(&c, &act, 5, bad3).err, RW_ERR_USAGE);
}

Test(brk_config, principal_from_flag_file_key_and_help)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *d[] = {"ringward", "--data-dir", "/d"};
    cr_assert(rw_ok(parse(&c, &act, 3, d)));
    cr_assert_eq(c.principal_from, BRK_PRINCIPAL_CN, "the subject CN by default");
    const char *names[] = {"cn", "san-uri", "san-dns"};
    const enum brk_principal_from want[] = {BRK_PRINCIPAL_CN, BRK_PRINCIPAL_SAN_URI,
                                            BRK_PRINCIPAL_SAN_DNS};
    for (int i = 0; i < 3; i++) {
        const char *argv[] = {"ringward", "--data-dir", "/d", "--principal-from", names[i]};
        cr_assert(rw_ok(parse(&c, &act, 5, argv)), "%s", rw_err_detail());
        cr_assert_eq(c.principal_from, want[i], "%s", names[i]);
        cr_assert_str_eq(brk_principal_from_name(c.principal_from), names[i]);
    }
    const char *bad[] = {"ringward", "--data-dir", "/d", "--principal-from=email"};
    cr_assert_eq(parse(&c, &act, 4, bad).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "san-uri"), "%s", rw_err_detail());

    char *dir = tl_tmpdir("brkcfg");
    char path[512];
    snprintf(path, sizeof(path), "%s/ringward.conf", dir);
    const char *text = "data-dir = /d\nprincipal_from = san-dns\n";
    cr_assert(tl_write_file(path, text, strlen(text)));
    const char *f[] = {"ringward", "--config", path};
    cr_assert(rw_ok(parse(&c, &act, 3, f)), "%s", rw_err_detail());
    cr_assert_eq(c.principal_from, BRK_PRINCIPAL_SAN_DNS, "the config file key");
    const char *over[] = {"ringward", "--config", path, "--principal-from", "san-uri"};
    cr_assert(rw_ok(parse(&c, &act, 5, over)), "%s", rw_err_detail());
    cr_assert_eq(c.principal_from, BRK_PRINCIPAL_SAN_URI, "the flag wins over the file");
    tl_rmtree(dir);
    free(dir);
    cr_assert(strstr(brk_config_usage(), "--principal-from SOURCE"), "documented in --help");
    cr_assert(strstr(brk_config_usage(), "san-uri"));
}

Test(brk_config, admin_listener_options)
{
    struct brk_config c;
    enum brk_config_action act;
    const char *d[] = {"ringward", "--data-dir", "/d"};
    cr_assert(rw_ok(parse(&c, &act, 3, d)));
    cr_assert(c.admin, "the admin RPC is served by default");
    cr_assert_str_eq(c.admin_host, "127.0.0.1");
    cr_assert_eq(c.admin_port, 9444);
    cr_assert_eq(c.admin_rate, 10);
    cr_assert_eq(c.admin_principal_rate, 20);
    cr_assert_str_eq(c.passphrase_file, "");

    const char *on[] = {"ringward", "--data-dir", "/d", "--admin-listen", "[::1]:0",
                        "--passphrase-file=/p", "--admin-rate", "3", "--admin-principal-rate=7"};
    cr_assert(rw_ok(parse(&c, &act, 9, on)), "%s", rw_err_detail());
    cr_assert(c.admin);
    cr_assert_str_eq(c.admin_host, "::1");
    cr_assert_eq(c.admin_port, 0);
    cr_assert_str_eq(c.passphrase_file, "/p");
    cr_assert_eq(c.admin_rate, 3);
    cr_assert_eq(c.admin_principal_rate, 7);

    const char *off[] = {"ringward", "--data-dir", "/d", "--admin-listen", "off"};
    cr_assert(rw_ok(parse(&c, &act, 5, off)));
    cr_assert_not(c.admin, "`off` disables it");

    const char *bad_addr[] = {"ringward", "--data-dir", "/d", "--admin-listen", "nowhere"};
    cr_assert_eq(parse(&c, &act, 5, bad_addr).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "admin-listen"), "%s", rw_err_detail());
    const char *zero[] = {"ringward", "--data-dir", "/d", "--admin-rate", "0"};
    cr_assert_eq(parse(&c, &act, 5, zero).err, RW_ERR_USAGE);
    cr_assert(strstr(rw_err_detail(), "--admin-rate"), "%s", rw_err_detail());
    const char *empty[] = {"ringward", "--data-dir", "/d", "--passphrase-file", ""};
    cr_assert_eq(parse(&c, &act, 5, empty).err, RW_ERR_USAGE);
    cr_assert(strstr(brk_config_usage(), "--admin-rate N"), "documented in --help");
}
