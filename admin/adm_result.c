/* admin/adm_result.c — `--json` for commands that print prose (see
 * admin/adm_result.h). */
#include "admin/adm_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/rw_buf.h"
#include "core/rw_json.h"

static struct {
    bool on;
    bool muted;
    int saved_stdout;
    struct rw_buf b;
    struct rw_result r; /* the first failure building the object */
} g = {.saved_stdout = -1};

void adm_result_begin(void)
{
    fflush(stdout);
    g.saved_stdout = dup(STDOUT_FILENO);
    if (g.saved_stdout < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        return; /* prose stays on stdout; the object still follows */
    }
    g.on = true;
    rw_buf_init(&g.b, 1u << 20);
    g.r = RW_SUCCESS;
}

bool adm_result_on(void) { return g.on; }

void adm_result_mute(bool mute) { g.muted = mute; }

static bool first(void) { return g.b.len == 0; }

void adm_result_str(const char *key, const char *value)
{
    if (g.on && !g.muted && rw_ok(g.r)) {
        g.r = rw_json_kv_str(&g.b, first(), key, value ? value : "");
    }
}

void adm_result_int(const char *key, long long value)
{
    if (g.on && !g.muted && rw_ok(g.r)) {
        g.r = rw_json_kv_int(&g.b, first(), key, value);
    }
}

void adm_result_bool(const char *key, bool value)
{
    if (g.on && !g.muted && rw_ok(g.r)) {
        g.r = rw_json_kv_bool(&g.b, first(), key, value);
    }
}

int adm_result_end(int code)
{
    if (!g.on) {
        return code;
    }
    fflush(stdout);
    dup2(g.saved_stdout, STDOUT_FILENO);
    close(g.saved_stdout);
    g.on = false;
    printf("{\"ok\":%s,\"exit\":%d%s%.*s}\n", code == 0 ? "true" : "false", code,
           g.b.len && rw_ok(g.r) ? "," : "", rw_ok(g.r) ? (int)g.b.len : 0,
           g.b.data ? (const char *)g.b.data : "");
    fflush(stdout);
    rw_buf_cleanup(&g.b);
    return code;
}
