/* trainer.h - data-parallel training of the GPT model through libhubjob:
 * one step (data, forward, backward, bucketed gradient all-reduce,
 * clipping, AdamW) with hub_step_begin/end around it, the validation
 * loss, and checkpoints that resume bit for bit.
 *
 * Data parallelism: the global batch of Bg sequences is split into equal
 * slices, one per rank (Bg % world == 0); each rank averages its loss
 * over its tokens and the gradients are averaged over the ranks
 * (HUB_OP_AVG), one all-reduce per parameter bucket (the final
 * LayerNorm, each block from the last to the first, then the
 * embeddings), issued as the backward pass finishes each bucket, in the
 * same order on every rank.
 *
 * Checkpoint tensors (all replicated; rank 0 writes them):
 *   gpt/header  int64 [8]: GPT_CKPT_MAGIC, GPT_CKPT_VERSION, V, maxT, L,
 *               NH, C, and Bg x 2^20 + T (a resume must match all eight)
 *   params, adam/m, adam/v   float32 [nparams], the flat layout
 *   data/cursor int64 [5]: the data RNG's four words, windows drawn
 * The checkpoint's step is the number of steps done.
 *
 * On an accelerator (accel.h; the GPU: accel_cuda.c) the same step runs
 * there: forward, backward with the same buckets averaged in the same
 * order, clipping and AdamW; the host model then only holds the layout
 * and the copies that checkpoints and hashes read (gpt_trainer_sync).
 *
 * Non-goals: gradient accumulation, sharded optimiser state, overlapping
 * the all-reduce with compute (libhubjob initialises MPI with
 * MPI_THREAD_FUNNELED, so no second thread may communicate).
 */
#ifndef GPT_TRAINER_H
#define GPT_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "adamw.h"
#include "data.h"
#include "error.h"
#include "hubjob.h"
#include "model.h"

#define GPT_CKPT_MAGIC 0x47505432 /* "GPT2" */
#define GPT_CKPT_VERSION 1

/* Time per phase of the steps so far (seconds), beside the model's own
 * per-layer profile. */
typedef struct gpt_phase_times {
    double data_s;  /* drawing the batch */
    double comm_s;  /* gradient and loss all-reduces */
    double optim_s; /* norm, clipping, AdamW */
    double ckpt_s;  /* checkpoints: saving, and waiting for the writer */
} gpt_phase_times_t;

typedef struct gpt_trainer {
    hub_ctx_t *ctx;
    const gpt_data_t *data;
    gpt_model_t *model; /* activations for [Bl, T] (for [1, 1] on accel) */
    const gpt_accel_ops_t *accel; /* NULL: the host model computes */
    void *acc;                    /* the accelerator's state */
    gpt_adamw_t opt;
    float *m, *v; /* [nparams]: AdamW moments */
    gpt_cursor_t cursor;
    int Bg, Bl, T; /* global, per-rank batch (sequences); T */
    int rank, world;
    int *tokens, *targets; /* [Bl, T] */
    int64_t step;          /* steps done */
    float last_lr;         /* the last step's learning rate */
    double last_norm;      /* its gradient norm before clipping */
    gpt_phase_times_t times;
    /* A checkpoint being written from the state itself (state.c): the
     * small tensors it holds, and whether the writer may still read. */
    int64_t ckpt_header[8], ckpt_cursor[5];
    bool ckpt_writing;
} gpt_trainer_t;

/* A trainer for cfg on this job's ranks: model initialised from seed,
 * moments zero, cursor at the start; on accel (NULL: the host). */
int gpt_trainer_create(gpt_trainer_t **out, hub_ctx_t *ctx,
                       const gpt_data_t *data, const gpt_config_t *cfg, int Bg,
                       int T, const gpt_adamw_t *opt,
                       const gpt_accel_ops_t *accel, uint64_t seed,
                       hub_error_t *err);
void gpt_trainer_destroy(gpt_trainer_t *tr); /* NULL-safe */

/* Collective. One training step, recorded with hub_step_begin/end;
 * *loss is the global batch's mean loss (the same on every rank). */
int gpt_trainer_step(gpt_trainer_t *tr, float *loss, hub_error_t *err);

/* Collective. Mean loss over nbatches validation batches of Bg x T. */
int gpt_trainer_val(gpt_trainer_t *tr, int nbatches, float *loss,
                    hub_error_t *err);

/* Collective. Checkpoint the state at tr->step. Asynchronous and without
 * a copy (HUB_CKPT_ASYNC_NOCOPY): libhubjob's writer reads the state
 * itself while the next steps' forward and backward passes run, which
 * only read it; the optimiser waits for the writer (gpt_trainer_ckpt_
 * wait) before it changes the state. The loop thus stalls for the layout
 * and whatever of the write outlasts a forward and backward pass. */
int gpt_trainer_save(gpt_trainer_t *tr, hub_error_t *err);

/* Wait until no checkpoint reads the state (no-op when none does). A
 * failed write is reported on stderr, not returned: training goes on and
 * the previous checkpoint stays the newest. */
void gpt_trainer_ckpt_wait(gpt_trainer_t *tr);

/* Collective. Restore the newest valid checkpoint: 0, or -ENOENT when
 * there is none, or an error: a checkpoint of another format, model or
 * batch shape (refused from its header, the state untouched), or a
 * failed read (the state then half restored: the caller must stop). */
int gpt_trainer_resume(gpt_trainer_t *tr, hub_error_t *err);

/* Copy the accelerator's parameters and moments into the host model and
 * tr->m, tr->v (nothing to do on the host). */
int gpt_trainer_sync(gpt_trainer_t *tr, hub_error_t *err);

/* FNV-1a over the host parameters' bytes (gpt_trainer_sync first on an
 * accelerator): equal hashes, equal parameters. */
uint64_t gpt_trainer_param_hash(const gpt_trainer_t *tr);

/* The hub_model_t describing the model (for hub_job_set_model and the
 * FLOP formula): N = non-embedding parameters, T = the trained T. */
hub_model_t gpt_trainer_hub_model(const gpt_trainer_t *tr);

#endif /* GPT_TRAINER_H */
