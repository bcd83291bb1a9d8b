/* bench_gpt_mfu.c - one question: what MFU does the GPT model reach on
 * this machine's CPU cores (default: the small config, 1 rank x 2
 * threads), against the FP32 peak libhubjob measures with its FMA
 * microbenchmark, and how close is that to OpenBLAS sgemm's own
 * throughput at the model's GEMM shapes (the practical ceiling)?
 *
 *     bench_gpt_mfu [--smoke] [--repeats=STEPS] [CONFIG [THREADS]]
 *     bench_gpt_mfu --device=gpu [--peak-tflops=TF] [CONFIG]
 *
 * With --device=gpu (built when configure found CUDA, nvcc and cuBLAS)
 * the model runs on one GPU per rank (gpu.h: cuBLAS with TF32 tensor
 * cores, CUDA kernels) and MFU is against the GPU's dense TF32 peak
 * (accel.h: the environment's, --peak-tflops, or the datasheet table);
 * the default config is then gpt2-124m, and there is no sgemm ceiling.
 *
 * Prints the peak, each GEMM shape's throughput, then one JSON line
 * (MFU per step: median and spread, the sgemm ceiling as the baseline,
 * the 40 % target) and the per-layer profile. Correctness first: the
 * untrained model's loss must be near ln(256) and a few steps must lower
 * it. --smoke runs the tiny config for two steps.
 *
 * Non-goals: multi-rank scaling (tests/mpi/gpt_dp.sh checks the maths of
 * data parallelism), a cuBLAS ceiling for the GPU run.
 */
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "harness.h"
#include "hubjob.h"
#include "report.h"
#include "trainer.h"

#define BENCH "gpt_mfu"

/* The job file (and the peak's cache: the FMA peak is measured afresh
 * by every run, not read from a value cached by an earlier, perhaps
 * busier, moment) live in a temporary directory, removed at the end. */
static char dir[] = "/tmp/hub-bench-gpt.XXXXXX";

/* --device=gpu: the accelerator (NULL: the CPU), and what the GPU peak
 * is (--peak-tflops, or how accel_cuda.c found it). */
static const gpt_accel_ops_t *accel;
static double peak_tflops;
static char peak_note[256];
static char job_file[256], peak_file[256];

static void temp_dir_create(void)
{
    if (!mkdtemp(dir))
        hub_bench_fail(BENCH, "mkdtemp %s failed", dir);
    snprintf(job_file, sizeof(job_file), "%s/job.h5", dir);
    snprintf(peak_file, sizeof(peak_file), "%s/cpupeak.txt", dir);
    setenv("HUB_JOB_FILE", job_file, 1);
    setenv("HUB_CKPT_DIR", dir, 1);
    /* measure the peak now, on this run's machine state, unless told */
    setenv("HUB_CPU_PEAK_CACHE", peak_file, 0);
}

static void temp_dir_remove(void)
{
    char progress[300];

    snprintf(progress, sizeof(progress), "%s.progress", job_file);
    unlink(progress);
    unlink(job_file);
    unlink(peak_file);
    rmdir(dir);
}

/* One GEMM of the model: C[M,N] = A[M,K] x B[K,N], `count` times a step
 * (forward and both backward products of every layer). */
typedef struct shape {
    const char *what;
    int M, N, K;
    int count;
    bool per_thread; /* run as the model does: one per thread at once */
} shape_t;

/* The model's GEMMs per step at [Bl, T]: per linear layer (rows N = Bl
 * T, in C, out OC) the forward and two backward products; per attention
 * head the two forward and four backward products. */
static int model_shapes(const gpt_trainer_t *tr, shape_t *s)
{
    const gpt_config_t *c = &tr->model->cfg;
    int N = tr->Bl * tr->T, C = c->channels, L = c->layers, T = tr->T;
    int hs = C / c->heads, bh = tr->Bl * c->heads, n = 0;
    struct {
        const char *what;
        int in, out, count;
    } lin[] = {{"qkv", C, 3 * C, L},
               {"attproj", C, C, L},
               {"fc", C, 4 * C, L},
               {"fcproj", 4 * C, C, L},
               {"head", C, c->vocab, 1}};

    for (size_t i = 0; i < sizeof(lin) / sizeof(lin[0]); i++) {
        s[n++] = (shape_t){lin[i].what,  N,    lin[i].out, lin[i].in,
                           lin[i].count, false};
        s[n++] = (shape_t){lin[i].what,  N,    lin[i].in, lin[i].out,
                           lin[i].count, false};
        s[n++] = (shape_t){lin[i].what, lin[i].out,   lin[i].in,
                           N,           lin[i].count, false};
    }
    s[n++] = (shape_t){"att qk^T", T, T, hs, 2 * bh * L, gpt_blas_nests()};
    s[n++] = (shape_t){"att av", T, hs, T, 4 * bh * L, gpt_blas_nests()};
    return n;
}

/* Seconds of one sgemm of shape s into c (best of reps). */
static double time_sgemm(const shape_t *s, float *a, float *b, float *c,
                         int reps)
{
    double best = 1e30;

    for (int r = 0; r < reps; r++) {
        double t0 = hub_bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->M, s->N, s->K,
                    1.0f, a, s->K, b, s->N, 0.0f, c, s->N);
        double dt = hub_bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

/* Seconds per sgemm of shape s when every thread runs one at once, as the
 * attention heads do (each on its own thread, into its own part of c,
 * which holds threads x M x N floats): the best region's time / threads. */
static double time_sgemm_per_thread(const shape_t *s, float *a, float *b,
                                    float *c, int reps)
{
    int threads = gpt_blas_max_threads();
    double best = 1e30;

    for (int r = 0; r < reps; r++) {
        double t0 = hub_bench_now();
#pragma omp parallel for schedule(static)
        for (int k = 0; k < threads; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->M, s->N,
                        s->K, 1.0f, a, s->K, b, s->N, 0.0f,
                        c + (size_t)k * s->M * s->N, s->N);
        double dt = hub_bench_now() - t0;
        best = dt < best ? dt : best;
    }
    return best / threads;
}

/* OpenBLAS's FLOP/s over the model's GEMMs, weighted as in a step. */
static double sgemm_ceiling(const gpt_trainer_t *tr)
{
    shape_t s[32];
    int n = model_shapes(tr, s);
    size_t big = 0;
    double flops = 0, secs = 0;
    float *a, *b, *c;

    for (int i = 0; i < n; i++) {
        size_t m = (size_t)s[i].M * s[i].K + (size_t)s[i].K * s[i].N +
                   (size_t)s[i].M * s[i].N * gpt_blas_max_threads();
        big = m > big ? m : big;
    }
    a = calloc(big, sizeof(float));
    b = calloc(big, sizeof(float));
    c = calloc(big, sizeof(float));
    if (!a || !b || !c)
        hub_bench_fail(BENCH, "out of memory for the sgemm ceiling");
    for (size_t i = 0; i < big; i++)
        a[i] = b[i] = (float)(i % 7) * 0.01f;
    fprintf(stderr, "sgemm at the model's shapes (M x N x K, per step):\n");
    for (int i = 0; i < n; i++) {
        double f = 2.0 * s[i].M * s[i].N * s[i].K;
        int reps = hub_bench_smoke() ? 1 : 5;
        double t = s[i].per_thread ? time_sgemm_per_thread(&s[i], a, b, c, reps)
                                   : time_sgemm(&s[i], a, b, c, reps);
        fprintf(stderr, "  %-9s %5d x %5d x %5d  x%-5d %7.1f GFLOP/s%s\n",
                s[i].what, s[i].M, s[i].N, s[i].K, s[i].count, f / t / 1e9,
                s[i].per_thread ? " (one per thread)" : "");
        flops += f * s[i].count;
        secs += t * s[i].count;
    }
    free(a);
    free(b);
    free(c);
    return flops / secs;
}

/* The untrained loss is near ln(V) and a few steps on the data lower
 * it: the model computes what it should before it is timed. */
static void check_learns(hub_ctx_t *ctx, const gpt_data_t *data)
{
    gpt_trainer_t *tr;
    hub_error_t err = {{0}};
    float first = 0, loss = 0;

    if (gpt_trainer_create(&tr, ctx, data, gpt_config_find("tiny"), 8, 32,
                           &gpt_adamw_bench, accel, 1, &err) < 0)
        hub_bench_fail(BENCH, "%s", err.text);
    for (int i = 0; i < 30; i++) {
        if (gpt_trainer_step(tr, &loss, &err) < 0)
            hub_bench_fail(BENCH, "%s", err.text);
        first = i == 0 ? loss : first;
    }
    gpt_trainer_destroy(tr);
    if (fabsf(first - logf(256.0f)) > 0.3f || !(loss < first - 1.0f))
        hub_bench_fail(BENCH,
                       "tiny model: loss %.3f -> %.3f (want ~%.3f, "
                       "then at least 1 lower)",
                       first, loss, logf(256.0f));
}

/* Train cfg for `steps` timed steps after one untimed: MFU of each
 * (percent) into mfu, their total time into *total_s. */
static gpt_trainer_t *timed_run(hub_ctx_t *ctx, const gpt_data_t *data,
                                const gpt_config_t *cfg, int steps, double peak,
                                double *mfu, double *total_s)
{
    int Bg = (strcmp(cfg->name, "tiny") == 0 ? 8 : 16) * hub_job_world(ctx);
    gpt_trainer_t *tr;
    hub_model_t hm;
    hub_error_t err = {{0}};
    double fpt, t0, dt;
    float loss;

    if (gpt_trainer_create(&tr, ctx, data, cfg, Bg, cfg->max_seq,
                           &gpt_adamw_bench, accel, 1, &err) < 0)
        hub_bench_fail(BENCH, "%s", err.text);
    hm = gpt_trainer_hub_model(tr);
    hub_job_set_model(ctx, &hm);
    fpt = hub_model_flops_per_token(&hm);
    if (gpt_trainer_step(tr, &loss, &err) < 0)
        hub_bench_fail(BENCH, "%s", err.text);
    memset(&tr->times, 0, sizeof(tr->times));
    tr->model->profile = 1;
    *total_s = 0;
    for (int i = 0; i < steps; i++) {
        t0 = hub_bench_now();
        if (gpt_trainer_step(tr, &loss, &err) < 0)
            hub_bench_fail(BENCH, "%s", err.text);
        dt = hub_bench_now() - t0;
        *total_s += dt;
        mfu[i] = peak > 0 ? 100.0 * (double)tr->Bg * tr->T * fpt / dt / peak
                          : 0; /* no peak known: MFU 0, as libhubjob */
    }
    return tr;
}

/* The JSON line and the human line: MFU per step against the sgemm
 * ceiling (both in percent of the peak). */
static void report(const gpt_trainer_t *tr, int threads, double *mfu, int steps,
                   double ceiling)
{
    char name[128];
    hub_bench_case_t c = {.bench = BENCH,
                          .name = name,
                          .unit = "% of peak",
                          .higher_better = true,
                          .target = 40,
                          .has_baseline = !accel,
                          .baseline_name = "OpenBLAS sgemm at the model's "
                                           "GEMM shapes"};

    if (accel)
        snprintf(name, sizeof(name), "MFU %s, %d rank x 1 GPU (TF32)",
                 tr->model->cfg.name, tr->world);
    else
        snprintf(name, sizeof(name), "MFU %s, %d rank x %d threads",
                 tr->model->cfg.name, tr->world, threads);
    hub_bench_summarise(mfu, steps, &c.stats);
    if (!accel)
        hub_bench_summarise(&ceiling, 1, &c.baseline);
    hub_bench_report(&c);
}

/* --device=cpu|gpu and --peak-tflops=TF after the harness's options:
 * the index of the first other argument. */
static int device_args(int argc, char **argv, int first)
{
    for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--device=cpu") == 0) {
            accel = NULL;
        } else if (strcmp(a, "--device=gpu") == 0) {
#ifdef GPT_GPU
            accel = &gpt_accel_cuda;
#else
            hub_bench_fail(BENCH, "--device=gpu: built without the GPU path "
                                  "(no CUDA toolkit with nvcc and cuBLAS)");
#endif
        } else if (strncmp(a, "--peak-tflops=", 14) == 0 &&
                   (peak_tflops = atof(a + 14)) > 0) {
            continue;
        } else {
            hub_bench_fail(BENCH, "unknown option %s", a);
        }
    }
    return first;
}

/* The arguments after the harness's: [--device=...] [CONFIG [THREADS]]. */
static const gpt_config_t *parse(int argc, char **argv, int *steps,
                                 int *threads)
{
    int first = device_args(argc, argv, hub_bench_init(argc, argv));
    const char *name = first < argc ? argv[first]
                       : accel      ? "gpt2-124m"
                                    : "small";
    const gpt_config_t *cfg =
        gpt_config_find(hub_bench_smoke() ? "tiny" : name);

    *threads = first + 1 < argc ? atoi(argv[first + 1]) : 2;
    *steps = hub_bench_smoke() ? 2 : hub_bench_repeats(8);
    if (!cfg || *threads < 1 || *steps > HUB_BENCH_MAX_SAMPLES)
        hub_bench_fail(BENCH, "usage: bench_gpt_mfu [--smoke] "
                              "[--repeats=N] [--device=cpu|gpu] "
                              "[--peak-tflops=TF] "
                              "[tiny|small|gpt2-124m [THREADS]]");
    return cfg;
}

int main(int argc, char **argv)
{
    double mfu[HUB_BENCH_MAX_SAMPLES], peak, ceiling, total_s;
    const gpt_config_t *cfg;
    hub_error_t err = {{0}};
    int steps, threads, rc;
    char nthreads[16];
    hub_ctx_t *ctx;
    gpt_data_t data;
    gpt_trainer_t *tr;

    gpt_blas_kernels(argv);
    cfg = parse(argc, argv, &steps, &threads);
    snprintf(nthreads, sizeof(nthreads), "%d", threads);
    setenv("OMP_NUM_THREADS", nthreads, 1); /* libhubjob's core count */
    gpt_blas_threads(threads);
    temp_dir_create();
#ifdef GPT_GPU
    if (accel &&
        gpt_accel_cuda_env(peak_tflops, peak_note, sizeof(peak_note), &err) < 0)
        hub_bench_fail(BENCH, "--device=gpu: %s", err.text);
#endif
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    if (gpt_data_load(&data, GPT_DATA_DEFAULT, 0.1, &err) < 0)
        hub_bench_fail(BENCH, "%s", err.text);
    check_learns(ctx, &data);
    peak = hub_job_peak_flops(ctx);
    tr = timed_run(ctx, &data, cfg, steps, peak, mfu, &total_s);
    gpt_report_model(stderr, tr, threads, peak);
    if (accel) {
        fprintf(stderr, "GPU peak         %s\n", peak_note);
        ceiling = 0;
    } else {
        fprintf(stderr, "OpenBLAS kernels %s\n", gpt_blas_core());
        ceiling = 100.0 * sgemm_ceiling(tr) / peak;
        fprintf(stderr, "sgemm ceiling    %.1f %% of peak\n", ceiling);
    }
    report(tr, threads, mfu, steps, ceiling);
    gpt_report_profile(stderr, tr, steps, total_s);
    gpt_trainer_destroy(tr);
    gpt_data_free(&data);
    rc = hub_job_finalize(ctx) < 0 ? 1 : 0;
    temp_dir_remove();
    return rc;
}
