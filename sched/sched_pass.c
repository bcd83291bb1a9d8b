/* sched_pass.c - one scheduling pass: eligibility, priority, order, then
 * the sched plugin (see sched.h for the sequence). */
#include "sched_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Is dependency dep of a pending job met (1), unmet for now (0), or never
 * to be met (-1)? A job no longer held in memory ended long ago; its
 * dependency counts as met, as in Slurm. */
static int dep_status(hub_sched_t *s, const hub_job_dep_t *dep)
{
    const hub_job_t *d = jobtab_find(&s->jobs, dep->job_id);
    bool ok;

    if (!d)
        return 1;
    if (dep->type == HUB_DEP_AFTER)
        return d->start_ms > 0 || hub_job_state_is_final(d->state);
    if (!hub_job_state_is_final(d->state))
        return 0;
    ok = d->state == HUB_JOB_COMPLETED && d->exit_code == 0;
    switch (dep->type) {
    case HUB_DEP_AFTEROK:
        return ok ? 1 : -1;
    case HUB_DEP_AFTERNOTOK:
        return ok ? -1 : 1;
    default:
        return 1;
    }
}

/* Combine the job's dependencies: all must be met (','), or any ('?'). */
static int deps_status(hub_sched_t *s, const hub_job_t *job)
{
    int met = 0, never = 0;

    for (uint32_t i = 0; i < job->req.ndeps; i++) {
        int st = dep_status(s, &job->req.deps[i]);
        met += st == 1;
        never += st == -1;
    }
    if (job->req.ndeps == 0)
        return 1;
    if (job->req.deps_any)
        return met > 0 ? 1 : (never == (int)job->req.ndeps ? -1 : 0);
    return never > 0 ? -1 : (met == (int)job->req.ndeps ? 1 : 0);
}

/* Was o submitted before job (the queue's tie-break order)? */
static bool submitted_before(const hub_job_t *o, const hub_job_t *job)
{
    return o->submit_ms != job->submit_ms ? o->submit_ms < job->submit_ms
                                          : o->id < job->id;
}

/* A singleton waits while another job of the same user and name runs,
 * and, as in Slurm ("after any previously launched jobs sharing the same
 * job name and user have terminated"), while an earlier one is pending:
 * otherwise two pending singletons would both start in one pass. */
static bool singleton_blocked(hub_sched_t *s, const hub_job_t *job)
{
    uint32_t pos = 0;
    const hub_job_t *o;

    while ((o = jobtab_next(&s->jobs, &pos))) {
        if (o == job || o->uid != job->uid ||
            strcmp(o->req.name, job->req.name) != 0)
            continue;
        if (o->state == HUB_JOB_RUNNING || o->state == HUB_JOB_COMPLETING ||
            (o->state == HUB_JOB_PENDING && submitted_before(o, job)))
            return true;
    }
    return false;
}

static hub_job_reason_t ineligible_reason(hub_sched_t *s, hub_job_t *job,
                                          int64_t now)
{
    const hub_conf_partition_t *p;
    int deps;

    if (job->held)
        return job->held_admin ? HUB_REASON_HELD_ADMIN : HUB_REASON_HELD_USER;
    if (job->req.begin_ms > now)
        return HUB_REASON_BEGIN_TIME;
    deps = deps_status(s, job);
    if (deps < 0)
        return HUB_REASON_DEP_NEVER;
    if (deps == 0 || (job->req.singleton && singleton_blocked(s, job)))
        return HUB_REASON_DEPENDENCY;
    p = hub_conf_find_partition(s->conf, job->req.partition);
    if (!p || p->state == HUB_PART_STATE_DOWN ||
        p->state == HUB_PART_STATE_INACTIVE)
        return HUB_REASON_PARTITION_DOWN;
    return HUB_REASON_NONE;
}

static int grow_array(hub_job_t ***v, uint32_t *cap, uint32_t need)
{
    hub_job_t **nv;
    if (need <= *cap)
        return 0;
    nv = realloc(*v, need * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = need;
    return 0;
}

void pass_free(hub_sched_t *s)
{
    free(s->pending);
    free(s->running);
    free(s->keys);
    s->pending = s->running = NULL;
    s->keys = NULL;
    s->pending_cap = s->running_cap = s->keys_cap = 0;
}

static void set_reason(hub_sched_t *s, hub_job_t *job, hub_job_reason_t r)
{
    if (job->reason == r)
        return;
    job->reason = r;
    if (s->host.job_updated && r == HUB_REASON_DEP_NEVER)
        s->host.job_updated(s->host.arg, job);
}

/* Sort the jobs into pending (eligible, with priority) and running. */
static int collect(hub_sched_t *s, int64_t now, hub_sched_view_t *view)
{
    uint32_t pos = 0, np = 0, nr = 0;
    hub_job_t *job;

    if (grow_array(&s->pending, &s->pending_cap, s->npending + 1) < 0 ||
        grow_array(&s->running, &s->running_cap, s->jobs.count + 1) < 0)
        return -ENOMEM;
    while ((job = jobtab_next(&s->jobs, &pos))) {
        if (job->state == HUB_JOB_RUNNING || job->state == HUB_JOB_COMPLETING) {
            s->running[nr++] = job;
            place_count_running(s, job, 1);
        } else if (job->state == HUB_JOB_PENDING) {
            hub_job_reason_t r = ineligible_reason(s, job, now);
            set_reason(s, job, r);
            if (r != HUB_REASON_NONE)
                continue;
            if (job->eligible_ms == 0)
                job->eligible_ms = now;
            job->priority =
                job->priority_fixed
                    ? job->priority_fixed
                    : s->priority->priority(s->priority_ctx, job, now);
            s->pending[np++] = job;
        }
    }
    view->pending = s->pending;
    view->npending = np;
    view->running = s->running;
    view->nrunning = nr;
    return 0;
}

/* Drop the jobs a per-user or array limit holds back (the view holds
 * only jobs that may start now), keeping the order. Needs the running
 * counts, so it runs after collect(). */
static void drop_limited(hub_sched_t *s, hub_sched_view_t *view)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < view->npending; i++) {
        hub_job_t *job = view->pending[i];
        hub_job_reason_t r = place_limit_reason(s, job);
        if (r == HUB_REASON_NONE)
            view->pending[n++] = job;
        else
            job->reason = r;
    }
    view->npending = n;
}

/* After the plugin: a job it skipped because a job started in this pass
 * filled its limit waits on that limit, not on resources or priority. */
static void mark_limited(hub_sched_t *s, const hub_sched_view_t *view)
{
    for (uint32_t i = 0; i < view->npending; i++) {
        hub_job_t *job = view->pending[i];
        hub_job_reason_t r;
        if (job->state == HUB_JOB_PENDING &&
            (r = place_limit_reason(s, job)) != HUB_REASON_NONE)
            job->reason = r;
    }
}

static int tier_of(const hub_conf_t *conf, const hub_job_t *job)
{
    const hub_conf_partition_t *p =
        hub_conf_find_partition(conf, job->req.partition);
    return p ? p->priority_tier : 0;
}

/* Queue order: partition tier, priority (higher first), submit time, id.
 * Keys are built once per job, not per comparison: a partition lookup
 * per comparison cost a third of a 10,000-job pass. */
static int by_priority(const void *pa, const void *pb)
{
    const sort_key_t *a = pa, *b = pb;

    if (a->tier != b->tier)
        return a->tier > b->tier ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->submit_ms != b->submit_ms)
        return a->submit_ms < b->submit_ms ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

/* Sort view->pending into queue order. 0 or -ENOMEM. */
static int sort_pending(hub_sched_t *s, hub_sched_view_t *view)
{
    uint32_t n = view->npending;

    if (n == 0)
        return 0;
    if (n > s->keys_cap) {
        sort_key_t *k = realloc(s->keys, n * sizeof(*k));
        if (!k)
            return -ENOMEM;
        s->keys = k;
        s->keys_cap = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        const hub_job_t *job = view->pending[i];
        s->keys[i] = (sort_key_t){tier_of(s->conf, job), job->priority,
                                  job->submit_ms, job->id, view->pending[i]};
    }
    qsort(s->keys, n, sizeof(*s->keys), by_priority);
    for (uint32_t i = 0; i < n; i++)
        view->pending[i] = s->keys[i].job;
    return 0;
}

static int64_t elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000;
}

int hub_sched_pass(hub_sched_t *s, hub_pass_stats_t *stats)
{
    hub_sched_view_t view = {.now_ms = hub_sched_now(s), .cluster = s->cluster};
    struct timespec t0;
    int started;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    place_begin_pass(s);
    if (s->priority->begin_pass)
        s->priority->begin_pass(s->priority_ctx, view.now_ms);
    if (collect(s, view.now_ms, &view) < 0) {
        place_end_pass(s);
        return -ENOMEM;
    }
    drop_limited(s, &view);
    hubsel_begin_pass(s, &view);
    if (sort_pending(s, &view) < 0) {
        place_end_pass(s);
        return -ENOMEM;
    }
    started = s->sched->pass(s->sched_ctx, s, &view);
    if (started >= 0)
        mark_limited(s, &view);
    place_end_pass(s);
    if (stats) {
        stats->considered = s->npending + (started > 0 ? started : 0);
        stats->eligible = view.npending;
        stats->started = started > 0 ? started : 0;
        stats->duration_us = elapsed_us(&t0);
    }
    hub_debug(HUB_DBG_SCHED, "pass: %u eligible, %d started, %lld us",
              view.npending, started, (long long)elapsed_us(&t0));
    return started;
}
