/* factors.h - the job factors both priority plugins share (Slurm style).
 *
 * priority/basic and priority/multifactor weigh the same per-job factors,
 * each normalised to [0, 1] as in Slurm's priority/multifactor
 * (https://slurm.schedmd.com/priority_multifactor.html, "Job Priority
 * Factors In General"):
 *
 *   age        min(1, (now - since) / PriorityMaxAge), where since is the
 *              time the job became eligible, or its submit time while it is
 *              not eligible yet. PriorityMaxAge=0 means 7 days; UNLIMITED
 *              keeps age at 0.
 *   job_size   the job's share of the cluster, larger jobs higher (Slurm's
 *              default, PriorityFavorSmall=NO): requested GPUs / GPUs of
 *              all nodes for a GPU job, else requested CPUs (ntasks x
 *              cpus_per_task) / CPUs of all nodes; capped at 1.
 *   partition  the partition's PriorityJobFactor / the largest
 *              PriorityJobFactor of any partition.
 *   qos        the hook for a QoS factor: always 0, and weightless, until
 *              hub.conf grows a QoS table (Slurm's QOS priority divided by
 *              the largest one, times PriorityWeightQOS). It is reported by
 *              explain() so that the output keeps Slurm's shape.
 *   fairshare  filled by priority/multifactor only (see its file); 0 and
 *              weightless in priority/basic.
 *
 *   priority = max(0, round(sum(weight_i * factor_i)) - nice)
 *
 * Weights come from PriorityWeight{Age,JobSize,Partition,Fairshare}. When
 * every weight a plugin uses is 0 (hub.conf's default) each of them is
 * PRIO_DEFAULT_WEIGHT instead, so that an unconfigured cluster still
 * orders jobs by age, size and partition rather than by submit time alone.
 *
 * Internal to plugins/priority: names carry the module prefix prio_.
 */
#ifndef HUB_PRIO_FACTORS_H
#define HUB_PRIO_FACTORS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "job.h"

/* Weight of each used factor when hub.conf leaves all of them at 0. */
#define PRIO_DEFAULT_WEIGHT 1000.0
/* PriorityMaxAge when hub.conf says 0 (Slurm's default, 7 days), ms. */
#define PRIO_DEFAULT_MAX_AGE_MS (7 * 86400 * INT64_C(1000))

/* Dimensionless weights, each >= 0. */
typedef struct prio_weights {
    double age;
    double job_size;
    double partition;
    double fairshare; /* 0 in priority/basic */
} prio_weights_t;

/* One job's factors, each in [0, 1]. */
typedef struct prio_factors {
    double age;
    double job_size;
    double partition;
    double qos;       /* always 0: no QoS table yet (see above) */
    double fairshare; /* set by priority/multifactor; 0 otherwise */
} prio_factors_t;

/* What the factors need from hub.conf, computed once at create. */
typedef struct prio_base {
    const hub_conf_t *conf;      /* borrowed; outlives the plugin */
    prio_weights_t w;            /* effective weights (defaults applied) */
    bool fairshare;              /* the plugin computes fair-share */
    int64_t max_age_ms;          /* age saturates here, > 0 */
    uint64_t cluster_cpus;       /* sum of Cpus over all nodes */
    uint64_t cluster_gpus_milli; /* sum of GPUs over all nodes, milli */
    int max_part_factor;         /* largest PriorityJobFactor, >= 0 */
} prio_base_t;

/* Fill b from conf. fairshare says whether PriorityWeightFairshare is used
 * (and takes part in the all-zero default rule). Returns 0, or -EINVAL
 * with err set when conf is NULL. */
int prio_base_init(prio_base_t *b, const hub_conf_t *conf, bool fairshare,
                   hub_error_t *err);

/* secs (>= 0, HUB_DURATION_INFINITE allowed) in ms, saturating at
 * INT64_MAX. */
int64_t prio_secs_to_ms(int64_t secs);

/* The job's age, job size, partition and QoS factors at now_ms; fairshare
 * is left 0 for the caller. */
void prio_factors_compute(const prio_base_t *b, const hub_job_t *job,
                          int64_t now_ms, prio_factors_t *f);

/* The priority from factors f and the job's nice value: the rounded
 * weighted sum minus nice, never below 0. */
int64_t prio_combine(const prio_base_t *b, const prio_factors_t *f,
                     int32_t nice);

/* explain() for f: {"priority": P, "nice": N, "factors": {"age":
 * {"factor": x, "weight": w, "value": w*x}, "job_size": ..., "partition":
 * ..., "qos": ..., and "fairshare": ... when b->fairshare}}. The caller may
 * add keys to factors.fairshare. NULL on allocation failure. */
json_t *prio_explain(const prio_base_t *b, const prio_factors_t *f,
                     int32_t nice);

#endif /* HUB_PRIO_FACTORS_H */
