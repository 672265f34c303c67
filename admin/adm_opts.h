/* admin/adm_opts.h — command-line options for ringward-admin commands.
 *
 * Each command declares its options in a table; adm_opts_parse accepts
 * `--name value`, `--name=value` and flags, collects positionals, and
 * reports unknown options and missing values as usage errors. The parsed
 * struct borrows argv strings; nothing is allocated beyond the struct.
 */
#ifndef RW_ADM_OPTS_H
#define RW_ADM_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rw_result.h"

#define ADM_MAX_VALUES 64

struct adm_opt {
    const char *name;  /* without the leading "--" */
    bool has_arg;
};

struct adm_args {
    const struct adm_opt *spec;
    const char *names[ADM_MAX_VALUES];
    const char *values[ADM_MAX_VALUES]; /* NULL for flags */
    size_t n;
    const char *pos[ADM_MAX_VALUES];
    size_t n_pos;
};

/* The spec is terminated by {NULL, false}; "--help" is always accepted. */
RW_RESULT adm_opts_parse(const struct adm_opt *spec, int argc, char **argv, struct adm_args *out);
/* Last value given for an option, or NULL. */
const char *adm_get(const struct adm_args *a, const char *name);
/* Every value given for a repeatable option, in order; returns the count. */
size_t adm_get_all(const struct adm_args *a, const char *name, const char **out, size_t cap);
bool adm_flag(const struct adm_args *a, const char *name);
/* Required option: USAGE error naming it when absent. */
RW_RESULT adm_require(const struct adm_args *a, const char *name, const char **out);

/* "5y" (365 days each), "30d", "12h", "90m", "45s" or plain seconds. */
RW_RESULT adm_parse_duration(const char *text, int64_t *out);
/* "2/3", "0.75" or "75%": a fraction in (0, 1]. */
RW_RESULT adm_parse_fraction(const char *text, double *out);
RW_RESULT adm_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);

#endif
