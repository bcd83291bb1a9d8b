/* gpu_passes.cu - the GPU model's forward and backward passes and its
 * optimiser step (see gpu.h), layer by layer in model.c's order and with
 * model.c's buffers, so that the two read side by side. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "gpu_impl.h"

/* The residual stream entering block l. */
static const float *block_input(const gpt_gpu_t *g, int l)
{
    return l == 0 ? g->a.encoded : g->a.blocks[l - 1].res3;
}

/* Block l's forward pass on the residual stream res [B, T, C]. */
static int block_forward(gpt_gpu_t *g, int l, const float *res, int B, int T,
                         hub_error_t *err)
{
    const gpt_block_t *p = &g->p.blocks[l];
    gpt_block_acts_t *a = &g->a.blocks[l];
    int C = g->cfg.channels, NH = g->cfg.heads, N = B * T;
    cudaStream_t s = g->stream;

    GPU_TRY(gpu_layernorm_forward(s, a->ln1, a->ln1_mean, a->ln1_rstd, res,
                                  p->ln1w, p->ln1b, N, C, err));
    GPU_TRY(gpu_matmul_forward(g, a->qkv, a->ln1, p->qkvw, p->qkvb, N, C, 3 * C,
                               err));
    GPU_TRY(
        gpu_attention_forward(g, a->atty, a->att, a->qkv, B, T, C, NH, err));
    GPU_TRY(gpu_matmul_forward(g, a->res2, a->atty, p->attprojw, p->attprojb, N,
                               C, C, err));
    GPU_TRY(gpu_residual_add(s, a->res2, res, (long)N * C, err));
    GPU_TRY(gpu_layernorm_forward(s, a->ln2, a->ln2_mean, a->ln2_rstd, a->res2,
                                  p->ln2w, p->ln2b, N, C, err));
    GPU_TRY(gpu_matmul_forward(g, a->fch, a->ln2, p->fcw, p->fcb, N, C, 4 * C,
                               err));
    GPU_TRY(gpu_gelu_forward(s, a->fch_gelu, a->fch, (long)N * 4 * C, err));
    GPU_TRY(gpu_matmul_forward(g, a->res3, a->fch_gelu, p->fcprojw, p->fcprojb,
                               N, 4 * C, C, err));
    return gpu_residual_add(s, a->res3, a->res2, (long)N * C, err);
}

/* Check ids [n] against V. */
static int check_ids(const int *ids, int n, int V, const char *what,
                     hub_error_t *err)
{
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V)
            return hub_errorf(err, EINVAL, "%s[%d] = %d not in 0..%d", what, i,
                              ids[i], V - 1);
    return 0;
}

/* Copy the tokens to the device with their positions sorted by id (a
 * stable counting sort: positions ascending within an id). */
static int upload_tokens(gpt_gpu_t *g, const int *tok, int N, hub_error_t *err)
{
    int V = g->cfg.vocab, *start = g->h_start, *fill = g->h_start + V + 1;

    GPU_TRY(check_ids(tok, N, V, "tokens", err));
    memset(start, 0, (size_t)(V + 1) * sizeof(int));
    for (int i = 0; i < N; i++)
        start[tok[i] + 1]++;
    for (int v = 0; v < V; v++)
        start[v + 1] += start[v];
    memcpy(fill, start, (size_t)V * sizeof(int));
    for (int i = 0; i < N; i++)
        g->h_order[fill[tok[i]]++] = i;
    GPU_CUDA(cudaMemcpyAsync(g->tokens, tok, (size_t)N * sizeof(int),
                             cudaMemcpyHostToDevice, g->stream));
    GPU_CUDA(cudaMemcpyAsync(g->tok_order, g->h_order, (size_t)N * sizeof(int),
                             cudaMemcpyHostToDevice, g->stream));
    GPU_CUDA(cudaMemcpyAsync(g->tok_start, start, (size_t)(V + 1) * sizeof(int),
                             cudaMemcpyHostToDevice, g->stream));
    /* the host arrays are rewritten by the next forward */
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    return 0;
}

/* The mean of the losses [N]: copied back, summed in double in order. */
static int mean_loss(gpt_gpu_t *g, int N, float *loss, hub_error_t *err)
{
    double sum = 0;

    GPU_CUDA(cudaMemcpyAsync(g->h_losses, g->a.losses,
                             (size_t)N * sizeof(float), cudaMemcpyDeviceToHost,
                             g->stream));
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    for (int i = 0; i < N; i++)
        sum += g->h_losses[i];
    *loss = (float)(sum / N);
    return 0;
}

int gpt_gpu_forward(gpt_gpu_t *g, const int *tokens, const int *targets, int B,
                    int T, float *loss, hub_error_t *err)
{
    int N = B * T, C = g->cfg.channels, L = g->cfg.layers, V = g->cfg.vocab;
    gpt_acts_t *a = &g->a;

    *loss = 0.0f;
    if (B <= 0 || T <= 0 || B > g->B || T > g->T)
        return hub_errorf(err, EINVAL, "GPU forward: %d x %d beyond %d x %d", B,
                          T, g->B, g->T);
    g->fwd_B = B;
    g->fwd_T = T;
    g->fwd_targets = 0;
    GPU_TRY(upload_tokens(g, tokens, N, err));
    GPU_TRY(gpu_encoder_forward(g->stream, a->encoded, g->tokens, g->p.wte,
                                g->p.wpe, B, T, C, err));
    for (int l = 0; l < L; l++)
        GPU_TRY(block_forward(g, l, block_input(g, l), B, T, err));
    GPU_TRY(gpu_layernorm_forward(g->stream, a->lnf, a->lnf_mean, a->lnf_rstd,
                                  block_input(g, L), g->p.lnfw, g->p.lnfb, N, C,
                                  err));
    GPU_TRY(
        gpu_matmul_forward(g, a->probs, a->lnf, g->p.wte, NULL, N, C, V, err));
    if (!targets)
        return 0;
    GPU_TRY(check_ids(targets, N, V, "targets", err));
    GPU_CUDA(cudaMemcpyAsync(g->targets, targets, (size_t)N * sizeof(int),
                             cudaMemcpyHostToDevice, g->stream));
    GPU_TRY(gpu_crossentropy_forward(g->stream, a->losses, a->probs, g->targets,
                                     N, V, err));
    g->fwd_targets = 1;
    return mean_loss(g, N, loss, err);
}

/* Block l's backward pass; a.dres holds d(loss)/d(block output) and
 * becomes d(loss)/d(block input). */
static int block_backward(gpt_gpu_t *g, int l, int B, int T, hub_error_t *err)
{
    const gpt_block_t *p = &g->p.blocks[l];
    gpt_block_t *d = &g->g.blocks[l];
    gpt_block_acts_t *a = &g->a.blocks[l];
    gpt_acts_t *s = &g->a;
    int C = g->cfg.channels, NH = g->cfg.heads, N = B * T;
    cudaStream_t st = g->stream;

    GPU_TRY(gpu_matmul_backward(g, s->dbt4c, d->fcprojw, d->fcprojb, s->dres,
                                a->fch_gelu, p->fcprojw, N, 4 * C, C, err));
    GPU_TRY(gpu_gelu_backward(st, s->dbt4c, a->fch, s->dbt4c, (long)N * 4 * C,
                              err));
    GPU_TRY(gpu_matmul_backward(g, s->dbtc, d->fcw, d->fcb, s->dbt4c, a->ln2,
                                p->fcw, N, C, 4 * C, err));
    GPU_TRY(gpu_layernorm_backward(st, s->dres, d->ln2w, d->ln2b, s->dbtc,
                                   a->res2, p->ln2w, a->ln2_mean, a->ln2_rstd,
                                   N, C, err));
    GPU_TRY(gpu_matmul_backward(g, s->dbtc, d->attprojw, d->attprojb, s->dres,
                                a->atty, p->attprojw, N, C, C, err));
    GPU_TRY(gpu_attention_backward(g, s->dbt3c, s->datt, s->dbtc, a->qkv,
                                   a->att, B, T, C, NH, err));
    GPU_TRY(gpu_matmul_backward(g, s->dbtc, d->qkvw, d->qkvb, s->dbt3c, a->ln1,
                                p->qkvw, N, C, 3 * C, err));
    return gpu_layernorm_backward(st, s->dres, d->ln1w, d->ln1b, s->dbtc,
                                  block_input(g, l), p->ln1w, a->ln1_mean,
                                  a->ln1_rstd, N, C, err);
}

/* Tensors i..j are final: wait for the stream, then hand them over. */
static int ready_range(gpt_gpu_t *g, int i, int j, gpt_bucket_fn ready,
                       void *arg, hub_error_t *err)
{
    const gpt_tensor_t *a = &g->h_tensors[i], *b = &g->h_tensors[j];
    int rc;

    if (!ready)
        return 0;
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    rc = ready(arg, a->offset, b->offset + b->count - a->offset);
    if (rc < 0)
        return hub_errorf(err, -rc, "gradient bucket %s..%s failed", a->name,
                          b->name);
    return 0;
}

int gpt_gpu_backward(gpt_gpu_t *g, gpt_bucket_fn ready, void *arg,
                     hub_error_t *err)
{
    int B = g->fwd_B, T = g->fwd_T, N = B * T, C = g->cfg.channels;
    int L = g->cfg.layers, V = g->cfg.vocab, nb = GPT_BLOCK_TENSORS;
    int nt = g->ntensors;
    gpt_acts_t *a = &g->a;
    cudaStream_t s = g->stream;

    if (!g->fwd_targets)
        return hub_errorf(err, EINVAL,
                          "GPU backward without a forward "
                          "with targets");
    GPU_CUDA(cudaMemsetAsync(g->grads, 0, g->nparams * sizeof(float), s));
    GPU_CUDA(cudaMemsetAsync(a->dres, 0, (size_t)N * C * sizeof(float), s));
    GPU_TRY(gpu_crossentropy_backward(s, a->probs, a->probs, g->targets,
                                      1.0f / N, N, V, err));
    g->fwd_targets = 0; /* a->probs now holds the logits' gradient */
    GPU_TRY(gpu_matmul_backward(g, a->dbtc, g->g.wte, NULL, a->probs, a->lnf,
                                g->p.wte, N, C, V, err));
    GPU_TRY(gpu_layernorm_backward(s, a->dres, g->g.lnfw, g->g.lnfb, a->dbtc,
                                   block_input(g, L), g->p.lnfw, a->lnf_mean,
                                   a->lnf_rstd, N, C, err));
    GPU_TRY(ready_range(g, nt - 2, nt - 1, ready, arg, err));
    for (int l = L - 1; l >= 0; l--) {
        GPU_TRY(block_backward(g, l, B, T, err));
        GPU_TRY(ready_range(g, 2 + nb * l, 1 + nb * (l + 1), ready, arg, err));
    }
    GPU_TRY(gpu_encoder_backward(s, g->g.wte, g->g.wpe, a->dres, g->tok_order,
                                 g->tok_start, B, T, C, V, err));
    return ready_range(g, 0, 1, ready, arg, err);
}

/* The global L2 norm of the gradients (fixed-order sums in double). */
static int grad_norm(gpt_gpu_t *g, double *norm, hub_error_t *err)
{
    double sum;

    GPU_TRY(gpu_sumsq(g->stream, g->partial, g->grads, g->nparams, err));
    GPU_CUDA(cudaMemcpyAsync(&sum, g->partial + GPU_NORM_BLOCKS, sizeof(sum),
                             cudaMemcpyDeviceToHost, g->stream));
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    *norm = sqrt(sum);
    return 0;
}

int gpt_gpu_optimise(gpt_gpu_t *g, const gpt_adamw_t *o, int64_t step, float lr,
                     double *norm, hub_error_t *err)
{
    float c1 = (float)(1.0 - pow(o->beta1, (double)(step + 1)));
    float c2 = (float)(1.0 - pow(o->beta2, (double)(step + 1)));

    GPU_TRY(grad_norm(g, norm, err));
    if (o->clip > 0 && *norm > o->clip)
        GPU_TRY(gpu_scale(g->stream, g->grads, g->nparams,
                          (float)(o->clip / (*norm + 1e-6)), err));
    for (int i = 0; i < g->ntensors; i++) {
        const gpt_tensor_t *t = &g->h_tensors[i];
        float wd = t->decay ? o->weight_decay : 0.0f;
        GPU_TRY(gpu_adamw(g->stream, g->params + t->offset,
                          g->grads + t->offset, g->m + t->offset,
                          g->v + t->offset, t->count, o, lr, wd, c1, c2, err));
    }
    /* the step ends here (its time is hub_step_end's to measure) */
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    return 0;
}
