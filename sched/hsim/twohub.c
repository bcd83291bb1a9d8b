/* twohub.c - hsim's two-hub scenario: where should AI jobs go when one
 * hub is cheap and green and the other is close to the users?
 *
 * west: a training hub, 16 nodes of 8 H100, PUE 1.15, 0.30 per kWh,
 *       320 gCO2/kWh.
 * east: an inference hub, 8 nodes of 8 H100, PUE 1.40, 0.75 per kWh,
 *       580 gCO2/kWh; the users are in region east.
 * One partition holds both, so the hub is the scheduler's choice; a
 * 30 ms link joins them.
 *
 * Jobs, half each: train (80 % one node of 8 GPUs, 20 % two nodes; run
 * log-uniform 30 min - 6 h; limit the run x 1.5 rounded up to the hour)
 * and infer (one GPU; run log-uniform 5-60 min; limit 1 h; region east;
 * latency SLO 50 ms, which the link meets, or for a quarter of them 20 ms,
 * which only east meets). Poisson arrivals offer 60 % of the GPUs.
 * splitmix64 from seed, so one seed gives one trace.
 */
#include "hsim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define TWO_GPUS 8   /* per node */
#define TWO_NODES 24 /* 16 west + 8 east */
#define TWO_LOAD 0.6 /* offered share of the GPU-seconds */
#define TRAIN_RUN_MIN_S 1800.0
#define TRAIN_RUN_MAX_S 21600.0
#define INFER_RUN_MIN_S 300.0
#define INFER_RUN_MAX_S 3600.0

static const char twohub_conf[] =
    "GpuType=h100 PeakTFLOPS_BF16=989.4 PowerW=700 MemoryGB=80\n"
    "HubName=west Region=west PUE=1.15 PowerPrice=0.30 CarbonIntensity=320\n"
    "HubName=east Region=east PUE=1.40 PowerPrice=0.75 CarbonIntensity=580\n"
    "HubLink=west,east LatencyMs=30 BandwidthGbps=100 TransferCost=0.02\n"
    "NodeName=w[1-16] Hub=west CPUs=96 RealMemory=1000000 Gres=gpu:h100:8\n"
    "NodeName=e[1-8] Hub=east CPUs=96 RealMemory=1000000 Gres=gpu:h100:8\n"
    "PartitionName=all Nodes=ALL Default=YES MaxTime=UNLIMITED\n";

static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double uniform(uint64_t *s)
{
    return ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double log_uniform(double lo, double hi, uint64_t *s)
{
    return lo * pow(hi / lo, uniform(s));
}

/* Mean GPU-seconds of a job of the mix (log-uniform mean (b-a)/ln(b/a)). */
static double mean_gpu_s(void)
{
    double train = (TRAIN_RUN_MAX_S - TRAIN_RUN_MIN_S) /
                   log(TRAIN_RUN_MAX_S / TRAIN_RUN_MIN_S);
    double infer = (INFER_RUN_MAX_S - INFER_RUN_MIN_S) /
                   log(INFER_RUN_MAX_S / INFER_RUN_MIN_S);

    return 0.5 * (0.8 * 8 + 0.2 * 16) * train + 0.5 * infer;
}

static void make_train(hsim_job_t *j, uint64_t *s)
{
    double run = log_uniform(TRAIN_RUN_MIN_S, TRAIN_RUN_MAX_S, s);

    j->kind = HUB_KIND_TRAIN;
    j->nodes = uniform(s) < 0.8 ? 1 : 2;
    j->ntasks = j->nodes;
    j->cpus_per_task = 48;
    j->gpus_milli = TWO_GPUS * HUB_GPU_MILLI;
    j->run_s = (int64_t)run;
    j->limit_s = (int64_t)ceil(run * 1.5 / 3600) * 3600;
}

static void make_infer(hsim_job_t *j, uint64_t *s)
{
    j->kind = HUB_KIND_INFER;
    j->nodes = 1;
    j->ntasks = 1;
    j->cpus_per_task = 4;
    j->gpus_milli = HUB_GPU_MILLI;
    j->run_s = (int64_t)log_uniform(INFER_RUN_MIN_S, INFER_RUN_MAX_S, s);
    j->limit_s = 3600;
    snprintf(j->region, sizeof(j->region), "east");
    j->latency_slo_ms = uniform(s) < 0.25 ? 20 : 50;
}

int hsim_twohub(uint32_t njobs, uint64_t seed, hsim_trace_t *tr,
                hub_error_t *err)
{
    double rate = TWO_LOAD * TWO_NODES * TWO_GPUS / mean_gpu_s(), t = 0;
    uint64_t s = seed;

    if (njobs == 0)
        return hub_errorf(err, EINVAL, "--scenario twohub: no jobs");
    snprintf(tr->name, sizeof(tr->name), "twohub-%uj", njobs);
    tr->default_policies = "local,cost";
    for (uint32_t i = 0; i < njobs; i++) {
        hsim_job_t *j = hsim_trace_add(tr);
        if (!j)
            return hub_errorf(err, ENOMEM, "out of memory");
        if (uniform(&s) < 0.5)
            make_train(j, &s);
        else
            make_infer(j, &s);
        j->id = i + 1;
        j->submit_s = (int64_t)t;
        j->uid = 1000 + (uint32_t)(uniform(&s) * 50);
        t += -log(uniform(&s)) / rate;
    }
    if (!(tr->conf = strdup(twohub_conf)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}
