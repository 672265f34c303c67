/* Unit: ringward-admin option values — durations, whole numbers and the
 * lifetime fractions of `certs renew --before`. */
#include <criterion/criterion.h>

#include "admin/adm_opts.h"

Test(adm_opts, fractions_in_three_spellings)
{
    double f = 0;
    cr_assert(rw_ok(adm_parse_fraction("2/3", &f)));
    cr_assert_float_eq(f, 2.0 / 3.0, 1e-9);
    cr_assert(rw_ok(adm_parse_fraction("0.75", &f)));
    cr_assert_float_eq(f, 0.75, 1e-9);
    cr_assert(rw_ok(adm_parse_fraction("50%", &f)));
    cr_assert_float_eq(f, 0.5, 1e-9);
    cr_assert(rw_ok(adm_parse_fraction("1", &f)));
    cr_assert_float_eq(f, 1.0, 1e-9);
}

Test(adm_opts, fractions_outside_zero_to_one_or_malformed_are_refused)
{
    static const char *const bad[] = {"0", "3/2", "1/0", "-1/3", "150%", "2/", "/3", "abc",
                                      "0.5x", "50%%", "", "nan", "inf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double f = 0;
        struct rw_result r = adm_parse_fraction(bad[i], &f);
        cr_assert_eq(r.err, RW_ERR_USAGE, "'%s' is refused", bad[i]);
    }
}

Test(adm_opts, durations)
{
    int64_t v = 0;
    cr_assert(rw_ok(adm_parse_duration("30d", &v)));
    cr_assert_eq(v, 30 * 86400);
    cr_assert(rw_ok(adm_parse_duration("10y", &v)));
    cr_assert_eq(v, 10LL * 365 * 86400);
    cr_assert(rw_ok(adm_parse_duration("90", &v)));
    cr_assert_eq(v, 90);
    cr_assert_eq(adm_parse_duration("0s", &v).err, RW_ERR_USAGE);
    cr_assert_eq(adm_parse_duration("5w", &v).err, RW_ERR_USAGE);
}
