/* hubopt.h - the --hub-* options of the SPANK plugin spank_hub: their
 * names, usage text, the environment variable each sets in the job's
 * tasks (read by hrun and libhubjob), and the check of a value.
 *
 * Kept free of Slurm so that it can be tested without a cluster. The
 * option list only grows at its end (the ids are the `val` of each
 * registered spank_option). Non-goals: converting values (a value that
 * passes the check is passed on exactly as the user wrote it).
 */
#ifndef HUB_SLURM_HUBOPT_H
#define HUB_SLURM_HUBOPT_H

#include "error.h"

typedef enum hubopt_id {
    HUBOPT_ENABLE = 0, /* --hub: enable with defaults (no value) */
    HUBOPT_CKPT,       /* --hub-ckpt=DIR */
    HUBOPT_RESTARTS,   /* --hub-restarts=N */
    HUBOPT_HANG,       /* --hub-hang-timeout=SECS */
    HUBOPT_METRICS,    /* --hub-metrics=FILE */
    HUBOPT_PRECISION,  /* --hub-precision=bf16|fp16|tf32|fp32|fp64 */
    HUBOPT_SPARES,     /* --hub-spares=K */
    HUBOPT_GPU_TYPE,   /* --hub-gpu-type=NAME */
    HUBOPT_COUNT
} hubopt_id_t;

typedef struct hubopt_desc {
    const char *name;    /* long option without "--", e.g. "hub-ckpt" */
    const char *arginfo; /* one word for --help; NULL: takes no value */
    const char *usage;   /* one line for --help */
    const char *env;     /* variable it sets in the tasks; NULL: none */
} hubopt_desc_t;

/* Largest values accepted (a typo such as 10000 restarts is refused). */
#define HUBOPT_RESTARTS_MAX 1000
#define HUBOPT_SPARES_MAX 4096
#define HUBOPT_HANG_MAX_S (7 * 24 * 3600)
#define HUBOPT_PATH_MAX 4095

/* The description of option id (< HUBOPT_COUNT); never NULL. */
const hubopt_desc_t *hubopt_desc(hubopt_id_t id);

/* Check value (NULL for an option without one) for option id: 0, or
 * -EINVAL with a message naming the option, the value and what it takes
 * ("--hub-restarts=x: not a whole number from 0 to 1000"). */
int hubopt_check(hubopt_id_t id, const char *value, hub_error_t *err);

#endif /* HUB_SLURM_HUBOPT_H */
