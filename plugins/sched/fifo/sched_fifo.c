/* sched_fifo.c - sched/fifo: start pending jobs in strict priority order.
 *
 * The pass walks the eligible jobs highest priority first and starts each
 * one that fits now. The first job that does not fit now (-EAGAIN) blocks
 * the queue: it keeps reason Resources, every job behind it gets Priority
 * and nothing behind it starts, so no job can overtake another. Two kinds
 * of jobs do not block:
 *   - a job that can never fit on its partition (-ENOSPC; the controller
 *     rejects those at submission, so this only follows a configuration
 *     change): reason Resources, skipped;
 *   - a job held back by a per-user or array limit
 *     (hub_sched_within_limits() false): skipped, as Slurm does, because
 *     it waits for its own jobs to end, not for resources; the scheduler
 *     gives it its limit reason after the pass.
 *
 * Non-goals: backfill (sched/backfill), per-partition queues (one blocked
 * job blocks every partition), preemption.
 * Built into libhubsched as hub_sched_fifo_desc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "plugins.h"
#include "sched.h"

/* sched/fifo keeps no state; the context is a placeholder that is never
 * NULL, so that the scheduler calls destroy symmetrically. */
static char fifo_ctx;

static int fifo_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    *ctx = &fifo_ctx;
    return 0;
}

static void fifo_destroy(void *ctx)
{
}

/* When job would end if it started at now_ms: INT64_MAX for no limit. */
static int64_t end_if_started(const hub_job_t *job, int64_t now_ms)
{
    int64_t limit_s = job->req.time_limit_s;

    if (limit_s <= 0 || limit_s >= (INT64_MAX - now_ms) / 1000)
        return INT64_MAX;
    return now_ms + limit_s * 1000;
}

/* Start job now if it fits. 0 (started), -EAGAIN, -ENOSPC or -ENOMEM. */
static int try_start(hub_sched_t *s, const hub_sched_view_t *view,
                     hub_job_t *job)
{
    hub_alloc_t alloc = {0};
    int rc = hub_sched_place(s, view->cluster, job, NULL,
                             end_if_started(job, view->now_ms), &alloc);

    if (rc < 0)
        return rc;
    rc = hub_sched_start(s, job, &alloc);
    free(alloc.nodes);
    return rc == -EBUSY ? -EAGAIN : rc;
}

static int fifo_pass(void *ctx, hub_sched_t *s, const hub_sched_view_t *view)
{
    bool blocked = false;
    int started = 0;

    for (uint32_t i = 0; i < view->npending; i++) {
        hub_job_t *job = view->pending[i];
        int rc;

        job->planned_start_ms = 0;
        if (blocked) {
            job->reason = HUB_REASON_PRIORITY;
            continue;
        }
        if (!hub_sched_within_limits(s, job))
            continue;
        rc = try_start(s, view, job);
        if (rc == 0) {
            started++;
        } else if (rc == -EAGAIN || rc == -ENOSPC) {
            job->reason = HUB_REASON_RESOURCES;
            blocked = rc == -EAGAIN;
        } else {
            return rc;
        }
    }
    return started;
}

static const hub_sched_ops_t fifo_ops = {
    .create = fifo_create,
    .destroy = fifo_destroy,
    .pass = fifo_pass,
};

const hub_plugin_desc_t hub_sched_fifo_desc = HUB_PLUGIN_DESC_INIT(
    "sched", "fifo", HUB_SCHED_ABI_MAJOR, HUB_SCHED_ABI_MINOR, fifo_ops);
