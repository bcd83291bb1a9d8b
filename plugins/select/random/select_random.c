/* select_random.c - select/random: a uniformly random node that fits.
 *
 * The baseline of the GPU-fragmentation literature ("Random" in FGD,
 * USENIX ATC'23): a job that fits on one node goes to a node drawn
 * uniformly among the open candidates that can hold it now, and to GPUs
 * drawn uniformly among those of that node that can: a fraction goes to
 * any GPU with enough free milli-GPUs (fresh or partly used), whole GPUs
 * to idle ones. The node is drawn by reservoir sampling over one scan, so
 * place() allocates nothing but its answer.
 *
 * The generator is xorshift64* seeded with SELECT_RANDOM_SEED when the
 * context is made: one configuration and one sequence of place() calls
 * always give the same placements, so hsim runs are reproducible.
 *
 * Jobs that need several nodes, exclusive jobs, and the answer for a job
 * no single node holds now (-EAGAIN or -ENOSPC) are select/bestfit's: its
 * ops run on a context of their own. Random multi-node placement is no
 * baseline anyone measures. Not thread-safe.
 */
#include <errno.h>
#include <stdlib.h>

#include "plugins.h"
#include "select_util.h"

/* Fixed so that runs repeat; any non-zero value works. */
#define SELECT_RANDOM_SEED UINT64_C(0x9e3779b97f4a7c15)

extern const hub_plugin_desc_t hub_select_bestfit_desc;

typedef struct rnd {
    uint64_t state;                  /* xorshift64* state, never 0 */
    const hub_select_ops_t *bestfit; /* for what this plugin leaves */
    void *bestfit_ctx;
} rnd_t;

/* One job's single-node shape. */
typedef struct shape {
    uint64_t cpus, mem_mb;
    uint32_t whole; /* idle GPUs */
    uint32_t frac;  /* milli-GPUs on one more GPU, < HUB_GPU_MILLI */
} shape_t;

/* A draw in [0, n), n >= 1. */
static uint32_t draw(rnd_t *r, uint32_t n)
{
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return (uint32_t)(((r->state * UINT64_C(2685821657736338717)) >> 32) % n);
}

static void rnd_destroy(void *ctx)
{
    rnd_t *r = ctx;

    if (!r)
        return;
    if (r->bestfit_ctx)
        r->bestfit->destroy(r->bestfit_ctx);
    free(r);
}

static int rnd_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    rnd_t *r = calloc(1, sizeof(*r));

    if (!r)
        return hub_errorf(err, ENOMEM, "select/random: out of memory");
    r->state = SELECT_RANDOM_SEED;
    r->bestfit = hub_select_bestfit_desc.ops;
    if (r->bestfit->create(&r->bestfit_ctx, conf, err) < 0) {
        free(r);
        return -ENOMEM;
    }
    *ctx = r;
    return 0;
}

/* The shape of d on one node, or false when d needs more than one. */
static bool single_shape(const hub_select_demand_t *d, shape_t *sh)
{
    if (d->exclusive || d->nodes_min > 1 ||
        (d->tasks_per_node && d->ntasks > d->tasks_per_node))
        return false;
    sh->cpus = (uint64_t)d->ntasks * d->cpus_per_task;
    sh->mem_mb = d->mem_mb;
    sh->whole = d->node_gpus + d->job_gpus;
    sh->frac = d->node_gpu_frac ? d->node_gpu_frac : d->job_gpu_frac;
    return true;
}

/* GPUs of n that can take the fraction, in out; returns how many. A
 * fresh GPU counts only when idle GPUs remain beyond the whole ones. */
static uint32_t frac_gpus(const hub_node_t *n, const shape_t *sh,
                          uint32_t out[HUB_NODE_MAX_GPUS])
{
    bool fresh_ok = n->gpus_idle > sh->whole;
    uint32_t k = 0;

    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint32_t f = n->gpu_free_milli[g];
        if (f >= sh->frac && (f < HUB_GPU_MILLI || fresh_ok))
            out[k++] = g;
    }
    return k;
}

static bool fits(const hub_place_req_t *pr, const hub_node_t *n,
                 const shape_t *sh)
{
    uint32_t gpus[HUB_NODE_MAX_GPUS];

    if (!hub_node_usable(n) || sh->cpus > n->cpus_free ||
        sh->mem_mb > n->mem_free_mb || sh->whole > n->gpus_idle)
        return false;
    if (pr->node_deadline_ms && pr->end_ms > pr->node_deadline_ms[n->idx])
        return false;
    return sh->frac == 0 || frac_gpus(n, sh, gpus) > 0;
}

static bool idle_other(const hub_node_t *n, uint32_t g, int fg)
{
    return n->gpu_free_milli[g] == HUB_GPU_MILLI && (int)g != fg;
}

/* Draw the GPUs on n (which fits) into an: the fraction's GPU, then the
 * whole ones by selection sampling among the other idle GPUs. */
static void pick_gpus(rnd_t *r, const hub_node_t *n, const shape_t *sh,
                      hub_alloc_node_t *an)
{
    uint32_t cand[HUB_NODE_MAX_GPUS], left = 0, need = sh->whole;
    int fg = -1;

    if (sh->frac) {
        uint32_t k = frac_gpus(n, sh, cand);
        fg = (int)cand[draw(r, k)];
        an->gpu_milli[fg] = (uint16_t)sh->frac;
    }
    for (uint32_t g = 0; g < n->ngpus; g++)
        left += idle_other(n, g, fg);
    for (uint32_t g = 0; g < n->ngpus && need; g++) {
        if (!idle_other(n, g, fg))
            continue;
        if (draw(r, left) < need) {
            an->gpu_milli[g] = HUB_GPU_MILLI;
            need--;
        }
        left--;
    }
}

static int rnd_place(void *ctx, const hub_place_req_t *pr, hub_alloc_t *out)
{
    rnd_t *r = ctx;
    hub_select_demand_t d;
    const hub_node_t *chosen = NULL;
    uint32_t nfit = 0;
    shape_t sh;

    hub_select_demand(&pr->job->req, &d);
    if (!single_shape(&d, &sh))
        return r->bestfit->place(r->bestfit_ctx, pr, out);
    for (uint32_t i = 0; i < pr->ncand; i++) {
        const hub_node_t *n = &pr->cluster->nodes[pr->cand[i]];
        if (fits(pr, n, &sh) && draw(r, ++nfit) == 0)
            chosen = n;
    }
    if (!chosen)
        return r->bestfit->place(r->bestfit_ctx, pr, out);
    out->nodes = calloc(1, sizeof(*out->nodes));
    if (!out->nodes)
        return -ENOMEM;
    out->nnodes = 1;
    out->nodes[0].node = chosen->idx;
    out->nodes[0].cpus = (uint32_t)sh.cpus;
    out->nodes[0].mem_mb = sh.mem_mb;
    pick_gpus(r, chosen, &sh, &out->nodes[0]);
    return 0;
}

static const hub_select_ops_t ops = {
    .create = rnd_create,
    .destroy = rnd_destroy,
    .place = rnd_place,
};

const hub_plugin_desc_t hub_select_random_desc = HUB_PLUGIN_DESC_INIT(
    "select", "random", HUB_SELECT_ABI_MAJOR, HUB_SELECT_ABI_MINOR, ops);
