/* fgd_dist.c - select/fgd: the task types of the workload, learnt from
 * the jobs the plugin is asked to place (each job counted once). */
#include "fgd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Jobs between rebuilds of the typical set once past the doubling
 * phase: a rebuild sorts at most FGD_MAX_SHAPES counts. */
#define FGD_REBUILD_EVERY 256

int fgd_dist_init(fgd_dist_t *d)
{
    memset(d, 0, sizeof(*d));
    d->shapes = calloc(FGD_MAX_SHAPES, sizeof(*d->shapes));
    d->count = calloc(FGD_MAX_SHAPES, sizeof(*d->count));
    d->id_cap = 1024;
    d->ids = calloc(d->id_cap, sizeof(*d->ids));
    if (!d->shapes || !d->count || !d->ids) {
        fgd_dist_fini(d);
        return -ENOMEM;
    }
    return 0;
}

void fgd_dist_fini(fgd_dist_t *d)
{
    free(d->shapes);
    free(d->count);
    free(d->ids);
    memset(d, 0, sizeof(*d));
}

static uint32_t id_slot(uint32_t id, uint32_t cap)
{
    return (id * 2654435761u) & (cap - 1);
}

static int ids_grow(fgd_dist_t *d)
{
    uint32_t cap = d->id_cap * 2, *v = calloc(cap, sizeof(*v));

    if (!v)
        return -ENOMEM;
    for (uint32_t i = 0; i < d->id_cap; i++) {
        uint32_t s;
        if (!d->ids[i])
            continue;
        for (s = id_slot(d->ids[i], cap); v[s]; s = (s + 1) & (cap - 1))
            ;
        v[s] = d->ids[i];
    }
    free(d->ids);
    d->ids = v;
    d->id_cap = cap;
    return 0;
}

/* Insert id; 1 when new, 0 when seen before, -ENOMEM. */
static int ids_insert(fgd_dist_t *d, uint32_t id)
{
    uint32_t s;

    if ((d->njobs + 1) * 2 > d->id_cap && ids_grow(d) < 0)
        return -ENOMEM;
    for (s = id_slot(id, d->id_cap); d->ids[s]; s = (s + 1) & (d->id_cap - 1))
        if (d->ids[s] == id)
            return 0;
    d->ids[s] = id;
    return 1;
}

static bool same_type(const fgd_type_t *a, const fgd_type_t *b)
{
    return a->cpus == b->cpus && a->mem_mb == b->mem_mb && a->gpus == b->gpus &&
           a->milli == b->milli;
}

int fgd_dist_observe(fgd_dist_t *d, hub_job_id_t id, const fgd_type_t *t)
{
    uint32_t i;
    int rc;

    if (id == HUB_JOB_ID_NONE)
        return 0;
    if ((rc = ids_insert(d, id)) <= 0)
        return rc;
    d->njobs++;
    for (i = 0; i < d->nshapes && !same_type(&d->shapes[i], t); i++)
        ;
    if (i == d->nshapes) {
        if (i == FGD_MAX_SHAPES)
            return 0;
        d->shapes[d->nshapes++] = *t;
    }
    d->count[i]++;
    return 0;
}

static bool rebuild_due(const fgd_dist_t *d)
{
    uint64_t n = d->njobs;

    if (n == d->rebuilt_at)
        return false;
    if (n <= FGD_REBUILD_EVERY)
        return (n & (n - 1)) == 0;
    return n - d->rebuilt_at >= FGD_REBUILD_EVERY;
}

/* Order shape indexes by count, most first (ties: first seen first). */
static int by_count(const void *pa, const void *pb, void *arg)
{
    const uint64_t *count = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    if (count[a] != count[b])
        return count[a] > count[b] ? -1 : 1;
    return a < b ? -1 : (a > b);
}

static void rebuild(fgd_dist_t *d)
{
    uint32_t order[FGD_MAX_SHAPES], n = 0;
    uint64_t covered = 0, total = 0;

    for (uint32_t i = 0; i < d->nshapes; i++) {
        order[i] = i;
        total += d->count[i];
    }
    qsort_r(order, d->nshapes, sizeof(*order), by_count, d->count);
    d->ntyp = 0;
    while (n < d->nshapes && n < FGD_MAX_TYPES &&
           covered < FGD_POPULAR * (double)total)
        covered += d->count[order[n++]];
    for (uint32_t k = 0; k < n; k++) {
        const fgd_type_t *t = &d->shapes[order[k]];
        if (t->gpus == 0)
            continue;
        d->typ[d->ntyp].t = *t;
        d->typ[d->ntyp++].p = d->count[order[k]] / (double)covered;
    }
    d->rebuilt_at = d->njobs;
    d->gen++;
}

const fgd_typical_t *fgd_dist_typical(fgd_dist_t *d, uint32_t *n)
{
    if (rebuild_due(d))
        rebuild(d);
    *n = d->ntyp;
    return d->typ;
}
