/* accel.h - how the trainer drives a model that computes somewhere other
 * than the host: one typed table of operations (gpt_accel_ops_t), so that
 * the trainer and libgpt need no CUDA. The one implementation is
 * accel_cuda.c (one CUDA GPU per rank, built when configure finds CUDA,
 * nvcc and cuBLAS; GPT_GPU is then defined).
 *
 * The accelerator keeps its own parameters, gradients and AdamW moments
 * in the flat layout of model.h. The trainer's host model, created for a
 * single token (no activations to speak of), still holds the layout, the
 * initialisation, and the copies that checkpoints and hashes read: get
 * and put move the state between the two.
 *
 * Every op takes the accelerator's state first and returns 0 or a
 * negative errno with the reason in err.
 */
#ifndef GPT_ACCEL_H
#define GPT_ACCEL_H

#include <stddef.h>
#include <stdint.h>

#include "adamw.h"
#include "error.h"
#include "hubjob.h"
#include "model.h"

typedef struct gpt_accel_ops {
    const char *name; /* "cuda" */
    /* State for host's configuration and layout at [B, T]
     * tokens per rank: parameters from host->params, moments zero. */
    int (*create)(void **acc, hub_ctx_t *ctx, const gpt_model_t *host, int B,
                  int T, hub_error_t *err);
    void (*destroy)(void *acc); /* NULL-safe */
    /* Forward pass of host tokens and targets [B, T]: *loss is this
     * rank's mean loss. */
    int (*forward)(void *acc, const int *tokens, const int *targets, int B,
                   int T, float *loss, hub_error_t *err);
    /* Collective. Backward pass of the last forward; with more than one
     * rank, each gradient bucket is averaged over the ranks as soon as it
     * is final, in gpt_model_backward's order. *comm_s += the seconds
     * spent in those all-reduces. */
    int (*backward)(void *acc, double *comm_s, hub_error_t *err);
    /* Collective. *x (host memory: the loss) averaged over the ranks. */
    int (*average)(void *acc, float *x, hub_error_t *err);
    /* Clipping and AdamW as adamw.h: *norm = the norm before clipping. */
    int (*optimise)(void *acc, const gpt_adamw_t *o, int64_t step, float lr,
                    double *norm, hub_error_t *err);
    /* The state to [nparams] host buffers, and back; NULL ones skipped. */
    int (*get)(void *acc, float *params, float *m, float *v, hub_error_t *err);
    int (*put)(void *acc, const float *params, const float *m, const float *v,
               hub_error_t *err);
} gpt_accel_ops_t;

#ifdef GPT_GPU
/* One CUDA GPU per rank: device local rank % devices (the device the
 * comm/nccl plugin picks), TF32 tensor-core matmuls, gradients averaged
 * with hub_comm_allreduce on device memory when the backend is NCCL and
 * through a host copy otherwise. */
extern const gpt_accel_ops_t gpt_accel_cuda;

/* Before hub_job_init, on every rank of a GPU run: tell libhubjob that
 * this rank uses a GPU and what its peak is, unless the environment
 * already does (under hubsched or Slurm it does):
 *   - HUB_GPUS = the device this rank will use, when neither
 *     CUDA_VISIBLE_DEVICES nor HUB_GPUS is set (libhubjob then counts a
 *     GPU rank and picks the NCCL backend);
 *   - HUB_PRECISION = tf32 unless set (the matmuls' precision);
 *   - HUB_GPU_PEAK_TFLOPS_<P> unless it or HUB_PEAK_FLOPS_<P> is set:
 *     peak_tflops when > 0, else the dense figure of this GPU from the
 *     datasheet table in accel_cuda.c (H100, H200, A100), else unset
 *     (MFU 0).
 * note[size] says which peak is used, for the program to print. -ENODEV
 * when no CUDA device is visible. */
int gpt_accel_cuda_env(double peak_tflops, char *note, size_t size,
                       hub_error_t *err);
#endif

#endif /* GPT_ACCEL_H */
