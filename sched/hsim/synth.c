/* synth.c - a synthetic workload for hsim's scale run: njobs jobs on
 * nnodes nodes of 8 GPUs (96 CPUs, 1 TB), split over two hubs.
 *
 * The mix, meant to look like an AI centre's queue: 30 % 1-GPU jobs,
 * 15 % 2 GPUs, 15 % 4, 20 % 8 (a node), 10 % half a GPU, 10 % 2-16 whole
 * nodes. Run times are log-uniform from 1 minute to 24 hours; the time
 * limit is the run time times 1-3, rounded up to 1, 2, 4, 8, 24 or 48
 * hours as users pick them. Arrivals are Poisson at the rate that offers
 * 90 % of the cluster's GPU-seconds. The generator is splitmix64, so one
 * seed gives one trace.
 */
#include "hsim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SYN_GPUS 8
#define SYN_LOAD 0.9
#define SYN_RUN_MIN_S 60.0
#define SYN_RUN_MAX_S 86400.0

/* Shapes: share (%), nodes (0: 2-16), GPU milli per node, CPUs, MB. */
static const struct {
    int pct;
    uint32_t nodes, milli, cpus;
    uint64_t mem_mb;
} mix[] = {
    {30, 1, 1000, 12, 100000}, {15, 1, 2000, 24, 200000},
    {15, 1, 4000, 48, 400000}, {20, 1, 8000, 96, 900000},
    {10, 1, 500, 4, 50000},    {10, 0, 8000, 96, 900000},
};

static const int64_t limits_h[] = {1, 2, 4, 8, 24, 48};

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

/* Mean GPU-seconds a job of the mix asks for. */
static double mean_gpu_s(void)
{
    double gpus = 0;
    double run =
        (SYN_RUN_MAX_S - SYN_RUN_MIN_S) / log(SYN_RUN_MAX_S / SYN_RUN_MIN_S);

    for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
        gpus += mix[i].pct / 100.0 * (mix[i].nodes ? mix[i].nodes : 9) *
                mix[i].milli / HUB_GPU_MILLI;
    return gpus * run;
}

static void make_job(hsim_job_t *j, uint32_t id, int64_t submit, uint64_t *s)
{
    int r = (int)(uniform(s) * 100), k = 0;
    double run = SYN_RUN_MIN_S * pow(SYN_RUN_MAX_S / SYN_RUN_MIN_S, uniform(s));
    double want = run * (1 + 2 * uniform(s));
    size_t l = 0;

    while (r >= mix[k].pct) {
        r -= mix[k].pct;
        k++;
    }
    while (l + 1 < sizeof(limits_h) / sizeof(limits_h[0]) &&
           limits_h[l] * 3600 < want)
        l++;
    j->id = id;
    j->submit_s = submit;
    j->run_s = (int64_t)run;
    j->limit_s = limits_h[l] * 3600;
    j->nodes = mix[k].nodes ? mix[k].nodes : 2 + (uint32_t)(uniform(s) * 15);
    j->ntasks = j->nodes;
    j->cpus_per_task = mix[k].cpus;
    j->mem_mb = mix[k].mem_mb;
    j->gpus_milli = mix[k].milli;
    j->uid = 1000 + (uint32_t)(uniform(s) * 200);
}

/* Two hubs of half the nodes each (nnodes >= 16). */
static int make_conf(hsim_trace_t *tr, uint32_t nnodes, hub_error_t *err)
{
    uint32_t west = nnodes / 2;

    if (asprintf(&tr->conf,
                 "GpuType=h100 PeakTFLOPS_BF16=989.4 PowerW=700 MemoryGB=80\n"
                 "HubName=west PUE=1.15 PowerPrice=0.05 CarbonIntensity=300\n"
                 "HubName=east PUE=1.40 PowerPrice=0.12 CarbonIntensity=600\n"
                 "NodeName=w[1-%u] Hub=west CPUs=96 RealMemory=1000000 "
                 "Gres=gpu:h100:%d\n"
                 "NodeName=e[1-%u] Hub=east CPUs=96 RealMemory=1000000 "
                 "Gres=gpu:h100:%d\n"
                 "PartitionName=gpu Nodes=ALL Default=YES MaxTime=UNLIMITED\n",
                 west, SYN_GPUS, nnodes - west, SYN_GPUS) < 0)
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

int hsim_synth(uint32_t njobs, uint32_t nnodes, uint64_t seed, hsim_trace_t *tr,
               hub_error_t *err)
{
    double rate = SYN_LOAD * nnodes * SYN_GPUS / mean_gpu_s(), t = 0;
    uint64_t s = seed;

    if (njobs == 0 || nnodes < 16)
        return hub_errorf(err, EINVAL,
                          "--synthetic: at least 1 job and 16 "
                          "nodes (multi-node jobs take up to 16)");
    snprintf(tr->name, sizeof(tr->name), "synthetic-%uj-%un", njobs, nnodes);
    tr->default_policies = "backfill";
    for (uint32_t i = 0; i < njobs; i++) {
        hsim_job_t *j = hsim_trace_add(tr);
        if (!j)
            return hub_errorf(err, ENOMEM, "out of memory");
        make_job(j, i + 1, (int64_t)t, &s);
        t += -log(uniform(&s)) / rate;
    }
    return make_conf(tr, nnodes, err);
}
