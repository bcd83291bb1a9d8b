/* gpu.h - the GPT model on one CUDA GPU: the model of model.h with its
 * GEMMs in cuBLAS and its other layers in CUDA kernels (gpu_*.cu), for
 * the trainer (accel_cuda.c) and the CPU/GPU comparison test.
 *
 * Layout: parameters, gradients and AdamW moments are device buffers of
 * nparams floats in exactly the flat, layer-major layout of the host
 * model the GPU model is created from (model.h), so that they copy to
 * and from it as one block and checkpoints are the same bytes either way.
 *
 * Numerics: float32 throughout; matmuls use TF32 tensor cores when asked
 * (tf32 = 1, for speed) or cuBLAS's pedantic float32 (tf32 = 0, for the
 * comparison with the CPU). No atomics: every sum is in a fixed order,
 * so a run is repeatable bit for bit on one GPU type and cuBLAS version.
 *
 * Every function returns 0 or a negative errno with the reason (the CUDA
 * or cuBLAS call, its file:line and the library's message) in err.
 *
 * Non-goals: several GPUs per process, mixed precision, streams of the
 * caller's, overlapping the gradient all-reduce with compute.
 */
#ifndef GPT_GPU_H
#define GPT_GPU_H

#include <stddef.h>
#include <stdint.h>

/* The project's C headers declare C functions (hub_errorf) without
 * guards of their own; .cu files include them through here. */
#ifdef __cplusplus
extern "C" {
#endif

#include "adamw.h"
#include "error.h"
#include "model.h"

typedef struct gpt_gpu gpt_gpu_t;

/* CUDA devices this process sees: *n > 0 and 0, or -ENODEV (no driver,
 * no device: the reason in err). */
int gpt_gpu_devices(int *n, hub_error_t *err);

/* The name of device dev ("NVIDIA H100 80GB HBM3") into name[size]. */
int gpt_gpu_device_name(int dev, char *name, size_t size, hub_error_t *err);

/* A GPU model on device dev with host's configuration and layout, for
 * batches of up to B x T tokens (T <= cfg.max_seq): parameters copied
 * from host->params, moments zero. The host model is only read here. */
int gpt_gpu_create(gpt_gpu_t **out, const gpt_model_t *host, int B, int T,
                   int dev, int tf32, hub_error_t *err);
void gpt_gpu_destroy(gpt_gpu_t *g); /* NULL-safe */

/* Copy [nparams] host buffers to the device; NULL ones are skipped. */
int gpt_gpu_put(gpt_gpu_t *g, const float *params, const float *m,
                const float *v, hub_error_t *err);
/* Copy device buffers to [nparams] host buffers; NULL ones are skipped. */
int gpt_gpu_get(gpt_gpu_t *g, float *params, float *grads, float *m, float *v,
                hub_error_t *err);

/* Forward pass of tokens [B, T] (host memory, B, T up to the created
 * sizes). With targets: *loss = the mean loss over the B x T tokens (sum
 * in double, in token order, as the CPU model) and the softmax in the
 * probabilities buffer; without (targets NULL): *loss = 0 and the logits
 * there. */
int gpt_gpu_forward(gpt_gpu_t *g, const int *tokens, const int *targets, int B,
                    int T, float *loss, hub_error_t *err);

/* The last forward's logits or probabilities [B x T, V] into host (before
 * the backward pass, which overwrites them with their gradient). */
int gpt_gpu_probs(gpt_gpu_t *g, float *host, hub_error_t *err);

/* Backward pass of the last forward (which had targets): gradients of the
 * mean loss, written (not accumulated). ready (may be NULL) is called with
 * each bucket of gpt_model_backward, in its order, once the device has
 * finished computing it (the stream is synchronised first, so another
 * stream may read it); gpt_gpu_grads() + offset is its device address.
 * Returns 0 or the first error (ready's stops the pass). */
int gpt_gpu_backward(gpt_gpu_t *g, gpt_bucket_fn ready, void *arg,
                     hub_error_t *err);

/* The device gradient buffer [nparams]. */
float *gpt_gpu_grads(gpt_gpu_t *g);

/* Optimiser step as adamw.h does it on the host: *norm = the global
 * gradient L2 norm before clipping (summed in double, fixed order),
 * clipping to o->clip, AdamW at step (0-based) with learning rate lr. */
int gpt_gpu_optimise(gpt_gpu_t *g, const gpt_adamw_t *o, int64_t step, float lr,
                     double *norm, hub_error_t *err);

/* A device float of the model's, for reducing one value (the loss) with
 * a collective that takes device memory. */
float *gpt_gpu_scalar(gpt_gpu_t *g);

/* Copy bytes between host and device memory (the direction follows from
 * the pointers: unified addressing) after the model's work so far, and
 * wait for it. */
int gpt_gpu_copy(gpt_gpu_t *g, void *dst, const void *src, size_t bytes,
                 hub_error_t *err);

/* Wait for all the model's work; its error, if any. */
int gpt_gpu_sync(gpt_gpu_t *g, hub_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* GPT_GPU_H */
