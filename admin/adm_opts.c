/* admin/adm_opts.c — a small option parser shared by every command. */
#include "admin/adm_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct adm_opt *find(const struct adm_opt *spec, const char *name, size_t len)
{
    static const struct adm_opt help = {"help", false};
    if (len == 4 && strncmp(name, "help", 4) == 0) {
        return &help;
    }
    for (const struct adm_opt *o = spec; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
            return o;
        }
    }
    return NULL;
}

static struct rw_result take_option(struct adm_args *out, int argc, char **argv, int *i)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct adm_opt *o = find(out->spec, arg, len);
    RW_ENSURE_MSG(o, RW_ERR_USAGE, "unknown option --%.*s (see --help)", (int)len, arg);
    RW_ENSURE_MSG(out->n < ADM_MAX_VALUES, RW_ERR_USAGE, "too many options");
    const char *value = NULL;
    if (o->has_arg) {
        if (eq) {
            value = eq + 1;
        } else {
            RW_ENSURE_MSG(*i + 1 < argc, RW_ERR_USAGE, "option --%s needs a value", o->name);
            value = argv[++*i];
        }
    } else {
        RW_ENSURE_MSG(!eq, RW_ERR_USAGE, "option --%s takes no value", o->name);
    }
    out->names[out->n] = o->name;
    out->values[out->n] = value;
    out->n++;
    return RW_SUCCESS;
}

struct rw_result adm_opts_parse(const struct adm_opt *spec, int argc, char **argv,
                                struct adm_args *out)
{
    memset(out, 0, sizeof(*out));
    out->spec = spec;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        if (!only_pos && strcmp(argv[i], "--") == 0) {
            only_pos = true;
        } else if (!only_pos && strncmp(argv[i], "--", 2) == 0) {
            RW_GUARD(take_option(out, argc, argv, &i));
        } else {
            RW_ENSURE_MSG(out->n_pos < ADM_MAX_VALUES, RW_ERR_USAGE, "too many arguments");
            out->pos[out->n_pos++] = argv[i];
        }
    }
    return RW_SUCCESS;
}

const char *adm_get(const struct adm_args *a, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], name) == 0) {
            v = a->values[i];
        }
    }
    return v;
}

size_t adm_get_all(const struct adm_args *a, const char *name, const char **out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n && k < cap; i++) {
        if (strcmp(a->names[i], name) == 0) {
            out[k++] = a->values[i];
        }
    }
    return k;
}

bool adm_flag(const struct adm_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

struct rw_result adm_require(const struct adm_args *a, const char *name, const char **out)
{
    *out = adm_get(a, name);
    RW_ENSURE_MSG(*out && (*out)[0], RW_ERR_USAGE, "missing required option --%s", name);
    return RW_SUCCESS;
}

struct rw_result adm_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    RW_ENSURE_MSG(errno == 0 && end != text && *end == '\0' && v >= min && v <= max, RW_ERR_USAGE,
                  "'%s' is not a whole number from %lld to %lld", text, (long long)min,
                  (long long)max);
    *out = v;
    return RW_SUCCESS;
}

struct rw_result adm_parse_duration(const char *text, int64_t *out)
{
    size_t len = strlen(text);
    RW_ENSURE_MSG(len > 0 && len < 32, RW_ERR_USAGE, "'%s' is not a duration (e.g. 30d, 12h)", text);
    int64_t unit = 1;
    char num[32];
    memcpy(num, text, len + 1);
    switch (num[len - 1]) {
    case 'y': unit = 365 * 86400; break;
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: unit = 0;
    }
    if (unit) {
        num[len - 1] = '\0';
    } else {
        unit = 1;
    }
    int64_t v = 0;
    struct rw_result r = adm_parse_int(num, 1, 100LL * 365 * 86400, &v);
    RW_ENSURE_MSG(rw_ok(r) && v <= 100LL * 365 * 86400 / unit, RW_ERR_USAGE,
                  "'%s' is not a duration from 1s to 100 years (e.g. 5y, 30d, 12h, 90m)", text);
    *out = v * unit;
    return RW_SUCCESS;
}

/* "2/3", "0.75" or "75%" as a fraction in (0, 1]. */
struct rw_result adm_parse_fraction(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    bool ok = errno == 0 && end != text;
    if (ok && *end == '/') {
        const char *den = end + 1;
        double d = strtod(den, &end);
        ok = errno == 0 && end != den && d > 0 && *end == '\0';
        v = ok ? v / d : 0;
    } else if (ok && *end == '%') {
        ok = end[1] == '\0';
        v /= 100.0;
    } else {
        ok = ok && *end == '\0';
    }
    RW_ENSURE_MSG(ok && v > 0 && v <= 1, RW_ERR_USAGE,
                  "'%s' is not a fraction of the lifetime in (0, 1] (e.g. 2/3, 0.75, 75%%)", text);
    *out = v;
    return RW_SUCCESS;
}
