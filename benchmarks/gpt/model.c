/* model.c - the GPT model: configurations, the flat parameter layout,
 * activation memory, initialisation, and the forward and backward passes
 * composed from the layer types of layers.c (see model.h). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layers.h"
#include "rng.h"

/* small: about 10 M parameters, the CPU demo and benchmark; gpt2-124m:
 * GPT-2 small's shape (L 12, C 768, 12 heads, 1024 positions) with the
 * byte vocabulary, so 85 M of its 124 M (the 50257 x 768 BPE embedding
 * is what is missing). */
static const gpt_config_t configs[] = {
    {"tiny", 256, 32, 2, 4, 32},
    {"small", 256, 256, 6, 6, 384},
    {"gpt2-124m", 256, 1024, 12, 12, 768},
};

const char *const gpt_prof_names[GPT_PROF_N] = {
    "embedding",      "layernorm",   "matmul qkv",   "attention",
    "matmul attproj", "matmul fc",   "gelu",         "matmul fcproj",
    "residual",       "matmul head", "crossentropy",
};

const gpt_config_t *gpt_config_find(const char *name)
{
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
        if (strcmp(configs[i].name, name) == 0)
            return &configs[i];
    return NULL;
}

/* Walks the layout in buffer order, handing out consecutive ranges of
 * base (NULL: only count) and recording each tensor in t (NULL: don't). */
typedef struct carver {
    float *base;
    size_t off; /* floats handed out so far */
    gpt_tensor_t *t;
    int n; /* tensors handed out so far */
} carver_t;

static float *carve(carver_t *cv, const char *name, int rows, int cols,
                    gpt_init_t init, float std)
{
    float *x = cv->base ? cv->base + cv->off : NULL;

    if (cv->t) {
        gpt_tensor_t *t = &cv->t[cv->n];
        snprintf(t->name, sizeof(t->name), "%s", name);
        t->offset = cv->off;
        t->count = (size_t)rows * cols;
        t->rows = rows;
        t->cols = cols;
        t->init = init;
        t->std = std;
        t->decay = rows > 1;
    }
    cv->n++;
    cv->off += (size_t)rows * cols;
    return x;
}

/* One block's tensors, in gpt_block_t order. */
static void carve_block(carver_t *cv, const gpt_config_t *c, int l,
                        gpt_block_t *b)
{
    int C = c->channels;
    float sr = 0.02f / sqrtf(2.0f * c->layers); /* residual projections */
    char n[24];

#define BLOCK_TENSOR(field, rows, cols, init, std)                             \
    do {                                                                       \
        snprintf(n, sizeof(n), "h%d." #field, l);                              \
        b->field = carve(cv, n, rows, cols, init, std);                        \
    } while (0)
    BLOCK_TENSOR(ln1w, 1, C, GPT_INIT_ONES, 0);
    BLOCK_TENSOR(ln1b, 1, C, GPT_INIT_ZEROS, 0);
    BLOCK_TENSOR(qkvw, 3 * C, C, GPT_INIT_NORMAL, 0.02f);
    BLOCK_TENSOR(qkvb, 1, 3 * C, GPT_INIT_ZEROS, 0);
    BLOCK_TENSOR(attprojw, C, C, GPT_INIT_NORMAL, sr);
    BLOCK_TENSOR(attprojb, 1, C, GPT_INIT_ZEROS, 0);
    BLOCK_TENSOR(ln2w, 1, C, GPT_INIT_ONES, 0);
    BLOCK_TENSOR(ln2b, 1, C, GPT_INIT_ZEROS, 0);
    BLOCK_TENSOR(fcw, 4 * C, C, GPT_INIT_NORMAL, 0.02f);
    BLOCK_TENSOR(fcb, 1, 4 * C, GPT_INIT_ZEROS, 0);
    BLOCK_TENSOR(fcprojw, C, 4 * C, GPT_INIT_NORMAL, sr);
    BLOCK_TENSOR(fcprojb, 1, C, GPT_INIT_ZEROS, 0);
#undef BLOCK_TENSOR
}

/* The whole layout: fills p's pointers (p->blocks must hold L). */
static void carve_model(carver_t *cv, const gpt_config_t *c, gpt_params_t *p)
{
    int C = c->channels;

    p->wte = carve(cv, "wte", c->vocab, C, GPT_INIT_NORMAL, 0.02f);
    p->wpe = carve(cv, "wpe", c->max_seq, C, GPT_INIT_NORMAL, 0.02f);
    for (int l = 0; l < c->layers; l++)
        carve_block(cv, c, l, &p->blocks[l]);
    p->lnfw = carve(cv, "lnf.w", 1, C, GPT_INIT_ONES, 0);
    p->lnfb = carve(cv, "lnf.b", 1, C, GPT_INIT_ZEROS, 0);
}

size_t gpt_carve_acts(const gpt_config_t *c, int B, int T, int datt_seqs,
                      float *base, gpt_acts_t *a)
{
    size_t off = 0, BT = (size_t)B * T, C = (size_t)c->channels;

#define ACT(ptr, n)                                                            \
    do {                                                                       \
        (ptr) = base ? base + off : NULL;                                      \
        off += (n);                                                            \
    } while (0)
    ACT(a->encoded, BT * C);
    for (int l = 0; l < c->layers; l++) {
        gpt_block_acts_t *b = &a->blocks[l];
        ACT(b->ln1, BT * C);
        ACT(b->ln1_mean, BT);
        ACT(b->ln1_rstd, BT);
        ACT(b->qkv, BT * 3 * C);
        ACT(b->att, BT * c->heads * T);
        ACT(b->atty, BT * C);
        ACT(b->res2, BT * C);
        ACT(b->ln2, BT * C);
        ACT(b->ln2_mean, BT);
        ACT(b->ln2_rstd, BT);
        ACT(b->fch, BT * 4 * C);
        ACT(b->fch_gelu, BT * 4 * C);
        ACT(b->res3, BT * C);
    }
    ACT(a->lnf, BT * C);
    ACT(a->lnf_mean, BT);
    ACT(a->lnf_rstd, BT);
    ACT(a->probs, BT * c->vocab);
    ACT(a->losses, BT);
    ACT(a->dres, BT * C);
    ACT(a->dbt3c, BT * 3 * C);
    ACT(a->dbt4c, BT * 4 * C);
    ACT(a->dbtc, BT * C);
    ACT(a->datt, (size_t)datt_seqs * c->heads * T * T);
#undef ACT
    return off;
}

static int config_ok(const gpt_config_t *c, int B, int T)
{
    return c->vocab > 0 && c->layers > 0 && c->heads > 0 &&
           c->channels % c->heads == 0 && c->channels > 0 && B > 0 && T > 0 &&
           T <= c->max_seq;
}

gpt_model_t *gpt_model_create(const gpt_config_t *cfg, int B, int T)
{
    gpt_model_t *m;
    carver_t cv = {0};
    gpt_block_t *scratch;
    size_t nacts;

    if (!config_ok(cfg, B, T) || !(m = calloc(1, sizeof(*m))))
        return NULL;
    m->cfg = *cfg;
    m->B = B;
    m->T = T;
    m->p.blocks = calloc((size_t)cfg->layers, sizeof(gpt_block_t));
    m->g.blocks = calloc((size_t)cfg->layers, sizeof(gpt_block_t));
    m->a.blocks = calloc((size_t)cfg->layers, sizeof(gpt_block_acts_t));
    if (!m->p.blocks || !m->g.blocks || !m->a.blocks)
        goto fail;
    scratch = m->p.blocks; /* counting pass: pointers are overwritten */
    carve_model(&cv, cfg, &(gpt_params_t){.blocks = scratch});
    m->nparams = cv.off;
    m->ntensors = cv.n;
    m->tensors = calloc((size_t)cv.n, sizeof(gpt_tensor_t));
    m->params = calloc(m->nparams, sizeof(float));
    m->grads = calloc(m->nparams, sizeof(float));
    nacts = gpt_carve_acts(cfg, B, T, B, NULL, &m->a);
    m->a.encoded = NULL;
    m->tokens = calloc((size_t)B * T, sizeof(int));
    m->targets = calloc((size_t)B * T, sizeof(int));
    if (!m->tensors || !m->params || !m->grads || !m->tokens || !m->targets ||
        !(m->a.encoded = calloc(nacts, sizeof(float))))
        goto fail;
    gpt_carve_acts(cfg, B, T, B, m->a.encoded, &m->a);
    carve_model(&(carver_t){.base = m->params, .t = m->tensors}, cfg, &m->p);
    carve_model(&(carver_t){.base = m->grads}, cfg, &m->g);
    return m;
fail:
    gpt_model_destroy(m);
    return NULL;
}

void gpt_model_destroy(gpt_model_t *m)
{
    if (!m)
        return;
    free(m->a.encoded); /* the start of the activation buffer */
    free(m->a.blocks);
    free(m->p.blocks);
    free(m->g.blocks);
    free(m->tensors);
    free(m->params);
    free(m->grads);
    free(m->tokens);
    free(m->targets);
    free(m);
}

void gpt_model_init(gpt_model_t *m, uint64_t seed)
{
    gpt_rng_t r;

    gpt_rng_seed(&r, seed);
    for (int i = 0; i < m->ntensors; i++) {
        const gpt_tensor_t *t = &m->tensors[i];
        float *x = m->params + t->offset;
        for (size_t j = 0; j < t->count; j++) {
            if (t->init == GPT_INIT_NORMAL)
                x[j] = (float)(t->std * gpt_rng_normal(&r));
            else
                x[j] = t->init == GPT_INIT_ONES ? 1.0f : 0.0f;
        }
    }
}

size_t gpt_model_nonembedding_params(const gpt_model_t *m)
{
    const gpt_config_t *c = &m->cfg;
    return m->nparams - (size_t)(c->vocab + c->max_seq) * c->channels;
}

double gpt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run call, adding its time to acc[kind] when the model is profiled. */
#define TIMED(m, acc, kind, call)                                              \
    do {                                                                       \
        double t0_ = (m)->profile ? gpt_now() : 0;                             \
        call;                                                                  \
        if ((m)->profile)                                                      \
            (acc)[kind] += gpt_now() - t0_;                                    \
    } while (0)

/* y[i] += x[i], over the OpenMP threads. */
static void residual_add(float *y, const float *x, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}

/* Block l's forward pass on the residual stream res [B,T,C]. */
static void block_forward(gpt_model_t *m, int l, const float *res, int B, int T)
{
    const gpt_block_t *p = &m->p.blocks[l];
    gpt_block_acts_t *a = &m->a.blocks[l];
    int C = m->cfg.channels, NH = m->cfg.heads, N = B * T;
    double *acc = m->prof_fwd_s;

    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, res, p->ln1w,
                                p->ln1b, N, C));
    TIMED(m, acc, GPT_PROF_MATMUL_QKV,
          gpt_matmul_forward(a->qkv, a->ln1, p->qkvw, p->qkvb, N, C, 3 * C));
    TIMED(m, acc, GPT_PROF_ATTENTION,
          gpt_attention_forward(a->atty, a->att, a->qkv, B, T, C, NH));
    TIMED(m, acc, GPT_PROF_MATMUL_ATTPROJ,
          gpt_matmul_forward(a->res2, a->atty, p->attprojw, p->attprojb, N, C,
                             C));
    TIMED(m, acc, GPT_PROF_RESIDUAL, residual_add(a->res2, res, (size_t)N * C));
    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->res2,
                                p->ln2w, p->ln2b, N, C));
    TIMED(m, acc, GPT_PROF_MATMUL_FC,
          gpt_matmul_forward(a->fch, a->ln2, p->fcw, p->fcb, N, C, 4 * C));
    TIMED(m, acc, GPT_PROF_GELU,
          gpt_gelu_forward(a->fch_gelu, a->fch, (long)N * 4 * C));
    TIMED(m, acc, GPT_PROF_MATMUL_FCPROJ,
          gpt_matmul_forward(a->res3, a->fch_gelu, p->fcprojw, p->fcprojb, N,
                             4 * C, C));
    TIMED(m, acc, GPT_PROF_RESIDUAL,
          residual_add(a->res3, a->res2, (size_t)N * C));
}

/* The residual stream entering block l. */
static const float *block_input(const gpt_model_t *m, int l)
{
    return l == 0 ? m->a.encoded : m->a.blocks[l - 1].res3;
}

float gpt_model_forward(gpt_model_t *m, const int *tokens, const int *targets,
                        int B, int T)
{
    const gpt_config_t *c = &m->cfg;
    int N = B * T, C = c->channels, L = c->layers;
    gpt_acts_t *a = &m->a;
    double *acc = m->prof_fwd_s, sum = 0;

    m->fwd_B = B;
    m->fwd_T = T;
    memcpy(m->tokens, tokens, (size_t)N * sizeof(int));
    TIMED(m, acc, GPT_PROF_EMBED,
          gpt_encoder_forward(a->encoded, tokens, m->p.wte, m->p.wpe, B, T, C));
    for (int l = 0; l < L; l++)
        block_forward(m, l, block_input(m, l), B, T);
    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd,
                                block_input(m, L), m->p.lnfw, m->p.lnfb, N, C));
    TIMED(m, acc, GPT_PROF_HEAD,
          gpt_matmul_forward(a->probs, a->lnf, m->p.wte, NULL, N, C, c->vocab));
    if (!targets)
        return 0.0f;
    memcpy(m->targets, targets, (size_t)N * sizeof(int));
    TIMED(m, acc, GPT_PROF_CROSSENTROPY,
          gpt_crossentropy_forward(a->losses, a->probs, a->probs, targets, N,
                                   c->vocab));
    for (int i = 0; i < N; i++)
        sum += a->losses[i];
    return (float)(sum / N);
}

/* Block l's backward pass; a->dres holds d(loss)/d(block output) and
 * becomes d(loss)/d(block input). */
static void block_backward(gpt_model_t *m, int l, int B, int T)
{
    const gpt_block_t *p = &m->p.blocks[l];
    gpt_block_t *g = &m->g.blocks[l];
    gpt_block_acts_t *a = &m->a.blocks[l];
    gpt_acts_t *s = &m->a;
    int C = m->cfg.channels, NH = m->cfg.heads, N = B * T;
    double *acc = m->prof_bwd_s;

    TIMED(m, acc, GPT_PROF_MATMUL_FCPROJ,
          gpt_matmul_backward(s->dbt4c, g->fcprojw, g->fcprojb, s->dres,
                              a->fch_gelu, p->fcprojw, N, 4 * C, C));
    TIMED(m, acc, GPT_PROF_GELU,
          gpt_gelu_backward(s->dbt4c, a->fch, s->dbt4c, (long)N * 4 * C));
    TIMED(m, acc, GPT_PROF_MATMUL_FC,
          gpt_matmul_backward(s->dbtc, g->fcw, g->fcb, s->dbt4c, a->ln2, p->fcw,
                              N, C, 4 * C));
    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_backward(s->dres, g->ln2w, g->ln2b, s->dbtc, a->res2,
                                 p->ln2w, a->ln2_mean, a->ln2_rstd, N, C));
    TIMED(m, acc, GPT_PROF_MATMUL_ATTPROJ,
          gpt_matmul_backward(s->dbtc, g->attprojw, g->attprojb, s->dres,
                              a->atty, p->attprojw, N, C, C));
    TIMED(m, acc, GPT_PROF_ATTENTION,
          gpt_attention_backward(s->dbt3c, s->datt, s->dbtc, a->qkv, a->att, B,
                                 T, C, NH));
    TIMED(m, acc, GPT_PROF_MATMUL_QKV,
          gpt_matmul_backward(s->dbtc, g->qkvw, g->qkvb, s->dbt3c, a->ln1,
                              p->qkvw, N, C, 3 * C));
    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_backward(s->dres, g->ln1w, g->ln1b, s->dbtc,
                                 block_input(m, l), p->ln1w, a->ln1_mean,
                                 a->ln1_rstd, N, C));
}

/* The range of the flat buffer from tensor i to tensor j inclusive. */
static int ready_range(const gpt_model_t *m, int i, int j, gpt_bucket_fn ready,
                       void *arg)
{
    const gpt_tensor_t *a = &m->tensors[i], *b = &m->tensors[j];
    return ready ? ready(arg, a->offset, b->offset + b->count - a->offset) : 0;
}

int gpt_model_backward(gpt_model_t *m, gpt_bucket_fn ready, void *arg)
{
    const gpt_config_t *c = &m->cfg;
    int B = m->fwd_B, T = m->fwd_T, N = B * T, C = c->channels;
    int L = c->layers, nb = GPT_BLOCK_TENSORS;
    gpt_acts_t *a = &m->a;
    double *acc = m->prof_bwd_s;
    int rc, nt = m->ntensors;

    memset(m->grads, 0, m->nparams * sizeof(float));
    memset(a->dres, 0, (size_t)N * C * sizeof(float));
    TIMED(m, acc, GPT_PROF_CROSSENTROPY,
          gpt_crossentropy_backward(a->probs, a->probs, m->targets, 1.0f / N, N,
                                    c->vocab));
    TIMED(m, acc, GPT_PROF_HEAD,
          gpt_matmul_backward(a->dbtc, m->g.wte, NULL, a->probs, a->lnf,
                              m->p.wte, N, C, c->vocab));
    TIMED(m, acc, GPT_PROF_LAYERNORM,
          gpt_layernorm_backward(a->dres, m->g.lnfw, m->g.lnfb, a->dbtc,
                                 block_input(m, L), m->p.lnfw, a->lnf_mean,
                                 a->lnf_rstd, N, C));
    if ((rc = ready_range(m, nt - 2, nt - 1, ready, arg)) < 0)
        return rc;
    for (int l = L - 1; l >= 0; l--) {
        block_backward(m, l, B, T);
        if ((rc = ready_range(m, 2 + nb * l, 1 + nb * (l + 1), ready, arg)) < 0)
            return rc;
    }
    TIMED(
        m, acc, GPT_PROF_EMBED,
        gpt_encoder_backward(m->g.wte, m->g.wpe, a->dres, m->tokens, B, T, C));
    return ready_range(m, 0, 1, ready, arg);
}
