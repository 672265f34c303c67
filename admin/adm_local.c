/* admin/adm_local.c — an admin RPC call served in-process: ringward-admin
 * without --server runs the same service the broker runs, on --data-dir's
 * store, as the local operator ("local:<user>" in the events). Commands
 * that exist for the RPC (tokens create, certs pending|approve|reject) thus
 * work offline with the same output. The CA passphrase is loaded when
 * given; without one only the calls that sign fail, with the service's
 * error. */
#include <stdlib.h>

#include "admin/adm_common.h"
#include "admin/adm_remote.h"
#include "admin/adm_rpc.h"
#include "proto/rw_frame.h"
#include "security/sec_key.h"

static struct rw_result optional_passphrase(const struct adm_args *a, struct rw_store *s,
                                            char **pass)
{
    *pass = NULL;
    if (rw_sec_ca_dev_keys(s)) {
        return RW_SUCCESS;
    }
    struct rw_result r = rw_sec_passphrase_load(adm_get(a, "passphrase-file"), pass);
    return r.err == RW_ERR_NOT_FOUND ? RW_SUCCESS : r;
}

static struct rw_result serve(const struct adm_args *a, struct rw_store *s,
                              Ringward__Admin__AdminFrame *req, struct rw_buf *out)
{
    char *pass = NULL;
    struct rw_adm_service *svc = NULL;
    RW_GUARD(optional_passphrase(a, s, &pass));
    struct rw_result r = rw_adm_service_new(s, pass, NULL, &svc);
    rw_sec_secret_free(pass);
    RW_GUARD(r);
    struct rw_buf in;
    rw_buf_init(&in, RW_FRAME_DEFAULT_MAX + RW_FRAME_HEADER);
    r = rw_frame_append(&in, &req->base, RW_FRAME_DEFAULT_MAX);
    struct rw_adm_caller caller = {.address = "local", .local_actor = adm_actor()};
    if (rw_ok(r)) {
        r = rw_adm_service_handle(svc, &caller, in.data + RW_FRAME_HEADER,
                                  in.len - RW_FRAME_HEADER, out);
    }
    rw_buf_wipe_cleanup(&in);
    rw_adm_service_free(svc);
    return r;
}

struct rw_result adm_local_call(const struct adm_args *a, Ringward__Admin__AdminFrame *req,
                                Ringward__Admin__AdminFrame **resp)
{
    req->correlation_id = 1;
    struct rw_store *s = NULL;
    RW_GUARD(rw_store_open(adm_data_dir(a), RW_STORE_OPEN_EXISTING, &s));
    struct rw_buf out;
    rw_buf_init(&out, (size_t)RW_ADM_DEFAULT_MAX_RESPONSE + RW_FRAME_HEADER);
    struct rw_result r = serve(a, s, req, &out);
    rw_store_close(s);
    if (rw_ok(r)) {
        RW_ENSURE_MSG(out.len >= RW_FRAME_HEADER, RW_ERR_INTERNAL, "the admin service sent nothing");
        r = adm_frame_decode(req, out.data + RW_FRAME_HEADER, out.len - RW_FRAME_HEADER, resp);
    }
    rw_buf_wipe_cleanup(&out);
    return r;
}
