/* topo.h - select/topo internals shared by its files: the leaf switch
 * groups of the candidates (topo_leaf.c) and the plugin (select_topo.c,
 * whose header explains the policy).
 * Internal to plugins/select/topo: names carry the module prefix topo_.
 */
#ifndef HUB_SELECT_TOPO_H
#define HUB_SELECT_TOPO_H

#include <stdbool.h>
#include <stdint.h>

#include "plugins.h"
#include "select_util.h"

/* One group of nodes under one leaf switch (SwitchName ... Nodes=, or
 * NodeName ... Switch=). Nodes with no switch form one group per hub. The
 * counts cover the candidates of one place() call. */
typedef struct topo_group {
    uint32_t hub;       /* hub of its first node */
    uint32_t ncand;     /* candidates in it */
    uint32_t nfit;      /* open candidates that hold one node's part */
    uint64_t gpu_free;  /* free milli-GPUs of its open candidates */
    uint64_t cpus_free; /* free CPUs of its open candidates */
    bool busy;          /* a candidate in it runs a job */
    bool leaf;          /* under a real leaf switch (not the no-switch
                           group of a hub) */
    bool in;            /* in the set being tried */
    bool used;          /* scratch of topo_score() */
} topo_group_t;

/* How good an allocation is for the topology; smaller is better in this
 * order: leaf groups used, nodes, free milli-GPUs then CPUs left in the
 * groups used (a fuller leaf is a better fit), lowest group. */
typedef struct topo_plan {
    uint32_t nleaves, nnodes;
    uint64_t gpu_left, cpus_left;
    uint32_t first;
    hub_alloc_t alloc; /* nodes malloc'd; nnodes 0 = no plan */
} topo_plan_t;

typedef struct topo {
    const hub_select_ops_t *fgd, *bestfit; /* built-in select plugins */
    void *fgd_ctx, *bestfit_ctx;
    uint32_t *group_of; /* per node index: its group */
    uint32_t nnodes;
    topo_group_t *groups; /* nswitches + nhubs */
    uint32_t ngroups;
    uint32_t *order; /* ngroups: group indexes, scratch */
    uint32_t *sub;   /* nnodes: a candidate subset, scratch */
} topo_t;

/* Map every node of conf to its group; 0 or -ENOMEM. */
int topo_groups_init(topo_t *t, const hub_conf_t *conf);
void topo_groups_fini(topo_t *t);

/* Fill the groups' counts for the candidates of pr and demand d. */
void topo_groups_count(topo_t *t, const hub_place_req_t *pr,
                       const hub_select_demand_t *d);

/* Into t->sub, the candidates of pr whose group is marked in (ascending,
 * as pr->cand); returns how many. */
uint32_t topo_subset(topo_t *t, const hub_place_req_t *pr);

/* Mark in the groups a one-node job should try first: those under a
 * leaf switch where a candidate already runs a job, and every group of
 * nodes with no switch; then fill t->sub as topo_subset(). */
uint32_t topo_busy_subset(topo_t *t, const hub_place_req_t *pr);

/* Place with select/bestfit on the candidates of the groups marked in;
 * on success (0) fills p (p->alloc owned by the caller). */
int topo_try(topo_t *t, const hub_place_req_t *pr, topo_plan_t *p);

/* Keep the better of *best and *p in *best, freeing the other's
 * allocation. */
void topo_keep_better(topo_plan_t *best, topo_plan_t *p);

/* The best allocation of a multi-node job under the fewest leaf switches:
 * one leaf when one can hold it (the best-fitting), else per hub the
 * fewest leaves, largest first and the tail best fit (select_topo.c's
 * header). 0 with *best filled, or -EAGAIN. */
int topo_place_leaves(topo_t *t, const hub_place_req_t *pr,
                      const hub_select_demand_t *d, topo_plan_t *best);

#endif /* HUB_SELECT_TOPO_H */
