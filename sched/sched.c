/* sched.c - the scheduler's life cycle and job events (see sched.h).
 * Passes are in sched_pass.c, placement and limits in sched_place.c,
 * request checks in sched_validate.c. */
#include "sched_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Billing weights for fair-share usage, in GPU-seconds-equivalent: a GPU
 * second counts 1, a CPU second 1/16 (a 16-core CPU job weighs as one GPU),
 * as Slurm's TRESBillingWeights="CPU=0.0625,GRES/gpu=1.0". */
#define BILLING_PER_GPU 1.0
#define BILLING_PER_CPU 0.0625

static int load_plugin(hub_sched_t *s, const hub_plugin_type_t *type,
                       const char *name, const char *path, hub_plugin_t **pl,
                       const void **ops, hub_error_t *err)
{
    *pl = hub_plugin_load(type, name, path, err);
    if (!*pl)
        return hub_error_prefix(err, -EINVAL, "%sType=%s", type->name, name);
    *ops = hub_plugin_ops(*pl);
    return 0;
}

static void clear_states(hub_cluster_t *c)
{
    for (uint32_t i = 0; i < c->nnodes; i++)
        c->nodes[i].state = 0;
}

static int load_plugins(hub_sched_t *s, const char *path, hub_error_t *err)
{
    const hub_conf_globals_t *g = &s->conf->globals;
    const void *ops = NULL;

    hub_sched_register_builtins();
    if (load_plugin(s, &hub_select_plugin_type, g->select_type, path,
                    &s->select_pl, &ops, err) < 0)
        return -EINVAL;
    s->select = ops;
    if (load_plugin(s, &hub_priority_plugin_type, g->priority_type, path,
                    &s->priority_pl, &ops, err) < 0)
        return -EINVAL;
    s->priority = ops;
    if (load_plugin(s, &hub_sched_plugin_type, g->scheduler_type, path,
                    &s->sched_pl, &ops, err) < 0)
        return -EINVAL;
    s->sched = ops;
    if (hubsel_load(s, path, err) < 0)
        return -EINVAL;
    if (s->select->create(&s->select_ctx, s->conf, err) < 0 ||
        s->priority->create(&s->priority_ctx, s->conf, err) < 0 ||
        s->sched->create(&s->sched_ctx, s->conf, err) < 0)
        return -EINVAL;
    return 0;
}

hub_sched_t *hub_sched_create(const hub_conf_t *conf,
                              const hub_sched_opts_t *opts, hub_error_t *err)
{
    hub_sched_t *s = calloc(1, sizeof(*s));
    const char *path = opts && opts->plugin_path ? opts->plugin_path
                                                 : conf->globals.plugin_dir;

    if (!s) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    s->conf = conf;
    s->clock = opts && opts->clock ? *opts->clock : hub_clock_real;
    if (opts)
        s->host = opts->host;
    countmap_init(&s->user_running);
    countmap_init(&s->array_running);
    s->cluster = hub_cluster_create(conf, opts && opts->nodes_up, err);
    s->empty = hub_cluster_create(conf, true, err);
    if (!s->cluster || !s->empty || jobtab_init(&s->jobs) < 0 ||
        load_plugins(s, path ? path : HUB_PLUGINDIR, err) < 0) {
        hub_sched_destroy(s);
        return NULL;
    }
    clear_states(s->empty);
    return s;
}

void hub_sched_destroy(hub_sched_t *s)
{
    uint32_t pos = 0;
    hub_job_t *job;

    if (!s)
        return;
    while ((job = jobtab_next(&s->jobs, &pos))) {
        hub_job_clear(job);
        free(job);
    }
    jobtab_fini(&s->jobs);
    if (s->sched && s->sched_ctx)
        s->sched->destroy(s->sched_ctx);
    if (s->priority && s->priority_ctx)
        s->priority->destroy(s->priority_ctx);
    if (s->select && s->select_ctx)
        s->select->destroy(s->select_ctx);
    hubsel_unload(s);
    hub_plugin_unload(s->sched_pl);
    hub_plugin_unload(s->priority_pl);
    hub_plugin_unload(s->select_pl);
    pass_free(s);
    place_free_cands(s);
    countmap_fini(&s->user_running);
    countmap_fini(&s->array_running);
    hub_cluster_destroy(s->cluster);
    hub_cluster_destroy(s->empty);
    free(s);
}

hub_cluster_t *hub_sched_cluster(hub_sched_t *s)
{
    return s->cluster;
}

const hub_conf_t *hub_sched_conf(const hub_sched_t *s)
{
    return s->conf;
}

int64_t hub_sched_now(const hub_sched_t *s)
{
    return hub_clock_now(&s->clock);
}

int hub_sched_check_deps(hub_sched_t *s, const hub_job_req_t *req,
                         hub_error_t *err)
{
    for (uint32_t i = 0; i < req->ndeps; i++) {
        if (!jobtab_find(&s->jobs, req->deps[i].job_id))
            return hub_errorf(err, EINVAL, "--dependency=%s:%u: no such job",
                              hub_dep_type_name(req->deps[i].type),
                              req->deps[i].job_id);
    }
    return 0;
}

static int restore_alloc(hub_sched_t *s, hub_job_t *job, hub_error_t *err)
{
    if (job->state != HUB_JOB_RUNNING && job->state != HUB_JOB_COMPLETING)
        return 0;
    if (hub_cluster_take(s->cluster, &job->alloc, job->req.exclusive) < 0)
        return hub_errorf(err, EBUSY,
                          "job %u: its allocation overlaps another job's",
                          job->id);
    return 0;
}

hub_job_t *hub_sched_add(hub_sched_t *s, hub_job_t *job, hub_error_t *err)
{
    hub_job_t *copy;

    if (jobtab_find(&s->jobs, job->id)) {
        hub_errorf(err, EEXIST, "job %u already exists", job->id);
        return NULL;
    }
    /* The table hashes the id: fill the copy before inserting it. */
    if (!(copy = malloc(sizeof(*copy)))) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    *copy = *job;
    if (jobtab_insert(&s->jobs, copy) < 0) {
        free(copy);
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    job->alloc.nodes = NULL;
    job->alloc.nnodes = 0;
    if (restore_alloc(s, copy, err) < 0) {
        jobtab_remove(&s->jobs, copy->id);
        *job = *copy;
        free(copy);
        return NULL;
    }
    if (copy->state == HUB_JOB_PENDING)
        s->npending++;
    return copy;
}

hub_job_t *hub_sched_find(hub_sched_t *s, hub_job_id_t id)
{
    return jobtab_find(&s->jobs, id);
}

int hub_sched_foreach(hub_sched_t *s, int (*fn)(hub_job_t *job, void *arg),
                      void *arg)
{
    uint32_t pos = 0;
    hub_job_t *job;
    int rc;

    while ((job = jobtab_next(&s->jobs, &pos))) {
        if ((rc = fn(job, arg)) != 0)
            return rc;
    }
    return 0;
}

uint32_t hub_sched_count(const hub_sched_t *s)
{
    return s->jobs.count;
}

uint32_t hub_sched_count_pending(const hub_sched_t *s)
{
    return s->npending;
}

static double alloc_billing(const hub_alloc_t *a)
{
    double gpus = 0, cpus = 0;
    for (uint32_t i = 0; i < a->nnodes; i++) {
        cpus += a->nodes[i].cpus;
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            gpus += a->nodes[i].gpu_milli[g] / (double)HUB_GPU_MILLI;
    }
    return gpus * BILLING_PER_GPU + cpus * BILLING_PER_CPU;
}

void sched_charge(hub_sched_t *s, const hub_job_t *job, int64_t now_ms)
{
    double secs = (now_ms - job->start_ms) / 1000.0;
    if (s->priority->charge && job->start_ms > 0 && secs > 0)
        s->priority->charge(s->priority_ctx, job,
                            secs * alloc_billing(&job->alloc), now_ms);
}

/* Give the job's resources back; a job that ended keeps the record of
 * its allocation (accounting shows it), a requeued one drops it. */
static void release_alloc(hub_sched_t *s, hub_job_t *job, bool keep)
{
    hub_cluster_give(s->cluster, &job->alloc, job->req.exclusive);
    if (!keep)
        hub_job_clear(job);
}

int hub_sched_job_end(hub_sched_t *s, hub_job_t *job, hub_job_state_t state,
                      int exit_code, int term_signal)
{
    int64_t now = hub_sched_now(s);

    if (!hub_job_state_is_final(state) || hub_job_state_is_final(job->state))
        return -EINVAL;
    if (job->state == HUB_JOB_PENDING) {
        if (state != HUB_JOB_CANCELLED)
            return -EINVAL;
        s->npending--;
    } else {
        sched_charge(s, job, now);
        release_alloc(s, job, true);
    }
    job->state = state;
    job->reason = HUB_REASON_NONE;
    job->exit_code = exit_code;
    job->term_signal = term_signal;
    job->end_ms = now;
    return 0;
}

int hub_sched_requeue(hub_sched_t *s, hub_job_t *job)
{
    if (job->state != HUB_JOB_RUNNING && job->state != HUB_JOB_COMPLETING)
        return -EINVAL;
    sched_charge(s, job, hub_sched_now(s));
    release_alloc(s, job, false);
    job->state = HUB_JOB_PENDING;
    job->reason = HUB_REASON_NONE;
    job->start_ms = 0;
    job->restart_count++;
    s->npending++;
    return 0;
}

int hub_sched_hold(hub_sched_t *s, hub_job_t *job, bool admin)
{
    if (job->state != HUB_JOB_PENDING)
        return -EINVAL;
    job->held = true;
    job->held_admin = job->held_admin || admin;
    job->reason =
        job->held_admin ? HUB_REASON_HELD_ADMIN : HUB_REASON_HELD_USER;
    return 0;
}

int hub_sched_release(hub_sched_t *s, hub_job_t *job, bool admin)
{
    if (job->state != HUB_JOB_PENDING)
        return -EINVAL;
    if (job->held_admin && !admin)
        return -EPERM;
    job->held = job->held_admin = false;
    job->reason = HUB_REASON_NONE;
    return 0;
}

void hub_sched_remove(hub_sched_t *s, hub_job_t *job)
{
    if (job->state == HUB_JOB_PENDING)
        s->npending--;
    else if (!hub_job_state_is_final(job->state))
        release_alloc(s, job, false);
    jobtab_remove(&s->jobs, job->id);
    hub_job_clear(job);
    free(job);
}

void hub_sched_node_state(hub_sched_t *s, uint32_t node, uint32_t set,
                          uint32_t clear, const char *reason)
{
    hub_node_t *n = &s->cluster->nodes[node];

    n->state = (n->state & ~clear) | set;
    snprintf(n->reason, sizeof(n->reason), "%s",
             n->state ? (reason ? reason : "") : "");
    n->state_since_ms = hub_sched_now(s);
    hub_debug(HUB_DBG_SCHED, "node %s state 0x%x (%s)", n->conf->name, n->state,
              n->reason);
}

int64_t hub_job_expected_end_ms(const hub_job_t *job)
{
    if (job->req.time_limit_s <= 0 ||
        job->req.time_limit_s >= INT64_MAX / 1000 - job->start_ms)
        return INT64_MAX;
    return job->start_ms + job->req.time_limit_s * 1000;
}

json_t *hub_sched_explain_priority(hub_sched_t *s, const hub_job_t *job)
{
    if (!s->priority->explain)
        return NULL;
    return s->priority->explain(s->priority_ctx, job, hub_sched_now(s));
}

int hub_sched_usage_save(hub_sched_t *s, bool all, hub_usage_fn fn, void *arg)
{
    if (!s->priority->usage_save)
        return 0;
    return s->priority->usage_save(s->priority_ctx, all, fn, arg);
}

int hub_sched_usage_restore(hub_sched_t *s, const hub_usage_rec_t *rec)
{
    if (!s->priority->usage_restore)
        return 0;
    return s->priority->usage_restore(s->priority_ctx, rec, hub_sched_now(s));
}
