/* gpu_kernels.cu - the GPT model's element-wise and row kernels on the
 * GPU (contracts in gpu_impl.h): embedding, LayerNorm, bias, residual,
 * GELU, softmax cross-entropy and the causal softmax of attention.
 *
 * Simple on purpose: one thread per element, one warp per row (rows of
 * LayerNorm, softmax, cross-entropy), and sums over rows (bias and
 * LayerNorm parameter gradients, embeddings) by one thread per column
 * over the rows in order, then a fixed tree: no atomics anywhere, so the
 * results do not depend on scheduling.
 */
#include "gpu_impl.h"

#define THREADS 256                /* per block */
#define WARPS (THREADS / 32)       /* rows per block for row kernels */
#define COL_Y 16                   /* row lanes of the column sums */
#define FULL 0xffffffffu           /* every lane of a warp */
#define LN_EPS 1e-5f               /* as layers.c */
#define GELU_S 0.7978845608028654f /* sqrt(2 / pi) */
#define GELU_K 0.044715f

/* Sum and max over a warp by butterfly: every lane gets the same bits
 * (each step adds the same two numbers on both lanes). */
__device__ static float warp_sum(float x)
{
    for (int o = 16; o > 0; o >>= 1)
        x += __shfl_xor_sync(FULL, x, o);
    return x;
}

__device__ static float warp_max(float x)
{
    for (int o = 16; o > 0; o >>= 1)
        x = fmaxf(x, __shfl_xor_sync(FULL, x, o));
    return x;
}

/* Blocks for n elements at THREADS per block. */
static unsigned blocks_for(long n)
{
    return (unsigned)((n + THREADS - 1) / THREADS);
}

/* Blocks for `rows` warp-per-row rows. */
static unsigned row_blocks(long rows)
{
    return (unsigned)((rows + WARPS - 1) / WARPS);
}

/* The warp's row (uniform over the warp) and the lane. */
#define ROW_AND_LANE(row, lane)                                                \
    long row = (long)blockIdx.x * WARPS + threadIdx.x / 32;                    \
    int lane = threadIdx.x % 32

/* ---- embedding ----------------------------------------------------------- */

__global__ static void encoder_forward_k(float *out, const int *tok,
                                         const float *wte, const float *wpe,
                                         int T, int C, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= n)
        return;
    long bt = i / C;
    int c = (int)(i % C), t = (int)(bt % T);
    out[i] = wte[(long)tok[bt] * C + c] + wpe[(long)t * C + c];
}

int gpu_encoder_forward(cudaStream_t s, float *out, const int *tok,
                        const float *wte, const float *wpe, int B, int T, int C,
                        hub_error_t *err)
{
    long n = (long)B * T * C;

    encoder_forward_k<<<blocks_for(n), THREADS, 0, s>>>(out, tok, wte, wpe, T,
                                                        C, n);
    GPU_LAUNCHED();
    return 0;
}

/* dwte[v, :] += dout rows of the positions of token v, in position order
 * (as the CPU adds them); one block per token id. */
__global__ static void wte_backward_k(float *dwte, const float *dout,
                                      const int *order, const int *start, int C)
{
    int v = blockIdx.x;

    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float acc = dwte[(long)v * C + c];
        for (int k = start[v]; k < start[v + 1]; k++)
            acc += dout[(long)order[k] * C + c];
        dwte[(long)v * C + c] = acc;
    }
}

/* dwpe[t, c] += dout[b, t, c] for b in order; one thread per (t, c). */
__global__ static void wpe_backward_k(float *dwpe, const float *dout, int B,
                                      int T, int C)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= (long)T * C)
        return;
    float acc = dwpe[i];
    for (int b = 0; b < B; b++)
        acc += dout[(long)b * T * C + i];
    dwpe[i] = acc;
}

int gpu_encoder_backward(cudaStream_t s, float *dwte, float *dwpe,
                         const float *dout, const int *order, const int *start,
                         int B, int T, int C, int V, hub_error_t *err)
{
    wte_backward_k<<<V, THREADS, 0, s>>>(dwte, dout, order, start, C);
    GPU_LAUNCHED();
    wpe_backward_k<<<blocks_for((long)T * C), THREADS, 0, s>>>(dwpe, dout, B, T,
                                                               C);
    GPU_LAUNCHED();
    return 0;
}

/* ---- LayerNorm ----------------------------------------------------------- */

__global__ static void layernorm_forward_k(float *out, float *mean, float *rstd,
                                           const float *inp, const float *w,
                                           const float *b, int N, int C)
{
    ROW_AND_LANE(row, lane);
    if (row >= N)
        return;
    const float *x = inp + row * C;
    float *o = out + row * C;
    float m = 0.0f, v = 0.0f, r;

    for (int c = lane; c < C; c += 32)
        m += x[c];
    m = warp_sum(m) / C;
    for (int c = lane; c < C; c += 32)
        v += (x[c] - m) * (x[c] - m);
    v = warp_sum(v) / C;
    r = 1.0f / sqrtf(v + LN_EPS);
    for (int c = lane; c < C; c += 32)
        o[c] = (x[c] - m) * r * w[c] + b[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = r;
    }
}

int gpu_layernorm_forward(cudaStream_t s, float *out, float *mean, float *rstd,
                          const float *inp, const float *w, const float *b,
                          int N, int C, hub_error_t *err)
{
    layernorm_forward_k<<<row_blocks(N), THREADS, 0, s>>>(out, mean, rstd, inp,
                                                          w, b, N, C);
    GPU_LAUNCHED();
    return 0;
}

/* dinp += the input gradient of each row (one warp per row). */
__global__ static void layernorm_dinp_k(float *dinp, const float *dout,
                                        const float *inp, const float *w,
                                        const float *mean, const float *rstd,
                                        int N, int C)
{
    ROW_AND_LANE(row, lane);
    if (row >= N)
        return;
    const float *x = inp + row * C, *d = dout + row * C;
    float *dx = dinp + row * C;
    float m = mean[row], s = rstd[row], dmean = 0.0f, dnorm_mean = 0.0f;

    for (int c = lane; c < C; c += 32) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        dmean += dn;
        dnorm_mean += dn * norm;
    }
    dmean = warp_sum(dmean) / C;
    dnorm_mean = warp_sum(dnorm_mean) / C;
    for (int c = lane; c < C; c += 32) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        dx[c] += (dn - dmean - norm * dnorm_mean) * s;
    }
}

/* Column sums over N rows: block (32, COL_Y) covers 32 columns; thread
 * (x, y) sums rows y, y + COL_Y, ... in order, then row lane 0 adds the
 * COL_Y partial sums in order. With inp (LayerNorm) the sums are of
 * normalised input x dout into dw and of dout into db; without, of dout
 * into db only. */
__global__ static void column_sums_k(float *dw, float *db, const float *dout,
                                     const float *inp, const float *mean,
                                     const float *rstd, int N, int C)
{
    __shared__ float sw[COL_Y][33], sb[COL_Y][33];
    int tx = threadIdx.x, ty = threadIdx.y;
    int c = blockIdx.x * 32 + tx;
    float aw = 0.0f, ab = 0.0f;

    if (c < C) {
        for (int i = ty; i < N; i += COL_Y) {
            long k = (long)i * C + c;
            float d = dout[k];
            if (inp)
                aw += (inp[k] - mean[i]) * rstd[i] * d;
            ab += d;
        }
    }
    sw[ty][tx] = aw;
    sb[ty][tx] = ab;
    __syncthreads();
    if (ty != 0 || c >= C)
        return;
    aw = ab = 0.0f;
    for (int y = 0; y < COL_Y; y++) {
        aw += sw[y][tx];
        ab += sb[y][tx];
    }
    if (inp)
        dw[c] += aw;
    db[c] += ab;
}

static int column_sums(cudaStream_t s, float *dw, float *db, const float *dout,
                       const float *inp, const float *mean, const float *rstd,
                       int N, int C, hub_error_t *err)
{
    dim3 block(32, COL_Y);

    column_sums_k<<<(C + 31) / 32, block, 0, s>>>(dw, db, dout, inp, mean, rstd,
                                                  N, C);
    GPU_LAUNCHED();
    return 0;
}

int gpu_layernorm_backward(cudaStream_t s, float *dinp, float *dw, float *db,
                           const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int C,
                           hub_error_t *err)
{
    layernorm_dinp_k<<<row_blocks(N), THREADS, 0, s>>>(dinp, dout, inp, w, mean,
                                                       rstd, N, C);
    GPU_LAUNCHED();
    return column_sums(s, dw, db, dout, inp, mean, rstd, N, C, err);
}

/* ---- bias, residual, GELU ------------------------------------------------ */

__global__ static void bias_add_k(float *out, const float *b, int OC, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i < n)
        out[i] += b[i % OC];
}

int gpu_bias_add(cudaStream_t s, float *out, const float *b, int N, int OC,
                 hub_error_t *err)
{
    long n = (long)N * OC;

    bias_add_k<<<blocks_for(n), THREADS, 0, s>>>(out, b, OC, n);
    GPU_LAUNCHED();
    return 0;
}

int gpu_bias_backward(cudaStream_t s, float *db, const float *dout, int N,
                      int OC, hub_error_t *err)
{
    return column_sums(s, NULL, db, dout, NULL, NULL, NULL, N, OC, err);
}

__global__ static void residual_add_k(float *y, const float *x, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i < n)
        y[i] += x[i];
}

int gpu_residual_add(cudaStream_t s, float *y, const float *x, long n,
                     hub_error_t *err)
{
    residual_add_k<<<blocks_for(n), THREADS, 0, s>>>(y, x, n);
    GPU_LAUNCHED();
    return 0;
}

__global__ static void gelu_forward_k(float *out, const float *inp, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= n)
        return;
    float x = inp[i];
    out[i] = 0.5f * x * (1.0f + tanhf(GELU_S * (x + GELU_K * x * x * x)));
}

int gpu_gelu_forward(cudaStream_t s, float *out, const float *inp, long n,
                     hub_error_t *err)
{
    gelu_forward_k<<<blocks_for(n), THREADS, 0, s>>>(out, inp, n);
    GPU_LAUNCHED();
    return 0;
}

/* dinp may alias dout: each thread reads its element before writing. */
__global__ static void gelu_backward_k(float *dinp, const float *inp,
                                       const float *dout, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= n)
        return;
    float x = inp[i];
    float th = tanhf(GELU_S * (x + GELU_K * x * x * x));
    float sech2 = 1.0f - th * th;
    float du = GELU_S * (1.0f + 3.0f * GELU_K * x * x);
    dinp[i] = (0.5f * (1.0f + th) + 0.5f * x * sech2 * du) * dout[i];
}

int gpu_gelu_backward(cudaStream_t s, float *dinp, const float *inp,
                      const float *dout, long n, hub_error_t *err)
{
    gelu_backward_k<<<blocks_for(n), THREADS, 0, s>>>(dinp, inp, dout, n);
    GPU_LAUNCHED();
    return 0;
}

/* ---- softmax: cross-entropy and causal attention ------------------------- */

/* Softmax of x[0..n) in place by one warp; columns n..len set to 0. */
__device__ static void warp_softmax(float *x, int n, int len, int lane)
{
    float mx = -INFINITY, sum = 0.0f, inv;

    for (int j = lane; j < n; j += 32)
        mx = fmaxf(mx, x[j]);
    mx = warp_max(mx);
    for (int j = lane; j < n; j += 32) {
        float e = expf(x[j] - mx);
        x[j] = e;
        sum += e;
    }
    inv = 1.0f / warp_sum(sum);
    for (int j = lane; j < n; j += 32)
        x[j] *= inv;
    for (int j = n + lane; j < len; j += 32)
        x[j] = 0.0f;
}

__global__ static void crossentropy_forward_k(float *losses, float *probs,
                                              const int *targets, int N, int V)
{
    ROW_AND_LANE(row, lane);
    if (row >= N)
        return;
    float *p = probs + row * V;

    warp_softmax(p, V, V, lane);
    __syncwarp(); /* lane 0 reads what another lane wrote */
    if (lane == 0)
        losses[row] = -logf(p[targets[row]]);
}

int gpu_crossentropy_forward(cudaStream_t s, float *losses, float *probs,
                             const int *targets, int N, int V, hub_error_t *err)
{
    crossentropy_forward_k<<<row_blocks(N), THREADS, 0, s>>>(losses, probs,
                                                             targets, N, V);
    GPU_LAUNCHED();
    return 0;
}

/* dlogits may alias probs (element-wise). */
__global__ static void crossentropy_backward_k(float *dlogits,
                                               const float *probs,
                                               const int *targets, float dloss,
                                               int V, long n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;

    if (i >= n)
        return;
    float d = probs[i] * dloss;
    if (i % V == targets[i / V])
        d -= dloss;
    dlogits[i] = d;
}

int gpu_crossentropy_backward(cudaStream_t s, float *dlogits,
                              const float *probs, const int *targets,
                              float dloss, int N, int V, hub_error_t *err)
{
    long n = (long)N * V;

    crossentropy_backward_k<<<blocks_for(n), THREADS, 0, s>>>(
        dlogits, probs, targets, dloss, V, n);
    GPU_LAUNCHED();
    return 0;
}

__global__ static void softmax_causal_k(float *att, long rows, int T)
{
    ROW_AND_LANE(row, lane);
    if (row >= rows)
        return;
    int i = (int)(row % T); /* the query position: keys 0..i */

    warp_softmax(att + row * T, i + 1, T, lane);
}

int gpu_softmax_causal(cudaStream_t s, float *att, int rows, int T,
                       hub_error_t *err)
{
    softmax_causal_k<<<row_blocks(rows), THREADS, 0, s>>>(att, rows, T);
    GPU_LAUNCHED();
    return 0;
}

__global__ static void softmax_causal_backward_k(float *datt, const float *att,
                                                 long rows, int T)
{
    ROW_AND_LANE(row, lane);
    if (row >= rows)
        return;
    int i = (int)(row % T);
    float *d = datt + row * T, dot = 0.0f;
    const float *p = att + row * T;

    for (int j = lane; j <= i; j += 32)
        dot += p[j] * d[j];
    dot = warp_sum(dot);
    for (int j = lane; j <= i; j += 32)
        d[j] = p[j] * (d[j] - dot);
    for (int j = i + 1 + lane; j < T; j += 32)
        d[j] = 0.0f;
}

int gpu_softmax_causal_backward(cudaStream_t s, float *datt, const float *att,
                                int rows, int T, hub_error_t *err)
{
    softmax_causal_backward_k<<<row_blocks(rows), THREADS, 0, s>>>(datt, att,
                                                                   rows, T);
    GPU_LAUNCHED();
    return 0;
}
