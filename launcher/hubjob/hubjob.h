/* hubjob.h - libhubjob: what a training or inference program links.
 *
 * It tells the program where it runs (rank, world, node, restart count,
 * from hubsched's HUB_* variables, Slurm's SLURM_*, or Open MPI's OMPI_*),
 * measures how well the job uses the hardware (MFU), saves and restores
 * its state in HDF5 checkpoints, and offers collectives that use NCCL on
 * GPUs and MPI on CPUs. The same program runs under hubsched, under Slurm
 * and under a plain mpirun.
 *
 *     hub_ctx_t *ctx;
 *     hub_job_init(&ctx, &argc, &argv);           // MPI_Init if needed
 *     hub_model_t m = {.params = 124e6, .layers = 12, .heads = 12,
 *                      .head_dim = 64, .seq_len = 1024};
 *     hub_job_set_model(ctx, &m);
 *     int64_t step = 0, ck;
 *     while (hub_ckpt_latest(ctx, &ck) == 0) {     // restore (see below)
 *         ...hub_ckpt_read(ctx, ck, ...) of every tensor...
 *         if (hub_ckpt_read_end(ctx, ck) == 0) { step = ck; break; }
 *     }
 *     for (; step < nsteps; step++) {
 *         hub_step_begin(ctx, step);
 *         ...forward, backward, hub_comm_allreduce(...), update...
 *         hub_step_end(ctx, tokens_this_step_all_ranks, loss);
 *         if (step % 100 == 0 || hub_ckpt_requested(ctx)) { begin/add/commit }
 *     }
 *     hub_job_finalize(ctx);                      // summary, MPI_Finalize
 *
 * Conventions: functions return 0 or a negative errno; hub_job_error()
 * says why in words. Times are seconds (double) unless the name says
 * otherwise; FLOPs and FLOP/s are plain doubles (not tera). Every rank
 * calls every function marked "collective", in the same order.
 *
 * The job file (HDF5, written by rank 0): attributes, /metrics, /events
 * and a summary; schema in doc/hubjob.md. Checkpoints: HDF5 files under
 * the checkpoint directory; schema in doc/hubjob.md.
 */
#ifndef HUBJOB_H
#define HUBJOB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HUBJOB_VERSION_MAJOR 0
#define HUBJOB_VERSION_MINOR 1

typedef struct hub_ctx hub_ctx_t;

/* Element types of tensors (checkpoints) and buffers (collectives). */
typedef enum hub_dtype {
    HUB_DTYPE_FLOAT32 = 0,
    HUB_DTYPE_BFLOAT16, /* stored as uint16 bit patterns */
    HUB_DTYPE_FLOAT16,  /* IEEE half, stored as uint16 bit patterns */
    HUB_DTYPE_FLOAT64,
    HUB_DTYPE_INT32,
    HUB_DTYPE_INT64,
    HUB_DTYPE_UINT8,
} hub_dtype_t;

/* Bytes per element of dtype (0 for an unknown one). */
size_t hub_dtype_size(hub_dtype_t dtype);

/* ---- the job ----------------------------------------------------------- */

/* Collective. Read the allocation from the environment (HUB_*, SLURM_*,
 * OMPI_* or PMIx; doc/hubjob.md lists the variables), initialise MPI if
 * the program has not (MPI_THREAD_FUNNELED: a program that calls MPI from
 * several threads initialises MPI itself first), sum the job's peak
 * FLOP/s over the ranks, choose the collective backend (HUB_COMM=mpi|nccl;
 * default nccl when GPUs are allocated and NCCL is available, else mpi),
 * open the job file on rank 0 (a restarted job appends to its file),
 * record a "start" event, and install the checkpoint-request signal
 * handler (SIGUSR1, or HUB_CKPT_SIGNAL). The "resume" event is recorded
 * when a restarted run restores its checkpoint. argc/argv may be NULL.
 * On failure *ctx is NULL and the message is printed to stderr by rank 0
 * (there is no context yet to ask); another job's file is -EEXIST. */
int hub_job_init(hub_ctx_t **ctx, int *argc, char ***argv);

/* Collective. Flush metrics, write the summary (mean and median MFU,
 * tokens/s, goodput, work lost) to the job file, close it, finish pending
 * checkpoints, tear down the collectives, and MPI_Finalize if init called
 * MPI_Init. Frees ctx. */
int hub_job_finalize(hub_ctx_t *ctx);

/* The last error's message ("" when none). Valid until the next call. */
const char *hub_job_error(const hub_ctx_t *ctx);

int hub_job_rank(const hub_ctx_t *ctx);       /* 0 .. world - 1 */
int hub_job_world(const hub_ctx_t *ctx);      /* number of ranks */
int hub_job_local_rank(const hub_ctx_t *ctx); /* rank on this node */
int hub_job_local_world(const hub_ctx_t *ctx);
const char *hub_job_node(const hub_ctx_t *ctx); /* this node's name */
const char *hub_job_id(const hub_ctx_t *ctx);   /* "12", "" outside a job */
/* 0 on the first run: HUB_RESTART_COUNT or SLURM_RESTART_COUNT, or the
 * runs the job file already holds if that is more. */
int hub_job_restart_count(const hub_ctx_t *ctx);
const char *hub_job_ckpt_dir(const hub_ctx_t *ctx);
const char *hub_job_file(const hub_ctx_t *ctx); /* the HDF5 job file */
/* GPUs this rank may use (CUDA_VISIBLE_DEVICES), 0 for a CPU rank. */
int hub_job_gpus(const hub_ctx_t *ctx);
/* Dense peak FLOP/s of the devices of the whole job at the precision in
 * use (HUB_PRECISION: bf16 (default on GPUs), fp16, tf32, fp32 (default
 * on CPUs), fp64): GPU peaks from hub.conf's GpuType table passed down by
 * the controller (HUB_PEAK_FLOPS_<P>, HUB_GPU_PEAK_TFLOPS_<P>), GPUs that
 * several ranks of a node see counted once; for CPU ranks the FMA peak
 * of a core measured once per node and cached (or HUB_CPU_PEAK_FLOPS)
 * times the cores the ranks use. 0 when unknown (every MFU is then 0). */
double hub_job_peak_flops(const hub_ctx_t *ctx);

/* ---- MFU and progress -------------------------------------------------- */

/* A decoder transformer, for model FLOPs per token = 6 N + 12 L H Q T
 * (PaLM, appendix B). flops_per_token > 0 overrides the formula. */
typedef struct hub_model {
    double params;          /* N: parameters (non-embedding, as PaLM counts) */
    int layers;             /* L */
    int heads;              /* H */
    int head_dim;           /* Q */
    int seq_len;            /* T: tokens per sequence */
    double flops_per_token; /* > 0: use this instead of the formula */
    const char *name;       /* free text stored in the job file, may be NULL */
} hub_model_t;

/* Model FLOPs per token of m (the formula, or m->flops_per_token). */
double hub_model_flops_per_token(const hub_model_t *m);

/* Describe the model once (any rank may; all should give the same);
 * rank 0 records it in the job file. -EINVAL for negative sizes or a
 * description that gives no FLOPs. */
int hub_job_set_model(hub_ctx_t *ctx, const hub_model_t *m);

/* Mark the start of training step `step` (monotonic within a run). */
int hub_step_begin(hub_ctx_t *ctx, int64_t step);

/* Mark its end: tokens processed by the WHOLE job in this step (global
 * batch x sequence length), its loss (NaN if unknown). Records step time,
 * tokens/s, model FLOP/s and MFU = model FLOP/s / hub_job_peak_flops()
 * (0 before hub_job_set_model). Cheap (no communication; about 0.4 us
 * with flushes): metrics are buffered and written, and the progress
 * record refreshed, every HUB_FLUSH_STEPS steps (default 50) but at most
 * once a second, and at least every HUB_FLUSH_SECONDS (default 5). A
 * flush that fails returns its error once; those rows are dropped.
 * -EINVAL without hub_step_begin. */
int hub_step_end(hub_ctx_t *ctx, int64_t tokens, double loss);

/* As hub_step_end with the model FLOPs of the step given directly (for
 * models the formula does not describe). */
int hub_step_end_flops(hub_ctx_t *ctx, int64_t tokens, double loss,
                       double model_flops);

/* Record an event in the job file's /events (rank 0 only; others no-op):
 * a name ("restart", "ckpt_loaded"...; 1 to 31 characters), a duration in
 * seconds (0 if none) and free text (NULL for none; cut at 255). */
int hub_job_event(hub_ctx_t *ctx, const char *name, double duration_s,
                  const char *detail);

/* Statistics so far on this rank (for printing). */
typedef struct hub_stats {
    int64_t steps;       /* steps ended in this run */
    int64_t last_step;   /* the last step ended (-1 if none) */
    double last_step_s;  /* its duration */
    double tokens_per_s; /* since the last flush, else its window */
    double mfu;          /* since the last flush, else its window */
    double mean_mfu;     /* over the run */
} hub_stats_t;

int hub_job_stats(const hub_ctx_t *ctx, hub_stats_t *out);

/* ---- checkpoints ------------------------------------------------------- */

/* How a tensor is spread over the ranks. */
typedef enum hub_shard {
    HUB_SHARD_REPLICATED = 0, /* same on every rank: rank 0 saves it */
    HUB_SHARD_DIM0,           /* split along dim 0: each rank its slice */
    HUB_SHARD_PRIVATE,        /* each rank's own (RNG state, data cursor) */
} hub_shard_t;

enum {
    HUB_CKPT_ASYNC = 1 << 0, /* copy now, write in a background thread */
    /* As HUB_CKPT_ASYNC without the copy: the thread writes from the
     * caller's memory, which must stay unchanged until hub_ckpt_wait
     * returns or the next hub_ckpt_begin (a program may run a forward and
     * backward pass meanwhile, but not the optimizer step). */
    HUB_CKPT_ASYNC_NOCOPY = 1 << 1,
};

/* Collective. Start checkpoint `step` (>= 0) under hub_job_ckpt_dir():
 * <dir>/step-<step>/, emptied if it exists (doc/hubjob.md, "Checkpoints").
 * With HUB_CKPT_ASYNC the tensors given to hub_ckpt_add are copied into
 * host buffers at once (kept for the next checkpoint) and written by a
 * background thread after commit; the training loop stalls only for the
 * copy. A previous asynchronous checkpoint still being written is waited
 * for first (a failure of it is warned about; hub_ckpt_wait returns it).
 * -EINVAL while another checkpoint is open. */
int hub_ckpt_begin(hub_ctx_t *ctx, int64_t step, int flags);

/* Add a tensor: its name (unique in the checkpoint, "a/b" paths allowed,
 * no leading '/'), data (host memory), dtype, ndims <= 8 and dims (this
 * rank's dims for DIM0 and PRIVATE), how it is sharded. Without
 * HUB_CKPT_ASYNC, data must stay unchanged until hub_ckpt_commit returns
 * (with HUB_CKPT_ASYNC_NOCOPY: until hub_ckpt_wait returns).
 * Each tensor gets a checksum (CRC32C). -EEXIST for a name added twice. */
int hub_ckpt_add(hub_ctx_t *ctx, const char *name, const void *data,
                 hub_dtype_t dtype, int ndims, const uint64_t *dims,
                 hub_shard_t shard);

/* Collective. Make the checkpoint durable and atomic: every rank writes
 * its file under a temporary name, fsyncs and renames it; rank 0 then
 * writes the index with every tensor's checksum and, last, the completion
 * marker; only the last HUB_CKPT_KEEP (default 2) complete checkpoints
 * are kept, older ones deleted once the new one is complete. Returns the
 * same result on every rank. Asynchronous: returns once the write is
 * handed off. */
int hub_ckpt_commit(hub_ctx_t *ctx);

/* Wait for an asynchronous checkpoint to be complete (on every rank: the
 * writer waits for rank 0's marker); its error, or 0 (also when none). */
int hub_ckpt_wait(hub_ctx_t *ctx);

/* Restoring is a loop, because data are checksummed as they are read
 * into the caller's buffers (one pass over the bytes), so damage is only
 * known once part of the state was overwritten:
 *
 *     while ((rc = hub_ckpt_latest(ctx, &step)) == 0) {
 *         ...hub_ckpt_read of every tensor (-EBADMSG: go on or stop)...
 *         if ((rc = hub_ckpt_read_end(ctx, step)) != -EBADMSG) break;
 *     }
 *
 * A torn or corrupted checkpoint is thus skipped with a warning from
 * rank 0 on stderr and the one before it used. */

/* Collective. The newest checkpoint that is complete, sound in its
 * structure (marker, index, file sizes, HDF5 metadata that place each
 * tensor where the index says; no data are read) and that no earlier
 * hub_ckpt_read_end of this process refused: 0 and *step, the same on
 * every rank, or -ENOENT when there is none. Steps skipped are warned
 * about on stderr by rank 0. */
int hub_ckpt_latest(hub_ctx_t *ctx, int64_t *step);

/* Read tensor `name` of checkpoint `step` into data, which holds the
 * dims given (this rank's slice for DIM0, its own for PRIVATE: the job
 * must have as many ranks as when it saved for those; REPLICATED ones
 * read on any rank); dtype and dims must match what was saved (-EINVAL),
 * -ENOENT for a name it does not have. The bytes are checksummed on the
 * way: -EBADMSG on a mismatch (-EIO, -ENOENT for a file truncated or
 * gone), data then undefined and the step damaged for
 * hub_ckpt_read_end. */
int hub_ckpt_read(hub_ctx_t *ctx, int64_t step, const char *name, void *data,
                  hub_dtype_t dtype, int ndims, const uint64_t *dims);

/* Collective, after this rank's hub_ckpt_read calls of step: 0 when no
 * rank's read of it found damage (the "resume" event is then recorded),
 * else -EBADMSG on every rank, and the next hub_ckpt_latest skips step
 * with the first damage found as the reason. */
int hub_ckpt_read_end(hub_ctx_t *ctx, int64_t step);

/* Collective. 1 on every rank when a checkpoint was requested from
 * outside on any rank since the last time this returned 1: the checkpoint
 * signal (HUB_CKPT_SIGNAL, default SIGUSR1; hrun forwards the scheduler's
 * --signal before a time limit, or a user's kill -USR1), else 0, or a
 * negative errno. Call at a step boundary. */
int hub_ckpt_requested(hub_ctx_t *ctx);

/* ---- collectives ------------------------------------------------------- */

/* Operators of reductions. */
typedef enum hub_redop {
    HUB_OP_SUM = 0,
    HUB_OP_AVG, /* sum / world */
    HUB_OP_MAX,
    HUB_OP_MIN,
} hub_redop_t;

/* "mpi" or "nccl" ("" before init). With "nccl" the buffers below are
 * device memory (the current CUDA device, local rank % devices), with
 * "mpi" host memory. */
const char *hub_comm_backend(const hub_ctx_t *ctx);

/* The collectives: every rank calls them with the same counts, dtype, op
 * and root; they return when this rank's result is in place. Counts are
 * elements; a count of 0 does nothing. Every backend moves every dtype;
 * reductions take float32, bfloat16, float16, float64, int32 and int64
 * (-ENOTSUP for uint8, and for AVG on integers). With MPI, bf16 and fp16
 * reductions accumulate in float32 and round once (to nearest even); with
 * NCCL they follow NCCL. Send and receive buffers must not overlap except
 * exactly as each function's "in place" says (-EINVAL). Errors: -EINVAL
 * (bad argument), -ENOTSUP, -EOVERFLOW (count too large for the backend:
 * MPI takes at most INT_MAX), or the backend's failure; hub_job_error()
 * says why. */

/* In place when sendbuf == recvbuf. */
int hub_comm_allreduce(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                       size_t count, hub_dtype_t dtype, hub_redop_t op);
/* root's buf (0 <= root < world) into every rank's buf. */
int hub_comm_broadcast(hub_ctx_t *ctx, void *buf, size_t count,
                       hub_dtype_t dtype, int root);
/* recvbuf holds world x sendcount elements, rank r's at r x sendcount. In
 * place when sendbuf == recvbuf + rank x sendcount elements. */
int hub_comm_allgather(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                       size_t sendcount, hub_dtype_t dtype);
/* sendbuf holds world x recvcount elements; rank r gets the reduction of
 * everyone's r-th block. In place when recvbuf == sendbuf + rank x
 * recvcount elements (the rest of sendbuf is then undefined). */
int hub_comm_reduce_scatter(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                            size_t recvcount, hub_dtype_t dtype,
                            hub_redop_t op);
/* Returns once every rank has entered it (and its collectives are done). */
int hub_comm_barrier(hub_ctx_t *ctx);

#ifdef __cplusplus
}
#endif

#endif /* HUBJOB_H */
