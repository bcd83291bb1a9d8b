/* hubsel_cost.c - hubsel/cost: send a job to the hub where it costs least.
 *
 * The score of hub h for a job, in PowerPrice currency units (lower is
 * better), is the sum of four weighted terms (CostWeight* in hub.conf;
 * all four 0 means 1, 1, 1, 1):
 *
 *   energy   = W_energy x kWh x PowerPrice(h)
 *              kWh = GPU power (W) x GPUs x hours x PUE(h) / 1000
 *   carbon   = W_carbon x kWh x CarbonIntensity(h) / 1000   (kg CO2)
 *   transfer = W_transfer x TransferCost(data hub, h) x COST_DATA_GB
 *              (0 with no --data-hub or when h holds the data)
 *   wait     = W_wait x expected wait in hours: 0 when h has the GPUs
 *              free now, else (GPUs pending on h + the job's) / GPUs of h
 *              x mean time limit of the pending jobs
 *
 * GPU power is the PowerW of the job's --gpu-type, else of the GpuType of
 * the hub's first GPU node, else COST_GPU_W; hours are the time limit
 * (COST_LIMIT_S without one). A CPU-only job scores only transfer and
 * wait. Hubs whose latency to the job's --region exceeds its
 * --latency-slo are left out (inference jobs set these). Hubs are ranked
 * cheapest first; placement tries them in that order, so a job never
 * spans hubs.
 *
 * Non-goals: learning real run times, data sizes or power draw; prices
 * that vary with time.
 * Built into libhubsched as hub_hubsel_cost_desc.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hubsel_util.h"
#include "plugins.h"

#define COST_GPU_W 300.0    /* a PCIe board, when no PowerW is known */
#define COST_DATA_GB 100.0  /* assumed data set a --data-hub job reads */
#define COST_LIMIT_S 3600.0 /* assumed duration with no time limit */

typedef struct cost_ctx {
    const hub_conf_t *conf;
    double w_energy, w_carbon, w_transfer, w_wait;
    double *gpu_w; /* per hub: power of one of its GPUs, W */
    double *gpus;  /* per hub: GPUs it has */
} cost_ctx_t;

static void cost_destroy(void *ctx)
{
    cost_ctx_t *c = ctx;

    if (!c)
        return;
    free(c->gpu_w);
    free(c->gpus);
    free(c);
}

static void set_weights(cost_ctx_t *c, const hub_conf_globals_t *g)
{
    c->w_energy = g->cost_weight_energy;
    c->w_carbon = g->cost_weight_carbon;
    c->w_transfer = g->cost_weight_transfer;
    c->w_wait = g->cost_weight_wait;
    if (c->w_energy + c->w_carbon + c->w_transfer + c->w_wait == 0)
        c->w_energy = c->w_carbon = c->w_transfer = c->w_wait = 1;
}

/* Per hub: the first GPU node's power and the GPU total. */
static void hub_gpus(cost_ctx_t *c, const hub_conf_t *conf)
{
    for (size_t h = 0; h < conf->nhubs; h++)
        c->gpu_w[h] = 0;
    for (size_t i = 0; i < conf->nnodes; i++) {
        const hub_conf_node_t *n = &conf->nodes[i];
        c->gpus[n->hub] += n->gpus;
        if (n->gpus && c->gpu_w[n->hub] == 0)
            c->gpu_w[n->hub] = n->gpu_type >= 0
                                   ? conf->gpu_types[n->gpu_type].power_w
                                   : COST_GPU_W;
    }
    for (size_t h = 0; h < conf->nhubs; h++)
        if (c->gpu_w[h] <= 0)
            c->gpu_w[h] = COST_GPU_W;
}

static int cost_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    cost_ctx_t *c = calloc(1, sizeof(*c));

    if (c) {
        c->gpu_w = calloc(conf->nhubs, sizeof(*c->gpu_w));
        c->gpus = calloc(conf->nhubs, sizeof(*c->gpus));
    }
    if (!c || !c->gpu_w || !c->gpus) {
        cost_destroy(c);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    c->conf = conf;
    set_weights(c, &conf->globals);
    hub_gpus(c, conf);
    *ctx = c;
    return 0;
}

static double job_gpu_w(const cost_ctx_t *c, const hub_job_t *job, size_t h)
{
    const hub_conf_gpu_type_t *t =
        job->req.gpu_type[0]
            ? hub_conf_find_gpu_type(c->conf, job->req.gpu_type)
            : NULL;
    return t && t->power_w > 0 ? t->power_w : c->gpu_w[h];
}

static double free_gpus(const hub_cluster_t *cl, size_t h)
{
    uint64_t milli = 0;

    for (uint32_t i = 0; i < cl->nnodes; i++)
        if (cl->nodes[i].hub == h && cl->nodes[i].state == 0)
            milli += cl->nodes[i].gpu_milli_free;
    return milli / (double)HUB_GPU_MILLI;
}

/* Expected wait on hub h, hours (see the file's header). */
static double wait_h(const cost_ctx_t *c, const hub_hubsel_view_t *v,
                     double gpus, size_t h)
{
    double total = c->gpus[h] > 0 ? c->gpus[h] : 1;
    double pending = v->pending_gpus ? v->pending_gpus[h] : 0;

    if (!v->cluster || free_gpus(v->cluster, h) >= gpus)
        return 0;
    return (pending + gpus) / total * v->mean_limit_s / 3600;
}

static double transfer_cost(const cost_ctx_t *c, const hub_job_t *job, size_t h)
{
    const hub_conf_link_t *l;

    if (!job->req.data_hub[0] ||
        strcmp(job->req.data_hub, c->conf->hubs[h].name) == 0)
        return 0;
    l = hub_conf_find_link(c->conf, job->req.data_hub, c->conf->hubs[h].name);
    return l ? l->transfer_cost * COST_DATA_GB : 0;
}

static void score_hub(const cost_ctx_t *c, const hub_hubsel_view_t *v,
                      const hub_job_t *job, size_t h, hub_hubsel_score_t *o)
{
    const hub_conf_hub_t *hub = &c->conf->hubs[h];
    double gpus = hub_req_gpus(&job->req);
    double hours = (job->req.time_limit_s > 0 ? (double)job->req.time_limit_s
                                              : COST_LIMIT_S) /
                   3600;
    double kwh = job_gpu_w(c, job, h) * gpus * hours * hub->pue / 1000;

    o->hub = (uint32_t)h;
    o->energy = c->w_energy * kwh * hub->power_price;
    o->carbon = c->w_carbon * kwh * hub->carbon_intensity / 1000;
    o->transfer = c->w_transfer * transfer_cost(c, job, h);
    o->wait = c->w_wait * wait_h(c, v, gpus, h);
    o->score = o->energy + o->carbon + o->transfer + o->wait;
}

static int cost_rank(void *ctx, const hub_hubsel_view_t *view,
                     const hub_job_t *job, hub_hubsel_score_t *out, bool *any)
{
    const cost_ctx_t *c = ctx;
    int n = 0;

    for (size_t h = 0; h < c->conf->nhubs; h++) {
        hub_hubsel_score_t s;
        int k = n;
        if (!hub_meets_slo(c->conf, h, &job->req))
            continue;
        score_hub(c, view, job, h, &s);
        /* insertion sort, stable: equal scores keep hub order */
        for (; k > 0 && out[k - 1].score > s.score; k--)
            out[k] = out[k - 1];
        out[k] = s;
        n++;
    }
    *any = false;
    return n;
}

static const hub_hubsel_ops_t cost_ops = {
    .create = cost_create,
    .destroy = cost_destroy,
    .rank = cost_rank,
};

const hub_plugin_desc_t hub_hubsel_cost_desc = HUB_PLUGIN_DESC_INIT(
    "hubsel", "cost", HUB_HUBSEL_ABI_MAJOR, HUB_HUBSEL_ABI_MINOR, cost_ops);
