/* bench_sched_pass.c - how long does one scheduling pass take with
 * backfill, 10,000 pending jobs on 1,000 nodes x 8 GPUs (issue target:
 * <= 50 ms median)? The same state is also passed to sched/fifo, whose
 * strict order is the cheap baseline.
 *
 * The cluster is first filled by a pass over "running" jobs of mixed
 * shapes (1-8 GPUs, whole nodes, multi-node); then the pending mix is
 * added and one pass is timed. Before timing, the pass's result is
 * checked: no node holds more than it has, every started job got what it
 * asked for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hubsched_all.h"

#define BENCH "sched_pass"

static int64_t clock_ms = 1700000000000LL;
static const hub_clock_t vclock = {hub_clock_virtual_now, &clock_ms};

static char *make_conf(int nnodes, const char *sched)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    fprintf(f,
            "ClusterName=bench\nSchedulerType=sched/%s\n"
            "SelectType=select/bestfit\nPriorityType=priority/basic\n"
            "GpuType=h100 PeakTFLOPS_BF16=989.4 PowerW=700\n"
            "HubName=west Region=west\n"
            "NodeName=n[1-%d] Hub=west CPUs=96 RealMemory=1000000 "
            "Gres=gpu:h100:8\n"
            "PartitionName=gpu Nodes=ALL Default=YES MaxTime=7-00:00:00\n",
            sched, nnodes);
    fclose(f);
    return text;
}

/* A job of a realistic mixed shape: mostly 1-8 GPUs on one node, some
 * 2-16 whole nodes; time limits 1 h to 2 days. */
static void make_job(hub_job_t *job, hub_job_id_t id, unsigned *seed)
{
    static const uint32_t gpus[] = {1, 1, 1, 2, 2, 4, 8, 8};
    int r = rand_r(seed) % 100;

    memset(job, 0, sizeof(*job));
    job->id = id;
    job->uid = 1000 + rand_r(seed) % 50;
    job->array_task_id = -1;
    snprintf(job->req.partition, sizeof(job->req.partition), "gpu");
    job->req.ntasks = 1;
    job->req.nodes_min = 1;
    if (r < 10) {
        job->req.nodes_min = 2 + rand_r(seed) % 15;
        job->req.ntasks = job->req.nodes_min;
        job->req.ntasks_per_node = 1;
        job->req.gpus_per_node_milli = 8 * HUB_GPU_MILLI;
    } else {
        job->req.gpus_per_node_milli = gpus[rand_r(seed) % 8] * HUB_GPU_MILLI;
    }
    job->req.cpus_per_task = 4;
    job->req.time_limit_s = 3600 * (1 + rand_r(seed) % 48);
    job->submit_ms = clock_ms - rand_r(seed) % 3600000;
    job->state = HUB_JOB_PENDING;
    hub_job_req_defaults(&job->req);
}

static void add_jobs(hub_sched_t *s, hub_job_id_t first, int n, unsigned *seed)
{
    hub_error_t err;
    hub_job_t job;

    for (int i = 0; i < n; i++) {
        make_job(&job, first + i, seed);
        if (!hub_sched_add(s, &job, &err))
            hub_bench_fail(BENCH, "add job: %s", err.text);
    }
}

static int check_job(hub_job_t *job, void *arg)
{
    uint32_t *gpus_used = arg;
    uint32_t got = 0;

    if (job->state != HUB_JOB_RUNNING)
        return 0;
    for (uint32_t i = 0; i < job->alloc.nnodes; i++) {
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            got += job->alloc.nodes[i].gpu_milli[g];
    }
    if (got != job->req.gpus_per_node_milli * job->alloc.nnodes ||
        job->alloc.nnodes < job->req.nodes_min)
        hub_bench_fail(BENCH, "job %u got %u milli-GPUs on %u nodes", job->id,
                       got, job->alloc.nnodes);
    *gpus_used += got;
    return 0;
}

/* Every running job has what it asked for, and the cluster's free
 * counts add up to what the jobs hold. */
static void check_state(hub_sched_t *s)
{
    hub_cluster_t *c = hub_sched_cluster(s);
    uint32_t used = 0, free_milli = 0;

    hub_sched_foreach(s, check_job, &used);
    for (uint32_t i = 0; i < c->nnodes; i++)
        free_milli += c->nodes[i].gpu_milli_free;
    if (used + free_milli != c->nnodes * 8 * HUB_GPU_MILLI)
        hub_bench_fail(BENCH, "GPUs used %u + free %u != total", used,
                       free_milli);
}

/* Build a busy cluster with npending jobs waiting; time one pass. */
static double one_pass(hub_conf_t *conf, int npending, unsigned seed,
                       int *started)
{
    hub_sched_opts_t opts = {.clock = &vclock, .nodes_up = true};
    hub_error_t err;
    hub_sched_t *s = hub_sched_create(conf, &opts, &err);
    hub_pass_stats_t st;
    double t0, t1;

    if (!s)
        hub_bench_fail(BENCH, "scheduler: %s", err.text);
    add_jobs(s, 1, conf->nnodes * 2, &seed);
    hub_sched_pass(s, NULL);
    clock_ms += 60000;
    add_jobs(s, 1000000, npending, &seed);
    t0 = hub_bench_now();
    *started = hub_sched_pass(s, &st);
    t1 = hub_bench_now();
    check_state(s);
    hub_sched_destroy(s);
    return (t1 - t0) * 1e3;
}

static void measure(const char *sched, int nnodes, int npending, int reps,
                    hub_bench_stats_t *out)
{
    char *text = make_conf(nnodes, sched);
    hub_error_t err;
    hub_conf_t *conf = hub_conf_parse_string(text, "bench.conf", &err);
    double samples[HUB_BENCH_MAX_SAMPLES];
    int started;

    if (!conf)
        hub_bench_fail(BENCH, "config: %s", err.text);
    for (int r = 0; r < reps; r++)
        samples[r] = one_pass(conf, npending, 42 + r, &started);
    hub_bench_summarise(samples, reps, out);
    hub_conf_destroy(conf);
    free(text);
}

int main(int argc, char **argv)
{
    bool smoke;
    int nnodes, npending, reps;
    char name[96];
    hub_bench_case_t c = {.bench = BENCH,
                          .unit = "ms",
                          .target = 50,
                          .has_baseline = true,
                          .baseline_name = "sched/fifo"};

    hub_bench_init(argc, argv);
    smoke = hub_bench_smoke();
    nnodes = smoke ? 50 : 1000;
    npending = smoke ? 500 : 10000;
    reps = hub_bench_repeats(11);
    snprintf(name, sizeof(name), "backfill, %d pending, %d nodes x 8 GPUs",
             npending, nnodes);
    c.name = name;
    if (smoke)
        c.target = 0;
    measure("backfill", nnodes, npending, reps, &c.stats);
    measure("fifo", nnodes, npending, reps, &c.baseline);
    hub_bench_report(&c);
    return 0;
}
