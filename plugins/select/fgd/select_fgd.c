/* select_fgd.c - select/fgd: Fragmentation Gradient Descent (FGD, Weng et
 * al., USENIX ATC'23): place each job where it makes the expected GPU
 * fragmentation of the cluster grow least.
 *
 * The measure. For a node and a task type m (CPUs, memory, k GPUs with at
 * least u free milli-GPUs each), the node's fragment for m is
 *   - every free milli-GPU of the node when m cannot run there (too few
 *     CPUs or memory, or fewer than k GPUs with u free): nothing of it
 *     can serve m;
 *   - otherwise the free milli-GPUs of the GPUs with less than u free.
 * The node's fragmentation is the expectation over the workload's task
 * types, F(node) = sum_m p_m * fragment(node, m). The job goes to the
 * (node, GPU) whose placement makes F grow least, F(after) - F(before);
 * ties go to the node left fullest (least free GPU, then CPUs), then to
 * the lower index. The original counts CPU and GPU only; memory is added
 * here because hubsched enforces it. CPU-only types add the same amount
 * whatever the node (all free GPUs are fragments to them) and are left
 * out of the sum.
 *
 * The distribution. p_m is learnt from the jobs the plugin is asked to
 * place, each job id counted once (fgd_dist.c): the most frequent types
 * (FGD's "typical pods"; here all of them, at most 64: fgd.h says why),
 * rebuilt as counts grow. A workload that starts with jobs unlike the rest pays
 * for it only while the cluster is empty, where placement matters least.
 *
 * The arithmetic per node: for each type, the GPUs with u or more free
 * and the free milli-GPUs of the others, computed once (types x GPUs);
 * each candidate GPU for a fraction then changes one GPU and costs O(1)
 * per type. Whole GPUs are idle ones, whichever they are, so they have
 * one candidate, chosen for NVLink by hub_select_pick_gpus().
 *
 * Those counts and F before the placement are kept per node between calls
 * (node_memo_t) and reused while the node's free CPUs, memory and GPUs
 * and the typical set are unchanged: a placement changes one node, so a
 * call recomputes few. The placements are the same as without the memo
 * (Alibaba inflation, 130 %, seed 42: 95.356 % either way).
 *
 * The stranding term (select/fgdx; weight 0 for select/fgd). FGD looks
 * one task ahead: a node of 8 free GPUs and 12 free CPUs fits every 1-GPU type
 * of 12 CPUs or fewer, so none of its GPUs count, though one such task strands
 * the other 7. With weight w > 0 the fragment of a type m that fits adds
 * w times the node's usable free GPU (not already a fragment) times the
 * share of m's slots that its CPUs or memory cannot feed: slots are the
 * tasks of m the GPUs alone hold (sum over GPUs of free / u for a
 * fraction, idle GPUs / k for k whole GPUs), fed the tasks the free CPUs
 * and memory hold, at most slots.
 *
 * Jobs that need several nodes, exclusive jobs, and the answer for a job
 * no single node holds now (-EAGAIN or -ENOSPC) are select/bestfit's (its
 * ops run on a context of their own): FGD is defined for one-node tasks.
 * Not thread-safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fgd.h"
#include "plugins.h"
#include "select_util.h"

extern const hub_plugin_desc_t hub_select_bestfit_desc;

/* A node's per-type counts for the typical set (dist.gen) and the state
 * they were computed on. */
typedef struct node_memo {
    uint64_t gen; /* dist.gen + 1 when valid, 0 never computed */
    uint64_t cpus_free, mem_free_mb;
    uint32_t ngpus;
    uint16_t gpu_free_milli[HUB_NODE_MAX_GPUS];
    uint32_t cnt[FGD_MAX_TYPES];   /* GPUs with >= milli free */
    uint32_t lt[FGD_MAX_TYPES];    /* free milli on the other GPUs */
    uint32_t slots[FGD_MAX_TYPES]; /* tasks of the type the GPUs hold */
    double before;                 /* F of that state */
} node_memo_t;

typedef struct fgd {
    fgd_dist_t dist;
    double cpu_weight; /* the stranding term's; 0: FGD */
    node_memo_t *memo; /* per node index, nmemo of them */
    uint32_t nmemo;
    const hub_select_ops_t *bestfit; /* for what this plugin leaves */
    void *bestfit_ctx;
} fgd_t;

/* The job on its one node: a type with a fraction or whole GPUs. */
typedef struct shape {
    fgd_type_t t;
    uint32_t whole; /* idle GPUs taken */
    uint32_t frac;  /* milli-GPUs on one GPU, < HUB_GPU_MILLI; 0 none */
} shape_t;

/* A node with the per-type counts F is computed from. */
typedef struct node_view {
    const hub_node_t *n;
    const node_memo_t *c; /* its counts */
    double w;             /* the stranding term's weight */
} node_view_t;

/* How good one placement is; smaller is better. */
typedef struct score {
    double delta; /* F(after) - F(before) */
    uint64_t gpu_left, cpu_left;
    uint32_t idx;
} score_t;

void fgd_destroy(void *ctx)
{
    fgd_t *f = ctx;

    if (!f)
        return;
    if (f->bestfit_ctx)
        f->bestfit->destroy(f->bestfit_ctx);
    fgd_dist_fini(&f->dist);
    free(f->memo);
    free(f);
}

int fgd_create_weighted(void **ctx, const hub_conf_t *conf, double cpu_weight,
                        hub_error_t *err)
{
    fgd_t *f = calloc(1, sizeof(*f));

    if (!f || fgd_dist_init(&f->dist) < 0) {
        free(f);
        return hub_errorf(err, ENOMEM, "select/fgd: out of memory");
    }
    f->cpu_weight = cpu_weight;
    f->bestfit = hub_select_bestfit_desc.ops;
    if (f->bestfit->create(&f->bestfit_ctx, conf, err) < 0) {
        fgd_destroy(f);
        return -ENOMEM;
    }
    *ctx = f;
    return 0;
}

static int fgd_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    return fgd_create_weighted(ctx, conf, 0, err);
}

/* The shape of d on one node, or false when d needs more than one. */
static bool single_shape(const hub_select_demand_t *d, shape_t *sh)
{
    if (d->exclusive || d->nodes_min > 1 ||
        (d->tasks_per_node && d->ntasks > d->tasks_per_node))
        return false;
    sh->t.cpus = (uint64_t)d->ntasks * d->cpus_per_task;
    sh->t.mem_mb = d->mem_mb;
    sh->whole = d->node_gpus + d->job_gpus;
    sh->frac = d->node_gpu_frac ? d->node_gpu_frac : d->job_gpu_frac;
    sh->t.gpus = sh->whole + (sh->frac ? 1 : 0);
    sh->t.milli = sh->frac ? sh->frac : (sh->whole ? HUB_GPU_MILLI : 0);
    return true;
}

static bool fits(const hub_place_req_t *pr, const hub_node_t *n,
                 const shape_t *sh)
{
    if (!hub_select_node_open(pr, n) || sh->t.cpus > n->cpus_free ||
        sh->t.mem_mb > n->mem_free_mb || sh->whole > n->gpus_idle)
        return false;
    if (sh->frac == 0 || n->gpus_idle > sh->whole)
        return true;
    return hub_select_frac_slot(n, sh->frac) >= 0;
}

static double frag_after(const node_view_t *v, const fgd_typical_t *ty,
                         uint32_t nty, const shape_t *sh, int64_t a,
                         int64_t take);

static bool memo_valid(const node_memo_t *c, const hub_node_t *n, uint64_t gen)
{
    return c->gen == gen + 1 && c->cpus_free == n->cpus_free &&
           c->mem_free_mb == n->mem_free_mb && c->ngpus == n->ngpus &&
           memcmp(c->gpu_free_milli, n->gpu_free_milli,
                  n->ngpus * sizeof(n->gpu_free_milli[0])) == 0;
}

/* The view of n, from its memo when still valid. */
static void view_node(fgd_t *f, const hub_node_t *n, const fgd_typical_t *ty,
                      uint32_t nty, node_view_t *v)
{
    node_memo_t *c = &f->memo[n->idx];

    v->n = n;
    v->c = c;
    v->w = f->cpu_weight;
    if (memo_valid(c, n, f->dist.gen))
        return;
    for (uint32_t m = 0; m < nty; m++) {
        uint32_t u = ty[m].t.milli, cnt = 0, lt = 0, slots = 0;
        for (uint32_t g = 0; g < n->ngpus; g++) {
            uint32_t fr = n->gpu_free_milli[g];
            slots += fr / u;
            if (fr >= u)
                cnt++;
            else
                lt += fr;
        }
        c->cnt[m] = cnt;
        c->lt[m] = lt;
        c->slots[m] = u == HUB_GPU_MILLI ? cnt / ty[m].t.gpus : slots;
    }
    c->cpus_free = n->cpus_free;
    c->mem_free_mb = n->mem_free_mb;
    c->ngpus = n->ngpus;
    memcpy(c->gpu_free_milli, n->gpu_free_milli,
           n->ngpus * sizeof(n->gpu_free_milli[0]));
    c->gen = f->dist.gen + 1;
    c->before = frag_after(v, ty, nty, &(shape_t){0}, 0, 0);
}

/* The share of slots tasks of t that the free CPUs and memory cannot
 * feed, in [0, 1]. */
static double unfed(const fgd_type_t *t, int64_t slots, uint64_t cpus,
                    uint64_t mem)
{
    int64_t fed = slots;

    if (slots <= 0)
        return 0;
    if (t->cpus && (int64_t)(cpus / t->cpus) < fed)
        fed = (int64_t)(cpus / t->cpus);
    if (t->mem_mb && (int64_t)(mem / t->mem_mb) < fed)
        fed = (int64_t)(mem / t->mem_mb);
    return (double)(slots - fed) / (double)slots;
}

/* F of the node in view v after taking the shape's CPUs, memory and
 * whole idle GPUs, and take milli-GPUs of a GPU that had a free (take 0:
 * no fraction). */
static double frag_after(const node_view_t *v, const fgd_typical_t *ty,
                         uint32_t nty, const shape_t *sh, int64_t a,
                         int64_t take)
{
    const hub_node_t *n = v->n;
    uint64_t cpus = n->cpus_free - sh->t.cpus;
    uint64_t mem = n->mem_free_mb - sh->t.mem_mb;
    int64_t total =
        (int64_t)n->gpu_milli_free - take - (int64_t)sh->whole * HUB_GPU_MILLI;
    double f = 0;

    for (uint32_t m = 0; m < nty; m++) {
        const fgd_type_t *t = &ty[m].t;
        int64_t u = t->milli, cnt = (int64_t)v->c->cnt[m] - sh->whole;
        int64_t lt = v->c->lt[m];
        if (take) {
            cnt += (a - take >= u) - (a >= u);
            lt += (a - take < u ? a - take : 0) - (a < u ? a : 0);
        }
        bool ok = t->cpus <= cpus && t->mem_mb <= mem && cnt >= t->gpus;
        double frag = (double)(ok ? lt : total);
        if (ok && v->w > 0) {
            int64_t slots;
            if (u == HUB_GPU_MILLI) {
                slots = cnt / t->gpus;
            } else {
                slots = (int64_t)v->c->slots[m] -
                        (int64_t)sh->whole * (HUB_GPU_MILLI / u);
                if (take)
                    slots += (a - take) / u - a / u;
            }
            frag += v->w * (double)(total - lt) * unfed(t, slots, cpus, mem);
        }
        f += ty[m].p * frag;
    }
    return f;
}

static bool score_less(const score_t *a, const score_t *b)
{
    if (a->delta < b->delta - 1e-9 || a->delta > b->delta + 1e-9)
        return a->delta < b->delta;
    if (a->gpu_left != b->gpu_left)
        return a->gpu_left < b->gpu_left;
    if (a->cpu_left != b->cpu_left)
        return a->cpu_left < b->cpu_left;
    return a->idx < b->idx;
}

/* The best GPU on n for the fraction (-1: whole GPUs only) and its
 * score. */
static int best_on_node(const node_view_t *v, const fgd_typical_t *ty,
                        uint32_t nty, const shape_t *sh, score_t *best)
{
    const hub_node_t *n = v->n;
    double before = v->c->before;
    score_t s = {0, n->gpu_milli_free - sh->whole * HUB_GPU_MILLI - sh->frac,
                 n->cpus_free - sh->t.cpus, n->idx};
    int gpu = -1;

    if (sh->frac == 0) {
        s.delta = frag_after(v, ty, nty, sh, 0, 0) - before;
        *best = s;
        return -1;
    }
    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint32_t a = n->gpu_free_milli[g];
        bool seen = false;
        if (a < sh->frac || (a == HUB_GPU_MILLI && n->gpus_idle <= sh->whole))
            continue;
        for (uint32_t h = 0; h < g && !seen; h++)
            seen = n->gpu_free_milli[h] == a;
        if (seen)
            continue;
        s.delta = frag_after(v, ty, nty, sh, a, sh->frac) - before;
        if (gpu < 0 || score_less(&s, best)) {
            *best = s;
            gpu = (int)g;
        }
    }
    return gpu;
}

/* The allocation of sh on n, with the fraction on GPU gpu. */
static int build(const hub_node_t *n, const shape_t *sh, int gpu,
                 hub_alloc_t *out)
{
    hub_alloc_node_t *an = calloc(1, sizeof(*an));
    int rc;

    if (!an)
        return -ENOMEM;
    an->node = n->idx;
    an->cpus = (uint32_t)sh->t.cpus;
    an->mem_mb = sh->t.mem_mb;
    rc = hub_select_pick_gpus(n, sh->whole, 0, an->gpu_milli);
    if (rc < 0) {
        free(an);
        return rc;
    }
    if (gpu >= 0)
        an->gpu_milli[gpu] = (uint16_t)sh->frac;
    out->nodes = an;
    out->nnodes = 1;
    return 0;
}

/* Memos for every node of the cluster; 0 or -ENOMEM. */
static int memo_size(fgd_t *f, uint32_t nnodes)
{
    node_memo_t *m;

    if (nnodes <= f->nmemo)
        return 0;
    if (!(m = calloc(nnodes, sizeof(*m))))
        return -ENOMEM;
    free(f->memo);
    f->memo = m;
    f->nmemo = nnodes;
    return 0;
}

int fgd_place(void *ctx, const hub_place_req_t *pr, hub_alloc_t *out)
{
    fgd_t *f = ctx;
    const fgd_typical_t *ty;
    const hub_node_t *chosen = NULL;
    hub_select_demand_t d;
    score_t best = {0}, s;
    node_view_t v;
    uint32_t nty;
    int gpu = -1;
    shape_t sh;

    hub_select_demand(&pr->job->req, &d);
    if (!single_shape(&d, &sh))
        return f->bestfit->place(f->bestfit_ctx, pr, out);
    if (fgd_dist_observe(&f->dist, pr->job->id, &sh.t) < 0 ||
        memo_size(f, pr->cluster->nnodes) < 0)
        return -ENOMEM;
    ty = fgd_dist_typical(&f->dist, &nty);
    for (uint32_t i = 0; i < pr->ncand; i++) {
        const hub_node_t *n = &pr->cluster->nodes[pr->cand[i]];
        if (!fits(pr, n, &sh))
            continue;
        view_node(f, n, ty, nty, &v);
        int g = best_on_node(&v, ty, nty, &sh, &s);
        if (!chosen || score_less(&s, &best)) {
            best = s;
            chosen = n;
            gpu = g;
        }
    }
    if (!chosen)
        return f->bestfit->place(f->bestfit_ctx, pr, out);
    return build(chosen, &sh, gpu, out);
}

static const hub_select_ops_t ops = {
    .create = fgd_create,
    .destroy = fgd_destroy,
    .place = fgd_place,
};

const hub_plugin_desc_t hub_select_fgd_desc = HUB_PLUGIN_DESC_INIT(
    "select", "fgd", HUB_SELECT_ABI_MAJOR, HUB_SELECT_ABI_MINOR, ops);
