/* gpu_adamw.cu - the optimiser's kernels on the GPU (contracts in
 * gpu_impl.h): the squared gradient norm in double by a fixed two-pass
 * tree (the same bits for the same gradients), scaling for clipping, and
 * the AdamW update of adamw.c. */
#include "gpu_impl.h"

#define NORM_THREADS 256 /* first pass: GPU_NORM_BLOCKS x this, strided */

/* partial[blockIdx.x] = this block's share of sum x[i]^2. */
__global__ static void sumsq_k(double *partial, const float *x, size_t n)
{
    __shared__ double s[NORM_THREADS];
    int tid = threadIdx.x;
    double acc = 0.0;

    for (size_t i = (size_t)blockIdx.x * NORM_THREADS + tid; i < n;
         i += (size_t)gridDim.x * NORM_THREADS)
        acc += (double)x[i] * (double)x[i];
    s[tid] = acc;
    __syncthreads();
    for (int k = NORM_THREADS / 2; k > 0; k >>= 1) {
        if (tid < k)
            s[tid] += s[tid + k];
        __syncthreads();
    }
    if (tid == 0)
        partial[blockIdx.x] = s[0];
}

/* partial[GPU_NORM_BLOCKS] = the sum of partial[0 .. GPU_NORM_BLOCKS);
 * one block of GPU_NORM_BLOCKS threads (a power of two). */
__global__ static void sum_partials_k(double *partial)
{
    __shared__ double s[GPU_NORM_BLOCKS];
    int tid = threadIdx.x;

    s[tid] = partial[tid];
    __syncthreads();
    for (int k = GPU_NORM_BLOCKS / 2; k > 0; k >>= 1) {
        if (tid < k)
            s[tid] += s[tid + k];
        __syncthreads();
    }
    if (tid == 0)
        partial[GPU_NORM_BLOCKS] = s[0];
}

int gpu_sumsq(cudaStream_t s, double *partial, const float *x, size_t n,
              hub_error_t *err)
{
    sumsq_k<<<GPU_NORM_BLOCKS, NORM_THREADS, 0, s>>>(partial, x, n);
    GPU_LAUNCHED();
    sum_partials_k<<<1, GPU_NORM_BLOCKS, 0, s>>>(partial);
    GPU_LAUNCHED();
    return 0;
}

__global__ static void scale_k(float *x, size_t n, float scale)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

    if (i < n)
        x[i] *= scale;
}

int gpu_scale(cudaStream_t s, float *x, size_t n, float scale, hub_error_t *err)
{
    if (n == 0)
        return 0;
    scale_k<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(x, n, scale);
    GPU_LAUNCHED();
    return 0;
}

/* The hyper-parameters of one update, by value into the kernel. */
typedef struct adamw_args {
    float lr, wd, b1, b2, eps, c1, c2;
} adamw_args_t;

__global__ static void adamw_k(float *p, const float *g, float *m, float *v,
                               size_t n, adamw_args_t a)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= n)
        return;
    float mi = a.b1 * m[i] + (1.0f - a.b1) * g[i];
    float vi = a.b2 * v[i] + (1.0f - a.b2) * g[i] * g[i];
    float mhat = mi / a.c1, vhat = vi / a.c2;

    m[i] = mi;
    v[i] = vi;
    p[i] -= a.lr * (mhat / (sqrtf(vhat) + a.eps) + a.wd * p[i]);
}

int gpu_adamw(cudaStream_t s, float *p, const float *g, float *m, float *v,
              size_t n, const gpt_adamw_t *o, float lr, float wd, float c1,
              float c2, hub_error_t *err)
{
    adamw_args_t a = {lr, wd, o->beta1, o->beta2, o->eps, c1, c2};

    if (n == 0)
        return 0;
    adamw_k<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(p, g, m, v, n, a);
    GPU_LAUNCHED();
    return 0;
}
