/* gpu_matmul.cu - the GPT model's GEMMs on the GPU with cuBLAS (contracts
 * in gpu_impl.h): linear layers forward and backward, and causal
 * attention as strided-batched GEMMs over the heads of each sequence
 * around the causal softmax kernels.
 *
 * cuBLAS is column-major; our matrices are row-major. A row-major [R, K]
 * matrix with row stride ld is the column-major [K, R] matrix with
 * leading dimension ld, so the row-major product C = op(A) op(B) is the
 * column-major C^T = op(B)^T op(A)^T: every call below passes B before
 * A, with the transposes of the row-major formula, and m, n swapped.
 * The math mode (TF32 tensor cores or pedantic float32) is the handle's,
 * set at creation.
 */
#include "gpu_impl.h"

static const float one = 1.0f, zero = 0.0f;

/* out [N, OC] = inp [N, C] w^T (w [OC, C]) + b. */
int gpu_matmul_forward(gpt_gpu_t *g, float *out, const float *inp,
                       const float *w, const float *b, int N, int C, int OC,
                       hub_error_t *err)
{
    GPU_BLAS(cublasSgemm(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, &one, w,
                         C, inp, C, &zero, out, OC));
    if (b)
        GPU_TRY(gpu_bias_add(g->stream, out, b, N, OC, err));
    return 0;
}

/* dinp [N, C] = dout [N, OC] w [OC, C]; dw [OC, C] += dout^T inp; db. */
int gpu_matmul_backward(gpt_gpu_t *g, float *dinp, float *dw, float *db,
                        const float *dout, const float *inp, const float *w,
                        int N, int C, int OC, hub_error_t *err)
{
    if (dinp)
        GPU_BLAS(cublasSgemm(g->blas, CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, &one,
                             w, C, dout, OC, &zero, dinp, C));
    GPU_BLAS(cublasSgemm(g->blas, CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, &one, inp,
                         C, dout, OC, &one, dw, C));
    if (db)
        GPU_TRY(gpu_bias_backward(g->stream, db, dout, N, OC, err));
    return 0;
}

/* Over the NH heads of one sequence (batch stride hs between heads in
 * the rows of q, k, v, y; T x T between attention matrices):
 *     s[h] = alpha x a_h [T, hs] b_h^T      ("nt": scores)
 * a, b rows of stride lda, ldb. */
static int heads_nt(gpt_gpu_t *g, float *s, const float *a, int lda,
                    const float *b, int ldb, float alpha, int T, int hs, int NH,
                    hub_error_t *err)
{
    GPU_BLAS(cublasSgemmStridedBatched(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, T, T,
                                       hs, &alpha, b, ldb, hs, a, lda, hs,
                                       &zero, s, T, (long long)T * T, NH));
    return 0;
}

/*     y_h [T, hs] = alpha x p[h] [T, T] x_h [T, hs]     ("nn")
 * x rows of stride ldx, y rows of stride ldy. */
static int heads_nn(gpt_gpu_t *g, float *y, int ldy, const float *p,
                    const float *x, int ldx, float alpha, int T, int hs, int NH,
                    hub_error_t *err)
{
    GPU_BLAS(cublasSgemmStridedBatched(
        g->blas, CUBLAS_OP_N, CUBLAS_OP_N, hs, T, T, &alpha, x, ldx, hs, p, T,
        (long long)T * T, &zero, y, ldy, hs, NH));
    return 0;
}

/*     y_h [T, hs] = alpha x p[h]^T [T, T] x_h [T, hs]   ("tn") */
static int heads_tn(gpt_gpu_t *g, float *y, int ldy, const float *p,
                    const float *x, int ldx, float alpha, int T, int hs, int NH,
                    hub_error_t *err)
{
    GPU_BLAS(cublasSgemmStridedBatched(
        g->blas, CUBLAS_OP_N, CUBLAS_OP_T, hs, T, T, &alpha, x, ldx, hs, p, T,
        (long long)T * T, &zero, y, ldy, hs, NH));
    return 0;
}

/* The scores of every head are computed in full (the upper triangle is
 * wasted work that the softmax zeroes) and the FLOP formula counts it. */
int gpu_attention_forward(gpt_gpu_t *g, float *out, float *att,
                          const float *qkv, int B, int T, int C, int NH,
                          hub_error_t *err)
{
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);

    for (int b = 0; b < B; b++) {
        const float *q = qkv + (long)b * T * C3;
        GPU_TRY(heads_nt(g, att + (long)b * NH * T * T, q, C3, q + C, C3, scale,
                         T, hs, NH, err));
    }
    GPU_TRY(gpu_softmax_causal(g->stream, att, B * NH * T, T, err));
    for (int b = 0; b < B; b++) {
        const float *v = qkv + (long)b * T * C3 + 2 * C;
        GPU_TRY(heads_nn(g, out + (long)b * T * C, C,
                         att + (long)b * NH * T * T, v, C3, 1.0f, T, hs, NH,
                         err));
    }
    return 0;
}

/* Per sequence: datt = dy v^T, dv = att^T dy, datt through the softmax,
 * dq = scale datt k, dk = scale datt^T q. dqkv is overwritten. */
int gpu_attention_backward(gpt_gpu_t *g, float *dqkv, float *datt,
                           const float *dout, const float *qkv,
                           const float *att, int B, int T, int C, int NH,
                           hub_error_t *err)
{
    int hs = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);

    for (int b = 0; b < B; b++) {
        const float *q = qkv + (long)b * T * C3, *k = q + C, *v = q + 2 * C;
        const float *dy = dout + (long)b * T * C;
        const float *a = att + (long)b * NH * T * T;
        float *dq = dqkv + (long)b * T * C3, *dk = dq + C, *dv = dq + 2 * C;

        GPU_TRY(heads_nt(g, datt, dy, C, v, C3, 1.0f, T, hs, NH, err));
        GPU_TRY(heads_tn(g, dv, C3, a, dy, C, 1.0f, T, hs, NH, err));
        GPU_TRY(
            gpu_softmax_causal_backward(g->stream, datt, a, NH * T, T, err));
        GPU_TRY(heads_nn(g, dq, C3, datt, k, C3, scale, T, hs, NH, err));
        GPU_TRY(heads_tn(g, dk, C3, datt, q, C3, scale, T, hs, NH, err));
    }
    return 0;
}
