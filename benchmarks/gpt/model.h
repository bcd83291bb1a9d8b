/* model.h - a GPT-2 style decoder-only transformer in C: configuration,
 * the parameter layout (one contiguous float buffer), activations, and
 * the whole model's forward and backward passes.
 *
 * The model: token and position embeddings, L pre-LayerNorm blocks
 * (causal multi-head attention, GELU MLP, residual connections), a final
 * LayerNorm and an output head tied to the token embedding, softmax
 * cross-entropy loss averaged over the batch's tokens. GEMMs go to
 * OpenBLAS (cblas_sgemm); the rest is plain C loops (layers.h).
 *
 * Parameters, gradients and AdamW moments share one layout, LAYER-MAJOR:
 *     wte [V, C] | wpe [maxT, C] | block 0 | ... | block L-1 | lnf
 * so that the gradients of block l form one contiguous range, final as
 * soon as the backward pass has left the block: a data-parallel trainer
 * all-reduces them bucket by bucket (gpt_bucket_fn) in a fixed order.
 *
 * Non-goals: dropout, mixed precision, KV caches and sampling, sequence
 * lengths other than the one the activations were sized for at creation
 * (smaller T is fine, up to cfg.max_seq).
 */
#ifndef GPT_MODEL_H
#define GPT_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The architecture. */
typedef struct gpt_config {
    const char *name; /* "tiny", "small", "gpt2-124m" */
    int vocab;        /* V: tokens (256: byte-level) */
    int max_seq;      /* maxT: positions in wpe */
    int layers;       /* L: transformer blocks */
    int heads;        /* NH: attention heads; channels % heads == 0 */
    int channels;     /* C: model width */
} gpt_config_t;

/* The named configurations ("tiny", "small", "gpt2-124m"); NULL for an
 * unknown name. */
const gpt_config_t *gpt_config_find(const char *name);

/* How a parameter tensor is initialised (GPT-2's scheme). */
typedef enum gpt_init {
    GPT_INIT_NORMAL = 0, /* normal(0, std) */
    GPT_INIT_ONES,       /* LayerNorm gains */
    GPT_INIT_ZEROS,      /* biases */
} gpt_init_t;

/* One parameter tensor of the flat buffer. */
typedef struct gpt_tensor {
    char name[24];   /* "wte", "h3.qkvw", "lnf.b" */
    size_t offset;   /* floats from the start of the buffer */
    size_t count;    /* floats: rows x cols */
    int rows, cols;  /* shape [rows, cols]; vectors are [1, n] */
    gpt_init_t init; /* how gpt_model_init fills it */
    float std;       /* for GPT_INIT_NORMAL */
    int decay;       /* 1: AdamW weight decay applies (matrices only) */
} gpt_tensor_t;

/* Pointers into one block's part of the flat buffer (parameters or
 * gradients: the layout is the same). */
typedef struct gpt_block {
    float *ln1w, *ln1b;         /* [C], [C] */
    float *qkvw, *qkvb;         /* [3C, C], [3C]: rows q | k | v */
    float *attprojw, *attprojb; /* [C, C], [C] */
    float *ln2w, *ln2b;         /* [C], [C] */
    float *fcw, *fcb;           /* [4C, C], [4C] */
    float *fcprojw, *fcprojb;   /* [C, 4C], [C] */
} gpt_block_t;

/* Parameter tensors per block (the fields of gpt_block_t). */
#define GPT_BLOCK_TENSORS 12

/* Pointers into the whole flat buffer. */
typedef struct gpt_params {
    float *wte;          /* [V, C]: token embedding = output head */
    float *wpe;          /* [maxT, C] */
    gpt_block_t *blocks; /* [L] */
    float *lnfw, *lnfb;  /* [C], [C] */
} gpt_params_t;

/* Activations of one block, kept for the backward pass ([B, T, ...]). */
typedef struct gpt_block_acts {
    float *ln1;                 /* [B, T, C]: LayerNorm 1 output */
    float *ln1_mean, *ln1_rstd; /* [B, T] */
    float *qkv;                 /* [B, T, 3C] */
    float *att;                 /* [B, NH, T, T]: softmax, 0 above diag */
    float *atty;                /* [B, T, C]: attention output */
    float *res2;                /* [B, T, C]: input + attention */
    float *ln2;                 /* [B, T, C] */
    float *ln2_mean, *ln2_rstd; /* [B, T] */
    float *fch;                 /* [B, T, 4C]: MLP pre-activation */
    float *fch_gelu;            /* [B, T, 4C] */
    float *res3;                /* [B, T, C]: the block's output */
} gpt_block_acts_t;

/* The model's activations and backward scratch, for B x T tokens. */
typedef struct gpt_acts {
    float *encoded;             /* [B, T, C]: wte[tok] + wpe[t] */
    gpt_block_acts_t *blocks;   /* [L] */
    float *lnf;                 /* [B, T, C] */
    float *lnf_mean, *lnf_rstd; /* [B, T] */
    float *probs;               /* [B, T, V]: logits, then softmax */
    float *losses;              /* [B, T]: -log p(target) */
    /* backward scratch, reused block after block */
    float *dres;  /* [B, T, C]: residual-stream gradient */
    float *dbt3c; /* [B, T, 3C]: dqkv */
    float *dbt4c; /* [B, T, 4C]: dfch_gelu, dfch */
    float *dbtc;  /* [B, T, C]: dln, datty */
    float *datt;  /* [datt_seqs, NH, T, T]: attention grads (gpt_carve_acts) */
} gpt_acts_t;

/* Where the time of a step goes (seconds), by layer type. */
typedef enum gpt_prof_kind {
    GPT_PROF_EMBED = 0,
    GPT_PROF_LAYERNORM,
    GPT_PROF_MATMUL_QKV,
    GPT_PROF_ATTENTION,
    GPT_PROF_MATMUL_ATTPROJ,
    GPT_PROF_MATMUL_FC,
    GPT_PROF_GELU,
    GPT_PROF_MATMUL_FCPROJ,
    GPT_PROF_RESIDUAL,
    GPT_PROF_HEAD,         /* output head matmul */
    GPT_PROF_CROSSENTROPY, /* softmax + loss */
    GPT_PROF_N,
} gpt_prof_kind_t;

/* Names of the kinds, for the profile table. */
extern const char *const gpt_prof_names[GPT_PROF_N];

typedef struct gpt_model {
    gpt_config_t cfg;
    int B, T;              /* the activations' batch and sequence sizes */
    int fwd_B, fwd_T;      /* the last forward's (<= B, T) */
    size_t nparams;        /* floats in each flat buffer */
    int ntensors;          /* entries of tensors */
    gpt_tensor_t *tensors; /* the layout, in buffer order */
    float *params;         /* [nparams] */
    float *grads;          /* [nparams] */
    gpt_params_t p, g;     /* pointers into params and grads */
    gpt_acts_t a;
    int *tokens;  /* [B, T]: the last forward's inputs */
    int *targets; /* [B, T] */
    int profile;  /* 1: accumulate prof_s */
    double prof_fwd_s[GPT_PROF_N], prof_bwd_s[GPT_PROF_N];
} gpt_model_t;

/* Allocate a model for batches of up to B x T tokens (T <= max_seq).
 * Parameters are zero until gpt_model_init. NULL on a bad config or no
 * memory. */
gpt_model_t *gpt_model_create(const gpt_config_t *cfg, int B, int T);
void gpt_model_destroy(gpt_model_t *m); /* NULL-safe */

/* Carve the activations of a [B, T] batch out of base (NULL: count
 * only) into a; datt holds the attention gradients of datt_seqs
 * sequences at once (B on the host, whose heads of every sequence run in
 * parallel; 1 on a GPU, which goes one sequence at a time). Returns the
 * floats needed. */
size_t gpt_carve_acts(const gpt_config_t *c, int B, int T, int datt_seqs,
                      float *base, gpt_acts_t *a);

/* Seconds on the monotonic clock (the profile's and the trainer's). */
double gpt_now(void);

/* Fill the parameters as GPT-2 does: normal(0, 0.02), the projections
 * into the residual stream (attprojw, fcprojw) with std 0.02/sqrt(2L),
 * biases 0, LayerNorm gains 1. Deterministic for a seed. */
void gpt_model_init(gpt_model_t *m, uint64_t seed);

/* Parameters counted as PaLM's N in 6N + 12LHQT: all but wte and wpe. */
size_t gpt_model_nonembedding_params(const gpt_model_t *m);

/* Forward pass of B x T tokens (B, T up to the created sizes); targets
 * may be NULL (then no loss: returns 0 and leaves logits in a.probs).
 * Returns the mean loss over the B x T tokens. */
float gpt_model_forward(gpt_model_t *m, const int *tokens, const int *targets,
                        int B, int T);

/* Called by gpt_model_backward whenever the gradients in floats
 * [offset, offset + count) of the flat buffer are final; ranges come in a
 * fixed order (lnf, block L-1, ..., block 0, then wte and wpe) and cover
 * the buffer once. Returns 0 or a negative errno, which stops the pass. */
typedef int (*gpt_bucket_fn)(void *arg, size_t offset, size_t count);

/* Backward pass of the last forward (which must have had targets):
 * gradients of the mean loss, written (not accumulated) into m->grads.
 * ready may be NULL. Returns 0 or ready's error. */
int gpt_model_backward(gpt_model_t *m, gpt_bucket_fn ready, void *arg);

#endif /* GPT_MODEL_H */
