/* env.h - the allocation as the environment describes it (env.c), and the
 * job's peak FLOP/s computed from it across the ranks (peak.c).
 *
 * Variables, first found wins (doc/hubjob.md, "Environment"):
 *   rank         HUB_RANK, OMPI_COMM_WORLD_RANK, PMIX_RANK, SLURM_PROCID
 *   world        HUB_WORLD_SIZE, OMPI_COMM_WORLD_SIZE, SLURM_NTASKS
 *   local rank   HUB_LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID
 *   local world  HUB_LOCAL_SIZE, OMPI_COMM_WORLD_LOCAL_SIZE
 *   node         HUB_NODE, SLURMD_NODENAME, else the host name
 *   job id       HUB_JOB_ID, SLURM_JOB_ID, else ""
 *   restarts     HUB_RESTART_COUNT, SLURM_RESTART_COUNT, else 0
 *   checkpoints  HUB_CKPT_DIR, else ./ckpt-<job id> (./ckpt without one)
 *   job file     HUB_JOB_FILE, HUB_METRICS_FILE, else ./hubjob-<job id>.h5
 *                (./hubjob.h5 without one)
 *   GPUs         CUDA_VISIBLE_DEVICES (entries), else HUB_GPUS, else 0
 *   precision    HUB_PRECISION: bf16, fp16, tf32, fp32, fp64 (default bf16
 *                with GPUs, fp32 without)
 *   GPU peaks    HUB_GPU_TYPE; HUB_GPU_PEAK_TFLOPS_<P> (one GPU) and
 *                HUB_PEAK_FLOPS_<P> (the node's allocation), P the
 *                precision in capitals; FP16 falls back to BF16's
 *   CPU peak     HUB_CPU_PEAK_FLOPS (FP32 FLOP/s of one core)
 * MPI is the authority on rank, world and local rank once it is up; the
 * environment's values are checked against it.
 */
#ifndef HUBJOB_ENV_H
#define HUBJOB_ENV_H

#include <stdint.h>

#include "ctx.h"
#include "error.h"

/* Looks a variable up (getenv, or a table in tests); NULL when unset. */
typedef const char *(*env_get_fn)(const char *name);

typedef struct env_alloc {
    int rank, world, local_rank, local_world; /* -1 when not given */
    int restart_count;
    char node[64];
    char job_id[32];
    char ckpt_dir[4096];
    char job_file[4096];
    char gpu_type[32];      /* "" when not given */
    int ngpus;              /* GPUs visible to this rank */
    uint64_t gpu_set_hash;  /* of the GPU list: equal when ranks share */
    char precision[8];      /* "bf16", "fp16", "tf32", "fp32", "fp64" */
    double gpu_peak_flops;  /* one GPU at precision; 0 unknown */
    double node_peak_flops; /* the node's allocation; 0 unknown */
    double cpu_core_flops;  /* HUB_CPU_PEAK_FLOPS; 0 when unset */
} env_alloc_t;

/* Fill a from the variables above, read through get. -EINVAL with the
 * variable's name in err for a malformed value. */
int env_read(env_alloc_t *a, env_get_fn get, hub_error_t *err);

/* Collective. Set ctx's local rank and world (MPI's shared-memory split),
 * and its peak FLOP/s, GPU and core counts and device description:
 * each rank contributes its share of its node's devices (ranks that see
 * the same GPUs split them; CPU ranks' cores are scaled down when they
 * add up to more than the node's online CPUs), summed by one Allreduce.
 * CPU ranks measure (or read the cached) core peak once per node. */
int peak_init(hub_ctx_t *ctx, const env_alloc_t *a, hub_error_t *err);

#endif /* HUBJOB_ENV_H */
