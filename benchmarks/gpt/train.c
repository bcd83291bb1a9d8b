/* train.c - gpt-train: trains the GPT model (model.h) on a text corpus
 * (data.h) with libhubjob: data-parallel over the job's ranks, every
 * step's loss, tokens/s and MFU in the job's HDF5 file, checkpoints that
 * resume bit for bit, a summary table at the end.
 *
 *     gpt-train --config tiny --steps 50
 *     mpirun -np 2 gpt-train --config small --batch 16 --threads 1
 *     gpt-train --config gpt2-124m --device gpu --steps 50
 *
 * Non-goals: sampling text, evaluation beyond the validation loss,
 * hyper-parameter search. doc/gpt.md describes the options.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "hubjob.h"
#include "report.h"
#include "trainer.h"

typedef struct opts {
    const gpt_config_t *cfg;
    int64_t steps;  /* the schedule's length and where training ends */
    int batch, seq; /* global batch (sequences), sequence length */
    int threads;    /* OpenBLAS threads per rank */
    gpt_adamw_t opt;
    uint64_t seed;
    int64_t ckpt_every; /* 0: only on request (signal) */
    int64_t val_every;  /* 0: only at the end */
    int val_batches;
    int64_t stop_after; /* > 0: stop there, as a killed job would */
    const char *data;
    int print_hash, profile;
    const gpt_accel_ops_t *accel; /* --device gpu; NULL: cpu */
    double peak_tflops;           /* --peak-tflops: one GPU's, 0: table */
    char peak_note[256];          /* which GPU peak is used */
} opts_t;

static void usage(FILE *f)
{
    fprintf(f, "usage: gpt-train [--config tiny|small|gpt2-124m] [--steps N]\n"
               "  [--batch GLOBAL_SEQS] [--seq T] [--lr LR] [--warmup N]\n"
               "  [--seed S] [--threads N] [--ckpt-every N] [--val-every N]\n"
               "  [--val-batches N] [--data DIR|FILE] [--stop-after N]\n"
               "  [--print-param-hash] [--profile]\n"
               "  [--device cpu|gpu] [--peak-tflops TFLOPS]\n");
}

/* Defaults of a configuration (before the options override them). */
static void defaults(opts_t *o, const gpt_config_t *cfg)
{
    int tiny = strcmp(cfg->name, "tiny") == 0;
    int big = strcmp(cfg->name, "gpt2-124m") == 0;

    o->cfg = cfg;
    o->steps = tiny ? 50 : 100;
    o->batch = tiny ? 8 : big ? 8 : 16;
    o->seq = cfg->max_seq;
    o->opt = (gpt_adamw_t){.lr = tiny  ? 3e-3f
                                 : big ? 6e-4f
                                       : 1e-3f,
                           .lr_min_frac = 0.1f,
                           .beta1 = 0.9f,
                           .beta2 = 0.95f,
                           .eps = 1e-8f,
                           .weight_decay = 0.1f,
                           .clip = 1.0f};
    o->val_every = tiny ? 25 : 50;
    o->val_batches = 4;
}

/* s as an integer in [min, max]. */
static int int_arg(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* The config comes first so that the other options override its
 * defaults wherever they stand. */
static int find_config(int argc, char **argv, opts_t *o, hub_error_t *err)
{
    const char *name = "tiny";
    const gpt_config_t *cfg;

    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0)
            name = argv[i + 1];
    if (!(cfg = gpt_config_find(name)))
        return hub_errorf(err, EINVAL,
                          "--config %s: use tiny, small or gpt2-124m", name);
    memset(o, 0, sizeof(*o));
    o->threads = 1;
    o->data = GPT_DATA_DEFAULT;
    defaults(o, cfg);
    return 0;
}

static const struct option longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"steps", required_argument, NULL, 's'},
    {"batch", required_argument, NULL, 'b'},
    {"seq", required_argument, NULL, 'T'},
    {"lr", required_argument, NULL, 'l'},
    {"warmup", required_argument, NULL, 'w'},
    {"seed", required_argument, NULL, 'S'},
    {"threads", required_argument, NULL, 't'},
    {"ckpt-every", required_argument, NULL, 'k'},
    {"val-every", required_argument, NULL, 'v'},
    {"val-batches", required_argument, NULL, 'V'},
    {"data", required_argument, NULL, 'd'},
    {"stop-after", required_argument, NULL, 'x'},
    {"print-param-hash", no_argument, NULL, 'H'},
    {"profile", no_argument, NULL, 'p'},
    {"device", required_argument, NULL, 'D'},
    {"peak-tflops", required_argument, NULL, 'P'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Option c (--name) with an integer value into o. */
static int int_opt(opts_t *o, int c, const char *name, const char *arg,
                   hub_error_t *err)
{
    int zero_ok = c == 'S' || c == 'k' || c == 'v' || c == 'x';
    int is_int = c == 'b' || c == 'T' || c == 't' || c == 'V';
    int64_t v;

    if (int_arg(arg, zero_ok ? 0 : 1, is_int ? 1 << 20 : INT64_MAX, &v) < 0)
        return hub_errorf(err, EINVAL, "--%s %s: want an integer >= %d%s", name,
                          arg, zero_ok ? 0 : 1,
                          is_int ? " and <= 1048576" : "");
    switch (c) {
    case 's':
        o->steps = v;
        break;
    case 'b':
        o->batch = (int)v;
        break;
    case 'T':
        o->seq = (int)v;
        break;
    case 'w':
        o->opt.warmup = v;
        break;
    case 'S':
        o->seed = (uint64_t)v;
        break;
    case 't':
        o->threads = (int)v;
        break;
    case 'k':
        o->ckpt_every = v;
        break;
    case 'v':
        o->val_every = v;
        break;
    case 'V':
        o->val_batches = (int)v;
        break;
    case 'x':
        o->stop_after = v;
        break;
    }
    return 0;
}

/* --device: cpu (the host model), gpu (one CUDA GPU per rank). */
static int device_opt(opts_t *o, const char *arg, hub_error_t *err)
{
    if (strcmp(arg, "cpu") == 0) {
        o->accel = NULL;
        return 0;
    }
    if (strcmp(arg, "gpu") != 0)
        return hub_errorf(err, EINVAL, "--device %s: use cpu or gpu", arg);
#ifdef GPT_GPU
    o->accel = &gpt_accel_cuda;
    return 0;
#else
    return hub_errorf(err, ENOTSUP,
                      "--device gpu: built without the GPU path "
                      "(configure found no CUDA toolkit with nvcc and "
                      "cuBLAS)");
#endif
}

static int parse(int argc, char **argv, opts_t *o, hub_error_t *err)
{
    int c, rc = 0, li = 0;

    if ((rc = find_config(argc, argv, o, err)) < 0)
        return rc;
    o->seed = 1337;
    o->opt.warmup = -1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        } else if (c == '?') {
            rc = hub_errorf(err, EINVAL, "bad option (--help for usage)");
        } else if (c == 'l') {
            o->opt.lr = strtof(optarg, NULL);
        } else if (c == 'd') {
            o->data = optarg;
        } else if (c == 'H') {
            o->print_hash = 1;
        } else if (c == 'p') {
            o->profile = 1;
        } else if (c == 'D') {
            rc = device_opt(o, optarg, err);
        } else if (c == 'P') {
            o->peak_tflops = strtod(optarg, NULL);
            if (!(o->peak_tflops > 0))
                rc = hub_errorf(err, EINVAL, "--peak-tflops must be positive");
        } else if (c != 'c') {
            rc = int_opt(o, c, longopts[li].name, optarg, err);
        }
    }
    if (rc == 0 && !(o->opt.lr > 0))
        rc = hub_errorf(err, EINVAL, "--lr must be positive");
    o->opt.steps = o->steps;
    if (o->opt.warmup < 0)
        o->opt.warmup = o->steps / 10 > 0 ? o->steps / 10 : 1;
    return rc;
}

/* What the run measured, for the summary. */
typedef struct run_stats {
    int64_t steps;  /* steps done in this run */
    double total_s; /* their time */
    double *step_s; /* [steps] */
    float first_loss, last_loss, val_loss;
} run_stats_t;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const gpt_trainer_t *tr, const opts_t *o, run_stats_t *s,
                    double fpt, double peak)
{
    double med = 0, tokens = (double)tr->Bg * tr->T;

    if (s->steps > 0) {
        qsort(s->step_s, (size_t)s->steps, sizeof(double), cmp_double);
        med = s->step_s[s->steps / 2];
    }
    printf("\n== gpt-train summary ==\n");
    gpt_report_model(stdout, tr, o->threads, peak);
    printf("steps            %" PRId64 " (this run %" PRId64 ", %.2f s)\n",
           tr->step, s->steps, s->total_s);
    printf("step time        %.4f s (median)\n", med);
    printf("tokens/s         %.1f (median step)\n", med > 0 ? tokens / med : 0);
    printf("MFU              %.2f %% (median step: tokens/s x FLOPs/token / "
           "peak)\n",
           med > 0 && peak > 0 ? 100.0 * tokens / med * fpt / peak : 0);
    printf("train loss       %.4f -> %.4f\n", s->first_loss, s->last_loss);
    printf("val loss         %.4f\n", s->val_loss);
    if (o->profile)
        gpt_report_profile(stdout, tr, s->steps, s->total_s);
}

/* Validation and checkpoint after a step, when due. */
static int after_step(gpt_trainer_t *tr, const opts_t *o, run_stats_t *s,
                      hub_error_t *err)
{
    int rc = 0, requested;

    if (o->val_every > 0 && tr->step % o->val_every == 0) {
        if ((rc = gpt_trainer_val(tr, o->val_batches, &s->val_loss, err)) < 0)
            return rc;
        if (tr->rank == 0)
            printf("step %6" PRId64 " val loss %.6f\n", tr->step, s->val_loss);
    }
    requested = hub_ckpt_requested(tr->ctx);
    if ((o->ckpt_every > 0 && tr->step % o->ckpt_every == 0) || requested)
        rc = gpt_trainer_save(tr, err);
    return rc;
}

/* Steps until o->steps (or o->stop_after). */
static int train(gpt_trainer_t *tr, const opts_t *o, run_stats_t *s, double fpt,
                 double peak, hub_error_t *err)
{
    double tokens = (double)tr->Bg * tr->T, t0, dt;
    float loss;
    int rc = 0;

    while (rc == 0 && tr->step < o->steps &&
           !(o->stop_after > 0 && tr->step >= o->stop_after)) {
        t0 = gpt_now();
        if ((rc = gpt_trainer_step(tr, &loss, err)) < 0)
            break;
        dt = gpt_now() - t0;
        s->step_s[s->steps++] = dt;
        s->total_s += dt;
        if (s->steps == 1)
            s->first_loss = loss;
        s->last_loss = loss;
        if (tr->rank == 0)
            printf("step %6" PRId64 " loss %.6f lr %.3e norm %.4f %.4f s "
                   "%.0f tok/s MFU %.2f %%\n",
                   tr->step, loss, tr->last_lr, tr->last_norm, dt, tokens / dt,
                   peak > 0 ? 100.0 * tokens / dt * fpt / peak : 0.0);
        rc = after_step(tr, o, s, err);
    }
    return rc;
}

/* Everything between hub_job_init and hub_job_finalize. */
static int run(hub_ctx_t *ctx, const opts_t *o, hub_error_t *err)
{
    gpt_data_t data;
    gpt_trainer_t *tr = NULL;
    run_stats_t s = {0};
    double peak = hub_job_peak_flops(ctx), fpt;
    int rc, root = hub_job_rank(ctx) == 0;
    hub_model_t hm;

    if ((rc = gpt_data_load(&data, o->data, 0.1, err)) < 0)
        return rc;
    if ((rc = gpt_data_check(&data, o->seq, err)) < 0 ||
        (rc = gpt_trainer_create(&tr, ctx, &data, o->cfg, o->batch, o->seq,
                                 &o->opt, o->accel, o->seed, err)) < 0)
        goto out;
    tr->model->profile = o->profile;
    hm = gpt_trainer_hub_model(tr);
    hub_job_set_model(ctx, &hm);
    if ((rc = gpt_trainer_resume(tr, err)) < 0 && rc != -ENOENT)
        goto out;
    if (root) {
        printf("corpus           %s: %d files, %zu train + %zu val bytes\n",
               o->data, data.nfiles, data.ntrain, data.nval);
        gpt_report_model(stdout, tr, o->threads, peak);
        if (o->accel)
            printf("GPU peak         %s\n", o->peak_note);
        if (rc == 0)
            printf("resumed          from checkpoint %" PRId64 "\n", tr->step);
    }
    fpt = hub_model_flops_per_token(&hm);
    if (!(s.step_s = calloc((size_t)o->steps + 1, sizeof(double)))) {
        rc = hub_errorf(err, ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = train(tr, o, &s, fpt, peak, err)) == 0 &&
        (rc = gpt_trainer_val(tr, o->val_batches, &s.val_loss, err)) == 0 &&
        root)
        summary(tr, o, &s, fpt, peak);
    if (rc == 0 && o->print_hash && (rc = gpt_trainer_sync(tr, err)) == 0 &&
        root)
        printf("param-hash %016" PRIx64 "\n", gpt_trainer_param_hash(tr));
out:
    free(s.step_s);
    gpt_trainer_destroy(tr);
    gpt_data_free(&data);
    return rc;
}

int main(int argc, char **argv)
{
    hub_error_t err = {{0}};
    hub_ctx_t *ctx;
    char threads[16];
    opts_t o;
    int rc;

    gpt_blas_kernels(argv);
    if (parse(argc, argv, &o, &err) < 0) {
        fprintf(stderr, "gpt-train: %s\n", err.text);
        return 2;
    }
    /* libhubjob counts a CPU rank's cores from OMP_NUM_THREADS */
    snprintf(threads, sizeof(threads), "%d", o.threads);
    setenv("OMP_NUM_THREADS", threads, 1);
    gpt_blas_threads(o.threads);
#ifdef GPT_GPU
    if (o.accel && gpt_accel_cuda_env(o.peak_tflops, o.peak_note,
                                      sizeof(o.peak_note), &err) < 0) {
        fprintf(stderr, "gpt-train: --device gpu: %s\n", err.text);
        return 1;
    }
#endif
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((rc = run(ctx, &o, &err)) < 0)
        fprintf(stderr, "gpt-train: rank %d: %s\n", hub_job_rank(ctx),
                err.text);
    if (hub_job_finalize(ctx) < 0 && rc == 0)
        rc = -EIO;
    return rc < 0 ? 1 : 0;
}
