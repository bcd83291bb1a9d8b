/* bf_whatif.c - sched/backfill: what-if clusters and their snapshots.
 *
 * A what-if cluster is a copy of the live cluster on which running jobs
 * end early (hub_cluster_give) to see what will be free at a later time.
 * Beside the nodes it keeps counts for a cheap necessary check
 * (bf_whatif_may_fit): free GPUs in total, nodes by whole free GPUs, idle
 * nodes, free CPUs. Counts cover the nodes not blocked by a reservation.
 *
 * Snapshots. Every reservation search would otherwise start from the live
 * cluster and replay every release up to the job's start: with 8,000
 * running jobs and 100 searches a pass, most of the pass. So the first
 * search of a pass replays all releases once and keeps a copy every
 * `stride` releases; a search skips the intervals between snapshots where
 * the check proves the job cannot start (bf_plan.c) and replays from the
 * snapshot before the first one where it might. A job started
 * later in the pass is taken on every snapshot it would still be running
 * at, so that snapshots stay what the pass would see.
 *
 * Memory: at most BF_SNAP_MAX snapshots and BF_SNAP_BYTES in all (32 x
 * 170 KB for 1,000 nodes; 4 for 10,000 nodes).
 */
#include "backfill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BF_SNAP_MAX 32
#define BF_SNAP_BYTES (16u << 20)
#define BF_SNAP_MIN_STRIDE 4 /* releases between snapshots, at least */

void bf_whatif_count(bf_whatif_t *w, uint32_t node, int sign)
{
    const hub_node_t *n = &w->c->nodes[node];
    uint32_t b = n->gpu_milli_free / HUB_GPU_MILLI;

    w->by_gpus[b > HUB_NODE_MAX_GPUS ? HUB_NODE_MAX_GPUS : b] += sign;
    w->idle_nodes += sign * (n->njobs == 0);
    w->gpu_milli_free += sign * (int64_t)n->gpu_milli_free;
    w->cpus_free += sign * (int64_t)n->cpus_free;
}

int bf_whatif_reset(bf_whatif_t *w, const hub_cluster_t *src)
{
    if (!w->c && !(w->c = hub_cluster_clone(src)))
        return -ENOMEM;
    hub_cluster_copy(w->c, src);
    memset(w->by_gpus, 0, sizeof(w->by_gpus));
    w->idle_nodes = 0;
    w->gpu_milli_free = w->cpus_free = 0;
    for (uint32_t i = 0; i < w->c->nnodes; i++)
        bf_whatif_count(w, i, 1);
    return 0;
}

int bf_whatif_copy(bf_whatif_t *dst, const bf_whatif_t *src)
{
    hub_cluster_t *c = dst->c;

    if (!c && !(c = hub_cluster_clone(src->c)))
        return -ENOMEM;
    hub_cluster_copy(c, src->c);
    *dst = *src;
    dst->c = c;
    return 0;
}

void bf_whatif_fini(bf_whatif_t *w)
{
    hub_cluster_destroy(w->c);
    memset(w, 0, sizeof(*w));
}

/* Give (sign 1) or take (-1) ev's allocation, keeping the counts of the
 * nodes nblk leaves unblocked (nblk NULL: none blocked). */
static void apply(bf_whatif_t *w, const uint32_t *nblk, const bf_event_t *ev,
                  int sign)
{
    const hub_alloc_t *a = &ev->alloc;

    for (uint32_t i = 0; i < a->nnodes; i++) {
        if (!nblk || !nblk[a->nodes[i].node])
            bf_whatif_count(w, a->nodes[i].node, -1);
    }
    if (sign > 0)
        hub_cluster_give(w->c, a, ev->exclusive);
    else
        hub_cluster_take(w->c, a, ev->exclusive);
    for (uint32_t i = 0; i < a->nnodes; i++) {
        if (!nblk || !nblk[a->nodes[i].node])
            bf_whatif_count(w, a->nodes[i].node, 1);
    }
}

void bf_whatif_release(bf_whatif_t *w, const uint32_t *nblk,
                       const bf_event_t *ev)
{
    apply(w, nblk, ev, 1);
}

bool bf_whatif_may_fit(const bf_whatif_t *w, const hub_select_demand_t *d)
{
    uint64_t node_milli = d->node_gpus * HUB_GPU_MILLI + d->node_gpu_frac;
    uint64_t gpus = node_milli * d->nodes_min + d->job_gpus * HUB_GPU_MILLI +
                    d->job_gpu_frac;
    uint32_t nodes = 0;

    if (w->gpu_milli_free < gpus ||
        w->cpus_free < (uint64_t)d->ntasks * d->cpus_per_task)
        return false;
    if (d->exclusive && w->idle_nodes < d->nodes_min)
        return false;
    for (uint32_t b = d->node_gpus; b <= HUB_NODE_MAX_GPUS; b++)
        nodes += w->by_gpus[b];
    return nodes >= d->nodes_min;
}

/* ---- snapshots ----------------------------------------------------------- */

/* A node in one byte, for bf_snaps_may_fit(): whole free GPUs (clamped
 * to HUB_NODE_MAX_GPUS) and SUM_IDLE when no job holds part of it. */
#define SUM_IDLE 0x80u
#define SUM_GPUS 0x1fu

static uint8_t node_sum(const hub_node_t *n)
{
    uint32_t b = n->gpu_milli_free / HUB_GPU_MILLI;

    b = b > HUB_NODE_MAX_GPUS ? HUB_NODE_MAX_GPUS : b;
    return (uint8_t)(b | (n->njobs == 0 ? SUM_IDLE : 0));
}

static void sum_all(bf_snaps_t *sn, uint32_t k)
{
    const hub_cluster_t *c = sn->v[k].c;
    uint8_t *row = sn->sum + (size_t)k * sn->nnodes;

    for (uint32_t i = 0; i < sn->nnodes; i++)
        row[i] = node_sum(&c->nodes[i]);
}

void bf_snaps_fini(bf_snaps_t *sn)
{
    for (uint32_t i = 0; i < sn->cap; i++)
        bf_whatif_fini(&sn->v[i]);
    free(sn->v);
    free(sn->t_ms);
    free(sn->sum);
    memset(sn, 0, sizeof(*sn));
}

static int snaps_grow(bf_snaps_t *sn, uint32_t n)
{
    bf_whatif_t *v;
    int64_t *t;

    if (n <= sn->cap)
        return 0;
    if (!(v = realloc(sn->v, n * sizeof(*v))))
        return -ENOMEM;
    sn->v = v;
    memset(v + sn->cap, 0, (n - sn->cap) * sizeof(*v));
    sn->cap = n;
    if (!(t = realloc(sn->t_ms, n * sizeof(*t))))
        return -ENOMEM;
    sn->t_ms = t;
    free(sn->sum);
    if (!(sn->sum = malloc((size_t)n * sn->nnodes)))
        return -ENOMEM;
    return 0;
}

/* How many snapshots to keep for nev releases on nnodes nodes. */
static uint32_t snaps_wanted(uint32_t nev, uint32_t nnodes)
{
    size_t per = (size_t)nnodes * sizeof(hub_node_t) + 1;
    size_t by_mem = BF_SNAP_BYTES / per;
    uint32_t n = nev / BF_SNAP_MIN_STRIDE + 1;

    if (n > BF_SNAP_MAX)
        n = BF_SNAP_MAX;
    return n < by_mem ? n : (by_mem ? (uint32_t)by_mem : 1);
}

int bf_snaps_build(bf_snaps_t *sn, const hub_cluster_t *live,
                   const bf_event_t *ev, uint32_t nev)
{
    uint32_t want = snaps_wanted(nev, live->nnodes);
    uint32_t stride = nev / want + 1, e = 0;

    sn->n = 0;
    if (sn->nnodes != live->nnodes) {
        bf_snaps_fini(sn);
        sn->nnodes = live->nnodes;
    }
    if (snaps_grow(sn, want) < 0 || bf_whatif_reset(&sn->v[0], live) < 0)
        return -ENOMEM;
    sn->t_ms[0] = INT64_MIN;
    sum_all(sn, 0);
    for (sn->n = 1; sn->n < want && e < nev; sn->n++) {
        bf_whatif_t *w = &sn->v[sn->n];
        uint32_t stop = e + stride < nev ? e + stride : nev;
        if (bf_whatif_copy(w, &sn->v[sn->n - 1]) < 0)
            return -ENOMEM;
        /* A snapshot ends after a whole group of equal times. */
        while (e < nev && (e < stop || ev[e].t_ms == ev[e - 1].t_ms))
            bf_whatif_release(w, NULL, &ev[e++]);
        sn->t_ms[sn->n] = ev[e - 1].t_ms;
        sum_all(sn, sn->n);
    }
    sn->valid = true;
    return 0;
}

void bf_snaps_started(bf_snaps_t *sn, const bf_event_t *ev)
{
    for (uint32_t k = 0; sn->valid && k < sn->n; k++) {
        uint8_t *row = sn->sum + (size_t)k * sn->nnodes;
        if (sn->t_ms[k] >= ev->t_ms)
            continue;
        apply(&sn->v[k], NULL, ev, -1);
        for (uint32_t i = 0; i < ev->alloc.nnodes; i++) {
            uint32_t node = ev->alloc.nodes[i].node;
            row[node] = node_sum(&sn->v[k].c->nodes[node]);
        }
    }
}

bool bf_snaps_may_fit(const bf_snaps_t *sn, uint32_t k,
                      const hub_select_demand_t *d, const uint32_t *skip,
                      uint32_t nskip)
{
    bf_whatif_t w = sn->v[k]; /* its counts; the cluster is not touched */
    const uint8_t *row = sn->sum + (size_t)k * sn->nnodes;

    for (uint32_t i = 0; i < nskip; i++) {
        uint8_t b = row[skip[i]];
        w.by_gpus[b & SUM_GPUS]--;
        w.idle_nodes -= (b & SUM_IDLE) != 0;
    }
    return bf_whatif_may_fit(&w, d);
}
