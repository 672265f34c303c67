/* client/cl_err.h — filling a struct rw_client_error (internal to client/).
 *
 * Messages are copied into the caller's struct (truncated to fit) with
 * control characters replaced, so a hostile broker message cannot drive the
 * terminal that prints it.
 */
#ifndef RW_CLIENT_CL_ERR_H
#define RW_CLIENT_CL_ERR_H

#include "client/rw_client.h"
#include "proto/broker.pb-c.h"

/* Sets code and a printf-formatted message. */
void rw_cl_err_set(struct rw_client_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The rw_err that stands for a ringward.ErrorCode (REVOKED → AUTH_REVOKED). */
enum rw_err rw_cl_err_from_code(int code);
/* Copies a broker Error (NULL = none) into *e and returns the matching
 * failure; a code of 0 is reported as INTERNAL. */
struct rw_result rw_cl_err_broker(struct rw_client_error *e, const Ringward__Error *be);
/* The ringward.ErrorCode a received TLS alert stands for, or 0. */
int rw_cl_err_alert_code(int alert_desc);

#endif
