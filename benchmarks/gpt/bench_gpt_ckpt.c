/* bench_gpt_ckpt.c - how long does an asynchronous checkpoint stall a real
 * training loop? The GPT trainer saves without a copy
 * (HUB_CKPT_ASYNC_NOCOPY: libhubjob's writer reads the parameters and
 * moments while the next forward and backward passes run; the optimiser
 * waits for it, trainer.h), so the loop stalls for the save call (the
 * HDF5 layout) plus whatever of the write outlasts the passes.
 *
 *     bench_gpt_ckpt [--smoke] [--repeats=N] [CONFIG [THREADS]]
 *
 * Each repeat: a synchronous-equivalent save (save, then wait for the
 * writer at once: nothing overlaps it), a step, and an asynchronous save
 * followed by a training step; the stall is the time the
 * loop spent in the save call and in waiting for the writer (the
 * trainer's checkpoint phase), against the synchronous save. Issue #5's
 * target: stall / synchronous save time <= 0.1. Default: small, 1 rank x
 * 2 threads (the state is 130 MB); --smoke: tiny.
 *
 * Non-goals: the slowdown the writer thread's checksum and I/O cause the
 * overlapped passes (second order: a CRC32C pass over the state); the
 * bandwidth of checkpoints themselves (bench_ckpt).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "harness.h"
#include "hubjob.h"
#include "trainer.h"

#define BENCH "gpt_ckpt"

/* Checkpoints and the job file, removed at the end. */
static char dir[] = "/tmp/hub-bench-gptckpt.XXXXXX";
static char job_file[64];

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

static void must(int rc, const hub_error_t *err)
{
    if (rc < 0)
        hub_bench_fail(BENCH, "%s", err->text);
}

/* Seconds of a save whose write nothing overlaps. */
static double save_sync(gpt_trainer_t *tr)
{
    hub_error_t err = {{0}};
    double t0 = hub_bench_now();

    must(gpt_trainer_save(tr, &err), &err);
    gpt_trainer_ckpt_wait(tr);
    return hub_bench_now() - t0;
}

/* Seconds the loop stalls for a save followed by one step. */
static double save_async(gpt_trainer_t *tr)
{
    hub_error_t err = {{0}};
    double before = tr->times.ckpt_s;
    float loss;

    must(gpt_trainer_save(tr, &err), &err);
    must(gpt_trainer_step(tr, &loss, &err), &err);
    return tr->times.ckpt_s - before;
}

/* Repeats of: a synchronous-equivalent save, a step (so that the next
 * save is of another step: saving a step again would first delete it), an
 * asynchronous save and the step it overlaps. */
static void measure(gpt_trainer_t *tr, int n, double *stall, double *sync)
{
    hub_error_t err = {{0}};
    float loss;

    for (int i = 0; i < n; i++) {
        sync[i] = save_sync(tr);
        must(gpt_trainer_step(tr, &loss, &err), &err);
        stall[i] = save_async(tr);
    }
}

static void report(double *stall, double *sync, int n)
{
    double r[HUB_BENCH_MAX_SAMPLES];
    hub_bench_case_t c = {.bench = BENCH,
                          .name = "training loop stall / sync save",
                          .unit = "x",
                          .target = 0.1};
    hub_bench_case_t s = {.bench = BENCH,
                          .name = "stall per checkpoint",
                          .unit = "s",
                          .has_baseline = true,
                          .baseline_name = "sync save"};

    for (int i = 0; i < n; i++)
        r[i] = stall[i] / sync[i];
    hub_bench_summarise(stall, n, &s.stats);
    hub_bench_summarise(sync, n, &s.baseline);
    hub_bench_report(&s);
    hub_bench_summarise(r, n, &c.stats);
    hub_bench_report(&c);
}

int main(int argc, char **argv)
{
    double stall[HUB_BENCH_MAX_SAMPLES], sync[HUB_BENCH_MAX_SAMPLES];
    const gpt_config_t *cfg;
    hub_error_t err = {{0}};
    gpt_trainer_t *tr;
    gpt_data_t data;
    hub_ctx_t *ctx;
    int first, n, threads = 2;
    float loss;

    gpt_blas_kernels(argv);
    first = hub_bench_init(argc, argv);
    n = hub_bench_repeats(6);
    n = n > HUB_BENCH_MAX_SAMPLES ? HUB_BENCH_MAX_SAMPLES : n;
    cfg = gpt_config_find(first < argc        ? argv[first]
                          : hub_bench_smoke() ? "tiny"
                                              : "small");
    if (first + 1 < argc)
        threads = atoi(argv[first + 1]);
    if (!cfg || threads < 1)
        hub_bench_fail(BENCH, "usage: bench_gpt_ckpt [--smoke] [--repeats=N] "
                              "[tiny|small|gpt2-124m [THREADS]]");
    gpt_blas_threads(threads);
    if (!mkdtemp(dir))
        hub_bench_fail(BENCH, "mkdtemp %s failed", dir);
    setenv("HUB_CKPT_DIR", dir, 1);
    setenv("HUB_CKPT_KEEP", "1", 1);
    snprintf(job_file, sizeof(job_file), "%s/job.h5", dir);
    setenv("HUB_JOB_FILE", job_file, 1);
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    must(gpt_data_load(&data, GPT_DATA_DEFAULT, 0.1, &err), &err);
    must(gpt_trainer_create(&tr, ctx, &data, cfg, 16 * hub_job_world(ctx),
                            cfg->max_seq, &gpt_adamw_bench, NULL, 1, &err),
         &err);
    must(gpt_trainer_step(tr, &loss, &err), &err); /* warm up */
    save_sync(tr); /* the first save pays the page faults of the file */
    measure(tr, n, stall, sync);
    report(stall, sync, n);
    gpt_trainer_destroy(tr);
    gpt_data_free(&data);
    n = hub_job_finalize(ctx) < 0 ? 1 : 0;
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return n;
}
