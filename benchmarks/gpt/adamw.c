/* adamw.c - AdamW, gradient clipping and the learning-rate schedule (see
 * adamw.h). Loops are element-wise so that the compiler vectorises them;
 * the norm sums in 8 fixed lanes, so its value does not depend on the
 * instruction set. */
#include "adamw.h"

#include <math.h>

#include "layers.h"

const gpt_adamw_t gpt_adamw_bench = {.lr = 1e-3f,
                                     .lr_min_frac = 0.1f,
                                     .warmup = 2,
                                     .steps = 1000,
                                     .beta1 = 0.9f,
                                     .beta2 = 0.95f,
                                     .eps = 1e-8f,
                                     .weight_decay = 0.1f,
                                     .clip = 1.0f};

float gpt_adamw_lr(const gpt_adamw_t *o, int64_t step)
{
    double floor = (double)o->lr * o->lr_min_frac, frac;

    if (step < o->warmup)
        return (float)((double)o->lr * (double)(step + 1) / o->warmup);
    if (step >= o->steps || o->steps <= o->warmup)
        return (float)floor;
    frac = (double)(step - o->warmup) / (double)(o->steps - o->warmup);
    return (float)(floor + 0.5 * (o->lr - floor) * (1.0 + cos(M_PI * frac)));
}

double gpt_grad_norm(const float *g, size_t n)
{
    double lane[8] = {0}, sum = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            lane[k] += (double)g[i + k] * g[i + k];
    for (; i < n; i++)
        lane[0] += (double)g[i] * g[i];
    for (int k = 0; k < 8; k++)
        sum += lane[k];
    return sqrt(sum);
}

float gpt_grad_clip(const gpt_adamw_t *o, float *g, size_t n, double norm)
{
    float s;

    if (o->clip <= 0 || norm <= o->clip)
        return 1.0f;
    s = (float)(o->clip / (norm + 1e-6));
    for (size_t i = 0; i < n; i++)
        g[i] *= s;
    return s;
}

/* Floats per unit of parallel work (64 KiB). */
#define ADAMW_SPAN 16384

/* AdamW on n floats of one tensor. */
GPT_CLONES
static void update(const gpt_adamw_t *o, float *p, const float *g, float *m,
                   float *v, size_t n, float lr, float wd, float c1, float c2)
{
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;

    for (size_t i = 0; i < n; i++) {
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        float mhat = mi / c1, vhat = vi / c2;

        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
    }
}

void gpt_adamw_update(const gpt_adamw_t *o, gpt_model_t *model, float *m,
                      float *v, int64_t step, float lr)
{
    float c1 = (float)(1.0 - pow(o->beta1, (double)(step + 1)));
    float c2 = (float)(1.0 - pow(o->beta2, (double)(step + 1)));

    /* tensors in spans, spread over the OpenMP threads (element-wise:
     * the same bits for any thread count) */
    for (int i = 0; i < model->ntensors; i++) {
        const gpt_tensor_t *t = &model->tensors[i];
        float wd = t->decay ? o->weight_decay : 0.0f;
        size_t n = t->count;

#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j += ADAMW_SPAN) {
            size_t k = t->offset + j;
            update(o, model->params + k, model->grads + k, m + k, v + k,
                   n - j < ADAMW_SPAN ? n - j : ADAMW_SPAN, lr, wd, c1, c2);
        }
    }
}
