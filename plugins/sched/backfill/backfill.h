/* backfill.h - sched/backfill internals shared by its files.
 *
 * sched_backfill.c runs the pass (see its header for the algorithm),
 * bf_plan.c keeps the what-if timeline (release events, reservations, the
 * what-if cluster) and bf_memo.c remembers shapes that did not fit.
 * Internal to plugins/sched/backfill: names carry the module prefix bf_.
 */
#ifndef HUB_SCHED_BACKFILL_H
#define HUB_SCHED_BACKFILL_H

#include <stdbool.h>
#include <stdint.h>

#include "plugins.h"
#include "sched.h"
#include "select_util.h"

/* ---- bf_memo.c: shapes that do not fit now ------------------------------ */

/* One remembered shape: every request field a select plugin may read. */
typedef struct bf_memo_entry {
    uint64_t hash;            /* 0 = empty slot */
    hub_select_demand_t d;    /* nodes, tasks, CPUs, memory, GPUs */
    const hub_job_req_t *req; /* the first job of the shape: strings */
    int64_t fail_end_ms;      /* ending this late or later does not fit */
    bool never;               /* -ENOSPC: never fits, whatever the end */
} bf_memo_entry_t;

typedef struct bf_memo {
    bf_memo_entry_t *v; /* cap slots, open addressing */
    uint32_t cap;       /* power of two, or 0 before the first record */
    uint32_t used;
} bf_memo_t;

/* A job's shape, computed once and used for lookup and record. */
typedef struct bf_shape {
    uint64_t hash; /* never 0 */
    hub_select_demand_t d;
    const hub_job_req_t *req;
} bf_shape_t;

void bf_memo_init(bf_memo_t *m);
void bf_memo_fini(bf_memo_t *m);
/* Forget every shape (start of a pass). */
void bf_memo_clear(bf_memo_t *m);
void bf_shape_of(const hub_job_t *job, bf_shape_t *sh);

/* What is known of sh ending at end_ms: -ENOSPC (never fits), -EAGAIN (a
 * job of this shape ending no later already failed this pass), or 0
 * (unknown: ask the select plugin). Sound because within a pass resources
 * are only taken and reservations only added: what failed keeps failing. */
int bf_memo_lookup(const bf_memo_t *m, const bf_shape_t *sh, int64_t end_ms);

/* Remember that sh ending at end_ms failed with rc (-EAGAIN or -ENOSPC).
 * Returns 0 or -ENOMEM. */
int bf_memo_record(bf_memo_t *m, const bf_shape_t *sh, int64_t end_ms, int rc);

/* ---- the what-if timeline: bf_whatif.c and bf_plan.c --------------------- */

/* A running job's allocation comes back at t_ms. The allocation is a
 * shallow copy of the job's (its nodes array stays the job's), so that a
 * replay does not touch the job structs. */
typedef struct bf_event {
    int64_t t_ms;
    hub_alloc_t alloc;
    bool exclusive;
} bf_event_t;

/* A reservation: nodes held for a blocked job over [start_ms, end_ms). */
typedef struct bf_resv {
    int64_t start_ms, end_ms; /* end INT64_MAX: a job without limit */
    uint32_t first, n;        /* its nodes: resv_nodes[first, first + n) */
} bf_resv_t;

/* The what-if cluster and the counts the cheap pre-check reads, over the
 * nodes no reservation blocks. */
typedef struct bf_whatif {
    hub_cluster_t *c;                        /* NULL until first used */
    uint32_t by_gpus[HUB_NODE_MAX_GPUS + 1]; /* nodes by whole free GPUs */
    uint32_t idle_nodes;                     /* nodes without jobs */
    uint64_t gpu_milli_free;
    uint64_t cpus_free;
} bf_whatif_t;

/* What-if clusters at increasing times (see bf_whatif.c). */
typedef struct bf_snaps {
    bf_whatif_t *v; /* v[0] is the live cluster; v[k] after releases */
    int64_t *t_ms;  /* v[k] holds every release at or before t_ms[k] */
    uint8_t *sum;   /* cap rows of nnodes: each node in one byte */
    uint32_t n, cap, nnodes;
    bool valid; /* built in this pass */
} bf_snaps_t;

/* ---- bf_whatif.c ----------------------------------------------------------
 */

/* Copy src into w (cloning on first use) and count every node. */
int bf_whatif_reset(bf_whatif_t *w, const hub_cluster_t *src);
/* Copy src's cluster and counts into dst. 0 or -ENOMEM. */
int bf_whatif_copy(bf_whatif_t *dst, const bf_whatif_t *src);
void bf_whatif_fini(bf_whatif_t *w);
/* Add (sign 1) or remove (-1) node from w's counts. */
void bf_whatif_count(bf_whatif_t *w, uint32_t node, int sign);
/* Give ev's allocation back; counts follow for nodes with nblk 0. */
void bf_whatif_release(bf_whatif_t *w, const uint32_t *nblk,
                       const bf_event_t *ev);
/* A necessary condition for d to fit on w's counted nodes. */
bool bf_whatif_may_fit(const bf_whatif_t *w, const hub_select_demand_t *d);

/* Replay the sorted releases ev on a copy of live, keeping snapshots. */
int bf_snaps_build(bf_snaps_t *sn, const hub_cluster_t *live,
                   const bf_event_t *ev, uint32_t nev);
/* A job started now; it ends at ev->t_ms: take it on the snapshots it
 * would be running at. No-op until built. */
void bf_snaps_started(bf_snaps_t *sn, const bf_event_t *ev);
/* Might d fit on snapshot k with the nodes skip[0..nskip) (distinct)
 * left out? Leaves their GPUs and CPUs in the totals: still a necessary
 * condition, at one byte read per node left out. */
bool bf_snaps_may_fit(const bf_snaps_t *sn, uint32_t k,
                      const hub_select_demand_t *d, const uint32_t *skip,
                      uint32_t nskip);
void bf_snaps_fini(bf_snaps_t *sn);

/* ---- bf_plan.c --------------------------------------------------------------
 */

typedef struct bf_plan {
    uint32_t nnodes;
    int64_t now_ms;
    bf_event_t *ev; /* running jobs by end; unsorted past nsorted */
    uint32_t nev, nsorted, ev_cap;
    bf_event_t *ev_tmp; /* merge scratch, ev_cap entries */
    bf_resv_t *resv;    /* this pass's reservations, in order made */
    uint32_t nresv, resv_cap;
    uint32_t *by_start, *by_end; /* resv indexes by start, by end */
    uint32_t *resv_nodes;        /* every reservation's nodes */
    uint32_t nresv_nodes, resv_nodes_cap;
    uint8_t *resv_state; /* per search: 0 not yet, 1 blocking, 2 over */
    uint32_t state_cap;
    uint32_t *nblk;  /* per node: reservations blocking the window */
    uint32_t *stamp; /* per node: gen when last seen (dedup) */
    uint32_t *skip;  /* per search scratch: nodes left out */
    uint32_t gen;
    int64_t *deadline_now; /* per node: earliest reservation start */
    int64_t *deadline_win; /* per node scratch; INT64_MAX between uses */
    bf_whatif_t wi;        /* the search's what-if cluster */
    bf_snaps_t snaps;
} bf_plan_t;

/* Storage for a cluster of nnodes nodes. 0 or -ENOMEM. */
int bf_plan_init(bf_plan_t *p, uint32_t nnodes);
void bf_plan_fini(bf_plan_t *p);

/* Start a pass: no reservations; the view's running jobs as release
 * events (an overdue job is taken to end now; a job without a limit never
 * does). 0 or -ENOMEM. */
int bf_plan_begin(bf_plan_t *p, const hub_sched_view_t *view);

/* job started now and ends at end_ms (INT64_MAX: never). 0 or -ENOMEM. */
int bf_plan_started(bf_plan_t *p, const hub_job_t *job, int64_t end_ms);

/* The per-node deadlines a job starting now must respect (the earliest
 * reservation start on each node), or NULL while there is none. */
const int64_t *bf_plan_deadlines(const bf_plan_t *p);

/* Find the earliest time job (limit limit_ms, INT64_MAX for none) could
 * start without overlapping a reservation, and reserve its nodes from
 * then for limit_ms. At most max_tries placements are tried. Returns 0
 * with *start_ms set, -EAGAIN (no start found), -ENOSPC (never fits) or
 * -ENOMEM. */
int bf_plan_reserve(bf_plan_t *p, hub_sched_t *s, const hub_sched_view_t *view,
                    const hub_job_t *job, int64_t limit_ms, uint32_t max_tries,
                    int64_t *start_ms);

/* a + b for times, saturating at INT64_MAX. */
static inline int64_t bf_time_add(int64_t a, int64_t b)
{
    return b >= INT64_MAX - a ? INT64_MAX : a + b;
}

#endif /* HUB_SCHED_BACKFILL_H */
