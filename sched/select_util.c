/* select_util.c - helpers shared by select plugins: demand and GPU picking.
 */
#include "select_util.h"

#include <errno.h>
#include <string.h>

#define MAX_DOMAINS HUB_NODE_MAX_GPUS

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return a / b + (a % b != 0);
}

static void demand_nodes(const hub_job_req_t *req, hub_select_demand_t *d)
{
    uint32_t tpn = d->tasks_per_node;

    if (req->nodes_min > 0)
        d->nodes_min = req->nodes_min;
    else
        d->nodes_min = tpn ? div_up(d->ntasks, tpn) : 1;
    if (req->nodes_max >= d->nodes_min)
        d->nodes_max = req->nodes_max;
    else if (req->nodes_min == 0 && req->nodes_max == 0)
        d->nodes_max = d->ntasks > d->nodes_min ? d->ntasks : d->nodes_min;
    else
        d->nodes_max = d->nodes_min;
}

static void demand_gpus(const hub_job_req_t *req, hub_select_demand_t *d)
{
    uint32_t total = req->gpus_milli;

    if (req->gpus_per_node_milli > 0) {
        d->node_gpus = req->gpus_per_node_milli / HUB_GPU_MILLI;
        d->node_gpu_frac = req->gpus_per_node_milli % HUB_GPU_MILLI;
    } else if (total >= HUB_GPU_MILLI) {
        d->job_gpus = div_up(total, HUB_GPU_MILLI);
    } else {
        d->job_gpu_frac = total;
    }
}

void hub_select_demand(const hub_job_req_t *req, hub_select_demand_t *d)
{
    memset(d, 0, sizeof(*d));
    d->ntasks = req->ntasks ? req->ntasks : 1;
    d->tasks_per_node = req->ntasks_per_node;
    d->cpus_per_task = req->cpus_per_task ? req->cpus_per_task : 1;
    d->mem_mb = req->mem_per_node_mb;
    d->exclusive = req->exclusive;
    demand_nodes(req, d);
    demand_gpus(req, d);
}

int hub_select_frac_slot(const hub_node_t *n, uint32_t frac_milli)
{
    int best = -1;

    if (n->gpu_milli_free == n->gpus_idle * HUB_GPU_MILLI)
        return -1; /* no partly used GPU with room */
    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint32_t f = n->gpu_free_milli[g];
        if (f < frac_milli || f == HUB_GPU_MILLI)
            continue;
        if (best < 0 || f < n->gpu_free_milli[best])
            best = (int)g;
    }
    return best;
}

bool hub_select_node_gives(const hub_node_t *n, const hub_select_demand_t *d,
                           uint32_t tasks, uint32_t whole, uint32_t frac_milli,
                           int *frac_left)
{
    uint64_t cpus = (uint64_t)tasks * d->cpus_per_task;
    int left = 0;

    if (d->exclusive && n->njobs > 0)
        return false;
    if (cpus > n->cpus_free || d->mem_mb > n->mem_free_mb ||
        whole > n->gpus_idle)
        return false;
    if (frac_milli) {
        int slot = hub_select_frac_slot(n, frac_milli);
        if (slot >= 0)
            left = n->gpu_free_milli[slot] - (int)frac_milli;
        else if (whole + 1 > n->gpus_idle)
            return false;
        else
            left = -1;
    }
    if (frac_left)
        *frac_left = left;
    return true;
}

uint32_t hub_select_domain_gpus(const hub_node_t *n)
{
    int d = n->conf ? n->conf->nvlink_domain_gpus : 0;

    if (d <= 0 || n->ngpus == 0 || n->ngpus % (uint32_t)d != 0)
        return n->ngpus ? n->ngpus : 1;
    return (uint32_t)d;
}

/* Idle GPUs per domain, not counting those in taken (a bit mask). */
static uint32_t count_idle(const hub_node_t *n, uint32_t dsize, uint32_t taken,
                           uint32_t idle[MAX_DOMAINS])
{
    uint32_t ndom = n->ngpus / dsize;

    memset(idle, 0, MAX_DOMAINS * sizeof(idle[0]));
    for (uint32_t g = 0; g < n->ngpus; g++) {
        if (!(taken & (1u << g)) && n->gpu_free_milli[g] == HUB_GPU_MILLI)
            idle[g / dsize]++;
    }
    return ndom;
}

/* Add up to want idle GPUs of domain dom to *taken; returns how many. */
static uint32_t take_from_domain(const hub_node_t *n, uint32_t dsize,
                                 uint32_t dom, uint32_t want, uint32_t *taken)
{
    uint32_t got = 0;

    for (uint32_t g = dom * dsize; g < (dom + 1) * dsize && got < want; g++) {
        if (!(*taken & (1u << g)) && n->gpu_free_milli[g] == HUB_GPU_MILLI) {
            *taken |= 1u << g;
            got++;
        }
    }
    return got;
}

/* The domain with the fewest idle GPUs that still has at least want
 * (most_first: the one with the most idle GPUs), or -1. */
static int pick_domain(const uint32_t *idle, uint32_t ndom, uint32_t want,
                       bool most_first)
{
    int best = -1;

    for (uint32_t d = 0; d < ndom; d++) {
        if (idle[d] < want || idle[d] == 0)
            continue;
        if (best < 0 ||
            (most_first ? idle[d] > idle[best] : idle[d] < idle[best]))
            best = (int)d;
    }
    return best;
}

static int pick_whole(const hub_node_t *n, uint32_t whole, uint32_t *taken)
{
    uint32_t dsize = hub_select_domain_gpus(n), idle[MAX_DOMAINS];
    uint32_t ndom = count_idle(n, dsize, *taken, idle);
    int dom = pick_domain(idle, ndom, whole, false);

    if (dom >= 0) {
        take_from_domain(n, dsize, (uint32_t)dom, whole, taken);
        return 0;
    }
    while (whole > 0) {
        dom = pick_domain(idle, ndom, 1, true);
        if (dom < 0)
            return -EAGAIN;
        whole -= take_from_domain(n, dsize, (uint32_t)dom, whole, taken);
        idle[dom] = 0;
    }
    return 0;
}

/* An idle GPU outside taken, in the domain with the fewest idle left. */
static int pick_fresh(const hub_node_t *n, uint32_t taken)
{
    uint32_t dsize = hub_select_domain_gpus(n), idle[MAX_DOMAINS];
    uint32_t ndom = count_idle(n, dsize, taken, idle);
    int dom = pick_domain(idle, ndom, 1, false);
    uint32_t one = taken;

    if (dom < 0)
        return -1;
    take_from_domain(n, dsize, (uint32_t)dom, 1, &one);
    return __builtin_ctz(one & ~taken);
}

int hub_select_pick_gpus(const hub_node_t *n, uint32_t whole,
                         uint32_t frac_milli, uint16_t out[HUB_NODE_MAX_GPUS])
{
    uint32_t taken = 0;
    int slot = frac_milli ? hub_select_frac_slot(n, frac_milli) : -1;

    memset(out, 0, HUB_NODE_MAX_GPUS * sizeof(out[0]));
    if (whole > n->gpus_idle || pick_whole(n, whole, &taken) < 0)
        return -EAGAIN;
    for (uint32_t g = 0; g < n->ngpus; g++) {
        if (taken & (1u << g))
            out[g] = HUB_GPU_MILLI;
    }
    if (frac_milli == 0)
        return 0;
    if (slot < 0)
        slot = pick_fresh(n, taken);
    if (slot < 0)
        return -EAGAIN;
    out[slot] = (uint16_t)frac_milli;
    return 0;
}
