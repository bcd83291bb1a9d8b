/* sched_willrun.c - earliest start of one job on the cluster as it is
 * (hub_sched_will_run in sched.h): release running jobs in the order of
 * their expected ends onto a copy until the job fits. */
#include "sched_int.h"

#include <errno.h>
#include <stdlib.h>

typedef struct ending {
    int64_t end_ms;
    const hub_job_t *job;
} ending_t;

static int by_end(const void *pa, const void *pb)
{
    const ending_t *a = pa, *b = pb;
    return (a->end_ms > b->end_ms) - (a->end_ms < b->end_ms);
}

typedef struct endings {
    ending_t *v;
    size_t n;
} endings_t;

static int collect_running(hub_job_t *job, void *arg)
{
    endings_t *e = arg;
    if (job->state == HUB_JOB_RUNNING || job->state == HUB_JOB_COMPLETING)
        e->v[e->n++] = (ending_t){hub_job_expected_end_ms(job), job};
    return 0;
}

static int try_at(hub_sched_t *s, const hub_cluster_t *c, const hub_job_t *job,
                  int64_t at_ms, hub_alloc_t *out)
{
    int64_t end =
        job->req.time_limit_s > 0 && job->req.time_limit_s < INT64_MAX / 2000
            ? at_ms + job->req.time_limit_s * 1000
            : INT64_MAX;
    return hub_sched_place(s, c, job, NULL, end, out);
}

int hub_sched_will_run(hub_sched_t *s, const hub_job_t *job, int64_t *start_ms,
                       hub_alloc_t *out)
{
    int64_t now = hub_sched_now(s);
    endings_t e = {.v = malloc((s->jobs.count + 1) * sizeof(ending_t))};
    hub_cluster_t *what_if = NULL;
    int rc = try_at(s, s->cluster, job, now, out);

    *start_ms = now;
    if (rc != -EAGAIN || !e.v)
        goto out;
    if (!(what_if = hub_cluster_clone(s->cluster))) {
        rc = -ENOMEM;
        goto out;
    }
    hub_sched_foreach(s, collect_running, &e);
    qsort(e.v, e.n, sizeof(*e.v), by_end);
    for (size_t i = 0; i < e.n && rc == -EAGAIN; i++) {
        hub_cluster_give(what_if, &e.v[i].job->alloc,
                         e.v[i].job->req.exclusive);
        if (i + 1 < e.n && e.v[i + 1].end_ms == e.v[i].end_ms)
            continue; /* release everything ending at the same time */
        *start_ms = e.v[i].end_ms;
        rc = try_at(s, what_if, job, *start_ms, out);
    }
out:
    place_end_pass(s);
    hub_cluster_destroy(what_if);
    free(e.v);
    return rc == -EAGAIN ? -ENOSPC : rc;
}
