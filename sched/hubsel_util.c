/* hubsel_util.c - hub-to-region latency and GPU counts (hubsel_util.h). */
#include "hubsel_util.h"

#include <math.h>
#include <string.h>

static bool in_region(const hub_conf_t *conf, size_t hub, const char *region)
{
    const char *r = conf->hubs[hub].region;
    return r && strcmp(r, region) == 0;
}

double hub_region_latency_ms(const hub_conf_t *conf, size_t hub,
                             const char *region)
{
    double best = INFINITY;

    if (!region[0] || in_region(conf, hub, region))
        return 0;
    for (size_t i = 0; i < conf->nlinks; i++) {
        const hub_conf_link_t *l = &conf->links[i];
        size_t other = l->a == hub ? l->b : l->a;
        if ((l->a == hub || l->b == hub) && in_region(conf, other, region) &&
            l->latency_ms < best)
            best = l->latency_ms;
    }
    return best;
}

bool hub_meets_slo(const hub_conf_t *conf, size_t hub, const hub_job_req_t *req)
{
    if (req->latency_slo_ms == 0 || !req->region[0])
        return true;
    return hub_region_latency_ms(conf, hub, req->region) <=
           (double)req->latency_slo_ms;
}

double hub_req_gpus(const hub_job_req_t *req)
{
    uint32_t nodes = req->nodes_min ? req->nodes_min : 1;

    if (req->gpus_milli)
        return req->gpus_milli / (double)HUB_GPU_MILLI;
    return (double)req->gpus_per_node_milli * nodes / HUB_GPU_MILLI;
}
