/* inflation.c - the workload-inflation experiment of the GPU-sharing
 * literature (Verma et al., "Evaluating job packing in warehouse-scale
 * computing", CLUSTER 2014; used on Alibaba's v2023 trace by FGD, Weng et
 * al., USENIX ATC'23): tasks drawn from a trace arrive one by one on an
 * empty cluster and never leave, until the GPUs they asked for reach X %
 * of the cluster's; the GPU allocation ratio is recorded against that
 * arrived demand. A task that does not fit when it arrives fails and is
 * dropped (a Kubernetes pod left unschedulable), so the curve bends
 * where fragmentation starts to turn tasks away.
 *
 * Each arrival is added to a libhubsched scheduler of the policy's
 * plugins and gets one pass, the path every job takes in hubctld; the
 * clock stands still (time plays no part without departures).
 */
#include "hsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INFL_EPOCH_MS INT64_C(1600000000000)

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static uint64_t job_gpu_milli(const hsim_job_t *j)
{
    return (uint64_t)j->gpus_milli * (j->nodes ? j->nodes : 1);
}

int hsim_inflate_sample(const hsim_trace_t *tr, uint64_t gpu_total, double pct,
                        uint64_t seed, uint32_t **order, size_t *n)
{
    double goal = pct / 100 * (double)gpu_total, sum = 0;
    uint64_t s = seed ? seed : 1;
    size_t cap = 1024, k = 0;
    uint32_t *v = malloc(cap * sizeof(*v));

    if (!v || tr->njobs == 0) {
        free(v);
        return tr->njobs == 0 ? -EINVAL : -ENOMEM;
    }
    while (sum < goal) {
        if (k == cap) {
            uint32_t *w = realloc(v, (cap *= 2) * sizeof(*v));
            if (!w) {
                free(v);
                return -ENOMEM;
            }
            v = w;
        }
        v[k] = (uint32_t)((xorshift(&s) >> 11) % tr->njobs);
        sum += (double)job_gpu_milli(&tr->jobs[v[k++]]);
    }
    *order = v;
    *n = k;
    return 0;
}

/* What a run keeps between the scheduler's callbacks. */
typedef struct infl {
    uint64_t gpu_used; /* milli-GPUs held */
    bool started;      /* the last pass started its job */
} infl_t;

static void on_started(void *arg, hub_job_t *job)
{
    infl_t *in = arg;

    for (uint32_t i = 0; i < job->alloc.nnodes; i++)
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            in->gpu_used += job->alloc.nodes[i].gpu_milli[g];
    in->started = true;
}

/* Task k (trace job tj) arrives: 1 placed, 0 dropped, or -errno. */
static int arrive(hub_sched_t *s, infl_t *in, const hsim_job_t *tj, uint32_t k,
                  int64_t now_ms)
{
    hub_job_t j, *job;
    int rc;

    memset(&j, 0, sizeof(j));
    j.req.nodes_min = j.req.nodes_max = tj->nodes;
    j.req.ntasks = tj->ntasks;
    j.req.cpus_per_task = tj->cpus_per_task;
    j.req.mem_per_node_mb = tj->mem_mb;
    j.req.gpus_per_node_milli = tj->gpus_milli;
    if (hub_sched_validate(s, &j.req, NULL) < 0)
        return 0;
    j.id = k + 1;
    j.array_task_id = -1;
    j.state = HUB_JOB_PENDING;
    j.submit_ms = now_ms;
    if (!(job = hub_sched_add(s, &j, NULL)))
        return -ENOMEM;
    in->started = false;
    if ((rc = hub_sched_pass(s, NULL)) < 0)
        return rc;
    if (in->started)
        return 1;
    hub_sched_job_end(s, job, HUB_JOB_CANCELLED, 0, 0);
    hub_sched_remove(s, job);
    return 0;
}

static uint64_t conf_gpus(const hub_conf_t *conf)
{
    uint64_t total = 0;

    for (size_t i = 0; i < conf->nnodes; i++)
        total += (uint64_t)conf->nodes[i].gpus * HUB_GPU_MILLI;
    return total;
}

static int arrive_all(hub_sched_t *s, infl_t *in, const hsim_trace_t *tr,
                      const uint32_t *order, size_t n, uint64_t total,
                      hsim_inflate_t *r, int64_t now_ms)
{
    double asked = 0;

    for (size_t k = 0; k < n; k++) {
        const hsim_job_t *tj = &tr->jobs[order[k]];
        int rc = arrive(s, in, tj, (uint32_t)k, now_ms);
        if (rc < 0)
            return rc;
        r->placed += rc;
        r->failed += !rc;
        asked += (double)job_gpu_milli(tj);
        r->pts[k].arrived = total ? asked / total : 0;
        r->pts[k].alloc = total ? (double)in->gpu_used / total : 0;
        r->npts = k + 1;
    }
    return 0;
}

static double since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int hsim_inflate_run(const hsim_trace_t *tr, const hsim_policy_t *p,
                     const uint32_t *order, size_t n, hsim_inflate_t *r,
                     hub_error_t *err)
{
    char *text = hsim_policy_conf(p, tr);
    int64_t now = INFL_EPOCH_MS;
    hub_clock_t clock = {hub_clock_virtual_now, &now};
    infl_t in = {0};
    hub_sched_opts_t opts = {
        .clock = &clock, .nodes_up = true, .host = {on_started, NULL, &in}};
    struct timespec t0;
    hub_conf_t *conf = NULL;
    hub_sched_t *s = NULL;
    int rc = -ENOMEM;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(r, 0, sizeof(*r));
    snprintf(r->label, sizeof(r->label), "%s", p->label);
    if (!text || !(r->pts = calloc(n + 1, sizeof(*r->pts)))) {
        hub_errorf(err, ENOMEM, "out of memory");
        goto out;
    }
    if (!(conf = hub_conf_parse_string(text, "hsim.conf", err)) ||
        !(s = hub_sched_create(conf, &opts, err))) {
        rc = hub_error_prefix(err, -EINVAL, "policy %s", p->label);
        goto out;
    }
    rc = arrive_all(s, &in, tr, order, n, conf_gpus(conf), r, now);
    if (rc < 0)
        hub_errorf(err, -rc, "policy %s: %s", p->label, strerror(-rc));
out:
    hub_sched_destroy(s);
    hub_conf_destroy(conf);
    free(text);
    r->wall_s = since(&t0);
    return rc;
}

void hsim_inflate_fini(hsim_inflate_t *r)
{
    free(r->pts);
    memset(r, 0, sizeof(*r));
}

double hsim_inflate_at(const hsim_inflate_t *r, double x)
{
    for (size_t k = 0; k < r->npts; k++)
        if (r->pts[k].arrived >= x - 1e-12)
            return r->pts[k].alloc;
    return r->npts ? r->pts[r->npts - 1].alloc : 0;
}
