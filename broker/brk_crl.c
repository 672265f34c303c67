/* broker/brk_crl.c — external CRL files: change detection, evaluation and
 * the keep-last / fail-closed policy (see broker/brk_crl.h). */
#include "broker/brk_crl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "core/rw_buf.h"
#include "core/rw_log.h"
#include "security/sec_ossl.h"

#define CRL_FILE_MAX (256u << 20)

struct file_sig {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
};

struct crl_file {
    const char *path;            /* borrowed from the config */
    struct file_sig sig;         /* at the last evaluation */
    STACK_OF(X509_CRL) *kept;    /* owned: the last good CRLs of this file */
    int64_t kept_at;             /* when they verified */
    int64_t next_update;         /* earliest nextUpdate of `kept`; INT64_MAX = none */
    bool use;                    /* the next snapshot adds `kept` */
    bool failing;
};

struct brk_crls {
    struct crl_file *files;
    unsigned n;
    enum brk_crl_policy policy;
    struct brk_stats *stats;     /* borrowed */
};

static const char *policy_name(enum brk_crl_policy p)
{
    return p == BRK_CRL_KEEP_LAST ? "keep-last" : "fail-closed";
}

struct rw_result brk_crls_new(const struct brk_config *cfg, struct brk_stats *stats,
                              struct brk_crls **out)
{
    struct brk_crls *c = calloc(1, sizeof(*c));
    RW_ENSURE(c, RW_ERR_NOMEM);
    c->files = calloc(cfg->n_crl ? cfg->n_crl : 1, sizeof(*c->files));
    if (!c->files) {
        free(c);
        RW_BAIL(RW_ERR_NOMEM);
    }
    c->n = cfg->n_crl;
    c->policy = cfg->crl_policy;
    c->stats = stats;
    for (unsigned i = 0; i < c->n; i++) {
        c->files[i].path = cfg->crl[i];
        c->files[i].next_update = INT64_MAX;
    }
    *out = c;
    return RW_SUCCESS;
}

void brk_crls_free(struct brk_crls *c)
{
    if (!c) {
        return;
    }
    for (unsigned i = 0; i < c->n; i++) {
        sk_X509_CRL_pop_free(c->files[i].kept, X509_CRL_free);
    }
    free(c->files);
    free(c);
}

static struct file_sig sig_of(const char *path)
{
    struct file_sig s;
    memset(&s, 0, sizeof(s));
    struct stat st;
    if (stat(path, &st) == 0) {
        s.present = true;
        s.dev = st.st_dev;
        s.ino = st.st_ino;
        s.size = st.st_size;
        s.mtim = st.st_mtim;
    }
    return s;
}

static bool sig_eq(const struct file_sig *a, const struct file_sig *b)
{
    return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
           a->mtim.tv_nsec == b->mtim.tv_nsec;
}

bool brk_crls_due(struct brk_crls *c, int64_t now)
{
    for (unsigned i = 0; i < c->n; i++) {
        struct crl_file *f = &c->files[i];
        struct file_sig s = sig_of(f->path);
        if (!sig_eq(&s, &f->sig) || (!f->failing && now >= f->next_update)) {
            return true;
        }
    }
    return false;
}

/* Reads, parses and checks one file into *crls (owned by the caller, also
 * on failure: a file that parses but does not verify still names issuers). */
static struct rw_result load(const char *path, struct rw_sec_trust *probe, int64_t now,
                             STACK_OF(X509_CRL) **crls)
{
    *crls = sk_X509_CRL_new_null();
    RW_ENSURE(*crls, RW_ERR_NOMEM);
    struct rw_buf b;
    rw_buf_init(&b, CRL_FILE_MAX);
    struct rw_result r = rw_buf_read_file(&b, path);
    if (rw_ok(r)) {
        r = rw_sec_crl_stack_from_buf(b.data, b.len, *crls);
    }
    rw_buf_cleanup(&b);
    for (int i = 0; i < sk_X509_CRL_num(*crls) && rw_ok(r); i++) {
        r = rw_sec_trust_add_crl(probe, sk_X509_CRL_value(*crls, i), now);
    }
    return r;
}

static int64_t earliest_next_update(STACK_OF(X509_CRL) *crls)
{
    int64_t min = INT64_MAX;
    for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
        const ASN1_TIME *t = X509_CRL_get0_nextUpdate(sk_X509_CRL_value(crls, i));
        int64_t at;
        if (t && rw_ok(rw_sec_time_to_unix(t, &at)) && at < min) {
            min = at;
        }
    }
    return min;
}

static struct rw_result push_issuers(STACK_OF(X509_CRL) *crls, STACK_OF(X509_NAME) *names)
{
    for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
        X509_NAME *n = X509_NAME_dup(X509_CRL_get_issuer(sk_X509_CRL_value(crls, i)));
        if (!n || !sk_X509_NAME_push(names, n)) {
            X509_NAME_free(n);
            RW_BAIL(RW_ERR_NOMEM);
        }
    }
    return RW_SUCCESS;
}

static void good(struct crl_file *f, STACK_OF(X509_CRL) *crls, int64_t now, bool changed)
{
    sk_X509_CRL_pop_free(f->kept, X509_CRL_free);
    f->kept = crls;
    f->kept_at = now;
    f->next_update = earliest_next_update(crls);
    f->use = true;
    if (changed || f->failing) {
        RW_LOG(RW_LOG_INFO, f->failing ? "crl_recovered" : "crl_loaded", "file=%s crls=%d",
               f->path, sk_X509_CRL_num(crls));
    }
    f->failing = false;
}

/* An unusable file: policy decides; `fresh` is what the bad file parsed to. */
static struct rw_result bad(struct brk_crls *c, struct crl_file *f, STACK_OF(X509_CRL) *fresh,
                            bool logit, STACK_OF(X509_NAME) *blocked)
{
    bool keep = c->policy == BRK_CRL_KEEP_LAST && f->kept;
    if (logit) {
        char d[512];
        snprintf(d, sizeof(d), "%s", rw_err_detail());
        for (char *p = d; *p; p++) {
            *p = *p == '"' ? '\'' : (*p < 0x20 ? ' ' : *p);
        }
        RW_LOG(RW_LOG_WARN, "crl_failed", "file=%s policy=%s action=%s detail=\"%s\"", f->path,
               policy_name(c->policy), keep ? "kept_last_good" : "refusing_issuer", d);
        brk_stat_add(&c->stats->crl_failures, 1);
    }
    f->failing = true;
    f->use = keep;
    if (keep) {
        return RW_SUCCESS;
    }
    if (f->kept) {
        RW_GUARD(push_issuers(f->kept, blocked));
    }
    return push_issuers(fresh, blocked);
}

struct rw_result brk_crls_evaluate(struct brk_crls *c, struct rw_sec_trust *probe, int64_t now,
                                   bool startup, STACK_OF(X509_NAME) *blocked)
{
    unsigned failing = 0;
    for (unsigned i = 0; i < c->n; i++) {
        struct crl_file *f = &c->files[i];
        struct file_sig s = sig_of(f->path);
        STACK_OF(X509_CRL) *crls = NULL;
        struct rw_result r = load(f->path, probe, now, &crls);
        if (rw_ok(r)) {
            good(f, crls, now, !sig_eq(&s, &f->sig));
            f->sig = s;
            continue;
        }
        if (startup || !crls) {
            sk_X509_CRL_pop_free(crls, X509_CRL_free);
            rw_err_detail_append(" (--crl %s)", f->path);
            return r;
        }
        bool logit = !f->failing || !sig_eq(&s, &f->sig);
        f->sig = s;
        r = bad(c, f, crls, logit, blocked);
        sk_X509_CRL_pop_free(crls, X509_CRL_free);
        RW_GUARD(r);
        failing++;
    }
    atomic_store(&c->stats->crl_failing, failing);
    return RW_SUCCESS;
}

struct rw_result brk_crls_add(struct brk_crls *c, struct rw_sec_trust *t)
{
    for (unsigned i = 0; i < c->n; i++) {
        struct crl_file *f = &c->files[i];
        for (int j = 0; f->use && j < sk_X509_CRL_num(f->kept); j++) {
            struct rw_result r = rw_sec_trust_add_crl(t, sk_X509_CRL_value(f->kept, j), f->kept_at);
            if (r.err == RW_ERR_AUTH_UNKNOWN_CA) {
                continue; /* its issuer is not trusted (or refused): nothing to revoke */
            }
            if (!rw_ok(r)) {
                rw_err_detail_append(" (--crl %s, last good version)", f->path);
                return r;
            }
        }
    }
    return RW_SUCCESS;
}

unsigned brk_crls_failing(const struct brk_crls *c)
{
    unsigned n = 0;
    for (unsigned i = 0; c && i < c->n; i++) {
        n += c->files[i].failing;
    }
    return n;
}
