/* bench_step.c - what does step reporting cost a training loop (issue
 * target: <= 1 us per hub_step_end, amortised)?
 *
 * One case: 10 million steps of hub_step_begin + hub_step_end on one
 * rank, flushes included (a row per step appended to the HDF5 job file
 * and the progress record rewritten every HUB_FLUSH_STEPS = 50 steps, the
 * default), in ns per step; the baseline is the same loop calling two
 * empty functions. The job file lives in a temporary directory on the
 * local disk and is removed after each repeat.
 *
 * Correctness first: after a short run, hub_job_stats counts every step,
 * the last step is the last one begun, and MFU is positive (the model
 * and a configured CPU peak make it so).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "hubjob.h"

#define BENCH "step"

static char dir[] = "/tmp/hub-bench-step.XXXXXX";
static char path[256];

static hub_ctx_t *start(void)
{
    hub_model_t m = {.params = 124e6,
                     .layers = 12,
                     .heads = 12,
                     .head_dim = 64,
                     .seq_len = 1024,
                     .name = "gpt2-small"};
    hub_ctx_t *ctx;

    unlink(path);
    if (hub_job_init(&ctx, NULL, NULL) < 0)
        hub_bench_fail(BENCH, "hub_job_init failed");
    if (hub_job_set_model(ctx, &m) < 0)
        hub_bench_fail(BENCH, "set_model: %s", hub_job_error(ctx));
    return ctx;
}

static void stop(hub_ctx_t *ctx)
{
    if (hub_job_finalize(ctx) < 0)
        hub_bench_fail(BENCH, "hub_job_finalize failed");
    unlink(path);
}

/* Seconds for n steps. */
static double steps(hub_ctx_t *ctx, long n)
{
    double t0 = hub_bench_now();

    for (long i = 0; i < n; i++) {
        hub_step_begin(ctx, i);
        if (hub_step_end(ctx, 1024, 2.5) < 0)
            hub_bench_fail(BENCH, "step %ld: %s", i, hub_job_error(ctx));
    }
    return hub_bench_now() - t0;
}

__attribute__((noinline)) static int nop_begin(hub_ctx_t *ctx, long i)
{
    __asm__ volatile("" : : "r"(ctx), "r"(i) : "memory");
    return 0;
}

__attribute__((noinline)) static int nop_end(hub_ctx_t *ctx, long t, double l)
{
    __asm__ volatile("" : : "r"(ctx), "r"(t), "x"(l) : "memory");
    return 0;
}

static double empty_loop(long n)
{
    double t0 = hub_bench_now();

    for (long i = 0; i < n; i++) {
        nop_begin(NULL, i);
        if (nop_end(NULL, 1024, 2.5) < 0)
            hub_bench_fail(BENCH, "unreachable");
    }
    return hub_bench_now() - t0;
}

static void check(void)
{
    hub_ctx_t *ctx = start();
    hub_stats_t s;

    steps(ctx, 1000);
    if (hub_job_stats(ctx, &s) < 0 || s.steps != 1000 || s.last_step != 999)
        hub_bench_fail(BENCH, "stats count %lld steps, last %lld",
                       (long long)s.steps, (long long)s.last_step);
    if (!(s.mfu > 0) || !(s.mean_mfu > 0))
        hub_bench_fail(BENCH, "MFU %g, mean %g: not positive", s.mfu,
                       s.mean_mfu);
    stop(ctx);
}

int main(int argc, char **argv)
{
    double t[HUB_BENCH_MAX_SAMPLES], base[HUB_BENCH_MAX_SAMPLES];
    hub_bench_case_t c = {.bench = BENCH,
                          .unit = "ns",
                          .target = 1000,
                          .has_baseline = true,
                          .baseline_name = "empty loop (2 no-op calls)"};
    long n;
    int reps;
    char name[96];

    hub_bench_init(argc, argv);
    n = hub_bench_smoke() ? 100000 : 10000000;
    reps = hub_bench_repeats(3);
    if (!mkdtemp(dir))
        hub_bench_fail(BENCH, "mkdtemp %s failed", dir);
    snprintf(path, sizeof(path), "%s/job.h5", dir);
    setenv("HUB_JOB_FILE", path, 1);
    setenv("HUB_CPU_PEAK_FLOPS", "1e10", 0); /* no measurement here */
    MPI_Init(&argc, &argv);
    check();
    for (int r = 0; r < reps; r++) {
        hub_ctx_t *ctx = start();
        t[r] = steps(ctx, n) / (double)n * 1e9;
        stop(ctx);
        base[r] = empty_loop(n) / (double)n * 1e9;
    }
    MPI_Finalize();
    snprintf(path, sizeof(path), "%s/job.h5.progress", dir);
    unlink(path);
    rmdir(dir);
    snprintf(name, sizeof(name), "hub_step_begin + hub_step_end, %ld steps", n);
    c.name = name;
    hub_bench_summarise(t, reps, &c.stats);
    hub_bench_summarise(base, reps, &c.baseline);
    if (hub_bench_smoke())
        c.target = 0;
    hub_bench_report(&c);
    return 0;
}
