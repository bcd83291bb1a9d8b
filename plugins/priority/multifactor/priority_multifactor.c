/* priority_multifactor.c - priority/multifactor: Slurm's job factors plus
 * fair-share by user and account from decayed usage.
 *
 * priority = round(w_age*age + w_size*job_size + w_part*partition
 *                  + w_fs*fairshare) - nice, never below 0.
 *
 * Fair-share is Slurm's "classic" algorithm
 * (https://slurm.schedmd.com/classic_fair_share.html, what Slurm did before
 * Fair Tree; PriorityFlags=NO_FAIR_TREE), over a two-level tree: accounts
 * under the root, users under their account. For the job's association
 * (its uid and req.account):
 *
 *   shares     S  = (1 / accounts seen) * (1 / users seen in the account).
 *              There is no share table yet, so every account seen gets an
 *              equal share of the cluster and every user seen in an account
 *              an equal share of that account. "Seen" means charged at
 *              least once since the plugin started, or with a job priced
 *              in an earlier pass (so that a queued user who never ran
 *              still takes a share from a busy one); the job's own account
 *              and user always count.
 *   usage      U  = the association's decayed usage / all decayed usage,
 *              i.e. the user's share of its account's usage times the
 *              account's share of the total; U_acct likewise.
 *   effective  UE = U + (UE_acct - U) * S_user/S_siblings, with S_user /
 *              S_siblings = 1 / users seen in the account, and UE_acct =
 *              U_acct (an account directly under the root uses its own
 *              usage: Slurm's depth-oblivious page notes that at the first
 *              level R = U/S, "the same as the original formula").
 *   factor     F  = 2^(-UE / S): 1 when neither the user nor its account
 *              used anything, 0.5 at exactly the share, towards 0 above.
 *              With no usage recorded at all, F = 1 for everyone.
 *
 * Usage decays with half-life PriorityDecayHalfLife (default 7 days; 0
 * means no decay, as in Slurm and doc/hub.conf.md; UNLIMITED is as good as
 * none): usage *= 2^(-dt / half_life), applied exactly and lazily to all
 * entries at once, in begin_pass() and before each charge(). Decay scales
 * every usage by the same amount, so U and F do not depend on when it was
 * last applied; priority() needs no decay of its own.
 *
 * charge() is called with what a job accrued since the last call; a call
 * stamped before the last decay is added undecayed (slight overcharge).
 *
 * Usage outlives the plugin through its host: usage_save() hands out the
 * associations charged since its last call (hubctld writes them to its
 * store in the same batch as the job that ended), usage_restore() takes
 * them back at the next start, decayed for the time in between (the time
 * the controller was down included).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "factors.h"
#include "plugins.h"
#include "usage.h"

typedef struct mf_ctx {
    prio_base_t base;
    usage_table_t *usage;
    int64_t half_life_ms; /* 0: usage never decays */
    bool decay_started;   /* decayed_ms is set */
    int64_t decayed_ms;   /* usage is as of this time */
} mf_ctx_t;

/* One association's fair-share numbers, as explain() shows them. */
typedef struct fairshare {
    usage_view_t view;      /* raw decayed usage and counts */
    double shares;          /* S, normalised, (0, 1] */
    double usage_norm;      /* U of the association, [0, 1] */
    double acct_usage_norm; /* U of its account, [0, 1] */
    double usage_effective; /* UE */
    double factor;          /* F = 2^(-UE/S) */
} fairshare_t;

static int mf_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    mf_ctx_t *c = calloc(1, sizeof(*c));
    int rc;

    if (!c || !(c->usage = usage_create())) {
        free(c);
        return hub_errorf(err, ENOMEM, "priority/multifactor: out of memory");
    }
    if ((rc = prio_base_init(&c->base, conf, true, err)) < 0) {
        usage_destroy(c->usage);
        free(c);
        return rc;
    }
    c->half_life_ms = prio_secs_to_ms(conf->globals.priority_decay_half_life_s);
    *ctx = c;
    return 0;
}

static void mf_destroy(void *ctx)
{
    mf_ctx_t *c = ctx;

    if (!c)
        return;
    usage_destroy(c->usage);
    free(c);
}

/* Bring usage forward to now_ms; time never runs backwards here. */
static void decay_to(mf_ctx_t *c, int64_t now_ms)
{
    if (!c->decay_started) {
        c->decay_started = true;
        c->decayed_ms = now_ms;
        return;
    }
    if (now_ms <= c->decayed_ms || c->half_life_ms <= 0)
        return;
    usage_decay(c->usage, exp2(-(double)(now_ms - c->decayed_ms) /
                               (double)c->half_life_ms));
    c->decayed_ms = now_ms;
}

static void mf_begin_pass(void *ctx, int64_t now_ms)
{
    mf_ctx_t *c = ctx;

    decay_to(c, now_ms);
    usage_promote(c->usage);
}

/* Out of memory drops the charge: the op cannot report it, and a missed
 * charge only makes the user look idler than it was. */
static void mf_charge(void *ctx, const hub_job_t *job, double billing,
                      int64_t now_ms)
{
    mf_ctx_t *c = ctx;

    decay_to(c, now_ms);
    if (billing > 0 && isfinite(billing))
        (void)usage_charge(c->usage, job->uid, job->req.account, billing);
}

static double ratio01(double part, double whole)
{
    double r = whole > 0 ? part / whole : 0.0;

    return r > 1.0 ? 1.0 : r;
}

static void fairshare_compute(const mf_ctx_t *c, const hub_job_t *job,
                              fairshare_t *fs)
{
    double user_in_acct; /* S_user / S_siblings inside the account */

    usage_lookup(c->usage, job->uid, job->req.account, &fs->view);
    user_in_acct = 1.0 / fs->view.nusers;
    fs->shares = user_in_acct / fs->view.naccounts;
    fs->usage_norm = ratio01(fs->view.user, fs->view.total);
    fs->acct_usage_norm = ratio01(fs->view.account, fs->view.total);
    fs->usage_effective =
        fs->usage_norm + (fs->acct_usage_norm - fs->usage_norm) * user_in_acct;
    fs->factor = exp2(-fs->usage_effective / fs->shares);
}

static void all_factors(const mf_ctx_t *c, const hub_job_t *job, int64_t now_ms,
                        prio_factors_t *f, fairshare_t *fs)
{
    prio_factors_compute(&c->base, job, now_ms, f);
    fairshare_compute(c, job, fs);
    f->fairshare = fs->factor;
}

static int64_t mf_priority(void *ctx, const hub_job_t *job, int64_t now_ms)
{
    mf_ctx_t *c = ctx;
    prio_factors_t f;
    fairshare_t fs;

    all_factors(c, job, now_ms, &f, &fs);
    /* Seen from the next pass on; out of memory only delays that. */
    (void)usage_note(c->usage, job->uid, job->req.account);
    return prio_combine(&c->base, &f, job->req.nice);
}

static int explain_fairshare(json_t *fs_obj, const fairshare_t *fs)
{
    json_t *o = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I}", "shares_norm",
        fs->shares, "usage_raw", fs->view.user, "account_usage_raw",
        fs->view.account, "total_usage_raw", fs->view.total, "usage_norm",
        fs->usage_norm, "account_usage_norm", fs->acct_usage_norm,
        "usage_effective", fs->usage_effective, "accounts",
        (json_int_t)fs->view.naccounts, "users_in_account",
        (json_int_t)fs->view.nusers);
    int rc = o ? json_object_update(fs_obj, o) : -1;

    json_decref(o);
    return rc;
}

static json_t *mf_explain(void *ctx, const hub_job_t *job, int64_t now_ms)
{
    mf_ctx_t *c = ctx;
    prio_factors_t f;
    fairshare_t fs;
    json_t *root;

    all_factors(c, job, now_ms, &f, &fs);
    if (!(root = prio_explain(&c->base, &f, job->req.nice)))
        return NULL;
    if (explain_fairshare(
            json_object_get(json_object_get(root, "factors"), "fairshare"),
            &fs) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* What save_entry needs besides the entry. */
typedef struct saver {
    hub_usage_fn fn;
    void *arg;
    int64_t decayed_ms;
} saver_t;

static int save_entry(const usage_entry_t *e, void *arg)
{
    const saver_t *sv = arg;
    hub_usage_rec_t rec = {
        .uid = e->uid, .usage = e->usage, .decayed_ms = sv->decayed_ms};

    snprintf(rec.account, sizeof(rec.account), "%s", e->account);
    return sv->fn(&rec, sv->arg);
}

static int mf_usage_save(void *ctx, bool all, hub_usage_fn fn, void *arg)
{
    mf_ctx_t *c = ctx;
    saver_t sv = {.fn = fn, .arg = arg, .decayed_ms = c->decayed_ms};

    return usage_save(c->usage, all, save_entry, &sv);
}

/* The record's usage is brought to the table's time (now_ms, or a later
 * decay already applied), by the same exact 2^(-dt / half_life). */
static int mf_usage_restore(void *ctx, const hub_usage_rec_t *rec,
                            int64_t now_ms)
{
    mf_ctx_t *c = ctx;
    double u = rec->usage;

    decay_to(c, now_ms);
    if (c->half_life_ms > 0 && rec->decayed_ms < c->decayed_ms)
        u *= exp2(-(double)(c->decayed_ms - rec->decayed_ms) /
                  (double)c->half_life_ms);
    if (!(u > 0) || !isfinite(u))
        return 0;
    return usage_restore(c->usage, rec->uid, rec->account, u);
}

static const hub_priority_ops_t mf_ops = {
    .create = mf_create,
    .destroy = mf_destroy,
    .begin_pass = mf_begin_pass,
    .priority = mf_priority,
    .charge = mf_charge,
    .explain = mf_explain,
    .usage_save = mf_usage_save,
    .usage_restore = mf_usage_restore,
};

const hub_plugin_desc_t hub_priority_multifactor_desc =
    HUB_PLUGIN_DESC_INIT("priority", "multifactor", HUB_PRIORITY_ABI_MAJOR,
                         HUB_PRIORITY_ABI_MINOR, mf_ops);
