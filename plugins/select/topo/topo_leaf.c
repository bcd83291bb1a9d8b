/* topo_leaf.c - select/topo: leaf switch groups and the search for the
 * fewest leaves that hold a multi-node job (policy in select_topo.c). */
#include "topo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int topo_groups_init(topo_t *t, const hub_conf_t *conf)
{
    uint32_t nsw = (uint32_t)conf->nswitches;

    t->nnodes = (uint32_t)conf->nnodes;
    t->ngroups = nsw + (uint32_t)conf->nhubs;
    t->group_of = calloc(t->nnodes + 1, sizeof(*t->group_of));
    t->sub = calloc(t->nnodes + 1, sizeof(*t->sub));
    t->groups = calloc(t->ngroups + 1, sizeof(*t->groups));
    t->order = calloc(t->ngroups + 1, sizeof(*t->order));
    if (!t->group_of || !t->sub || !t->groups || !t->order)
        return -ENOMEM;
    for (uint32_t g = 0; g < t->ngroups; g++)
        t->groups[g].leaf = g < nsw;
    for (uint32_t i = t->nnodes; i-- > 0;) {
        const hub_conf_node_t *n = &conf->nodes[i];
        uint32_t g = n->switch_idx >= 0 ? (uint32_t)n->switch_idx
                                        : nsw + (uint32_t)n->hub;
        t->group_of[i] = g;
        t->groups[g].hub = (uint32_t)n->hub; /* ends as the first node's */
    }
    return 0;
}

void topo_groups_fini(topo_t *t)
{
    free(t->group_of);
    free(t->sub);
    free(t->groups);
    free(t->order);
}

void topo_groups_count(topo_t *t, const hub_place_req_t *pr,
                       const hub_select_demand_t *d)
{
    for (uint32_t g = 0; g < t->ngroups; g++) {
        topo_group_t *gr = &t->groups[g];
        gr->ncand = gr->nfit = 0;
        gr->gpu_free = gr->cpus_free = 0;
        gr->busy = gr->in = gr->used = false;
    }
    for (uint32_t i = 0; i < pr->ncand; i++) {
        const hub_node_t *n = &pr->cluster->nodes[pr->cand[i]];
        topo_group_t *gr = &t->groups[t->group_of[n->idx]];
        gr->ncand++;
        gr->busy = gr->busy || n->njobs > 0;
        if (!hub_select_node_open(pr, n))
            continue;
        gr->gpu_free += n->gpu_milli_free;
        gr->cpus_free += n->cpus_free;
        if (hub_select_node_gives(n, d, 1, d->node_gpus, d->node_gpu_frac,
                                  NULL))
            gr->nfit++;
    }
}

uint32_t topo_subset(topo_t *t, const hub_place_req_t *pr)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < pr->ncand; i++) {
        if (t->groups[t->group_of[pr->cand[i]]].in)
            t->sub[n++] = pr->cand[i];
    }
    return n;
}

uint32_t topo_busy_subset(topo_t *t, const hub_place_req_t *pr)
{
    for (uint32_t g = 0; g < t->ngroups; g++)
        t->groups[g].in = !t->groups[g].leaf;
    for (uint32_t i = 0; i < pr->ncand; i++) {
        if (pr->cluster->nodes[pr->cand[i]].njobs > 0)
            t->groups[t->group_of[pr->cand[i]]].in = true;
    }
    return topo_subset(t, pr);
}

/* What alloc uses and leaves of its groups. */
static void score(topo_t *t, const hub_alloc_t *alloc, topo_plan_t *p)
{
    uint64_t gpu = 0, cpus = 0;

    memset(p, 0, sizeof(*p));
    p->first = UINT32_MAX;
    p->nnodes = alloc->nnodes;
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        const hub_alloc_node_t *an = &alloc->nodes[i];
        uint32_t g = t->group_of[an->node];
        for (uint32_t k = 0; k < HUB_NODE_MAX_GPUS; k++)
            gpu += an->gpu_milli[k];
        cpus += an->cpus;
        if (t->groups[g].used)
            continue;
        t->groups[g].used = true;
        p->nleaves++;
        p->gpu_left += t->groups[g].gpu_free;
        p->cpus_left += t->groups[g].cpus_free;
        p->first = g < p->first ? g : p->first;
    }
    for (uint32_t i = 0; i < alloc->nnodes; i++)
        t->groups[t->group_of[alloc->nodes[i].node]].used = false;
    p->gpu_left = p->gpu_left > gpu ? p->gpu_left - gpu : 0;
    p->cpus_left = p->cpus_left > cpus ? p->cpus_left - cpus : 0;
    p->alloc = *alloc;
}

int topo_try(topo_t *t, const hub_place_req_t *pr, topo_plan_t *p)
{
    hub_place_req_t sub = *pr;
    hub_alloc_t alloc = {0};
    int rc;

    sub.cand = t->sub;
    sub.ncand = topo_subset(t, pr);
    if (sub.ncand == 0)
        return -EAGAIN;
    rc = t->bestfit->place(t->bestfit_ctx, &sub, &alloc);
    if (rc == 0)
        score(t, &alloc, p);
    return rc;
}

static bool plan_better(const topo_plan_t *a, const topo_plan_t *b)
{
    if (b->alloc.nnodes == 0)
        return true;
    if (a->nleaves != b->nleaves)
        return a->nleaves < b->nleaves;
    if (a->nnodes != b->nnodes)
        return a->nnodes < b->nnodes;
    if (a->gpu_left != b->gpu_left)
        return a->gpu_left < b->gpu_left;
    if (a->cpus_left != b->cpus_left)
        return a->cpus_left < b->cpus_left;
    return a->first < b->first;
}

void topo_keep_better(topo_plan_t *best, topo_plan_t *p)
{
    if (plan_better(p, best)) {
        free(best->alloc.nodes);
        *best = *p;
    } else {
        free(p->alloc.nodes);
    }
    memset(p, 0, sizeof(*p));
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Every group alone: the best-fitting one that holds the job. */
static int each_leaf(topo_t *t, const hub_place_req_t *pr,
                     const hub_select_demand_t *d, topo_plan_t *best)
{
    topo_plan_t p;

    for (uint32_t g = 0; g < t->ngroups; g++) {
        topo_group_t *gr = &t->groups[g];
        int rc;
        if (gr->nfit < max_u32(d->nodes_min, 1))
            continue;
        gr->in = true;
        rc = topo_try(t, pr, &p);
        gr->in = false;
        if (rc == -ENOMEM)
            return rc;
        if (rc == 0)
            topo_keep_better(best, &p);
    }
    return 0;
}

/* Largest first: most fitting nodes, then most free GPU, then index. */
static int by_size(const void *pa, const void *pb, void *arg)
{
    const topo_group_t *g = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    if (g[a].nfit != g[b].nfit)
        return g[a].nfit > g[b].nfit ? -1 : 1;
    if (g[a].gpu_free != g[b].gpu_free)
        return g[a].gpu_free > g[b].gpu_free ? -1 : 1;
    return a < b ? -1 : (a > b);
}

/* Into t->order, hub's groups with a fitting node, largest first; returns
 * how many and their fitting nodes in *nfit. */
static uint32_t hub_groups(topo_t *t, uint32_t hub, uint64_t *nfit)
{
    uint32_t m = 0;

    *nfit = 0;
    for (uint32_t g = 0; g < t->ngroups; g++) {
        if (t->groups[g].hub != hub || t->groups[g].nfit == 0)
            continue;
        t->order[m++] = g;
        *nfit += t->groups[g].nfit;
    }
    qsort_r(t->order, m, sizeof(*t->order), by_size, t->groups);
    return m;
}

/* Slurm topology/tree's rule over t->order[0..m): while nodes are still
 * needed, the smallest group that holds the rest, else the largest. */
static void choose(topo_t *t, uint32_t m, uint32_t need)
{
    while (need > 0) {
        long pick = -1;
        for (uint32_t j = m; j-- > 0 && pick < 0;) {
            if (!t->groups[t->order[j]].in &&
                t->groups[t->order[j]].nfit >= need)
                pick = j;
        }
        for (uint32_t j = 0; j < m && pick < 0; j++) {
            if (!t->groups[t->order[j]].in)
                pick = j;
        }
        if (pick < 0)
            return;
        topo_group_t *gr = &t->groups[t->order[pick]];
        gr->in = true;
        need -= gr->nfit < need ? gr->nfit : need;
    }
}

/* Add the largest group not yet in; false when all are. */
static bool add_largest(topo_t *t, uint32_t m)
{
    for (uint32_t j = 0; j < m; j++) {
        if (!t->groups[t->order[j]].in) {
            t->groups[t->order[j]].in = true;
            return true;
        }
    }
    return false;
}

/* The fewest leaves of hub: chosen by the rule, then grown by the largest
 * left until the job fits (at worst every group of the hub). */
static int in_hub(topo_t *t, const hub_place_req_t *pr,
                  const hub_select_demand_t *d, uint32_t hub, topo_plan_t *best)
{
    uint64_t nfit;
    uint32_t m = hub_groups(t, hub, &nfit);
    topo_plan_t p;
    int rc = -EAGAIN;

    if (m < 2 || nfit < d->nodes_min)
        return -EAGAIN;
    choose(t, m, max_u32(d->nodes_min, 2));
    while ((rc = topo_try(t, pr, &p)) == -EAGAIN || rc == -ENOSPC) {
        if (!add_largest(t, m))
            break;
    }
    for (uint32_t j = 0; j < m; j++)
        t->groups[t->order[j]].in = false;
    if (rc == 0)
        topo_keep_better(best, &p);
    return rc;
}

int topo_place_leaves(topo_t *t, const hub_place_req_t *pr,
                      const hub_select_demand_t *d, topo_plan_t *best)
{
    const hub_conf_t *conf = pr->cluster->conf;
    uint32_t nhubs = conf && conf->nhubs ? (uint32_t)conf->nhubs : 1;
    int rc;

    topo_groups_count(t, pr, d);
    if ((rc = each_leaf(t, pr, d, best)) < 0)
        return rc;
    if (best->alloc.nnodes > 0)
        return 0;
    for (uint32_t h = 0; h < nhubs; h++) {
        if ((rc = in_hub(t, pr, d, h, best)) == -ENOMEM)
            return rc;
    }
    return best->alloc.nnodes > 0 ? 0 : -EAGAIN;
}
