/* gpu_model.cu - the GPT model on one GPU (see gpu.h): device memory in
 * the host model's layout, and the forward and backward passes composed
 * exactly as model.c composes them, from the kernels of gpu_kernels.cu
 * and the GEMMs of gpu_matmul.cu, all on the model's stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_impl.h"

/* The device address of the host model's pointer hp (into hbase). */
static float *rebase(float *base, const float *hbase, const float *hp)
{
    return base + (hp - hbase);
}

/* Device pointers of every tensor, from the host model's pointers. */
static void map_params(gpt_params_t *d, float *base, const gpt_model_t *h)
{
    const gpt_params_t *p = &h->p;

#define MAP(field) d->field = rebase(base, h->params, p->field)
    MAP(wte);
    MAP(wpe);
    MAP(lnfw);
    MAP(lnfb);
    for (int l = 0; l < h->cfg.layers; l++) {
#define MAPB(field)                                                            \
    d->blocks[l].field = rebase(base, h->params, p->blocks[l].field)
        MAPB(ln1w);
        MAPB(ln1b);
        MAPB(qkvw);
        MAPB(qkvb);
        MAPB(attprojw);
        MAPB(attprojb);
        MAPB(ln2w);
        MAPB(ln2b);
        MAPB(fcw);
        MAPB(fcb);
        MAPB(fcprojw);
        MAPB(fcprojb);
#undef MAPB
    }
#undef MAP
}

/* Host-side arrays of the model. */
static int alloc_host(gpt_gpu_t *g, const gpt_model_t *h, hub_error_t *err)
{
    size_t L = (size_t)h->cfg.layers, BT = (size_t)g->B * g->T;
    size_t V = (size_t)h->cfg.vocab;

    g->h_tensors =
        (gpt_tensor_t *)calloc((size_t)h->ntensors, sizeof(gpt_tensor_t));
    g->p.blocks = (gpt_block_t *)calloc(L, sizeof(gpt_block_t));
    g->g.blocks = (gpt_block_t *)calloc(L, sizeof(gpt_block_t));
    g->a.blocks = (gpt_block_acts_t *)calloc(L, sizeof(gpt_block_acts_t));
    g->h_order = (int *)calloc(BT, sizeof(int));
    g->h_start = (int *)calloc(2 * (V + 1), sizeof(int));
    g->h_losses = (float *)calloc(BT, sizeof(float));
    if (!g->h_tensors || !g->p.blocks || !g->g.blocks || !g->a.blocks ||
        !g->h_order || !g->h_start || !g->h_losses)
        return hub_errorf(err, ENOMEM, "GPU model: out of host memory");
    memcpy(g->h_tensors, h->tensors,
           (size_t)h->ntensors * sizeof(gpt_tensor_t));
    return 0;
}

/* Device memory: the four flat buffers, activations, token arrays. */
static int alloc_device(gpt_gpu_t *g, hub_error_t *err)
{
    size_t n = g->nparams, BT = (size_t)g->B * g->T;
    size_t nacts = gpt_carve_acts(&g->cfg, g->B, g->T, 1, NULL, &g->a);
    int V = g->cfg.vocab;

    GPU_CUDA(cudaMalloc((void **)&g->params, 4 * n * sizeof(float)));
    g->grads = g->params + n;
    g->m = g->params + 2 * n;
    g->v = g->params + 3 * n;
    GPU_CUDA(cudaMemsetAsync(g->params, 0, 4 * n * sizeof(float), g->stream));
    GPU_CUDA(cudaMalloc((void **)&g->acts, nacts * sizeof(float)));
    gpt_carve_acts(&g->cfg, g->B, g->T, 1, g->acts, &g->a);
    GPU_CUDA(cudaMalloc((void **)&g->tokens, BT * sizeof(int)));
    GPU_CUDA(cudaMalloc((void **)&g->targets, BT * sizeof(int)));
    GPU_CUDA(cudaMalloc((void **)&g->tok_order, BT * sizeof(int)));
    GPU_CUDA(cudaMalloc((void **)&g->tok_start, (V + 1) * sizeof(int)));
    GPU_CUDA(cudaMalloc((void **)&g->partial,
                        (GPU_NORM_BLOCKS + 1) * sizeof(double)));
    GPU_CUDA(cudaMalloc((void **)&g->scalar, sizeof(float)));
    return 0;
}

static int setup(gpt_gpu_t *g, const gpt_model_t *h, int dev, int tf32,
                 hub_error_t *err)
{
    GPU_TRY(alloc_host(g, h, err));
    GPU_CUDA(cudaSetDevice(dev));
    GPU_CUDA(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking));
    GPU_BLAS(cublasCreate(&g->blas));
    GPU_BLAS(cublasSetStream(g->blas, g->stream));
    GPU_BLAS(cublasSetMathMode(g->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                             : CUBLAS_PEDANTIC_MATH));
    GPU_TRY(alloc_device(g, err));
    map_params(&g->p, g->params, h);
    map_params(&g->g, g->grads, h);
    return gpt_gpu_put(g, h->params, NULL, NULL, err);
}

int gpt_gpu_create(gpt_gpu_t **out, const gpt_model_t *host, int B, int T,
                   int dev, int tf32, hub_error_t *err)
{
    gpt_gpu_t *g;
    int rc;

    *out = NULL;
    if (B <= 0 || T <= 0 || T > host->cfg.max_seq)
        return hub_errorf(err, EINVAL, "GPU model: batch %d x %d not valid", B,
                          T);
    if (!(g = (gpt_gpu_t *)calloc(1, sizeof(*g))))
        return hub_errorf(err, ENOMEM, "GPU model: out of memory");
    g->cfg = host->cfg;
    g->B = B;
    g->T = T;
    g->dev = dev;
    g->nparams = host->nparams;
    g->ntensors = host->ntensors;
    if ((rc = setup(g, host, dev, tf32, err)) < 0) {
        gpt_gpu_destroy(g);
        return rc;
    }
    *out = g;
    return 0;
}

void gpt_gpu_destroy(gpt_gpu_t *g)
{
    if (!g)
        return;
    if (g->stream)
        cudaStreamSynchronize(g->stream);
    cudaFree(g->params); /* cudaFree(NULL) does nothing */
    cudaFree(g->acts);
    cudaFree(g->tokens);
    cudaFree(g->targets);
    cudaFree(g->tok_order);
    cudaFree(g->tok_start);
    cudaFree(g->partial);
    cudaFree(g->scalar);
    if (g->blas)
        cublasDestroy(g->blas);
    if (g->stream)
        cudaStreamDestroy(g->stream);
    free(g->h_tensors);
    free(g->p.blocks);
    free(g->g.blocks);
    free(g->a.blocks);
    free(g->h_order);
    free(g->h_start);
    free(g->h_losses);
    free(g);
}

/* Copy bytes between host and device on the stream and wait for it. */
static int copy(gpt_gpu_t *g, void *dst, const void *src, size_t bytes,
                cudaMemcpyKind kind, hub_error_t *err)
{
    GPU_CUDA(cudaMemcpyAsync(dst, src, bytes, kind, g->stream));
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    return 0;
}

int gpt_gpu_put(gpt_gpu_t *g, const float *params, const float *m,
                const float *v, hub_error_t *err)
{
    size_t bytes = g->nparams * sizeof(float);
    const float *src[3] = {params, m, v};
    float *dst[3] = {g->params, g->m, g->v};

    for (int i = 0; i < 3; i++)
        if (src[i])
            GPU_TRY(
                copy(g, dst[i], src[i], bytes, cudaMemcpyHostToDevice, err));
    return 0;
}

int gpt_gpu_get(gpt_gpu_t *g, float *params, float *grads, float *m, float *v,
                hub_error_t *err)
{
    size_t bytes = g->nparams * sizeof(float);
    float *dst[4] = {params, grads, m, v};
    const float *src[4] = {g->params, g->grads, g->m, g->v};

    for (int i = 0; i < 4; i++)
        if (dst[i])
            GPU_TRY(
                copy(g, dst[i], src[i], bytes, cudaMemcpyDeviceToHost, err));
    return 0;
}

int gpt_gpu_probs(gpt_gpu_t *g, float *host, hub_error_t *err)
{
    size_t n = (size_t)g->fwd_B * g->fwd_T * g->cfg.vocab;

    return copy(g, host, g->a.probs, n * sizeof(float), cudaMemcpyDeviceToHost,
                err);
}

float *gpt_gpu_grads(gpt_gpu_t *g)
{
    return g->grads;
}

float *gpt_gpu_scalar(gpt_gpu_t *g)
{
    return g->scalar;
}

int gpt_gpu_copy(gpt_gpu_t *g, void *dst, const void *src, size_t bytes,
                 hub_error_t *err)
{
    return copy(g, dst, src, bytes, cudaMemcpyDefault, err);
}

int gpt_gpu_sync(gpt_gpu_t *g, hub_error_t *err)
{
    GPU_CUDA(cudaStreamSynchronize(g->stream));
    return 0;
}
