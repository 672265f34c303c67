/* security/sec_names.h — roles and revocation reasons, and their names. */
#ifndef RW_SEC_NAMES_H
#define RW_SEC_NAMES_H

#include <stdbool.h>

enum rw_role {
    RW_ROLE_NONE = 0,  /* unknown / not one of ours */
    RW_ROLE_BROKER,    /* serverAuth + clientAuth, SAN DNS/IP */
    RW_ROLE_PRODUCER,  /* clientAuth */
    RW_ROLE_CONSUMER,  /* clientAuth */
    RW_ROLE_ADMIN,     /* clientAuth */
};

/* "broker", "producer", "consumer", "admin"; false when unknown. */
bool rw_sec_role_parse(const char *name, enum rw_role *out);
const char *rw_sec_role_name(enum rw_role role); /* "none" for RW_ROLE_NONE */

/* RFC 5280 CRLReason codes (7 is unused). */
enum rw_reason {
    RW_REASON_UNSPECIFIED = 0,
    RW_REASON_KEY_COMPROMISE = 1,
    RW_REASON_CA_COMPROMISE = 2,
    RW_REASON_AFFILIATION_CHANGED = 3,
    RW_REASON_SUPERSEDED = 4,
    RW_REASON_CESSATION_OF_OPERATION = 5,
    RW_REASON_CERTIFICATE_HOLD = 6,
    RW_REASON_REMOVE_FROM_CRL = 8,
    RW_REASON_PRIVILEGE_WITHDRAWN = 9,
    RW_REASON_AA_COMPROMISE = 10,
};

/* RFC names: "unspecified", "keyCompromise", "cACompromise",
 * "affiliationChanged", "superseded", "cessationOfOperation",
 * "certificateHold", "removeFromCRL", "privilegeWithdrawn", "aACompromise"
 * (case-insensitive); false when unknown. */
bool rw_sec_reason_parse(const char *name, enum rw_reason *out);
const char *rw_sec_reason_name(int reason); /* "unknown" when not a code */

#endif
