/* hubsel_util.h - helpers shared by hubsel plugins and hsim: how far a
 * hub is from a region, and how many GPUs a job asks for.
 */
#ifndef HUB_HUBSEL_UTIL_H
#define HUB_HUBSEL_UTIL_H

#include "conf.h"
#include "job.h"

/* One-way latency from hub (index into conf->hubs) to users in region, ms:
 * 0 when the hub itself is in region; else the lowest LatencyMs of a
 * HubLink from the hub to a hub in region; INFINITY when no link reaches
 * region. "" reaches every hub at 0. */
double hub_region_latency_ms(const hub_conf_t *conf, size_t hub,
                             const char *region);

/* True when the job's latency SLO (--latency-slo with --region) allows
 * hub; true when it gives no SLO or no region. */
bool hub_meets_slo(const hub_conf_t *conf, size_t hub,
                   const hub_job_req_t *req);

/* Whole GPUs the request asks for: --gpus, else --gpus-per-node times
 * its (minimum) node count. */
double hub_req_gpus(const hub_job_req_t *req);

#endif /* HUB_HUBSEL_UTIL_H */
