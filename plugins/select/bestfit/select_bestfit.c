/* select_bestfit.c - select/bestfit: pack jobs so that large blocks stay free.
 *
 * The rule. A job lies inside one hub (spanning hubs is not supported yet).
 * It gets as few nodes as satisfy it; among the placements with that many
 * nodes, the one leaving the least free behind wins, compared in this order
 * (fit_key_t):
 *   1. a fraction of a GPU goes on a partly used GPU rather than a fresh one;
 *   2. for a fractional job, the least capacity left on that GPU, then the
 *      fewest idle GPUs left on the node; for a job of whole GPUs the
 *      other way round (the node with the fewest free GPUs that fits);
 *   3. the fewest free milli-GPUs, then CPUs, then MB left on the node;
 *   4. the lower node weight (hub.conf Weight=), then the lower index.
 * A CPU-only job thus prefers nodes without idle GPUs. An exclusive job
 * compares what it leaves unused of a whole node, so it takes the smallest
 * free node that fits.
 *
 * One node: every open candidate is checked in O(1)-ish (CPU, memory, idle
 * GPUs, and a scan of at most 16 GPUs for a fraction); the best key wins;
 * nothing is allocated unless it fits. Several nodes: each open candidate
 * that can hold the per-node part (one task, --gpus-per-node, --mem) is
 * recorded with how many tasks and job GPUs it could add; hubs whose totals
 * cannot cover the job are dropped without sorting; in each remaining hub
 * nodes are sorted by capacity (most first, then best key), the fewest that
 * cover the job are taken, and the last one is swapped for the best-fitting
 * node that still covers the remainder. The hub needing the fewest nodes,
 * then leaving the fewest idle GPUs and CPUs on them, wins. Scratch space
 * lives in the plugin's context, so a failing place() allocates nothing.
 *
 * When nothing fits now, the same checks run on the candidates as if they
 * were all free (stopping at the first success) to tell -EAGAIN from
 * -ENOSPC.
 *
 * Non-goals: switch topology (select/topo), spanning hubs, preemption.
 * Not thread-safe: one context serves one scheduler thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "select_util.h"

/* How good a placement on one node is; smaller is better. */
typedef struct fit_key {
    uint64_t packed; /* rules 1-3 up to CPUs, see make_key() */
    uint64_t mem_mb; /* memory left free */
    int weight;
    uint32_t idx;
} fit_key_t;

/* What one node gives the job. */
typedef struct amount {
    uint32_t tasks;
    uint32_t whole; /* wholly free GPUs */
    uint32_t frac;  /* milli-GPUs on one more GPU, < HUB_GPU_MILLI */
} amount_t;

/* A node that can hold the per-node part of a multi-node job. */
typedef struct node_fit {
    uint32_t node;
    uint32_t hub;
    uint32_t cap_tasks; /* tasks it can take, >= 1 */
    uint32_t cap_gpus;  /* whole GPUs it can add toward job_gpus */
    fit_key_t key;      /* for its per-node part */
} node_fit_t;

/* One hub's totals over its fitting nodes. */
typedef struct hub_stat {
    uint32_t count;
    uint64_t tasks, gpus;         /* sums of the capacities */
    uint32_t max_tasks, max_gpus; /* largest single capacities */
} hub_stat_t;

/* A multi-node plan for one hub: how good it is. */
typedef struct plan {
    uint32_t nnodes;
    uint64_t idle_left; /* idle GPUs left on its nodes */
    uint64_t cpus_left;
} plan_t;

typedef struct bestfit {
    node_fit_t *fits;   /* every fitting candidate */
    node_fit_t *hubfit; /* those of one hub, sorted */
    amount_t *amounts;  /* what each chosen node gives */
    uint32_t cap_nodes;
    hub_stat_t *hubs;
    uint32_t cap_hubs;
} bestfit_t;

/* ---- scratch ------------------------------------------------------------- */

static int grow(void **p, size_t n, size_t size)
{
    void *q = realloc(*p, n * size);

    if (!q)
        return -ENOMEM;
    *p = q;
    return 0;
}

static int reserve(bestfit_t *bf, uint32_t nnodes, uint32_t nhubs)
{
    if (nnodes > bf->cap_nodes) {
        if (grow((void **)&bf->fits, nnodes, sizeof(*bf->fits)) < 0 ||
            grow((void **)&bf->hubfit, nnodes, sizeof(*bf->hubfit)) < 0 ||
            grow((void **)&bf->amounts, nnodes, sizeof(*bf->amounts)) < 0)
            return -ENOMEM;
        bf->cap_nodes = nnodes;
    }
    if (nhubs > bf->cap_hubs) {
        if (grow((void **)&bf->hubs, nhubs, sizeof(*bf->hubs)) < 0)
            return -ENOMEM;
        bf->cap_hubs = nhubs;
    }
    return 0;
}

static void bf_destroy(void *ctx)
{
    bestfit_t *bf = ctx;

    if (!bf)
        return;
    free(bf->fits);
    free(bf->hubfit);
    free(bf->amounts);
    free(bf->hubs);
    free(bf);
}

static int bf_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    bestfit_t *bf = calloc(1, sizeof(*bf));

    if (!bf || reserve(bf, conf->nnodes ? (uint32_t)conf->nnodes : 1,
                       conf->nhubs ? (uint32_t)conf->nhubs : 1) < 0) {
        bf_destroy(bf);
        return hub_errorf(err, ENOMEM, "select/bestfit: out of memory");
    }
    *ctx = bf;
    return 0;
}

/* ---- one node ------------------------------------------------------------ */

/* n as it would be with nothing running on it. */
static void as_free(const hub_node_t *n, hub_node_t *f)
{
    *f = *n;
    f->state = 0;
    f->exclusive = false;
    f->njobs = 0;
    f->cpus_free = n->cpus;
    f->mem_free_mb = n->mem_mb;
    f->gpus_idle = n->ngpus;
    f->gpu_milli_free = n->ngpus * HUB_GPU_MILLI;
    for (uint32_t g = 0; g < n->ngpus; g++)
        f->gpu_free_milli[g] = HUB_GPU_MILLI;
}

static uint64_t clamp(uint64_t v, unsigned bits)
{
    uint64_t max = (UINT64_C(1) << bits) - 1;
    return v < max ? v : max;
}

/* broke: 1 bit | g1: 11 | g2: 11 | GPU milli left: 15 | CPUs left: 26. */
static void make_key(const hub_node_t *n, const amount_t *a, uint64_t cpus,
                     uint64_t mem_mb, int frac_left, fit_key_t *key)
{
    uint64_t broke = frac_left >= 0 ? 0 : 1;
    uint64_t left =
        a->frac ? (uint64_t)(frac_left >= 0 ? frac_left
                                            : HUB_GPU_MILLI - (int)a->frac)
                : 0;
    uint64_t idle = n->gpus_idle - a->whole - broke;
    uint64_t g1 = a->whole == 0 && a->frac ? left : idle;
    uint64_t g2 = a->whole == 0 && a->frac ? idle : left;
    uint64_t gpu = n->gpu_milli_free - a->whole * HUB_GPU_MILLI - a->frac;

    key->packed = broke << 63 | clamp(g1, 11) << 52 | clamp(g2, 11) << 41 |
                  clamp(gpu, 15) << 26 | clamp(n->cpus_free - cpus, 26);
    key->mem_mb = n->mem_free_mb - mem_mb;
    key->weight = n->conf ? n->conf->weight : 0;
    key->idx = n->idx;
}

static bool key_less(const fit_key_t *a, const fit_key_t *b)
{
    if (a->packed != b->packed)
        return a->packed < b->packed;
    if (a->mem_mb != b->mem_mb)
        return a->mem_mb < b->mem_mb;
    if (a->weight != b->weight)
        return a->weight < b->weight;
    return a->idx < b->idx;
}

/* The cheap part of node_fits(), inlined into the scans so that a busy
 * node costs a few compares: open, enough CPUs, memory and idle GPUs. */
static inline bool node_may_fit(const hub_place_req_t *pr, const hub_node_t *n,
                                uint64_t cpus, uint64_t mem_mb, uint32_t whole)
{
    return cpus <= n->cpus_free && mem_mb <= n->mem_free_mb &&
           whole <= n->gpus_idle && hub_select_node_open(pr, n);
}

/* True when n (open, checked by the caller) can give a now; fills key. */
static bool node_fits(const hub_node_t *n, const hub_select_demand_t *d,
                      const amount_t *a, fit_key_t *key)
{
    int frac_left;

    if (!hub_select_node_gives(n, d, a->tasks, a->whole, a->frac, &frac_left))
        return false;
    make_key(n, a, (uint64_t)a->tasks * d->cpus_per_task, d->mem_mb, frac_left,
             key);
    return true;
}

/* Fill one allocation entry for a on n (which fits). */
static int fill_node(const hub_node_t *n, const hub_select_demand_t *d,
                     const amount_t *a, hub_alloc_node_t *an)
{
    memset(an, 0, sizeof(*an));
    an->node = n->idx;
    if (!d->exclusive) {
        an->cpus = a->tasks * d->cpus_per_task;
        an->mem_mb = d->mem_mb;
        return hub_select_pick_gpus(n, a->whole, a->frac, an->gpu_milli);
    }
    an->cpus = n->cpus;
    an->mem_mb = n->mem_mb;
    for (uint32_t g = 0; g < n->ngpus; g++)
        an->gpu_milli[g] = HUB_GPU_MILLI;
    return 0;
}

static int alloc_nodes(hub_alloc_t *out, uint32_t nnodes)
{
    out->nodes = calloc(nnodes, sizeof(*out->nodes));
    if (!out->nodes)
        return -ENOMEM;
    out->nnodes = nnodes;
    return 0;
}

/* ---- the whole job on one node ------------------------------------------- */

static amount_t single_amount(const hub_select_demand_t *d)
{
    amount_t a = {
        .tasks = d->ntasks,
        .whole = d->node_gpus + d->job_gpus,
        .frac = d->node_gpu_frac ? d->node_gpu_frac : d->job_gpu_frac,
    };
    return a;
}

/* Index into cluster nodes of the best single node, or -1. */
static long best_single(const hub_place_req_t *pr, const hub_select_demand_t *d)
{
    amount_t a = single_amount(d);
    uint64_t cpus = (uint64_t)a.tasks * d->cpus_per_task;
    fit_key_t key, best = {0};
    long found = -1;

    for (uint32_t i = 0; i < pr->ncand; i++) {
        const hub_node_t *n = &pr->cluster->nodes[pr->cand[i]];
        if (!node_may_fit(pr, n, cpus, d->mem_mb, a.whole) ||
            !node_fits(n, d, &a, &key))
            continue;
        if (found < 0 || key_less(&key, &best)) {
            best = key;
            found = (long)n->idx;
        }
    }
    return found;
}

static int place_single(const hub_place_req_t *pr, const hub_select_demand_t *d,
                        uint32_t node, hub_alloc_t *out)
{
    amount_t a = single_amount(d);
    hub_alloc_t tmp;
    int rc = alloc_nodes(&tmp, 1);

    if (rc < 0)
        return rc;
    rc = fill_node(&pr->cluster->nodes[node], d, &a, &tmp.nodes[0]);
    if (rc < 0) {
        free(tmp.nodes);
        return rc;
    }
    *out = tmp;
    return 0;
}

/* ---- several nodes ------------------------------------------------------- */

static uint32_t min_u32(uint64_t a, uint64_t b)
{
    return (uint32_t)(a < b ? a : b);
}

/* Record what n adds to a job of at least nmin nodes; false when n cannot
 * hold the per-node part. */
static bool node_caps(const hub_node_t *n, const hub_select_demand_t *d,
                      uint32_t nmin, node_fit_t *f)
{
    amount_t a = {1, d->node_gpus, d->node_gpu_frac};
    uint32_t useful = d->ntasks > nmin - 1 ? d->ntasks - (nmin - 1) : 1;
    uint32_t tasks, broke;

    if (!node_fits(n, d, &a, &f->key))
        return false;
    tasks = n->cpus_free / d->cpus_per_task;
    if (d->tasks_per_node && tasks > d->tasks_per_node)
        tasks = d->tasks_per_node;
    broke = (uint32_t)(f->key.packed >> 63);
    f->node = n->idx;
    f->hub = n->hub;
    f->cap_tasks = min_u32(tasks, useful);
    f->cap_gpus = min_u32(n->gpus_idle - d->node_gpus - broke, d->job_gpus);
    return true;
}

static void stat_add(hub_stat_t *h, const node_fit_t *f)
{
    h->count++;
    h->tasks += f->cap_tasks;
    h->gpus += f->cap_gpus;
    if (f->cap_tasks > h->max_tasks)
        h->max_tasks = f->cap_tasks;
    if (f->cap_gpus > h->max_gpus)
        h->max_gpus = f->cap_gpus;
}

/* Whether a hub's totals could cover the job with nmin..nmax nodes (a
 * necessary condition; the plan decides). */
static bool stat_covers(const hub_stat_t *h, const hub_select_demand_t *d,
                        uint32_t nmin)
{
    uint64_t most = h->count < d->nodes_max ? h->count : d->nodes_max;

    if (h->count < nmin || h->tasks < d->ntasks || h->gpus < d->job_gpus)
        return false;
    return most * h->max_tasks >= d->ntasks &&
           most * h->max_gpus >= d->job_gpus;
}

/* Fill bf->fits with the open candidates that hold the per-node part and
 * bf->hubs with their totals; returns how many. */
static uint32_t collect(bestfit_t *bf, const hub_place_req_t *pr,
                        const hub_select_demand_t *d, uint32_t nmin)
{
    uint32_t nfits = 0;

    memset(bf->hubs, 0, bf->cap_hubs * sizeof(*bf->hubs));
    for (uint32_t i = 0; i < pr->ncand; i++) {
        const hub_node_t *n = &pr->cluster->nodes[pr->cand[i]];
        node_fit_t *f = &bf->fits[nfits];
        if (!node_may_fit(pr, n, d->cpus_per_task, d->mem_mb, d->node_gpus) ||
            !node_caps(n, d, nmin, f))
            continue;
        stat_add(&bf->hubs[f->hub], f);
        nfits++;
    }
    return nfits;
}

/* Most job GPUs, then most tasks, then best key first (cap_gpus is 0
 * everywhere when the job asks for no GPUs over the job). */
static int by_capacity(const void *pa, const void *pb)
{
    const node_fit_t *a = pa, *b = pb;

    if (a->cap_gpus != b->cap_gpus)
        return a->cap_gpus > b->cap_gpus ? -1 : 1;
    if (a->cap_tasks != b->cap_tasks)
        return a->cap_tasks > b->cap_tasks ? -1 : 1;
    return key_less(&a->key, &b->key) ? -1 : key_less(&b->key, &a->key);
}

static uint32_t gather_hub(bestfit_t *bf, uint32_t nfits, uint32_t hub)
{
    uint32_t nh = 0;

    for (uint32_t i = 0; i < nfits; i++) {
        if (bf->fits[i].hub == hub)
            bf->hubfit[nh++] = bf->fits[i];
    }
    qsort(bf->hubfit, nh, sizeof(*bf->hubfit), by_capacity);
    return nh;
}

/* Swap into slot last the best-fitting node at or after it that still
 * covers need_tasks and need_gpus. */
static void refine_last(node_fit_t *f, uint32_t nh, uint32_t last,
                        uint32_t need_tasks, uint32_t need_gpus)
{
    uint32_t best = last;

    for (uint32_t j = last + 1; j < nh; j++) {
        if (f[j].cap_tasks < need_tasks || f[j].cap_gpus < need_gpus)
            continue;
        if (f[j].cap_gpus < f[best].cap_gpus ||
            (f[j].cap_gpus == f[best].cap_gpus &&
             (f[j].cap_tasks < f[best].cap_tasks ||
              (f[j].cap_tasks == f[best].cap_tasks &&
               key_less(&f[j].key, &f[best].key)))))
            best = j;
    }
    node_fit_t tmp = f[last];
    f[last] = f[best];
    f[best] = tmp;
}

/* Choose the first nodes of the sorted f for the job; 0 or -EAGAIN. */
static int plan_hub(node_fit_t *f, uint32_t nh, const hub_select_demand_t *d,
                    uint32_t nmin, uint32_t *nnodes)
{
    uint64_t tasks = 0, gpus = 0;
    uint32_t k = 0;

    while (k < nh && k < d->nodes_max &&
           (k < nmin || tasks < d->ntasks || gpus < d->job_gpus)) {
        tasks += f[k].cap_tasks;
        gpus += f[k].cap_gpus;
        k++;
    }
    if (k < nmin || tasks < d->ntasks || gpus < d->job_gpus)
        return -EAGAIN;
    tasks -= f[k - 1].cap_tasks;
    gpus -= f[k - 1].cap_gpus;
    refine_last(f, nh, k - 1,
                d->ntasks > tasks ? (uint32_t)(d->ntasks - tasks) : 1,
                d->job_gpus > gpus ? (uint32_t)(d->job_gpus - gpus) : 0);
    *nnodes = k;
    return 0;
}

/* Split the job's tasks and GPUs over the k chosen nodes, in order. */
static void split(const node_fit_t *f, uint32_t k, const hub_select_demand_t *d,
                  amount_t *a)
{
    uint32_t tasks = d->ntasks > k ? d->ntasks : k, gpus = d->job_gpus;

    for (uint32_t i = 0; i < k; i++) {
        uint32_t t = min_u32(f[i].cap_tasks, tasks - (k - 1 - i));
        uint32_t g = min_u32(f[i].cap_gpus, gpus);
        a[i] = (amount_t){t, d->node_gpus + g, d->node_gpu_frac};
        tasks -= t;
        gpus -= g;
    }
}

/* Move to the front a chosen node that can also hold the job's single
 * GPU fraction (--gpus below one GPU on several nodes). */
static int front_fraction(const hub_cluster_t *c, node_fit_t *f, uint32_t k,
                          const hub_select_demand_t *d, amount_t *a)
{
    fit_key_t key;

    if (d->job_gpu_frac == 0)
        return 0;
    for (uint32_t i = 0; i < k; i++) {
        amount_t with = a[i];
        with.frac = d->job_gpu_frac;
        if (!node_fits(&c->nodes[f[i].node], d, &with, &key))
            continue;
        node_fit_t tf = f[0];
        amount_t ta = a[0];
        f[0] = f[i];
        f[i] = tf;
        a[0] = with;
        a[i] = ta;
        return 0;
    }
    return -EAGAIN;
}

static void plan_score(const hub_cluster_t *c, const node_fit_t *f, uint32_t k,
                       const hub_select_demand_t *d, const amount_t *a,
                       plan_t *p)
{
    p->nnodes = k;
    p->idle_left = p->cpus_left = 0;
    for (uint32_t i = 0; i < k; i++) {
        const hub_node_t *n = &c->nodes[f[i].node];
        uint64_t cpus = (uint64_t)a[i].tasks * d->cpus_per_task;
        p->idle_left += n->gpus_idle - a[i].whole;
        p->cpus_left += d->exclusive ? 0 : n->cpus_free - cpus;
    }
}

static bool plan_better(const plan_t *a, const plan_t *b)
{
    if (a->nnodes != b->nnodes)
        return a->nnodes < b->nnodes;
    if (a->idle_left != b->idle_left)
        return a->idle_left < b->idle_left;
    return a->cpus_left < b->cpus_left;
}

/* Plan the job in hub: bf->hubfit[0..k) with bf->amounts. */
static int plan_in_hub(bestfit_t *bf, const hub_place_req_t *pr,
                       const hub_select_demand_t *d, uint32_t nmin,
                       uint32_t nfits, uint32_t hub, uint32_t *k)
{
    uint32_t nh = gather_hub(bf, nfits, hub);
    int rc = plan_hub(bf->hubfit, nh, d, nmin, k);

    if (rc < 0)
        return rc;
    split(bf->hubfit, *k, d, bf->amounts);
    return front_fraction(pr->cluster, bf->hubfit, *k, d, bf->amounts);
}

/* The hub with the best plan, or -1. */
static long best_hub(bestfit_t *bf, const hub_place_req_t *pr,
                     const hub_select_demand_t *d, uint32_t nmin,
                     uint32_t nfits, uint32_t nhubs)
{
    plan_t best = {0}, p;
    long found = -1;
    uint32_t k;

    for (uint32_t h = 0; h < nhubs; h++) {
        if (!stat_covers(&bf->hubs[h], d, nmin) ||
            plan_in_hub(bf, pr, d, nmin, nfits, h, &k) < 0)
            continue;
        plan_score(pr->cluster, bf->hubfit, k, d, bf->amounts, &p);
        if (found < 0 || plan_better(&p, &best)) {
            best = p;
            found = h;
        }
    }
    return found;
}

static int build_multi(bestfit_t *bf, const hub_place_req_t *pr,
                       const hub_select_demand_t *d, uint32_t k,
                       hub_alloc_t *out)
{
    hub_alloc_t tmp;
    int rc = alloc_nodes(&tmp, k);

    for (uint32_t i = 0; rc == 0 && i < k; i++)
        rc = fill_node(&pr->cluster->nodes[bf->hubfit[i].node], d,
                       &bf->amounts[i], &tmp.nodes[i]);
    if (rc < 0) {
        free(tmp.nodes);
        return rc;
    }
    *out = tmp;
    return 0;
}

static int place_multi(bestfit_t *bf, const hub_place_req_t *pr,
                       const hub_select_demand_t *d, uint32_t nmin,
                       uint32_t nhubs, hub_alloc_t *out)
{
    uint32_t nfits = collect(bf, pr, d, nmin), k;
    long hub = best_hub(bf, pr, d, nmin, nfits, nhubs);

    if (hub < 0)
        return -EAGAIN;
    /* planned once already in best_hub(); the same again */
    plan_in_hub(bf, pr, d, nmin, nfits, (uint32_t)hub, &k);
    return build_multi(bf, pr, d, k, out);
}

/* ---- never or not now ---------------------------------------------------- */

/* Least node count of the multi-node search. */
static uint32_t multi_min(const hub_select_demand_t *d)
{
    return d->nodes_min > 1 ? d->nodes_min : 2;
}

/* Whether the job could run on the candidates if all were free. Stops at
 * the first proof; says yes where unsure (-EAGAIN is the safe answer). */
static bool ever_fits(bestfit_t *bf, const hub_place_req_t *pr,
                      const hub_select_demand_t *d)
{
    amount_t a = single_amount(d);
    uint32_t nmin = multi_min(d);
    hub_node_t free_node;
    node_fit_t f;

    for (uint32_t i = 0; hub_select_one_node(d) && i < pr->ncand; i++) {
        as_free(&pr->cluster->nodes[pr->cand[i]], &free_node);
        if (node_fits(&free_node, d, &a, &f.key))
            return true;
    }
    if (d->nodes_max < nmin)
        return false;
    memset(bf->hubs, 0, bf->cap_hubs * sizeof(*bf->hubs));
    for (uint32_t i = 0; i < pr->ncand; i++) {
        as_free(&pr->cluster->nodes[pr->cand[i]], &free_node);
        if (!node_caps(&free_node, d, nmin, &f))
            continue;
        stat_add(&bf->hubs[f.hub], &f);
        if (stat_covers(&bf->hubs[f.hub], d, nmin))
            return true;
    }
    return false;
}

/* ---- the op -------------------------------------------------------------- */

static int bf_place(void *ctx, const hub_place_req_t *pr, hub_alloc_t *out)
{
    bestfit_t *bf = ctx;
    const hub_cluster_t *c = pr->cluster;
    uint32_t nhubs = c->conf && c->conf->nhubs ? (uint32_t)c->conf->nhubs : 1;
    hub_select_demand_t d;
    int rc;

    hub_select_demand(&pr->job->req, &d);
    rc = reserve(bf, c->nnodes, nhubs);
    if (rc < 0)
        return rc;
    if (hub_select_one_node(&d)) {
        long node = best_single(pr, &d);
        if (node >= 0)
            return place_single(pr, &d, (uint32_t)node, out);
    }
    if (d.nodes_max >= multi_min(&d)) {
        rc = place_multi(bf, pr, &d, multi_min(&d), nhubs, out);
        if (rc != -EAGAIN)
            return rc;
    }
    return ever_fits(bf, pr, &d) ? -EAGAIN : -ENOSPC;
}

static const hub_select_ops_t ops = {
    .create = bf_create,
    .destroy = bf_destroy,
    .place = bf_place,
};

const hub_plugin_desc_t hub_select_bestfit_desc = HUB_PLUGIN_DESC_INIT(
    "select", "bestfit", HUB_SELECT_ABI_MAJOR, HUB_SELECT_ABI_MINOR, ops);
