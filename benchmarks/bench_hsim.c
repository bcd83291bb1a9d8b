/* bench_hsim.c - does hsim replay 100,000 jobs on 10,000 nodes x 8 GPUs
 * within 60 s of one core, with scheduling passes at p99 <= 50 ms and a
 * peak RSS <= 2 GiB (issue #8)? And what GPU allocation do select/random,
 * select/bestfit, select/fgd and select/topo reach when Alibaba v2023 tasks
 * inflate to 130 % of the cluster's GPUs, beside the best published policy
 * (FGD, Weng et al., USENIX ATC'23)?
 *
 * Before anything is timed, a five-job trace whose EASY schedule is known
 * by hand is replayed and every start checked. The scale run is hsim's
 * synthetic workload (synth.c) under sched/backfill + select/bestfit with
 * a pass at every event time that leaves a job pending (no minimum pass
 * interval: the most demanding setting); one repeat (it is long),
 * CPU time taken with getrusage so that other load on the machine does not
 * count. The inflation runs need ../shared/data/alibaba-gpu-v2023 (or
 * HUB_ALIBABA_DIR) and are left out without it. --smoke: 2,000 jobs on
 * 100 nodes, inflation to 30 % of the GPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hsim.h"

#define BENCH "hsim"

/* Published allocation at 130 % arrived, default trace, mean of the ten
 * seeds 42-51 of the FGD artifact (experiments/analysis/expected_results/
 * analysis_allo_discrete.csv of hkust-adsl/kubernetes-scheduler-simulator);
 * fgdx is held to FGD's, the best published policy for that trace.
 * benchmarks/hsim_inflation_seeds.sh runs all ten seeds. */
static const struct {
    const char *policy;
    double published_pct;
} inflate_cases[] = {
    {"random", 0}, /* no published figure */
    {"bestfit", 93.08}, {"fgd", 95.39},
    {"fgdx", 95.39}, /* the best published */
    {"topo", 0},
};

/* The five jobs of tests/unit/test_hsim_replay.c: submit, procs, run,
 * limit; EASY starts them at 0, 100, 10, 150, 40. */
static void check_easy(void)
{
    static const int64_t jobs[5][4] = {{0, 2, 150, 100},
                                       {0, 4, 50, 50},
                                       {10, 1, 20, 20},
                                       {20, 2, 200, 200},
                                       {40, 1, 50, 60}};
    static const double want[5] = {0, 100, 10, 150, 40};
    hsim_trace_t tr;
    hsim_policy_t p;
    hsim_metrics_t m;
    hub_error_t err;

    hsim_trace_init(&tr);
    tr.conf = strdup("NodeName=n[1-4] CPUs=1\n"
                     "PartitionName=p Nodes=ALL Default=YES\n");
    for (uint32_t i = 0; i < 5; i++) {
        hsim_job_t *j = hsim_trace_add(&tr);
        if (!j || !tr.conf)
            hub_bench_fail(BENCH, "out of memory");
        *j = (hsim_job_t){.id = i + 1,
                          .submit_s = jobs[i][0],
                          .ntasks = (uint32_t)jobs[i][1],
                          .cpus_per_task = 1,
                          .run_s = jobs[i][2],
                          .limit_s = jobs[i][3]};
    }
    if (hsim_policy_parse("easy", &p, &err) < 0 ||
        hsim_run(&tr, &p, 0, &m, &err) < 0)
        hub_bench_fail(BENCH, "replay: %s", err.text);
    for (int i = 0; i < 5; i++)
        if (m.start_s[i] != want[i])
            hub_bench_fail(BENCH, "EASY started job %d at %g, not %g", i + 1,
                           m.start_s[i], want[i]);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void one_value(hub_bench_case_t *c, double v)
{
    double s[1] = {v};
    hub_bench_summarise(s, 1, &c->stats);
}

static void scale_run(bool smoke)
{
    uint32_t njobs = smoke ? 2000 : 100000, nnodes = smoke ? 100 : 10000;
    char name[96];
    hsim_trace_t tr;
    hsim_policy_t p;
    hsim_metrics_t m;
    hub_error_t err;
    hub_bench_case_t c = {.bench = BENCH, .name = name};

    hsim_trace_init(&tr);
    if (hsim_synth(njobs, nnodes, 42, &tr, &err) < 0 ||
        hsim_policy_parse("backfill", &p, &err) < 0 ||
        hsim_run(&tr, &p, 0, &m, &err) < 0)
        hub_bench_fail(BENCH, "scale run: %s", err.text);
    if (m.done + m.rejected != njobs)
        hub_bench_fail(BENCH, "%zu of %u jobs ended", m.done, njobs);
    snprintf(name, sizeof(name), "replay %u jobs, %u nodes x 8 GPUs, CPU s",
             njobs, nnodes);
    c.unit = "s";
    c.target = smoke ? 0 : 60;
    one_value(&c, m.cpu_s);
    hub_bench_report(&c);
    snprintf(name, sizeof(name), "pass p99, %u jobs, %u nodes", njobs, nnodes);
    c.unit = "ms";
    c.target = 50;
    one_value(&c, hsim_metrics_pass_ms(&m, 99));
    hub_bench_report(&c);
    snprintf(name, sizeof(name), "peak RSS, %u jobs, %u nodes", njobs, nnodes);
    c.unit = "MiB";
    c.target = 2048;
    one_value(&c, m.max_rss_kb / 1024.0);
    hub_bench_report(&c);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static const char *alibaba_dir(void)
{
    static char dir[4096];
    const char *env = getenv("HUB_ALIBABA_DIR");
    const char *src = getenv("HUB_SRCDIR");

    if (env)
        return env;
    snprintf(dir, sizeof(dir), "%s/../shared/data/alibaba-gpu-v2023",
             src ? src : ".");
    return dir;
}

static void inflate_case(const hsim_trace_t *tr, const uint32_t *order,
                         size_t n, double pct, int k)
{
    char name[96];
    hsim_policy_t p;
    hsim_inflate_t r;
    hub_error_t err;
    hub_bench_case_t c = {
        .bench = BENCH, .name = name, .unit = "%", .higher_better = true};

    if (hsim_policy_parse(inflate_cases[k].policy, &p, &err) < 0 ||
        hsim_inflate_run(tr, &p, order, n, &r, &err) < 0)
        hub_bench_fail(BENCH, "inflation: %s", err.text);
    if (r.placed + r.failed != n || hsim_inflate_at(&r, 2) > 1.0 + 1e-9)
        hub_bench_fail(BENCH, "%s: %zu placed + %zu failed of %zu", p.label,
                       r.placed, r.failed, n);
    snprintf(name, sizeof(name), "alibaba v2023 inflation %g%%, %s, GPU alloc",
             pct, p.label);
    one_value(&c, 100 * hsim_inflate_at(&r, pct / 100));
    if (inflate_cases[k].published_pct > 0 && pct == 130) {
        c.has_baseline = true;
        c.baseline_name = "FGD paper, seeds 42-51";
        double b[1] = {inflate_cases[k].published_pct};
        hub_bench_summarise(b, 1, &c.baseline);
    }
    hub_bench_report(&c);
    hsim_inflate_fini(&r);
}

static void inflation(bool smoke)
{
    char nodes[4200], pods[4200];
    double pct = smoke ? 30 : 130;
    uint32_t *order = NULL;
    size_t n = 0;
    hsim_trace_t tr;
    hub_error_t err;

    snprintf(nodes, sizeof(nodes), "%s/openb_node_list_gpu_node.csv",
             alibaba_dir());
    snprintf(pods, sizeof(pods), "%s/openb_pod_list_default.csv",
             alibaba_dir());
    if (access(pods, R_OK) != 0) {
        fprintf(stderr, "%s: no Alibaba trace in %s: inflation left out\n",
                BENCH, alibaba_dir());
        return;
    }
    hsim_trace_init(&tr);
    if (hsim_alibaba_read(nodes, pods, smoke ? 1000 : 0, &tr, &err) < 0)
        hub_bench_fail(BENCH, "%s", err.text);
    if (hsim_inflate_sample(&tr, hsim_trace_gpus(&tr), pct, 42, &order, &n) < 0)
        hub_bench_fail(BENCH, "sampling failed");
    for (int k = 0; k < (int)(sizeof(inflate_cases) / sizeof(inflate_cases[0]));
         k++)
        inflate_case(&tr, order, n, pct, k);
    free(order);
    hsim_trace_fini(&tr);
}

int main(int argc, char **argv)
{
    bool smoke;

    hub_bench_init(argc, argv);
    smoke = hub_bench_smoke();
    check_easy();
    scale_run(smoke);
    inflation(smoke);
    return 0;
}
