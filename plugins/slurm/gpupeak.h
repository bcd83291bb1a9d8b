/* gpupeak.h - the GPU type of a Slurm job and its peaks as environment
 * variables for libhubjob, from a hub.conf GpuType table.
 *
 * The type is the first of: the user's --hub-gpu-type; a typed GPU
 * request in the job's environment (SLURM_GPUS_PER_NODE=h100:2 and the
 * like; Slurm 22.05 exports no type for --gres=gpu:h100:2); the Gres type
 * of this node when hub.conf has NodeName lines; the site's default (the
 * plugin argument gpu_type=); the table's only GpuType. Kept free of Slurm
 * (it reads an environ-style array) so that it can be tested alone.
 *
 * Non-goals: per-node peaks in heterogeneous allocations (each rank
 * multiplies the per-GPU peak by its own GPUs, so mixed types of one
 * request are not told apart), HUB_PEAK_FLOPS_<P> (per node, which ranks
 * launched from the batch node would inherit for every node).
 */
#ifndef HUB_SLURM_GPUPEAK_H
#define HUB_SLURM_GPUPEAK_H

#include <stddef.h>

#include "conf.h"

/* One variable to set; sized for "HUB_GPU_PEAK_TFLOPS_BF16" and "%.17g". */
typedef struct gpupeak_var {
    char name[40];
    char value[72];
} gpupeak_var_t;

/* Most variables gpupeak_vars() writes: the type and six precisions. */
#define GPUPEAK_VARS_MAX 7

/* Whether env (NULL-terminated "NAME=VALUE" strings) shows GPUs allocated
 * on this node: SLURM_GPUS_ON_NODE > 0, else a non-empty SLURM_JOB_GPUS. */
int gpupeak_job_has_gpus(char *const *env);

/* The GpuType of conf that applies (see above); explicit and
 * site_default may be NULL. NULL when none does; err says why when a
 * name was given (explicit or site default) that the table lacks. */
const hub_conf_gpu_type_t *gpupeak_resolve(const hub_conf_t *conf,
                                           const char *explicit_type,
                                           const char *site_default,
                                           char *const *env, hub_error_t *err);

/* Write HUB_GPU_TYPE and HUB_GPU_PEAK_TFLOPS_<P> for every precision
 * whose peak t gives (> 0) into vars (GPUPEAK_VARS_MAX entries); returns
 * how many. */
size_t gpupeak_vars(const hub_conf_gpu_type_t *t, gpupeak_var_t *vars);

#endif /* HUB_SLURM_GPUPEAK_H */
