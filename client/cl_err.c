/* client/cl_err.c — client error values: codes, sanitized messages. */
#include "client/cl_err.h"

#include <stdarg.h>
#include <stdio.h>

static void sanitize(char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f) {
            *s = '?';
        }
    }
}

void rw_cl_err_set(struct rw_client_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    sanitize(e->message);
    e->code = code;
}

enum rw_err rw_cl_err_from_code(int code)
{
    switch (code) {
    case RINGWARD__ERROR_CODE__UNAUTHENTICATED:
    case RINGWARD__ERROR_CODE__PERMISSION_DENIED:
        return RW_ERR_AUTH_INVALID;
    case RINGWARD__ERROR_CODE__REVOKED:
        return RW_ERR_AUTH_REVOKED;
    case RINGWARD__ERROR_CODE__EXPIRED:
        return RW_ERR_AUTH_EXPIRED;
    case RINGWARD__ERROR_CODE__NOT_FOUND:
        return RW_ERR_NOT_FOUND;
    case RINGWARD__ERROR_CODE__INVALID_ARGUMENT:
        return RW_ERR_USAGE;
    case RINGWARD__ERROR_CODE__RESOURCE_EXHAUSTED:
        return RW_ERR_LIMIT;
    default:
        return RW_ERR_INTERNAL;
    }
}

struct rw_result rw_cl_err_broker(struct rw_client_error *e, const Ringward__Error *be)
{
    int code = be ? (int)be->code : 0;
    const char *msg = be && be->message && be->message[0] ? be->message : "(no message)";
    rw_cl_err_set(e, code ? code : RINGWARD__ERROR_CODE__INTERNAL, "%s", msg);
    rw_err_detail_set("broker error %d", code);
    return RW_ERR(rw_cl_err_from_code(code));
}

/* TLS alert descriptions (RFC 8446 §6) that say why the broker refused us. */
int rw_cl_err_alert_code(int alert_desc)
{
    switch (alert_desc) {
    case 44: /* certificate_revoked */
        return RINGWARD__ERROR_CODE__REVOKED;
    case 45: /* certificate_expired */
        return RINGWARD__ERROR_CODE__EXPIRED;
    case 42: /* bad_certificate */
    case 43: /* unsupported_certificate */
    case 46: /* certificate_unknown */
    case 48: /* unknown_ca */
    case 116: /* certificate_required */
        return RINGWARD__ERROR_CODE__UNAUTHENTICATED;
    case 49: /* access_denied */
        return RINGWARD__ERROR_CODE__PERMISSION_DENIED;
    default:
        return 0;
    }
}
