/* select_topo.c - select/topo: place multi-node jobs under the fewest leaf
 * switches, one-node jobs where they fragment the GPUs least.
 *
 * The topology is hub.conf's SwitchName records (Slurm's topology.conf):
 * a node belongs to the group of its leaf switch; nodes with no switch
 * form one group per hub (a flat cluster is one group per hub, and then
 * select/topo places as select/fgd and select/bestfit do).
 *
 * One-node jobs (a job that fits on one node now, non-exclusive or not)
 * go to select/fgd, Fragmentation Gradient Descent (Weng et al., USENIX
 * ATC'23): the node and GPU where the expected GPU fragmentation of the
 * workload's job mix grows least, whole GPUs inside one NVLink domain.
 * They are offered first the candidates of leaves that already run a job
 * (and nodes with no switch), so that idle leaves stay whole for
 * multi-node jobs; only when none of those fits do they see every
 * candidate.
 *
 * Multi-node jobs (and one-node jobs no single node holds now), as Slurm's
 * topology/tree:
 *   1. every leaf alone: the job goes under one leaf if any can hold it,
 *      the one that fits best - fewest nodes, then the least free GPU,
 *      then CPUs left on the leaf (a partly used leaf before an idle one);
 *   2. else, per hub, the fewest leaves: while nodes are still needed,
 *      the smallest leaf holding all the rest, else the one with the most
 *      free fitting nodes; when the job does not fit on those (tasks or
 *      GPUs per node differ), the largest leaf left is added until it
 *      does. The hub needing the fewest leaves wins (then as in 1).
 * Inside the chosen leaves select/bestfit picks the nodes and GPUs
 * (fewest nodes, fullest first, NVLink domains kept whole), so every
 * placement rule of bestfit holds; "fitting node" means one that holds
 * the job's per-node part (a task, --gpus-per-node, --mem).
 *
 * Fragmentation - free GPU capacity the job mix cannot use - is what
 * select/fgd minimises per placement (its expectation over task types);
 * hsim reports it for a run as hub_cluster_stranded_gpu_milli() for the
 * trace's most common GPU request (doc/hsim.md). GPU types (--gpus=h100:8)
 * and --constraint are applied before select sees a node: the candidates
 * are the matching nodes (sched_place.c).
 *
 * When nothing fits now, select/bestfit's answer on all the candidates
 * tells -EAGAIN (not now) from -ENOSPC (never).
 * Non-goals: switch levels above the leaves (every leaf of a hub counts
 * as one hop from every other), leaves that span hubs, link speeds.
 * Not thread-safe: one context serves one scheduler thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

extern const hub_plugin_desc_t hub_select_bestfit_desc;
extern const hub_plugin_desc_t hub_select_fgd_desc;

static void topo_destroy(void *ctx)
{
    topo_t *t = ctx;

    if (!t)
        return;
    if (t->fgd_ctx)
        t->fgd->destroy(t->fgd_ctx);
    if (t->bestfit_ctx)
        t->bestfit->destroy(t->bestfit_ctx);
    topo_groups_fini(t);
    free(t);
}

static int topo_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    topo_t *t = calloc(1, sizeof(*t));

    if (!t || topo_groups_init(t, conf) < 0) {
        topo_destroy(t);
        return hub_errorf(err, ENOMEM, "select/topo: out of memory");
    }
    t->fgd = hub_select_fgd_desc.ops;
    t->bestfit = hub_select_bestfit_desc.ops;
    if (t->fgd->create(&t->fgd_ctx, conf, err) < 0 ||
        t->bestfit->create(&t->bestfit_ctx, conf, err) < 0) {
        topo_destroy(t);
        return -ENOMEM;
    }
    *ctx = t;
    return 0;
}

/* Whether the job can lie on one node (as select/bestfit decides it). */
/* select/fgd on the candidates cand[0..n); 0 only for one node. */
static int fgd_one(topo_t *t, const hub_place_req_t *pr, const uint32_t *cand,
                   uint32_t n, hub_alloc_t *out)
{
    hub_place_req_t sub = *pr;
    int rc;

    sub.cand = cand;
    sub.ncand = n;
    memset(out, 0, sizeof(*out));
    rc = t->fgd->place(t->fgd_ctx, &sub, out);
    if (rc == 0 && out->nnodes != 1) {
        free(out->nodes);
        memset(out, 0, sizeof(*out));
        return -EAGAIN;
    }
    return rc;
}

/* The job on one node: busy leaves first, then every candidate. 0 placed;
 * 1 when only several nodes hold it now; else -EAGAIN, -ENOSPC, -ENOMEM
 * (select/fgd's answer, which is select/bestfit's on all candidates). */
static int one_node(topo_t *t, const hub_place_req_t *pr, hub_alloc_t *out)
{
    uint32_t n = topo_busy_subset(t, pr);
    int rc;

    if (n > 0 && n < pr->ncand) {
        rc = fgd_one(t, pr, t->sub, n, out);
        if (rc == 0 || rc == -ENOMEM)
            return rc;
    }
    memset(out, 0, sizeof(*out));
    rc = t->fgd->place(t->fgd_ctx, pr, out);
    if (rc < 0 || out->nnodes == 1)
        return rc;
    free(out->nodes);
    memset(out, 0, sizeof(*out));
    return 1;
}

static int topo_place(void *ctx, const hub_place_req_t *pr, hub_alloc_t *out)
{
    topo_t *t = ctx;
    topo_plan_t best;
    hub_select_demand_t d;
    int rc;

    hub_select_demand(&pr->job->req, &d);
    if (hub_select_one_node(&d) && (rc = one_node(t, pr, out)) <= 0)
        return rc;
    memset(&best, 0, sizeof(best));
    rc = topo_place_leaves(t, pr, &d, &best);
    if (rc == 0) {
        *out = best.alloc;
        return 0;
    }
    if (rc == -ENOMEM)
        return rc;
    return t->bestfit->place(t->bestfit_ctx, pr, out);
}

static const hub_select_ops_t ops = {
    .create = topo_create,
    .destroy = topo_destroy,
    .place = topo_place,
};

const hub_plugin_desc_t hub_select_topo_desc = HUB_PLUGIN_DESC_INIT(
    "select", "topo", HUB_SELECT_ABI_MAJOR, HUB_SELECT_ABI_MINOR, ops);
