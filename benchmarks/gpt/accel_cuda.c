/* accel_cuda.c - the trainer's CUDA accelerator (accel.h): one GPU per
 * rank running the model of gpu.h, its gradients averaged over the ranks
 * through libhubjob's collectives, and the environment a GPU run gives
 * libhubjob (a GPU rank, the precision, the peak). */
#include "accel.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu.h"

typedef struct accel_cuda {
    hub_ctx_t *ctx;
    gpt_gpu_t *gpu;
    int world;
    int nccl;             /* 1: the backend takes device buffers */
    float *stage;         /* [nparams] host copy for another backend */
    double comm_s;        /* time in the all-reduces of this backward */
    hub_error_t comm_err; /* why a bucket's all-reduce failed */
} accel_cuda_t;

/* Collective. n floats of device memory averaged over the ranks, in
 * place: directly with NCCL, through the host with another backend. */
static int average_dev(accel_cuda_t *a, float *dev, size_t n, hub_error_t *err)
{
    size_t bytes = n * sizeof(float);
    int rc;

    if (a->nccl) {
        rc = hub_comm_allreduce(a->ctx, dev, dev, n, HUB_DTYPE_FLOAT32,
                                HUB_OP_AVG);
    } else {
        if ((rc = gpt_gpu_copy(a->gpu, a->stage, dev, bytes, err)) < 0)
            return rc;
        rc = hub_comm_allreduce(a->ctx, a->stage, a->stage, n,
                                HUB_DTYPE_FLOAT32, HUB_OP_AVG);
        if (rc == 0)
            return gpt_gpu_copy(a->gpu, dev, a->stage, bytes, err);
    }
    if (rc < 0)
        return hub_errorf(err, -rc, "all-reduce of %zu floats (comm/%s): %s", n,
                          hub_comm_backend(a->ctx), hub_job_error(a->ctx));
    return 0;
}

/* gpt_bucket_fn: average one gradient bucket over the ranks. */
static int bucket(void *arg, size_t offset, size_t count)
{
    accel_cuda_t *a = arg;
    double t0 = gpt_now();
    int rc =
        average_dev(a, gpt_gpu_grads(a->gpu) + offset, count, &a->comm_err);

    a->comm_s += gpt_now() - t0;
    return rc;
}

static void cuda_destroy(void *acc)
{
    accel_cuda_t *a = acc;

    if (!a)
        return;
    gpt_gpu_destroy(a->gpu);
    free(a->stage);
    free(a);
}

static int cuda_create(void **acc, hub_ctx_t *ctx, const gpt_model_t *host,
                       int B, int T, hub_error_t *err)
{
    accel_cuda_t *a;
    int n, rc;

    *acc = NULL;
    if ((rc = gpt_gpu_devices(&n, err)) < 0)
        return rc;
    if (!(a = calloc(1, sizeof(*a))))
        return hub_errorf(err, ENOMEM, "out of memory");
    a->ctx = ctx;
    a->world = hub_job_world(ctx);
    a->nccl = strcmp(hub_comm_backend(ctx), "nccl") == 0;
    if (a->world > 1 && !a->nccl &&
        !(a->stage = malloc(host->nparams * sizeof(float)))) {
        cuda_destroy(a);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    rc = gpt_gpu_create(&a->gpu, host, B, T, hub_job_local_rank(ctx) % n, 1,
                        err);
    if (rc < 0) {
        cuda_destroy(a);
        return rc;
    }
    *acc = a;
    return 0;
}

static int cuda_forward(void *acc, const int *tokens, const int *targets, int B,
                        int T, float *loss, hub_error_t *err)
{
    accel_cuda_t *a = acc;
    return gpt_gpu_forward(a->gpu, tokens, targets, B, T, loss, err);
}

static int cuda_backward(void *acc, double *comm_s, hub_error_t *err)
{
    accel_cuda_t *a = acc;
    hub_error_t e = {{0}};
    int rc;

    a->comm_s = 0;
    hub_error_clear(&a->comm_err);
    rc = gpt_gpu_backward(a->gpu, a->world > 1 ? bucket : NULL, a, &e);
    *comm_s += a->comm_s;
    if (rc < 0)
        return hub_errorf(err, -rc, "%s%s%s", e.text,
                          a->comm_err.text[0] ? ": " : "", a->comm_err.text);
    return 0;
}

static int cuda_average(void *acc, float *x, hub_error_t *err)
{
    accel_cuda_t *a = acc;
    float *dev = gpt_gpu_scalar(a->gpu);
    int rc;

    if (a->world == 1)
        return 0;
    if (!a->nccl) {
        rc = hub_comm_allreduce(a->ctx, x, x, 1, HUB_DTYPE_FLOAT32, HUB_OP_AVG);
        return rc < 0 ? hub_errorf(err, -rc, "loss all-reduce: %s",
                                   hub_job_error(a->ctx))
                      : 0;
    }
    if ((rc = gpt_gpu_copy(a->gpu, dev, x, sizeof(*x), err)) < 0 ||
        (rc = average_dev(a, dev, 1, err)) < 0)
        return rc;
    return gpt_gpu_copy(a->gpu, x, dev, sizeof(*x), err);
}

static int cuda_optimise(void *acc, const gpt_adamw_t *o, int64_t step,
                         float lr, double *norm, hub_error_t *err)
{
    accel_cuda_t *a = acc;
    return gpt_gpu_optimise(a->gpu, o, step, lr, norm, err);
}

static int cuda_get(void *acc, float *params, float *m, float *v,
                    hub_error_t *err)
{
    accel_cuda_t *a = acc;
    return gpt_gpu_get(a->gpu, params, NULL, m, v, err);
}

static int cuda_put(void *acc, const float *params, const float *m,
                    const float *v, hub_error_t *err)
{
    accel_cuda_t *a = acc;
    return gpt_gpu_put(a->gpu, params, m, v, err);
}

const gpt_accel_ops_t gpt_accel_cuda = {
    .name = "cuda",
    .create = cuda_create,
    .destroy = cuda_destroy,
    .forward = cuda_forward,
    .backward = cuda_backward,
    .average = cuda_average,
    .optimise = cuda_optimise,
    .get = cuda_get,
    .put = cuda_put,
};

/* ---- the environment of a GPU run -----------------------------------------
 */

/* Dense peaks (TFLOP/s) from NVIDIA's datasheets: the tensor-core TF32
 * and BF16 figures are printed "with sparsity", halved here; FP32 is the
 * CUDA-core figure. A device matches a row when its name contains model
 * and variant (NULL: any); the first match counts, so variants come
 * before their family's default (the SXM part). */
typedef struct peak_row {
    const char *model, *variant;
    double tf32, bf16, fp32;
} peak_row_t;

static const peak_row_t peaks[] = {
    {"H100", "NVL", 417.5, 835.5, 60.0},
    {"H100", "PCIe", 378.0, 756.5, 51.2},
    {"H100", NULL, 494.7, 989.4, 66.9}, /* SXM5, "H100 80GB HBM3" */
    {"H200", "NVL", 417.5, 835.5, 60.0},
    {"H200", NULL, 494.7, 989.4, 66.9}, /* SXM */
    {"A100", NULL, 156.0, 312.0, 19.5},
};

/* The table's peak of the device called name at precision prec ("tf32",
 * "bf16", "fp16", "fp32"); 0 when unknown. */
static double table_peak(const char *name, const char *prec)
{
    for (size_t i = 0; i < sizeof(peaks) / sizeof(peaks[0]); i++) {
        const peak_row_t *r = &peaks[i];
        if (!strstr(name, r->model) ||
            (r->variant && !strstr(name, r->variant)))
            continue;
        if (strcmp(prec, "tf32") == 0)
            return r->tf32;
        if (strcmp(prec, "bf16") == 0 || strcmp(prec, "fp16") == 0)
            return r->bf16;
        return strcmp(prec, "fp32") == 0 ? r->fp32 : 0;
    }
    return 0;
}

/* This process's rank on its node from the launcher's variables (before
 * hub_job_init), 0 when none says. */
static int env_local_rank(void)
{
    static const char *const vars[] = {
        "HUB_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v && atoi(v) >= 0)
            return atoi(v);
    }
    return 0;
}

int gpt_accel_cuda_env(double peak_tflops, char *note, size_t size,
                       hub_error_t *err)
{
    char name[256], prec[8] = "", up[8], var[64], node_var[64], val[32];
    int n, rc, dev;
    double tf;

    if ((rc = gpt_gpu_devices(&n, err)) < 0)
        return rc;
    dev = env_local_rank() % n;
    if (!getenv("CUDA_VISIBLE_DEVICES") && !getenv("HUB_GPUS")) {
        snprintf(val, sizeof(val), "%d", dev);
        setenv("HUB_GPUS", val, 1);
    }
    setenv("HUB_PRECISION", "tf32", 0);
    snprintf(prec, sizeof(prec), "%s", getenv("HUB_PRECISION"));
    for (size_t i = 0; i < sizeof(up); i++)
        up[i] = (char)toupper((unsigned char)prec[i]);
    snprintf(var, sizeof(var), "HUB_GPU_PEAK_TFLOPS_%s", up);
    snprintf(node_var, sizeof(node_var), "HUB_PEAK_FLOPS_%s", up);
    if (getenv(var) || getenv(node_var)) {
        snprintf(note, size, "%s peak from %s", prec,
                 getenv(var) ? var : node_var);
        return 0;
    }
    if ((rc = gpt_gpu_device_name(dev, name, sizeof(name), err)) < 0)
        return rc;
    tf = peak_tflops > 0 ? peak_tflops : table_peak(name, prec);
    if (tf <= 0) {
        snprintf(note, size,
                 "%s: no %s peak known, MFU reads 0 (give --peak-tflops)", name,
                 prec);
        return 0;
    }
    snprintf(val, sizeof(val), "%g", tf);
    setenv(var, val, 1);
    snprintf(note, size, "%s: dense %s peak %g TFLOP/s (%s)", name, prec, tf,
             peak_tflops > 0 ? "--peak-tflops" : "datasheet, accel_cuda.c");
    return 0;
}
