/* ctx.h - libhubjob's context, shared by its modules:
 *
 *   job.c, env.c        init/finalize, the allocation from the environment
 *   metrics.c, jobfile.c, progress.c, cpupeak.c
 *                       steps, MFU, the HDF5 job file, the progress record
 *   ckpt*.c             checkpoints (state: struct ckpt_state, ckpt.h)
 *   comm.c              collectives through a comm plugin (comm_plugin.h)
 *
 * Each module keeps its own state behind one pointer here and exposes
 * init/fini functions to job.c; none reaches into another's state.
 */
#ifndef HUBJOB_CTX_H
#define HUBJOB_CTX_H

#include <mpi.h>
#include <stdbool.h>

#include "hubjob.h"

struct metrics_state;
struct ckpt_state;
struct comm_state;
struct jobfile;

struct hub_ctx {
    /* where the job runs (env.c) */
    int rank, world, local_rank, local_world;
    int restart_count;
    char node[64];
    char job_id[32];
    char ckpt_dir[4096];
    char job_file[4096];
    int ngpus;         /* GPUs visible to this rank */
    double peak_flops; /* whole job, at the precision in use */
    char precision[8]; /* "bf16", "fp32", ... */
    double job_gpus;   /* GPUs of the whole job (fractions possible) */
    double job_cores;  /* CPU cores of the job's CPU ranks */
    char devices[128]; /* e.g. "16 x H100", "96 CPU cores" */

    MPI_Comm comm;        /* a dup of MPI_COMM_WORLD, MPI_ERRORS_RETURN */
    bool mpi_inited_here; /* finalize calls MPI_Finalize */
    int mpi_thread;       /* thread level MPI provides (MPI_THREAD_*) */

    /* from the job file (job.c), known on every rank */
    int64_t prev_last_step; /* last step an earlier run recorded, -1 */

    /* Monotonic clock in seconds for step timing (metrics.c); tests
     * replace it through metrics_set_clock(). */
    double (*now_s)(void);

    char error[512]; /* hub_job_error() */

    struct metrics_state *metrics;
    struct jobfile *jobfile; /* rank 0 only; NULL elsewhere */
    struct ckpt_state *ckpt;
    struct comm_state *comm_state;
};

/* Record an error message in ctx and return -errnum (errnum > 0). */
int ctx_error(hub_ctx_t *ctx, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Module life cycles, called by job.c in this order (fini in reverse). */
int env_init(hub_ctx_t *ctx);     /* env.c */
int comm_init(hub_ctx_t *ctx);    /* comm.c */
int metrics_init(hub_ctx_t *ctx); /* metrics.c */
int ckpt_init(hub_ctx_t *ctx);    /* ckpt.c */
void ckpt_fini(hub_ctx_t *ctx);
/* Flushes, and on rank 0 writes the summary and the final progress
 * record; 0 or the first error (also in ctx->error). */
int metrics_fini(hub_ctx_t *ctx);
void comm_fini(hub_ctx_t *ctx);

/* Metrics that checkpoints feed: checkpoint `step` is durable, after
 * `seconds` of writing. Records the "ckpt_commit" event and the progress
 * record's ckpt_step. Any thread may call it: from another thread than
 * the one that called hub_job_init it is recorded at the next flush
 * (HDF5 is not thread-safe here). */
void metrics_ckpt_committed(hub_ctx_t *ctx, int64_t step, double seconds);

/* The checkpoint module calls this once hub_ckpt_latest/read restored
 * checkpoint `step` in a restarted run: it records the "resume" event
 * (step, restart number, the earlier run's last recorded step and the
 * steps to do again) and counts the checkpoint as durable. Callers need
 * not record a "resume" event themselves. */
void metrics_resumed(hub_ctx_t *ctx, int64_t step);

/* Test seam: time steps with now_s (monotonic seconds) from here on; the
 * run's start and the Epoch mapping are re-based on it. */
void metrics_set_clock(hub_ctx_t *ctx, double (*now_s)(void));

#endif /* HUBJOB_CTX_H */
