/* tests/unit/security/test_sec_names.c — roles and CRL reasons. */
#include <criterion/criterion.h>
#include <string.h>

#include "security/sec_names.h"

Test(sec_names, roles_round_trip)
{
    const enum rw_role all[] = {RW_ROLE_BROKER, RW_ROLE_PRODUCER, RW_ROLE_CONSUMER, RW_ROLE_ADMIN};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        enum rw_role r = RW_ROLE_NONE;
        const char *name = rw_sec_role_name(all[i]);
        cr_assert(rw_sec_role_parse(name, &r), "%s does not parse", name);
        cr_assert_eq(r, all[i]);
    }
    cr_assert_str_eq(rw_sec_role_name(RW_ROLE_BROKER), "broker");
    cr_assert_str_eq(rw_sec_role_name(RW_ROLE_ADMIN), "admin");
    cr_assert_str_eq(rw_sec_role_name(RW_ROLE_NONE), "none");
    cr_assert_str_eq(rw_sec_role_name((enum rw_role)42), "none");
}

Test(sec_names, unknown_roles_rejected)
{
    enum rw_role r = RW_ROLE_PRODUCER;
    const char *bad[] = {"", "none", "Broker", "brokers", "broker ", "root", "admin\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(rw_sec_role_parse(bad[i], &r), "'%s' parsed", bad[i]);
    }
    cr_assert_not(rw_sec_role_parse(NULL, &r));
    cr_assert_eq(r, RW_ROLE_PRODUCER, "a failed parse must not touch the output");
}

Test(sec_names, reasons_rfc_names_round_trip)
{
    for (int code = 0; code <= 10; code++) {
        const char *name = rw_sec_reason_name(code);
        if (code == 7) {
            cr_assert_str_eq(name, "unknown");
            continue;
        }
        enum rw_reason r = RW_REASON_AA_COMPROMISE;
        cr_assert(rw_sec_reason_parse(name, &r), "%s does not parse", name);
        cr_assert_eq((int)r, code);
    }
    cr_assert_str_eq(rw_sec_reason_name(RW_REASON_KEY_COMPROMISE), "keyCompromise");
    cr_assert_str_eq(rw_sec_reason_name(RW_REASON_CA_COMPROMISE), "cACompromise");
    cr_assert_str_eq(rw_sec_reason_name(RW_REASON_REMOVE_FROM_CRL), "removeFromCRL");
    cr_assert_str_eq(rw_sec_reason_name(RW_REASON_AA_COMPROMISE), "aACompromise");
}

Test(sec_names, reasons_case_insensitive)
{
    enum rw_reason r;
    cr_assert(rw_sec_reason_parse("KEYCOMPROMISE", &r));
    cr_assert_eq(r, RW_REASON_KEY_COMPROMISE);
    cr_assert(rw_sec_reason_parse("keycompromise", &r));
    cr_assert_eq(r, RW_REASON_KEY_COMPROMISE);
    cr_assert(rw_sec_reason_parse("key-compromise", &r));
    cr_assert_eq(r, RW_REASON_KEY_COMPROMISE);
    cr_assert(rw_sec_reason_parse("Superseded", &r));
    cr_assert_eq(r, RW_REASON_SUPERSEDED);
    cr_assert(rw_sec_reason_parse("CessationOfOperation", &r));
    cr_assert_eq(r, RW_REASON_CESSATION_OF_OPERATION);
    cr_assert(rw_sec_reason_parse("privilege_withdrawn", &r));
    cr_assert_eq(r, RW_REASON_PRIVILEGE_WITHDRAWN);
}

Test(sec_names, unknown_reasons_rejected)
{
    enum rw_reason r = RW_REASON_SUPERSEDED;
    const char *bad[] = {"", "-", "key", "keyCompromised", "compromise", "7", "1", "unused", "hold"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(rw_sec_reason_parse(bad[i], &r), "'%s' parsed", bad[i]);
    }
    cr_assert_not(rw_sec_reason_parse(NULL, &r));
    cr_assert_eq(r, RW_REASON_SUPERSEDED);
    cr_assert_str_eq(rw_sec_reason_name(-1), "unknown");
    cr_assert_str_eq(rw_sec_reason_name(11), "unknown");
    cr_assert_str_eq(rw_sec_reason_name(1000), "unknown");
}
