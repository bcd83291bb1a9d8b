/* fgd.h - select/fgd internals shared by its files: the workload's task
 * types as the plugin learns them (fgd_dist.c) and the placement that
 * uses them (select_fgd.c, whose header explains the policy).
 * Internal to plugins/select/fgd: names carry the module prefix fgd_.
 */
#ifndef HUB_SELECT_FGD_H
#define HUB_SELECT_FGD_H

#include <stdbool.h>
#include <stdint.h>

#include "job.h"
#include "plugins.h"

/* Task types kept in the typical set, and the share of the jobs seen that
 * the set covers. FGD's "typical pods" are the top 95 % by count; on the
 * Alibaba v2023 inflation experiment (130 %, seeds 42, 1, 2, 3) covering
 * every type (at most 64) allocated 95.32 % of the GPUs on average
 * against 95.13 % with 95 %, so all of them are kept. */
#define FGD_MAX_TYPES 64
#define FGD_POPULAR 1.0
/* Distinct shapes remembered; jobs of further shapes are not counted (a
 * workload with more distinct shapes than this is not one FGD models). */
#define FGD_MAX_SHAPES 1024

/* One task type: what a job of it takes on its one node. */
typedef struct fgd_type {
    uint64_t cpus;   /* CPUs */
    uint64_t mem_mb; /* memory, MB */
    uint32_t gpus;   /* GPUs it needs; 0 = CPU only */
    uint32_t milli;  /* free milli-GPUs it needs on each of them */
} fgd_type_t;

/* A type of the typical set with its popularity. */
typedef struct fgd_typical {
    fgd_type_t t;
    double p; /* share among the typical set's jobs; sums to 1 */
} fgd_typical_t;

typedef struct fgd_dist {
    fgd_type_t *shapes; /* distinct shapes seen, FGD_MAX_SHAPES */
    uint64_t *count;    /* jobs seen of each */
    uint32_t nshapes;
    uint64_t njobs;      /* distinct job ids seen */
    uint32_t *ids;       /* open-addressing set of job ids (0 = empty) */
    uint32_t id_cap;     /* power of two */
    uint64_t rebuilt_at; /* njobs when typ was last rebuilt */
    fgd_typical_t typ[FGD_MAX_TYPES]; /* GPU types of the typical set */
    uint32_t ntyp;
    uint64_t gen; /* rebuilds of typ so far */
} fgd_dist_t;

/* 0 or -ENOMEM. */
int fgd_dist_init(fgd_dist_t *d);
void fgd_dist_fini(fgd_dist_t *d);

/* Count job id (once; id 0 is a probe and never counted) of type t.
 * 0 or -ENOMEM. */
int fgd_dist_observe(fgd_dist_t *d, hub_job_id_t id, const fgd_type_t *t);

/* The typical set's GPU types, rebuilt from the counts when they have
 * changed enough (at 1, 2, 4 ... 256 jobs, then every 256). CPU-only
 * types are left out: whatever node a job goes to, they add the same
 * amount (every free GPU is a fragment to them), so they never change
 * the choice. Sets *n. */
const fgd_typical_t *fgd_dist_typical(fgd_dist_t *d, uint32_t *n);

/* The select ops of FGD, shared by select/fgd and select/fgdx: create
 * with the stranding term weighted cpu_weight >= 0 (0: FGD as published;
 * select_fgd.c's header defines the term), destroy (NULL-safe) and place,
 * as hub_select_ops_t's. */
int fgd_create_weighted(void **ctx, const hub_conf_t *conf, double cpu_weight,
                        hub_error_t *err);
void fgd_destroy(void *ctx);
int fgd_place(void *ctx, const hub_place_req_t *pr, hub_alloc_t *out);

#endif /* HUB_SELECT_FGD_H */
