/* meter.c - compute metering of a job (meter.h). */
#include "meter.h"

#include <string.h>

static double job_hours(const hub_job_t *job, int64_t now_ms)
{
    int64_t end = job->end_ms >= job->start_ms ? job->end_ms : now_ms;

    if (job->start_ms <= 0 || end < job->start_ms)
        return 0;
    return (end - job->start_ms) / 3600e3;
}

static void meter_node(const hub_conf_t *conf, const hub_alloc_node_t *an,
                       double hours, hub_meter_t *out)
{
    const hub_conf_node_t *n = &conf->nodes[an->node];
    const hub_conf_hub_t *hub = &conf->hubs[n->hub];
    const hub_conf_gpu_type_t *t =
        n->gpu_type >= 0 ? &conf->gpu_types[n->gpu_type] : NULL;
    double gpu_w = t && t->power_w > 0 ? t->power_w : HUB_METER_GPU_W;
    double gpus = 0, kwh;

    for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
        gpus += an->gpu_milli[g] / (double)HUB_GPU_MILLI;
    out->pflop_hours += gpus * (t ? t->peak_tflops_bf16 : 0) * hours / 1000;
    kwh =
        (gpus * gpu_w + an->cpus * HUB_METER_CORE_W) * hours / 1000 * hub->pue;
    out->energy_kwh += kwh;
    out->co2_kg += kwh * hub->carbon_intensity / 1000;
    out->cost += kwh * hub->power_price;
}

void hub_meter_job(const hub_conf_t *conf, const hub_job_t *job, int64_t now_ms,
                   hub_meter_t *out)
{
    double hours = job_hours(job, now_ms);

    memset(out, 0, sizeof(*out));
    for (uint32_t i = 0; hours > 0 && i < job->alloc.nnodes; i++)
        if (job->alloc.nodes[i].node < conf->nnodes)
            meter_node(conf, &job->alloc.nodes[i], hours, out);
}
