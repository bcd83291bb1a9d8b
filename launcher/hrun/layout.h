/* layout.h - hrun's allocation and rank layout: which nodes the job holds
 * (hubsched's HUB_NODELIST, Slurm's SLURM_JOB_NODELIST, a hostfile or a
 * --host list, else this host), which of them are held back as spares or
 * excluded after failures, how many ranks go on each active node, the
 * hostfile mpirun gets, and which GPUs a rank sees.
 *
 * Pure computation on strings and structs (no files, no environment
 * reads but through the getter passed in), so that it is unit-tested
 * (tests/unit/test_hrun_layout.c).
 */
#ifndef HUB_HRUN_LAYOUT_H
#define HUB_HRUN_LAYOUT_H

#include <stddef.h>

#include "error.h"
#include "hostlist.h"

/* Most nodes hrun handles (a hostlist may expand to more: refused). */
#define LAYOUT_MAX_NODES 4096

typedef enum layout_state {
    LAYOUT_ACTIVE = 0, /* ranks run here */
    LAYOUT_SPARE,      /* held back, takes over a failed node */
    LAYOUT_EXCLUDED,   /* failed; not used again */
} layout_state_t;

typedef struct layout_node {
    char name[HUB_HOSTNAME_MAX + 1];
    int slots;            /* from a hostfile or --host; 0: not given */
    layout_state_t state; /* see above */
    int failures;         /* times this node was lost */
} layout_node_t;

typedef struct layout {
    layout_node_t *nodes; /* in allocation order, [nnodes] */
    size_t nnodes;
    const char *source; /* "hubsched", "slurm", "hostfile", "host", "local" */
    int ntasks_hint;    /* SLURM_NTASKS of the allocation, 0 unknown */
    int tpn_hint;       /* SLURM_NTASKS_PER_NODE, 0 unknown */
} layout_t;

/* What the user asked (hrun's options). */
typedef struct layout_req {
    int ntasks;          /* -n; 0: from the allocation */
    int ntasks_per_node; /* --ntasks-per-node; 0: spread evenly */
    int spare_nodes;     /* --spare-nodes; < 0: HUB_SPARE_NODES or 0 */
    int oversubscribe;   /* ranks beyond a node's slots allowed */
} layout_req_t;

/* One launch's placement: ranks per active node, in node order. */
typedef struct layout_plan {
    int ntasks;       /* total ranks */
    size_t nactive;   /* active nodes that run ranks */
    int *per_node;    /* [nactive] ranks on each */
    char **names;     /* [nactive] their names (point into the layout) */
    int max_per_node; /* the most ranks any node runs */
} layout_plan_t;

typedef const char *(*layout_getenv_fn)(const char *name);

/* Fill l from the environment: HUB_NODELIST (hubsched), else
 * SLURM_JOB_NODELIST (Slurm), else this host ("local"). Hints from
 * SLURM_NTASKS and SLURM_NTASKS_PER_NODE (hubd sets them too). */
int layout_from_env(layout_t *l, layout_getenv_fn get, hub_error_t *err);

/* Fill l from hostfile text: lines "host", "host slots=N" (Open MPI's
 * form, max_slots= ignored) or "host:N"; '#' starts a comment. */
int layout_from_hostfile(layout_t *l, const char *text, hub_error_t *err);

/* Fill l from a --host list: "a,b:2,c" or a hostlist "n[1-4]:2". */
int layout_from_hosts(layout_t *l, const char *list, hub_error_t *err);

/* Free the nodes (NULL-safe, l itself is the caller's). */
void layout_fini(layout_t *l);

/* Hold back the last k nodes as spares (k < nodes in l). */
int layout_set_spares(layout_t *l, int k, hub_error_t *err);

/* Node name failed (lost): count it, exclude it and activate the first
 * spare in its place. 0 when a spare took over, -ENOSPC when none was
 * left (the node is excluded all the same), -ENOENT for a node not in
 * the layout or not active. *spare gets the spare's name or "". */
int layout_node_lost(layout_t *l, const char *name, const char **spare);

/* The placement of req on the active nodes: ranks block-wise (first
 * nodes full), --ntasks-per-node or else as even as possible, within
 * each node's slots unless oversubscribed. -EINVAL with a message that
 * names the numbers when it does not fit. plan is freed by
 * layout_plan_fini. */
int layout_plan(const layout_t *l, const layout_req_t *req, layout_plan_t *plan,
                hub_error_t *err);

void layout_plan_fini(layout_plan_t *plan);

/* The hostfile text of plan ("name slots=N\n" per node); malloc'd. */
char *layout_hostfile_text(const layout_plan_t *plan);

/* The GPUs local rank lr of a node sees: entries [lr*per_task,
 * (lr+1)*per_task) of node_gpus ("0,1,2,3" or UUIDs), written to out as a
 * comma list. -ERANGE with a message when the node has too few. */
int layout_rank_gpus(const char *node_gpus, int lr, int per_task, char *out,
                     size_t len, hub_error_t *err);

#endif /* HUB_HRUN_LAYOUT_H */
