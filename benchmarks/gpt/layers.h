/* layers.h - the GPT model's layer types, forward and backward, in float:
 * embedding, LayerNorm, matmul (cblas_sgemm), causal multi-head
 * attention, GELU and softmax cross-entropy.
 *
 * Shapes are row-major; N = B x T rows of tokens. Backward functions
 * ACCUMULATE (+=) into parameter gradients (dw, db: a tied weight gets
 * two contributions) and into the residual-stream gradient where the
 * comment says so; other input gradients are overwritten. Results are
 * deterministic for fixed sizes and thread count: every reduction runs
 * in a fixed order (no atomics, no reassociation).
 *
 * Non-goals: dropout, masks other than causal, in-place variants beyond
 * the ones documented.
 */
#ifndef GPT_LAYERS_H
#define GPT_LAYERS_H

/* Function multiversioning for the element-wise kernels: the library is
 * built for baseline x86-64 and picks the AVX-512 or AVX2 clone at load
 * time. With -ffp-contract=off and sums kept in order, every clone gives
 * the same bits (only the vector width differs). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GPT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GPT_CLONES
#endif

/* out[b,t,:] = wte[tok[b,t],:] + wpe[t,:]. out [B,T,C], tok [B,T],
 * wte [V,C], wpe [>=T,C]. */
void gpt_encoder_forward(float *out, const int *tok, const float *wte,
                         const float *wpe, int B, int T, int C);
/* dwte[tok[b,t],:] += dout[b,t,:]; dwpe[t,:] += dout[b,t,:]. */
void gpt_encoder_backward(float *dwte, float *dwpe, const float *dout,
                          const int *tok, int B, int T, int C);

/* out = (inp - mean) * rstd * w + b over each row of C; inp, out [N,C];
 * mean, rstd [N] saved for backward; eps 1e-5. */
void gpt_layernorm_forward(float *out, float *mean, float *rstd,
                           const float *inp, const float *w, const float *b,
                           int N, int C);
/* dinp += (accumulates: residual stream), dw += , db += . */
void gpt_layernorm_backward(float *dinp, float *dw, float *db,
                            const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int N, int C);

/* out [N,OC] = inp [N,C] x w^T ([OC,C]) + b ([OC], may be NULL). */
void gpt_matmul_forward(float *out, const float *inp, const float *w,
                        const float *b, int N, int C, int OC);
/* dinp [N,C] = dout x w (overwritten; dinp may be NULL); dw [OC,C] +=
 * dout^T x inp; db [OC] += column sums of dout (db may be NULL). */
void gpt_matmul_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, int N, int C,
                         int OC);

/* Causal self-attention. qkv [B,T,3C] holds q | k | v, head h in columns
 * h*hs .. (h+1)*hs of each (hs = C / NH); out [B,T,C] heads concatenated;
 * att [B,NH,T,T] the softmax of q k^T / sqrt(hs), zero above the
 * diagonal. */
void gpt_attention_forward(float *out, float *att, const float *qkv, int B,
                           int T, int C, int NH);
/* dqkv [B,T,3C] overwritten; datt [B,NH,T,T] scratch (heads run in
 * parallel, each on its own part). */
void gpt_attention_backward(float *dqkv, float *datt, const float *dout,
                            const float *qkv, const float *att, int B, int T,
                            int C, int NH);

/* GELU, tanh approximation (GPT-2): out[i] = gelu(inp[i]), n elements. */
void gpt_gelu_forward(float *out, const float *inp, long n);
/* dinp[i] = gelu'(inp[i]) * dout[i] (overwritten; may alias dout). */
void gpt_gelu_backward(float *dinp, const float *inp, const float *dout,
                       long n);

/* Row-wise softmax of logits [N,V] into probs (may alias logits) and
 * losses[i] = -log probs[i, targets[i]]. */
void gpt_crossentropy_forward(float *losses, float *probs, const float *logits,
                              const int *targets, int N, int V);
/* dlogits [N,V] = (probs - onehot(target)) * dloss, overwritten (may
 * alias probs); dloss is d(loss)/d(losses[i]), e.g. 1/N for the mean. */
void gpt_crossentropy_backward(float *dlogits, const float *probs,
                               const int *targets, float dloss, int N, int V);

/* e^x in float, accurate to about 2 ulp for x in [-87, 88], written so
 * that the compiler vectorises loops that call it (libm's expf is not
 * vectorised without -ffast-math). Exposed for the unit tests. */
float gpt_expf(float x);

#endif /* GPT_LAYERS_H */
