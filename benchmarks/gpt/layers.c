/* layers.c - the GPT layer types' forward and backward passes (see
 * layers.h): GEMMs through cblas_sgemm, the rest loops that the compiler
 * vectorises without reassociating anything (-O3, no -ffast-math: sums
 * keep their order, so results are reproducible).
 *
 * Threads: OpenMP, the pool OpenBLAS's OpenMP build also uses (a GEMM
 * called inside a parallel loop runs on its caller's thread). Every
 * parallel loop splits work whose outputs are disjoint (rows, columns,
 * heads) and leaves each sum in its serial order, so results are the same
 * bits for any thread count. */
#include "layers.h"

#include "blas.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define LN_EPS 1e-5f

/* e^x: x = n ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2), e^r by
 * Cephes' degree-6 polynomial, 2^n put into the exponent bits. Rounding
 * to nearest integer by the 1.5 x 2^23 trick, so no call to a libm
 * function blocks vectorisation. */
static inline float vexpf(float x)
{
    const float magic = 12582912.0f; /* 1.5 x 2^23 */
    float t, n, r, p;
    int32_t ti, mi, e;

    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    t = x * 1.44269504088896341f + magic;
    n = t - magic;
    r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    memcpy(&ti, &t, sizeof(ti));
    memcpy(&mi, &magic, sizeof(mi));
    e = (ti - mi + 127) << 23;
    memcpy(&t, &e, sizeof(t));
    return p * t;
}

float gpt_expf(float x)
{
    return vexpf(x);
}

void gpt_encoder_forward(float *out, const int *tok, const float *wte,
                         const float *wpe, int B, int T, int C)
{
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *we = wte + (size_t)tok[b * T + t] * C;
            const float *pe = wpe + (size_t)t * C;
            for (int c = 0; c < C; c++)
                o[c] = we[c] + pe[c];
        }
    }
}

void gpt_encoder_backward(float *dwte, float *dwpe, const float *dout,
                          const int *tok, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            float *dwe = dwte + (size_t)tok[b * T + t] * C;
            float *dpe = dwpe + (size_t)t * C;
            for (int c = 0; c < C; c++) {
                dwe[c] += d[c];
                dpe[c] += d[c];
            }
        }
    }
}

/* One row: out = (x - mean) * rstd * w + b. */
GPT_CLONES
static void layernorm_forward_row(float *o, float *mean, float *rstd,
                                  const float *x, const float *w,
                                  const float *b, int C)
{
    float m = 0.0f, v = 0.0f, s;

    for (int c = 0; c < C; c++)
        m += x[c];
    m /= C;
    for (int c = 0; c < C; c++)
        v += (x[c] - m) * (x[c] - m);
    v /= C;
    s = 1.0f / sqrtf(v + LN_EPS);
    for (int c = 0; c < C; c++)
        o[c] = (x[c] - m) * s * w[c] + b[c];
    *mean = m;
    *rstd = s;
}

void gpt_layernorm_forward(float *out, float *mean, float *rstd,
                           const float *inp, const float *w, const float *b,
                           int N, int C)
{
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        layernorm_forward_row(out + (size_t)i * C, &mean[i], &rstd[i],
                              inp + (size_t)i * C, w, b, C);
}

/* Columns [c0, c1) of dw and db: each sums over the rows in order. */
GPT_CLONES
static void layernorm_backward_params(float *dw, float *db, const float *dout,
                                      const float *inp, const float *mean,
                                      const float *rstd, int N, int C, int c0,
                                      int c1)
{
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        float m = mean[i], s = rstd[i];

        for (int c = c0; c < c1; c++) {
            db[c] += d[c];
            dw[c] += (x[c] - m) * s * d[c];
        }
    }
}

/* Row i of dinp. */
GPT_CLONES
static void layernorm_backward_row(float *dx, const float *d, const float *x,
                                   const float *w, float m, float s, int C)
{
    float dmean = 0.0f, dnorm_mean = 0.0f;

    for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        dmean += dn;
        dnorm_mean += dn * norm;
    }
    dmean /= C;
    dnorm_mean /= C;
    for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        dx[c] += (dn - dmean - norm * dnorm_mean) * s;
    }
}

/* Column blocks for parameter gradients: 16 floats, one cache line. */
#define COL_BLOCK 16

void gpt_layernorm_backward(float *dinp, float *dw, float *db,
                            const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int N, int C)
{
#pragma omp parallel
    {
#pragma omp for schedule(static) nowait
        for (int i = 0; i < N; i++)
            layernorm_backward_row(dinp + (size_t)i * C, dout + (size_t)i * C,
                                   inp + (size_t)i * C, w, mean[i], rstd[i], C);
#pragma omp for schedule(static)
        for (int c0 = 0; c0 < C; c0 += COL_BLOCK)
            layernorm_backward_params(dw, db, dout, inp, mean, rstd, N, C, c0,
                                      c0 + COL_BLOCK < C ? c0 + COL_BLOCK : C);
    }
}

void gpt_matmul_forward(float *out, const float *inp, const float *w,
                        const float *b, int N, int C, int OC)
{
    if (b) {
        for (int i = 0; i < N; i++)
            memcpy(out + (size_t)i * OC, b, (size_t)OC * sizeof(float));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C,
                w, C, b ? 1.0f : 0.0f, out, OC);
}

/* Columns [o0, o1) of db: each sums over the rows in order. */
GPT_CLONES
static void bias_backward_cols(float *db, const float *dout, int N, int OC,
                               int o0, int o1)
{
    for (int i = 0; i < N; i++) {
        const float *d = dout + (size_t)i * OC;
        for (int o = o0; o < o1; o++)
            db[o] += d[o];
    }
}

void gpt_matmul_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, int N, int C, int OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f,
                    dout, OC, w, C, 0.0f, dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout,
                OC, inp, C, 1.0f, dw, C);
    if (!db)
        return;
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OC; o0 += COL_BLOCK)
        bias_backward_cols(db, dout, N, OC, o0,
                           o0 + COL_BLOCK < OC ? o0 + COL_BLOCK : OC);
}

/* row[0..n) = softmax(row[0..n)) in place. */
GPT_CLONES
static void softmax_row(float *row, int n)
{
    float max = row[0], sum = 0.0f, inv;

    for (int j = 1; j < n; j++)
        max = row[j] > max ? row[j] : max;
    for (int j = 0; j < n; j++)
        row[j] = vexpf(row[j] - max);
    for (int j = 0; j < n; j++)
        sum += row[j];
    inv = 1.0f / sum;
    for (int j = 0; j < n; j++)
        row[j] *= inv;
}

/* Causal attention works in blocks of ATT_BLOCK query rows: rows
 * [r0, r1) need keys [0, r1) only, which saves 3/8 of the attention
 * GEMMs at T = 256 (the FLOP formula still counts them all, as usual). */
#define ATT_BLOCK 64

/* One head of one sequence: q, k, v rows of stride C3; a [T,T]; y rows of
 * stride C. */
static void attention_head(float *y, int C, float *a, const float *q,
                           const float *k, const float *v, int C3, int T,
                           int hs)
{
    float scale = 1.0f / sqrtf((float)hs);

    for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
        int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T;
        float *ar = a + (size_t)r0 * T;

        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1, hs,
                    scale, q + (size_t)r0 * C3, C3, k, C3, 0.0f, ar, T);
        for (int i = r0; i < r1; i++) {
            softmax_row(a + (size_t)i * T, i + 1);
            memset(a + (size_t)i * T + i + 1, 0,
                   (size_t)(T - i - 1) * sizeof(float));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, hs, r1,
                    1.0f, ar, T, v, C3, 0.0f, y + (size_t)r0 * C, C);
    }
}

void gpt_attention_forward(float *out, float *att, const float *qkv, int B,
                           int T, int C, int NH)
{
    int hs = C / NH, C3 = 3 * C;

#pragma omp parallel for collapse(2) schedule(static) if (gpt_blas_nests())
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs;
            attention_head(out + (size_t)b * T * C + (size_t)h * hs, C,
                           att + ((size_t)b * NH + h) * T * T, q, q + C,
                           q + 2 * C, C3, T, hs);
        }
    }
}

/* Softmax backward of rows [r0, r1) of one head, in place: datt[i,j]
 * becomes a[i,j] (datt[i,j] - sum_k a[i,k] datt[i,k]) for j <= i, 0 for
 * i < j < r1 (columns from r1 on are not used). */
GPT_CLONES
static void softmax_backward(float *datt, const float *a, int T, int r0, int r1)
{
    for (int i = r0; i < r1; i++) {
        float *d = datt + (size_t)i * T, dot = 0.0f;
        const float *p = a + (size_t)i * T;

        for (int j = 0; j <= i; j++)
            dot += p[j] * d[j];
        for (int j = 0; j <= i; j++)
            d[j] = p[j] * (d[j] - dot);
        memset(d + i + 1, 0, (size_t)(r1 - i - 1) * sizeof(float));
    }
}

/* Pointers of one head of one sequence: rows of stride C3 (q, k, v and
 * their gradients) or C (dy). */
typedef struct head {
    const float *q, *k, *v, *a, *dy;
    float *dq, *dk, *dv;
} head_t;

/* The backward pass of one head, block by block as the forward; dk and
 * dv accumulate over blocks (from zero), dq is written. */
static void attention_head_backward(const head_t *h, float *datt, int C, int C3,
                                    int T, int hs)
{
    float scale = 1.0f / sqrtf((float)hs);

    for (int t = 0; t < T; t++) {
        memset(h->dk + (size_t)t * C3, 0, (size_t)hs * sizeof(float));
        memset(h->dv + (size_t)t * C3, 0, (size_t)hs * sizeof(float));
    }
    for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) {
        int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T, n = r1 - r0;
        const float *ar = h->a + (size_t)r0 * T, *dyr = h->dy + (size_t)r0 * C;
        float *dr = datt + (size_t)r0 * T;

        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r1, hs, 1.0f,
                    dyr, C, h->v, C3, 0.0f, dr, T);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, n, 1.0f,
                    ar, T, dyr, C, 1.0f, h->dv, C3);
        softmax_backward(datt, h->a, T, r0, r1);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, r1, scale,
                    dr, T, h->k, C3, 0.0f, h->dq + (size_t)r0 * C3, C3);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, n, scale,
                    dr, T, h->q + (size_t)r0 * C3, C3, 1.0f, h->dk, C3);
    }
}

void gpt_attention_backward(float *dqkv, float *datt, const float *dout,
                            const float *qkv, const float *att, int B, int T,
                            int C, int NH)
{
    int hs = C / NH, C3 = 3 * C;

#pragma omp parallel for collapse(2) schedule(static) if (gpt_blas_nests())
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            size_t row = (size_t)b * T * C3 + (size_t)h * hs;
            head_t hd = {
                .q = qkv + row,
                .k = qkv + row + C,
                .v = qkv + row + 2 * C,
                .a = att + ((size_t)b * NH + h) * T * T,
                .dy = dout + (size_t)b * T * C + (size_t)h * hs,
                .dq = dqkv + row,
                .dk = dqkv + row + C,
                .dv = dqkv + row + 2 * C,
            };
            attention_head_backward(&hd, datt + ((size_t)b * NH + h) * T * T, C,
                                    C3, T, hs);
        }
    }
}

#define GELU_S 0.7978845608028654f /* sqrt(2 / pi) */
#define GELU_K 0.044715f

/* tanh(u) = 1 - 2 / (e^2u + 1); saturates to +-1 through vexpf's clamp. */
static inline float vtanhf(float u)
{
    return 1.0f - 2.0f / (vexpf(2.0f * u) + 1.0f);
}

/* Element-wise loops run in spans of this many floats (16 KiB). */
#define SPAN 4096

GPT_CLONES
static void gelu_forward_span(float *out, const float *inp, long n)
{
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + vtanhf(GELU_S * (x + GELU_K * x * x * x)));
    }
}

void gpt_gelu_forward(float *out, const float *inp, long n)
{
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i += SPAN)
        gelu_forward_span(out + i, inp + i, n - i < SPAN ? n - i : SPAN);
}

GPT_CLONES
static void gelu_backward_span(float *dinp, const float *inp, const float *dout,
                               long n)
{
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        float th = vtanhf(GELU_S * (x + GELU_K * x * x * x));
        float sech2 = 1.0f - th * th;
        float du = GELU_S * (1.0f + 3.0f * GELU_K * x * x);
        dinp[i] = (0.5f * (1.0f + th) + 0.5f * x * sech2 * du) * dout[i];
    }
}

void gpt_gelu_backward(float *dinp, const float *inp, const float *dout, long n)
{
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i += SPAN)
        gelu_backward_span(dinp + i, inp + i, dout + i,
                           n - i < SPAN ? n - i : SPAN);
}

void gpt_crossentropy_forward(float *losses, float *probs, const float *logits,
                              const int *targets, int N, int V)
{
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        float *p = probs + (size_t)i * V;

        if (p != logits + (size_t)i * V)
            memcpy(p, logits + (size_t)i * V, (size_t)V * sizeof(float));
        softmax_row(p, V);
        losses[i] = -logf(p[targets[i]]);
    }
}

GPT_CLONES
static void crossentropy_backward_row(float *d, const float *p, int target,
                                      float dloss, int V)
{
    for (int v = 0; v < V; v++)
        d[v] = p[v] * dloss;
    d[target] -= dloss;
}

void gpt_crossentropy_backward(float *dlogits, const float *probs,
                               const int *targets, float dloss, int N, int V)
{
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        crossentropy_backward_row(dlogits + (size_t)i * V,
                                  probs + (size_t)i * V, targets[i], dloss, V);
}
