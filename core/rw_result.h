/* core/rw_result.h — the one error convention.
 *
 * Fallible functions return `RW_RESULT` (a one-field struct the compiler
 * insists you look at). The high byte of an rw_err is its category, so a
 * caller can branch on "peer's fault" vs "ours" without listing codes.
 * The failing file:line is recorded (thread-local), and a human-readable
 * detail may be attached with rw_err_detail_set(); neither is logged here.
 */
#ifndef RW_CORE_RESULT_H
#define RW_CORE_RESULT_H

#include <stdbool.h>

enum rw_err_cat {
    RW_CAT_OK = 0x0000,
    RW_CAT_BLOCKED = 0x0100,  /* not an error: back to the loop */
    RW_CAT_CLOSED = 0x0200,
    RW_CAT_IO = 0x0300,
    RW_CAT_PROTO = 0x0400,    /* the peer's fault */
    RW_CAT_TLS = 0x0500,
    RW_CAT_AUTH = 0x0600,
    RW_CAT_RESOURCE = 0x0700,
    RW_CAT_INTERNAL = 0x0800,
    RW_CAT_USAGE = 0x0900,
};

enum rw_err {
    RW_OK = 0,
    RW_ERR_BLOCKED = RW_CAT_BLOCKED | 1,
    RW_ERR_CLOSED = RW_CAT_CLOSED | 1,
    RW_ERR_IO = RW_CAT_IO | 1,          /* errno-level failure */
    RW_ERR_IO_CORRUPT,                  /* a file exists but is not what it should be */
    RW_ERR_IO_VERSION,                  /* written by a newer version */
    RW_ERR_PROTO_MALFORMED = RW_CAT_PROTO | 1,
    RW_ERR_PROTO_TOO_LARGE,
    RW_ERR_PROTO_TRUNCATED,
    RW_ERR_TLS = RW_CAT_TLS | 1,
    RW_ERR_AUTH_UNKNOWN_CA = RW_CAT_AUTH | 1,
    RW_ERR_AUTH_BAD_SIGNATURE,
    RW_ERR_AUTH_EXPIRED,
    RW_ERR_AUTH_NOT_YET_VALID,
    RW_ERR_AUTH_REVOKED,
    RW_ERR_AUTH_WRONG_USAGE,
    RW_ERR_AUTH_PROFILE,                /* strict-profile violation */
    RW_ERR_AUTH_NO_CERT,
    RW_ERR_AUTH_NAME_MISMATCH,
    RW_ERR_AUTH_PASSPHRASE,             /* wrong or missing passphrase */
    RW_ERR_AUTH_INVALID,                /* any other chain rejection */
    RW_ERR_NOMEM = RW_CAT_RESOURCE | 1,
    RW_ERR_LIMIT,                       /* a configured limit was exceeded */
    RW_ERR_INTERNAL = RW_CAT_INTERNAL | 1,
    RW_ERR_CRYPTO,                      /* OpenSSL failed where it should not */
    RW_ERR_STORE,                       /* the database failed */
    RW_ERR_USAGE = RW_CAT_USAGE | 1,    /* bad arguments */
    RW_ERR_NOT_FOUND,
    RW_ERR_EXISTS,
    RW_ERR_STATE,                       /* not allowed in the current state */
};

struct rw_result {
    enum rw_err err;
};

#define RW_RESULT __attribute__((warn_unused_result)) struct rw_result

static inline bool rw_ok(struct rw_result r) { return r.err == RW_OK; }
static inline enum rw_err_cat rw_err_category(enum rw_err e) { return (enum rw_err_cat)(e & 0xff00); }

/* Records `e` with its location and returns it as a result. */
struct rw_result rw_err_make(enum rw_err e, const char *file, int line);

#define RW_SUCCESS ((struct rw_result){RW_OK})
#define RW_ERR(e) rw_err_make((e), __FILE__, __LINE__)
#define RW_BAIL(e) return RW_ERR(e)
#define RW_BAIL_MSG(e, ...) do { rw_err_detail_set(__VA_ARGS__); return RW_ERR(e); } while (0)
#define RW_ENSURE(cond, e) do { if (!(cond)) RW_BAIL(e); } while (0)
#define RW_ENSURE_MSG(cond, e, ...) do { if (!(cond)) RW_BAIL_MSG(e, __VA_ARGS__); } while (0)
#define RW_GUARD(call) do { struct rw_result rw_g__ = (call); if (!rw_ok(rw_g__)) return rw_g__; } while (0)
#define RW_GUARD_OSSL(call, e) do { if ((call) != 1) RW_BAIL(e); } while (0)
#define RW_GUARD_NEG(ret, e) do { if ((ret) < 0) RW_BAIL(e); } while (0)
/* For functions with cleanup: assign to `res` and jump to `label` on failure. */
#define RW_TRY(res, call, label) do { (res) = (call); if (!rw_ok(res)) goto label; } while (0)
#define RW_FAIL(res, e, label, ...) do { rw_err_detail_set(__VA_ARGS__); (res) = RW_ERR(e); goto label; } while (0)

/* Stable upper-case name ("AUTH_REVOKED") and a short English phrase. */
const char *rw_err_name(enum rw_err e);
const char *rw_err_str(enum rw_err e);

/* Thread-local detail: a human-actionable sentence for the last failure.
 * Set it before failing; callers that report an error print it. */
void rw_err_detail_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rw_err_detail_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *rw_err_detail(void);
void rw_err_detail_clear(void);

/* Location of the last recorded failure on this thread. */
const char *rw_err_file(void);
int rw_err_line(void);

#endif
