/* adamw.h - the optimiser: AdamW (decoupled weight decay, on matrices
 * only), clipping of the global gradient norm, and the learning-rate
 * schedule (linear warmup, then cosine decay to a floor).
 *
 * Non-goals: other optimisers, per-tensor learning rates, sharded
 * (ZeRO) state.
 */
#ifndef GPT_ADAMW_H
#define GPT_ADAMW_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct gpt_adamw {
    float lr;           /* peak learning rate */
    float lr_min_frac;  /* the cosine ends at lr x this (0.1) */
    int64_t warmup;     /* steps of linear warmup */
    int64_t steps;      /* the schedule's length (the run's steps) */
    float beta1, beta2; /* moment decay rates (0.9, 0.95) */
    float eps;          /* 1e-8 */
    float weight_decay; /* 0.1, on tensors whose decay flag is set */
    float clip;         /* global gradient L2 norm limit; <= 0: none */
} gpt_adamw_t;

/* The settings the benchmarks train with: lr 1e-3 (floor 0.1 of it), 2
 * warmup steps of a 1000-step schedule, the defaults above, clip 1. */
extern const gpt_adamw_t gpt_adamw_bench;

/* The learning rate of step (0-based): warmup from lr/warmup to lr over
 * the first `warmup` steps, then cosine down to lr x lr_min_frac at
 * `steps`, and flat after. */
float gpt_adamw_lr(const gpt_adamw_t *o, int64_t step);

/* L2 norm of g[0..n), summed in double in a fixed order. */
double gpt_grad_norm(const float *g, size_t n);

/* Clip: scale g so that its norm (given) is at most o->clip; returns the
 * factor used (1 when no clipping). */
float gpt_grad_clip(const gpt_adamw_t *o, float *g, size_t n, double norm);

/* One AdamW step (step is 0-based; bias corrections use step + 1) over
 * the model's flat buffers: params -= lr x (mhat / (sqrt(vhat) + eps) +
 * wd x params); m, v [nparams] are the moments. */
void gpt_adamw_update(const gpt_adamw_t *o, gpt_model_t *model, float *m,
                      float *v, int64_t step, float lr);

#endif /* GPT_ADAMW_H */
