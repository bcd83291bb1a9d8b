/* select_util.h - helpers shared by select plugins: demand and GPU picking.
 *
 * A select plugin turns a job's request (hub_job_req_t) into what each node
 * must give (hub_select_demand()), checks nodes against it and chooses the
 * GPUs on each node it uses (hub_select_pick_gpus()). These helpers hold the
 * rules every select plugin must agree on; where to place is the plugin's.
 *
 * GPU amounts are milli-GPUs (HUB_GPU_MILLI = one whole GPU).
 */
#ifndef HUB_SELECT_UTIL_H
#define HUB_SELECT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "job.h"
#include "plugins.h"

/* A request in the terms select works in. GPUs either come per node
 * (node_gpus/node_gpu_frac, from --gpus-per-node, which wins when both are
 * given) or over the job (job_gpus/job_gpu_frac, from --gpus): a total of
 * one GPU or more is rounded up to whole GPUs spread over the nodes; a
 * total below one GPU is a single fraction on one node. */
typedef struct hub_select_demand {
    uint32_t nodes_min, nodes_max; /* 1 <= nodes_min <= nodes_max */
    uint32_t ntasks;               /* >= 1, over the job */
    uint32_t tasks_per_node;       /* most tasks on one node; 0 = any */
    uint32_t cpus_per_task;        /* >= 1 */
    uint64_t mem_mb;               /* per node; 0 = memory not consumed */
    uint32_t node_gpus;            /* whole GPUs on every node */
    uint32_t node_gpu_frac;        /* + milli-GPUs (< 1000) on another GPU */
    uint32_t job_gpus;             /* whole GPUs spread over the nodes */
    uint32_t job_gpu_frac;         /* milli-GPUs (< 1000) on one node */
    bool exclusive;                /* whole nodes */
} hub_select_demand_t;

/* Fill d from req. Zero counts take their defaults: cpus_per_task and
 * ntasks 1; nodes_min = ceil(ntasks / ntasks_per_node) or 1; nodes_max =
 * nodes_min, or, when neither node count is given, up to one node per
 * task. */
void hub_select_demand(const hub_job_req_t *req, hub_select_demand_t *d);

/* True when d may lie on one node: at most one node asked for, and its
 * tasks within --ntasks-per-node. */
static inline bool hub_select_one_node(const hub_select_demand_t *d)
{
    return d->nodes_min <= 1 &&
           (d->tasks_per_node == 0 || d->ntasks <= d->tasks_per_node);
}

/* True when n may take a new job of pr: usable (hub_node_usable) and, under
 * a backfill deadline, free again in time (pr->end_ms <=
 * pr->node_deadline_ms[n->idx]). Inline: select plugins call it in their
 * scans over every candidate. */
static inline bool hub_select_node_open(const hub_place_req_t *pr,
                                        const hub_node_t *n)
{
    return hub_node_usable(n) && (!pr->node_deadline_ms ||
                                  pr->end_ms <= pr->node_deadline_ms[n->idx]);
}

/* True when n has room now for tasks tasks of d (their CPUs and d->mem_mb),
 * whole wholly free GPUs and one fraction frac_milli (0 = none; <
 * HUB_GPU_MILLI) - on the partly used GPU hub_select_frac_slot() finds,
 * else on one more idle GPU - and, for an exclusive job, runs nothing.
 * Whether n is open is the caller's (hub_select_node_open). When frac_left
 * is not NULL it gets the milli-GPUs the fraction leaves free on its partly
 * used GPU, -1 when the fraction needs an idle GPU, 0 without a fraction. */
bool hub_select_node_gives(const hub_node_t *n, const hub_select_demand_t *d,
                           uint32_t tasks, uint32_t whole, uint32_t frac_milli,
                           int *frac_left);

/* Index of the partly used GPU of n with the least free capacity that still
 * holds frac_milli (0 < frac_milli < HUB_GPU_MILLI), or -1 when none does.
 * Wholly free GPUs are not considered: a fraction goes on a fresh GPU only
 * when no used one has room. */
int hub_select_frac_slot(const hub_node_t *n, uint32_t frac_milli);

/* NVLink domain size of n in GPUs: conf->nvlink_domain_gpus when it
 * divides the GPU count, else all GPUs form one domain. */
uint32_t hub_select_domain_gpus(const hub_node_t *n);

/* Choose GPUs on n for whole wholly free GPUs plus one fraction frac_milli
 * (0 = none; < HUB_GPU_MILLI) and write the milli-GPUs taken of each GPU
 * into out (zeroed first). Whole GPUs come from one NVLink domain when one
 * has enough idle GPUs (the domain with the fewest that does, so larger
 * idle domains stay whole), else from the domains with the most idle GPUs
 * first. The fraction goes to hub_select_frac_slot(), else to an idle GPU
 * of the domain with the fewest idle GPUs left. Returns 0, or -EAGAIN when
 * n does not have that much free (out is then unspecified). */
int hub_select_pick_gpus(const hub_node_t *n, uint32_t whole,
                         uint32_t frac_milli, uint16_t out[HUB_NODE_MAX_GPUS]);

#endif /* HUB_SELECT_UTIL_H */
