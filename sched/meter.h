/* meter.h - compute metering of a job for accounting (hacct): peak
 * PFLOP-hours, energy, CO2 and power cost of what it held for how long.
 */
#ifndef HUB_METER_H
#define HUB_METER_H

#include "conf.h"
#include "job.h"

/* Power of a GPU whose GpuType gives no PowerW: a 300 W PCIe board. */
#define HUB_METER_GPU_W 300.0
/* Power of one allocated CPU core: a 2020s server core at full load,
 * socket TDP / cores (~250 W / 24); counted for every job, so CPU-only
 * jobs have energy too. */
#define HUB_METER_CORE_W 10.0

typedef struct hub_meter {
    double
        pflop_hours;   /* sum over GPUs: peak BF16 TFLOP/s x share x h / 1000 */
    double energy_kwh; /* (GPU W x GPU-h + core W x core-h) x PUE / 1000 */
    double co2_kg;     /* kWh x CarbonIntensity / 1000 */
    double cost;       /* kWh x PowerPrice */
} hub_meter_t;

/* Meter job's allocation over [start_ms, end_ms) (or up to now_ms while
 * it runs) on conf's nodes, each at its own hub's PUE, price and carbon.
 * Zeros for a job that never started. */
void hub_meter_job(const hub_conf_t *conf, const hub_job_t *job, int64_t now_ms,
                   hub_meter_t *out);

#endif /* HUB_METER_H */
