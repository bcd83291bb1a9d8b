/* sched_validate.c - check a request at submission and complete it
 * (hub_sched_validate in sched.h). Everything that can never run is
 * refused here with a message naming the option. */
#include "sched_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubsel_util.h"
#include "units.h"

static int resolve_partition(const hub_conf_t *conf, hub_job_req_t *req,
                             const hub_conf_partition_t **out, hub_error_t *err)
{
    const hub_conf_partition_t *p = NULL;

    if (!req->partition[0]) {
        if (conf->default_partition < 0)
            return hub_errorf(err, EINVAL,
                              "no --partition given and hub.conf has no "
                              "Default=YES partition");
        p = &conf->partitions[conf->default_partition];
        snprintf(req->partition, sizeof(req->partition), "%s", p->name);
    } else if (!(p = hub_conf_find_partition(conf, req->partition))) {
        return hub_errorf(err, EINVAL, "--partition=%s: no such partition",
                          req->partition);
    }
    if (p->state == HUB_PART_STATE_DRAIN || p->state == HUB_PART_STATE_INACTIVE)
        return hub_errorf(err, EINVAL,
                          "--partition=%s: partition accepts no jobs (%s)",
                          p->name, hub_conf_part_state_name(p->state));
    *out = p;
    return 0;
}

static bool account_allowed(const hub_conf_partition_t *p, const char *acct)
{
    if (p->allow_accounts.n == 0)
        return true;
    for (size_t i = 0; i < p->allow_accounts.n; i++) {
        if (strcmp(p->allow_accounts.v[i], acct) == 0)
            return true;
    }
    return false;
}

static int check_names(const hub_conf_t *conf, const hub_conf_partition_t *p,
                       const hub_job_req_t *req, hub_error_t *err)
{
    if (!account_allowed(p, req->account))
        return hub_errorf(err, EINVAL,
                          "--account=%s: not allowed in partition '%s'",
                          req->account, p->name);
    if (req->hub[0] && !hub_conf_find_hub(conf, req->hub))
        return hub_errorf(err, EINVAL, "--hub=%s: no such hub", req->hub);
    if (req->gpu_type[0] && conf->ngpu_types > 0 &&
        !hub_conf_find_gpu_type(conf, req->gpu_type))
        return hub_errorf(err, EINVAL, "GPU type '%s': no such GpuType",
                          req->gpu_type);
    return 0;
}

static int check_time(const hub_conf_partition_t *p, hub_job_req_t *req,
                      hub_error_t *err)
{
    char want[32], max[32];

    if (req->time_limit_s <= 0)
        req->time_limit_s = p->default_time_s;
    if (req->time_limit_s > p->max_time_s) {
        hub_format_duration(req->time_limit_s, want, sizeof(want));
        hub_format_duration(p->max_time_s, max, sizeof(max));
        return hub_errorf(err, EINVAL,
                          "--time=%s exceeds partition '%s' MaxTime=%s", want,
                          p->name, max);
    }
    return 0;
}

/* Whole GPUs or one fraction of one GPU: 0.25 is fine, 1.5 is not. */
static int check_fraction(uint32_t milli, const char *opt, hub_error_t *err)
{
    if (milli > HUB_GPU_MILLI && milli % HUB_GPU_MILLI != 0)
        return hub_errorf(err, EINVAL,
                          "%s=%.3g: a fraction of a GPU must be below one "
                          "GPU; ask for whole GPUs above that",
                          opt, milli / (double)HUB_GPU_MILLI);
    return 0;
}

static int check_shape(const hub_conf_partition_t *p, hub_job_req_t *req,
                       hub_error_t *err)
{
    hub_job_req_defaults(req);
    if (p->max_nodes != HUB_CONF_UNLIMITED &&
        req->nodes_min > (uint64_t)p->max_nodes)
        return hub_errorf(err, EINVAL,
                          "--nodes=%u exceeds partition '%s' MaxNodes=%lld",
                          req->nodes_min, p->name, (long long)p->max_nodes);
    if (req->ntasks_per_node &&
        req->ntasks > req->ntasks_per_node * req->nodes_max)
        return hub_errorf(err, EINVAL,
                          "--ntasks=%u does not fit --nodes=%u with "
                          "--ntasks-per-node=%u",
                          req->ntasks, req->nodes_max, req->ntasks_per_node);
    if (check_fraction(req->gpus_milli, "--gpus", err) < 0 ||
        check_fraction(req->gpus_per_node_milli, "--gpus-per-node", err) < 0)
        return -EINVAL;
    return 0;
}

/* The largest per-node amounts among the candidates, for messages. */
typedef struct node_max {
    uint32_t cpus, gpus, nodes;
    uint64_t mem_mb;
} node_max_t;

static node_max_t max_of(const hub_sched_t *s, const uint32_t *cand, uint32_t n)
{
    node_max_t m = {.nodes = n};
    for (uint32_t i = 0; i < n; i++) {
        const hub_node_t *node = &s->empty->nodes[cand[i]];
        m.cpus = node->cpus > m.cpus ? node->cpus : m.cpus;
        m.gpus = node->ngpus > m.gpus ? node->ngpus : m.gpus;
        m.mem_mb = node->mem_mb > m.mem_mb ? node->mem_mb : m.mem_mb;
    }
    return m;
}

static int explain_misfit(const hub_sched_t *s, const hub_job_req_t *req,
                          const uint32_t *cand, uint32_t n, hub_error_t *err)
{
    node_max_t m = max_of(s, cand, n);
    uint32_t tpn = req->ntasks_per_node ? req->ntasks_per_node : 1;

    if (n == 0)
        return hub_errorf(
            err, EINVAL, "no node of partition '%s' matches%s%s%s%s%s%s",
            req->partition, req->hub[0] ? " --hub=" : "", req->hub,
            req->gpu_type[0] ? " GPU type " : "", req->gpu_type,
            req->constraint[0] ? " --constraint=" : "", req->constraint);
    if (req->nodes_min > m.nodes)
        return hub_errorf(err, EINVAL,
                          "--nodes=%u: partition '%s' has %u matching nodes",
                          req->nodes_min, req->partition, m.nodes);
    if (req->gpus_per_node_milli > m.gpus * HUB_GPU_MILLI)
        return hub_errorf(err, EINVAL,
                          "--gpus-per-node=%g: no node of partition '%s' "
                          "has that many GPUs (at most %u)",
                          req->gpus_per_node_milli / (double)HUB_GPU_MILLI,
                          req->partition, m.gpus);
    if (tpn * req->cpus_per_task > m.cpus)
        return hub_errorf(err, EINVAL,
                          "--cpus-per-task=%u x %u tasks per node: no node "
                          "of partition '%s' has that many CPUs (at most %u)",
                          req->cpus_per_task, tpn, req->partition, m.cpus);
    if (req->mem_per_node_mb > m.mem_mb)
        return hub_errorf(err, EINVAL,
                          "--mem=%lluM: no node of partition '%s' has that "
                          "much memory (at most %lluM)",
                          (unsigned long long)req->mem_per_node_mb,
                          req->partition, (unsigned long long)m.mem_mb);
    return hub_errorf(err, EINVAL,
                      "the request cannot fit in partition '%s' even when "
                      "it is empty (--gpus=%g over %u-%u nodes within one "
                      "hub)",
                      req->partition, req->gpus_milli / (double)HUB_GPU_MILLI,
                      req->nodes_min, req->nodes_max);
}

/* select's answer for req on the partition's matching nodes, all free,
 * of hub ("": the job's --hub, or every hub); cand (room for every node)
 * gets those nodes and *ncand their number. */
static int fits_empty_on(hub_sched_t *s, long part, const hub_job_req_t *req,
                         const char *hub, uint32_t *cand, uint32_t *ncand)
{
    hub_job_t probe = {.req = *req};
    hub_place_req_t pr = {.cluster = s->empty, .job = &probe, .end_ms = 0};
    hub_alloc_t alloc = {0};
    int rc;

    if (hub[0])
        snprintf(probe.req.hub, sizeof(probe.req.hub), "%s", hub);
    pr.cand = cand;
    pr.ncand = *ncand = place_static_cands(s, part, &probe.req, cand);
    rc = s->select->place(s->select_ctx, &pr, &alloc);
    free(alloc.nodes);
    return rc;
}

/* No hub the job fits on may serve it: name the SLO, the region and the
 * best latency a hub that could run the job has (as Slurm refuses a job
 * whose "requested node configuration is not available"). */
static int explain_no_hub(hub_sched_t *s, long part, const hub_job_req_t *req,
                          uint32_t *cand, hub_error_t *err)
{
    const char *best_hub = NULL;
    double best = INFINITY;
    uint32_t n;

    if (!req->latency_slo_ms || !req->region[0])
        return hub_errorf(err, EINVAL,
                          "HubSelectType=%s ranks no hub the job fits on",
                          s->conf->globals.hubsel_type);
    for (size_t h = 0; h < s->conf->nhubs; h++) {
        double ms = hub_region_latency_ms(s->conf, h, req->region);
        if (ms < best &&
            fits_empty_on(s, part, req, s->conf->hubs[h].name, cand, &n) == 0) {
            best = ms;
            best_hub = s->conf->hubs[h].name;
        }
    }
    if (!best_hub)
        return hub_errorf(err, EINVAL,
                          "--latency-slo=%ums: no hub that can run the job "
                          "is in or linked to --region=%s (requested node "
                          "configuration is not available)",
                          req->latency_slo_ms, req->region);
    return hub_errorf(err, EINVAL,
                      "--latency-slo=%ums: no hub that can run the job is "
                      "within %u ms of --region=%s; the best is hub '%s' at "
                      "%g ms (requested node configuration is not available)",
                      req->latency_slo_ms, req->latency_slo_ms, req->region,
                      best_hub, best);
}

/* --hub names the hub, so no plugin weighs the job's latency SLO: a hub
 * beyond it is a contradiction to refuse, not a request to wait on. */
static int check_named_hub(hub_sched_t *s, const hub_job_req_t *req,
                           hub_error_t *err)
{
    const hub_conf_hub_t *hub = hub_conf_find_hub(s->conf, req->hub);
    double ms;

    if (!req->latency_slo_ms || !req->region[0] || !hub)
        return 0;
    ms = hub_region_latency_ms(s->conf, (size_t)(hub - s->conf->hubs),
                               req->region);
    if (ms <= req->latency_slo_ms)
        return 0;
    if (isinf(ms))
        return hub_errorf(err, EINVAL,
                          "--hub=%s is neither in nor linked to --region=%s, "
                          "so --latency-slo=%ums cannot be met",
                          req->hub, req->region, req->latency_slo_ms);
    return hub_errorf(err, EINVAL,
                      "--hub=%s is %g ms from --region=%s, beyond "
                      "--latency-slo=%ums",
                      req->hub, ms, req->region, req->latency_slo_ms);
}

/* Without --hub on several hubs the HubSelectType plugin chooses the hub,
 * and the job runs only on a hub it ranks (hubsel/cost leaves out hubs
 * beyond the job's latency SLO): it must fit on one of those when empty,
 * or it would wait forever. */
static int check_hub_choice(hub_sched_t *s, long part, const hub_job_req_t *req,
                            uint32_t *cand, hub_error_t *err)
{
    hub_job_t probe = {.req = *req};
    bool any = true;
    uint32_t n;
    int nr;

    if (req->hub[0])
        return check_named_hub(s, req, err);
    if (s->conf->nhubs < 2)
        return 0;
    nr = hubsel_rank(s, s->empty, &probe, &any);
    if (nr < 0)
        return hub_errorf(err, -nr, "HubSelectType=%s: cannot rank hubs",
                          s->conf->globals.hubsel_type);
    if (any)
        return 0;
    for (int i = 0; i < nr; i++) {
        const char *hub = s->conf->hubs[s->ranked[i].hub].name;
        if (fits_empty_on(s, part, req, hub, cand, &n) == 0)
            return 0;
    }
    return explain_no_hub(s, part, req, cand, err);
}

/* Would the job fit on the partition's matching nodes if all were free,
 * on a hub it may be sent to? */
static int check_fits_empty(hub_sched_t *s, long part, hub_job_req_t *req,
                            hub_error_t *err)
{
    uint32_t *cand = malloc((s->conf->nnodes + 1) * sizeof(*cand));
    uint32_t n;
    int rc;

    if (!cand)
        return hub_errorf(err, ENOMEM, "out of memory");
    rc = fits_empty_on(s, part, req, "", cand, &n);
    if (rc < 0)
        rc = explain_misfit(s, req, cand, n, err);
    else
        rc = check_hub_choice(s, part, req, cand, err);
    free(cand);
    return rc;
}

int hub_sched_validate(hub_sched_t *s, hub_job_req_t *req, hub_error_t *err)
{
    const hub_conf_partition_t *p = NULL;

    if (resolve_partition(s->conf, req, &p, err) < 0 ||
        check_names(s->conf, p, req, err) < 0 || check_time(p, req, err) < 0 ||
        check_shape(p, req, err) < 0)
        return -EINVAL;
    return check_fits_empty(s, p - s->conf->partitions, req, err);
}
