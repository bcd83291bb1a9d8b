/* gpu_impl.h - internals of the GPU model shared by its .cu files: the
 * model's state, the CUDA/cuBLAS check macros, and the launchers of the
 * kernels and GEMM sequences. Every launcher enqueues on the stream it is
 * given (or the model's) and checks the launch; none synchronises.
 *
 * Shapes and meanings are those of the CPU functions in layers.h of the
 * same name; what differs is said at each.
 */
#ifndef GPT_GPU_IMPL_H
#define GPT_GPU_IMPL_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "gpu.h"

/* The GPU model. Device pointers unless the name starts with h_. */
struct gpt_gpu {
    gpt_config_t cfg;
    int B, T;         /* the created (largest) batch and sequence sizes */
    int fwd_B, fwd_T; /* the last forward's */
    int fwd_targets;  /* 1: the last forward had targets */
    int dev;          /* the CUDA device */
    size_t nparams;   /* floats in each flat buffer */
    int ntensors;     /* entries of h_tensors */
    gpt_tensor_t *h_tensors;       /* the layout, copied from the host */
    float *params, *grads, *m, *v; /* [nparams] each, one allocation */
    gpt_params_t p, g;             /* pointers into params and grads */
    gpt_acts_t a;   /* activations; a.datt is [NH, T, T] (one sequence) */
    float *acts;    /* the activations' allocation */
    int *tokens;    /* [B, T] */
    int *targets;   /* [B, T] */
    int *tok_order; /* [B x T]: token positions sorted by token id */
    int *tok_start; /* [V + 1]: where each id's positions start */
    int *h_order, *h_start; /* host copies being built */
    float *h_losses;        /* [B x T] */
    double *partial;        /* [GPU_NORM_BLOCKS + 1]: norm sums */
    float *scalar;          /* [1]: gpt_gpu_scalar */
    cudaStream_t stream;
    cublasHandle_t blas;
};

/* Blocks of the first pass of the gradient norm (fixed: the order of the
 * sum must not depend on anything but n). */
#define GPU_NORM_BLOCKS 512

/* "file:line: call: message (name, code)" into err and a negative errno
 * (-ENODEV, -ENOMEM, -EINVAL or -EIO) for a CUDA or cuBLAS failure. */
int gpu_cuda_fail(cudaError_t rc, const char *call, const char *file, int line,
                  hub_error_t *err);
int gpu_blas_fail(cublasStatus_t rc, const char *call, const char *file,
                  int line, hub_error_t *err);

/* Check a CUDA runtime or cuBLAS call: on failure return its error from
 * the enclosing function (which has hub_error_t *err in scope). */
#define GPU_CUDA(call)                                                         \
    do {                                                                       \
        cudaError_t rc_ = (call);                                              \
        if (rc_ != cudaSuccess)                                                \
            return gpu_cuda_fail(rc_, #call, __FILE__, __LINE__, err);         \
    } while (0)
#define GPU_BLAS(call)                                                         \
    do {                                                                       \
        cublasStatus_t rc_ = (call);                                           \
        if (rc_ != CUBLAS_STATUS_SUCCESS)                                      \
            return gpu_blas_fail(rc_, #call, __FILE__, __LINE__, err);         \
    } while (0)
/* After a kernel launch: a bad configuration shows here (faults inside
 * the kernel show at the next synchronisation, which is checked too). */
#define GPU_LAUNCHED() GPU_CUDA(cudaGetLastError())
/* Propagate a negative return. */
#define GPU_TRY(call)                                                          \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ < 0)                                                           \
            return rc_;                                                        \
    } while (0)

/* ---- element-wise and row kernels (gpu_kernels.cu) ---------------------- */

int gpu_encoder_forward(cudaStream_t s, float *out, const int *tok,
                        const float *wte, const float *wpe, int B, int T, int C,
                        hub_error_t *err);
/* order/start: the positions b x T + t of each token id, ascending, so
 * that dwte rows are summed in the CPU's order without atomics. */
int gpu_encoder_backward(cudaStream_t s, float *dwte, float *dwpe,
                         const float *dout, const int *order, const int *start,
                         int B, int T, int C, int V, hub_error_t *err);
int gpu_layernorm_forward(cudaStream_t s, float *out, float *mean, float *rstd,
                          const float *inp, const float *w, const float *b,
                          int N, int C, hub_error_t *err);
int gpu_layernorm_backward(cudaStream_t s, float *dinp, float *dw, float *db,
                           const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int C,
                           hub_error_t *err);
/* out[i, o] += b[o] for i < N, o < OC. */
int gpu_bias_add(cudaStream_t s, float *out, const float *b, int N, int OC,
                 hub_error_t *err);
/* db[o] += sum over i of dout[i, o] (rows summed in a fixed order). */
int gpu_bias_backward(cudaStream_t s, float *db, const float *dout, int N,
                      int OC, hub_error_t *err);
/* y[i] += x[i], n elements. */
int gpu_residual_add(cudaStream_t s, float *y, const float *x, long n,
                     hub_error_t *err);
int gpu_gelu_forward(cudaStream_t s, float *out, const float *inp, long n,
                     hub_error_t *err);
int gpu_gelu_backward(cudaStream_t s, float *dinp, const float *inp,
                      const float *dout, long n, hub_error_t *err);
/* Softmax of logits [N, V] in place (probs) and the losses [N]. */
int gpu_crossentropy_forward(cudaStream_t s, float *losses, float *probs,
                             const int *targets, int N, int V,
                             hub_error_t *err);
int gpu_crossentropy_backward(cudaStream_t s, float *dlogits,
                              const float *probs, const int *targets,
                              float dloss, int N, int V, hub_error_t *err);
/* Rows of length T, row r being query position r % T: softmax of
 * columns 0..r % T in place, zero beyond. */
int gpu_softmax_causal(cudaStream_t s, float *att, int rows, int T,
                       hub_error_t *err);
/* datt[r, j] = att[r, j] (datt[r, j] - sum_k att[r, k] datt[r, k]) for
 * j <= r % T, zero beyond (in place). */
int gpu_softmax_causal_backward(cudaStream_t s, float *datt, const float *att,
                                int rows, int T, hub_error_t *err);

/* ---- optimiser (gpu_adamw.cu) -------------------------------------------- */

/* partial[GPU_NORM_BLOCKS] = sum of x[i]^2 over [0, n), in double, the
 * same bits for the same x. */
int gpu_sumsq(cudaStream_t s, double *partial, const float *x, size_t n,
              hub_error_t *err);
/* x[i] *= scale. */
int gpu_scale(cudaStream_t s, float *x, size_t n, float scale,
              hub_error_t *err);
/* AdamW on n floats as adamw.c's update(). */
int gpu_adamw(cudaStream_t s, float *p, const float *g, float *m, float *v,
              size_t n, const gpt_adamw_t *o, float lr, float wd, float c1,
              float c2, hub_error_t *err);

/* ---- GEMMs (gpu_matmul.cu) ----------------------------------------------- */

/* As layers.h's gpt_matmul_forward/backward, with cuBLAS on g's stream. */
int gpu_matmul_forward(gpt_gpu_t *g, float *out, const float *inp,
                       const float *w, const float *b, int N, int C, int OC,
                       hub_error_t *err);
int gpu_matmul_backward(gpt_gpu_t *g, float *dinp, float *dw, float *db,
                        const float *dout, const float *inp, const float *w,
                        int N, int C, int OC, hub_error_t *err);
/* As layers.h's attention: att [B, NH, T, T]; datt scratch [NH, T, T]. */
int gpu_attention_forward(gpt_gpu_t *g, float *out, float *att,
                          const float *qkv, int B, int T, int C, int NH,
                          hub_error_t *err);
int gpu_attention_backward(gpt_gpu_t *g, float *dqkv, float *datt,
                           const float *dout, const float *qkv,
                           const float *att, int B, int T, int C, int NH,
                           hub_error_t *err);

#endif /* GPT_GPU_IMPL_H */
