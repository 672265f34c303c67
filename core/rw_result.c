/* core/rw_result.c — error names, detail and location (thread-local). */
#include "core/rw_result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char detail[512];
static _Thread_local const char *last_file;
static _Thread_local int last_line;

struct rw_result rw_err_make(enum rw_err e, const char *file, int line)
{
    last_file = file;
    last_line = line;
    return (struct rw_result){e};
}

struct err_desc {
    enum rw_err err;
    const char *name;
    const char *str;
};

static const struct err_desc descs[] = {
    {RW_OK, "OK", "success"},
    {RW_ERR_BLOCKED, "BLOCKED", "operation would block"},
    {RW_ERR_CLOSED, "CLOSED", "connection closed"},
    {RW_ERR_IO, "IO", "input/output error"},
    {RW_ERR_IO_CORRUPT, "IO_CORRUPT", "file is corrupted or not what it should be"},
    {RW_ERR_IO_VERSION, "IO_VERSION", "written by a newer version"},
    {RW_ERR_PROTO_MALFORMED, "PROTO_MALFORMED", "malformed input"},
    {RW_ERR_PROTO_TOO_LARGE, "PROTO_TOO_LARGE", "input too large"},
    {RW_ERR_PROTO_TRUNCATED, "PROTO_TRUNCATED", "input truncated"},
    {RW_ERR_TLS, "TLS", "TLS failure"},
    {RW_ERR_AUTH_UNKNOWN_CA, "AUTH_UNKNOWN_CA", "issued by an unknown CA"},
    {RW_ERR_AUTH_BAD_SIGNATURE, "AUTH_BAD_SIGNATURE", "bad signature"},
    {RW_ERR_AUTH_EXPIRED, "AUTH_EXPIRED", "certificate expired"},
    {RW_ERR_AUTH_NOT_YET_VALID, "AUTH_NOT_YET_VALID", "certificate not yet valid"},
    {RW_ERR_AUTH_REVOKED, "AUTH_REVOKED", "certificate revoked"},
    {RW_ERR_AUTH_WRONG_USAGE, "AUTH_WRONG_USAGE", "wrong key usage"},
    {RW_ERR_AUTH_PROFILE, "AUTH_PROFILE", "profile violation"},
    {RW_ERR_AUTH_NO_CERT, "AUTH_NO_CERT", "no certificate"},
    {RW_ERR_AUTH_NAME_MISMATCH, "AUTH_NAME_MISMATCH", "name mismatch"},
    {RW_ERR_AUTH_PASSPHRASE, "AUTH_PASSPHRASE", "wrong or missing passphrase"},
    {RW_ERR_AUTH_INVALID, "AUTH_INVALID", "certificate chain invalid"},
    {RW_ERR_NOMEM, "NOMEM", "out of memory"},
    {RW_ERR_LIMIT, "LIMIT", "limit exceeded"},
    {RW_ERR_INTERNAL, "INTERNAL", "internal error"},
    {RW_ERR_CRYPTO, "CRYPTO", "cryptographic library failure"},
    {RW_ERR_STORE, "STORE", "store failure"},
    {RW_ERR_USAGE, "USAGE", "invalid usage"},
    {RW_ERR_NOT_FOUND, "NOT_FOUND", "not found"},
    {RW_ERR_EXISTS, "EXISTS", "already exists"},
    {RW_ERR_STATE, "STATE", "not allowed in the current state"},
};

static const struct err_desc *find(enum rw_err e)
{
    for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
        if (descs[i].err == e) {
            return &descs[i];
        }
    }
    return NULL;
}

const char *rw_err_name(enum rw_err e)
{
    const struct err_desc *d = find(e);
    return d ? d->name : "UNKNOWN";
}

const char *rw_err_str(enum rw_err e)
{
    const struct err_desc *d = find(e);
    return d ? d->str : "unknown error";
}

void rw_err_detail_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
}

void rw_err_detail_append(const char *fmt, ...)
{
    size_t used = strlen(detail);
    if (used >= sizeof(detail) - 1) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail + used, sizeof(detail) - used, fmt, ap);
    va_end(ap);
}

const char *rw_err_detail(void) { return detail; }
void rw_err_detail_clear(void) { detail[0] = '\0'; }
const char *rw_err_file(void) { return last_file ? last_file : ""; }
int rw_err_line(void) { return last_line; }
