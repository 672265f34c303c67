/* security/sec_names.c — role and revocation-reason names.
 *
 * Pure tables, no allocation: every returned string is static.
 */
#include "security/sec_names.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

static const struct {
    enum rw_role role;
    const char *name;
} roles[] = {
    {RW_ROLE_BROKER, "broker"},
    {RW_ROLE_PRODUCER, "producer"},
    {RW_ROLE_CONSUMER, "consumer"},
    {RW_ROLE_ADMIN, "admin"},
};

static const char *const reasons[] = {
    [RW_REASON_UNSPECIFIED] = "unspecified",
    [RW_REASON_KEY_COMPROMISE] = "keyCompromise",
    [RW_REASON_CA_COMPROMISE] = "cACompromise",
    [RW_REASON_AFFILIATION_CHANGED] = "affiliationChanged",
    [RW_REASON_SUPERSEDED] = "superseded",
    [RW_REASON_CESSATION_OF_OPERATION] = "cessationOfOperation",
    [RW_REASON_CERTIFICATE_HOLD] = "certificateHold",
    [RW_REASON_REMOVE_FROM_CRL] = "removeFromCRL",
    [RW_REASON_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
    [RW_REASON_AA_COMPROMISE] = "aACompromise",
};

#define N_ROLES (sizeof(roles) / sizeof(roles[0]))
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

/* Roles are exact (lower-case): they also appear verbatim in SAN URIs. */
bool rw_sec_role_parse(const char *name, enum rw_role *out)
{
    if (!name) {
        return false;
    }
    for (size_t i = 0; i < N_ROLES; i++) {
        if (strcmp(name, roles[i].name) == 0) {
            *out = roles[i].role;
            return true;
        }
    }
    return false;
}

const char *rw_sec_role_name(enum rw_role role)
{
    for (size_t i = 0; i < N_ROLES; i++) {
        if (roles[i].role == role) {
            return roles[i].name;
        }
    }
    return "none";
}

/* Case-insensitive comparison that also skips '-' and '_' in the input,
 * so "keyCompromise", "KEYCOMPROMISE" and "key-compromise" all match. */
static bool reason_matches(const char *input, const char *rfc)
{
    for (;;) {
        while (*input == '-' || *input == '_') {
            input++;
        }
        if (*input == '\0' || *rfc == '\0') {
            return *input == '\0' && *rfc == '\0';
        }
        if (tolower((unsigned char)*input) != tolower((unsigned char)*rfc)) {
            return false;
        }
        input++;
        rfc++;
    }
}

bool rw_sec_reason_parse(const char *name, enum rw_reason *out)
{
    if (!name || !name[0]) {
        return false;
    }
    for (size_t i = 0; i < N_REASONS; i++) {
        if (reasons[i] && reason_matches(name, reasons[i])) {
            *out = (enum rw_reason)i;
            return true;
        }
    }
    return false;
}

const char *rw_sec_reason_name(int reason)
{
    if (reason < 0 || (size_t)reason >= N_REASONS || !reasons[reason]) {
        return "unknown";
    }
    return reasons[reason];
}
