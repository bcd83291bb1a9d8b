/* cluster.h - the live resources the scheduler places jobs on.
 *
 * Built from hub.conf: every node with its CPUs, memory and GPUs, what is
 * free on it now, and its state. Allocations are taken and given back
 * through this module only, so that the free counts and the per-GPU
 * fractions always agree. A cluster can be copied (hub_cluster_clone) for
 * what-if planning: backfill releases running jobs onto a copy to find when
 * a job could start.
 *
 * GPU amounts are milli-GPUs (HUB_GPU_MILLI = one whole GPU).
 */
#ifndef HUB_CLUSTER_H
#define HUB_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "job.h"

/* Node state bits. A node runs new jobs only when none is set. */
enum {
    HUB_NODE_DOWN = 1u << 0,    /* not responding / failed */
    HUB_NODE_DRAIN = 1u << 1,   /* admin: run no new jobs */
    HUB_NODE_UNKNOWN = 1u << 2, /* its agent has not registered yet */
};

typedef struct hub_node {
    const hub_conf_node_t *conf; /* name, hub, switch, features ... */
    uint32_t idx;                /* index in hub_cluster_t.nodes */
    uint32_t hub;                /* index into conf->hubs */
    uint32_t state;              /* HUB_NODE_* bits */
    uint32_t cpus;               /* total */
    uint32_t cpus_free;
    uint64_t mem_mb; /* total, MB */
    uint64_t mem_free_mb;
    uint32_t ngpus;          /* <= HUB_NODE_MAX_GPUS */
    uint32_t gpus_idle;      /* GPUs with all HUB_GPU_MILLI free */
    uint32_t gpu_milli_free; /* sum over gpu_free_milli */
    uint16_t gpu_free_milli[HUB_NODE_MAX_GPUS];
    uint32_t njobs;  /* jobs holding part of it */
    bool exclusive;  /* held whole by an --exclusive job */
    char reason[64]; /* why DOWN or DRAIN, "" otherwise */
    int64_t state_since_ms;
} hub_node_t;

typedef struct hub_cluster {
    const hub_conf_t *conf; /* borrowed; outlives the cluster */
    hub_node_t *nodes;
    uint32_t nnodes;
} hub_cluster_t;

/* A cluster for conf with every node free. Nodes start in the state
 * hub.conf gives them; with registered_up, UNKNOWN nodes start up (tests,
 * hsim and virtual nodes have no agent to register). NULL + err on a node
 * with more than HUB_NODE_MAX_GPUS GPUs, or ENOMEM. */
hub_cluster_t *hub_cluster_create(const hub_conf_t *conf, bool registered_up,
                                  hub_error_t *err);

/* An independent copy for what-if planning; NULL on ENOMEM. */
hub_cluster_t *hub_cluster_clone(const hub_cluster_t *c);

/* Copy src's node states into dst (same conf), reusing dst's memory. */
void hub_cluster_copy(hub_cluster_t *dst, const hub_cluster_t *src);

/* NULL-safe. */
void hub_cluster_destroy(hub_cluster_t *c);

/* Take what alloc describes. Returns 0, or -EBUSY (and takes nothing) if
 * any part is not free. exclusive marks the nodes as held whole. */
int hub_cluster_take(hub_cluster_t *c, const hub_alloc_t *alloc,
                     bool exclusive);

/* Give back what hub_cluster_take took. */
void hub_cluster_give(hub_cluster_t *c, const hub_alloc_t *alloc,
                      bool exclusive);

/* True when the node accepts new jobs (no state bit set, not held
 * exclusively). */
static inline bool hub_node_usable(const hub_node_t *n)
{
    return n->state == 0 && !n->exclusive;
}

/* Index of the node named name, or -1. */
long hub_cluster_find_node(const hub_cluster_t *c, const char *name);

/* The node list of an allocation as a compressed hostlist ("n[1-4]");
 * malloc'd. */
char *hub_cluster_alloc_nodelist(const hub_cluster_t *c,
                                 const hub_alloc_t *alloc);

/* Free GPU capacity (milli-GPUs) that no GPU-requesting job of the given
 * size per GPU slot could use: the fragmentation measure used by select
 * and hsim. Only usable nodes (hub_node_usable) count. On a node with no
 * free CPU all free GPU capacity is stranded (every job needs a CPU).
 * Otherwise, per GPU: for size_milli >= HUB_GPU_MILLI only a wholly free
 * GPU is usable, so every partial GPU's free part is stranded; for a
 * fraction, free milli count in multiples of size_milli and the remainder
 * (free % size_milli) is stranded. size_milli 0 gives 0. */
uint64_t hub_cluster_stranded_gpu_milli(const hub_cluster_t *c,
                                        uint32_t size_milli);

#endif /* HUB_CLUSTER_H */
